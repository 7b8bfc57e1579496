"""Keras' models: ``Model``, ``Sequential`` and ``load_model``, over humblenet's training models.

They are :class:`humblenet.Model` / :class:`humblenet.Sequential` with Keras' manners: an
optimizer named in ``compile`` gets Keras' defaults (``"rmsprop"``: learning rate 0.001,
rho 0.9), a ``keras.losses`` object is used as the humblenet loss it wraps, ``keras.Input``
may open a ``Sequential``, and ``fit`` / ``evaluate`` print Keras' lines::

    Epoch 1/20
    4000/4000 - 5s - 1ms/step - accuracy: 0.7766 - loss: 0.6284
"""

from __future__ import annotations

import os
import time
from typing import Any

from humblenet.io import safetensors as model_file
from humblenet.keras import optimizers as keras_optimizers
from humblenet.keras.layers import InputLayer
from humblenet.nn.module import Module
from humblenet.nn.registry import register
from humblenet.training import model as training

__all__ = ["Model", "Sequential", "load_model"]


def _per_step(seconds: float) -> str:
    """Keras' time per step: ``2s/step``, ``14ms/step`` or ``431us/step``."""
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _keras_line(steps: int, seconds: float, logs: dict[str, float], verbose: int) -> str:
    """``4000/4000 - 5s - 1ms/step - accuracy: 0.7766 - loss: 0.6284`` (values sorted by name,
    as Keras prints them; verbose 1 draws the finished bar Keras draws)."""
    per_step = _per_step(seconds / max(steps, 1))
    values = " - ".join(f"{key}: {logs[key]:.4f}" for key in sorted(logs))
    if verbose == 1:
        return f"{steps}/{steps} {'━' * 20} {round(seconds)}s {per_step} - {values}"
    return f"{steps}/{steps} - {round(seconds)}s - {per_step} - {values}"


class Model(training.Model):
    """Keras' ``Model``: subclass it and define ``call`` (or ``forward``)."""

    def __init_subclass__(cls, **options: Any) -> None:
        """A subclass that defines Keras' ``call`` gets it as its ``forward``."""
        super().__init_subclass__(**options)
        if "call" in vars(cls) and "forward" not in vars(cls):
            cls.forward = vars(cls)["call"]  # type: ignore[method-assign]

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        learning_rate: float | None = None,
        **ignored: Any,
    ) -> None:
        """Keras' ``compile``: a named optimizer takes Keras' defaults; a ``keras.losses``
        object is used as the loss it wraps."""
        optimizer = keras_optimizers.get(optimizer)
        loss = getattr(loss, "humblenet_loss", loss)
        super().compile(
            optimizer=optimizer, loss=loss, metrics=metrics, learning_rate=learning_rate
        )

    def _report_epoch(
        self,
        epoch: int,
        epochs: int,
        logs: dict[str, float],
        steps: int,
        seconds: float,
        verbose: int,
    ) -> None:
        print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        print(_keras_line(steps, seconds, logs, verbose), flush=True)

    def evaluate(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        verbose: Any = "auto",
        return_dict: bool = False,
        **ignored: Any,
    ) -> Any:
        """Keras' ``evaluate``: ``[loss, metric, ...]`` (or the loss alone), with Keras' line
        when verbose."""
        started = time.perf_counter()
        logs = super().evaluate(x, y, batch_size=batch_size, return_dict=True)
        level = 1 if verbose == "auto" else int(verbose)
        if level:
            steps = -(-len(x) // batch_size)
            print(_keras_line(steps, time.perf_counter() - started, logs, level), flush=True)
        return training._results(logs, return_dict)


@register(writes_as="Sequential")
class Sequential(Model, training.Sequential):
    """Keras' ``Sequential``: ``keras.Sequential([keras.Input(shape=(28, 28)), ...])`` or
    ``keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), ...])``."""

    def add(self, layer: Module) -> None:
        if isinstance(layer, InputLayer):  # declares the input; Keras keeps no layer for it
            if self.layers:
                raise ValueError("Sequential: keras.Input must come first")
            assert layer.declared_input_shape is not None
            self.build(layer.declared_input_shape)
            return
        super().add(layer)


def load_model(filepath: str | os.PathLike[str], **ignored: Any) -> Sequential:
    """A model saved with ``model.save(path)``, as a ``keras.Sequential``."""
    model = model_file.load(filepath, model_class=Sequential)
    assert isinstance(model, Sequential)
    return model
