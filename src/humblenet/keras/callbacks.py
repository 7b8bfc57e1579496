"""Keras' callback names over humblenet's callbacks (:mod:`humblenet.training.callbacks`)."""

from humblenet.training.callbacks import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    NanGuard,
)

TerminateOnNaN = NanGuard
"""Keras' name for the guard against a non-finite loss (in humblenet it is on by default)."""

__all__ = [
    "BackupAndRestore",
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "TerminateOnNaN",
]
