"""Callbacks: hooks that ``fit`` calls at the start and end of training and of each epoch.

``History`` (what ``fit`` returns), ``EarlyStopping`` and ``NanGuard`` (on by default). Both
``EarlyStopping(restore_best_weights=True)`` and the guard keep copies of ``state_dict()``, so
they restore buffers (running statistics) as well as weights.

>>> stopper = EarlyStopping(monitor="val_accuracy", patience=2)
>>> stopper.mode
'max'
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from humblenet import distributed
from humblenet.io.atomic import WriteError
from humblenet.io.safetensors import ModelFileError
from humblenet.training.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from humblenet.validation import whole

__all__ = [
    "BackupAndRestore",
    "BackupMismatchError",
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "NanGuard",
]


class Callback:
    """Hooks called during ``fit``; set ``self.model.stop_training = True`` to stop."""

    model: Any

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, float]) -> None: ...

    def on_epoch_begin(self, epoch: int) -> None: ...

    def on_batch_end(self, epoch: int, batch: int) -> None:
        """After each batch's update (``batch`` counted from 0 in the epoch)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...

    def on_train_end(self, logs: dict[str, float]) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of this callback, as JSON data (nothing by default)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        vars(self).update(state)


class History(Callback):
    """What ``fit`` returns: ``history`` maps each metric name to its value per epoch.

    Attributes:
        history: e.g. ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``.
        epoch: the epoch numbers that ran (from 0).
        stop_reason: None, or why training stopped early (early stopping, a non-finite loss).
        diverged: True when the NaN guard stopped the run at a non-finite loss.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stop_reason: str | None = None
        self.diverged = False

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history, "epoch": self.epoch}

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def _monitored(owner: str, monitor: str, logs: dict[str, float]) -> float:
    if monitor not in logs:
        raise ValueError(
            f"{owner}: monitor {monitor!r} is not among the logged values {sorted(logs)}; pass "
            "validation data to watch val_* values"
        )
    return float(logs[monitor])


def _mode(owner: str, mode: str, monitor: str) -> str:
    """``"min"`` or ``"max"``; ``"auto"`` is max for accuracies, min otherwise (as Keras)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


def _better(mode: str, value: float, reference: float | None, min_delta: float = 0.0) -> bool:
    """``value`` improves on ``reference`` by more than ``min_delta`` (a NaN never does)."""
    if math.isnan(value):
        return False
    if reference is None:
        return True
    if mode == "min":
        return value < reference - min_delta
    return value > reference + min_delta


class EarlyStopping(Callback):
    """Stop when a monitored value has stopped improving (Keras' ``EarlyStopping``).

    Each epoch from ``start_from_epoch`` on counts one more epoch of waiting, unless the value
    improved on the best so far (and on ``baseline``, when one is given): then the wait starts
    again. Training stops when the wait reaches ``patience`` (0 and 1 both stop at the first
    epoch that does not improve). A NaN never counts as an improvement.

    Args:
        monitor: the value to watch, e.g. ``"val_loss"`` (default) or ``"val_accuracy"``.
        patience: epochs without improvement after which training stops.
        min_delta: the smallest change that counts as an improvement.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for accuracies, min otherwise).
        baseline: a value to beat: until the monitored value beats it, the wait is not reset.
        restore_best_weights: at the end, put back the weights (and buffers) of the best epoch.
        start_from_epoch: epochs to let pass before watching (a warm-up).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
        start_from_epoch: int = 0,
        verbose: int = 0,
    ) -> None:
        self.monitor = monitor
        self.patience = whole("EarlyStopping", "patience", patience)
        self.min_delta = abs(float(min_delta))
        self.mode = _mode("EarlyStopping", mode, monitor)
        self.restore_best_weights = restore_best_weights
        self.baseline = None if baseline is None else float(baseline)
        self.start_from_epoch = whole("EarlyStopping", "start_from_epoch", start_from_epoch)
        self.verbose = verbose
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs: dict[str, float]) -> None:
        self.best, self.best_epoch, self.best_weights = None, None, None
        self.wait, self.stopped_epoch = 0, None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        value = _monitored("EarlyStopping", self.monitor, logs)
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if _better(self.mode, value, self.best, self.min_delta):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            if self.baseline is None or _better(self.mode, value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            best = "none yet" if self.best is None else f"best {self.best:.4g} at epoch "
            best += "" if self.best_epoch is None else str(self.best_epoch + 1)
            self.model.stop_reason = (
                f"early stopping: {self.monitor} has not improved for {self.wait} epochs ({best})"
            )

    def state_dict(self) -> dict[str, Any]:
        """The best value, its epoch and the wait; with ``restore_best_weights``, the best
        weights too (arrays: a checkpoint stores them as tensors)."""
        keys = ("best", "best_epoch", "wait", "stopped_epoch")
        state = {key: getattr(self, key) for key in keys}
        if self.restore_best_weights:
            state["best_weights"] = self.best_weights
        return state

    def on_train_end(self, logs: dict[str, float]) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
        if self.verbose and self.stopped_epoch is not None:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of each epoch (Keras'
    ``LearningRateScheduler``): ``schedule(epoch, learning_rate)`` returns the rate for
    ``epoch`` (counted from 0) given the current one.

    A schedule that depends on the epoch alone (``lambda epoch, rate: 2e-3 if epoch < 2 else
    2e-4``) gives a resumed run the rates of an uninterrupted one; the optimizer's rate is in
    the backup too.

    Args:
        schedule: a function ``(epoch, learning_rate) -> learning_rate`` (> 0).
        verbose: 1 prints the rate when the epoch begins.

    >>> halve = LearningRateScheduler(lambda epoch, rate: 0.1 * 0.5**epoch)
    >>> halve.schedule(2, 0.1)
    0.025
    """

    def __init__(self, schedule: Any, verbose: int = 0) -> None:
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: schedule must be a function (epoch, learning_rate) -> "
                f"learning_rate, got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int) -> None:
        optimizer = self.model.optimizer
        rate = float(self.schedule(epoch, float(optimizer.learning_rate)))
        if not math.isfinite(rate) or rate <= 0:
            raise ValueError(
                f"LearningRateScheduler: the schedule gave {rate!r} for epoch {epoch}; a "
                "learning rate must be a finite number > 0"
            )
        optimizer.learning_rate = rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {rate:.6g}")

    def state_dict(self) -> dict[str, Any]:
        """Nothing: the schedule is code, and the optimizer keeps its rate."""
        return {}


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) after epochs, every time or when it is the best
    so far (Keras' ``ModelCheckpoint``).

    The file is a safetensors file, written atomically: the whole model (``humblenet.load``
    reads it) or, with ``save_weights_only``, the weights and buffers alone under PyTorch's names
    (``model.load_state_dict(path)`` reads it, and so does ``safetensors.torch.load_file``).

    Args:
        filepath: where to write; may hold ``{epoch}`` (counted from 1) and any logged value,
            with a format: ``"model-{epoch:02d}-{val_loss:.2f}.safetensors"``. It must end in
            ``.safetensors``.
        monitor: the value that decides which epoch is best (with ``save_best_only``).
        save_best_only: write only when the monitored value improves on the best so far.
        save_weights_only: write the weights and buffers only.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_freq: ``"epoch"`` (the only frequency supported).
        initial_value_threshold: a value the first saved epoch must beat (with
            ``save_best_only``).
        verbose: 1 prints a line per save.
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        path = os.fspath(filepath)
        if not path.endswith(".safetensors"):
            raise ValueError(
                f"ModelCheckpoint: humblenet saves models as safetensors files; give a file path "
                f"ending in .safetensors, e.g. 'best.safetensors', got {path!r}"
            )
        if save_freq != "epoch":
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch', got {save_freq!r}")
        self.filepath = path
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = _mode("ModelCheckpoint", mode, monitor)
        self.best: float | None = (
            None if initial_value_threshold is None else float(initial_value_threshold)
        )

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint: cannot fill in {self.filepath!r} from the epoch and the logged "
                f"values {sorted(logs)}: {error}"
            ) from None
        if self.save_best_only:
            value = _monitored("ModelCheckpoint", self.monitor, logs)
            if not _better(self.mode, value, self.best):
                return
            self.best = value
        if distributed.rank() != 0:  # under mpiexec every rank holds the same model
            return
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved the model to {path}")


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


class BackupMismatchError(ValueError):
    """A backup that reads but belongs to another run: its weights or optimizer state do not fit
    the model and optimizer being trained (another architecture, another optimizer)."""


class BackupAndRestore(Callback):
    """Back up the whole training run to a folder, so that ``fit`` started again with the same
    arguments after a crash or a kill resumes where the last backup was (Keras'
    ``BackupAndRestore``), to the same numbers an uninterrupted run reaches.

    A backup is a checkpoint (:mod:`humblenet.training.checkpoint`): weights, optimizer state,
    every random generator, the shuffling's seed and the position in the epoch (an epoch's
    order depends on the seed and its number only), the epoch's running loss, and the state
    of the other callbacks (History, EarlyStopping with its best weights). The last ``keep``
    backups are kept; each is written atomically, so a kill during a write leaves the previous
    one whole. Under ``mpiexec`` rank 0 writes, and every rank reads the backup on resume,
    which may have another number of ranks.

    Args:
        backup_dir: the folder of the backups (created if missing).
        save_freq: ``"epoch"`` (after each epoch, written when the next one begins) or a
            number ``N``: after every ``N`` batches too, so a resume starts inside an epoch.
        delete_checkpoint: remove the backups when ``fit`` finishes (not when it is stopped
            by an interruption), and the folder with them when nothing else is in it.
        keep: how many backups to keep (at least 1).
    """

    prefix = "backup-"

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: str | int = "epoch",
        delete_checkpoint: bool = True,
        keep: int = 2,
    ) -> None:
        if save_freq != "epoch":
            if isinstance(save_freq, str):
                raise ValueError(
                    f"BackupAndRestore: save_freq must be 'epoch' or a number of batches, "
                    f"got {save_freq!r}"
                )
            save_freq = whole("BackupAndRestore", "save_freq", save_freq, minimum=1)
        self.backup_dir = Path(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        self.keep = whole("BackupAndRestore", "keep", keep, minimum=1)
        self.steps = 0  # batches trained in this run, resumed parts included
        self._pending: list[dict[str, Any]] | None = None

    def backups(self) -> list[Path]:
        """The backup files, oldest first."""
        if not self.backup_dir.is_dir():
            return []
        return sorted(self.backup_dir.glob(f"{self.prefix}*.safetensors"))

    def on_train_begin(self, logs: dict[str, float]) -> None:
        self.steps, self._pending = 0, None
        root = distributed.rank() == 0
        if root:
            try:
                self.backup_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise WriteError(error.errno, error.strerror, str(self.backup_dir)) from error
        # Rank 0 lists the backups: all ranks then try the same files in the same order.
        backups = [Path(p) for p in distributed.broadcast([str(p) for p in self.backups()])]
        if not backups:
            return
        self._refuse_old_format(backups[-1])
        loop = self.model.loop
        extra = self._load_newest(backups)
        if extra is None:
            return
        self.steps = extra["steps"]
        loop.start = (extra["epoch"], extra["batch"])
        loop.loader.seed = extra["shuffle_seed"]  # an unseeded run's drawn seed too
        loop.restore_meter(extra["meter"])
        # The other callbacks are restored once all have begun (their on_train_begin resets).
        self._pending = extra["callbacks"]

    def _refuse_old_format(self, path: Path) -> None:
        """A backup from before each epoch's order came from (seed, epoch) cannot resume to the
        numbers its run would have reached: say so instead of resuming elsewhere."""
        try:
            document = read_metadata(path)
        except (OSError, ValueError):  # damaged: _load_newest names it and falls back
            return
        if "shuffle_seed" not in document["extra"]:
            version = document.get("versions", {}).get("humblenet", "?")
            raise ModelFileError(
                f"{path}: this backup was written by humblenet {version}, which kept the "
                "shuffling generator's state; this humblenet draws each epoch's order from "
                "(seed, epoch) and cannot resume it to the same numbers. Finish the run with "
                f"humblenet {version}, or remove {self.backup_dir} to start again"
            )

    def _load_newest(self, backups: list[Path]) -> dict[str, Any] | None:
        """Load the newest backup that reads; a damaged one (a failing disk: a write itself is
        atomic) is named in a warning and the one before it is tried."""
        for path in reversed(backups):
            try:
                return load_checkpoint(path, model=self.model, optimizer=self.model.optimizer)
            except ModelFileError as error:  # damaged: name it and try the one before
                warnings.warn(
                    f"BackupAndRestore: cannot resume from {path.name} ({error}); trying the "
                    "backup before it",
                    UserWarning,
                    stacklevel=2,
                )
            except ValueError as error:  # it reads, but another run's: never resume elsewhere
                raise BackupMismatchError(
                    f"BackupAndRestore: the backup {path} does not fit this run ({error}); "
                    "resume with the same model and optimizer (on the command line: the same "
                    f"arguments), or remove {self.backup_dir} to start again"
                ) from error
        warnings.warn(
            f"BackupAndRestore: no backup in {self.backup_dir} could be read; training starts "
            "from the beginning",
            UserWarning,
            stacklevel=2,
        )
        return None

    def _restore_callbacks(self) -> None:
        if self._pending is not None:
            for callback, state in zip(self.model.loop.callbacks, self._pending):
                if callback is not self:
                    callback.load_state_dict(state)
            self._pending = None

    def on_epoch_begin(self, epoch: int) -> None:
        self._restore_callbacks()
        # The backup of an epoch's end is written here, once every callback has seen the epoch
        # (EarlyStopping after this one in the list, for example).
        if epoch != self.model.loop.start[0]:
            self.save(epoch, 0)

    def on_batch_end(self, epoch: int, batch: int) -> None:
        self.steps += 1
        loop = self.model.loop
        inside = loop.batch < len(loop.loader)
        every = self.save_freq
        if getattr(self.model, "interrupted", False):  # Ctrl-C: fit stops after this batch
            self.save(epoch, batch + 1)
        elif isinstance(every, int) and self.steps % every == 0 and inside:
            self.save(epoch, batch + 1)

    def save(self, epoch: int, batch: int) -> Path:
        """Back up the run at ``(epoch, batch)``: the next batch to train. Under MPI every rank
        calls it (the epoch's sums are added over the ranks) and rank 0 writes."""
        loop = self.model.loop
        path = self.backup_dir / f"{self.prefix}{self.steps:012d}.safetensors"
        meter = loop.meter_state()  # a collective under MPI
        if distributed.rank() != 0:
            return path
        save_checkpoint(
            path,
            model=self.model,
            optimizer=self.model.optimizer,
            epoch=epoch,
            batch=batch,
            steps=self.steps,
            shuffle_seed=loop.loader.seed,
            meter=meter,
            callbacks=[callback.state_dict() for callback in loop.callbacks],
        )
        for old in self.backups()[: -self.keep]:
            old.unlink()
        return path  # (a temporary left by a killed write went with the write: io.atomic)

    def on_train_end(self, logs: dict[str, float]) -> None:
        self._restore_callbacks()  # a resumed fit that had no epoch left to run
        loop = self.model.loop
        if getattr(self.model, "interrupted", False):
            return
        if self.delete_checkpoint:
            if distributed.rank() == 0:
                for path in self.backups():
                    path.unlink()
                with contextlib.suppress(OSError):  # as Keras: the folder goes too, if empty
                    self.backup_dir.rmdir()
        elif loop.batch == len(loop.loader):  # the run is complete: a fit started again ends
            self.save(loop.epoch + 1, 0)
