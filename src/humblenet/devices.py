"""Devices: where a tensor's numbers live. humblenet computes on the CPU, with NumPy.

PyTorch programs name a device to move tensors and models to (``x.to(device)``); these are the
names they use. ``"cpu"`` is accepted everywhere and changes nothing; any other device (``"cuda"``,
``"mps"``) is refused with a message saying so, since nothing here runs on a GPU yet.

>>> device("cpu")
device(type='cpu')
>>> device("cuda:0").index
0
>>> check_device("Tensor.to", "cpu")
device(type='cpu')
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_device", "device", "is_device"]


class device:
    """A device name, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``, ``"cuda:0"``.

    Making one never fails for a well-formed name (a program may build ``device("cuda")`` before
    asking whether it can use it); moving something to a device other than the CPU does.

    Attributes:
        type: ``"cpu"``, ``"cuda"``, ...
        index: the device's number, or None.
    """

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str) or not type:
            raise TypeError(
                f"device: expected a name such as 'cpu' or 'cuda:0', got {type.__class__.__name__} "
                f"{type!r}"
            )
        name, _, number = type.partition(":")
        if number:
            if index is not None or not number.isdigit():
                raise ValueError(f"device: expected 'type' or 'type:index', got {type!r}")
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a whole number >= 0, got {index!r}")
        self.type = name
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"


CPU = device("cpu")


def is_device(value: Any) -> bool:
    """True for what names a device: a :class:`device`, or text such as ``"cpu"``."""
    return isinstance(value, device) or (
        isinstance(value, str) and value.partition(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta")
    )


def check_device(owner: str, where: Any) -> device:
    """``where`` as a :class:`device` when it is the CPU (the only one humblenet computes on);
    a ValueError saying so for any other device."""
    place = device(where)
    if place.type != "cpu":
        raise ValueError(
            f"{owner}: device {str(place)!r} is not available: humblenet computes on the CPU with "
            "NumPy (humblenet.cuda.is_available() is False); use 'cpu'"
        )
    return place
