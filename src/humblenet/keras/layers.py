"""Keras' layer names over humblenet's layers (Keras' argument names and defaults).

``Dense``, ``Flatten``, ``Dropout``, ``Activation``, ``ReLU``, ``Softmax`` are humblenet's own
(already Keras-like: ``Dense(units, activation=..., input_shape=...)``, channels last);
``LeakyReLU`` takes Keras' default slope 0.3; ``Input`` / ``InputLayer`` declare the input shape
as the first item of a ``keras.Sequential``.

>>> Dense(3, activation="relu").get_config()["units"]
3
"""

from __future__ import annotations

from typing import Any

from humblenet.nn import GELU, Activation, Dense, Dropout, Flatten, Layer, ReLU, Softmax
from humblenet.nn import LeakyReLU as _LeakyReLU
from humblenet.nn.registry import register
from humblenet.tensor import Tensor

__all__ = [
    "GELU",
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Input",
    "InputLayer",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "Softmax",
]


@register(writes_as="LeakyReLU")
class LeakyReLU(_LeakyReLU):
    """Keras' ``LeakyReLU``: ``negative_slope=0.3`` by default."""

    def __init__(self, negative_slope: float = 0.3, **options: Any) -> None:
        super().__init__(negative_slope, **options)


class InputLayer(Layer):
    """The shape of one sample, declared first in a ``keras.Sequential`` (not a layer it keeps).

    Args:
        shape: the shape without the batch axis, e.g. ``(28, 28)``.
    """

    def __init__(self, shape: Any = None, batch_size: int | None = None, **options: Any) -> None:
        super().__init__(input_shape=shape, name=options.get("name"))
        if self.declared_input_shape is None:
            raise ValueError("Input: give the shape of one sample, e.g. keras.Input(shape=(784,))")

    def forward(self, x: Tensor) -> Tensor:
        return x


def Input(shape: Any = None, batch_size: int | None = None, **options: Any) -> InputLayer:  # noqa: N802
    """Keras' ``keras.Input(shape=...)``, for the first item of a ``keras.Sequential``."""
    return InputLayer(shape, batch_size, **options)
