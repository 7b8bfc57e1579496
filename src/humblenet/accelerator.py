"""``humblenet.accelerator``: what PyTorch programs ask about an accelerator (none here).

PyTorch's quickstart picks its device with
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``,
which gives ``"cpu"`` here.

>>> is_available(), current_accelerator(), device_count()
(False, None, 0)
"""

from __future__ import annotations

from humblenet.devices import device

__all__ = ["current_accelerator", "device_count", "is_available"]


def is_available() -> bool:
    """False: humblenet computes on the CPU with NumPy."""
    return False


def current_accelerator() -> device | None:
    """None: there is no accelerator (as PyTorch answers on a machine without one)."""
    return None


def device_count() -> int:
    """0: no accelerator is used."""
    return 0
