"""Gradient clipping: ``clip_grad_norm`` scales gradients so that their total norm is bounded."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from humblenet import validation
from humblenet.tensor import Tensor

__all__ = ["clip_grad_norm"]


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale the gradients in place so that their total norm is at most ``max_norm``.

    The total norm treats all gradients as one long vector: for p = norm_type it is
    (Σ |g|ᵖ)^(1/p) over every element of every gradient, and max |g| for p = inf. When it
    exceeds ``max_norm``, every gradient is multiplied by max_norm / (total + 1e-6), as
    PyTorch's ``torch.nn.utils.clip_grad_norm_`` does. Parameters whose ``.grad`` is None are
    left out. A non-finite total (a gradient with inf or nan) leaves the gradients unchanged;
    skip that step.

    Args:
        parameters: a Tensor or an iterable of Tensors.
        max_norm: the largest total norm allowed, >= 0.
        norm_type: p > 0, or ``math.inf`` for the largest absolute value.
        error_if_nonfinite: raise instead of returning a non-finite total norm.

    Returns:
        The total norm of the gradients before clipping, as a Python float.

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> w = Tensor(np.zeros(2), requires_grad=True)
    >>> w.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm([w], max_norm=1.0)
    5.0
    >>> w.grad.round(6)
    array([0.6, 0.8])
    """
    owner = "clip_grad_norm"
    items = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for index, parameter in enumerate(items):
        if not isinstance(parameter, Tensor):
            raise TypeError(
                f"{owner}: parameter {index} is a {type(parameter).__name__}, not a Tensor"
            )
    max_norm = validation.non_negative(owner, "max_norm", max_norm)
    p = validation.number(owner, "norm_type", norm_type)
    if not p > 0.0:
        raise ValueError(f"{owner}: norm_type must be > 0 or math.inf, got {norm_type!r}")
    grads = [parameter.grad for parameter in items if parameter.grad is not None]
    grads = [g for g in grads if g.size]
    if not grads:
        return 0.0
    if p == math.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    elif p == 2.0:
        total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    elif p == 1.0:
        total = sum(float(np.sum(np.abs(g))) for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g) ** p)) for g in grads) ** (1.0 / p)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(
                f"{owner}: the total {norm_type}-norm of the gradients is {total}; a gradient "
                "holds inf or nan (lower the learning rate, or check the loss for log(0))"
            )
        return total
    factor = max_norm / (total + 1e-6)
    if factor < 1.0:
        for g in grads:
            np.multiply(g, factor, out=g)
    return total
