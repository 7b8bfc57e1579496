"""Losses against PyTorch: regression, cross-entropy (class and probability targets), BCE, NLL."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from oracle_helper import Case, params, run_case, run_gradcheck

from humblenet import functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _classes(rng, dtype, shapes):
    """Logits of shape (N, C) and one integer class per row (every class used when N >= C)."""
    (n, c), _ = shapes
    return [rng.uniform(-3, 3, size=(n, c)).astype(dtype), rng.integers(0, c, size=n)]


def _one_hot(rng, dtype, shapes):
    logits, labels = _classes(rng, dtype, [shapes[0], None])
    return [logits, np.eye(shapes[0][1], dtype=dtype)[labels]]


def _soft(rng, dtype, shapes):
    logits = rng.uniform(-3, 3, size=shapes[0])
    weights = rng.uniform(0.1, 1.0, size=shapes[0])
    return [logits.astype(dtype), (weights / weights.sum(axis=1, keepdims=True)).astype(dtype)]


def _labels01(rng, dtype, shapes):
    return [
        rng.uniform(-4, 4, size=shapes[0]).astype(dtype),
        rng.integers(0, 2, size=shapes[0]).astype(dtype),
    ]


def _soft01(rng, dtype, shapes):
    return [
        rng.uniform(-4, 4, size=shapes[0]).astype(dtype),
        rng.uniform(0, 1, size=shapes[0]).astype(dtype),
    ]


def _probabilities(rng, dtype, shapes):
    return [
        rng.uniform(0.05, 0.95, size=shapes[0]).astype(dtype),
        rng.uniform(0, 1, size=shapes[0]).astype(dtype),
    ]


def _log_probs(rng, dtype, shapes):
    logits, labels = _classes(rng, dtype, shapes)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return [(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))).astype(dtype), labels]


def _mae_pairs(rng, dtype, shapes):
    """Prediction and target at least 0.01 apart (|x| has a kink where they meet)."""
    target = rng.uniform(-2, 2, size=shapes[0])
    gap = rng.uniform(0.01, 1.0, size=shapes[0]) * rng.choice([-1.0, 1.0], size=shapes[0])
    return [(target + gap).astype(dtype), target.astype(dtype)]


def _cases() -> list[Case]:
    cases = []
    for r in REDUCTIONS:
        for shape in [(4, 3), (5,), (2, 3, 2), ()]:
            tag = f"{shape}{r}".replace(" ", "")
            cases += [
                Case(
                    f"mse{tag}",
                    [shape, shape],
                    lambda a, b, r=r: F.mse(a, b, reduction=r),
                    lambda a, b, r=r: TF.mse_loss(a, b, reduction=r),
                ),
                Case(
                    f"mae{tag}",
                    [shape, shape],
                    lambda a, b, r=r: F.mae(a, b, reduction=r),
                    lambda a, b, r=r: TF.l1_loss(a, b, reduction=r),
                    make=_mae_pairs,
                ),
            ]
        cases += [
            Case(
                f"mse constant target {r}",
                [(4, 3), (4, 3)],
                lambda a, b, r=r: F.mse(a, b.data, reduction=r),
                lambda a, b, r=r: TF.mse_loss(a, b, reduction=r),
                grad=[True, False],
            ),
            Case(
                f"bce_with_logits labels {r}",
                [(6, 2), (6, 2)],
                lambda a, b, r=r: F.binary_cross_entropy_with_logits(a, b, reduction=r),
                lambda a, b, r=r: TF.binary_cross_entropy_with_logits(a, b, reduction=r),
                make=_labels01,
                grad=[True, False],
            ),
            Case(
                f"bce_with_logits soft {r}",
                [(7,), (7,)],
                lambda a, b, r=r: F.binary_cross_entropy_with_logits(a, b, reduction=r),
                lambda a, b, r=r: TF.binary_cross_entropy_with_logits(a, b, reduction=r),
                make=_soft01,
                grad=[True, False],
            ),
            Case(
                f"bce probabilities {r}",
                [(6, 2), (6, 2)],
                lambda a, b, r=r: F.binary_cross_entropy(a, b, reduction=r),
                lambda a, b, r=r: TF.binary_cross_entropy(a, b, reduction=r),
                make=_probabilities,
                grad=[True, False],
            ),
        ]
        for n, c in [(6, 4), (1, 3), (5, 1)]:
            tag = f"({n},{c}){r}"
            cases += [
                Case(
                    f"cross_entropy labels{tag}",
                    [(n, c), (n,)],
                    lambda a, t, r=r: F.cross_entropy(a, t, reduction=r),
                    lambda a, t, r=r: TF.cross_entropy(a, t, reduction=r),
                    make=_classes,
                ),
                Case(
                    f"cross_entropy one-hot{tag}",
                    [(n, c), (n, c)],
                    lambda a, t, r=r: F.cross_entropy(a, t, reduction=r),
                    lambda a, t, r=r: TF.cross_entropy(a, t, reduction=r),
                    make=_one_hot,
                    grad=[True, False],
                ),
                Case(
                    f"cross_entropy soft{tag}",
                    [(n, c), (n, c)],
                    lambda a, t, r=r: F.cross_entropy(a, t, reduction=r),
                    lambda a, t, r=r: TF.cross_entropy(a, t, reduction=r),
                    make=_soft,
                    grad=[True, False],
                ),
                Case(
                    f"nll{tag}",
                    [(n, c), (n,)],
                    lambda a, t, r=r: F.nll(a, t, reduction=r),
                    lambda a, t, r=r: TF.nll_loss(a, t, reduction=r),
                    make=_log_probs,
                ),
                Case(
                    f"nll after log_softmax{tag}",
                    [(n, c), (n,)],
                    lambda a, t, r=r: F.nll(F.log_softmax(a), t, reduction=r),
                    lambda a, t, r=r: TF.nll_loss(TF.log_softmax(a, dim=-1), t, reduction=r),
                    make=_classes,
                ),
            ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    run_gradcheck(case)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_empty_batch_sum_is_zero_like_torch(dtype):
    run_case(
        Case(
            "cross_entropy empty sum",
            [(0, 3), (0,)],
            lambda a, t: F.cross_entropy(a, t, reduction="sum"),
            lambda a, t: TF.cross_entropy(a, t, reduction="sum"),
            make=_classes,
        ),
        dtype,
    )
