"""Keras' utilities: ``to_categorical``, ``set_random_seed``.

>>> to_categorical([0, 2, 1])
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["set_random_seed", "to_categorical"]


def set_random_seed(seed: int) -> None:
    """Seed every generator a run draws from, as Keras' ``set_random_seed``: humblenet's default
    one (unseeded layers' initial weights, ``fit``'s shuffling, dropout), NumPy's global one and
    Python's ``random``."""
    import random

    from humblenet.random import manual_seed

    manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot rows (float32) for integer class labels, as Keras' ``to_categorical``.

    Args:
        x: integer labels 0..num_classes-1, of any shape (a trailing axis of size 1 is dropped).
        num_classes: the number of classes; the largest label + 1 when None.
    """
    labels = np.asarray(x)
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"to_categorical: labels must be whole numbers, got dtype {labels.dtype}")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {labels.min()}")
    count = int(labels.max()) + 1 if num_classes is None and labels.size else int(num_classes or 0)
    if labels.size and labels.max() >= count:
        raise ValueError(
            f"to_categorical: label {labels.max()} is outside 0..{count - 1} for "
            f"num_classes={count}"
        )
    return np.eye(count, dtype=np.float32)[labels]
