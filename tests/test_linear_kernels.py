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


def test_the_compiled_erf_gives_python_s_math_erf_bits() -> None:
    """GELU's error function: the compiled loop against ``math.erf`` called number by number,
    over normal values, the tails where erf is +-1, tiny and subnormal values, signed zeros,
    infinities and NaN."""
    import math

    rng = np.random.default_rng(0)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 5e-324, -5e-324, 1e-8, -30.0, 30.0]
    v = np.concatenate([rng.standard_normal(20_000) * 3, special])
    kernels = _linear_kernels.linear_kernels()
    assert kernels is not None
    out = np.empty_like(v)
    kernels.erf(v, out)
    want = np.array([math.erf(value) for value in v])
    np.testing.assert_array_equal(out, want)
    assert np.array_equal(np.signbit(out), np.signbit(want))  # erf(-0) is -0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_gives_the_same_bits_with_and_without_the_kernel(monkeypatch, dtype) -> None:
    rng = np.random.default_rng(1)
    z = (rng.standard_normal((7, 13)) * 4).astype(dtype)
    z[0, :3] = [0.0, -0.0, 40.0]
    g = rng.standard_normal(z.shape).astype(dtype)

    def run() -> list[np.ndarray]:
        x = Tensor(z.copy(), requires_grad=True)
        out = F.gelu(x)
        out.backward(g)
        return [out.data, x.grad]

    fused = run()
    monkeypatch.setitem(_linear_kernels._kernels, "linear", None)
    reference = run()
    for got, want in zip(fused, reference, strict=True):
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (64, 8, 30, 30)])
def test_relu_backward_kernel_gives_the_numpy_bits(monkeypatch, dtype, shape) -> None:
    """The standalone ReLU's backward (``Tensor.relu``, ``nn.ReLU``) through ``relu_grad``, whole
    and, for the large array, in the pieces that ``spread`` shares out: the bits of NumPy's
    ``g * (out > 0)``, with -0, NaN and infinite gradients where the unit is off and on."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    flat_x, flat_g = x.reshape(-1), g.reshape(-1)
    flat_x[:1] = -0.0
    if flat_x.size > 4:
        flat_x[1:3] = -1.0
        flat_x[3] = 2.0
        flat_g[1:4] = [np.inf, np.nan, -np.inf]

    def grads() -> np.ndarray:
        xt = Tensor(x, requires_grad=True)
        with np.errstate(invalid="ignore"):  # inf * 0 on NumPy's path, by design
            xt.relu().backward(g)
        return xt.grad

    assert _linear_kernels.linear_kernels() is not None
    fused = grads()
    monkeypatch.setitem(_linear_kernels._kernels, "linear", None)
    reference = grads()
    assert fused.dtype == reference.dtype == dtype
    np.testing.assert_array_equal(fused, reference)
    assert np.array_equal(np.signbit(fused), np.signbit(reference))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_rows_summed_kernel_adds_in_np_add_at_order(monkeypatch, dtype) -> None:
    """The embedding's gradient through ``rows_summed``: the bits of ``np.add.at`` (the same
    additions in the same order), close to the NumPy path's sorted ``add.reduceat``; repeated
    ids accumulate and the padding row gets nothing, on both paths."""
    from humblenet import nn

    rng = np.random.default_rng(4)
    ids = rng.integers(0, 7, size=(5, 9))
    g = rng.standard_normal((5, 9, 6)).astype(dtype)

    def grads() -> np.ndarray:
        layer = nn.Embedding(7, 6, padding_idx=2, seed=0, dtype=dtype)
        layer(ids).backward(g)
        return layer.weight.grad

    fused = grads()
    expected = np.zeros((7, 6), dtype=dtype)
    np.add.at(expected, ids.ravel(), g.reshape(-1, 6))
    expected[2] = 0
    np.testing.assert_array_equal(fused, expected)
    monkeypatch.setitem(_linear_kernels._kernels, "linear", None)
    np.testing.assert_allclose(grads(), expected, rtol=1e-6 if dtype == np.float32 else 1e-13)


def _cross_entropy(z: np.ndarray, labels: np.ndarray, reduction: str) -> list[np.ndarray]:
    zt = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(zt, labels, reduction=reduction)
    loss.backward(np.asarray(1.5, dtype=z.dtype))
    return [np.asarray(loss.data), zt.grad]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 3), (128, 10), (7, 300)])
def test_fused_cross_entropy_agrees_with_the_numpy_path(monkeypatch, dtype, reduction, shape):
    """The compiled cross-entropy against class indices (value and gradient) against the NumPy
    passes, to float rounding (its sums are float64, so it is the closer of the two to the
    exact value: both are also checked against a float64 reference), and against PyTorch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z = (rng.standard_normal(shape) * 4).astype(dtype)
    labels = rng.integers(0, shape[1], shape[0])
    fused = _cross_entropy(z, labels, reduction)
    monkeypatch.setitem(_linear_kernels._kernels, "linear", None)
    plain = _cross_entropy(z, labels, reduction)
    exact = _cross_entropy(z.astype(np.float64), labels, reduction)
    zt = torch.tensor(z, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(zt, torch.from_numpy(labels), reduction=reduction)
    (loss * 1.5).backward()
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    for got, want, reference, oracle in zip(
        fused, plain, exact, [loss.detach().numpy(), zt.grad.numpy()], strict=True
    ):
        assert got.dtype == want.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(got, reference, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(got, oracle, rtol=10 * rtol, atol=10 * rtol)


def test_fused_cross_entropy_keeps_the_numpy_rules_for_odd_scores(monkeypatch) -> None:
    """A NaN score makes its row's loss NaN and an infinite maximum shifts by 0 (so that row is
    NaN too) on both paths, with the same gradients; a row of -inf but one finite score gives a
    loss of exactly 0; a label out of range gives the NumPy path's message, naming the first
    bad label."""
    z = np.array([[1.0, np.nan, 2.0], [np.inf, 0.0, 1.0], [-np.inf, 3.0, -np.inf]], np.float32)
    labels = np.array([0, 1, 1])
    results = []
    for kernels in ("on", "off"):
        if kernels == "off":
            monkeypatch.setitem(_linear_kernels._kernels, "linear", None)
        with np.errstate(invalid="ignore"):
            zt = Tensor(z, requires_grad=True)
            loss = F.cross_entropy(zt, labels, reduction="sum")
            loss.backward()
            last = float(F.cross_entropy(Tensor(z[2:]), labels[2:]).data)
        results.append((float(loss.data), zt.grad, last))
        with pytest.raises(ValueError, match=r"class label 5 is outside 0..2 for 3 classes"):
            F.cross_entropy(Tensor(z[:1]), np.array([5]))
        with pytest.raises(ValueError, match=r"class label -1 is outside 0..2 for 3 classes"):
            F.cross_entropy(Tensor(z[2:]), np.array([-1]))
    (fused_loss, fused_grad, fused_last), (plain_loss, plain_grad, plain_last) = results
    assert np.isnan(fused_loss) and np.isnan(plain_loss)
    np.testing.assert_array_equal(np.isnan(fused_grad), np.isnan(plain_grad))
    np.testing.assert_allclose(fused_grad, plain_grad, rtol=1e-6, atol=1e-7)
    assert fused_last == plain_last == 0.0
