"""The compiled bias + ReLU passes of ``humblenet._linear_kernels`` give the bits of the NumPy
passes beside them in ``humblenet.functional.linear``: the output, and the input, weight and
bias gradients, in float32 and float64, for odd sizes, a batch of one, and the special values
that decide a ReLU's rule (NaN and -0 kept forward; an infinite gradient where the unit is off
gives NaN, as NumPy's ``g * mask`` does). The NumPy path runs with the kernels switched off.
"""

from __future__ import annotations

import numpy as np
import pytest

from humblenet import Tensor, _linear_kernels
from humblenet import functional as F

pytest.importorskip("numba")


def run(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
    xt = Tensor(x, requires_grad=True)
    wt = Tensor(w, requires_grad=True)
    bt = Tensor(b, requires_grad=True)
    with np.errstate(invalid="ignore"):  # inf * 0 on NumPy's path, by design
        out = F.linear(xt, wt, bt, activation="relu")
        out.backward(g)
    return [out.data.copy(), xt.grad, wt.grad, bt.grad]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 3, 5), (15, 7, 33), (128, 20, 64)])
def test_kernels_give_the_numpy_passes_bits(monkeypatch, dtype, shape) -> None:
    n, fin, fout = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, fin)).astype(dtype)
    w = rng.standard_normal((fout, fin)).astype(dtype)
    b = rng.standard_normal(fout).astype(dtype)
    g = rng.standard_normal((n, fout)).astype(dtype)
    b[0] = np.nan  # a NaN pre-activation stays NaN through the ReLU
    x[:, 0] = 0.0
    w[1, :] = 0.0
    b[1] = -0.0  # 0 @ w + -0: the output is exactly -0 or +0 and np.maximum keeps it
    if fout > 2:
        b[2] = -1e6  # a unit that is off everywhere...
        g[:, 2] = np.inf  # ...with an infinite gradient: inf * 0 is NaN on both paths
    assert _linear_kernels.linear_kernels() is not None
    fused = run(x, w, b, g)
    monkeypatch.setitem(_linear_kernels._kernels, "linear", None)
    reference = run(x, w, b, g)
    for got, want in zip(fused, reference, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))


def test_arrays_the_kernels_do_not_take_go_the_numpy_way() -> None:
    out = np.zeros((4, 3), dtype=np.float32)
    assert _linear_kernels.fits(out, np.zeros(3, dtype=np.float32))
    assert not _linear_kernels.fits(out, np.zeros(3, dtype=np.float64))  # mixed dtypes
    assert not _linear_kernels.fits(out.T, np.zeros(4, dtype=np.float32))  # not C-ordered
    assert not _linear_kernels.fits(np.zeros((2, 4, 3), np.float32), np.zeros(3, np.float32))
    assert not _linear_kernels.fits(out.astype(np.float16), np.zeros(3, dtype=np.float16))
