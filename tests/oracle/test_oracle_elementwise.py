"""Elementwise arithmetic, comparisons, unary functions and matmul against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle_helper import Case, params, run_case, run_gradcheck, separated

import humblenet as hn
from humblenet import Tensor


def same(fn):  # an expression written with operators means the same thing in both libraries
    return fn, fn


def nonzero(rng, dtype, shapes):
    """Values with |x| in [0.5, 2): safe denominators."""
    out = []
    for s in shapes:
        magnitude = rng.uniform(0.5, 2.0, size=s)
        sign = rng.choice([-1.0, 1.0], size=s)
        out.append((magnitude * sign).astype(dtype))
    return out


BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((4,), (2, 3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((1,), (1,)),
    ((0, 3), (1, 3)),
    ((2, 0, 3), (3,)),
]


def _binary_cases() -> list[Case]:
    cases = []
    for sa, sb in BROADCAST_PAIRS:
        tag = f"{sa}x{sb}".replace(" ", "")
        cases += [
            Case(f"add{tag}", [sa, sb], *same(lambda a, b: a + b)),
            Case(f"sub{tag}", [sa, sb], *same(lambda a, b: a - b)),
            Case(f"mul{tag}", [sa, sb], *same(lambda a, b: a * b)),
            Case(f"div{tag}", [sa, sb], *same(lambda a, b: a / b), make=nonzero),
            Case(f"pow{tag}", [sa, sb], *same(lambda a, b: a**b), low=0.5, high=2.0),
            Case(f"maximum{tag}", [sa, sb], hn.maximum, torch.maximum, make=separated),
            Case(f"minimum{tag}", [sa, sb], hn.minimum, torch.minimum, make=separated),
        ]
    return cases


SCALAR_CASES = [
    Case("neg", [(3, 4)], *same(lambda a: -a)),
    Case("scalar+x", [(3, 4)], *same(lambda a: 2.5 + a)),
    Case("x+scalar", [(3, 4)], *same(lambda a: a + 2.5)),
    Case("scalar-x", [(3, 4)], *same(lambda a: 2.5 - a)),
    Case("x-scalar", [(3, 4)], *same(lambda a: a - 2.5)),
    Case("scalar*x", [(3, 4)], *same(lambda a: 2.5 * a)),
    Case("x*int", [(3, 4)], *same(lambda a: a * 3)),
    Case("scalar/x", [(3, 4)], *same(lambda a: 2.5 / a), make=nonzero),
    Case("x/scalar", [(3, 4)], *same(lambda a: a / 2.5)),
    Case("x**int", [(3, 4)], *same(lambda a: a**3)),
    Case("x**2 negative base", [(3, 4)], *same(lambda a: a**2)),
    Case("x**-1.5", [(3, 4)], *same(lambda a: a**-1.5), low=0.5),
    Case("x**0.5", [(3, 4)], *same(lambda a: a**0.5), low=0.5),
    Case("scalar**x", [(3, 4)], *same(lambda a: 2.0**a)),
    Case("x*x same input", [(3, 4)], *same(lambda a: a * a + a / (a * a + 1))),
    Case(
        "ndarray+x",
        [(3, 4)],
        lambda a: np.arange(12.0, dtype=a.dtype).reshape(3, 4) + a,
        lambda a: torch.arange(12.0, dtype=a.dtype).reshape(3, 4) + a,
    ),
    Case(
        "ndarray*x broadcast",
        [(4,)],
        lambda a: np.linspace(-1, 1, 12, dtype=a.dtype).reshape(3, 4) * a,
        lambda a: torch.linspace(-1, 1, 12, dtype=a.dtype).reshape(3, 4) * a,
    ),
]

UNARY_CASES = [
    Case("exp", [(3, 4)], *same(lambda a: a.exp())),
    Case("exp 0-d", [()], *same(lambda a: a.exp())),
    Case("exp size-0", [(0, 4)], *same(lambda a: a.exp())),
    Case("log", [(3, 4)], *same(lambda a: a.log()), low=0.1, high=3.0),
    Case("sqrt", [(2, 3, 2)], *same(lambda a: a.sqrt()), low=0.1, high=3.0),
    Case("abs", [(3, 4)], *same(lambda a: a.abs()), make=separated),
    Case("clip both", [(4, 5)], *same(lambda a: a.clip(-0.555, 0.755)), make=separated),
    Case("clip min", [(4, 5)], *same(lambda a: a.clip(min=-0.555)), make=separated),
    Case("clip max", [(4, 5)], *same(lambda a: a.clip(max=0.755)), make=separated),
]


def _condition(shape):
    return np.random.default_rng(7).random(shape) > 0.5


WHERE_CASES = [
    Case(
        f"where{sc}{sa}{sb}".replace(" ", ""),
        [sa, sb],
        lambda a, b, sc=sc: hn.where(_condition(sc), a, b),
        lambda a, b, sc=sc: torch.where(torch.from_numpy(_condition(sc)), a, b),
    )
    for sc, sa, sb in [
        ((3, 4), (3, 4), (3, 4)),
        ((3, 4), (4,), (3, 1)),
        ((4,), (3, 4), ()),
        ((2, 1, 4), (3, 1), (2, 3, 4)),
    ]
]

MATMUL_CASES = [
    Case(f"matmul{sa}@{sb}".replace(" ", ""), [sa, sb], *same(lambda a, b: a @ b))
    for sa, sb in [
        ((3, 4), (4, 2)),
        ((4,), (4,)),
        ((4,), (4, 3)),
        ((3, 4), (4,)),
        ((2, 3, 4), (4, 5)),
        ((4, 5), (2, 5, 3)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((4,), (2, 4, 3)),
        ((2, 3, 4), (4,)),
        ((1, 4), (4, 1)),
        ((0, 4), (4, 3)),
        ((3, 0), (0, 2)),
    ]
]

CASES = _binary_cases() + SCALAR_CASES + UNARY_CASES + WHERE_CASES + MATMUL_CASES


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    run_gradcheck(case)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS[:6])
def test_only_one_side_requires_grad(sa, sb, dtype):
    run_case(
        Case("add one side", [sa, sb], *same(lambda a, b: a * b + b), grad=[True, False]), dtype
    )
    run_case(
        Case("add other side", [sa, sb], *same(lambda a, b: a / (b * b + 1)), grad=[False, True]),
        dtype,
    )


@pytest.mark.parametrize("symbol", ["<", "<=", ">", ">=", "==", "!="])
def test_comparisons_match_torch_and_carry_no_gradient(symbol):
    rng = np.random.default_rng(0)
    a = rng.integers(-2, 3, size=(3, 4)).astype(np.float32)
    b = rng.integers(-2, 3, size=(4,)).astype(np.float32)
    ta = Tensor(a, requires_grad=True)
    compare = eval(f"lambda x, y: x {symbol} y")  # the same expression in both libraries
    for other, torch_other in [(Tensor(b), torch.from_numpy(b)), (0.0, 0.0)]:
        ours = compare(ta, other)
        ref = compare(torch.from_numpy(a), torch_other)
        assert ours.dtype == np.bool_
        assert not ours.requires_grad
        np.testing.assert_array_equal(ours.data, ref.numpy())
