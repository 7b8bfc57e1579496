"""Activations, the softmax family, dropout and linear against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from oracle_helper import Case, assert_close, params, run_case, run_gradcheck, separated

from humblenet import Tensor
from humblenet import functional as F

SHAPES = [(3, 4), (2, 3, 5), (7,), (), (0, 3)]


def _activation_cases() -> list[Case]:
    cases = []
    for shape in SHAPES:
        tag = str(shape).replace(" ", "")
        cases += [
            Case(f"relu{tag}", [shape], F.relu, torch.relu, make=separated),
            Case(f"leaky_relu{tag}", [shape], F.leaky_relu, TF.leaky_relu, make=separated),
            Case(
                f"leaky_relu 0.2{tag}",
                [shape],
                lambda a: F.leaky_relu(a, 0.2),
                lambda a: TF.leaky_relu(a, 0.2),
                make=separated,
            ),
            Case(f"sigmoid{tag}", [shape], F.sigmoid, torch.sigmoid, low=-12, high=12),
            Case(f"tanh{tag}", [shape], F.tanh, torch.tanh, low=-4, high=4),
            # Below about -4, 1 + erf and 1 + tanh cancel: both libraries then keep few correct
            # float32 digits (differently), so the comparison stays where the formula is sound.
            Case(f"gelu{tag}", [shape], F.gelu, TF.gelu, low=-4, high=4),
            Case(
                f"gelu tanh{tag}",
                [shape],
                lambda a: F.gelu(a, approximate="tanh"),
                lambda a: TF.gelu(a, approximate="tanh"),
                low=-4,
                high=4,
            ),
        ]
    return cases


def _softmax_cases() -> list[Case]:
    cases = []
    for shape, axis in [
        ((3, 4), -1),
        ((3, 4), 0),
        ((2, 3, 4), 1),
        ((5,), 0),
        ((1, 1), -1),
        ((0, 3), -1),
        ((2, 3, 4), -3),
    ]:
        tag = f"{shape}axis{axis}".replace(" ", "")
        cases += [
            Case(
                f"softmax{tag}",
                [shape],
                lambda a, axis=axis: F.softmax(a, axis=axis),
                lambda a, axis=axis: torch.softmax(a, dim=axis),
                low=-5,
                high=5,
            ),
            Case(
                f"log_softmax{tag}",
                [shape],
                lambda a, axis=axis: F.log_softmax(a, axis=axis),
                lambda a, axis=axis: torch.log_softmax(a, dim=axis),
                low=-5,
                high=5,
            ),
        ]
    return cases


LINEAR_CASES = [
    Case("linear", [(5, 3), (4, 3), (4,)], F.linear, TF.linear),
    Case("linear no bias", [(5, 3), (4, 3)], F.linear, TF.linear),
    Case("linear batched", [(2, 5, 3), (4, 3), (4,)], F.linear, TF.linear),
    Case("linear vector", [(3,), (4, 3), (4,)], F.linear, TF.linear),
    Case("linear one feature", [(6, 1), (1, 1), (1,)], F.linear, TF.linear),
    Case("linear empty batch", [(0, 3), (4, 3), (4,)], F.linear, TF.linear),
    Case(
        "linear frozen weight",
        [(5, 3), (4, 3), (4,)],
        F.linear,
        TF.linear,
        grad=[True, False, True],
    ),
    Case(
        "linear frozen input", [(5, 3), (4, 3), (4,)], F.linear, TF.linear, grad=[False, True, True]
    ),
]

CASES = _activation_cases() + _softmax_cases() + LINEAR_CASES


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    run_gradcheck(case)


# -- dropout: the mask is random, so torch gets the same mask, read off humblenet's output ------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_matches_torch_with_the_same_mask(rate, dtype):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, size=(40, 30)).astype(dtype)  # no zeros: out == 0 marks a drop
    v = rng.standard_normal((40, 30)).astype(dtype)
    ours_x = Tensor(x, requires_grad=True)
    out = F.dropout(ours_x, rate, rng=123)
    (out * Tensor(v)).sum().backward()
    keep = out.data != 0
    ref_x = torch.from_numpy(x).requires_grad_(True)
    ref = ref_x * torch.from_numpy(keep.astype(dtype)) / (1 - rate)
    (ref * torch.from_numpy(v)).sum().backward()
    assert out.dtype == dtype and ours_x.grad.dtype == dtype
    assert_close(out.data, ref.detach().numpy(), dtype, f"dropout {rate} forward")
    assert_close(ours_x.grad, ref_x.grad.numpy(), dtype, f"dropout {rate} grad")
    # grad = mask * scale, exactly as the definition says
    np.testing.assert_allclose(ours_x.grad, v * keep / dtype(1 - rate), rtol=1e-6)


def test_dropout_gradcheck():
    x = Tensor(np.random.default_rng(1).standard_normal((4, 5)), requires_grad=True)
    from humblenet.gradient_check import gradcheck

    assert gradcheck(lambda t: F.dropout(t, 0.4, rng=9), x)  # a fixed seed: a fixed function
