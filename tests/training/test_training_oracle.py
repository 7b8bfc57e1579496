"""End to end against PyTorch: a small MLP (8-16-8-3, ReLU) trained for 50 steps in float64 by
humblenet and by PyTorch, from the same initial weights on the same batches, ends with the same
weights (to 1e-8), with SGD + momentum and with Adam, through both ways humblenet trains:

- the PyTorch-like loop (``loss.backward(); optimizer.step(); optimizer.zero_grad()``) over a
  shuffled ``humblenet.data.DataLoader`` (PyTorch is given the very batches the loader yielded);
- the Keras-like ``fit(..., shuffle=False)`` (PyTorch takes the batches in order).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import humblenet
from humblenet import Tensor, nn, optim
from humblenet.data import DataLoader

RNG = np.random.default_rng(7)
X = RNG.normal(size=(200, 8))
Y = RNG.integers(0, 3, 200)
BATCH, EPOCHS = 20, 5  # 10 batches an epoch: 50 steps
SIZES = [8, 16, 8, 3]

# foreach=False: PyTorch's one-tensor-at-a-time implementation (the same update); its default
# multi-tensor path spends seconds on its first use on a CPU.
OPTIMIZERS = {
    "sgd_momentum": (
        lambda params: optim.SGD(params, learning_rate=0.05, momentum=0.9),
        lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9, foreach=False),
    ),
    "adam": (
        lambda params: optim.Adam(params, learning_rate=0.01),
        lambda params: torch.optim.Adam(params, lr=0.01, foreach=False),
    ),
}


def _torch_copy(layers: list[nn.Dense]) -> torch.nn.Sequential:
    """PyTorch's version of the MLP, holding the same initial weights (the same layout)."""
    modules: list[torch.nn.Module] = []
    for layer in layers:
        linear = torch.nn.Linear(layer.in_features, layer.units, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.weight.data))
            linear.bias.copy_(torch.from_numpy(layer.bias.data))
        modules += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*modules[:-1])  # no ReLU after the last layer: logits


def _train_torch(model: torch.nn.Module, make_optimizer, batches) -> list[float]:
    optimizer = make_optimizer(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for xb, yb in batches:
        loss = loss_fn(model(torch.from_numpy(xb)), torch.from_numpy(yb))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def _assert_same_weights(layers: list[nn.Dense], reference: torch.nn.Sequential) -> None:
    linears = [m for m in reference if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(layers, linears, strict=True):
        np.testing.assert_allclose(layer.weight.data, linear.weight.detach().numpy(), atol=1e-8)
        np.testing.assert_allclose(layer.bias.data, linear.bias.detach().numpy(), atol=1e-8)
        assert not np.allclose(layer.weight.data, 0)


def _in_order_batches() -> list[tuple[np.ndarray, np.ndarray]]:
    one_epoch = [(X[i : i + BATCH], Y[i : i + BATCH]) for i in range(0, len(X), BATCH)]
    return one_epoch * EPOCHS


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_pytorch_like_loop_matches_torch(optimizer_name: str) -> None:
    make_ours, make_torch = OPTIMIZERS[optimizer_name]
    linears = [
        nn.Linear(a, b, seed=i, dtype="float64") for i, (a, b) in enumerate(zip(SIZES, SIZES[1:]))
    ]
    model = nn.Sequential([linears[0], nn.ReLU(), linears[1], nn.ReLU(), linears[2]])
    reference = _torch_copy(linears)
    optimizer = make_ours(model.parameters())
    loss_fn = nn.SparseCategoricalCrossentropy(from_logits=True)
    loader = DataLoader(X, Y, batch_size=BATCH, shuffle=True, seed=0)
    batches, our_losses = [], []
    for _ in range(EPOCHS):
        for x_batch, y_batch in loader:
            batches.append((x_batch.copy(), y_batch.copy()))
            loss = loss_fn(model(Tensor(x_batch)), y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            our_losses.append(float(loss.item()))
    assert len(batches) == 50
    assert not np.array_equal(batches[0][0], X[:BATCH])  # really shuffled
    torch_losses = _train_torch(reference, make_torch, batches)
    np.testing.assert_allclose(our_losses, torch_losses, rtol=1e-9)
    _assert_same_weights(linears, reference)


def _dense_model(last_activation: str | None) -> tuple[humblenet.Sequential, list[nn.Dense]]:
    layers = [
        nn.Dense(16, activation="relu", input_shape=(8,), seed=1, dtype="float64"),
        nn.Dense(8, activation="relu", seed=2, dtype="float64"),
        nn.Dense(3, activation=last_activation, seed=3, dtype="float64"),
    ]
    return humblenet.Sequential(layers), layers


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_fit_without_shuffling_matches_torch(optimizer_name: str) -> None:
    make_ours, make_torch = OPTIMIZERS[optimizer_name]
    model, layers = _dense_model(None)
    reference = _torch_copy(layers)
    model.compile(
        optimizer=make_ours(model.parameters()),
        loss=nn.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(X, Y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, verbose=0)
    torch_losses = _train_torch(reference, make_torch, _in_order_batches())
    epoch_means = np.mean(np.reshape(torch_losses, (EPOCHS, -1)), axis=1)  # equal batches
    np.testing.assert_allclose(history.history["loss"], epoch_means, rtol=1e-9)
    _assert_same_weights(layers, reference)


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_fused_softmax_output_trains_like_torch_cross_entropy_on_logits(
    optimizer_name: str,
) -> None:
    """A model ending in ``Dense(3, activation="softmax")`` compiled with
    ``sparse_categorical_crossentropy`` (probabilities, ``from_logits=False``) is trained by
    ``fit`` with the fused, stable cross-entropy on the scores before the softmax: exactly
    PyTorch's ``CrossEntropyLoss`` on the logits.

    The difference from Keras: Keras clips the probabilities to [1e-7, 1 - 1e-7] before the
    logarithm, so where a probability of the true class falls below 1e-7 (a loss above
    -log(1e-7) = 16.1) Keras' loss stops growing and its gradient is zero; the fused loss keeps
    the exact value and gradient. Here every loss is far below 16, so the clipping never acts.
    """
    make_ours, make_torch = OPTIMIZERS[optimizer_name]
    model, layers = _dense_model("softmax")
    reference = _torch_copy(layers)
    model.compile(optimizer=make_ours(model.parameters()), loss="sparse_categorical_crossentropy")
    history = model.fit(X, Y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, verbose=0)
    torch_losses = _train_torch(reference, make_torch, _in_order_batches())
    assert max(torch_losses) < 5
    epoch_means = np.mean(np.reshape(torch_losses, (EPOCHS, -1)), axis=1)
    np.testing.assert_allclose(history.history["loss"], epoch_means, rtol=1e-9)
    _assert_same_weights(layers, reference)
    with torch.no_grad():
        expected = torch.softmax(reference(torch.from_numpy(X)), dim=-1).numpy()
    np.testing.assert_allclose(model.predict(X), expected, atol=1e-12)
