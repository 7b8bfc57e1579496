"""Layers that change the shape of each sample: ``Flatten``.

>>> import numpy as np
>>> Flatten()(np.zeros((2, 28, 28), dtype=np.float32)).shape
(2, 784)
>>> Flatten(start_dim=2)(np.zeros((2, 3, 4, 5), dtype=np.float32)).shape
(2, 3, 20)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.nn.layers.base import Layer
from humblenet.nn.registry import register
from humblenet.tensor import Tensor

__all__ = ["Flatten"]


def _axis_argument(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"Flatten: {name} must be a whole number, got {value!r}")
    return int(value)


@register
class Flatten(Layer):
    """Merge axes ``start_dim`` to ``end_dim`` of the input into one (as ``torch.nn.Flatten``).

    With the defaults, each sample becomes one axis: ``(batch, 28, 28)`` becomes
    ``(batch, 784)`` (as Keras' ``Flatten``, which takes ``input_shape=`` on a model's first
    layer).

    Args:
        start_dim: the first axis merged, counting the batch axis as 0 (default 1).
        end_dim: the last axis merged, negative from the end (default -1, the last).
        input_shape, name: as every layer (see :class:`~humblenet.nn.layers.base.Layer`).
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(
        self,
        start_dim: int = 1,
        end_dim: int = -1,
        input_shape: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(input_shape, name)
        self.start_dim = _axis_argument("start_dim", start_dim)
        self.end_dim = _axis_argument("end_dim", end_dim)

    @property
    def _whole_sample(self) -> bool:
        return (self.start_dim, self.end_dim) == (1, -1)

    def forward(self, x: Tensor) -> Tensor:
        if self._whole_sample:
            return x.reshape(x.shape[0], -1) if x.ndim != 2 else x
        return x.flatten(self.start_dim, self.end_dim)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if self._whole_sample:
            return (int(np.prod(input_shape)),)
        ndim = len(input_shape) + 1  # with the batch axis
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start == 0:
            raise ValueError(
                f"Flatten: start_dim={self.start_dim} merges the batch axis, so a sample has no "
                "shape of its own; use start_dim >= 1"
            )
        if start > end:
            raise ValueError(
                f"Flatten: start_dim={self.start_dim} comes after end_dim={self.end_dim} for "
                f"samples of shape {input_shape}"
            )
        full = (1, *input_shape)
        merged = int(np.prod(full[start : end + 1]))
        return full[1:start] + (merged,) + full[end + 1 :]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if not self._whole_sample:
            config.update(start_dim=self.start_dim, end_dim=self.end_dim)
        return config

    def extra_repr(self) -> str:
        return "" if self._whole_sample else f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def to_onnx(self, graph: Any, x: str) -> str:
        if not self._whole_sample:
            raise NotImplementedError(
                f"Flatten: ONNX export supports start_dim=1, end_dim=-1 only, got "
                f"start_dim={self.start_dim}, end_dim={self.end_dim}"
            )
        return str(graph.node("Flatten", [x], axis=1))
