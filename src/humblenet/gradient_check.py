"""``gradcheck``: compare a function's backward with central finite differences in float64.

The tool to trust a new operation: perturb each input element by ``±eps``, see how the output
moves, and compare that slope with the gradient that ``backward()`` computed.

>>> from humblenet.tensor import Tensor
>>> x = Tensor([0.5, -1.5, 2.0], dtype="float64", requires_grad=True)
>>> gradcheck(lambda t: (t * t * t).sum(), x)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from humblenet.tensor import Tensor, no_grad


class GradcheckError(AssertionError):
    """The analytic gradient of some element disagrees with the numerical one."""


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Tensor,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s gradients against central finite differences.

    Args:
        fn: takes the input tensors and returns a tensor (of any shape).
        inputs: float64 tensors; those with ``requires_grad=True`` are checked.
        eps: the finite-difference step.
        atol, rtol: an element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        seed: a non-scalar output is reduced to a number as ``sum(out * v)`` with a random ``v``
            drawn from this seed, so every output element takes part.
        raise_exception: raise :class:`GradcheckError` on failure (default), else return False.

    Returns:
        True when every element agrees.

    Raises:
        GradcheckError: naming the worst element, with the analytic and the numerical value.
    """
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create inputs with requires_grad=True")
    for position, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {position} has dtype {t.dtype}; finite differences need "
                "float64 (Tensor(..., dtype='float64'))"
            )

    with no_grad():
        out_shape = fn(*inputs).shape
    v = np.random.default_rng(seed).standard_normal(out_shape)

    def scalar() -> float:
        with no_grad():
            return float(np.sum(fn(*inputs).data * v))

    for t in checked:
        t.grad = None
    (fn(*inputs) * Tensor(v)).sum().backward()

    worst: tuple[float, int, tuple[int, ...], float, float] | None = None
    for position, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        analytic = t.grad if t.grad is not None else np.zeros_like(t.data)
        flat = t.data.reshape(-1)  # a view: perturbing it perturbs the input
        if flat.size and not np.shares_memory(flat, t.data):  # (an empty array shares none)
            raise ValueError(f"gradcheck: input {position} is not contiguous; pass a copy")
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            up = scalar()
            flat[i] = original - eps
            down = scalar()
            flat[i] = original
            numeric = (up - down) / (2 * eps)
            a = float(analytic.reshape(-1)[i])
            excess = abs(a - numeric) - (atol + rtol * abs(numeric))
            if worst is None or excess > worst[0]:
                index = tuple(int(k) for k in np.unravel_index(i, t.shape))
                worst = (excess, position, index, a, numeric)

    if worst is not None and worst[0] > 0:
        _, position, index, a, numeric = worst
        message = (
            f"gradcheck: input {position}, element {index}: analytic gradient {a!r} but "
            f"numerical {numeric!r} (difference {abs(a - numeric):.3g}, "
            f"allowed {atol + rtol * abs(numeric):.3g})"
        )
        if raise_exception:
            raise GradcheckError(message)
        return False
    return True


def numerical_gradient(fn: Callable[..., Any], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function of one float64 array."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        up = float(fn(x))
        flat[i] = original - eps
        down = float(fn(x))
        flat[i] = original
        gflat[i] = (up - down) / (2 * eps)
    return grad
