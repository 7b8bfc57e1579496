"""``humblenet.cuda``: what PyTorch programs ask about CUDA. There is no GPU here (yet).

A program that picks its device with ``"cuda" if torch.cuda.is_available() else "cpu"`` gets
``"cpu"`` and runs as written.

>>> is_available(), device_count()
(False, 0)
"""

from __future__ import annotations

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """False: humblenet computes on the CPU with NumPy."""
    return False


def device_count() -> int:
    """0: no CUDA device is used."""
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (no CUDA generator); seed the CPU with ``humblenet.manual_seed``."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed (no CUDA generator); seed the CPU with ``humblenet.manual_seed``."""
