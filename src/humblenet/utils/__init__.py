"""``humblenet.utils``: PyTorch's ``torch.utils`` names (``utils.data``)."""

from humblenet.utils import data

__all__ = ["data"]
