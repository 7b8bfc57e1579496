"""One helper that checks a humblenet operation against PyTorch, forward and backward.

``check_op`` builds seeded random inputs of the given shapes, runs the humblenet function on
``humblenet.Tensor`` inputs and the PyTorch function on ``torch.Tensor`` inputs holding the same
numbers, and compares the results and the gradients of every input for a random upstream
gradient ``v`` (that is, the gradient of ``sum(out * v)``). The worst relative error seen per
dtype is kept in ``WORST`` and printed at the end of the session (see ``conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from humblenet import Tensor
from humblenet.gradient_check import gradcheck

# The tolerances the issue asks for: relative 1e-10 in float64 and 1e-5 in float32. The absolute
# part only matters for elements that are (nearly) zero, where a relative error is meaningless.
TOLERANCES = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 1e-6)}

# dtype name -> (worst relative error, where it was seen); filled by check_op.
WORST: dict[str, tuple[float, str]] = {}

Shape = tuple[int, ...]


@dataclass
class Case:
    """One operation on inputs of given shapes, for both libraries.

    Args:
        name: the test id.
        shapes: one shape per input tensor.
        hn: the humblenet function, called with humblenet Tensors.
        torch_fn: the PyTorch function, called with torch tensors holding the same numbers.
        low, high: inputs are drawn uniformly from ``[low, high)``.
        grad: which inputs require a gradient (all when None).
        make: a function ``(rng, dtype, shapes) -> list of arrays`` replacing the uniform draw.
        gradcheck: whether the case also goes through ``humblenet.gradcheck`` (off for cases
            whose function is not differentiable at the drawn points, e.g. random masks).
    """

    name: str
    shapes: Sequence[Shape]
    hn: Callable[..., Any]
    torch_fn: Callable[..., Any]
    low: float = -2.0
    high: float = 2.0
    grad: Sequence[bool] | None = None
    make: Callable[[np.random.Generator, Any, Sequence[Shape]], list[np.ndarray]] | None = None
    gradcheck: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def make_inputs(case: Case, dtype: Any, seed: int = 0) -> list[np.ndarray]:
    """The seeded random arrays a case runs on, in ``dtype``."""
    rng = np.random.default_rng(seed)
    if case.make is not None:
        return [np.ascontiguousarray(a) for a in case.make(rng, dtype, case.shapes)]
    return [rng.uniform(case.low, case.high, size=s).astype(dtype) for s in case.shapes]


def _record(dtype_name: str, where: str, ours: np.ndarray, ref: np.ndarray, atol: float) -> None:
    """Remember the worst relative error |ours - ref| / |ref| (over elements with |ref| > atol)."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    # Tiny values come out of cancellations (x - y with x close to y) that no formula keeps
    # accurate in float32; the second figure leaves them out.
    for floor, key in [(atol, dtype_name), (1e-3, f"{dtype_name}, |value| >= 1e-3")]:
        finite = np.isfinite(ref) & (np.abs(ref) > floor)
        if not finite.any():
            continue
        rel = float(np.max(np.abs(ours[finite] - ref[finite]) / np.abs(ref[finite])))
        if rel > WORST.get(key, (-1.0, ""))[0]:
            WORST[key] = (rel, where)


def assert_close(ours: Any, ref: Any, dtype: Any, where: str) -> None:
    """Compare a humblenet array with a PyTorch array at the dtype's tolerance, shape included."""
    ours = np.asarray(ours)
    ref = np.asarray(ref)
    rtol, atol = TOLERANCES[np.dtype(dtype).type]
    assert ours.shape == ref.shape, f"{where}: shape {ours.shape}, PyTorch gives {ref.shape}"
    _record(np.dtype(dtype).name, where, ours, ref, atol)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)


def _spy(t: Tensor, k: int, arrived: list[tuple[int, np.dtype, Shape]]) -> Tensor:
    """``t`` unchanged, behind an identity op that records the gradient that comes back to it."""
    if not t.requires_grad:
        return t

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        arrived.append((k, g.dtype, g.shape))
        return (g,)

    return Tensor._make(t.data, (t,), backward, "spy")


def run_case(case: Case, dtype: Any, seed: int = 0) -> None:
    """Run one case in both libraries and compare value, dtype and every input's gradient."""
    arrays = make_inputs(case, dtype, seed)
    wants = list(case.grad) if case.grad is not None else [True] * len(arrays)
    ours_in = [
        Tensor(a.copy(), requires_grad=w and a.dtype.kind == "f") for a, w in zip(arrays, wants)
    ]
    ref_in = [
        torch.from_numpy(a.copy()).requires_grad_(w and a.dtype.kind == "f")
        for a, w in zip(arrays, wants)
    ]
    arrived: list[tuple[int, np.dtype, Shape]] = []
    ours = case.hn(*[_spy(t, k, arrived) for k, t in enumerate(ours_in)])
    ref = case.torch_fn(*ref_in)
    assert isinstance(ours, Tensor), f"{case.name}: humblenet returned {type(ours).__name__}"
    ref_np = ref.detach().numpy()
    assert ours.dtype == ref_np.dtype, f"{case.name}: dtype {ours.dtype}, PyTorch {ref_np.dtype}"
    assert_close(ours.data, ref_np, dtype, f"{case.name} forward")
    if not ours.requires_grad:
        return
    v = np.random.default_rng(seed + 1).standard_normal(ours.shape).astype(ours.dtype)
    (ours * Tensor(v)).sum().backward()
    (ref * torch.from_numpy(v)).sum().backward()
    for k, arrived_dtype, arrived_shape in arrived:
        # What reaches an input, before the leaf's own accumulation could cast or broadcast it.
        where = f"{case.name}: the gradient reaching input {k}"
        assert arrived_dtype == ours_in[k].dtype, f"{where} is {arrived_dtype}"
        assert arrived_shape == ours_in[k].shape, f"{where} has shape {arrived_shape}"
    for k, (o, r) in enumerate(zip(ours_in, ref_in)):
        if not o.requires_grad:
            continue
        assert r.grad is not None, f"{case.name}: PyTorch gives no gradient for input {k}"
        assert o.grad is not None, f"{case.name}: humblenet gives no gradient for input {k}"
        assert o.grad.dtype == o.dtype, f"{case.name}: grad {k} is {o.grad.dtype}, not {o.dtype}"
        assert_close(o.grad, r.grad.numpy(), dtype, f"{case.name} grad of input {k}")


def check_op(
    shapes: Sequence[Shape],
    hn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    dtype: Any = np.float64,
    low: float = -2.0,
    high: float = 2.0,
    seed: int = 0,
) -> None:
    """Check ``hn`` against ``torch_fn`` on random inputs of ``shapes`` (see the module text)."""
    run_case(Case("check_op", shapes, hn, torch_fn, low=low, high=high), dtype, seed)


def separated(rng: np.random.Generator, dtype: Any, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """A ``make`` for cases near kinks or ties (max, abs, relu...): values on a grid, no repeats.

    The values are at least 0.01 apart and away from 0, so neither float32 rounding nor a
    finite-difference step crosses a kink or creates a tie.
    """
    out = []
    for s in shapes:
        n = int(np.prod(s))
        grid = np.concatenate([np.arange(-200, 0), np.arange(1, 201)]) / 100.0
        out.append(rng.choice(grid, size=n, replace=False).reshape(s).astype(dtype))
    return out


def run_gradcheck(case: Case, seed: int = 2) -> None:
    """Run ``humblenet.gradcheck`` on a case's function with float64 inputs."""
    arrays = make_inputs(case, np.float64, seed)
    wants = list(case.grad) if case.grad is not None else [True] * len(arrays)
    inputs = [Tensor(a, requires_grad=w and a.dtype.kind == "f") for a, w in zip(arrays, wants)]
    assert gradcheck(case.hn, *inputs)


def params(cases: Sequence[Case]) -> list[Any]:
    """Cases as pytest parameters named by the case."""
    import pytest

    return [pytest.param(c, id=c.name) for c in cases]
