"""The default random generator, and torch's functions that draw from it.

humblenet keeps no other random state: everything random takes a seed or a
``numpy.random.Generator``. What is given neither (``randn(3)``, ``nn.Linear(4, 2)``,
``nn.Dropout(0.5)``, a shuffled ``utils.data.DataLoader`` without a generator) draws from the
one default generator kept here, which :func:`manual_seed` replaces, so a torch-style program
that starts with ``manual_seed(0)`` gives the same numbers every run. NumPy's own global state
(``np.random.seed``) is never used or changed.

>>> _ = manual_seed(0)
>>> first = randn(3)
>>> _ = manual_seed(0)
>>> bool((randn(3) == first).all())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.tensor import DEFAULT_DTYPE, Tensor, _as_dtype, _check_place, _sizes
from humblenet.validation import whole

__all__ = [
    "default_generator",
    "get_generator",
    "manual_seed",
    "rand",
    "randint",
    "randn",
    "randperm",
]

_default = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Start the default generator afresh from ``seed`` (a whole number >= 0) and return it."""
    global _default
    _default = np.random.default_rng(whole("manual_seed", "seed", seed))
    return _default


def default_generator() -> np.random.Generator:
    """The generator that draws whatever is given no seed and no generator."""
    return _default


def get_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """The generator to draw from: a new one for a seed, a given generator itself, and the
    default one (see :func:`manual_seed`) for None."""
    if seed is None:
        return _default
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(whole("random", "seed", seed))


def _float_dtype(owner: str, dtype: Any) -> np.dtype:
    kind = DEFAULT_DTYPE if dtype is None else _as_dtype(owner, dtype)
    if kind not in (np.float32, np.float64):
        raise TypeError(f"{owner}: dtype must be float32 or float64, got {kind}")
    return kind


def randn(
    *size: Any,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Standard normal numbers (mean 0, variance 1) of shape ``size``: ``randn(2, 3)``."""
    _check_place("randn", device)
    kind = _float_dtype("randn", dtype)
    values = get_generator(generator).standard_normal(_sizes("randn", size), dtype=kind)
    return Tensor(values, requires_grad=requires_grad)


def rand(
    *size: Any,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Numbers drawn uniformly from ``[0, 1)``, of shape ``size``: ``rand(2, 3)``."""
    _check_place("rand", device)
    kind = _float_dtype("rand", dtype)
    values = get_generator(generator).random(_sizes("rand", size), dtype=kind)
    return Tensor(values, requires_grad=requires_grad)


def randint(
    *bounds_and_size: Any,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``, as torch: ``randint(high, size)`` or
    ``randint(low, high, size)``, with ``size`` a tuple; int64 unless ``dtype``."""
    _check_place("randint", device)
    if len(bounds_and_size) == 2:
        low, (high, size) = 0, bounds_and_size
    elif len(bounds_and_size) == 3:
        low, high, size = bounds_and_size
    else:
        raise TypeError(
            "randint: expected randint(high, size) or randint(low, high, size), got "
            f"{len(bounds_and_size)} arguments"
        )
    low = whole("randint", "low", low, minimum=-(2**62))
    high = whole("randint", "high", high, minimum=-(2**62))
    if high <= low:
        raise ValueError(f"randint: high must be larger than low, got low={low}, high={high}")
    kind = np.dtype(np.int64) if dtype is None else _as_dtype("randint", dtype)
    values = get_generator(generator).integers(low, high, _sizes("randint", (size,)))
    return Tensor(values.astype(kind))


def randperm(
    n: int, *, generator: np.random.Generator | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    """The numbers ``0..n-1`` in a random order (int64 unless ``dtype``)."""
    _check_place("randperm", device)
    kind = np.dtype(np.int64) if dtype is None else _as_dtype("randperm", dtype)
    return Tensor(get_generator(generator).permutation(whole("randperm", "n", n)).astype(kind))
