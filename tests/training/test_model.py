"""``fit`` trains the model by calling it: a subclass's ``forward`` and a loss of the user's own
are what is used; buffers come back with the weights when a callback restores them."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

import humblenet
from humblenet import Tensor, nn
from humblenet import functional as F
from humblenet.training import Callback, EarlyStopping

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype(np.float32)
LABELS = (X[:, 0] + X[:, 1] > 0).astype(np.int64)


class CountingSequential(humblenet.Sequential):
    """A Sequential whose forward counts its calls and adds a constant the layers do not."""

    calls = 0

    def forward(self, x: Tensor) -> Tensor:
        type(self).calls += 1
        return super().forward(x) + 0.0


def test_fit_evaluate_and_predict_call_a_subclass_forward() -> None:
    CountingSequential.calls = 0
    model = CountingSequential([nn.Dense(2, activation="softmax", input_shape=(3,), seed=0)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(X, LABELS, epochs=2, batch_size=10, verbose=0, seed=0)
    assert CountingSequential.calls == 2 * 4  # one call per batch
    model.evaluate(X, LABELS, batch_size=20)
    model.predict(X, batch_size=40)
    assert CountingSequential.calls == 8 + 2 + 1


class Doubled(humblenet.Model):
    """Keras' subclassing API: a model is any module with a forward."""

    def __init__(self) -> None:
        self.hidden = nn.Linear(3, 4, seed=0)
        self.out = nn.Linear(4, 1, seed=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(F.relu(self.hidden(x))) * 2.0


def test_a_model_subclass_trains_like_the_same_torch_module() -> None:
    """Full-batch SGD on a Model subclass: same steps, same weights as torch."""
    y = (X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)).astype(np.float32)
    model = Doubled()
    model.compile(optimizer=humblenet.optim.SGD(model.parameters(), 0.05), loss="mse")
    model.fit(X, y, epochs=3, batch_size=len(X), shuffle=False, verbose=0)

    reference = Doubled()  # the same initial weights (seeded), copied into torch
    hidden = torch.nn.Linear(3, 4)
    out = torch.nn.Linear(4, 1)
    with torch.no_grad():
        for mine, theirs in ((reference.hidden, hidden), (reference.out, out)):
            theirs.weight.copy_(torch.from_numpy(mine.weight.data))
            theirs.bias.copy_(torch.from_numpy(mine.bias.data))
    sgd = torch.optim.SGD([*hidden.parameters(), *out.parameters()], lr=0.05)
    for _ in range(3):
        prediction = out(torch.relu(hidden(torch.from_numpy(X)))) * 2.0
        loss = torch.nn.functional.mse_loss(prediction, torch.from_numpy(y))
        sgd.zero_grad()
        loss.backward()
        sgd.step()
    np.testing.assert_allclose(model.hidden.weight.data, hidden.weight.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(model.out.bias.data, out.bias.detach().numpy(), atol=1e-5)


class HalfSquaredError(nn.Loss):
    """A loss object of the user's own: ``0.5 * mean((prediction - target)^2)``."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        self.calls += 1
        diff = prediction - Tensor(np.asarray(target, dtype=np.float32))
        return (diff * diff).mean() * 0.5


def test_a_custom_loss_object_is_used() -> None:
    y = X[:, :1].copy()
    model = humblenet.Sequential([nn.Dense(1, input_shape=(3,), seed=0)])
    loss = HalfSquaredError()
    model.compile(optimizer="sgd", loss=loss)
    model.fit(X, y, epochs=1, batch_size=20, verbose=0, seed=0)
    assert loss.calls == 2
    prediction = model.predict(X)
    expected = 0.5 * float(np.mean((prediction - y) ** 2))
    assert model.evaluate(X, y, batch_size=40) == pytest.approx(expected, rel=1e-6)


def test_a_loss_function_takes_y_true_then_y_pred_as_in_keras() -> None:
    seen: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def absolute_error(y_true: Tensor, y_pred: Tensor) -> Tensor:
        seen.append((y_true.shape, y_pred.shape))
        return (y_pred - y_true).abs().sum(axis=1)  # per sample: fit takes the mean

    y = np.stack([X[:, 0], X[:, 1]], axis=1)
    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,), seed=0)])
    model.compile(optimizer="sgd", loss=absolute_error)
    model.fit(X, y, epochs=1, batch_size=40, verbose=0)
    assert seen[0] == ((40, 2), (40, 2))
    prediction = model.predict(X)
    expected = float(np.mean(np.abs(prediction - y).sum(axis=1)))
    assert model.evaluate(X, y, batch_size=40) == pytest.approx(expected, rel=1e-6)


def test_a_loss_function_must_return_a_tensor() -> None:
    model = humblenet.Sequential([nn.Dense(1, input_shape=(3,), seed=0)])
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: 1.0)
    with pytest.raises(TypeError, match="must return a humblenet Tensor"):
        model.fit(X, X[:, :1], verbose=0)


def test_the_fused_loss_is_reached_through_the_output() -> None:
    """A softmax output carries its scores, so the loss equals torch's cross-entropy on them,
    even where the probability underflows (no clipping at 1e-7)."""
    logits = np.array([[0.0, 40.0], [3.0, -1.0]], dtype=np.float32)
    probabilities = F.softmax(Tensor(logits))
    loss = nn.SparseCategoricalCrossentropy()(probabilities, np.array([0, 0]))
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.tensor([0, 0]))
    assert float(loss.item()) == pytest.approx(float(expected), rel=1e-6)
    assert float(loss.item()) > 19  # clipped probabilities would stop at -log(1e-7) / 2 = 8.06


@nn.register
class Counter(nn.Layer):
    """The identity, counting training batches in a buffer."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.register_buffer("seen", np.zeros((), dtype=np.int64))

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            self.seen.data += 1
        return x

    def get_config(self) -> dict[str, Any]:
        return super().get_config()


class _Score(Callback):
    """Logs a made-up score per epoch, best at the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        logs["score"] = [3.0, 1.0, 2.0][epoch]


def test_early_stopping_restores_buffers_with_the_weights() -> None:
    model = humblenet.Sequential(
        [Counter(input_shape=(3,)), nn.Dense(2, activation="softmax", seed=0)]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    stopper = EarlyStopping(monitor="score", mode="max", patience=5, restore_best_weights=True)
    model.fit(X, LABELS, epochs=3, batch_size=40, verbose=0, callbacks=[_Score(), stopper])
    assert stopper.best_epoch == 0
    assert int(model[0].seen.data) == 1  # the counter as it was after epoch 1, not 3


def test_the_nan_guard_restores_buffers_with_the_weights() -> None:
    model = humblenet.Sequential([Counter(input_shape=(3,)), nn.Dense(1, seed=0)])
    model.compile(optimizer="sgd", loss="mse", learning_rate=1e20)
    y = X[:, :1] * 1e3
    history = model.fit(X, y, epochs=5, batch_size=10, verbose=0, shuffle=False)
    assert history.stop_reason is not None and "the loss became" in history.stop_reason
    epoch = len(history.epoch)  # epochs that finished before the one that diverged
    assert int(model[0].seen.data) == epoch * 4  # as at the start of the failed epoch
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_fit_evaluate_and_predict_keep_the_users_mode() -> None:
    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,), seed=0), nn.Dropout(0.5, seed=1)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.eval()
    model.fit(X, LABELS, verbose=0)
    assert not model.training and not model[1].training
    model.train()
    model.predict(X)
    model.evaluate(X, LABELS)
    assert model.training and model[1].training


class Lazy(humblenet.Model):
    """A model of the user's own whose Dense layers learn their input size on the first call."""

    def __init__(self) -> None:
        self.hidden = nn.Dense(8, activation="relu", seed=0)
        self.out = nn.Dense(2, activation="softmax", seed=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.hidden(x))


def test_a_model_of_lazy_layers_compiles_before_it_has_weights(tmp_path) -> None:
    model = Lazy()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(X, LABELS, epochs=2, batch_size=10, verbose=0, seed=0)
    assert set(history.history) == {"loss", "acc"}  # logged under the name given, as Keras
    assert model.hidden.weight.shape == (8, 3) and model.optimizer is not None
    text = model.summary(print_fn=None)
    assert "hidden (Dense)" in text and f"Total params: {3 * 8 + 8 + 8 * 2 + 2}" in text
    with pytest.raises(TypeError, match="model.save_weights"):
        model.save(tmp_path / "lazy.safetensors")
    model.save_weights(tmp_path / "lazy.safetensors")
    again = Lazy()
    again(X[:1])  # build, then load the weights saved above
    again.load_state_dict(tmp_path / "lazy.safetensors")
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_sample_and_class_weights_weigh_each_samples_loss_as_keras_does() -> None:
    """One full-batch step: the weighted loss is sum(w * loss_i) / n and its gradient moves the
    weights exactly as torch's, given the same weights and the same per-sample weights."""
    weights = np.linspace(0.5, 2.0, len(X))
    class_weight = {0: 1.0, 1: 3.0}
    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,), seed=0, dtype="float64")])
    loss_object = nn.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=humblenet.optim.SGD(model.parameters(), 0.1), loss=loss_object)
    linear = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(model[0].weight.data))
        linear.bias.copy_(torch.from_numpy(model[0].bias.data))
    history = model.fit(
        X.astype(np.float64), LABELS, epochs=1, batch_size=len(X), shuffle=False, verbose=0,
        sample_weight=weights, class_weight=class_weight,
    )  # fmt: skip
    per_sample = torch.nn.functional.cross_entropy(
        linear(torch.from_numpy(X.astype(np.float64))), torch.from_numpy(LABELS), reduction="none"
    )
    total = torch.from_numpy(weights * np.where(LABELS == 1, 3.0, 1.0))
    loss = (per_sample * total).sum() / len(X)
    loss.backward()
    assert history.history["loss"][0] == pytest.approx(loss.item(), rel=1e-12)
    with torch.no_grad():
        expected = linear.weight - 0.1 * linear.weight.grad
    np.testing.assert_allclose(model[0].weight.data, expected.numpy(), rtol=1e-12)


def test_bad_weights_are_refused_before_training() -> None:
    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,), seed=0)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.state_dict()
    with pytest.raises(
        ValueError, match=r"sample_weight must hold one number per sample, shape \(40,\)"
    ):
        model.fit(X, LABELS, sample_weight=np.ones(3), verbose=0)
    with pytest.raises(ValueError, match=r"class_weight\[1\] must be finite and >= 0"):
        model.fit(X, LABELS, class_weight={1: -2.0}, verbose=0)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_pytorch_loss_modules_compile_in_their_own_argument_order() -> None:
    """``nn.CrossEntropyLoss()`` takes (input, target) like humblenet's losses, so compile uses
    it as it is (not as a Keras function (y_true, y_pred)), and accuracy reads its logits."""
    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,), seed=0)])
    model.compile(optimizer="sgd", loss=nn.CrossEntropyLoss(), metrics=["accuracy"])
    model.fit(X, LABELS, epochs=1, batch_size=40, verbose=0)
    logits = model.predict(X)
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(LABELS))
    loss, accuracy = model.evaluate(X, LABELS, batch_size=40)
    assert loss == pytest.approx(float(expected), rel=1e-5)
    assert accuracy == pytest.approx(float(np.mean(logits.argmax(1) == LABELS)))


def test_torch_names_nn_functional_and_softmax_dim() -> None:
    import humblenet.nn.functional as NF

    x = np.array([[1.0, -2.0, 3.0]], dtype=np.float32)
    np.testing.assert_allclose(
        nn.Softmax(dim=1)(x).data, torch.softmax(torch.from_numpy(x), dim=1).numpy(), rtol=1e-6
    )
    assert nn.functional is NF
    np.testing.assert_array_equal(NF.relu(Tensor(x)).data, np.maximum(x, 0))
    assert float(NF.mse_loss(Tensor(x), np.zeros_like(x)).item()) == pytest.approx(14 / 3)


def test_predict_says_how_to_fix_an_image_batch_of_the_wrong_shape() -> None:
    from humblenet import keras

    torch_style = humblenet.Sequential(
        [nn.Conv2d(1, 2, 3, seed=0), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)]
    )
    torch_style.build((1, 6, 6))
    cases = [
        (np.zeros((1, 6, 6)), "x looks like one sample: give a batch of one, x[None]"),
        (np.zeros((5, 6, 6)), "add the channel axis: x[:, None]"),
        (
            np.zeros((5, 6, 6, 1)),
            "the channels come last in x: move them first, np.transpose(x, (0, 3, 1, 2))",
        ),
    ]
    for x, hint in cases:
        with pytest.raises(ValueError, match=r"expects \(1, 6, 6\); " + re.escape(hint)):
            torch_style.predict(x.astype(np.float32))
        torch_style.predict(_fixed(x).astype(np.float32))  # the hint's fix is accepted
    keras_style = keras.Sequential(
        [
            keras.layers.Conv2D(2, 3, input_shape=(6, 6, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    with pytest.raises(
        ValueError, match=re.escape("move them last, np.transpose(x, (0, 2, 3, 1))")
    ):
        keras_style.predict(np.zeros((4, 3, 6, 6), np.float32))


def _fixed(x: np.ndarray) -> np.ndarray:
    if x.shape == (1, 6, 6):
        return x[None]
    if x.shape == (5, 6, 6):
        return x[:, None]
    return np.transpose(x, (0, 3, 1, 2))
