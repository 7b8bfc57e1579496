"""The compiled loops of ``humblenet._conv_kernels`` give the numbers of the NumPy path in
``humblenet.conv``.

The kernels sum in float64 and in another order than NumPy, so the two agree to rounding: within
1e-6 (float32) and 1e-12 (float64), relative to the largest value. Compared: batch norm's output,
input gradient, weight and bias gradients and running statistics (training and evaluation, with
and without the affine parameters, (N, C), (N, C, L) and (N, C, H, W) inputs, batch 1 with
spatial size), and the convolution's input gradient through the compiled scatter (strides 1
to 3, padding, dilation and groups). The oracle tests against torch
(tests/oracle/test_oracle_conv.py) run the kernel path, the default when numba is installed
(the test extra installs it).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from humblenet import Tensor, _conv_kernels
from humblenet import conv as C

TOLERANCE = {np.float32: 1e-6, np.float64: 1e-12}


def both_paths(monkeypatch: pytest.MonkeyPatch, run):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(C, "_use_kernels", True)
    fused = run()
    monkeypatch.setattr(C, "_use_kernels", False)
    plain = run()
    return fused, plain


def assert_close(fused: list[np.ndarray], plain: list[np.ndarray], dtype: type) -> None:
    assert len(fused) == len(plain)
    for a, b in zip(fused, plain, strict=True):
        assert a.dtype == b.dtype == dtype
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE[dtype] * scale)


def test_the_kernels_are_available():
    """The test extra installs numba; without it the tests below would compare NumPy to NumPy."""
    assert _conv_kernels.conv_kernels() is not None


def test_turned_off_by_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_conv_kernels, "_kernels", {})
    monkeypatch.setenv("HUMBLENET_FUSED", "0")
    assert _conv_kernels.conv_kernels() is None
    monkeypatch.setattr(_conv_kernels, "_kernels", {})
    monkeypatch.delenv("HUMBLENET_FUSED")
    assert _conv_kernels.conv_kernels() is not None


SHAPES = [(5, 3), (4, 3, 7), (2, 3, 5, 4), (1, 2, 3, 3)]


@pytest.mark.parametrize(
    ("shape", "dtype", "training", "affine"),
    list(itertools.product(SHAPES, [np.float32, np.float64], [True, False], [True, False])),
)
def test_batch_norm_kernels_match_numpy(monkeypatch, shape, dtype, training, affine):
    def run() -> list[np.ndarray]:
        rng = np.random.default_rng(0)
        c = shape[1]
        x = Tensor((rng.standard_normal(shape) * 2 + 1.5).astype(dtype), requires_grad=True)
        params = (
            [Tensor(rng.standard_normal(c).astype(dtype), requires_grad=True) for _ in range(2)]
            if affine
            else [None, None]
        )
        mean = Tensor(rng.standard_normal(c).astype(dtype))
        var = Tensor(rng.uniform(0.5, 2.0, c).astype(dtype))
        out = C.batch_norm(x, mean, var, *params, training=training, momentum=0.3)
        out.backward(rng.standard_normal(out.shape).astype(dtype))
        grads = [p.grad for p in params if p is not None]
        return [out.data, x.grad, *grads, mean.data, var.data]

    fused, plain = both_paths(monkeypatch, run)
    assert_close(fused, plain, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "out_channels", "kernel", "stride", "padding", "dilation", "groups"),
    [
        ((2, 3, 6, 5), 4, 3, 1, 1, 1, 1),
        ((3, 4, 7, 7), 6, 3, 1, "same", 2, 2),
        ((1, 2, 5, 8), 2, (2, 3), 1, 0, 1, 1),
        ((2, 1, 9, 9), 3, 5, 1, 2, 1, 1),
        ((2, 3, 7, 6), 4, 3, 2, 1, 1, 1),
        ((1, 4, 9, 8), 2, 2, (3, 2), 0, (2, 1), 2),
    ],
)
def test_conv_input_gradient_kernel_matches_numpy(
    monkeypatch, dtype, shape, out_channels, kernel, stride, padding, dilation, groups
):
    def run() -> list[np.ndarray]:
        rng = np.random.default_rng(1)
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        x = Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
        w = Tensor(
            rng.standard_normal((out_channels, shape[1] // groups, kh, kw)).astype(dtype),
            requires_grad=True,
        )
        out = C.conv2d(x, w, None, stride, padding, dilation, groups)
        out.backward(rng.standard_normal(out.shape).astype(dtype))
        return [out.data, x.grad, w.grad]

    fused, plain = both_paths(monkeypatch, run)
    assert_close(fused, plain, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dilation", [(1, 1), (2, 1), (1, 3)])
def test_stride_1_scatter_gives_the_general_scatters_bits(dtype, dilation):  # type: ignore[no-untyped-def]
    """``col2im_stride1`` sums the same numbers in the same order as ``col2im`` at stride 1."""
    kernels = _conv_kernels.conv_kernels()
    rng = np.random.default_rng(2)
    kh, kw, ho, wo = 3, 2, 5, 7
    part = rng.standard_normal((2, 3, kh, kw, ho, wo)).astype(dtype)
    size = (ho + dilation[0] * (kh - 1), wo + dilation[1] * (kw - 1))
    start = rng.standard_normal((2, 3, *size)).astype(dtype)
    general, special = start.copy(), start.copy()
    kernels.col2im(part, general, (1, 1), dilation)
    kernels.col2im_stride1(part, special, dilation)
    np.testing.assert_array_equal(special, general)
    assert not np.array_equal(special, start)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("size", "kernel", "dilation", "pads"),
    [
        ((6, 5), (3, 3), (1, 1), ((1, 1), (1, 1))),
        ((6, 5), (3, 3), (1, 1), ((0, 0), (0, 0))),
        ((5, 5), (2, 2), (1, 1), ((0, 1), (0, 1))),  # "same" with an even kernel: bottom, right
        ((5, 7), (2, 3), (2, 1), ((0, 2), (2, 0))),
        ((3, 4), (3, 2), (1, 3), ((2, 2), (1, 3))),
        ((2, 2), (2, 2), (1, 1), ((4, 4), (5, 5))),  # some offsets meet only padding
        ((1, 9), (1, 4), (1, 2), ((0, 0), (3, 3))),
    ],
)
def test_stride_1_windows_kernel_gives_the_numpy_copys_bits(dtype, size, kernel, dilation, pads):  # type: ignore[no-untyped-def]
    """``im2col_stride1`` writes the numbers ``conv._copy_windows`` writes (the image's pixels,
    +0.0 in the padding), for padding on any side (the bottom and right padding follow from the
    output size) and dilation."""
    kernels = _conv_kernels.conv_kernels()
    x = np.random.default_rng(3).standard_normal((2, 3, *size)).astype(dtype)
    out = [n + sum(p) - d * (k - 1) for n, k, d, p in zip(size, kernel, dilation, pads)]
    shape = (2, 3, *kernel, *out)
    expected, got = np.full(shape, np.nan, dtype), np.full(shape, np.nan, dtype)
    top_left = (pads[0][0], pads[1][0])
    C._copy_windows(x, expected, (1, 1), dilation, top_left)
    kernels.im2col_stride1(x, got, dilation, top_left)
    np.testing.assert_array_equal(got, expected)
    assert not np.signbit(got[got == 0]).any()


def _pool_input(shape: tuple[int, ...], dtype: type, seed: int) -> np.ndarray:
    """Values on a coarse grid, so that windows hold ties, with -0.0 beside 0.0, NaNs and
    infinities placed among them."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 3, size=shape).astype(dtype)
    flat = x.reshape(-1)
    picks = rng.permutation(flat.size)
    flat[picks[:3]] = np.nan
    flat[picks[3:6]] = -0.0
    flat[picks[6:8]] = np.inf
    flat[picks[8:10]] = -np.inf
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (3, 2, 7, 5), (1, 1, 2, 2), (2, 1, 3, 9)])
def test_max_pool_2x2_kernel_gives_the_numpy_bits(monkeypatch, shape, dtype):  # type: ignore[no-untyped-def]
    """2x2 at stride 2: the same maxima, and the same gradient to the same winner (the first in
    scan order among ties, none for a window whose maximum is NaN), bit for bit; odd sizes
    leave their last row or column out, with a zero gradient there. (Only the sign of a zero
    maximum may differ: of 0.0 and -0.0 the kernel keeps the first in scan order, as torch does,
    while NumPy's vectorized maximum may keep either. They compare equal.)"""

    def run() -> list[np.ndarray]:
        x = Tensor(_pool_input(shape, dtype, seed=sum(shape)), requires_grad=True)
        out = C.max_pool2d(x, 2)
        # a gradient with a transposed layout, as an op upstream may hand over
        g = np.random.default_rng(1).standard_normal(out.shape[::-1]).astype(dtype).T
        out.backward(g)
        return [out.data, x.grad]

    fused, plain = both_paths(monkeypatch, run)
    for a, b in zip(fused, plain, strict=True):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    assert np.array_equal(np.signbit(fused[1]), np.signbit(plain[1]))  # the gradient's bits
    assert np.isnan(fused[0]).any()  # a NaN window was met


def test_max_pool_2x2_kernel_runs_only_where_it_applies(monkeypatch):  # type: ignore[no-untyped-def]
    """Other windows, strides, padding and ceil_mode take the NumPy path, and agree with the
    kernel's neighbour where they overlap (a 2x2 pool of an even image with ceil_mode on)."""
    calls = []
    kernels = _conv_kernels.conv_kernels()
    real = kernels.max_pool_2x2

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(kernels, "max_pool_2x2", counted)
    x = Tensor(_pool_input((2, 2, 6, 6), np.float32, seed=3))
    C.max_pool2d(x, 2)
    assert len(calls) == 1
    for options in [dict(kernel_size=3), dict(kernel_size=2, stride=1),
                    dict(kernel_size=2, padding=1), dict(kernel_size=2, dilation=2),
                    dict(kernel_size=(2, 1))]:
        C.max_pool2d(x, **options)
    assert len(calls) == 1
    x5 = Tensor(_pool_input((2, 2, 5, 5), np.float32, seed=4))
    C.max_pool2d(x5, 2, ceil_mode=True)  # the last windows stick out: NumPy's padded path
    assert len(calls) == 1
    even = C.max_pool2d(x, 2, ceil_mode=True)  # nothing sticks out: the kernel
    assert len(calls) == 2
    monkeypatch.setattr(C, "_use_kernels", False)
    np.testing.assert_array_equal(even.data, C.max_pool2d(x, 2).data)
