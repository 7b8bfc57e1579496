"""Callbacks: hooks that ``fit`` calls at the start and end of training and of each epoch.

``History`` (what ``fit`` returns), ``EarlyStopping`` and ``NanGuard`` (on by default). Both
``EarlyStopping(restore_best_weights=True)`` and the guard keep copies of ``state_dict()``, so
they restore buffers (running statistics) as well as weights.

>>> stopper = EarlyStopping(monitor="val_accuracy", patience=2)
>>> stopper.mode
'max'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.validation import whole

__all__ = ["Callback", "EarlyStopping", "History", "NanGuard"]


class Callback:
    """Hooks called during ``fit``; set ``self.model.stop_training = True`` to stop."""

    model: Any

    def set_model(self, model: Any) -> None:
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
        self.monitor = monitor
        self.patience = whole("EarlyStopping", "patience", patience)
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
