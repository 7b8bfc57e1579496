"""Weight initializers: Glorot/Xavier and He/Kaiming (uniform and normal), zeros, ones.

Each takes the shape to fill, the layer's fan-in and fan-out, a ``numpy.random.Generator`` (so the
same seed gives the same weights) and a dtype.

>>> import numpy as np
>>> w = glorot_uniform((3, 2), fan_in=2, fan_out=3, rng=np.random.default_rng(0))
>>> bool(np.all(np.abs(w) <= np.sqrt(6 / 5)))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Initializer = Callable[..., np.ndarray]


def zeros(
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """All zeros (the usual bias initializer)."""
    return np.zeros(shape, dtype=dtype)


def ones(
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """All ones."""
    return np.ones(shape, dtype=dtype)


def glorot_uniform(
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Keras' default)."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_normal(
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """Normal with standard deviation ``sqrt(2 / (fan_in + fan_out))``."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def he_uniform(
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)`` (for ReLU layers)."""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def he_normal(
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """Normal with standard deviation ``sqrt(2 / fan_in)`` (PyTorch's kaiming_normal_)."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


def torch_linear_uniform(
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """Uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``: PyTorch's default for ``nn.Linear``."""
    limit = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_uniform": glorot_uniform,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "kaiming_uniform": he_uniform,
    "kaiming_normal": he_normal,
    "torch_linear_uniform": torch_linear_uniform,
}


def get(name: str) -> Initializer:
    """The initializer called ``name``; the error lists the known names."""
    try:
        return INITIALIZERS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"unknown initializer {name!r}; known initializers: {known}") from None
