"""The training engine behind ``Sequential.compile / fit / evaluate / predict / summary``.

It is the same loop a PyTorch user writes by hand, run for them::

    for x_batch, y_batch in loader:          # 1. a shuffled mini-batch
        loss = loss_fn(model(x_batch), y_batch)  # 2. forward
        loss.backward()                      # 3. gradients
        optimizer.step()                     # 4. update, in place
        optimizer.zero_grad()

plus what Keras adds around it: input checks before any weight is touched, running loss and
accuracy, validation, callbacks (early stopping, and a guard against non-finite losses that is
on by default), and a progress bar.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet.data import DataLoader
from humblenet.nn import losses as losses_module
from humblenet.nn.layers import Dense, Softmax
from humblenet.nn.module import Module, Sequential, output_shape, seed_layer
from humblenet.tensor import Tensor, no_grad

# -- callbacks -----------------------------------------------------------------------------------


class Callback:
    """Hooks called during ``fit``; set ``self.model.stop_training = True`` to stop."""

    model: Sequential

    def set_model(self, model: Sequential) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, float]) -> None: ...

    def on_epoch_begin(self, epoch: int) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...

    def on_train_end(self, logs: dict[str, float]) -> None: ...


class History(Callback):
    """What ``fit`` returns: ``history`` maps each metric name to its value per epoch.

    Attributes:
        history: e.g. ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``.
        epoch: the epoch numbers that ran (from 0).
        stop_reason: None, or why training stopped early (early stopping, a non-finite loss).
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stop_reason: str | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class EarlyStopping(Callback):
    """Stop when a monitored value has stopped improving.

    Args:
        monitor: the value to watch, e.g. ``"val_loss"`` (default) or ``"val_accuracy"``.
        patience: the number of epochs in a row without improvement after which training stops
            (as Keras: 0 and 1 both stop at the first epoch that does not improve).
        min_delta: the smallest change that counts as an improvement.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for accuracies, min otherwise).
        restore_best_weights: at the end, put back the weights of the best epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = abs(float(min_delta))
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode = mode
        self.restore_best_weights = restore_best_weights
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs: dict[str, float]) -> None:
        self.best, self.best_epoch, self.best_weights = None, None, None
        self.wait, self.stopped_epoch = 0, None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping: monitor {self.monitor!r} is not among the logged values "
                f"{sorted(logs)}; pass validation data to watch val_* values"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            self.model.stop_reason = (
                f"early stopping: {self.monitor} has not improved for {self.wait} epochs "
                f"(best {self.best:.4g} at epoch {(self.best_epoch or 0) + 1})"
            )

    def on_train_end(self, logs: dict[str, float]) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class NanGuard(Callback):
    """Stop at the first non-finite loss and restore the last good weights (on by default).

    The weights are saved at the start of every epoch; when a batch's loss is NaN or infinite,
    training stops before that batch's update and the weights from the start of the epoch are
    put back, with a message suggesting what to lower.
    """

    def __init__(self) -> None:
        self.snapshot: dict[str, np.ndarray] | None = None
        self.triggered = False

    def on_epoch_begin(self, epoch: int) -> None:
        self.snapshot = self.model.state_dict()

    def check(self, loss: float, epoch: int, batch: int) -> bool:
        """True (and the weights restored) when ``loss`` is not finite."""
        if np.isfinite(loss):
            return False
        self.triggered = True
        if self.snapshot is not None:
            self.model.load_state_dict(self.snapshot)
        rate = getattr(self.model.optimizer, "learning_rate", None)
        hint = (
            f"lower the learning rate (now {rate:g})"
            if rate is not None
            else "lower the learning rate"
        )
        self.model.stop_training = True
        self.model.stop_reason = (
            f"the loss became {loss} at epoch {epoch + 1}, batch {batch + 1}: training stopped and "
            f"the weights from the start of epoch {epoch + 1} were restored. {hint[0].upper()}"
            f"{hint[1:]}, scale the inputs (e.g. to [0, 1]), or clip the gradients"
        )
        return True


# -- compile -------------------------------------------------------------------------------------

OPTIMIZER_NAMES = ("adagrad", "adam", "adamw", "rmsprop", "sgd")


def _make_optimizer(spec: Any, parameters: list[Any], learning_rate: float | None) -> Any:
    if not isinstance(spec, str):
        if learning_rate is not None:
            spec.learning_rate = learning_rate
        return spec
    from humblenet import optim

    classes = {
        "sgd": optim.SGD,
        "rmsprop": optim.RMSprop,
        "adagrad": optim.Adagrad,
        "adam": optim.Adam,
        "adamw": optim.AdamW,
    }
    cls = classes[spec.lower()]
    if learning_rate is None:
        return cls(parameters)
    return cls(parameters, learning_rate=learning_rate)


def compile_model(
    model: Sequential,
    optimizer: Any = "rmsprop",
    loss: Any = None,
    metrics: Sequence[str] | None = None,
    learning_rate: float | None = None,
) -> None:
    """Choose how ``model`` learns (Keras' ``compile``).

    Args:
        optimizer: a name (``"sgd"``, ``"rmsprop"``, ``"adagrad"``, ``"adam"``, ``"adamw"``) or
            an optimizer from :mod:`humblenet.optim` built on ``model.parameters()``.
        loss: a name (``"mse"``, ``"mae"``, ``"sparse_categorical_crossentropy"``,
            ``"categorical_crossentropy"``, ``"binary_crossentropy"``) or a loss object.
        metrics: ``["accuracy"]`` or nothing (``"mae"`` and ``"mse"`` also work).
        learning_rate: the learning rate for an optimizer given by name (its default if None).
    """
    if isinstance(optimizer, str) and optimizer.lower() not in OPTIMIZER_NAMES:
        raise ValueError(
            f"unknown optimizer {optimizer!r}; known optimizers: {', '.join(OPTIMIZER_NAMES)}"
        )
    if learning_rate is not None and not (
        isinstance(learning_rate, int | float) and np.isfinite(learning_rate) and learning_rate > 0
    ):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if loss is None:
        raise ValueError("compile: give a loss, e.g. loss='sparse_categorical_crossentropy'")
    loss_fn = losses_module.get(loss)
    known_metrics = ("accuracy", "acc", "mae", "mse")
    for metric in metrics or []:
        if metric not in known_metrics:
            raise ValueError(
                f"unknown metric {metric!r}; known metrics: {', '.join(known_metrics)}"
            )
    model.loss = loss_fn
    model.metrics_names = ["accuracy" if m == "acc" else m for m in (metrics or [])]
    model._optimizer_spec = optimizer
    model._learning_rate = learning_rate
    model.optimizer = None
    model.compiled = True
    if model.built or not isinstance(optimizer, str):
        model.optimizer = _make_optimizer(optimizer, model.parameters(), learning_rate)


def _require_compiled(model: Sequential, what: str) -> None:
    if not getattr(model, "compiled", False):
        raise RuntimeError(
            f"{what}: the model is not compiled; call model.compile(optimizer=..., loss=...) first"
        )


# -- checking the data ---------------------------------------------------------------------------


def _model_dtype(model: Module) -> np.dtype:
    """The parameters' dtype (for a model not built yet: the first dtype a layer asks for)."""
    params = model.parameters()
    if params:
        return params[0].dtype
    for layer in model.modules():
        dtype = getattr(layer, "dtype", None)
        if isinstance(dtype, np.dtype):
            return dtype
    return np.dtype(np.float32)


def _check_x(
    model: Sequential, x: Any, where: str, input_shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """``x`` as a float array of the model's dtype, refusing what the model cannot take.

    The samples must have the model's input shape, or ``input_shape`` when the model is not
    built yet (None: any shape).
    """
    if isinstance(x, Tensor):
        x = x.data
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{where}: x must hold numbers, got dtype {array.dtype}; convert text columns to "
            "numbers first"
        )
    if array.ndim == 0:
        raise ValueError(f"{where}: x is a single number; expected an array of samples")
    if len(array) == 0:
        raise ValueError(f"{where}: x has no samples (shape {array.shape})")
    if array.ndim == 1:
        raise ValueError(
            f"{where}: x is 1-D with shape {array.shape}; expected (samples, features). "
            "Use x.reshape(-1, 1) for one feature per sample, or x.reshape(1, -1) for one sample"
        )
    array = array.astype(_model_dtype(model), copy=False)
    if not _all_finite(array):
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"{where}: x contains NaN or infinity (first at index {position}: "
            f"{array[position]}); remove or fill those values"
        )
    expected = model.input_shape if model.built else input_shape
    if expected is not None and array.shape[1:] != expected:
        if len(expected) == 1 and array.ndim == 2:
            raise ValueError(
                f"{where}: x has {array.shape[1]} features, but the model expects {expected[0]}"
            )
        raise ValueError(
            f"{where}: x has samples of shape {array.shape[1:]}, but the model expects {expected}"
        )
    return array


def _all_finite(array: np.ndarray) -> bool:
    """No NaN or infinity in ``array``, checked without a temporary array of its size.

    A float64 sum is NaN or infinite exactly when some element is (float32 values cannot add up
    to float64's overflow); only if the sum is not finite is every element checked.
    """
    if array.dtype.kind != "f":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(array, dtype=np.float64)
    return bool(np.isfinite(total)) or bool(np.all(np.isfinite(array)))


def _output_units(model: Sequential, input_shape: tuple[int, ...]) -> int:
    """The model's outputs per sample for samples of ``input_shape`` (built or not)."""
    return int(output_shape(model, input_shape)[-1])


def _check_y(
    model: Sequential, y: Any, n: int, where: str, input_shape: tuple[int, ...]
) -> np.ndarray:
    """Targets checked against the loss: class labels in range, or values of the right shape."""
    if y is None:
        raise ValueError(f"{where}: y (the targets) is missing")
    if isinstance(y, Tensor):
        y = y.data
    array = np.asarray(y)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{where}: y must hold numbers, got dtype {array.dtype}; encode text labels as "
            "integers 0..n_classes-1"
        )
    if len(array) != n:
        raise ValueError(
            f"{where}: x and y have different lengths: x has {n} samples, y has {len(array)}"
        )
    if array.dtype.kind == "f" and not _all_finite(array):
        index = int(np.argwhere(~np.isfinite(array.reshape(n, -1)))[0][0])
        raise ValueError(f"{where}: y contains NaN or infinity (first at sample {index})")
    loss = model.loss
    units = _output_units(model, input_shape)
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        flat = array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array
        if flat.ndim != 1:
            raise ValueError(
                f"{where}: sparse_categorical_crossentropy expects one integer label per sample, "
                f"got y of shape {array.shape}; use categorical_crossentropy for one-hot rows"
            )
        if flat.dtype.kind == "f" and not np.all(flat == np.round(flat)):
            raise ValueError(
                f"{where}: class labels must be whole numbers, got e.g. "
                f"{flat[flat != np.round(flat)][0]}"
            )
        labels = flat.astype(np.int64)
        bad = (labels < 0) | (labels >= units)
        if bad.any():
            raise ValueError(
                f"{where}: class label {labels[bad][0]} is outside 0..{units - 1}: the model's "
                f"last layer has {units} outputs; give it as many units as there are classes"
            )
        return labels
    dtype = _model_dtype(model)
    if array.ndim == 1 and units == 1:
        array = array.reshape(-1, 1)
    if array.shape[1:] != (units,):
        raise ValueError(
            f"{where}: y has shape {array.shape}, but the model gives {units} outputs per sample"
        )
    return array.astype(dtype, copy=False)


def _check_batch_size(batch_size: Any, where: str) -> int:
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | np.integer)
        or batch_size < 1
    ):
        raise ValueError(f"{where}: batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)


# -- one forward pass that knows the loss --------------------------------------------------------


def _final_activation(model: Sequential) -> str | None:
    last = model.layers[-1] if model.layers else None
    if isinstance(last, Dense):
        return last.activation
    if isinstance(last, Softmax) and last.axis in (-1, 1):
        return "softmax"
    return None


def _fused_activation(model: Sequential) -> str | None:
    """``"softmax"`` or ``"sigmoid"`` when the loss is computed from the scores before the
    model's last activation (see :func:`_loss_and_scores`), else None."""
    loss = model.loss
    if loss.from_logits:
        return None
    activation = _final_activation(model)
    if activation == "softmax" and isinstance(
        loss, losses_module.SparseCategoricalCrossentropy | losses_module.CategoricalCrossentropy
    ):
        return activation
    if activation == "sigmoid" and isinstance(loss, losses_module.BinaryCrossentropy):
        return activation
    return None


def _loss_and_scores(
    model: Sequential, x: Tensor, y: np.ndarray, fused: str | None
) -> tuple[Tensor, np.ndarray]:
    """The batch loss, and the scores accuracy is judged on.

    When the model ends in softmax (or sigmoid) and the loss takes probabilities, the loss is
    computed from the scores before the activation with the fused, stable cross-entropy: the
    same value (without Keras' clipping at 1e-7) and one pass instead of three. Keras does the
    same when it can reach the logits. ``fused`` is :func:`_fused_activation` of the model.
    """
    if fused is None:
        out = model(x)
        return model.loss(out, y), out.data
    h = x
    for layer in model.layers[:-1]:
        h = layer(h)
    last = model.layers[-1]
    logits = last.forward_logits(h) if isinstance(last, Dense) else h
    if fused == "sigmoid":
        target = y.reshape(logits.shape).astype(logits.dtype, copy=False)
        return F.binary_cross_entropy_with_logits(logits, target), logits.data
    return F.cross_entropy(logits, y), logits.data


def _correct(model: Sequential, scores: np.ndarray, y: np.ndarray, from_scores: bool) -> int:
    """How many predictions in the batch are right (for the accuracy metric)."""
    loss = model.loss
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        return int(np.count_nonzero(scores.argmax(axis=-1) == y))
    if isinstance(loss, losses_module.CategoricalCrossentropy):
        return int(np.count_nonzero(scores.argmax(axis=-1) == y.argmax(axis=-1)))
    threshold = 0.0 if from_scores else 0.5
    if isinstance(loss, losses_module.BinaryCrossentropy) and loss.from_logits:
        threshold = 0.0
    return int(np.count_nonzero((scores > threshold) == (y > 0.5)))


class _Meter:
    """Running sums for one epoch: loss, accuracy and the regression metrics."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.count = 0
        self.loss = 0.0
        self.correct = 0
        self.elements = 0
        self.abs_error = 0.0
        self.sq_error = 0.0

    def add(
        self, model: Sequential, loss: float, scores: np.ndarray, y: np.ndarray, fused: str | None
    ) -> None:
        n = len(y)
        self.count += n
        self.loss += loss * n
        if "accuracy" in self.names:
            self.correct += _correct(model, scores, y, fused is not None)
        if "mae" in self.names or "mse" in self.names:
            if fused is not None:  # the metrics judge probabilities, as Keras does
                activate = F.softmax if fused == "softmax" else F.sigmoid
                scores = activate(Tensor(scores)).data
            diff = scores - y.reshape(scores.shape)
            self.elements += diff.size
            self.abs_error += float(np.abs(diff).sum())
            self.sq_error += float((diff * diff).sum())

    def logs(self, prefix: str = "") -> dict[str, float]:
        out = {prefix + "loss": self.loss / max(self.count, 1)}
        for name in self.names:
            if name == "accuracy":
                out[prefix + "accuracy"] = self.correct / max(self.count, 1)
            elif name == "mae":
                out[prefix + "mae"] = self.abs_error / max(self.elements, 1)
            elif name == "mse":
                out[prefix + "mse"] = self.sq_error / max(self.elements, 1)
        return out


# -- fit -----------------------------------------------------------------------------------------


def _progress(total: int, epoch: int, epochs: int, verbose: int) -> Any:
    """A tqdm bar when verbose and writing to a terminal (and tqdm is installed), else None."""
    if verbose != 1 or not sys.stdout.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch", leave=True)


def _format_logs(logs: dict[str, float]) -> str:
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


def fit(
    model: Sequential,
    x: Any,
    y: Any = None,
    batch_size: int = 32,
    epochs: int = 1,
    verbose: int | str = "auto",
    callbacks: Iterable[Callback] | None = None,
    validation_split: float = 0.0,
    validation_data: tuple[Any, Any] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    nan_guard: bool = True,
) -> History:
    """Train ``model`` on ``(x, y)`` for ``epochs`` passes (Keras' ``fit``).

    Args:
        x: inputs, ``(samples, ...)``, matching the model's input shape.
        y: targets: integer labels for sparse cross-entropy, one-hot rows for categorical, values
            for regression.
        batch_size: samples per update.
        epochs: passes over the data (0 checks the data and returns).
        verbose: 0 silent, 1 a progress bar in a terminal (one line per epoch otherwise),
            2 one line per epoch; ``"auto"`` is 1.
        callbacks: e.g. ``[EarlyStopping(patience=3)]``.
        validation_split: the fraction of the data, taken from the end before shuffling (as
            Keras), held out to validate on.
        validation_data: ``(x_val, y_val)`` to validate on instead.
        shuffle: reshuffle the training samples every epoch.
        seed: seeds the shuffling, and the initial weights of unseeded layers when the model
            is not built yet. A model built at construction (``input_shape=`` on its first
            layer) has its weights already: seed it with ``Sequential(..., seed=...)`` or
            each layer's ``seed=``.
        nan_guard: stop at the first non-finite loss and restore the weights from the start of
            that epoch; while it is on, NumPy's overflow warnings are silenced (the guard's
            message in ``History.stop_reason``, printed when verbose, says what happened).

    Returns:
        a :class:`History` whose ``history`` has ``loss`` (and ``accuracy``, ``val_loss``,
        ``val_accuracy`` as they apply) per epoch.
    """
    _require_compiled(model, "fit")
    batch_size = _check_batch_size(batch_size, "fit")
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 0:
        raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
    if not isinstance(validation_split, int | float) or not 0 <= validation_split < 1:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
    verbose_level = 1 if verbose == "auto" else int(verbose)

    # 1. Check everything before any weight is created or changed: a refused call leaves the
    #    model as it was (an unbuilt model stays unbuilt).
    x_array = _check_x(model, x, "fit")
    input_shape = x_array.shape[1:]
    y_array = _check_y(model, y, len(x_array), "fit", input_shape)
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise ValueError("fit: validation_data must be a pair (x_val, y_val)")
        x_val = _check_x(model, validation_data[0], "fit (validation_data)", input_shape)
        y_val = _check_y(
            model, validation_data[1], len(x_val), "fit (validation_data)", input_shape
        )
    elif validation_split > 0:
        split = int(len(x_array) * (1 - validation_split))
        if split == 0 or split == len(x_array):
            raise ValueError(
                f"fit: validation_split={validation_split} leaves no samples on one side "
                f"({len(x_array)} samples in all)"
            )
        x_array, x_val = x_array[:split], x_array[split:]
        y_array, y_val = y_array[:split], y_array[split:]
    if not model.built:
        _seed_layers(model, seed)
        model.build(input_shape)
    if model.optimizer is None:
        model.optimizer = _make_optimizer(
            model._optimizer_spec,
            model.parameters(),
            model._learning_rate,
        )

    # 2. The loop.
    history = History()
    guard = NanGuard() if nan_guard else None
    all_callbacks: list[Callback] = [history] + list(callbacks or []) + ([guard] if guard else [])
    for callback in all_callbacks:
        callback.set_model(model)
    model.stop_training = False
    model.stop_reason = None
    loader = DataLoader(
        x_array, y_array, batch_size=batch_size, shuffle=shuffle, seed=seed, reuse_buffers=True
    )
    optimizer = model.optimizer
    fused = _fused_activation(model)
    logs: dict[str, float] = {}
    for callback in all_callbacks:
        callback.on_train_begin(logs)
    # 3. With the guard on, a diverging run is expected to overflow: the guard stops it and says
    #    what to lower, so NumPy's overflow warnings would only repeat it (or, under
    #    warnings-as-errors, stop training before the guard could restore the weights).
    errors = (
        np.errstate(over="ignore", invalid="ignore", divide="ignore")
        if guard is not None
        else contextlib.nullcontext()
    )
    with errors:
        for epoch in range(epochs):
            model.train()
            for callback in all_callbacks:
                callback.on_epoch_begin(epoch)
            meter = _Meter(model.metrics_names)
            bar = _progress(len(loader), epoch, epochs, verbose_level)
            for batch, (x_batch, y_batch) in enumerate(loader):
                loss, scores = _loss_and_scores(model, Tensor(x_batch), y_batch, fused)
                loss_value = float(loss.data)
                if guard is not None and guard.check(loss_value, epoch, batch):
                    break
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                meter.add(model, loss_value, scores, y_batch, fused)
                if bar is not None:
                    bar.update(1)
                    if batch % 10 == 0:
                        bar.set_postfix(meter.logs(), refresh=False)
            if guard is not None and guard.triggered:
                if bar is not None:
                    bar.close()
                break
            logs = meter.logs()
            if x_val is not None and y_val is not None:
                logs.update(
                    _evaluate_arrays(model, x_val, y_val, max(batch_size, 256), prefix="val_")
                )
            if bar is not None:
                bar.set_postfix(logs, refresh=True)
                bar.close()
            elif verbose_level >= 1:
                print(f"Epoch {epoch + 1}/{epochs} - {_format_logs(logs)}", flush=True)
            for callback in all_callbacks:
                callback.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    for callback in all_callbacks:
        callback.on_train_end(logs)
    model.eval()
    history.stop_reason = model.stop_reason
    if model.stop_reason and verbose_level >= 1:
        print(f"Stopped: {model.stop_reason}", flush=True)
    return history


def _seed_layers(model: Sequential, seed: int | None) -> None:
    """Give unseeded layers seeds derived from ``seed``, so a seeded fit is reproducible."""
    if seed is None:
        return
    for position, layer in enumerate(model.layers):
        seed_layer(layer, seed, position)


# -- evaluate and predict ------------------------------------------------------------------------


def _evaluate_arrays(
    model: Sequential, x: np.ndarray, y: np.ndarray, batch_size: int, prefix: str = ""
) -> dict[str, float]:
    model.eval()
    meter = _Meter(model.metrics_names)
    fused = _fused_activation(model)
    with no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            loss, scores = _loss_and_scores(model, Tensor(xb), yb, fused)
            meter.add(model, float(loss.data), scores, yb, fused)
    return meter.logs(prefix)


def evaluate(
    model: Sequential,
    x: Any,
    y: Any,
    batch_size: int = 256,
    verbose: int = 0,
    return_dict: bool = False,
) -> Any:
    """Loss and metrics on ``(x, y)`` in evaluation mode (Keras' ``evaluate``).

    Returns:
        the loss alone when no metric was compiled, else ``[loss, metric, ...]``, or a dict
        with ``return_dict=True``.
    """
    _require_compiled(model, "evaluate")
    batch_size = _check_batch_size(batch_size, "evaluate")
    if not model.built:
        raise RuntimeError("evaluate: the model has not been built or trained yet; call fit first")
    x_array = _check_x(model, x, "evaluate")
    y_array = _check_y(model, y, len(x_array), "evaluate", x_array.shape[1:])
    logs = _evaluate_arrays(model, x_array, y_array, batch_size)
    if verbose:
        print(_format_logs(logs))
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model: Sequential, x: Any, batch_size: int = 1024, verbose: int = 0) -> np.ndarray:
    """The model's outputs for ``x`` (probabilities when it ends in softmax), as a NumPy array."""
    batch_size = _check_batch_size(batch_size, "predict")
    if not model.built:
        raise RuntimeError("predict: the model has not been built or trained yet; call fit first")
    x_array = _check_x(model, x, "predict")
    model.eval()
    outputs = []
    with no_grad():
        for start in range(0, len(x_array), batch_size):
            outputs.append(model(Tensor(x_array[start : start + batch_size])).data)
    return np.concatenate(outputs) if len(outputs) > 1 else outputs[0]


# -- summary -------------------------------------------------------------------------------------


def summary(model: Sequential, print_fn: Any = print) -> str:
    """A table of the layers, their output shapes and parameter counts (as Keras' ``summary``).

    The counts equal Keras' for the same network: a Dense layer has ``inputs * units + units``.
    """
    if not model.built or model.input_shape is None:
        raise RuntimeError(
            "summary: the model is not built yet; give the first layer input_shape=..., call "
            "model.build(input_shape), or fit it first"
        )
    rows = []
    shape = model.input_shape
    counts: dict[str, int] = {}
    for layer in model.layers:
        shape = output_shape(layer, shape)
        kind = type(layer).__name__
        base = kind.lower()
        index = counts.get(base, 0)
        counts[base] = index + 1
        name = getattr(layer, "name", None) or (base if index == 0 else f"{base}_{index}")
        rows.append((f"{name} ({kind})", str((None, *shape)), f"{layer.count_params():,}"))
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(r[i]) for r in [*rows, header]) + 2 for i in range(3)]
    width = sum(widths)

    def line(cells: tuple[str, str, str]) -> str:
        return cells[0].ljust(widths[0]) + cells[1].ljust(widths[1]) + cells[2].rjust(widths[2])

    total = model.count_params()
    text = "\n".join(
        [
            f'Model: "{model.name}"',
            "_" * width,
            line(header),
            "=" * width,
            *[line(r) for r in rows],
            "=" * width,
            f"Total params: {total:,}",
            f"Trainable params: {total:,}",
            "Non-trainable params: 0",
            "_" * width,
        ]
    )
    if print_fn is not None:
        print_fn(text)
    return text
