"""Tests for the losses, as classes and by name, against PyTorch (values and gradients, float64).

For the probability versions humblenet clips probabilities to [1e-7, 1 - 1e-7] before the
logarithm, as Keras does; the reference is then PyTorch's loss on ``clamp(p, 1e-7, 1 - 1e-7)``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from humblenet import Tensor, functional
from humblenet.nn import losses

EPS = 1e-7
RNG = np.random.default_rng(2024)
N, C = 6, 4


def _probabilities(extreme: bool = True) -> np.ndarray:
    p = functional.softmax(Tensor(RNG.normal(size=(N, C)) * 2)).data
    if extreme:  # probabilities the clipping changes: exactly 0 and 1, and below 1e-7
        p[0] = [1.0, 0.0, 0.0, 0.0]
        p[1] = [1e-9, 1 - 1e-9, 0.0, 0.0]
    return p


def _check(loss: losses.Loss, prediction: np.ndarray, target, reference) -> None:
    """Compare value and gradient with ``reference(prediction_tensor)`` (a torch scalar)."""
    ours_in = Tensor(prediction, requires_grad=True)
    value = loss(ours_in, target)
    value.backward()
    torch_in = torch.tensor(prediction, requires_grad=True)
    expected = reference(torch_in)
    expected.backward()
    np.testing.assert_allclose(value.data, expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours_in.grad, torch_in.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_mse_and_mae() -> None:
    prediction, target = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))
    t = torch.tensor(target)
    _check(losses.get("mse"), prediction, target, lambda p: TF.mse_loss(p, t))
    _check(losses.MeanAbsoluteError(), prediction, target, lambda p: TF.l1_loss(p, t))
    one = RNG.normal(size=(N, 1))
    y = RNG.normal(size=N)  # 1-D targets for a single output
    yt = torch.tensor(y).reshape(-1, 1)
    _check(losses.MeanSquaredError(), one, y, lambda p: TF.mse_loss(p, yt))


def test_sparse_categorical_crossentropy_from_logits() -> None:
    logits, labels = RNG.normal(size=(N, C)) * 3, RNG.integers(0, C, N)
    lt = torch.tensor(labels)
    loss = losses.get("sparse_categorical_crossentropy", from_logits=True)
    _check(loss, logits, labels, lambda z: TF.cross_entropy(z, lt))


def test_sparse_categorical_crossentropy_from_probabilities_is_clipped_as_keras() -> None:
    p, labels = _probabilities(), RNG.integers(0, C, N)
    labels[0], labels[1] = 1, 2  # pick probabilities 0 and 0 (clipped to 1e-7)
    lt = torch.tensor(labels)
    _check(
        losses.SparseCategoricalCrossentropy(),
        p,
        labels,
        lambda q: TF.nll_loss(torch.log(torch.clamp(q, EPS, 1 - EPS)), lt),
    )
    value = losses.SparseCategoricalCrossentropy()(Tensor(p[:1]), np.array([1]))
    np.testing.assert_allclose(value.data, -np.log(1e-7), rtol=1e-12)  # not infinite


def test_categorical_crossentropy_both_forms() -> None:
    labels = RNG.integers(0, C, N)
    one_hot = np.eye(C)[labels]
    soft = functional.softmax(Tensor(RNG.normal(size=(N, C)))).data
    logits = RNG.normal(size=(N, C)) * 3
    for target in (one_hot, soft):
        tt = torch.tensor(target)
        loss = losses.CategoricalCrossentropy(from_logits=True)
        _check(loss, logits, target, lambda z, tt=tt: TF.cross_entropy(z, tt))
        _check(
            losses.get("categorical_crossentropy"),
            _probabilities(),
            target,
            lambda q, tt=tt: -(tt * torch.log(torch.clamp(q, EPS, 1 - EPS))).sum(-1).mean(),
        )
    with pytest.raises(ValueError, match=r"targets of shape \(6,\) do not match.*sparse_"):
        losses.CategoricalCrossentropy()(Tensor(_probabilities()), labels)


def test_binary_crossentropy_both_forms() -> None:
    logits = RNG.normal(size=(N, 1)) * 4
    target = RNG.integers(0, 2, (N, 1)).astype(np.float64)
    tt = torch.tensor(target)
    loss = losses.BinaryCrossentropy(from_logits=True)
    _check(loss, logits, target, lambda z: TF.binary_cross_entropy_with_logits(z, tt))
    p = 1 / (1 + np.exp(-logits))
    p[0, 0], p[1, 0] = 0.0, 1.0
    _check(
        losses.get("binary_crossentropy"),
        p,
        target,
        lambda q: TF.binary_cross_entropy(torch.clamp(q, EPS, 1 - EPS), tt),
    )


def test_names_and_unknown_name() -> None:
    assert isinstance(losses.get("mean_squared_error"), losses.MeanSquaredError)
    assert losses.get("binary_crossentropy", from_logits=True).from_logits
    custom = losses.MeanAbsoluteError()
    assert losses.get(custom) is custom
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'; known losses: .*mse"):
        losses.get("crossentropy")


def test_sparse_crossentropy_takes_labels_as_a_column_like_keras():
    import numpy as np

    from humblenet import Tensor
    from humblenet.nn import SparseCategoricalCrossentropy

    scores = Tensor(np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]))
    for from_logits in (True, False):
        loss = SparseCategoricalCrossentropy(from_logits=from_logits)
        probabilities = scores if from_logits else Tensor(np.full((2, 3), 1 / 3))
        flat = loss(probabilities, np.array([0, 2])).item()
        column = loss(probabilities, np.array([[0], [2]])).item()
        assert flat == column
