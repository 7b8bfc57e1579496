"""Training, Keras' way: :class:`Model` (``compile`` / ``fit`` / ``evaluate`` / ``predict`` /
``summary`` / ``save`` for any module), :class:`Sequential` (the Keras-like model of a layer
list), callbacks, and :func:`load` for a saved model.

One file per idea: ``model`` (the model classes and the loop), ``callbacks``, ``checkpoint``
(save a run and resume it exactly), ``checks`` (what ``fit`` refuses before touching a weight),
``metrics``, ``summary``, ``threads`` (how many BLAS threads the loop's products use).
"""

from humblenet.training.callbacks import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    History,
    LearningRateScheduler,
    NanGuard,
)
from humblenet.training.checkpoint import load_checkpoint, save_checkpoint
from humblenet.training.model import Model, Sequential, load

__all__ = [
    "BackupAndRestore",
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "Model",
    "NanGuard",
    "Sequential",
    "load",
    "load_checkpoint",
    "save_checkpoint",
]
