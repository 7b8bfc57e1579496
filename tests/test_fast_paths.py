"""The training step's shortcuts give the numbers of the plain path: the fused linear + ReLU node,
and a leaf keeping its first gradient array instead of copying it (only when nothing else holds
that array). The optimizers' flat fast path is tested beside the optimizers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

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


def test_gradients_add_up_shared_uses_and_repeated_backward_calls() -> None:
    """A weight used twice gets the sum of both contributions, and a second backward without
    zero_grad adds to the first, exactly as in torch."""
    module = _Twice()
    w1, b1, w2, b2 = _torch_twin(module)
    rng = np.random.default_rng(1)
    first = None
    for step in range(2):  # two backward calls, no zero_grad in between
        x = rng.standard_normal((4, 3))
        (module(Tensor(x)) ** 2).sum().backward()
        tx = torch.tensor(x)
        inner = torch.relu(torch.nn.functional.linear(torch.nn.functional.linear(tx, w1, b1),
                                                      w2, b2))  # fmt: skip
        (torch.nn.functional.linear(inner, w1, b1) ** 2).sum().backward()
        if step == 0:
            first = [p.grad for p in module.parameters()]
    for mine, theirs, array in zip(module.parameters(), (w1, b1, w2, b2), first, strict=True):
        assert mine.grad is array  # the second backward added into the first array, in place
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-12)


def test_a_kept_gradient_array_is_never_shared_between_leaves() -> None:
    """``a + b`` hands the same upstream array to both leaves; a leaf may keep a gradient array
    without copying only when nothing else holds it, so the two gradients stay apart."""
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).backward(np.arange(3.0))
    assert a.grad is not b.grad and not np.shares_memory(a.grad, b.grad)
    a.grad += 1  # changing one gradient (as clip_grad_norm does, in place) leaves the other
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 2.0])


def test_the_first_gradient_of_a_leaf_is_kept_without_a_copy() -> None:
    """The fresh array an operation's backward returns becomes ``leaf.grad`` itself (no copy per
    step). Only its ``id`` is recorded, so that nothing else holds it: were it copied, the copy
    would be made while the original is alive and would have another ``id``."""
    leaf = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    made: list[int] = []

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        fresh = g * 2
        made.append(id(fresh))
        return (fresh,)

    Tensor._make(leaf.data * 2, (leaf,), backward, "double").sum().backward()
    assert id(leaf.grad) == made[0]
    np.testing.assert_array_equal(leaf.grad, [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    ("rows", "features", "units"),
    [(15, 784, 256), (15, 512, 216), (7, 64, 300), (23, 16, 1024), (5, 8, 2000)],
)
def test_a_small_float32_batch_multiplied_in_pieces_is_the_product_within_rounding(
    monkeypatch: pytest.MonkeyPatch, rows: int, features: int, units: int
) -> None:
    """Below ``_SMALL_BATCH`` rows, ``linear`` multiplies float32 samples in pieces of rows
    where OpenBLAS has a fast path for small outputs (taken here on every machine, so that the
    pieces are checked everywhere). Each piece is a different kernel, so each output is
    checked against the float64 product within float32 rounding, and the gradients against
    torch's in float64 within 1e-5 of their largest element."""
    monkeypatch.setattr(F, "_pieces", True)
    calls = count_products(monkeypatch)
    rng = np.random.default_rng(rows + units)
    x = rng.standard_normal((rows, features)).astype(np.float32)
    w = rng.standard_normal((units, features)).astype(np.float32)
    b = rng.standard_normal(units).astype(np.float32)
    v = rng.standard_normal((rows, units)).astype(np.float32)
    assert max(1, F._SMALL_OUTPUT // units) < rows < F._SMALL_BATCH  # the pieces are taken
    tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.linear(tx, tw, tb, activation="relu")
    assert calls["n"] == -(-rows // max(1, F._SMALL_OUTPUT // units))  # one product a piece
    exact = x.astype(np.float64) @ w.T.astype(np.float64) + b
    # float32 rounding of a sum of `features` products: a few units in the last place of the
    # sum of magnitudes
    bound = 4 * features * np.finfo(np.float32).eps * (np.abs(x) @ np.abs(w.T) + np.abs(b))
    assert np.all(np.abs(out.data - np.maximum(exact, 0)) <= bound)
    (out * Tensor(v)).sum().backward()
    # the backward in float64 by torch, from the same float32 numbers
    px, pw, pb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    reference = torch.relu(torch.nn.functional.linear(px, pw, pb))
    (reference * torch.tensor(v, dtype=torch.float64)).sum().backward()
    for mine, theirs in ((tx, px), (tw, pw), (tb, pb)):
        expected = theirs.grad.numpy()
        scale = np.abs(expected).max()
        np.testing.assert_allclose(mine.grad, expected, rtol=0, atol=1e-5 * scale)


def count_products(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the calls of ``np.matmul`` made through ``functional``."""
    calls = {"n": 0}
    real = np.matmul

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(F.np, "matmul", counted)
    return calls


@pytest.mark.parametrize(
    ("kernels", "expected"),
    [
        (["SkylakeX"], True),
        (["Cooperlake", "SapphireRapids"], True),
        (["Haswell"], False),
        (["SkylakeX", "Zen"], False),
        ([], False),
    ],
)
def test_the_pieces_are_taken_only_with_openblas_small_product_kernels(
    monkeypatch: pytest.MonkeyPatch, kernels: list[str], expected: bool
) -> None:
    """The choice follows the OpenBLAS kernels threadpoolctl names (other libraries aside), and
    with them how many products a 15-row batch of 784 -> 256 takes: four pieces or one."""
    libraries = [SimpleNamespace(internal_api="openblas", architecture=name) for name in kernels]
    libraries.append(SimpleNamespace(internal_api="mkl", architecture="SkylakeX"))  # not ours
    monkeypatch.setattr(F, "blas", lambda: SimpleNamespace(lib_controllers=libraries))
    monkeypatch.setattr(F, "_pieces", None)
    assert F._pieces_pay() is expected
    calls = count_products(monkeypatch)
    x = np.ones((15, 784), np.float32)
    F.linear(Tensor(x), Tensor(np.ones((256, 784), np.float32)))
    assert calls["n"] == (4 if expected else 1)


def test_without_threadpoolctl_one_product_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "blas", lambda: None)  # what _threads.blas gives without it
    monkeypatch.setattr(F, "_pieces", None)
    assert F._pieces_pay() is False


def test_a_batch_of_samples_with_more_axes_takes_the_pieces_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(batch, steps, features) input is one matrix of batch × steps rows: equal, bit for bit, to
    the same rows given as a matrix."""
    monkeypatch.setattr(F, "_pieces", True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 40)).astype(np.float32)
    w = Tensor(rng.standard_normal((300, 40)).astype(np.float32))
    three = F.linear(Tensor(x), w).data
    two = F.linear(Tensor(x.reshape(15, 40)), w).data
    np.testing.assert_array_equal(three.reshape(15, 300), two)
