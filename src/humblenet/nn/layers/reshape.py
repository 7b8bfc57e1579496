"""Layers that change the shape of each sample: ``Flatten``.

>>> import numpy as np
>>> Flatten()(np.zeros((2, 28, 28), dtype=np.float32)).shape
(2, 784)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.nn.layers.base import Layer
from humblenet.nn.registry import register
from humblenet.tensor import Tensor

__all__ = ["Flatten"]


@register
class Flatten(Layer):
    """Flatten each sample to one axis: ``(batch, 28, 28)`` becomes ``(batch, 784)``."""

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1) if x.ndim != 2 else x

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (int(np.prod(input_shape)),)

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("Flatten", [x], axis=1))
