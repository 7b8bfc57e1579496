"""Keras code runs on humblenet as written: the names, defaults and semantics Keras documents."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import humblenet
import humblenet as tf
from humblenet import keras
from humblenet.data import DatasetNotFoundError, read_idx
from humblenet.data.catalog import fashion_mnist_search_folders

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4)).astype(np.float32)
Y = (X[:, 0] > X[:, 1]).astype(np.int64)


def _classifier() -> keras.Sequential:
    return keras.Sequential(
        [keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)],
        seed=0,
    )


def test_tf_keras_names_resolve() -> None:
    assert tf.keras is keras
    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert isinstance(loss, keras.losses.Loss)


def test_keras_losses_take_y_true_then_y_pred() -> None:
    logits = humblenet.Tensor(RNG.normal(size=(5, 3)))
    labels = np.array([0, 2, 1, 1, 0])
    expected = torch.nn.functional.cross_entropy(
        torch.from_numpy(logits.data), torch.from_numpy(labels)
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert float(loss(labels, logits).item()) == pytest.approx(float(expected), rel=1e-12)
    per_sample = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    assert per_sample.shape == (5,)
    weights = np.array([1.0, 0.0, 2.0, 1.0, 1.0])
    weighted = loss(labels, logits, sample_weight=weights)
    assert float(weighted.item()) == pytest.approx(float((per_sample.data * weights).sum() / 5))


def test_optimizers_are_built_without_parameters_with_keras_defaults() -> None:
    model = _classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    rmsprop = model.optimizer
    assert type(rmsprop).__name__ == "RMSprop"
    assert (rmsprop.learning_rate, rmsprop.alpha, rmsprop.eps) == (0.001, 0.9, 1e-7)
    adam = keras.optimizers.Adam(learning_rate=0.01, beta_1=0.8)
    model.compile(optimizer=adam, loss="sparse_categorical_crossentropy")
    assert model.optimizer is adam.bound and model.optimizer.betas == (0.8, 0.999)
    assert model.optimizer.params == model.parameters()
    assert keras.optimizers.SGD().settings == {
        "learning_rate": 0.01,
        "momentum": 0.0,
        "nesterov": False,
    }
    assert keras.optimizers.Adagrad().bind(model.parameters()).initial_accumulator_value == 0.1
    assert keras.optimizers.AdamW().bind(model.parameters()).weight_decay == 0.004


def test_input_opens_a_sequential_and_summary_counts_as_keras() -> None:
    model = _classifier()
    assert model.input_shape == (4,) and len(model.layers) == 2
    text = model.summary(print_fn=None)
    assert "Total params: 58" in text  # 4 * 8 + 8 + 8 * 2 + 2


def test_to_categorical_matches_one_hot_by_hand() -> None:
    labels = np.array([3, 0, 1])
    expected = np.zeros((3, 5), dtype=np.float32)
    expected[np.arange(3), labels] = 1
    np.testing.assert_array_equal(keras.utils.to_categorical(labels, num_classes=5), expected)
    assert keras.utils.to_categorical(labels).shape == (3, 4)
    with pytest.raises(ValueError, match="label 3 is outside 0..1"):
        keras.utils.to_categorical(labels, num_classes=2)


def test_fashion_mnist_load_data_is_what_keras_returns() -> None:
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except DatasetNotFoundError:
        import os

        if os.environ.get("HUMBLENET_REQUIRE_DATA"):
            raise
        pytest.skip("Fashion-MNIST is not installed")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    folder = next(path for _, path in fashion_mnist_search_folders() if path.is_dir())
    raw = read_idx(next(folder.glob("t10k-labels-idx1-ubyte*")))
    np.testing.assert_array_equal(y_test, raw)


def test_mnist_load_data_names_where_it_looked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("HUMBLENET_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError, match="MNIST not found.*To get it"):
        keras.datasets.mnist.load_data()
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path)):
        keras.datasets.mnist.load_data(path=tmp_path)


def _fit_with(callback, values: list[float], epochs: int) -> keras.Sequential:
    """Fit for ``epochs`` with a made-up ``score`` per epoch placed in the logs."""

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs):
            logs["score"] = values[epoch]

    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=epochs, verbose=0, callbacks=[Score(), callback])
    return model


def test_early_stopping_patience_as_keras() -> None:
    stopper = keras.callbacks.EarlyStopping(monitor="score", mode="min", patience=2)
    _fit_with(stopper, [5, 4, 4.5, 4.2, 1, 1], 6)
    assert stopper.stopped_epoch == 3 and stopper.best == 4 and stopper.best_epoch == 1


def test_early_stopping_baseline_keeps_the_wait_until_it_is_beaten() -> None:
    """Improving on the best but not on the baseline does not reset the wait (Keras): the
    epochs 5 and 4 count as waiting, so the first epoch without improvement stops training."""
    values = [5, 4, 4.5, 3, 3]
    stopper = keras.callbacks.EarlyStopping(monitor="score", mode="min", patience=2, baseline=1.0)
    _fit_with(stopper, values, 5)
    assert stopper.stopped_epoch == 2 and stopper.best == 4
    without = keras.callbacks.EarlyStopping(monitor="score", mode="min", patience=2)
    _fit_with(without, values, 5)
    assert without.stopped_epoch is None and without.best == 3


def test_early_stopping_waits_for_start_from_epoch_and_never_takes_nan_as_best() -> None:
    stopper = keras.callbacks.EarlyStopping(monitor="score", mode="min", start_from_epoch=2)
    _fit_with(stopper, [9, 9, 3, 4, 1], 5)
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 3
    stopper = keras.callbacks.EarlyStopping(monitor="score", mode="min", patience=3)
    _fit_with(stopper, [math.nan, 5, 6, 7, 8], 5)
    assert stopper.best == 5 and stopper.best_epoch == 1


def test_model_checkpoint_saves_the_best_epochs_under_a_template(tmp_path: Path) -> None:
    template = str(tmp_path / "model-{epoch:02d}-{score:.1f}.safetensors")
    checkpoint = keras.callbacks.ModelCheckpoint(
        template, monitor="score", mode="min", save_best_only=True
    )
    model = _fit_with(checkpoint, [3.0, 2.0, 2.5, 1.0], 4)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [
        "model-01-3.0.safetensors",
        "model-02-2.0.safetensors",
        "model-04-1.0.safetensors",
    ]
    last = keras.models.load_model(tmp_path / "model-04-1.0.safetensors")
    np.testing.assert_array_equal(last.predict(X), model.predict(X))


def test_weights_only_checkpoints_load_into_pytorch(tmp_path: Path) -> None:
    path = tmp_path / "weights.safetensors"
    model = _fit_with(
        keras.callbacks.ModelCheckpoint(path, save_weights_only=True, monitor="loss"), [0, 0], 2
    )
    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    twin.load_state_dict(load_file(path), strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(
            twin(torch.from_numpy(X)).numpy(), model.predict(X), rtol=1e-5, atol=1e-6
        )
    with pytest.raises(ValueError, match="ending in .safetensors"):
        keras.callbacks.ModelCheckpoint(tmp_path / "best.keras")


def test_a_pytorch_state_dict_file_loads_into_the_matching_model(tmp_path: Path) -> None:
    """PyTorch's names are the model's own: 0.weight, 2.weight for Dense(relu), Dense."""
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    path = tmp_path / "torch.safetensors"
    save_file(twin.state_dict(), path)
    model = _classifier()
    assert list(model.state_dict()) == list(twin.state_dict())
    model.load_state_dict(path)
    with torch.no_grad():
        expected = twin(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
    other = humblenet.load(path, model=_classifier())
    np.testing.assert_array_equal(other.predict(X), model.predict(X))
    with pytest.raises(humblenet.io.safetensors.ModelFileError, match="holds weights only"):
        humblenet.load(path)
    with pytest.raises(ValueError, match=r"0.weight: shape \(8, 4\) in the state, \(3, 4\)"):
        keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)]).load_state_dict(path)


@pytest.mark.parametrize("optimizer", ["adam", "keras Adam"])
def test_a_model_without_input_compiles_and_builds_on_its_first_fit(optimizer) -> None:  # type: ignore[no-untyped-def]
    """Keras compiles a Sequential that has no input shape yet and builds it in fit; so here,
    with an optimizer by name or a Keras optimizer object (which used to be bound to the
    empty parameter list at compile, and refused). It trains as the same model given its
    Input does."""

    def model(*head):  # type: ignore[no-untyped-def]
        built = keras.Sequential(
            [*head, keras.layers.Conv2D(2, 3, activation="relu", seed=0),
             keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax", seed=1)]
        )  # fmt: skip
        chosen = "adam" if optimizer == "adam" else keras.optimizers.Adam(learning_rate=0.01)
        built.compile(optimizer=chosen, loss="sparse_categorical_crossentropy")
        return built

    x = np.random.default_rng(0).random((8, 6, 6, 1)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    lazy, given = model(), model(keras.Input(shape=(6, 6, 1)))
    assert lazy.optimizer is None  # made in fit, once the layers have their weights
    histories = [m.fit(x, y, epochs=3, seed=0, verbose=0).history["loss"] for m in (lazy, given)]
    assert histories[0] == histories[1]
    assert [p.shape for p in lazy.optimizer.params] == [p.shape for p in lazy.parameters()]


def test_build_takes_keras_batch_shape_with_none_first() -> None:
    """``model.build((None, 6, 6, 1))`` as Keras writes it builds for samples (6, 6, 1), the
    same weights' shapes as ``build((6, 6, 1))``; None inside a sample is refused, saying so."""
    def model() -> keras.Sequential:
        return keras.Sequential([keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                                 keras.layers.Dense(3)])  # fmt: skip

    batch, sample = model(), model()
    batch.build((None, 6, 6, 1))
    sample.build((6, 6, 1))
    assert batch.input_shape == (6, 6, 1)
    assert [p.shape for p in batch.parameters()] == [p.shape for p in sample.parameters()]
    with pytest.raises(ValueError, match=r"None in a sample's size.*\(None, 28, 28, 1\)"):
        model().build((6, None, 1))


def test_predict_before_fit_builds_the_model_as_keras_does() -> None:
    """A Sequential without ``input_shape`` learns its input size from its first call, predict
    or evaluate as well as fit; the weights it gets are the ones fit then trains."""
    model = keras.Sequential([keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])  # fmt: skip
    x = np.random.default_rng(0).random((4, 6, 6, 1)).astype(np.float32)
    before = model.predict(x)
    assert before.shape == (4, 3)
    np.testing.assert_allclose(before.sum(axis=1), 1, rtol=1e-6)
    assert model.count_params() == (3 * 3 * 1 * 2 + 2) + (4 * 4 * 2 * 3 + 3)
    np.testing.assert_array_equal(model.predict(x), before)  # built once, not again
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    assert not np.array_equal(model.predict(x), before)
