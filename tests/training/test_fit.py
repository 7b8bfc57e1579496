"""Tests for the training engine: compile / fit / evaluate / predict / summary, the History,
callbacks (early stopping, the NaN guard), the progress output, and the refusal of bad input
before any weight is touched. Exact agreement with PyTorch is in test_training_oracle.py."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import humblenet
from humblenet import Tensor, nn, optim
from humblenet.data import DataLoader, load_digits
from humblenet.training import Callback, EarlyStopping

DIGITS = load_digits(flatten=True)


def _classifier(seed: int = 0, hidden: int = 32) -> humblenet.Sequential:
    return humblenet.Sequential(
        [
            nn.Dense(hidden, activation="relu", input_shape=(64,), seed=seed),
            nn.Dense(10, activation="softmax", seed=seed + 1),
        ]
    )


def _compiled(seed: int = 0) -> humblenet.Sequential:
    model = _classifier(seed)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        learning_rate=0.01,
    )
    return model


def _same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)


# -- summary ---------------------------------------------------------------------------------------


def test_summary_of_the_part9_network_has_keras_counts() -> None:
    sizes = [784, 512, 216, 128, 64, 32, 16, 10]
    model = humblenet.Sequential(
        [nn.Flatten(input_shape=(28, 28))]
        + [nn.Dense(n, activation="relu") for n in sizes[1:-1]]
        + [nn.Dense(10, activation="softmax")]
    )
    text = model.summary(print_fn=None)
    keras_counts = [a * b + b for a, b in zip(sizes[:-1], sizes[1:])]  # Keras: in*out + out
    lines = text.splitlines()
    assert lines[0] == 'Model: "sequential"'
    rows = [line for line in lines if "(Flatten)" in line or "(Dense)" in line]
    assert len(rows) == 8
    assert rows[0].split() == ["flatten", "(Flatten)", "(None,", "784)", "0"]
    for row, units, count in zip(rows[1:], sizes[1:], keras_counts):
        assert f"(None, {units})" in row and row.endswith(f"{count:,}")
    assert rows[1].startswith("dense (Dense)") and rows[2].startswith("dense_1 (Dense)")
    # Worked by hand: 401920 + 110808 + 27776 + 8256 + 2080 + 528 + 170.
    assert sum(keras_counts) == 551_538
    assert "Total params: 551,538" in text and "Trainable params: 551,538" in text


def test_summary_prints_and_returns_none_as_keras_or_returns_the_table(capsys) -> None:
    """Keras' summary prints and returns None (so a session shows it once); print_fn=None gives
    the table back instead, and any other print_fn receives it."""
    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,))])
    assert model.summary() is None
    printed = capsys.readouterr().out
    assert "dense (Dense)" in printed
    assert model.summary(print_fn=None) == printed.rstrip("\n")
    got: list[str] = []
    assert model.summary(print_fn=got.append) is None and got == [printed.rstrip("\n")]


def test_summary_names_layers_as_keras_does() -> None:
    """Keras names a layer from its class in snake case, numbering repeats: the names
    Keras' own summary of this model shows."""
    from humblenet import keras

    L = keras.layers
    model = keras.Sequential(
        [keras.Input(shape=(8, 8, 1)), L.Conv2D(2, 3), L.BatchNormalization(), L.MaxPooling2D(),
         L.Conv2D(2, 3), L.GlobalAveragePooling2D(), L.Dense(3)]
    )  # fmt: skip
    lines = model.summary(print_fn=None).splitlines()
    names = [line.split()[0] for line in lines if " (" in line and not line.startswith("Layer")]
    assert names == ["conv2d", "batch_normalization", "max_pooling2d", "conv2d_1",
                     "global_average_pooling2d", "dense"]  # fmt: skip


def test_summary_counts_dropout_as_zero_and_refuses_an_unbuilt_model() -> None:
    model = humblenet.Sequential([nn.Dense(4, input_shape=(3,)), nn.Dropout(0.5), nn.Dense(2)])
    text = model.summary(print_fn=None)
    assert "dropout (Dropout)" in text and f"Total params: {3 * 4 + 4 + 4 * 2 + 2}" in text
    with pytest.raises(RuntimeError, match="not built yet; give the first layer input_shape"):
        humblenet.Sequential([nn.Dense(2)]).summary(print_fn=None)


# -- fit, evaluate, predict --------------------------------------------------------------------


def test_fit_learns_digits_and_reports_every_metric() -> None:
    model = _compiled()
    history = model.fit(
        DIGITS.x_train,
        DIGITS.y_train,
        epochs=4,
        batch_size=32,
        validation_data=(DIGITS.x_test, DIGITS.y_test),
        seed=0,
        verbose=0,
    )
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 4 for values in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert history.history["val_accuracy"][-1] > 0.9
    assert model.training  # the mode the model had before fit (validation ran in eval mode)


def test_evaluate_and_predict_agree_with_a_computation_by_hand() -> None:
    model = _compiled()
    model.fit(DIGITS.x_train, DIGITS.y_train, epochs=1, seed=0, verbose=0)
    probabilities = model.predict(DIGITS.x_test)
    assert probabilities.shape == (len(DIGITS.x_test), 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    picked = probabilities[np.arange(len(DIGITS.y_test)), DIGITS.y_test].astype(np.float64)
    loss_by_hand = float(np.mean(-np.log(picked)))
    accuracy_by_hand = float(np.mean(probabilities.argmax(axis=1) == DIGITS.y_test))
    loss, accuracy = model.evaluate(DIGITS.x_test, DIGITS.y_test, batch_size=100)
    assert loss == pytest.approx(loss_by_hand, rel=1e-4)
    assert accuracy == pytest.approx(accuracy_by_hand)
    logs = model.evaluate(DIGITS.x_test, DIGITS.y_test, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}


def test_validation_split_holds_out_the_last_samples() -> None:
    x, y = DIGITS.x_train[:500], DIGITS.y_train[:500]
    model = _compiled()
    history = model.fit(x, y, epochs=2, validation_split=0.2, seed=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    val_loss, val_accuracy = model.evaluate(x[400:], y[400:])
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_accuracy)


def test_seeded_fit_of_an_unbuilt_model_is_reproducible() -> None:
    states = []
    for _ in range(2):
        model = humblenet.Sequential(
            [nn.Dense(16, activation="relu"), nn.Dropout(0.2), nn.Dense(10)]
        )
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(DIGITS.x_train[:300], DIGITS.y_train[:300], epochs=2, seed=5, verbose=0)
        states.append(model.state_dict())
    assert _same_state(states[0], states[1])


def test_accuracy_of_a_sigmoid_output_trained_with_mse_thresholds_probabilities() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = humblenet.Sequential([nn.Dense(1, activation="sigmoid", input_shape=(2,), seed=0)])
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy", "mae"])
    probabilities = model.predict(x)[:, 0]
    _, accuracy, mae = model.evaluate(x, y)
    assert accuracy == pytest.approx(np.mean((probabilities > 0.5) == (y > 0.5)))
    assert mae == pytest.approx(np.mean(np.abs(probabilities - y)), rel=1e-5)


def test_metrics_of_a_fused_softmax_output_judge_probabilities() -> None:
    model = _compiled()
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy", "mse"])
    one_hot = np.eye(10, dtype=np.float32)[DIGITS.y_test]
    probabilities = model.predict(DIGITS.x_test)
    _, accuracy, mse = model.evaluate(DIGITS.x_test, one_hot)
    assert accuracy == pytest.approx(np.mean(probabilities.argmax(1) == DIGITS.y_test))
    assert mse == pytest.approx(np.mean((probabilities - one_hot) ** 2), rel=1e-5)


def test_the_pytorch_like_loop_over_a_dataloader_learns() -> None:
    model = humblenet.Sequential([nn.Linear(64, 32, seed=0), nn.ReLU(), nn.Linear(32, 10, seed=1)])
    optimizer = optim.Adam(model.parameters(), learning_rate=0.01)
    loss_fn = nn.SparseCategoricalCrossentropy(from_logits=True)
    loader = DataLoader(DIGITS.x_train, DIGITS.y_train, batch_size=32, shuffle=True, seed=0)
    first = None
    for _ in range(3):
        for x_batch, y_batch in loader:
            loss = loss_fn(model(Tensor(x_batch)), y_batch)
            first = float(loss.item()) if first is None else first
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    accuracy = np.mean(model(DIGITS.x_test).data.argmax(1) == DIGITS.y_test)
    assert accuracy > 0.9 and first is not None and first > 2.0  # from chance to > 90 %


# -- progress output ---------------------------------------------------------------------------


def test_verbose_prints_one_line_per_epoch_when_not_a_terminal(capsys) -> None:
    model = _compiled()
    x, y = DIGITS.x_train[:200], DIGITS.y_train[:200]
    model.fit(x, y, epochs=3, validation_split=0.25, verbose=1, seed=0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {epoch}/3 - loss: ")
        assert "accuracy: " in line and "val_loss: " in line and "val_accuracy: " in line
    model.fit(x, y, epochs=2, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_a_progress_bar_only_on_a_terminal(capsys, monkeypatch) -> None:
    model = _compiled()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    model.fit(DIGITS.x_train[:64], DIGITS.y_train[:64], epochs=2, batch_size=16, verbose=1)
    captured = capsys.readouterr()
    assert "Epoch 1/2" in captured.err and "4/4" in captured.err  # tqdm writes to stderr
    assert "Epoch 1/2 - loss" not in captured.out


# -- callbacks ---------------------------------------------------------------------------------


def test_early_stopping_counts_patience_as_keras() -> None:
    """Keras: ``patience`` is the number of epochs with no improvement after which it stops."""
    holder = humblenet.Sequential([nn.Dense(1, input_shape=(1,))])
    for patience, values, stop_epoch in [
        (2, [1.0, 0.5, 0.6, 0.7, 0.4], 3),  # epochs 2 and 3 do not improve: stop after 3
        (0, [1.0, 0.5, 0.6, 0.7], 2),
        (1, [1.0, 0.5, 0.6, 0.7], 2),
        (2, [1.0, 0.9, 1.0, 0.8, 0.9, 1.0], 5),  # the counter restarts at an improvement
    ]:
        stopper = EarlyStopping(patience=patience)
        stopper.set_model(holder)
        holder.stop_training = False
        stopper.on_train_begin({})
        stopped = None
        for epoch, value in enumerate(values):
            stopper.on_epoch_end(epoch, {"val_loss": value})
            if holder.stop_training:
                stopped = epoch
                break
        assert stopped == stop_epoch, (patience, values)


def test_early_stopping_restores_the_best_weights_when_val_loss_rises() -> None:
    """Validation targets are the negated training targets: every epoch of training that lowers
    the training loss raises the validation loss, so the best epoch is the first."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])

    def fresh() -> humblenet.Sequential:
        model = humblenet.Sequential([nn.Dense(1, input_shape=(3,), seed=4, dtype="float64")])
        model.compile(optimizer="sgd", loss="mse", learning_rate=0.05)
        return model

    after_one_epoch = fresh()
    after_one_epoch.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    model = fresh()
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(
        x,
        y,
        epochs=20,
        batch_size=16,
        shuffle=False,
        validation_data=(x, -y),
        callbacks=[stopper],
        verbose=0,
    )
    val_loss = history.history["val_loss"]
    assert all(b > a for a, b in zip(val_loss, val_loss[1:]))  # the crafted rise
    assert len(val_loss) == 3 and stopper.best_epoch == 0 and stopper.stopped_epoch == 2
    assert history.stop_reason is not None and "val_loss has not improved" in history.stop_reason
    assert _same_state(model.state_dict(), after_one_epoch.state_dict())


def test_early_stopping_without_validation_data_says_what_to_pass() -> None:
    model = _compiled()
    with pytest.raises(ValueError, match="monitor 'val_loss' is not among.*pass validation data"):
        model.fit(DIGITS.x_train[:50], DIGITS.y_train[:50], callbacks=[EarlyStopping()], verbose=0)


class _RaiseLearningRate(Callback):
    """After epoch ``epoch``, record the weights and make the learning rate absurd."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.weights: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if epoch == self.epoch:
            self.weights = self.model.state_dict()
            self.model.optimizer.learning_rate = 1e30


def test_nan_guard_stops_and_restores_the_last_good_weights(capsys) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32) * 10
    y = (x @ rng.normal(size=(4, 1))).astype(np.float32)
    model = humblenet.Sequential(
        [nn.Dense(8, activation="relu", input_shape=(4,), seed=0), nn.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse", learning_rate=1e-4)
    spy = _RaiseLearningRate(epoch=1)
    history = model.fit(x, y, epochs=10, batch_size=8, callbacks=[spy], verbose=1, seed=0)
    assert len(history.history["loss"]) == 2  # epochs 1 and 2 ran; epoch 3 hit a bad loss
    assert spy.weights is not None and _same_state(model.state_dict(), spy.weights)
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
    assert history.stop_reason is not None
    assert "at epoch 3" in history.stop_reason and "were restored" in history.stop_reason
    assert "Lower the learning rate (now 1e+30)" in history.stop_reason
    assert "Stopped: the loss became" in capsys.readouterr().out


def test_nan_guard_with_a_huge_sgd_learning_rate_from_the_start() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype(np.float32) * 100
    y = rng.normal(size=(64, 1)).astype(np.float32) * 100
    model = humblenet.Sequential([nn.Dense(8, input_shape=(4,), seed=0), nn.Dense(1, seed=1)])
    model.compile(optimizer=optim.SGD(model.parameters(), learning_rate=1e20), loss="mse")
    before = model.state_dict()
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history == {} and history.stop_reason is not None
    assert "lower the learning rate" in history.stop_reason.lower()
    assert _same_state(model.state_dict(), before)


# -- bad input is refused before any weight is touched -----------------------------------------


def _regressor() -> humblenet.Sequential:
    model = humblenet.Sequential(
        [nn.Dense(4, activation="relu", input_shape=(3,), seed=0), nn.Dense(2)]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def _refused(model: humblenet.Sequential, call, match: str, error: type = ValueError) -> None:
    before = model.state_dict()
    with pytest.raises(error, match=match):
        call()
    assert _same_state(model.state_dict(), before)


X3 = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
Y2 = np.random.default_rng(1).normal(size=(10, 2)).astype(np.float32)


def test_nan_or_inf_in_x_or_y_is_refused() -> None:
    model = _regressor()
    bad = X3.copy()
    bad[4, 1] = np.nan
    _refused(model, lambda: model.fit(bad, Y2, verbose=0), r"x contains NaN.*index \(4, 1\): nan")
    _refused(model, lambda: model.predict(bad), r"predict: x contains NaN")
    bad[4, 1] = np.inf
    _refused(model, lambda: model.fit(bad, Y2, verbose=0), r"x contains NaN or infinity.*inf")
    bad_y = Y2.copy()
    bad_y[7, 0] = -np.inf
    _refused(model, lambda: model.fit(X3, bad_y, verbose=0), r"y contains NaN.*sample 7")
    _refused(
        model,
        lambda: model.fit(X3, Y2, validation_data=(bad, Y2), verbose=0),
        r"validation_data\): x contains NaN",
    )


def test_lengths_feature_counts_and_1d_x_are_refused_naming_the_values() -> None:
    model = _regressor()
    _refused(
        model,
        lambda: model.fit(X3, Y2[:7], verbose=0),
        "different lengths: x has 10 samples, y has 7",
    )
    wide = np.zeros((10, 5), dtype=np.float32)
    _refused(
        model,
        lambda: model.fit(wide, Y2, verbose=0),
        "x has 5 features, but the model expects 3",
    )
    _refused(model, lambda: model.predict(wide), "x has 5 features, but the model expects 3")
    _refused(
        model,
        lambda: model.fit(np.zeros(10), Y2, verbose=0),
        r"x is 1-D with shape \(10,\).*x.reshape\(-1, 1\)",
    )
    _refused(model, lambda: model.predict(np.zeros(3)), r"1-D.*reshape\(1, -1\) for one sample")
    _refused(
        model,
        lambda: model.fit(X3, np.zeros((10, 3)), verbose=0),
        r"y has shape \(10, 3\), but the model gives 2 outputs",
    )


def test_class_labels_outside_the_range_are_refused() -> None:
    model = _compiled()
    labels = DIGITS.y_train[:20].copy()
    labels[5] = 10
    _refused(
        model,
        lambda: model.fit(DIGITS.x_train[:20], labels, verbose=0),
        "class label 10 is outside 0..9.*10 outputs",
    )
    labels[5] = -1
    _refused(
        model,
        lambda: model.fit(DIGITS.x_train[:20], labels, verbose=0),
        r"class label -1 is outside 0\.\.9",
    )


def test_unknown_names_list_the_known_ones() -> None:
    model = _regressor()
    _refused(
        model,
        lambda: model.compile(optimizer="adamm", loss="mse"),
        "unknown optimizer 'adamm'; known optimizers: adagrad, adam, adamw, rmsprop, sgd",
    )
    _refused(
        model,
        lambda: model.compile(optimizer="adam", loss="rmse"),
        "unknown loss 'rmse'; known losses: .*mae.*mse",
    )
    _refused(
        model,
        lambda: model.compile(optimizer="adam", loss="mse", metrics=["f1"]),
        "unknown metric 'f1'; known metrics: accuracy",
    )
    with pytest.raises(ValueError, match="unknown activation 'relu6'; known activations: gelu"):
        nn.Dense(3, activation="relu6")


def test_batch_size_and_epochs_are_checked() -> None:
    model = _regressor()
    # One rule everywhere (humblenet.validation): a bad value is a ValueError, a wrong type a
    # TypeError, with the caller's name first.
    _refused(model, lambda: model.fit(X3, Y2, batch_size=0), "fit: batch_size must be a whole")
    _refused(model, lambda: model.predict(X3, batch_size=0), "got 0")
    _refused(model, lambda: model.fit(X3, Y2, epochs=-1), "epochs must be a whole number >= 0")
    _refused(model, lambda: model.fit(X3, Y2, batch_size=2.5), "got float 2.5", TypeError)


def test_a_refused_fit_leaves_an_unbuilt_model_unbuilt() -> None:
    model = humblenet.Sequential([nn.Dense(4), nn.Dense(3)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.ones((6, 5), dtype=np.float32)
    with pytest.raises(ValueError, match="class label 3 is outside 0..2"):
        model.fit(x, np.array([0, 1, 2, 3, 0, 1]), verbose=0)
    assert not model.built and model.parameters() == []
    model.fit(np.ones((6, 7), dtype=np.float32), np.array([0, 1, 2, 0, 0, 1]), verbose=0)
    assert model.input_shape == (7,) and model[0].weight.shape == (4, 7)


def test_fit_and_evaluate_need_compile() -> None:
    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,))])
    with pytest.raises(RuntimeError, match=r"not compiled; call model.compile"):
        model.fit(X3, Y2)


def test_sequential_seed_makes_a_model_built_at_construction_repeatable():
    """fit(seed=) cannot seed a model whose weights exist already (input_shape= builds it);
    Sequential(seed=) seeds every layer that has no seed of its own, dropout masks included."""

    def model(seed):
        return humblenet.Sequential(
            [nn.Dense(8, activation="relu", input_shape=(4,)), nn.Dropout(0.5), nn.Dense(3)],
            seed=seed,
        )

    a, b, c = model(0), model(0), model(1)
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
        if name.endswith("weight"):  # biases start at 0 whatever the seed
            assert not np.array_equal(p.data, r.data), name
    x = np.ones((5, 4), dtype=np.float32)
    a.train(), b.train()
    np.testing.assert_array_equal(a(x).data, b(x).data)  # the same dropout masks
    assert nn.from_config(a.get_config()).get_config() == a.get_config()
