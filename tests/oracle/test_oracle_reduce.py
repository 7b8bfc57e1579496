"""Reductions (sum, mean, max, min, var, logsumexp) over axes, with keepdims, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle_helper import Case, params, run_case, run_gradcheck, separated

from humblenet import functional as F

# (shape, axis) pairs: all axes, one axis, negative axes, several axes, size-1 and size-0 axes.
AXES = [
    ((2, 3, 4), None),
    ((2, 3, 4), 0),
    ((2, 3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, -3)),
    ((3, 1, 4), 1),
    ((5,), 0),
    ((), None),
]
EMPTY_AXES = [((0, 3), 1), ((2, 0, 3), -1), ((0, 3), 0), ((0, 3), None)]


def _torch_dims(shape, axis):
    return list(range(len(shape))) if axis is None else axis


def _tag(name, shape, axis, keepdims):
    return f"{name}{shape}axis{axis}keep{int(keepdims)}".replace(" ", "")


def _cases() -> list[Case]:
    cases = []
    for shape, axis in AXES + EMPTY_AXES:
        for keep in (False, True):
            dims = _torch_dims(shape, axis)
            cases += [
                Case(
                    _tag("sum", shape, axis, keep),
                    [shape],
                    lambda a, axis=axis, keep=keep: a.sum(axis=axis, keepdims=keep),
                    lambda a, dims=dims, keep=keep: a.sum(dim=dims, keepdim=keep),
                ),
                Case(
                    _tag("mean", shape, axis, keep),
                    [shape],
                    lambda a, axis=axis, keep=keep: a.mean(axis=axis, keepdims=keep),
                    lambda a, dims=dims, keep=keep: a.mean(dim=dims, keepdim=keep),
                ),
            ]
    for shape, axis in AXES:
        for keep in (False, True):
            dims = _torch_dims(shape, axis)
            cases += [
                Case(
                    _tag("max", shape, axis, keep),
                    [shape],
                    lambda a, axis=axis, keep=keep: a.max(axis=axis, keepdims=keep),
                    lambda a, dims=dims, keep=keep: torch.amax(a, dim=dims, keepdim=keep),
                    make=separated,
                ),
                Case(
                    _tag("min", shape, axis, keep),
                    [shape],
                    lambda a, axis=axis, keep=keep: a.min(axis=axis, keepdims=keep),
                    lambda a, dims=dims, keep=keep: torch.amin(a, dim=dims, keepdim=keep),
                    make=separated,
                ),
                Case(
                    _tag("logsumexp", shape, axis, keep),
                    [shape],
                    lambda a, axis=axis, keep=keep: F.logsumexp(a, axis=axis, keepdims=keep),
                    lambda a, dims=dims, keep=keep: torch.logsumexp(a, dim=dims, keepdim=keep),
                ),
            ]
            for correction in (0, 1):
                picked = [dims] if isinstance(dims, int) else dims
                size = int(np.prod([shape[d] for d in picked])) if shape else 1
                if size - correction <= 0:
                    continue  # PyTorch warns there (degrees of freedom <= 0); see test_tensor.py
                cases.append(
                    Case(
                        _tag(f"var{correction}", shape, axis, keep),
                        [shape],
                        lambda a, axis=axis, keep=keep, c=correction: a.var(
                            axis=axis, keepdims=keep, correction=c
                        ),
                        lambda a, dims=dims, keep=keep, c=correction: torch.var(
                            a, dim=dims, keepdim=keep, correction=c
                        ),
                    )
                )
    return cases


def _ties(rng, dtype, shapes):
    """Small integers, so maxima and minima are shared by several elements."""
    return [rng.integers(0, 3, size=s).astype(dtype) for s in shapes]


TIE_CASES = [
    Case("max ties all", [(3, 4)], lambda a: a.max(), torch.amax, make=_ties, gradcheck=False),
    Case(
        "max ties axis",
        [(3, 4)],
        lambda a: a.max(axis=1),
        lambda a: torch.amax(a, dim=1),
        make=_ties,
        gradcheck=False,
    ),
    Case(
        "min ties axis",
        [(3, 4)],
        lambda a: a.min(axis=0, keepdims=True),
        lambda a: torch.amin(a, dim=0, keepdim=True),
        make=_ties,
        gradcheck=False,
    ),
    Case(
        "logsumexp huge",
        [(3, 4)],
        lambda a: F.logsumexp(a * 1000.0, axis=-1),
        lambda a: torch.logsumexp(a * 1000.0, dim=-1),
    ),
]

CASES = _cases() + TIE_CASES


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params([c for c in CASES if c.gradcheck]))
def test_gradcheck(case):
    run_gradcheck(case)
