"""Metrics over an epoch: the running loss, accuracy, mean absolute and squared error.

Accuracy is judged the way the loss reads its targets (``loss.targets``): the largest output
against an integer label or a one-hot row, or each output above one half (above 0 for raw scores)
against a 0/1 target. For a loss of the user's own, the targets' shape tells which.

>>> import numpy as np
>>> meter = Meter(["accuracy"], targets="labels", from_logits=False)
>>> meter.add(0.5, np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]))
>>> meter.logs()
{'loss': 0.5, 'accuracy': 0.5}
"""

from __future__ import annotations

import numpy as np

__all__ = ["METRICS", "Meter", "count_correct"]

METRICS = ("accuracy", "acc", "mae", "mse")
"""The metric names ``compile`` accepts; each is logged under the name it was given (``"acc"``
as ``acc`` and ``val_acc``, as Keras does)."""


def count_correct(scores: np.ndarray, y: np.ndarray, targets: str, from_logits: bool) -> int:
    """How many predictions in the batch are right."""
    if targets == "any":  # the user's own loss: guess from the shapes, as Keras' "accuracy" does
        if y.ndim == 1 and scores.ndim == 2 and scores.shape[1] > 1:
            targets = "labels"
        elif y.shape == scores.shape and scores.shape[-1] > 1:
            targets = "one_hot"
        else:
            targets = "binary"
    if targets == "labels":
        return int(np.count_nonzero(scores.argmax(axis=-1) == y))
    if targets == "one_hot":
        return int(np.count_nonzero(scores.argmax(axis=-1) == y.argmax(axis=-1)))
    threshold = 0.0 if from_logits else 0.5
    return int(np.count_nonzero((scores > threshold) == (y.reshape(scores.shape) > 0.5)))


class Meter:
    """Running sums for one epoch: loss, accuracy and the regression metrics.

    Args:
        names: the metrics to keep (``"accuracy"``, ``"mae"``, ``"mse"``).
        targets: what the loss's targets are (``Loss.targets``).
        from_logits: the model's outputs are raw scores, not probabilities.
    """

    def __init__(self, names: list[str], targets: str, from_logits: bool) -> None:
        self.names = names
        self.targets = targets
        self.from_logits = from_logits
        self.count = 0
        self.loss = 0.0
        self.correct = 0
        self.elements = 0
        self.abs_error = 0.0
        self.sq_error = 0.0

    def add(self, loss: float, scores: np.ndarray, y: np.ndarray) -> None:
        n = len(y)
        self.count += n
        self.loss += loss * n
        if "accuracy" in self.names or "acc" in self.names:
            self.correct += count_correct(scores, y, self.targets, self.from_logits)
        if "mae" in self.names or "mse" in self.names:
            diff = scores - y.reshape(scores.shape)
            self.elements += diff.size
            self.abs_error += float(np.abs(diff).sum())
            self.sq_error += float((diff * diff).sum())

    def logs(self, prefix: str = "") -> dict[str, float]:
        out = {prefix + "loss": self.loss / max(self.count, 1)}
        for name in self.names:
            if name in ("accuracy", "acc"):
                out[prefix + name] = self.correct / max(self.count, 1)
            elif name == "mae":
                out[prefix + "mae"] = self.abs_error / max(self.elements, 1)
            elif name == "mse":
                out[prefix + "mse"] = self.sq_error / max(self.elements, 1)
        return out
