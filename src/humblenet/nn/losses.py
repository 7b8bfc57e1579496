"""Losses as classes and by name (Keras' names): mean squared and absolute error, and the three
cross-entropies, each taking probabilities or, with ``from_logits=True``, raw scores.

A loss is called ``loss(prediction, target)`` (PyTorch's order) and returns the batch mean. When
the prediction is probabilities that softmax or sigmoid made (a model ending in
``Dense(..., activation="softmax")``), the matching cross-entropy starts from the scores before
that function, which the probabilities carry: the fused, stable computation, one pass and no
clipping of tiny probabilities, as Keras does when it can reach the logits.

Each loss also says what its targets are (``targets``): ``"labels"`` (integer classes),
``"one_hot"`` (a probability row per sample), ``"binary"`` (0/1 per output) or ``"values"``;
the training loop checks targets and scores accuracy from that.

>>> import numpy as np
>>> loss = get("sparse_categorical_crossentropy")
>>> probabilities = Tensor(np.array([[0.25, 0.75]]))
>>> round(float(loss(probabilities, np.array([1])).item()), 6)
0.287682
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet.tensor import Tensor, clip, log

# Probabilities are kept in [EPSILON, 1 - EPSILON] before the logarithm, as Keras does.
EPSILON = 1e-7


class Loss:
    """A loss: ``loss(prediction, target)`` gives a scalar tensor (the batch mean).

    ``per_sample(prediction, target)`` gives one value per sample (averaged over a sample's
    outputs), which ``fit`` weighs with ``sample_weight`` / ``class_weight``; the built-in losses
    define it, and ``loss(...)`` is its mean.
    """

    name = "loss"
    from_logits = False
    targets = "values"

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        raise NotImplementedError

    def per_sample(self, prediction: Tensor, target: Any) -> Tensor:
        raise NotImplementedError(
            f"{type(self).__name__} does not define per_sample(prediction, target), which "
            "weighting samples needs"
        )

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class MeanSquaredError(Loss):
    """``mean((prediction - target) ** 2)``."""

    name = "mse"

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        return F.mse(prediction, _match(prediction, target, "mse"))

    def per_sample(self, prediction: Tensor, target: Any) -> Tensor:
        return _sample_means(F.mse(prediction, _match(prediction, target, "mse"), "none"))


class MeanAbsoluteError(Loss):
    """``mean(|prediction - target|)``."""

    name = "mae"

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        return F.mae(prediction, _match(prediction, target, "mae"))

    def per_sample(self, prediction: Tensor, target: Any) -> Tensor:
        return _sample_means(F.mae(prediction, _match(prediction, target, "mae"), "none"))


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy against integer class labels.

    Args:
        from_logits: the prediction is raw scores (no softmax applied) rather than probabilities.
    """

    name = "sparse_categorical_crossentropy"
    targets = "labels"

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        return self._loss(prediction, target, "mean")

    def per_sample(self, prediction: Tensor, target: Any) -> Tensor:
        return self._loss(prediction, target, "none")

    def _loss(self, prediction: Tensor, target: Any, reduction: str) -> Tensor:
        labels = np.asarray(target.data if isinstance(target, Tensor) else target)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels.reshape(-1)  # Keras also takes labels as a column
        scores = _scores(prediction, "softmax", self.from_logits)
        if scores is not None:
            return F.cross_entropy(scores, labels, reduction)
        return F.nll(log(clip(prediction, EPSILON, 1 - EPSILON)), labels, reduction)


class CategoricalCrossentropy(Loss):
    """Cross-entropy against one-hot (or soft) class probabilities of shape (batch, classes)."""

    name = "categorical_crossentropy"
    targets = "one_hot"

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        return self._loss(prediction, target, "mean")

    def per_sample(self, prediction: Tensor, target: Any) -> Tensor:
        return self._loss(prediction, target, "none")

    def _loss(self, prediction: Tensor, target: Any, reduction: str) -> Tensor:
        t = np.asarray(
            target.data if isinstance(target, Tensor) else target, dtype=prediction.dtype
        )
        if t.shape != prediction.shape:
            raise ValueError(
                f"categorical_crossentropy: targets of shape {t.shape} do not match predictions "
                f"{prediction.shape}; use one-hot rows, or sparse_categorical_crossentropy for "
                "integer labels"
            )
        scores = _scores(prediction, "softmax", self.from_logits)
        if scores is not None:
            return F.cross_entropy(scores, t, reduction)
        logp = log(clip(prediction, EPSILON, 1 - EPSILON))
        per_row = -(logp * Tensor(t)).sum(axis=-1)
        return per_row if reduction == "none" else per_row.mean()


class BinaryCrossentropy(Loss):
    """Binary cross-entropy against 0/1 targets (or probabilities)."""

    name = "binary_crossentropy"
    targets = "binary"

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        return self._loss(prediction, target, "mean")

    def per_sample(self, prediction: Tensor, target: Any) -> Tensor:
        return _sample_means(self._loss(prediction, target, "none"))

    def _loss(self, prediction: Tensor, target: Any, reduction: str) -> Tensor:
        t = _match(prediction, target, "binary_crossentropy")
        scores = _scores(prediction, "sigmoid", self.from_logits)
        if scores is not None:
            return F.binary_cross_entropy_with_logits(scores, t, reduction)
        return F.binary_cross_entropy(clip(prediction, EPSILON, 1 - EPSILON), t, reduction)


def _sample_means(values: Tensor) -> Tensor:
    """One value per sample: the mean over every axis but the first (the batch)."""
    return values.mean(axis=tuple(range(1, values.ndim))) if values.ndim > 1 else values


def _scores(prediction: Tensor, function: str, from_logits: bool) -> Tensor | None:
    """The raw scores to compute the loss from: the prediction itself with ``from_logits``, the
    scores that ``function`` (softmax or sigmoid) turned into the prediction when it carries
    them, else None (the loss then works on the probabilities)."""
    if from_logits:
        return prediction
    if prediction._op == function:
        return F.logits_of(prediction)
    return None


def _match(prediction: Tensor, target: Any, name: str) -> np.ndarray:
    """Targets as an array of the prediction's shape and dtype (a 1-D target for one output)."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.shape != prediction.shape and t.ndim == 1 and prediction.shape == (t.shape[0], 1):
        t = t.reshape(-1, 1)
    if t.shape != prediction.shape:
        raise ValueError(
            f"{name}: targets of shape {t.shape} do not match predictions {prediction.shape}"
        )
    return t.astype(prediction.dtype, copy=False)


LOSSES: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
}


def get(loss: str | Loss, from_logits: bool = False) -> Loss:
    """A loss object from a name or a :class:`Loss` (returned as is); errors list known names."""
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str) or loss not in LOSSES:
        known = ", ".join(sorted(LOSSES))
        raise ValueError(f"unknown loss {loss!r}; known losses: {known}")
    cls = LOSSES[loss]
    if cls in (MeanSquaredError, MeanAbsoluteError):
        return cls()
    return cls(from_logits=from_logits)  # type: ignore[call-arg]
