"""The captured training step (``humblenet.training.capture``): whole ``fit`` runs with it equal
the eager path's bit for bit (weights, losses, metrics), it really replays (counted), and every
model or batch it cannot replay takes the eager path with the same numbers and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import humblenet
from humblenet import functional as F
from humblenet import nn, optim
from humblenet.training import capture

RNG = np.random.default_rng(7)
X = RNG.standard_normal((203, 20)).astype(np.float32)  # 203: the last batch is a short one
Y = (X[:, :4].sum(axis=1) > 0).astype(np.int64) + 2 * (X[:, 4] > 0.5)  # 4 classes


def _model(
    sizes: tuple[int, ...] = (20, 24, 16, 4),
    last: str | None = None,
    dtype: Any = "float32",
    layer: type = nn.Dense,
) -> humblenet.Sequential:
    layers = [layer(n, activation="relu", seed=i, dtype=dtype) for i, n in enumerate(sizes[1:-1])]
    layers.append(layer(sizes[-1], activation=last, seed=99, dtype=dtype))
    model = humblenet.Sequential(layers)
    model.build((sizes[0],))
    return model


def _fit(
    monkeypatch: pytest.MonkeyPatch,
    captured: bool,
    model_fn: Any = _model,
    batch_size: int = 32,
    loss: Any = None,
    x: np.ndarray = X,
    y: np.ndarray = Y,
    optimizer: Any = optim.Adam,
    **fit_options: Any,
) -> tuple[list[np.ndarray], dict[str, list[float]], int]:
    """Weights and history after three epochs, and how many batches were replayed."""
    monkeypatch.setenv("HUMBLENET_CAPTURE", "1" if captured else "0")
    replayed = [0]
    forward = capture.CapturedStep.forward

    def counted(self: capture.CapturedStep, *args: Any) -> Any:
        replayed[0] += 1
        return forward(self, *args)

    monkeypatch.setattr(capture.CapturedStep, "forward", counted)
    model = model_fn()
    model.compile(
        optimizer=optimizer(model.parameters(), learning_rate=0.01),
        loss=loss or nn.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(
        x, y, batch_size=batch_size, epochs=3, shuffle=True, seed=3, verbose=0, **fit_options
    )
    return model.get_weights(), history.history, replayed[0]


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
    assert len(a[0]) == len(b[0])
    for wa, wb in zip(a[0], b[0]):
        assert wa.dtype == wb.dtype
        np.testing.assert_array_equal(wa, wb)  # bit for bit, not close
    assert a[1] == b[1]


@pytest.mark.parametrize("batch_size", [32, 15, 5])
def test_captured_fit_equals_eager_fit_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, batch_size: int
) -> None:
    captured, eager = (
        _fit(monkeypatch, True, batch_size=batch_size),
        _fit(monkeypatch, False, batch_size=batch_size),
    )
    _same(captured, eager)
    batches = -(-len(X) // batch_size)
    # every batch but two, run eagerly and recorded: the first, and the first of the short
    # last batches (another shape), whose later epochs' copies are replayed
    assert captured[2] == 3 * batches - 2 and eager[2] == 0
    assert captured[1]["loss"][-1] < captured[1]["loss"][0]  # it did train


def test_row_pieces_replayed_as_in_the_eager_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where functional._product multiplies small batches in pieces (SkylakeX's kernels), the
    replay takes the same pieces; forced here so that it runs on every machine."""
    monkeypatch.setattr(F, "_pieces", True)
    monkeypatch.setattr(F, "_SMALL_OUTPUT", 48)  # pieces of 2 rows for 24 units

    def model() -> humblenet.Sequential:
        return _model((20, 24, 16, 4))

    captured = _fit(monkeypatch, True, model, batch_size=15)
    _same(captured, _fit(monkeypatch, False, model, batch_size=15))
    assert captured[2] > 0


def test_deep_float64_and_softmax_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep() -> humblenet.Sequential:
        return _model((20, 32, 16, 12, 8, 4), dtype="float64")

    captured = _fit(monkeypatch, True, deep, batch_size=16)
    _same(captured, _fit(monkeypatch, False, deep, batch_size=16))
    assert captured[0][0].dtype == np.float64 and captured[2] > 0

    def softmax() -> humblenet.Sequential:  # Keras' usual model: probabilities out
        return _model(last="softmax")

    loss = nn.SparseCategoricalCrossentropy()
    captured = _fit(monkeypatch, True, softmax, loss=loss)
    _same(captured, _fit(monkeypatch, False, softmax, loss=loss))
    assert captured[2] > 0


def test_other_optimizers(monkeypatch: pytest.MonkeyPatch) -> None:
    for optimizer in (optim.SGD, optim.RMSprop, optim.AdamW):
        captured = _fit(monkeypatch, True, optimizer=optimizer)
        _same(captured, _fit(monkeypatch, False, optimizer=optimizer))
        assert captured[2] > 0


class _Doubled(nn.Dense):
    """A user's layer: its own forward, which the captured step must not replay as Dense's."""

    def forward(self, x: Any) -> Any:
        return super().forward(x) * 2.0


@pytest.mark.parametrize(
    "case",
    ["subclassed layer", "tanh", "logits into a probability loss", "frozen", "sample weights"],
)
def test_what_cannot_be_replayed_runs_eagerly_with_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    model_fn: Any = _model
    loss: Any = None
    options: dict[str, Any] = {}
    if case == "subclassed layer":

        def model_fn() -> humblenet.Sequential:
            return _model(layer=_Doubled)

    elif case == "tanh":

        def model_fn() -> humblenet.Sequential:
            model = humblenet.Sequential(
                [nn.Dense(24, activation="tanh", seed=1), nn.Dense(4, seed=2)]
            )
            model.build((20,))
            return model

    elif case == "logits into a probability loss":
        loss = nn.SparseCategoricalCrossentropy()  # from_logits=False, no softmax layer

        def model_fn() -> humblenet.Sequential:
            return _model(last="sigmoid")

    elif case == "frozen":

        def model_fn() -> humblenet.Sequential:
            model = _model()
            model.layers[0].weight.requires_grad = False
            return model

    else:
        options = {"sample_weight": np.linspace(0.5, 1.5, len(X))}
    captured = _fit(monkeypatch, True, model_fn, loss=loss, **options)
    _same(captured, _fit(monkeypatch, False, model_fn, loss=loss, **options))
    assert captured[2] == 0


def test_weights_replaced_between_fits_are_read_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay reads each layer's arrays at every batch: weights loaded between two fits
    (new arrays) train as in the eager path."""
    runs = []
    for captured in (True, False):
        monkeypatch.setenv("HUMBLENET_CAPTURE", "1" if captured else "0")
        model = _model()
        model.compile(optimizer="adam", loss=nn.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(X, Y, batch_size=32, epochs=1, seed=1, verbose=0)
        other = _model(sizes=(20, 24, 16, 4))
        model.set_weights([w * 0.5 for w in other.get_weights()])
        model.fit(X, Y, batch_size=32, epochs=1, seed=2, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_a_bad_label_in_a_replayed_batch_is_refused_as_in_the_eager_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    y = Y.copy()
    y[150] = 9  # 4 classes; in a batch replayed after the first
    messages = []
    for captured in (True, False):
        monkeypatch.setenv("HUMBLENET_CAPTURE", "1" if captured else "0")
        model = _model()
        model.compile(optimizer="adam", loss=nn.SparseCategoricalCrossentropy(from_logits=True))
        with pytest.raises(ValueError, match="class label 9 is outside 0..3") as error:
            model.fit(X, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_no_capture_without_the_compiled_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model()
    loss = nn.SparseCategoricalCrossentropy(from_logits=True)
    monkeypatch.setenv("HUMBLENET_CAPTURE", "1")
    assert capture.CapturedStep.for_model(model, loss) is not None
    monkeypatch.setattr(capture._linear_kernels, "linear_kernels", lambda: None)
    assert capture.CapturedStep.for_model(model, loss) is None


def _tied() -> humblenet.Sequential:
    shared = nn.Dense(16, activation="relu", seed=1)
    model = humblenet.Sequential([nn.Dense(16, activation="relu", seed=0), shared, shared])
    model.layers.append(nn.Dense(4, seed=2))
    model.build((20,))
    return model


def _mixed() -> humblenet.Sequential:
    model = humblenet.Sequential([nn.Dense(16, seed=0, dtype="float64"), nn.Dense(4, seed=2)])
    model.build((20,))
    return model


@pytest.mark.parametrize("model_fn", [_tied, _mixed], ids=["a layer used twice", "mixed dtypes"])
def test_shared_parameters_and_mixed_dtypes_run_eagerly(
    monkeypatch: pytest.MonkeyPatch, model_fn: Any
) -> None:
    """A layer used twice gets the sum of two gradients, and a float32 parameter beside float64
    ones gets its gradient cast to float32, in the eager path: neither is replayed (found by a
    new-user trial, where the replay overwrote the first gradient and kept float64 ones)."""
    captured = _fit(monkeypatch, True, model_fn)
    _same(captured, _fit(monkeypatch, False, model_fn))
    assert captured[2] == 0


class _TripleLossAfterEpoch1(humblenet.training.Callback):
    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if epoch == 0:
            base = nn.SparseCategoricalCrossentropy(from_logits=True)
            self.model.loss = lambda scores, target: base(scores, target) * 3.0


def test_a_loss_replaced_during_fit_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    captured = _fit(monkeypatch, True, callbacks=[_TripleLossAfterEpoch1()])
    eager = _fit(monkeypatch, False, callbacks=[_TripleLossAfterEpoch1()])
    _same(captured, eager)
    assert captured[1]["loss"][1] > 2 * captured[1]["loss"][0]  # the tripled loss was trained


class _KeepsGradients(optim.SGD):
    """A user's optimizer that keeps each step's gradient arrays (as a momentum of its own
    might): they must stay as they were, as the eager path's new arrays do."""

    kept: list[np.ndarray]

    def step(self) -> None:
        self.kept.extend(p.grad for p in self.params if p.grad is not None)
        super().step()


def test_gradients_kept_by_the_user_are_not_written_over(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = []
    for captured in (True, False):
        monkeypatch.setenv("HUMBLENET_CAPTURE", "1" if captured else "0")
        model = _model()
        optimizer = _KeepsGradients(model.parameters(), learning_rate=0.05)
        optimizer.kept = []
        model.compile(optimizer=optimizer, loss=nn.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(X, Y, batch_size=64, epochs=1, shuffle=False, verbose=0)
        kept.append(optimizer.kept)
    assert len(kept[0]) == len(kept[1]) == 4 * 6
    assert len({id(g) for g in kept[0]}) == len(kept[0])  # a new array per step
    for a, b in zip(*kept):
        np.testing.assert_array_equal(a, b)
