"""Compiled single-pass kernels for the flat path (optional: ``pip install humblenet[fast]``).

NumPy cannot fuse: Adam's flat update (``Adam._flat_update``) is ten NumPy passes over the
parameters, each reading and writing whole arrays. The kernel here makes one pass: for each
number it reads w, g, m̃ and ṽ once, computes the same float operations in the same order as
the NumPy passes, and writes w, m̃ and ṽ once. Same operations, same order, same dtype: the
result is the NumPy flat path's bit for bit (``tests/optim/test_fused.py``).

Measured on a 784-256-128-10 MLP's float32 parameters (235,146 numbers, this 2-core machine
shared with other jobs, min of 9 x 50 steps): the NumPy passes 266 µs a step, this kernel 82 µs.
Also measured and not kept:

- numexpr (a small library that evaluates an expression over arrays in cache-sized blocks,
  with threads): three expressions a parameter (m̃, ṽ, then w) took 1,400 µs a step, with one
  thread or two: its float32 ``sqrt`` and division run through its own interpreter, and each
  call costs about 10 µs of Python before any work.
- the NumPy passes run chunk by chunk (16K or 64K numbers through all ten passes, then the
  next chunk, so that the chunk stays in L2 cache): 298-368 µs, slower than the whole-array
  passes; one parameter's arrays already fit in this machine's cache, and the per-chunk calls
  add Python overhead.

numba is the heavier dependency (with llvmlite, about 200 MB installed, against a few MB), so
it is an optional extra, imported only at the first step that uses it (0.24 s), and the kernel
is compiled once per process and dtype (0.4 s), or read from numba's cache when it can write
one. Without numba, or when ``HUMBLENET_FUSED=0`` is set, the NumPy passes run instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from humblenet._jit import compile_kernels

_kernels: dict[str, Any] = {}


def adam_kernel() -> Callable[..., None] | None:
    """Adam's fused flat update (see ``_adam``), or None when numba is absent or turned off."""
    if "adam" not in _kernels:
        # error_model="numpy" (humblenet._jit): a division by 0 gives inf as NumPy's does, and
        # without Python's zero check in the loop the compiler can vectorize it (measured: 545
        # µs a step with the check, 82 µs without).
        kernels = compile_kernels(adam=_adam)
        _kernels["adam"] = None if kernels is None else kernels.adam
    return _kernels["adam"]


def _adam(
    w: Any,
    g: Any,
    m: Any,
    v: Any,
    beta1: Any,
    beta2: Any,
    decay: Any,
    mode: int,
    scale: Any,
    offset: Any,
    flush: bool,
    tiny: Any,
) -> None:
    """One parameter's Adam step, in place, with the operations of ``Adam._flat_update``.

    w, g, m, v: 1-D contiguous arrays of one dtype (the parameter, its gradient, and its parts
    of the flat m̃ = m / (1 − β₁) and ṽ = v / (1 − β₂)). The scalars have that dtype too, so the
    arithmetic is in it, as NumPy's with a Python number. ``mode`` 0: no weight decay; 1: L2
    (g ← g + decay · w); 2: decoupled (w ← w · decay first). Then m̃ ← β₁ · m̃ + g,
    ṽ ← β₂ · ṽ + g², w ← w − m̃ / (√ṽ · scale + offset). With ``flush`` (the steps where
    ``optim._flat.flush_subnormals`` runs), m̃ and ṽ are stored as +0 where their magnitude is
    below ``tiny`` (the dtype's smallest normal number) after w has used them: the flush's
    numbers, without its two passes over the state (measured: 117 µs for each of Adam's two
    arrays of a 784-256-128-10 MLP, every 16 steps).
    """
    for i in range(w.size):
        wi = w[i]
        gi = g[i]
        if mode == 2:
            wi = wi * decay
        elif mode == 1:
            gi = gi + wi * decay
        mi = m[i] * beta1 + gi
        vi = v[i] * beta2 + gi * gi
        w[i] = wi - mi / (np.sqrt(vi) * scale + offset)
        if flush:  # NaN and infinity compare False and stay
            zero = tiny - tiny  # +0 in the arrays' dtype (a literal 0.0 would be float64)
            if abs(mi) < tiny:
                mi = zero
            if abs(vi) < tiny:
                vi = zero
        m[i] = mi
        v[i] = vi
