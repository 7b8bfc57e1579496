"""Tests for humblenet.optim.clip_grad_norm against torch.nn.utils.clip_grad_norm_."""

import math
import re
from typing import Any

import numpy as np
import pytest
import torch

from humblenet import Tensor
from humblenet.optim import clip_grad_norm

RNG = np.random.default_rng(7)


def parameter(values: Any, dtype: Any = np.float64) -> Tensor:
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def fresh() -> list[Tensor]:
    return [parameter([1.0, 2.0])]


# --- gradient clipping against torch ------------------------------------------------------------
GRADS = [RNG.normal(size=(3, 4)), RNG.normal(size=5) * 3, RNG.normal(size=(2, 2, 2))]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    ours = [parameter(np.zeros_like(g)) for g in GRADS] + [parameter([1.0])]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in GRADS]
    theirs.append(torch.ones(1, dtype=torch.float64, requires_grad=True))
    for ours_tensor, their_tensor, g in zip(ours, theirs, GRADS):
        ours_tensor.grad = g.copy()
        their_tensor.grad = torch.tensor(g)
    # the last parameter of each list has no gradient and is left out
    total = clip_grad_norm(ours, max_norm, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, float)
    assert math.isclose(total, torch_total.item(), rel_tol=1e-12)
    for ours_tensor, their_tensor in zip(ours, theirs):
        if their_tensor.grad is None:
            assert ours_tensor.grad is None
            continue
        np.testing.assert_allclose(ours_tensor.grad, their_tensor.grad.numpy(), rtol=1e-12)
    clipped = max_norm < total
    assert clipped == (not np.array_equal(ours[0].grad, GRADS[0]))


def test_clip_grad_norm_single_tensor_and_float32() -> None:
    w = parameter(np.zeros(2), np.float32)
    w.grad = np.array([3.0, 4.0], dtype=np.float32)
    gradient = w.grad
    assert clip_grad_norm(w, 2.5) == pytest.approx(5.0, rel=1e-7)
    assert w.grad is gradient and w.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad, [1.5, 2.0], rtol=1e-5)
    assert clip_grad_norm([parameter([1.0])], 1.0) == 0.0  # no gradients at all


def test_clip_grad_norm_nonfinite() -> None:
    w = parameter([0.0, 0.0])
    w.grad = np.array([math.inf, 1.0])
    assert clip_grad_norm([w], 1.0) == math.inf
    assert w.grad.tolist() == [math.inf, 1.0]  # left unchanged: skip this step
    with pytest.raises(RuntimeError, match="^clip_grad_norm: the total 2.0-norm .* is inf"):
        clip_grad_norm([w], 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"max_norm": -1.0}, ValueError, "clip_grad_norm: max_norm must be >= 0 and finite"),
        ({"max_norm": 1.0, "norm_type": 0.0}, ValueError, "clip_grad_norm: norm_type must be > 0"),
        ({"max_norm": 1.0, "norm_type": -2}, ValueError, "clip_grad_norm: norm_type must be > 0"),
        ({"max_norm": "1"}, TypeError, "clip_grad_norm: max_norm must be a number, got str '1'"),
    ],
)  # fmt: skip
def test_clip_grad_norm_arguments_are_checked(
    kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match="^" + re.escape(message)):
        clip_grad_norm(fresh(), **kwargs)
    with pytest.raises(TypeError, match="^clip_grad_norm: parameter 0 is a ndarray, not a Tensor"):
        clip_grad_norm([np.zeros(2)], 1.0)
