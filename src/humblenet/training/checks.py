"""Checking the data given to ``fit`` / ``evaluate`` / ``predict`` before any weight is touched.

Inputs must be numbers, have samples, be finite and match the model's input shape; targets must
match what the loss expects (``loss.targets``: integer labels in range, one-hot rows, binary
values or plain values of the model's output shape). Each message names the call, what was
received and what to do, as scikit-learn's input checks do.

>>> import numpy as np
>>> all_finite(np.array([1.0, np.inf]))
False
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.nn.module import Module
from humblenet.tensor import Tensor, no_grad

__all__ = ["all_finite", "check_x", "check_y", "model_dtype", "output_units"]


def model_dtype(model: Module) -> np.dtype:
    """The parameters' dtype (for a model not built yet: the first dtype a layer asks for)."""
    params = model.parameters()
    if params:
        return params[0].dtype
    for layer in model.modules():
        dtype = getattr(layer, "dtype", None)
        if isinstance(dtype, np.dtype):
            return dtype
    return np.dtype(np.float32)


def all_finite(array: np.ndarray) -> bool:
    """No NaN or infinity in ``array``, checked without a temporary array of its size.

    A NaN or an infinity makes the sum NaN or infinite, so a finite sum (in the array's own
    dtype) proves every element finite; only if the sum is not finite (some element is not,
    or finite values overflowed when added) is every element checked. The sum in the array's
    dtype rather than float64 reads float32 data without converting it: measured on 10,000 x
    784 float32 images, 1.6 ms against 4.6 ms, which is about a tenth of ``predict`` on them.
    """
    if array.dtype.kind != "f":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(array)
    return bool(np.isfinite(total)) or bool(np.all(np.isfinite(array)))


def _expected_input(model: Module) -> tuple[int, ...] | None:
    if not getattr(model, "built", True):
        return None
    shape = getattr(model, "input_shape", None)
    return tuple(shape) if shape is not None else None


def check_x(
    model: Module, x: Any, where: str, input_shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """``x`` as a float array of the model's dtype, refusing what the model cannot take.

    The samples must have the model's input shape, or ``input_shape`` when the model is not
    built yet (None: any shape).
    """
    if isinstance(x, Tensor):
        x = x.data
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{where}: x must hold numbers, got dtype {array.dtype}; convert text columns to "
            "numbers first"
        )
    if array.ndim == 0:
        raise ValueError(f"{where}: x is a single number; expected an array of samples")
    if len(array) == 0:
        raise ValueError(f"{where}: x has no samples (shape {array.shape})")
    if array.ndim == 1:
        raise ValueError(
            f"{where}: x is 1-D with shape {array.shape}; expected (samples, features). "
            "Use x.reshape(-1, 1) for one feature per sample, or x.reshape(1, -1) for one sample"
        )
    array = array.astype(model_dtype(model), copy=False)
    if not all_finite(array):
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"{where}: x contains NaN or infinity (first at index {position}: "
            f"{array[position]}); remove or fill those values"
        )
    expected = _expected_input(model) or input_shape
    if expected is not None and array.shape[1:] != expected:
        if len(expected) == 1 and array.ndim == 2:
            raise ValueError(
                f"{where}: x has {array.shape[1]} features, but the model expects {expected[0]}"
            )
        raise ValueError(
            f"{where}: x has samples of shape {array.shape[1:]}, but the model expects "
            f"{expected}{_shape_hint(array.shape, tuple(expected))}"
        )
    return array


def _shape_hint(shape: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """How to turn an array of ``shape`` into samples of ``expected``, for the likely mistakes:
    one sample without its batch axis, images without their channel axis, channels last for
    a model that takes them first (or the other way round)."""
    if shape == expected:
        return "; x looks like one sample: give a batch of one, x[None] (or x.reshape(1, *x.shape))"
    if len(expected) >= 2 and shape[1:] == expected[1:] and expected[0] == 1:
        return "; add the channel axis: x[:, None] (or x.reshape(len(x), 1, *x.shape[1:]))"
    if len(expected) == 3 and shape[1:] == (*expected[1:], expected[0]):
        return "; the channels come last in x: move them first, np.transpose(x, (0, 3, 1, 2))"
    if len(expected) == 3 and shape[1:] == (expected[2], *expected[:2]):
        return "; the channels come first in x: move them last, np.transpose(x, (0, 2, 3, 1))"
    return ""


def output_units(model: Module, x: np.ndarray) -> int:
    """The model's outputs per sample for samples like ``x`` (built or not).

    A model that can compute its output shape says it; any other model is run on one sample,
    in evaluation mode and without recording a graph.
    """
    compute = getattr(model, "compute_output_shape", None)
    if compute is not None:
        return int(compute(x.shape[1:])[-1])
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = model(Tensor(x[:1]))
    finally:
        model.train(was_training)
    return int(out.shape[-1])


def check_y(model: Module, loss: Any, y: Any, x: np.ndarray, where: str) -> np.ndarray:
    """Targets for the inputs ``x``, checked against what ``loss`` expects (``loss.targets``)."""
    n = len(x)
    if y is None:
        raise ValueError(f"{where}: y (the targets) is missing")
    if isinstance(y, Tensor):
        y = y.data
    array = np.asarray(y)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{where}: y must hold numbers, got dtype {array.dtype}; encode text labels as "
            "integers 0..n_classes-1"
        )
    if len(array) != n:
        raise ValueError(
            f"{where}: x and y have different lengths: x has {n} samples, y has {len(array)}"
        )
    if array.dtype.kind == "f" and not all_finite(array):
        index = int(np.argwhere(~np.isfinite(array.reshape(n, -1)))[0][0])
        raise ValueError(f"{where}: y contains NaN or infinity (first at sample {index})")
    targets = getattr(loss, "targets", "any")
    if targets == "any":  # a loss of the user's own: it checks its targets itself
        return array
    units = output_units(model, x)
    if targets == "labels":
        return _labels(array, units, where)
    if array.ndim == 1 and units == 1:
        array = array.reshape(-1, 1)
    if array.shape[1:] != (units,):
        raise ValueError(
            f"{where}: y has shape {array.shape}, but the model gives {units} outputs per sample"
        )
    return array.astype(model_dtype(model), copy=False)


def _labels(array: np.ndarray, units: int, where: str) -> np.ndarray:
    """Integer class labels in ``0..units-1`` (one per sample, a column accepted)."""
    flat = array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array
    if flat.ndim != 1:
        raise ValueError(
            f"{where}: sparse_categorical_crossentropy expects one integer label per sample, "
            f"got y of shape {array.shape}; use categorical_crossentropy for one-hot rows"
        )
    if flat.dtype.kind == "f" and not np.all(flat == np.round(flat)):
        raise ValueError(
            f"{where}: class labels must be whole numbers, got e.g. "
            f"{flat[flat != np.round(flat)][0]}"
        )
    labels = flat.astype(np.int64)
    bad = (labels < 0) | (labels >= units)
    if bad.any():
        raise ValueError(
            f"{where}: class label {labels[bad][0]} is outside 0..{units - 1}: the model's "
            f"last layer has {units} outputs; give it as many units as there are classes"
        )
    return labels
