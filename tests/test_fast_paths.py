"""The training step's shortcuts give the numbers of the plain path: the fused linear + ReLU node,
and gradients written straight into a packed model's gradient buffer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from humblenet import Tensor, nn
from humblenet import functional as F


def test_fused_linear_relu_matches_torch_forward_and_backward() -> None:
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    v = rng.standard_normal((5, 3))
    tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.linear(tx, tw, tb, activation="relu")
    (out * Tensor(v)).sum().backward()
    px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    reference = torch.relu(torch.nn.functional.linear(px, pw, pb))
    (reference * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(out.data, reference.detach().numpy(), rtol=1e-12)
    for mine, theirs in ((tx, px), (tw, pw), (tb, pb)):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_linear_refuses_an_activation_it_does_not_fuse() -> None:
    with pytest.raises(ValueError, match="activation must be None or 'relu', got 'tanh'"):
        F.linear(Tensor(np.ones((1, 2))), Tensor(np.ones((1, 2))), activation="tanh")


class _Twice(nn.Module):
    """One layer applied twice: its weight gets two gradient contributions per backward."""

    def __init__(self) -> None:
        self.layer = nn.Linear(3, 3, seed=0, dtype="float64")
        self.other = nn.Linear(3, 3, seed=1, dtype="float64")

    def forward(self, x: Tensor) -> Tensor:
        return self.layer(F.relu(self.other(self.layer(x))))


def _torch_twin(module: _Twice) -> tuple[torch.Tensor, ...]:
    return tuple(torch.tensor(p.data, requires_grad=True) for p in module.parameters())


def test_packed_gradients_add_up_shared_uses_and_repeated_backward_calls() -> None:
    """With the gradients written straight into the packed buffer, a weight used twice still
    gets the sum of both contributions, and a second backward without zero_grad adds to the
    first, exactly as in torch."""
    module = _Twice()
    module.pack_parameters()
    assert all(p._grad_buffer is not None for p in module.parameters())
    w1, b1, w2, b2 = _torch_twin(module)
    rng = np.random.default_rng(1)
    for _ in range(2):  # two backward calls, no zero_grad in between
        x = rng.standard_normal((4, 3))
        (module(Tensor(x)) ** 2).sum().backward()
        tx = torch.tensor(x)
        inner = torch.relu(torch.nn.functional.linear(torch.nn.functional.linear(tx, w1, b1),
                                                      w2, b2))  # fmt: skip
        (torch.nn.functional.linear(inner, w1, b1) ** 2).sum().backward()
    for mine, theirs in zip(module.parameters(), (w1, b1, w2, b2)):
        assert mine.grad is mine._grad_buffer  # it lives in the packed buffer
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-12)
