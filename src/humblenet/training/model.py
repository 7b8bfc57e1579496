"""``Model``: Keras' ``compile`` / ``fit`` / ``evaluate`` / ``predict`` / ``summary`` / ``save``
for any module, and ``Sequential``, the Keras-like model made of a layer list.

``fit`` runs the loop a PyTorch user writes by hand::

    for x_batch, y_batch in loader:              # 1. a shuffled mini-batch
        loss = loss_fn(model(x_batch), y_batch)  # 2. forward: the model's own forward()
        loss.backward()                          # 3. gradients
        optimizer.step()                         # 4. update, in place
        optimizer.zero_grad()

plus what Keras adds around it: input checks before any weight is touched, running loss and
metrics, validation, callbacks (early stopping, and a guard against non-finite losses that is on
by default), and a progress bar. A model that ends in softmax (or sigmoid) trained with a
cross-entropy on probabilities gets the fused, stable cross-entropy on the scores before the
activation: the probabilities carry those scores to the loss (see :mod:`humblenet.nn.losses`).

>>> import numpy as np
>>> from humblenet.nn import Dense
>>> model = Sequential([Dense(8, activation="relu", input_shape=(2,), seed=0),
...                     Dense(2, activation="softmax", seed=1)])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
>>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
>>> history = model.fit(x, np.array([0, 1, 1, 0]), epochs=2, verbose=0, seed=0)
>>> sorted(history.history)
['accuracy', 'loss']
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from humblenet import distributed, optim
from humblenet.data import DataLoader, ImageAugmentation
from humblenet.data.images import check_augment
from humblenet.io import safetensors as model_file
from humblenet.nn import losses as losses_module
from humblenet.nn.containers import Sequential as _Layers
from humblenet.nn.containers import seed_layer
from humblenet.nn.module import Module, concurrent
from humblenet.nn.registry import register
from humblenet.tensor import Tensor, no_grad
from humblenet.training.callbacks import Callback, History, NanGuard
from humblenet.training.capture import CapturedStep
from humblenet.training.checks import check_x, check_y
from humblenet.training.metrics import METRICS, Meter
from humblenet.training.summary import summary_text
from humblenet.training.threads import blas_threads_for, spread, spread_threads
from humblenet.validation import fraction, positive, whole

__all__ = ["Loop", "Model", "Sequential", "load"]


class _UserLoss(losses_module.Loss):
    """A function ``loss(y_true, y_pred)`` in Keras' order, used as a loss object."""

    targets = "any"

    def __init__(self, function: Callable[[Tensor, Tensor], Tensor]) -> None:
        self.function = function
        self.name = getattr(function, "__name__", "loss")

    def __call__(self, prediction: Tensor, target: Any) -> Tensor:
        value = self.function(target if isinstance(target, Tensor) else Tensor(target), prediction)
        if not isinstance(value, Tensor):
            raise TypeError(
                f"the loss function {self.name!r} returned {type(value).__name__}; it must "
                "return a humblenet Tensor computed from y_pred (so gradients can flow)"
            )
        return value if value.size == 1 else value.mean()  # per-sample values: their mean


def _loss_object(loss: Any) -> losses_module.Loss:
    """A loss object from a name, a Loss, or a function ``loss(y_true, y_pred)``."""
    if loss is None:
        raise ValueError("compile: give a loss, e.g. loss='sparse_categorical_crossentropy'")
    if isinstance(loss, str | losses_module.Loss):
        return losses_module.get(loss)
    if isinstance(loss, Module):  # PyTorch's style (nn.CrossEntropyLoss()): (prediction, target)
        return loss  # type: ignore[return-value]
    if callable(loss):
        return _UserLoss(loss)
    raise TypeError(
        f"compile: loss must be a name, a humblenet.nn.Loss or a function (y_true, y_pred), "
        f"got {type(loss).__name__}"
    )


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


@contextlib.contextmanager
def _mode(model: Module, training: bool) -> Any:
    """Run a block in training or evaluation mode, then put the user's mode back."""
    previous = model.training
    model.train(training)
    try:
        yield
    finally:
        model.train(previous)


@contextlib.contextmanager
def _stop_at_batch_end(model: Model) -> Any:
    """While ``fit`` runs, a first Ctrl-C (SIGINT) asks it to stop at the end of the current
    batch (so callbacks such as BackupAndRestore can save a consistent state, after which ``fit``
    raises KeyboardInterrupt); a second one interrupts at once. One that comes after the last
    batch lets fit finish. Only in the main thread, and only when Python's own handler is in
    place (a program's own handler is left alone)."""
    model._interrupt_requested = False
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    def request_stop(number: int, frame: Any) -> None:
        if model._interrupt_requested:
            raise KeyboardInterrupt
        model._interrupt_requested = True

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        model._interrupt_requested = False


class Model(Module):
    """Keras' training methods for any module: subclass it and define ``forward`` (Keras'
    subclassing API), or use :class:`Sequential`.

    Attributes set by :meth:`compile` and :meth:`fit`: ``loss`` (a loss object), ``optimizer``,
    ``metrics_names``, ``stop_training`` (a callback sets it to stop), ``stop_reason``.
    """

    compiled = False
    loss: Any = None
    optimizer: Any = None
    metrics_names: list[str] = []
    stop_training = False
    stop_reason: str | None = None
    metadata: dict[str, Any] = {}
    loop: Any = None  # a Loop while fit runs
    interrupted = False  # fit was stopped by Ctrl-C
    _interrupt_requested = False
    _optimizer_spec: Any = None
    _learning_rate: float | None = None

    # -- compile -------------------------------------------------------------------------------

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Sequence[str] | None = None,
        learning_rate: float | None = None,
    ) -> None:
        """Choose how the model learns (Keras' ``compile``).

        Args:
            optimizer: a name (``"sgd"``, ``"rmsprop"``, ``"adagrad"``, ``"adam"``, ``"adamw"``),
                an optimizer from :mod:`humblenet.optim` built on ``model.parameters()``, or one
                built without parameters that has ``bind(parameters)`` (``keras.optimizers``).
            loss: a name (``"mse"``, ``"mae"``, ``"sparse_categorical_crossentropy"``,
                ``"categorical_crossentropy"``, ``"binary_crossentropy"``), a loss object
                (called ``loss(prediction, target)``: humblenet's and PyTorch's loss classes
                such as ``nn.CrossEntropyLoss()``), or a function ``loss(y_true, y_pred)`` in
                Keras' order returning a Tensor (per-sample values are averaged).
            metrics: ``["accuracy"]`` or nothing (``"mae"`` and ``"mse"`` also work).
            learning_rate: the learning rate for an optimizer given by name (its default if
                None).
        """
        if isinstance(optimizer, str):
            optim.get(optimizer)  # refuses an unknown name, listing the known ones
        if learning_rate is not None:
            positive("compile", "learning_rate", learning_rate)
        loss_fn = _loss_object(loss)
        for metric in metrics or []:
            if metric not in METRICS:
                raise ValueError(f"unknown metric {metric!r}; known metrics: {', '.join(METRICS)}")
        self.loss = loss_fn
        self.metrics_names = list(metrics or [])
        self._optimizer_spec = optimizer
        self._learning_rate = learning_rate
        self.optimizer = None
        self.compiled = True
        ready = getattr(self, "built", True) and bool(self.parameters())
        bound = isinstance(optimizer, optim.Optimizer)  # built on parameters already
        if ready or bound:
            self._make_optimizer()  # else fit makes it, once the layers have their weights

    def _make_optimizer(self) -> None:
        spec, rate = self._optimizer_spec, self._learning_rate
        if not isinstance(spec, str):
            bind = getattr(spec, "bind", None)  # an optimizer built without parameters (Keras')
            if bind is not None and not isinstance(spec, optim.Optimizer):
                spec = bind(self.parameters())
            if rate is not None:
                spec.learning_rate = rate
            self.optimizer = spec
            return
        cls: Any = optim.get(spec)
        self.optimizer = cls(self.parameters()) if rate is None else cls(self.parameters(), rate)

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"{what}: the model is not compiled; call model.compile(optimizer=..., loss=...) "
                "first"
            )

    def _build_for(self, x: np.ndarray) -> None:
        """Build a model that does not know its input size yet (a Sequential without
        ``input_shape``) for the samples ``x``, as Keras builds on a model's first call: its
        weights start as ``fit`` would start them without a seed."""
        if not getattr(self, "built", True):
            self.build(x.shape[1:])  # type: ignore[attr-defined]

    # -- fit -----------------------------------------------------------------------------------

    def fit(
        self,
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
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        augment: ImageAugmentation | None = None,
    ) -> History:
        """Train on ``(x, y)`` for ``epochs`` passes (Keras' ``fit``).

        Args:
            x: inputs, ``(samples, ...)``, matching the model's input shape.
            y: targets: integer labels for sparse cross-entropy, one-hot rows for categorical,
                values for regression.
            batch_size: samples per update.
            epochs: passes over the data (0 checks the data and returns).
            verbose: 0 silent, 1 a progress bar in a terminal (one line per epoch otherwise),
                2 one line per epoch; ``"auto"`` is 1.
            callbacks: e.g. ``[EarlyStopping(patience=3)]``.
            validation_split: the fraction of the data, taken from the end before shuffling
                (as Keras), held out to validate on.
            validation_data: ``(x_val, y_val)`` to validate on instead.
            shuffle: reshuffle the training samples every epoch.
            seed: seeds the shuffling, and the initial weights of unseeded layers when the model
                is not built yet. A model built at construction (``input_shape=`` on its first
                layer) has its weights already: seed it with ``Sequential(..., seed=...)`` or
                each layer's ``seed=``.
            nan_guard: stop at the first non-finite loss and restore the weights from the start
                of that epoch; while it is on, NumPy's overflow warnings are silenced (the
                guard's message in ``History.stop_reason``, printed when verbose, says what
                happened).
            class_weight: ``{class: weight}``: each sample's loss is multiplied by its class's
                weight (classes not named weigh 1), as Keras does; for imbalanced classes.
            sample_weight: one weight per sample of ``x``, multiplied into its loss (with
                ``class_weight`` too, the two multiply). A weighted batch's loss is
                ``sum(weight * loss) / batch size``, Keras' rule.
            augment: an :class:`~humblenet.data.ImageAugmentation` (random shifts, flips) for
                the training images, drawn per batch from ``(seed, epoch, batch)`` (so a resumed
                run augments as an uninterrupted one); validation data is never augmented.
                ``None`` (the default): none.

        Returns:
            a :class:`History` whose ``history`` has ``loss`` (and ``accuracy``, ``val_loss``,
            ``val_accuracy`` as they apply) per epoch. The model's mode (``train()``/``eval()``)
            is the same afterwards as before.
        """
        self._require_compiled("fit")
        batch_size = whole("fit", "batch_size", batch_size, minimum=1)
        epochs = whole("fit", "epochs", epochs)
        fraction("fit", "validation_split", validation_split)
        verbose_level = 1 if verbose == "auto" else int(verbose)

        # 1. Check everything before any weight is created or changed: a refused call leaves the
        #    model as it was (an unbuilt model stays unbuilt).
        x_array = check_x(self, x, "fit")
        input_shape = x_array.shape[1:]
        check_augment("fit", augment, x_array.shape)  # before the model is built
        y_array = check_y(self, self.loss, y, x_array, "fit")
        weights = _sample_weights(
            self, y_array, len(x_array), class_weight, sample_weight, self.loss
        )
        x_val: np.ndarray | None = None
        y_val: np.ndarray | None = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be a pair (x_val, y_val)")
            x_val = check_x(self, validation_data[0], "fit (validation_data)", input_shape)
            y_val = check_y(self, self.loss, validation_data[1], x_val, "fit (validation_data)")
        elif validation_split > 0:
            split = int(len(x_array) * (1 - validation_split))
            if split == 0 or split == len(x_array):
                raise ValueError(
                    f"fit: validation_split={validation_split} leaves no samples on one side "
                    f"({len(x_array)} samples in all)"
                )
            x_array, x_val = x_array[:split], x_array[split:]
            y_array, y_val = y_array[:split], y_array[split:]
            weights = None if weights is None else weights[:split]
        if not getattr(self, "built", True):
            if seed is not None:
                for position, layer in enumerate(self.children()):
                    seed_layer(layer, seed, position)
            self.build(input_shape)  # type: ignore[attr-defined]
        elif not self.parameters():  # a model of the user's own class whose layers build lazily
            with no_grad(), _mode(self, False):
                self(Tensor(x_array[:1]))
        if self.optimizer is None:
            self._make_optimizer()
        # Under `mpiexec -n N` (N > 1) each rank trains on its part of every batch; else None.
        parallel = distributed.data_parallel(self, self.optimizer, batch_size, len(x_array))
        if parallel is not None:
            seed = parallel.common_seed(seed)  # all ranks cut the same global batches
            verbose_level = verbose_level if parallel.rank == 0 else 0  # rank 0 prints

        # 2. The loop.
        history = History()
        guard = NanGuard() if nan_guard else None
        all_callbacks: list[Callback] = [history, *(callbacks or []), *([guard] if guard else [])]
        for callback in all_callbacks:
            callback.set_model(self)
        self.stop_training = False
        self.stop_reason = None
        # With weights, the loader hands out sample indices; the loop picks y and weights.
        targets = y_array if weights is None else np.arange(len(x_array))
        loader = DataLoader(
            x_array,
            targets,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            reuse_buffers=True,
            augment=augment,
        )
        logs: dict[str, float] = {}
        # Where the loop is, for callbacks that save and restore a run (BackupAndRestore): one
        # may move `start` forward in on_train_begin to resume at (epoch, batch).
        self.loop = Loop(loader, history, all_callbacks, self._meter, parallel)
        for callback in all_callbacks:
            callback.on_train_begin(logs)
        loop = self.loop
        # 3. With the guard on, a diverging run is expected to overflow: the guard stops it and
        #    says what to lower, so NumPy's overflow warnings would only repeat it (or, under
        #    warnings-as-errors, stop training before the guard could restore the weights).
        errors = (
            np.errstate(over="ignore", invalid="ignore", divide="ignore")
            if guard is not None
            else contextlib.nullcontext()
        )
        self.interrupted = False
        # one BLAS thread for small products; convolutions share each batch over the cores
        spreads = any(getattr(module, "spreads_batch", False) for module in self.modules())
        threads = blas_threads_for(batch_size, spreads)
        # The captured step (training/capture.py): batches of a shape already seen in this fit
        # replay the recorded forward and backward into kept arrays, with the eager numbers.
        captured = (
            CapturedStep.for_model(self, self.loss)
            if parallel is None and weights is None
            else None
        )
        with errors, threads, _mode(self, True), _stop_at_batch_end(self):
            for epoch in range(loop.start[0], epochs):
                for callback in all_callbacks:
                    callback.on_epoch_begin(epoch)
                meter = loop.begin_epoch(epoch)
                bar = _progress(len(loader), epoch, epochs, verbose_level)
                started = time.perf_counter()
                self._train_epoch(
                    loader, meter, bar, guard, epoch, y_array, weights, parallel, captured
                )
                seconds = time.perf_counter() - started
                stopped_inside = self.stop_training and loop.batch < len(loader)
                if self.interrupted or stopped_inside or (guard is not None and guard.triggered):
                    if bar is not None:
                        bar.close()
                    break  # no epoch end for an epoch not trained to its end
                if parallel is not None:
                    parallel.reduce_meter(meter)  # the metrics of the whole data, on every rank
                logs = meter.logs()
                if x_val is not None and y_val is not None:
                    logs.update(self._evaluate_arrays(x_val, y_val, max(batch_size, 256), "val_"))
                if bar is not None:
                    bar.set_postfix(logs, refresh=True)
                    bar.close()
                elif verbose_level >= 1:
                    self._report_epoch(epoch, epochs, logs, len(loader), seconds, verbose_level)
                for callback in all_callbacks:
                    callback.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        for callback in all_callbacks:
            callback.on_train_end(logs)
        self.loop = None  # it holds the loader and its data
        if self.interrupted:
            raise KeyboardInterrupt(self.stop_reason)
        history.stop_reason = self.stop_reason
        history.diverged = guard is not None and guard.triggered
        if self.stop_reason and verbose_level >= 1:
            print(f"Stopped: {self.stop_reason}", flush=True)
        return history

    def _train_epoch(
        self,
        loader: DataLoader,
        meter: Meter,
        bar: Any,
        guard: NanGuard | None,
        epoch: int,
        y: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        parallel: Any = None,
        captured: CapturedStep | None = None,
    ) -> None:
        """One pass over the training batches: forward, loss, backward, update.

        With ``weights``, the loader hands out sample indices (picking ``y`` and the weights),
        and a batch's loss is ``sum(weight * per-sample loss) / n``, Keras' rule. With
        ``parallel`` (:func:`humblenet.distributed.data_parallel`), this rank trains on its part
        of each batch and the gradients are averaged over the ranks before the step. With
        ``captured``, batches it has recorded are replayed (``training/capture.py``).
        """
        optimizer, loop = self.optimizer, self.loop
        for batch, (x_batch, second) in loop.batches(loader):
            if parallel is not None:
                x_batch, second = parallel.share(x_batch, second)
            backward: Callable[[], None]
            if captured is not None and captured.ready(x_batch, second):
                y_batch = second
                loss_value, scores_data = captured.forward(x_batch, second)
                backward = captured.backward
            else:
                scores = self(Tensor(x_batch))
                if weights is None:
                    y_batch = second
                    loss = self.loss(scores, y_batch)
                    if captured is not None:
                        captured.record(loss, x_batch, y_batch)
                else:
                    assert y is not None
                    y_batch, w_batch = y[second], weights[second]
                    per_sample = self.loss.per_sample(scores, y_batch)
                    weighted = per_sample * Tensor(w_batch.astype(per_sample.dtype))
                    loss = weighted.sum() / len(w_batch)
                loss_value, scores_data, backward = float(loss.data), scores.data, loss.backward
            checked = (
                loss_value if parallel is None else parallel.batch_loss(loss_value, len(x_batch))
            )
            if guard is not None and guard.check(checked, epoch, batch):
                return
            backward()
            if parallel is not None:
                parallel.average_gradients()
            optimizer.step()
            optimizer.zero_grad()
            meter.add(loss_value, scores_data, y_batch)
            loop.batch = batch + 1
            if self._interrupt_requested:  # Ctrl-C during this batch: stop after it
                self.interrupted = self.stop_training = True
                self.stop_reason = (
                    f"interrupted (Ctrl-C) after batch {batch + 1} of epoch {epoch + 1}"
                )
            if bar is not None:
                bar.update(1)
                if batch % 10 == 0:
                    bar.set_postfix(meter.logs(), refresh=False)
            for callback in loop.callbacks:
                callback.on_batch_end(epoch, batch)
            if self.stop_training:
                return

    def _report_epoch(
        self,
        epoch: int,
        epochs: int,
        logs: dict[str, float],
        steps: int,
        seconds: float,
        verbose: int,
    ) -> None:
        """The line printed after each epoch when verbose and not showing a progress bar."""
        print(f"Epoch {epoch + 1}/{epochs} - {_format_logs(logs)}", flush=True)

    def _meter(self) -> Meter:
        return Meter(
            self.metrics_names,
            getattr(self.loss, "targets", "any"),
            bool(getattr(self.loss, "from_logits", False)),
        )

    # -- evaluate and predict ------------------------------------------------------------------

    def _evaluate_arrays(
        self, x: np.ndarray, y: np.ndarray, batch_size: int, prefix: str = ""
    ) -> dict[str, float]:
        meter = self._meter()
        with no_grad(), _mode(self, False):
            for start in range(0, len(x), batch_size):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                scores = self(Tensor(xb))
                meter.add(float(self.loss(scores, yb).data), scores.data, yb)
        return meter.logs(prefix)

    def evaluate(
        self,
        x: Any,
        y: Any,
        batch_size: int = 256,
        verbose: int = 0,
        return_dict: bool = False,
    ) -> Any:
        """Loss and metrics on ``(x, y)``, computed in evaluation mode (Keras' ``evaluate``).

        Returns:
            the loss alone when no metric was compiled, else ``[loss, metric, ...]``, or a dict
            with ``return_dict=True``.
        """
        self._require_compiled("evaluate")
        batch_size = whole("evaluate", "batch_size", batch_size, minimum=1)
        x_array = check_x(self, x, "evaluate")
        self._build_for(x_array)
        y_array = check_y(self, self.loss, y, x_array, "evaluate")
        logs = self._evaluate_arrays(x_array, y_array, batch_size)
        if verbose:
            print(_format_logs(logs))
        return _results(logs, return_dict)

    def predict(self, x: Any, batch_size: int = 1024, verbose: int = 0) -> np.ndarray:
        """The model's outputs for ``x`` (probabilities when it ends in softmax), as a NumPy
        array, computed in evaluation mode."""
        batch_size = whole("predict", "batch_size", batch_size, minimum=1)
        x_array = check_x(self, x, "predict")
        self._build_for(x_array)
        starts = range(0, len(x_array), batch_size)
        # Batches are independent: a model whose every module says so runs them in two threads
        # at once, each product on one BLAS thread (measured in training/threads.py).
        together = all(concurrent(module) for module in self.modules())
        workers = spread_threads(len(starts)) if together else 1
        with no_grad(), _mode(self, False):
            if workers == 1:
                return self._predict_in_order(x_array, starts, batch_size)
            return self._predict_spread(x_array, starts, batch_size, workers)

    def _predict_in_order(self, x: np.ndarray, starts: range, batch_size: int) -> np.ndarray:
        """The reference: one batch after another, the outputs joined at the end."""
        outputs = [self(Tensor(x[start : start + batch_size])).data for start in starts]
        return np.concatenate(outputs) if len(outputs) > 1 else outputs[0]

    def _predict_spread(
        self, x: np.ndarray, starts: range, batch_size: int, workers: int
    ) -> np.ndarray:
        """The batches shared out over ``workers`` threads, each writing its outputs into its
        rows of one array (made by the first batch to finish, which shows their shape)."""
        out: list[np.ndarray] = []
        made = threading.Lock()

        def run(start: int) -> None:
            scores = self(Tensor(x[start : start + batch_size])).data
            with made:
                if not out:
                    out.append(np.empty((len(x), *scores.shape[1:]), dtype=scores.dtype))
            out[0][start : start + len(scores)] = scores

        spread(run, starts, workers)
        return out[0]

    # -- description and files -----------------------------------------------------------------

    def summary(self, print_fn: Any = print) -> str | None:
        """A table of the layers, their output shapes and parameter counts (as Keras'), given to
        ``print_fn`` (printed by default) and then, as Keras does, None; with ``print_fn=None``
        the table is returned instead (so an interactive session does not show it twice)."""
        text = summary_text(self)
        if print_fn is None:
            return text
        print_fn(text)
        return None

    def save(self, path: str | os.PathLike[str], **metadata: Any) -> None:
        """Write the model to a safetensors file (see :func:`humblenet.io.safetensors.save`)."""
        model_file.save(self, path, **metadata)

    def save_weights(self, path: str | os.PathLike[str]) -> None:
        """Write ``state_dict()`` alone (PyTorch's names) to a safetensors file, atomically."""
        model_file.save_state_dict(self, path)

    def load_state_dict(self, state: Any, strict: bool = True) -> None:
        """Copy values into the parameters and buffers: from a dict (``state_dict()``'s), or
        from a safetensors file's path: a PyTorch state dict saved with
        ``safetensors.torch.save_file``, ``save_weights``' file, or a saved model."""
        if isinstance(state, str | os.PathLike):
            state = model_file.read_state_dict(state)
        super().load_state_dict(state, strict=strict)

    def load_weights(self, path: str | os.PathLike[str]) -> None:
        """Keras' name for ``load_state_dict(path)``."""
        self.load_state_dict(path)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter and buffer, in ``state_dict()`` order (Keras' name)."""
        return list(self.state_dict().values())

    def set_weights(self, weights: list[Any]) -> None:
        """Put back what :meth:`get_weights` gave (the same order and shapes; Keras' name)."""
        names = list(self._state_tensors())
        if len(weights) != len(names):
            raise ValueError(
                f"set_weights: the model has {len(names)} weight arrays, got {len(weights)}"
            )
        self.load_state_dict(dict(zip(names, weights, strict=True)))


class Loop:
    """Where ``fit`` is: the epoch and the next batch, and the epoch's running sums; what a
    checkpoint needs to resume there. The order of an epoch's batches depends only on the
    loader's seed and the epoch's number, so ``(seed, epoch, batch)`` is the position.

    Attributes:
        loader: the training batches (``loader.seed`` and ``loader.epoch`` give the order).
        history, callbacks: the History being filled, and every callback of this fit.
        start: ``(epoch, batch)`` where the loop starts (``(0, 0)`` unless a callback resumes).
        epoch, batch: the epoch running and how many of its batches are done.
        meter: the running loss and metrics of the epoch (this rank's part under MPI).
        parallel: the data-parallel helper under ``mpiexec`` (None on one process).
    """

    def __init__(
        self,
        loader: DataLoader,
        history: History,
        callbacks: list[Callback],
        new_meter: Callable[[], Meter],
        parallel: Any = None,
    ) -> None:
        self.loader, self.history, self.callbacks = loader, history, callbacks
        self._new_meter = new_meter
        self.parallel = parallel
        self.start = (0, 0)
        self.epoch, self.batch = 0, 0
        self.meter = new_meter()

    def begin_epoch(self, epoch: int) -> Meter:
        """The meter for ``epoch``: fresh, or the restored one when resuming inside it."""
        self.loader.epoch = epoch  # its order: that of (seed, epoch), whatever ran before
        inside = epoch == self.start[0] and self.start[1] > 0
        if not inside:
            self.meter = self._new_meter()
        self.epoch, self.batch = epoch, self.start[1] if inside else 0
        return self.meter

    def batches(self, loader: DataLoader) -> Iterable[tuple[int, Any]]:
        """``enumerate(loader)`` from the first batch not done yet."""
        return itertools.islice(enumerate(loader), self.batch, None)

    def meter_state(self) -> dict[str, Any]:
        """The epoch's running sums as JSON data; under MPI the sums over all ranks (every
        rank must call it: it is a collective), so any number of ranks can resume them."""
        meter = self.meter
        if self.parallel is not None:
            meter = self._new_meter()
            vars(meter).update({k: v for k, v in vars(self.meter).items()})
            self.parallel.reduce_meter(meter)
        return {k: v for k, v in vars(meter).items() if isinstance(v, int | float)}

    def restore_meter(self, state: dict[str, Any]) -> None:
        """Put back :meth:`meter_state`'s sums (on rank 0 only under MPI: the epoch's end sums
        the ranks' parts)."""
        self.meter = self._new_meter()
        if self.parallel is None or self.parallel.rank == 0:
            for key, value in state.items():
                setattr(self.meter, key, value)


@register(writes_as="Sequential")
class Sequential(Model, _Layers):
    """A Keras-like model: layers applied one after the other, with ``compile`` / ``fit`` /
    ``evaluate`` / ``predict`` / ``summary`` / ``save``.

    It is :class:`humblenet.nn.Sequential` (``Sequential(a, b, c)`` or ``Sequential([a, b, c])``,
    ``name=``, ``seed=``) plus :class:`Model`'s methods.
    """


def load(path: str | os.PathLike[str], model: Module | None = None) -> Any:
    """Load a model saved with ``model.save(path)``, ready to ``predict`` (or to ``compile`` and
    train on); see :func:`humblenet.io.safetensors.load` for what is checked.

    With ``model``, the file's tensors are loaded into that model instead (and it is returned):
    a plain PyTorch state dict saved with ``safetensors.torch.save_file`` loads into the
    matching humblenet model this way, every name and shape checked.
    """
    if model is not None:
        model.load_state_dict(model_file.read_state_dict(path))
        return model
    loaded = model_file.load(path, model_class=Sequential)
    assert isinstance(loaded, Sequential)
    return loaded


def _results(logs: dict[str, float], return_dict: bool) -> Any:
    """What ``evaluate`` returns: the logs, or the loss alone, or ``[loss, metric, ...]``."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _sample_weights(
    model: Module,
    y: np.ndarray,
    n: int,
    class_weight: dict[int, float] | None,
    sample_weight: Any,
    loss: Any,
) -> np.ndarray | None:
    """One weight per sample from ``class_weight`` and ``sample_weight`` (None when neither)."""
    if class_weight is None and sample_weight is None:
        return None
    weights = np.ones(n, dtype=np.float64)
    if sample_weight is not None:
        given = np.asarray(
            sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
        )
        if given.dtype.kind not in "fiu" or given.shape != (n,):
            raise ValueError(
                f"fit: sample_weight must hold one number per sample, shape ({n},), got "
                f"{given.dtype} of shape {given.shape}"
            )
        if not np.all(np.isfinite(given)) or np.any(given < 0):
            raise ValueError("fit: sample_weight must be finite and >= 0")
        weights *= given
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(
                "fit: class_weight must be a dict {class: weight}, got "
                f"{type(class_weight).__name__}"
            )
        targets = getattr(loss, "targets", "any")
        if targets == "one_hot" or (y.ndim == 2 and y.shape[1] > 1):
            labels = y.argmax(axis=1)
        elif targets in ("labels", "binary", "any"):
            labels = np.rint(y.reshape(n, -1)[:, 0]).astype(np.int64)
        else:
            raise ValueError(
                f"fit: class_weight needs class targets; the loss {loss.name!r} has none"
            )
        for label, factor in class_weight.items():
            weight = float(factor)
            if not np.isfinite(weight) or weight < 0:
                raise ValueError(
                    f"fit: class_weight[{label!r}] must be finite and >= 0, got {factor!r}"
                )
            weights[labels == int(label)] *= weight
    return weights
