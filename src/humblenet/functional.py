"""Activations, the softmax family, dropout and losses: differentiable functions on tensors.

(``relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax`` and ``logsumexp`` are also Tensor
methods, so they are defined in :mod:`humblenet.tensor` and exported from here.) Each is a
primitive with its forward and backward side by side, written to be numerically stable
(softmax and log-softmax subtract the maximum, sigmoid is split by sign, cross-entropy takes logits,
binary cross-entropy takes logits or clamps its logarithms) and to make few passes over the data.

The convolution, pooling and normalisation functions of :mod:`humblenet.conv` are re-exported
here (``conv2d``, ``max_pool2d``, ``batch_norm``, ...).

>>> import numpy as np
>>> logits = Tensor(np.array([[1000.0, 0.0]]), requires_grad=True)
>>> float(cross_entropy(logits, np.array([1])).item())
1000.0
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

import numpy as np

from humblenet import _linear_kernels
from humblenet._threads import blas
from humblenet.conv import (
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    conv1d,
    conv2d,
    dropout2d,
    layer_norm,
    max_pool2d,
)
from humblenet.tensor import (
    Tensor,
    _data,
    _shifted,
    _sigmoid,
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    softmax,
    tanh,
    unbroadcast,
)

_REDUCTIONS = ("mean", "sum", "none")


# -- the layer's product -------------------------------------------------------------------------


# A few rows times a transposed weight: OpenBLAS's builds for AVX-512 cores (its SkylakeX,
# Cooperlake and SapphireRapids kernels) take a fast path for a float32 product x @ w.T whose
# output has at most about 1,024 numbers and their full matrix-product path (which first copies
# w into its own layout) above that. Measured on such a machine with one BLAS thread, best of 9:
# 784 -> 256 outputs take 17 µs for 4 rows and 171 µs for 5; for 15 rows, 414 µs in one product
# and 199 µs as four products of at most 4 rows; 512 -> 216, 224 µs against 49 µs; 784 -> 512,
# 857 µs against 497 µs; 32 and 64 rows still gain (551 against 257, 820 against 513 µs), 128
# rows no longer (1,314 against 1,340 µs). So there a float32 batch of fewer than _SMALL_BATCH
# rows (those fit trains with one BLAS thread, training/threads.py) is multiplied in pieces of
# _SMALL_OUTPUT // out_features rows. Each output number is then summed by the other kernel, so
# it may differ from one product's in its last bits (float32 rounding; tests/test_fast_paths.py
# compares both with float64).
#
# Other builds have no such path, and the pieces only read the weight again for each: on an AMD
# EPYC machine (OpenBLAS's Haswell kernels, AVX2), 15 rows took 150 against 284 µs for 784 ->
# 256 and 370 against 1,134 µs for 784 -> 512, one product against the pieces. So the pieces are
# taken only where threadpoolctl reports one of those kernels (``_pieces_pay``): a fixed choice
# for a machine, so its numbers do not depend on a timing.
_SMALL_OUTPUT = 1024
_SMALL_BATCH = 24
_SMALL_PATH_KERNELS = ("skylakex", "cooperlake", "sapphirerapids")
_pieces: bool | None = None  # _pieces_pay's answer, found once


def _pieces_pay() -> bool:
    """Whether NumPy's BLAS is an OpenBLAS with the small-product path above (False without
    threadpoolctl, which tells the kernels' name)."""
    global _pieces
    if _pieces is None:
        controller = blas()
        libraries = [] if controller is None else controller.lib_controllers
        names = [
            str(getattr(library, "architecture", "")).lower()
            for library in libraries
            if library.internal_api == "openblas"
        ]
        _pieces = bool(names) and all(name in _SMALL_PATH_KERNELS for name in names)
    return _pieces


def _product(x2: np.ndarray, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x2 @ w.T`` for a matrix of samples ``x2`` and a weight ``w`` (out, in), in pieces of
    rows where that is faster (see above); into ``out`` when given (the captured step's kept
    array, ``training/capture.py``: the same products, so the same numbers)."""
    rows, units = x2.shape[0], w.shape[0]
    step = max(1, _SMALL_OUTPUT // units)
    small = rows < _SMALL_BATCH and step < rows
    if not small or x2.dtype != np.float32 or w.dtype != np.float32 or not _pieces_pay():
        return np.matmul(x2, w.T, out=out)
    if out is None:
        out = np.empty((rows, units), dtype=np.float32)
    for start in range(0, rows, step):
        np.matmul(x2[start : start + step], w.T, out=out[start : start + step])
    return out


def linear(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, activation: str | None = None
) -> Tensor:
    """``x @ weight.T + bias`` in one step (weight of shape ``(out_features, in_features)``).

    Fusing the bias into the product saves a pass over the output and a graph node. With
    ``activation="relu"`` the ReLU is applied in place too (one node instead of two, and no
    second output array).
    """
    xd, w = x.data, weight.data
    if xd.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input has {xd.shape[-1]} features (shape {xd.shape}), but the layer expects "
            f"{w.shape[1]} (weight shape {w.shape})"
        )
    if activation not in (None, "relu"):
        raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
    # A stack of samples (N, ..., F) goes through BLAS as one (N * ..., F) matrix: np.matmul
    # on a 3-D operand calls one small product per leading index instead (measured: 32x64x128
    # times 128x512, 6.8 ms as a stack, 2.2 ms as one matrix).
    lead = xd.shape[:-1]
    x2 = xd.reshape(-1, xd.shape[-1])
    out = _product(x2, w).reshape(*lead, w.shape[0])
    # Bias and ReLU in one compiled pass each way where it applies (_linear_kernels.py: the
    # same float operations in the same order as the NumPy passes beside it, so the same bits).
    kernels = (
        _linear_kernels.linear_kernels()
        if activation == "relu" and bias is not None and _linear_kernels.fits(out, bias.data)
        else None
    )
    if kernels is not None and bias is not None:
        kernels.bias_relu(out, bias.data)
    else:
        if bias is not None:
            out += bias.data
        if activation == "relu":
            np.maximum(out, 0, out=out)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        gb = None
        if kernels is not None and g.shape == out.shape and g.dtype == out.dtype:
            g = np.ascontiguousarray(g)
            g_out, gb = np.empty_like(out), np.empty(out.shape[1], dtype=out.dtype)
            kernels.relu_backward(g, out, g_out, gb)
            g = g_out
        elif activation == "relu":
            g = g * (out > 0)
        g2 = g.reshape(-1, g.shape[-1])
        gx = np.matmul(g2, w).reshape(xd.shape) if x.requires_grad else None
        gw = np.matmul(g2.T, x2) if weight.requires_grad else None
        if bias is None:
            return gx, gw
        if gb is None and bias.requires_grad:
            gb = np.add.reduce(g2, axis=0)
        return gx, gw, gb if bias.requires_grad else None

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor._make(out, parents, backward, "linear_relu" if activation else "linear")


# -- activations ---------------------------------------------------------------------------------
# relu, sigmoid, tanh, softmax, log_softmax and logsumexp are Tensor methods too (``x.relu()``),
# so their primitives live in humblenet.tensor; this module exports them beside the others.


def logits_of(probabilities: Tensor) -> Tensor | None:
    """The scores that softmax (last axis) or sigmoid turned into ``probabilities``, or None."""
    return probabilities._logits


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    positive = x.data > 0
    out = np.where(positive, x.data, x.data * negative_slope)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (np.where(positive, g, g * negative_slope),)

    return Tensor._make(out, (x,), backward, "leaky_relu")


_erf_object = np.frompyfunc(math.erf, 1, 1)


def _erf(v: np.ndarray) -> np.ndarray:
    """``math.erf`` of each number, as float64: one compiled loop (``_linear_kernels``) when
    numba is there, else one Python call per number."""
    kernels = _linear_kernels.linear_kernels()
    if kernels is None:
        return np.asarray(_erf_object(v), dtype=np.float64)
    flat = np.ascontiguousarray(v, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    kernels.erf(flat, out)
    return out.reshape(np.shape(v))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, ``x * Phi(x)``.

    Args:
        approximate: ``"none"`` for the exact form with the error function (as PyTorch's
            default), ``"tanh"`` for the faster tanh approximation.
    """
    z = x.data
    if approximate == "none":
        cdf = (0.5 * (1.0 + _erf(z / math.sqrt(2.0)).astype(z.dtype))).astype(z.dtype)
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        out = z * cdf

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (g * (cdf + z * pdf),)

    elif approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        inner = k * (z + 0.044715 * z**3)
        t = np.tanh(inner)
        out = 0.5 * z * (1 + t)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            d_inner = k * (1 + 3 * 0.044715 * z * z)
            return (g * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * d_inner),)

    else:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Tensor._make(np.asarray(out, dtype=z.dtype), (x,), backward, "gelu")


# -- dropout -------------------------------------------------------------------------------------


def dropout(
    x: Tensor, rate: float, training: bool = True, rng: np.random.Generator | int | None = None
) -> Tensor:
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Args:
        rate: the probability of dropping an element, in ``[0, 1]``.
        training: when False (evaluation), return ``x`` unchanged.
        rng: a ``numpy.random.Generator`` or a seed; the same seed drops the same elements.
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"dropout: rate must be between 0 and 1, got {rate}")
    if not training or rate == 0:
        return x
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if rate == 1:
        mask = np.zeros(x.data.shape, dtype=x.data.dtype)
    else:
        keep = generator.random(x.data.shape, dtype=np.float64) >= rate
        mask = keep.astype(x.data.dtype) * x.data.dtype.type(1.0 / (1.0 - rate))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g * mask,)

    return Tensor._make(x.data * mask, (x,), backward, "dropout")


# -- losses --------------------------------------------------------------------------------------


def _reduce(values: np.ndarray, reduction: str, name: str) -> tuple[np.ndarray, float]:
    """The loss reduced as asked, and the factor the per-element gradient is scaled by."""
    if reduction == "mean":
        n = values.size
        return np.asarray(values.mean() if n else np.nan, dtype=values.dtype), 1.0 / max(n, 1)
    if reduction == "sum":
        return np.asarray(values.sum(), dtype=values.dtype), 1.0
    if reduction == "none":
        return values, 1.0
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _expand_loss_grad(g: np.ndarray, reduction: str, shape: tuple[int, ...]) -> np.ndarray:
    return g if reduction == "none" else np.broadcast_to(g, shape)


def _as_target(target: Any, prediction: Tensor) -> Tensor:
    """A tensor target passes through (it may require grad); anything else becomes a constant."""
    if isinstance(target, Tensor):
        return target
    return Tensor(np.asarray(target, dtype=prediction.data.dtype))


def _same_shape(name: str, prediction: Tensor, target: Tensor) -> None:
    if prediction.shape != target.shape:
        raise ValueError(
            f"{name}: prediction has shape {prediction.shape} but target has {target.shape}; "
            "they must match (reshape the target, e.g. y.reshape(-1, 1))"
        )


def mse(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error ``mean((prediction - target) ** 2)``."""
    target = _as_target(target, prediction)
    _same_shape("mse", prediction, target)
    diff = prediction.data - target.data
    value, scale = _reduce(diff * diff, reduction, "mse")

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        d = _expand_loss_grad(g, reduction, diff.shape) * (2 * scale) * diff
        return (d if prediction.requires_grad else None), (-d if target.requires_grad else None)

    return Tensor._make(value, (prediction, target), backward, "mse")


def mae(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``mean(|prediction - target|)``."""
    target = _as_target(target, prediction)
    _same_shape("mae", prediction, target)
    diff = prediction.data - target.data
    value, scale = _reduce(np.abs(diff), reduction, "mae")

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        d = _expand_loss_grad(g, reduction, diff.shape) * scale * np.sign(diff)
        return (d if prediction.requires_grad else None), (-d if target.requires_grad else None)

    return Tensor._make(value, (prediction, target), backward, "mae")


def _class_targets(
    name: str, logits: np.ndarray, target: np.ndarray, check_range: bool = True
) -> np.ndarray:
    """Check integer class targets against ``(N, C)`` scores and return them as int64 (their
    range too, unless the caller's kernel checks it)."""
    if logits.ndim != 2:
        raise ValueError(f"{name}: expected scores of shape (batch, classes), got {logits.shape}")
    if target.shape != (logits.shape[0],):
        raise ValueError(
            f"{name}: expected one class index per row, shape ({logits.shape[0]},), "
            f"got target of shape {target.shape}"
        )
    if target.dtype.kind not in "iu":
        if target.dtype.kind == "f" and np.all(np.equal(np.mod(target, 1), 0)):
            target = target.astype(np.int64)
        else:
            raise TypeError(f"{name}: class targets must be integers, got dtype {target.dtype}")
    if check_range and target.size and (target.min() < 0 or target.max() >= logits.shape[1]):
        _bad_label(name, logits, target[(target < 0) | (target >= logits.shape[1])][0])
    return target.astype(np.intp, copy=False)


def _bad_label(name: str, logits: np.ndarray, label: Any) -> NoReturn:
    n_classes = logits.shape[1]
    raise ValueError(
        f"{name}: class label {label} is outside 0..{n_classes - 1} for {n_classes} classes"
    )


def _cross_entropy_fused(logits: Tensor, z: np.ndarray, t: np.ndarray, reduction: str) -> Any:
    """Cross-entropy against class indices in two compiled passes (forward, backward), or None
    where the kernels do not apply: numba absent, scores not a C-ordered float32 or float64
    matrix, or ``reduction="none"``."""
    if reduction not in ("mean", "sum") or z.ndim != 2 or z.dtype not in (np.float32, np.float64):
        return None
    kernels = _linear_kernels.linear_kernels()
    if kernels is None or not z.flags.c_contiguous:
        return None
    labels = _class_targets("cross_entropy", z, t, check_range=False)
    probs = np.empty_like(z)
    per_row = np.empty(z.shape[0], dtype=z.dtype)
    total = np.empty(1)
    bad = kernels.cross_entropy_labels(z, labels, probs, per_row, total)
    if bad >= 0:
        _bad_label("cross_entropy", z, labels[bad])
    n = z.shape[0]
    scale = 1.0 / max(n, 1) if reduction == "mean" else 1.0
    empty_mean = reduction == "mean" and not n  # NaN, as NumPy's mean of nothing
    value = np.asarray(np.nan if empty_mean else total[0] * scale, dtype=z.dtype)

    def backward_fused(g: np.ndarray) -> tuple[np.ndarray]:
        grad = np.empty_like(probs)
        kernels.cross_entropy_labels_grad(probs, labels, z.dtype.type(g * scale), grad)
        return (grad,)

    return Tensor._make(value, (logits,), backward_fused, "cross_entropy")


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from raw scores (logits), with a fused backward.

    Args:
        logits: scores of shape ``(batch, classes)``.
        target: integer class indices of shape ``(batch,)``, or class probabilities (one-hot or
            soft) of shape ``(batch, classes)``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    The gradient is ``softmax(logits) - target`` (scaled by the reduction): one pass, no
    separate softmax node.
    """
    z = logits.data
    t = np.asarray(_data(target))
    if t.ndim == 1:
        fused = _cross_entropy_fused(logits, z, t, reduction)
        if fused is not None:
            return fused
    log_probs = _shifted(z, -1)
    log_probs -= np.log(np.exp(log_probs).sum(axis=-1, keepdims=True))
    if t.ndim == z.ndim and t.dtype.kind == "f":
        if t.shape != z.shape:
            raise ValueError(
                f"cross_entropy: probability targets of shape {t.shape} do not match scores "
                f"{z.shape}"
            )
        t = t.astype(z.dtype, copy=False)
        per_row = -(t * log_probs).sum(axis=-1)
        value, scale = _reduce(per_row, reduction, "cross_entropy")

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            gk = _expand_loss_grad(g, reduction, per_row.shape)[:, None] * scale
            return (gk * (np.exp(log_probs) * t.sum(axis=-1, keepdims=True) - t),)

        return Tensor._make(value, (logits,), backward, "cross_entropy")

    labels = _class_targets("cross_entropy", z, t)
    rows = np.arange(z.shape[0])
    per_row = -log_probs[rows, labels]
    value, scale = _reduce(per_row, reduction, "cross_entropy")

    def backward_labels(g: np.ndarray) -> tuple[np.ndarray]:
        grad = np.exp(log_probs)
        grad[rows, labels] -= 1
        if reduction == "none":
            grad *= (g * scale)[:, None]
        else:
            grad *= g * scale
        return (grad,)

    return Tensor._make(value, (logits,), backward_labels, "cross_entropy")


def nll(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class targets, given log-probabilities."""
    lp = log_probs.data
    labels = _class_targets("nll", lp, np.asarray(_data(target)))
    rows = np.arange(lp.shape[0])
    value, scale = _reduce(-lp[rows, labels], reduction, "nll")

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        grad = np.zeros_like(lp)
        gk = g if reduction == "none" else np.full(lp.shape[0], g, dtype=lp.dtype)
        grad[rows, labels] = -gk * scale
        return (grad,)

    return Tensor._make(value, (log_probs,), backward, "nll")


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy from raw scores: ``max(z, 0) - z * y + log(1 + exp(-|z|))``."""
    z = logits.data
    y = np.asarray(_data(target), dtype=z.dtype)
    _same_shape("binary_cross_entropy_with_logits", logits, Tensor(y))
    per = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    value, scale = _reduce(per, reduction, "binary_cross_entropy_with_logits")

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (_expand_loss_grad(g, reduction, z.shape) * scale * (_sigmoid(z) - y),)

    return Tensor._make(value, (logits,), backward, "binary_cross_entropy_with_logits")


def binary_cross_entropy(probabilities: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy from probabilities in ``[0, 1]``.

    As PyTorch, each logarithm is clamped at -100 so probabilities of exactly 0 or 1 give a finite
    loss, and the gradient's denominator is kept at least 1e-12 so it stays finite too.
    """
    p = probabilities.data
    y = np.asarray(_data(target), dtype=p.dtype)
    _same_shape("binary_cross_entropy", probabilities, Tensor(y))
    if p.size and (np.nanmin(p) < 0 or np.nanmax(p) > 1):
        raise ValueError(
            "binary_cross_entropy: probabilities must lie in [0, 1], got values from "
            f"{np.nanmin(p)} to {np.nanmax(p)}; pass raw scores to "
            "binary_cross_entropy_with_logits instead"
        )
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_1p = np.maximum(np.log1p(-p), -100)
    per = -(y * log_p + (1 - y) * log_1p)
    value, scale = _reduce(per, reduction, "binary_cross_entropy")

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        denominator = np.maximum((1 - p) * p, 1e-12)
        return (_expand_loss_grad(g, reduction, p.shape) * scale * (p - y) / denominator,)

    return Tensor._make(value, (probabilities,), backward, "binary_cross_entropy")


__all__ = [
    "logits_of",
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "dropout2d",
    "layer_norm",
    "max_pool2d",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "gelu",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsumexp",
    "mae",
    "mse",
    "nll",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "unbroadcast",
]
