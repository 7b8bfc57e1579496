"""The one place that compiles humblenet's optional numba kernels (``humblenet[fast]``).

Every kernel module (``_conv_kernels``, ``_linear_kernels``, ``_recurrent_kernels``,
``optim._fused``) compiles its loops here, the same way: ``nogil`` (so threads can run them
side by side), ``error_model="numpy"`` (no Python zero checks in the loops, so LLVM can
vectorize them), no fastmath (it would reorder or fuse the float operations, and the kernels
promise the NumPy path's numbers; the few that promise only an error bound, named in
``contract``, may fuse a multiply and an add into one rounding), and ``cache=True`` (the
compiled code kept beside the module when that folder can be written). Without numba, or with
``HUMBLENET_FUSED=0`` in the environment, there are no kernels and the NumPy paths run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any


def compile_kernels(
    contract: tuple[str, ...] = (), **functions: Callable[..., Any]
) -> SimpleNamespace | None:
    """The ``functions`` compiled, under the same names, or None when numba is not installed
    or ``HUMBLENET_FUSED=0`` is set. Those named in ``contract`` are compiled with LLVM's
    ``contract`` flag, which lets it turn ``a * b + c`` into one fused multiply-add."""
    if os.environ.get("HUMBLENET_FUSED", "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None
    jit = numba.njit(nogil=True, error_model="numpy", cache=True)
    fused = numba.njit(nogil=True, error_model="numpy", cache=True, fastmath={"contract"})
    return SimpleNamespace(
        **{name: (fused if name in contract else jit)(f) for name, f in functions.items()}
    )
