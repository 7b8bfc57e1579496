"""Keras' losses, called Keras' way: ``loss(y_true, y_pred)``.

Each class is a thin wrapper around the humblenet loss of the same meaning
(:mod:`humblenet.nn.losses`, called ``loss(prediction, target)`` as PyTorch does); ``compile``
unwraps it, so a model trains exactly as with the humblenet loss. The functions
(``sparse_categorical_crossentropy(y_true, y_pred)``, ...) return one value per sample, as Keras'
do.

>>> import numpy as np
>>> from humblenet import Tensor
>>> loss = SparseCategoricalCrossentropy(from_logits=True)
>>> round(float(loss(np.array([1]), Tensor(np.array([[0.0, 0.0]])))), 6)
0.693147
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.nn import losses as _losses
from humblenet.tensor import Tensor

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "get",
    "mean_absolute_error",
    "mean_squared_error",
    "sparse_categorical_crossentropy",
]


class Loss:
    """A Keras loss: ``loss(y_true, y_pred, sample_weight=None)`` gives the batch's mean loss."""

    _wraps: type[_losses.Loss] = _losses.Loss

    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        kind = self._wraps
        takes_logits = kind in (
            _losses.SparseCategoricalCrossentropy,
            _losses.CategoricalCrossentropy,
            _losses.BinaryCrossentropy,
        )
        self.humblenet_loss: _losses.Loss = kind(from_logits) if takes_logits else kind()  # type: ignore[call-arg]
        self.name = name or self.humblenet_loss.name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        if not isinstance(y_pred, Tensor):  # predictions given as an array (model(x).numpy())
            y_pred = Tensor(y_pred)
        if sample_weight is None:
            return self.humblenet_loss(y_pred, y_true)
        weights = np.asarray(sample_weight, dtype=y_pred.dtype).reshape(-1)
        per_sample = self.humblenet_loss.per_sample(y_pred, y_true)
        return (per_sample * Tensor(weights)).sum() / len(weights)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "from_logits": self.humblenet_loss.from_logits}


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy against integer class labels."""

    _wraps = _losses.SparseCategoricalCrossentropy


class CategoricalCrossentropy(Loss):
    """Cross-entropy against one-hot rows."""

    _wraps = _losses.CategoricalCrossentropy


class BinaryCrossentropy(Loss):
    """Binary cross-entropy against 0/1 targets."""

    _wraps = _losses.BinaryCrossentropy


class MeanSquaredError(Loss):
    """``mean((y_pred - y_true) ** 2)``."""

    _wraps = _losses.MeanSquaredError


class MeanAbsoluteError(Loss):
    """``mean(|y_pred - y_true|)``."""

    _wraps = _losses.MeanAbsoluteError


def _per_sample(kind: type[Loss], y_true: Any, y_pred: Tensor, from_logits: bool) -> Tensor:
    loss = kind(from_logits=from_logits)
    return loss.humblenet_loss.per_sample(y_pred, y_true)


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Tensor, from_logits: bool = False
) -> Tensor:
    """One cross-entropy per sample, against integer labels."""
    return _per_sample(SparseCategoricalCrossentropy, y_true, y_pred, from_logits)


def categorical_crossentropy(y_true: Any, y_pred: Tensor, from_logits: bool = False) -> Tensor:
    """One cross-entropy per sample, against one-hot rows."""
    return _per_sample(CategoricalCrossentropy, y_true, y_pred, from_logits)


def binary_crossentropy(y_true: Any, y_pred: Tensor, from_logits: bool = False) -> Tensor:
    """One binary cross-entropy per sample (the mean over its outputs)."""
    return _per_sample(BinaryCrossentropy, y_true, y_pred, from_logits)


def mean_squared_error(y_true: Any, y_pred: Tensor) -> Tensor:
    """One mean squared error per sample."""
    return _per_sample(MeanSquaredError, y_true, y_pred, False)


def mean_absolute_error(y_true: Any, y_pred: Tensor) -> Tensor:
    """One mean absolute error per sample."""
    return _per_sample(MeanAbsoluteError, y_true, y_pred, False)


def get(identifier: Any) -> Any:
    """A loss from a name (humblenet's names, which are Keras'), or the object itself."""
    if isinstance(identifier, str):
        return _losses.get(identifier)
    return identifier
