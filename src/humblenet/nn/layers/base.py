"""``Layer``: a module with Keras' life cycle, configured in ``__init__`` and built on its first
input, which writes itself down with ``get_config()``.

>>> Layer(input_shape=(28, 28)).get_config()
{'input_shape': [28, 28]}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.nn.module import Module

__all__ = ["Layer"]


def positive_size(owner: str, name: str, value: Any) -> int:
    """A layer's size argument (units, channels, heads, ...): a positive integer, else a
    ValueError naming the layer and the argument."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _shape_argument(input_shape: Any) -> tuple[int, ...] | None:
    if input_shape is None:
        return None
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    if not all(isinstance(n, int | np.integer) and n > 0 for n in shape):
        raise ValueError(
            f"input_shape must be positive integers (without the batch), got {input_shape!r}"
        )
    return tuple(int(n) for n in shape)


class Layer(Module):
    """A module with a Keras-style life: configured in ``__init__``, built on its first input.

    Args:
        input_shape: the shape of one sample (without the batch axis); only needed on a model's
            first layer, to build the model before it sees data (as Keras' ``input_shape``).
        name: an optional name shown by ``summary()``.
    """

    def __init__(self, input_shape: Any = None, name: str | None = None) -> None:
        self.declared_input_shape = _shape_argument(input_shape)
        self.name = name

    def build(self, input_shape: tuple[int, ...]) -> None:
        """Create weights for inputs of shape ``input_shape`` (nothing for most layers)."""

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if self.name is not None:
            config["name"] = self.name
        if self.declared_input_shape is not None:
            config["input_shape"] = list(self.declared_input_shape)
        return config
