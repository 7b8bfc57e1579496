"""``Dropout``: drop inputs at random while training, the identity when evaluating.

>>> import numpy as np
>>> layer = Dropout(0.5, seed=0).eval()
>>> layer(np.ones((1, 4), dtype=np.float32)).data
array([[1., 1., 1., 1.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from humblenet import functional as F
from humblenet.nn.layers.base import Layer
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor

__all__ = ["Dropout"]


@register
class Dropout(Layer):
    """Drop each input with probability ``rate`` while training (scaling the rest up);
    the identity in evaluation mode.

    Args:
        rate: the probability of dropping an element, in ``[0, 1)``.
        seed: seeds the masks: the same seed gives the same sequence of masks. None draws from
            the default generator, which ``humblenet.manual_seed`` seeds.
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(
        self, rate: float, seed: int | None = None, name: str | None = None, input_shape: Any = None
    ) -> None:
        super().__init__(input_shape, name)
        if not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = get_generator(seed)

    def reseed(self) -> None:
        """Start the masks afresh from ``self.seed`` (with no seed: draw from the default
        generator, which ``humblenet.manual_seed`` seeds)."""
        self._rng = get_generator(self.seed)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.rate, training=self.training, rng=self._rng)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    def extra_repr(self) -> str:
        return f"rate={self.rate}"

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("Identity", [x]))  # an exported model only predicts
