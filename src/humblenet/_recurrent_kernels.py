"""Compiled per-step kernels for the LSTM's and GRU's time loops (optional: ``humblenet[fast]``).

:mod:`humblenet.recurrent` runs each time step as a few NumPy calls on ``(B, G H)`` arrays. At
the issue's size (batch 64, hidden 128) one call moves 8K-32K numbers, a few microseconds of
work, and each costs about a microsecond of Python besides, so a step's dozen calls weigh as
much as its matrix product. The kernels here do the elementwise part of a step in one pass that
reads each number once: the forward's gate arithmetic between the two ``tanh`` calls, and the
whole elementwise part of a backward step, which also replaces the gate-derivative factors the
NumPy path computes for all steps before its backward loop (four ``(T, B, H)`` arrays and their
temporaries).

The LSTM's float32 ``tanh`` is a kernel here too (:func:`_tanh32`): NumPy's float32 ``tanh``
ran at 0.36 ns a number on the machine where these kernels were first measured, but at 2.6-4
ns on this project's AMD machines (AVX2), where the kernel, a rational function in float32,
takes about 0.45 ns. It is within 5.5 units in the last place of the exact value (3.3e-7
relative error; NumPy's was within 1.4 units). float64 keeps NumPy's ``tanh``, which the oracle
tests' 1e-10 needs. (A compiled loop that called the C library's ``tanhf`` took 69 ns a number:
it is not vectorized.)

Apart from that ``tanh``, each kernel runs the float operations of the NumPy path in the same
order and dtype (the constants come in as arguments of the arrays' dtype; no fastmath, so no
fused multiply-adds).
The GRU's path therefore gives the NumPy path's numbers exactly. The LSTM's kernels work gates
first (``(4H, B)`` a step, one unit per row over the batch; see ``recurrent._lstm_fused`` for
why), so its matrix products and bias sums add in another order and the two paths agree to
float rounding (``tests/test_recurrent_kernels.py``). The loops walk one row at a time over 1-D
slices of C-contiguous arrays, which LLVM vectorizes (a 2-D index in the inner loop was not: 101
µs against 10 µs for a backward step at B 64, H 128; rows of a strided slice were not either: 62
against 12 µs).

Without numba, or when ``HUMBLENET_FUSED=0`` is set, the NumPy path runs.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from humblenet._jit import compile_kernels

_kernels: dict[str, Any] = {}


def recurrent_kernels() -> SimpleNamespace | None:
    """The compiled kernels (attributes named as the functions below, without the underscore),
    or None when numba is absent or turned off."""
    if "recurrent" not in _kernels:
        _kernels["recurrent"] = compile_kernels(
            contract=("tanh32",),
            tanh32=_tanh32,
            lstm_gates=_lstm_gates,
            lstm_backward_step=_lstm_backward_step,
            gru_gates=_gru_gates,
            gru_new=_gru_new,
            gru_output=_gru_output,
            gru_backward_step=_gru_backward_step,
        )
    return _kernels["recurrent"]


# tanh(x) = x P(x^2) / Q(x^2) on |x| <= 9.1 (from 9.02 on, float32's tanh is +-1), P and Q of
# degree 4 with P(0) = Q(0) = 1: the fit's own relative error is below 2.4e-8 there, less than
# half of float32's last place; its evaluation in float32 rounds a few units more. The
# coefficients come from ``tools/fit_tanh.py`` (a weighted least-squares fit iterated toward the
# minimax one); ``tests/test_recurrent_kernels.py`` checks the kernel against float64's tanh.
_TANH_LIMIT = np.float32(9.1)
_TANH_P = tuple(
    np.float32(c)
    for c in (1.0, 0.133774995803833, 0.003491290146484971, 2.0534091163426638e-05,
              1.3242865470886045e-08)
)  # fmt: skip
_TANH_Q = tuple(
    np.float32(c)
    for c in (1.0, 0.46710819005966187, 0.02586091309785843, 0.0003278420481365174,
              7.732464837317821e-07)
)  # fmt: skip


def _tanh32(a: Any) -> None:
    """``a = tanh(a)`` in place, for a 2-D float32 array with C-contiguous rows, within 5.5 units
    in the last place of the exact value (3.3e-7 relative error; 5.44 at worst over every
    positive float32 below 10.5; NumPy's float32 ``tanh`` is within 1.4 units).

    NumPy's float32 ``tanh`` is vectorized too, but on this project's machines (AMD EPYC, AVX2)
    it runs at 2.6-4 ns a number: its table lookups become gathers, slow on those cores. Here
    every number takes the same eight fused multiply-adds, two products and a division in
    float32, eight numbers to an instruction: 0.45 ns a number there (15 against 85 µs for a
    ``(512, 64)`` array). This is how Eigen's float32 ``tanh`` (TensorFlow's CPU kernels) works
    too; the earlier evaluation of a longer fit in float64, within 0.51 units, took 1.5 ns. The
    result is clamped to [-1, 1], which float32 rounding could leave by a unit. NaN stays NaN
    (the clamps' comparisons are false for it), +-inf gives +-1, -0.0 gives -0.0.

    In place only: given two arrays, the loop checks at run time whether they overlap, and the
    same array twice overlaps, so that call ran unvectorized."""
    p0, p1, p2, p3, p4 = _TANH_P
    q0, q1, q2, q3, q4 = _TANH_Q
    limit = _TANH_LIMIT
    one = np.float32(1)
    rows, cols = a.shape
    for r in range(rows):
        row = a[r]
        for b in range(cols):
            v = row[b]
            v = limit if v > limit else v
            v = -limit if v < -limit else v
            s = v * v
            p = (((p4 * s + p3) * s + p2) * s + p1) * s + p0
            q = (((q4 * s + q3) * s + q2) * s + q1) * s + q0
            y = (v * p) / q
            y = one if y > one else y
            row[b] = -one if y < -one else y


def _lstm_gates(a: Any, c_prev: Any, c: Any, c_copy: Any, half: Any) -> None:
    """After ``a = tanh(pre-activations)`` of one step, gates first: ``a`` is ``(4H, B)``, row
    blocks ``i, f, g, o`` (the ``i, f, o`` rows of the weights halved), each row one unit over
    the batch. The sigmoids ``0.5 t + 0.5`` of ``i, f, o`` in place, and the cell ``c = f c_prev
    + i g`` (``(H, B)``), written to ``c`` and ``c_copy`` (where its ``tanh`` goes next, in
    place: a copy here, while the row is in cache, costs less than one after).

    One loop a row, each writing one array: a loop that wrote ``i``, ``f``, ``o`` and ``c``
    together (four pointers) was not vectorized, 36 against 23 µs a step at B 64, H 128."""
    hid, cols = c.shape
    for j in range(hid):
        gi = a[j]
        gf = a[hid + j]
        gg = a[2 * hid + j]
        go = a[3 * hid + j]
        for b in range(cols):
            gi[b] = gi[b] * half + half
        for b in range(cols):
            gf[b] = gf[b] * half + half
        for b in range(cols):
            go[b] = go[b] * half + half
        cp = c_prev[j]
        cr = c[j]
        for b in range(cols):
            cr[b] = gf[b] * cp[b] + gi[b] * gg[b]
        copy = c_copy[j]
        for b in range(cols):
            copy[b] = cr[b]


def _lstm_backward_step(
    g: Any,
    dh_next: Any,
    dc_next: Any,
    a: Any,
    tanh_c: Any,
    c_prev: Any,
    dg: Any,
    step: Any,
    one: Any,
) -> None:
    """One LSTM step back, gates first as in :func:`_lstm_gates` (``(H, B)`` states, ``(4H,
    B)`` gates): from the output gradient ``g`` and what flows in from the later step
    (``dh_next``, ``dc_next``), the pre-activation gradients ``dg[:, step]`` and, in place,
    ``dc_next`` for the earlier step (``dh_next`` is then ``w_hh.T @ dg[:, step]``, the caller's
    product). ``a`` holds the step's gates, ``tanh_c`` its ``tanh(c)``. ``dg`` is ``(4H, T,
    B)``: every step's gradients side by side, as the weight gradients' products take them, so
    they need no copy after the loop (0.24 ms a batch at T 32); each ``dg[row, step]`` is still a
    contiguous row, which the loop vectorizes over."""
    hid, cols = tanh_c.shape
    for j in range(hid):
        gr = g[j]
        dhr = dh_next[j]
        dcr = dc_next[j]
        tr = tanh_c[j]
        cpr = c_prev[j]
        gi = a[j]
        gf = a[hid + j]
        gg = a[2 * hid + j]
        go = a[3 * hid + j]
        pi = dg[j, step]
        pf = dg[hid + j, step]
        pg = dg[2 * hid + j, step]
        po = dg[3 * hid + j, step]
        for b in range(cols):
            dh = gr[b] + dhr[b]
            i = gi[b]
            f = gf[b]
            gate = gg[b]
            o = go[b]
            t = tr[b]
            dc = dh * (o * (one - t * t)) + dcr[b]
            pi[b] = (gate * (i * (one - i))) * dc
            pf[b] = (cpr[b] * (f * (one - f))) * dc
            pg[b] = (i * (one - gate * gate)) * dc
            po[b] = (t * (o * (one - o))) * dh
            dcr[b] = dc * f


def _gru_gates(gh: Any, bias: Any, gi: Any, rz: Any) -> None:
    """After ``gh = h @ w_hh.T`` of one step (``(B, 3H)``): ``gh += b_hh`` in place and
    ``rz = gi[:, :2H] + gh[:, :2H]``, the pre-activations of ``r, z`` (``bias`` may be
    empty: no bias)."""
    rows, width = gh.shape
    two = rz.shape[1]
    for r in range(rows):
        ghr = gh[r]
        if bias.size:
            for j in range(width):
                ghr[j] = ghr[j] + bias[j]
        gir = gi[r]
        rzr = rz[r]
        for j in range(two):
            rzr[j] = gir[j] + ghr[j]


def _gru_new(rz: Any, gh: Any, gi: Any, ghn: Any, n: Any, half: Any) -> None:
    """After ``rz = tanh(...)``: the sigmoids ``0.5 t + 0.5`` in place, ``ghn = gh[:, 2H:]``
    (kept for the backward) and ``n = r ghn + gi[:, 2H:]``, the candidate's pre-activation."""
    rows, hid = n.shape
    for r in range(rows):
        rzr = rz[r]
        ghr = gh[r]
        gir = gi[r]
        ghnr = ghn[r]
        nr = n[r]
        for j in range(2 * hid):
            rzr[j] = rzr[j] * half + half
        for j in range(hid):
            value = ghr[2 * hid + j]
            ghnr[j] = value
            nr[j] = rzr[j] * value + gir[2 * hid + j]


def _gru_output(h_prev: Any, n: Any, rz: Any, out: Any) -> None:
    """After ``n = tanh(...)``: ``h = (h_prev - n) z + n``."""
    rows, hid = n.shape
    for r in range(rows):
        hpr = h_prev[r]
        nr = n[r]
        zr = rz[r][hid:]
        outr = out[r]
        for j in range(hid):
            outr[j] = (hpr[j] - nr[j]) * zr[j] + nr[j]


def _gru_backward_step(
    g: Any,
    dh_next: Any,
    rz: Any,
    n: Any,
    ghn: Any,
    h_prev: Any,
    dgi: Any,
    dgh: Any,
    carry: Any,
    one: Any,
) -> None:
    """One GRU step back: the pre-activation gradients of the input projection ``dgi`` and of
    the recurrent product ``dgh`` (``(B, 3H)``), and ``carry = dh z``, the part of the earlier
    step's gradient that skips the product (the caller adds ``dgh @ w_hh`` to it)."""
    rows, hid = n.shape
    for r in range(rows):
        gr = g[r]
        dhr = dh_next[r]
        rzr = rz[r]
        nr = n[r]
        ghnr = ghn[r]
        hpr = h_prev[r]
        dir_ = dgi[r]
        dhh = dgh[r]
        cr = carry[r]
        for j in range(hid):
            dh = gr[j] + dhr[j]
            rj = rzr[j]
            z = rzr[hid + j]
            nj = nr[j]
            dn = dh * ((one - z) * (one - nj * nj))
            dz = dh * (((hpr[j] - nj) * z) * (one - z))
            dr = dn * ((ghnr[j] * rj) * (one - rj))
            dir_[j] = dr
            dir_[hid + j] = dz
            dir_[2 * hid + j] = dn
            dhh[j] = dr
            dhh[hid + j] = dz
            dhh[2 * hid + j] = dn * rj
            cr[j] = dh * z
