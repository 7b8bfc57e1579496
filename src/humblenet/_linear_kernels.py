"""Compiled passes for a dense layer's bias and ReLU (optional: ``humblenet[fast]``).

:func:`humblenet.functional.linear` with ``activation="relu"`` adds the bias and takes the ReLU
in two NumPy passes over the product (``out += bias``, ``np.maximum(out, 0, out=out)``), and its
backward takes three: the mask ``out > 0``, ``g * mask`` and the bias gradient (the column sums).
At the sizes of an MLP's hidden layers (15 to 128 rows of 128 to 512 numbers) each pass is a
microsecond or two of work and about as much of Python. The kernels here do each direction in
one pass. Measured with one thread's CPU time, best of 7 x 200 calls (this 2-core machine shared
with other jobs; each figure includes copying the input): bias + ReLU on 15 x 512, 6.6 µs
with NumPy, 1.5 µs here; on 128 x 256, 21.8 µs against 4.7 µs; the backward on 15 x 512,
6.0 µs against 1.9 µs; on 128 x 256, 16.7 µs against 5.2 µs.

Each kernel does the float operations of the NumPy path in the same order and dtype, so both
give the same numbers (``tests/test_linear_kernels.py``):

- forward: ``z = out + b`` then ``max(z, 0)`` as ``np.maximum`` takes it (NaN kept, and ``-0``
  kept since ``-0 >= 0``);
- backward: ``g * (1 if out > 0 else 0)`` as NumPy multiplies by the boolean mask cast to the
  dtype (so an infinite ``g`` where the mask is 0 gives NaN, as it does there), and the bias
  gradient as NumPy sums the rows of a C-ordered matrix along axis 0: row after row into one
  accumulator.

``erf`` is GELU's error function (:func:`humblenet.functional.gelu`), which NumPy lacks: the
NumPy path calls Python's ``math.erf`` once per number through ``np.frompyfunc`` (object arrays,
about 0.1 µs a number); the compiled loop calls the same C library ``erf`` (so the same bits,
``tests/test_linear_kernels.py``) without the Python objects.

The loops walk one row at a time over 1-D slices, which LLVM vectorizes (as in
``_recurrent_kernels.py``). Without numba, or when ``HUMBLENET_FUSED=0`` is set, the NumPy
passes run.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

from humblenet._jit import compile_kernels

_kernels: dict[str, Any] = {}


def linear_kernels() -> SimpleNamespace | None:
    """The compiled kernels (``bias_relu``, ``relu_backward``, ``relu_grad``, ``rows_summed``,
    ``erf``, ``cross_entropy_labels`` and its ``_grad``), or None when numba is absent or turned
    off."""
    if "linear" not in _kernels:
        _kernels["linear"] = compile_kernels(
            bias_relu=_bias_relu,
            relu_backward=_relu_backward,
            relu_grad=_relu_grad,
            rows_summed=_rows_summed,
            erf=_erf,
            cross_entropy_labels=_cross_entropy_labels,
            cross_entropy_labels_grad=_cross_entropy_labels_grad,
        )
    return _kernels["linear"]


def fits(out: np.ndarray, bias: np.ndarray) -> bool:
    """Whether the kernels take these arrays: a C-ordered ``(rows, units)`` float32 or float64
    output and a bias of its dtype and width (anything else takes the NumPy passes)."""
    return (
        out.ndim == 2
        and out.dtype in (np.float32, np.float64)
        and bias.dtype == out.dtype
        and bias.shape == out.shape[1:]
        and out.flags.c_contiguous
        and bias.flags.c_contiguous
    )


def _bias_relu(out: Any, bias: Any) -> None:
    """``out = max(out + bias, 0)`` in place, row by row (``np.maximum``'s rule: NaN stays)."""
    zero = out.dtype.type(0)
    for r in range(out.shape[0]):
        row = out[r]
        for j in range(row.size):
            z = row[j] + bias[j]
            row[j] = z if (z >= zero or z != z) else zero


def _relu_backward(g: Any, out: Any, g_out: Any, g_bias: Any) -> None:
    """``g_out = g * (out > 0)`` and ``g_bias = g_out.sum(axis=0)``, summed row after row."""
    zero = g.dtype.type(0)
    one = g.dtype.type(1)
    g_bias[:] = zero
    for r in range(g.shape[0]):
        gr = g[r]
        outr = out[r]
        gor = g_out[r]
        for j in range(gr.size):
            v = gr[j] * (one if outr[j] > zero else zero)
            gor[j] = v
            g_bias[j] += v


def flat_pair(g: np.ndarray, out: np.ndarray) -> bool:
    """Whether :func:`_relu_grad` takes these: C-ordered float32 or float64 arrays of one shape
    and dtype."""
    return (
        g.shape == out.shape
        and g.dtype == out.dtype
        and out.dtype in (np.float32, np.float64)
        and g.flags.c_contiguous
        and out.flags.c_contiguous
    )


def _relu_grad(g: Any, out: Any, grad: Any) -> None:
    """``grad = g * (out > 0)`` over 1-D arrays in one pass (NumPy makes the mask, then the
    product): the standalone ReLU's backward (``tensor.relu``). A CNN's 32x16x28x28 feature
    maps, one thread: 0.057 against NumPy's 0.115 ms (medians of 50)."""
    for i in range(g.size):
        grad[i] = g[i] * (out[i] > 0)


def _rows_summed(index: Any, g: Any, grad: Any) -> None:
    """``grad[index[k]] += g[k]`` for ``k`` in order: an embedding's gradient (``(n,)`` ids,
    ``(n, dim)`` gradients, ``grad`` zeros ``(rows, dim)``), the additions of ``np.add.at`` in
    its order. The character model's 2,048 ids of 28 rows of 32, one thread: 14 µs, against
    166 µs for the NumPy path's sort and ``add.reduceat`` (which adds in another order)."""
    for k in range(index.size):
        row = grad[index[k]]
        source = g[k]
        for j in range(source.size):
            row[j] += source[j]


def _erf(v: Any, out: Any) -> None:
    """``out[i] = math.erf(v[i])`` over 1-D float64 arrays."""
    for i in range(v.size):
        out[i] = math.erf(v[i])


def _cross_entropy_labels(z: Any, labels: Any, probs: Any, per_row: Any, total: Any) -> int:
    """Softmax cross-entropy of scores ``z`` ``(N, C)`` against class indices ``labels``:
    ``per_row[r] = logsumexp(z[r]) - z[r, labels[r]]``, their sum in ``total[0]`` (float64), and
    the softmax itself in ``probs`` (the backward's gradient is ``probs`` less one at the
    label). Returns -1, or the first row whose label is outside ``0..C-1`` (then nothing is
    computed).

    The NumPy path (``functional.cross_entropy``) takes eleven passes and a dozen calls, 47 µs
    for 128 x 10 scores; this loop over the rows takes about 10. Its numbers agree with that
    path to float rounding, not bit for bit: each row is shifted by its maximum in the scores'
    dtype as there (a NaN maximum, or an infinite one, shifts by 0) and each exponential is
    taken in that dtype, but the sums are float64 and the probabilities are ``exp / sum``, where
    NumPy takes ``exp(log_probs)`` (``tests/test_linear_kernels.py``)."""
    rows, classes = z.shape
    for r in range(rows):
        if labels[r] < 0 or labels[r] >= classes:
            return r
    zero = z.dtype.type(0)
    loss = 0.0
    for r in range(rows):
        row = z[r]
        top = row[0]
        for j in range(1, classes):
            v = row[j]
            if v > top or v != v:  # np.max's rule: a NaN wins
                top = v
        if not (top - top == zero):  # NaN or infinite: no shift, as _shifted does
            top = zero
        out = probs[r]
        sum_exp = 0.0
        for j in range(classes):
            e = math.exp(row[j] - top)
            out[j] = e
            sum_exp += e
        value = math.log(sum_exp) - (row[labels[r]] - top)
        per_row[r] = value
        loss += value
        inverse = 1.0 / sum_exp
        for j in range(classes):
            out[j] = out[j] * inverse
    total[0] = loss
    return -1


def _cross_entropy_labels_grad(probs: Any, labels: Any, factor: Any, grad: Any) -> None:
    """``grad = (probs - onehot(labels)) * factor``, as the NumPy path: the one taken off at the
    label before the product."""
    one = probs.dtype.type(1)
    for r in range(probs.shape[0]):
        pr = probs[r]
        gr = grad[r]
        for j in range(pr.size):
            gr[j] = pr[j] * factor
        label = labels[r]
        gr[label] = (pr[label] - one) * factor
