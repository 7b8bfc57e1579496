"""Losses with PyTorch's names and meaning: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``,
``L1Loss``, ``BCEWithLogitsLoss``, ``BCELoss``.

Each is a module called ``loss_fn(input, target)`` that returns a Tensor (a single number unless
``reduction="none"``), with torch's argument order, defaults and reductions. The target may be a
Tensor or an array: int64 class indices or float probabilities for the cross-entropies, numbers
of the input's shape for the others. (The Keras-named losses, which take probabilities unless
told ``from_logits=True``, are in :mod:`humblenet.nn.losses`.)

>>> import humblenet
>>> loss_fn = CrossEntropyLoss()
>>> scores = humblenet.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
>>> round(loss_fn(scores, humblenet.tensor([0, 1])).item(), 4)
0.3606
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet.nn.module import Module
from humblenet.tensor import Tensor
from humblenet.validation import fraction, one_of

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
]

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    """What the losses share: the reduction, and a repr like torch's.

    ``targets`` and ``from_logits`` tell ``Model.compile`` / ``fit`` how to check targets and
    score accuracy, as the Keras-named losses do (see :mod:`humblenet.nn.losses`).
    """

    targets = "any"
    from_logits = False

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = one_of(type(self).__name__, "reduction", reduction, _REDUCTIONS)

    def __call__(self, input: Any, target: Any) -> Tensor:  # noqa: A002 (torch's name)
        return self.forward(input if isinstance(input, Tensor) else Tensor(input), target)

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        raise NotImplementedError

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def _reduce(self, per_element: Tensor, count: int | None = None) -> Tensor:
        """``per_element`` reduced; a mean over ``count`` elements when given (the ones not
        ignored), else over all."""
        if self.reduction == "none":
            return per_element
        total = per_element.sum()
        if self.reduction == "sum":
            return total
        n = per_element.size if count is None else count
        return total * (1.0 / n) if n else total * np.nan


def _refuse_weight(owner: str, weight: Any) -> None:
    if weight is not None:
        raise NotImplementedError(
            f"{owner}: per-class weight= is not supported; leave it None (or weight the "
            "per-sample losses of reduction='none' yourself)"
        )


def _target_like(input: Tensor, target: Any) -> Tensor:  # noqa: A002
    """A target of numbers as a Tensor of the input's dtype (a target that requires a gradient
    is kept as it is, so the gradient reaches it)."""
    if isinstance(target, Tensor) and (target.requires_grad or target.dtype == input.dtype):
        return target
    return Tensor(np.asarray(target.data if isinstance(target, Tensor) else target, input.dtype))


def _rows_of_classes(owner: str, input: Tensor, target: np.ndarray) -> tuple[Tensor, Any, tuple]:  # noqa: A002
    """Scores ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` as rows ``(M, C)``, the target as the
    matching rows, and the shape a per-element result has (torch's shapes for class scores)."""
    if input.ndim == 0:
        raise ValueError(f"{owner}: expected scores with a class axis, got a single number")
    probabilities = target.dtype.kind == "f" and target.shape == input.shape
    if input.ndim == 1:
        shape: tuple[int, ...] = ()
        rows = input.reshape(1, -1)
        target = target.reshape(1, -1) if probabilities else target.reshape(1)
    elif input.ndim == 2:
        shape = (input.shape[0],)
        rows = input
    else:  # (N, C, d1, ...): classes last, then one row per position
        classes_last = (0, *range(2, input.ndim), 1)
        shape = (input.shape[0], *input.shape[2:])
        rows = input.permute(classes_last).reshape(-1, input.shape[1])
        if probabilities:
            target = np.transpose(target, classes_last).reshape(-1, input.shape[1])
        elif target.shape == shape:
            target = target.reshape(-1)
        else:
            raise ValueError(
                f"{owner}: scores of shape {input.shape} need class indices of shape {shape} "
                f"or probabilities of shape {input.shape}, got a target of shape {target.shape}"
            )
    return rows, target, shape


class CrossEntropyLoss(_Loss):
    """Cross-entropy from raw scores (logits), as ``torch.nn.CrossEntropyLoss``.

    ``loss = -sum_c target_c * log_softmax(input)_c`` per sample, from a fused, stable softmax.

    Args:
        weight: per-class weights: not supported (must be None).
        ignore_index: samples whose class index is this one count for nothing, and a mean is
            taken over the others (default -100).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (one loss per sample).
        label_smoothing: in ``[0, 1]``: the target becomes ``(1 - s) * target + s / C``.

    Shape:
        input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target: class indices ``(N,)``, ``()``
        or ``(N, d1, ...)`` (integers), or class probabilities of the input's shape (floats; a
        row need not sum to 1).
    """

    targets = "any"
    from_logits = True

    def __init__(
        self,
        weight: Any = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        _refuse_weight("CrossEntropyLoss", weight)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = fraction(
            "CrossEntropyLoss", "label_smoothing", label_smoothing, one_allowed=True
        )

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        rows, t, shape = _rows_of_classes("CrossEntropyLoss", input, _array(target))
        classes = rows.shape[1]
        smoothing = self.label_smoothing
        if t.ndim == 2:  # probabilities
            if smoothing:
                t = t * (1 - smoothing) + smoothing / classes
            per_row = F.cross_entropy(rows, t.astype(rows.dtype), "none")
            return self._reduce(per_row.reshape(shape))
        keep = t != self.ignore_index
        if not smoothing and keep.all():  # the common case: one fused node
            if self.reduction == "none":
                return F.cross_entropy(rows, t, "none").reshape(shape)
            return F.cross_entropy(rows, t, self.reduction)
        # Ignored samples and smoothing: the same loss from probability rows (an ignored row is
        # all zeros, so it adds nothing and receives no gradient).
        labels = F._class_targets("CrossEntropyLoss", rows.data, np.where(keep, t, 0))
        soft = np.zeros(rows.shape, dtype=rows.dtype)
        soft[np.arange(len(labels)), labels] = 1 - smoothing
        soft += smoothing / classes
        soft[~keep] = 0
        per_row = F.cross_entropy(rows, soft, "none")
        return self._reduce(per_row.reshape(shape), int(keep.sum()))

    def extra_repr(self) -> str:
        parts = [super().extra_repr()]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(p for p in parts if p)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices, given log-probabilities (as
    ``torch.nn.NLLLoss``; put ``log_softmax`` before it, or use :class:`CrossEntropyLoss`).

    Args:
        weight: per-class weights: not supported (must be None).
        ignore_index: samples with this class index count for nothing (default -100).
        reduction: ``"mean"`` (over the samples not ignored), ``"sum"`` or ``"none"``.

    Shape:
        input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target class indices ``(N,)``, ``()``
        or ``(N, d1, ...)``.
    """

    targets = "labels"

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        _refuse_weight("NLLLoss", weight)
        self.ignore_index = int(ignore_index)

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        rows, t, shape = _rows_of_classes("NLLLoss", input, _array(target))
        if t.ndim == 2:
            raise ValueError(
                f"NLLLoss: expected class indices, got a float target of the input's shape "
                f"{input.shape}; use CrossEntropyLoss for class probabilities"
            )
        keep = t != self.ignore_index
        if keep.all():
            if self.reduction == "none":
                return F.nll(rows, t, "none").reshape(shape)
            return F.nll(rows, t, self.reduction)
        per_row = F.nll(rows, np.where(keep, t, 0), "none") * Tensor(keep.astype(rows.dtype))
        return self._reduce(per_row.reshape(shape), int(keep.sum()))


class MSELoss(_Loss):
    """Squared error ``(input - target) ** 2``, reduced (as ``torch.nn.MSELoss``); input and
    target have one shape."""

    targets = "values"

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.mse(input, _target_like(input, target), self.reduction)


class L1Loss(_Loss):
    """Absolute error ``|input - target|``, reduced (as ``torch.nn.L1Loss``); input and target
    have one shape."""

    targets = "values"

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.mae(input, _target_like(input, target), self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from raw scores, as ``torch.nn.BCEWithLogitsLoss``:
    ``-[pos_weight * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))]``, computed stably.

    Args:
        weight: a rescaling of each element's loss (broadcast to the input), or None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        pos_weight: the weight of positive targets (broadcast along the last axis), or None.
    """

    targets = "binary"
    from_logits = True

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(_array(weight))
        self.pos_weight = None if pos_weight is None else np.asarray(_array(pos_weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        y = np.asarray(_array(target), dtype=input.dtype)
        if self.weight is None and self.pos_weight is None:
            return F.binary_cross_entropy_with_logits(input, y, self.reduction)
        per = F.binary_cross_entropy_with_logits(input, y, "none")
        if self.pos_weight is not None:
            # A positive target's term is -log(sigmoid(x)), the loss for target 1, so the
            # weighted loss adds (pos_weight - 1) * y times that term.
            ones = np.ones(input.shape, dtype=input.dtype)
            extra = (self.pos_weight.astype(input.dtype) - 1) * y
            per = per + F.binary_cross_entropy_with_logits(input, ones, "none") * extra
        if self.weight is not None:
            per = per * self.weight.astype(input.dtype)
        return self._reduce(per)


class BCELoss(_Loss):
    """Binary cross-entropy from probabilities in ``[0, 1]``, as ``torch.nn.BCELoss`` (each log
    clamped at -100, so 0 and 1 give finite losses).

    Args:
        weight: a rescaling of each element's loss (broadcast to the input), or None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    """

    targets = "binary"

    def __init__(self, weight: Any = None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(_array(weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        y = np.asarray(_array(target), dtype=input.dtype)
        if self.weight is None:
            return F.binary_cross_entropy(input, y, self.reduction)
        per = F.binary_cross_entropy(input, y, "none") * self.weight.astype(input.dtype)
        return self._reduce(per)


def _array(value: Any) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)
