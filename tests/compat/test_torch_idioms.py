"""Idioms from PyTorch's tutorials beyond the Quickstart, checked against real PyTorch: a
hand-written weight update inside ``no_grad()``, in-place methods, a tensor as an index or a
formatted number, and a Keras loss called on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import humblenet
from humblenet import keras


def test_a_hand_written_update_in_no_grad_keeps_the_leaf_and_matches_torch() -> None:
    """PyTorch's "Learning PyTorch with Examples": fit y = a + b·x by hand for 20 steps."""
    x = np.linspace(-1, 1, 50)
    y = 0.5 + 2.0 * x
    ours = [humblenet.tensor(v, dtype=humblenet.float64, requires_grad=True) for v in (0.1, -0.3)]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.1, -0.3)]
    for library, (a, b) in ((humblenet, ours), (torch, theirs)):
        xs, ys = library.from_numpy(x), library.from_numpy(y)
        for _ in range(20):
            loss = ((a + b * xs - ys) ** 2).sum()
            loss.backward()
            with library.no_grad():
                a -= 1e-3 * a.grad
                b -= 1e-3 * b.grad
                a.grad = None
                b.grad = None
    assert ours[0].requires_grad and ours[0].is_leaf
    np.testing.assert_allclose([t.item() for t in ours], [t.item() for t in theirs], rtol=1e-12)


def test_in_place_methods_match_torch() -> None:
    start = np.array([1.0, -2.0, 3.0])
    ours, theirs = humblenet.tensor(start.copy()), torch.tensor(start.copy())
    for tensor in (ours, theirs):
        tensor.add_(tensor, alpha=2.0).sub_(1.0).mul_(0.5)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert ours.zero_().tolist() == [0.0, 0.0, 0.0]
    assert ours.fill_(7).tolist() == [7.0, 7.0, 7.0]


def test_in_place_change_of_a_recorded_tensor_outside_no_grad_is_refused() -> None:
    w = humblenet.tensor([1.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"sub_: cannot change a tensor that requires grad.*no_grad"
    ):
        w.sub_(1.0)
    total = w * 1.0
    total += 2.0  # a recorded tensor: += makes a new tensor, as x = x + 2 would
    total.sum().backward()
    assert w.grad.tolist() == [1.0]


def test_a_tensor_is_an_index_an_int_and_a_formatted_number() -> None:
    classes = ["T-shirt", "Trouser", "Pullover"]
    prediction = humblenet.tensor([[0.1, 0.7, 0.2]])
    assert classes[prediction[0].argmax(0)] == "Trouser"
    assert int(humblenet.tensor(2)) == 2
    assert f"{humblenet.tensor(3.14159):.2f}" == "3.14"
    with pytest.raises(TypeError, match="one-element integer tensor"):
        classes[humblenet.tensor(1.5)]


def test_a_keras_loss_takes_plain_arrays_of_predictions() -> None:
    logits = np.array([[2.0, -1.0, 0.5]])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.tensor([2]))
    assert float(loss(np.array([2]), logits).item()) == pytest.approx(float(expected), rel=1e-12)


def test_get_and_set_weights_round_trip() -> None:
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)], seed=0)
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(2, 3), (2,)]
    other = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)], seed=1)
    other.set_weights(weights)
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    with pytest.raises(ValueError, match="has 2 weight arrays, got 1"):
        other.set_weights(weights[:1])
