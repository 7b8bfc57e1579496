"""Optional speed for the convolution ops (``humblenet[fast]``): compiled loops, one BLAS thread.

:mod:`humblenet.conv` writes each op as a few whole-array NumPy calls, and those stay the
readable reference. Where such an op is bound by memory, not arithmetic, the calls cost passes:
batch norm's backward makes five temporaries the size of the input; the convolution's input
gradient adds ``kh kw`` shifted slices of a large matrix into the image, reading the image each
time. The kernels here make one pass (or two) over the data instead, one channel plane at a
time so that it stays in cache. The measurements are in :mod:`humblenet.conv` beside each
caller. Max-pool's commonest case, 2x2 windows at stride 2, has a kernel that reads each window
once and keeps the winner's place (a first try, with branches and a loop over the kernel
offsets, took 4.6 ms on 64x16x28x28 against NumPy's 0.43 ms: written without branches, one
window per step, it vectorizes).

The kernels do the same arithmetic as the NumPy path, but not always in the same order (sums
are accumulated in float64 here), so the two agree to rounding, not bit for bit; the tests
(tests/test_conv_kernels.py) compare them at 1e-6 (float32) and 1e-12 (float64), and the oracle
tests against torch run the kernel path, the default when numba is installed.

Without numba, or when ``HUMBLENET_FUSED=0`` is set, the NumPy path runs.

:func:`one_blas_thread` is the other half: the convolution's matrix products are stacks of one
small product per sample, and NumPy hands each to OpenBLAS on its own, which splits it over its
threads and then spins waiting for the next. On this 2-core machine the second thread gained
nothing on the CNN's 64x16x14x14 -> 32 when the machine was quiet (the forward's product 1.09
ms with one thread and with two, the input gradient's 1.13 against 1.37 ms), and when other
work held a core (load average 1.5) a forward + backward took 11.6 ms with one thread against
17.2 ms with two (64x16x28x28 -> 32: 32.1 against 40.7 ms). So products of up to
``ONE_THREAD_UP_TO`` multiply-adds per sample (the CNN's two layers: 0.1 and 0.9 million) run
on one thread when threadpoolctl is installed. Larger ones (64x16x28x28 -> 32: 3.6 million)
keep BLAS's threads: on a quiet machine two threads took that forward + backward to 29.9 ms,
and a quiet one-thread figure was not measured. Without threadpoolctl the threads are left as
they are. The second core is used the other way round: the batch is cut into one piece per
core, each piece's products on one BLAS thread (``conv._batch_parts``).
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

from humblenet._jit import compile_kernels
from humblenet._threads import blas

_kernels: dict[str, Any] = {}


def conv_kernels() -> SimpleNamespace | None:
    """The compiled kernels (attributes named as the functions below, without the underscore),
    or None when numba is absent or turned off."""
    if "conv" not in _kernels:
        _kernels["conv"] = compile_kernels(
            channel_moments=_channel_moments,
            normalize_forward=_normalize_forward,
            normalize_backward=_normalize_backward,
            col2im=_col2im,
            col2im_stride1=_col2im_stride1,
            im2col_stride1=_im2col_stride1,
            max_pool_2x2=_max_pool_2x2,
            max_pool_2x2_backward=_max_pool_2x2_backward,
        )
    return _kernels["conv"]


# The per-sample size (multiply-adds) up to which a convolution's products run on one thread.
ONE_THREAD_UP_TO = 2_000_000


def one_blas_thread(work: int = 0) -> contextlib.AbstractContextManager[Any]:
    """A context in which NumPy's BLAS uses one thread for products of ``work`` multiply-adds
    per sample up to ``ONE_THREAD_UP_TO`` (a no-op above it, or without threadpoolctl)."""
    if work > ONE_THREAD_UP_TO:
        return contextlib.nullcontext()
    controller = blas()
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1)


def _channel_moments(x: Any, mean: Any, var: Any, lo: Any, hi: Any) -> None:
    """Per channel ``lo <= c < hi`` of ``x (N, C, P)``: the mean and the biased variance, in two
    passes (the second over the centred values, so no cancellation), accumulated in float64.

    Each sum runs in four accumulators, numbers ``p`` with ``p % 4 == k`` in the ``k``-th, added
    together at the end: one accumulator makes every addition wait for the one before (its
    latency, about 4 cycles), four keep the adder busy (64x32x28x28, forward + backward, one
    thread: 5.6 ms with one accumulator). The order is fixed, so each channel's numbers do not
    depend on anything but its values.

    These kernels take a range of channels so that threads can share the channels out
    (``conv._channel_parts``): each channel's numbers do not depend on the range."""
    n_, _, p_ = x.shape
    count = n_ * p_
    full = p_ - p_ % 4
    for c in range(lo, hi):
        s0 = s1 = s2 = s3 = 0.0
        for n in range(n_):
            row = x[n, c]
            for p in range(0, full, 4):
                s0 += row[p]
                s1 += row[p + 1]
                s2 += row[p + 2]
                s3 += row[p + 3]
            for p in range(full, p_):
                s0 += row[p]
        m = ((s0 + s1) + (s2 + s3)) / count
        s0 = s1 = s2 = s3 = 0.0
        for n in range(n_):
            row = x[n, c]
            for p in range(0, full, 4):
                d0 = row[p] - m
                d1 = row[p + 1] - m
                d2 = row[p + 2] - m
                d3 = row[p + 3] - m
                s0 += d0 * d0
                s1 += d1 * d1
                s2 += d2 * d2
                s3 += d3 * d3
            for p in range(full, p_):
                d = row[p] - m
                s0 += d * d
        mean[c] = m
        var[c] = ((s0 + s1) + (s2 + s3)) / count


def _normalize_forward(
    x: Any, mean: Any, inv_std: Any, scale: Any, shift: Any, out: Any, lo: Any, hi: Any
) -> None:
    """``out = (x - mean) * inv_std * scale + shift`` per channel ``lo <= c < hi`` of ``(N, C,
    P)``; ``mean`` and ``inv_std`` in ``x``'s dtype, as the NumPy path rounds them."""
    n_, _, p_ = x.shape
    for n in range(n_):
        for c in range(lo, hi):
            m, s, a, b = mean[c], inv_std[c], scale[c], shift[c]
            row = x[n, c]
            target = out[n, c]
            for p in range(p_):
                target[p] = (row[p] - m) * s * a + b


def _normalize_backward(
    x: Any,
    g: Any,
    mean: Any,
    inv_std: Any,
    scale: Any,
    gx: Any,
    sums: Any,
    scratch: Any,
    batch_stats: bool,
    lo: Any,
    hi: Any,
) -> None:
    """The backward of :func:`_normalize_forward` with the batch's statistics: ``sums[0, c]`` =
    sum of ``g`` (the shift's gradient), ``sums[1, c]`` = sum of ``g * x_hat`` (the scale's), and
    ``gx = scale inv_std (g - mean(g) - x_hat mean(g x_hat))``; ``x_hat`` is recomputed from ``x``,
    not stored. Without ``batch_stats`` the statistics are constants: ``gx = g scale inv_std``.
    ``scratch`` (two numbers of ``x``'s dtype for each channel, ``(C, 2)``) rounds the two
    means to that dtype, so the last loop runs in it. Channels ``lo <= c < hi`` only."""
    n_, _, p_ = x.shape
    count = n_ * p_
    full = p_ - p_ % 4
    for c in range(lo, hi):
        m, s = mean[c], inv_std[c]
        # four accumulators for each sum, as in _channel_moments
        g0 = g1 = g2 = g3 = 0.0
        h0 = h1 = h2 = h3 = 0.0
        for n in range(n_):
            row = x[n, c]
            grow = g[n, c]
            for p in range(0, full, 4):
                v0, v1, v2, v3 = grow[p], grow[p + 1], grow[p + 2], grow[p + 3]
                g0 += v0
                g1 += v1
                g2 += v2
                g3 += v3
                h0 += v0 * ((row[p] - m) * s)
                h1 += v1 * ((row[p + 1] - m) * s)
                h2 += v2 * ((row[p + 2] - m) * s)
                h3 += v3 * ((row[p + 3] - m) * s)
            for p in range(full, p_):
                gv = grow[p]
                g0 += gv
                h0 += gv * ((row[p] - m) * s)
        sum_g = (g0 + g1) + (g2 + g3)
        sum_gx = (h0 + h1) + (h2 + h3)
        sums[0, c] = sum_g
        sums[1, c] = sum_gx
        a = scale[c] * s
        scratch[c, 0] = sum_g / count if batch_stats else 0.0
        scratch[c, 1] = sum_gx / count if batch_stats else 0.0
        mg, mgx = scratch[c, 0], scratch[c, 1]
        for n in range(n_):
            row = x[n, c]
            grow = g[n, c]
            target = gx[n, c]
            for p in range(p_):
                target[p] = a * (grow[p] - mg - (row[p] - m) * s * mgx)


def _col2im(part: Any, image: Any, stride: Any, dilation: Any) -> None:
    """``image[n, c, y s + i d, x s + j d] += part[n, c, i, j, y, x]``: the columns' gradient
    ``(N, C, kh, kw, Ho, Wo)`` summed back into the padded image ``(N, C, Hp, Wp)``, any stride,
    one plane at a time (in cache)."""
    n_, c_, kh, kw, ho, wo = part.shape
    s0, s1 = max(stride[0], 1), max(stride[1], 1)  # not negative: see _col2im_stride1
    d0, d1 = max(dilation[0], 1), max(dilation[1], 1)
    for n in range(n_):
        for c in range(c_):
            plane = image[n, c]
            for i in range(kh):
                for j in range(kw):
                    source = part[n, c, i, j]
                    for y in range(ho):
                        row = plane[y * s0 + i * d0]
                        left = j * d1
                        values = source[y]
                        for x in range(wo):
                            row[left + x * s1] += values[x]


def _col2im_stride1(part: Any, image: Any, dilation: Any) -> None:
    """:func:`_col2im` for stride 1, the same sums in the same order: each row's ``+=`` then
    runs over neighbouring numbers, which LLVM vectorizes (a stride known only at run time
    keeps :func:`_col2im`'s loop scalar). 32x16x3x3x14x14 into 32x16x16x16, one thread: 0.21
    against 0.68 ms (medians of 50)."""
    n_, c_, kh, kw, ho, wo = part.shape
    # at least 1, so that LLVM knows every index below is not negative: else each element's
    # index gets numba's wrap-around test for negative indices, and the loop stays scalar
    # (0.58 ms with it, 0.21 without, on the figure above)
    d0, d1 = max(dilation[0], 1), max(dilation[1], 1)
    for n in range(n_):
        for c in range(c_):
            plane = image[n, c]
            for i in range(kh):
                for j in range(kw):
                    source = part[n, c, i, j]
                    left = j * d1
                    for y in range(ho):
                        row = plane[y + i * d0]
                        values = source[y]
                        for x in range(wo):
                            row[left + x] += values[x]


def _im2col_stride1(x: Any, cols: Any, dilation: Any, pad: Any) -> None:
    """The windows of ``x (N, C, H, W)`` at stride 1 into ``cols (N, C, kh, kw, Ho, Wo)``:
    ``cols[n, c, i, j, y, q] = x[n, c, y + i d - pad_top, q + j d - pad_left]``, 0 where that
    falls in the padding (as ``conv._copy_windows``, the same numbers). A plane of ``cols``
    that meets the padding is zeroed first in one pass, then its rows inside the image are
    copied: a zero written per row's border costs a call each. 64x16x14x14, 3x3, padding 1,
    one thread: 0.61 against 0.66 ms for the NumPy copies (64x1x28x28: 0.08 against 0.13 ms),
    and no Python between the planes, so threads run it side by side."""
    n_, c_, h, w = x.shape
    kh, kw, ho, wo = cols.shape[2:]
    d0, d1 = max(dilation[0], 1), max(dilation[1], 1)  # not negative: see _col2im_stride1
    for n in range(n_):
        for c in range(c_):
            plane = x[n, c]
            for i in range(kh):
                for j in range(kw):
                    shift = j * d1 - pad[1]  # input column = output column + shift
                    lo = max(0, min(wo, -shift))  # the output columns [lo, lo + count) inside
                    count = max(0, min(wo, w - shift) - lo)
                    first = max(0, shift)  # the input column of output column lo
                    target = cols[n, c, i, j]
                    top = i * d0 - pad[0]  # input row = output row + top
                    if count < wo or top < 0 or ho - 1 + top >= h:  # meets the padding
                        flat = target.reshape(-1)
                        for q in range(ho * wo):
                            flat[q] = 0
                    for y in range(ho):
                        r = y + top
                        if r < 0 or r >= h:
                            continue
                        source = plane[max(r, 0)]
                        row = target[y]
                        for k in range(count):
                            row[lo + k] = source[first + k]


def _max_pool_2x2(x: Any, out: Any, winner: Any) -> None:
    """2x2 max-pool at stride 2 of ``x (N, C, H, W)`` into ``out (N, C, H // 2, W // 2)``, and in
    ``winner`` (uint8) which of the window's four (0 to 3, in scan order) gave the maximum.

    The NumPy path's rules: a NaN in the window wins (as ``np.maximum``), a tie goes to the
    first in scan order, and a window whose maximum is NaN has no winner (4), so its gradient is
    0, as ``x == out`` finds none there. Selects, not branches, so the loop vectorizes."""
    n_, c_, ho, wo = out.shape
    for n in range(n_):
        for c in range(c_):
            for y in range(ho):
                top = x[n, c, 2 * y]
                bottom = x[n, c, 2 * y + 1]
                row = out[n, c, y]
                places = winner[n, c, y]
                for i in range(wo):
                    m = top[2 * i]
                    k = 0
                    v = top[2 * i + 1]
                    take = v > m or v != v
                    m = v if take else m
                    k = 1 if take else k
                    v = bottom[2 * i]
                    take = v > m or v != v
                    m = v if take else m
                    k = 2 if take else k
                    v = bottom[2 * i + 1]
                    take = v > m or v != v
                    m = v if take else m
                    k = 3 if take else k
                    row[i] = m
                    places[i] = k if m == m else 4


def _max_pool_2x2_backward(winner: Any, g: Any, gx: Any) -> None:
    """The gradient of :func:`_max_pool_2x2`: each window's ``g`` to its winner, 0 to the other
    three (``g`` times 0 or 1, as the NumPy path's ``hit * g``). Writes every pixel of the
    windows; an odd last row or column of ``gx`` is the caller's to zero."""
    n_, c_, ho, wo = g.shape
    for n in range(n_):
        for c in range(c_):
            for y in range(ho):
                top = gx[n, c, 2 * y]
                bottom = gx[n, c, 2 * y + 1]
                places = winner[n, c, y]
                row = g[n, c, y]
                for i in range(wo):
                    k = places[i]
                    v = row[i]
                    top[2 * i] = v * (k == 0)
                    top[2 * i + 1] = v * (k == 1)
                    bottom[2 * i] = v * (k == 2)
                    bottom[2 * i + 1] = v * (k == 3)
