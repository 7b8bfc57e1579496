"""Normalisation layers with PyTorch's names: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``,
and channel dropout, ``Dropout2d``.

A batch norm keeps its running statistics as buffers (``running_mean``, ``running_var``,
``num_batches_tracked``), saved with the weights under torch's names and counted by
``summary()`` as non-trainable.

>>> import numpy as np
>>> layer = BatchNorm2d(3)
>>> [name for name, _ in layer.named_buffers()]
['running_mean', 'running_var', 'num_batches_tracked']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from humblenet import conv as C
from humblenet.nn.layers.base import Layer
from humblenet.nn.module import Parameter
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "Dropout2d", "LayerNorm"]


class _BatchNorm(Layer):
    """Batch normalisation over every axis but the channels (axis 1).

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before its square root.
        momentum: how far the running statistics move towards each batch's:
            ``running = (1 - momentum) running + momentum batch`` (torch's convention).
        affine: learn a scale ``weight`` (ones) and shift ``bias`` (zeros) per channel.
        track_running_stats: keep running statistics (for evaluation); without them the batch's
            statistics normalise in evaluation too.
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    ranks: tuple[int, ...] = ()
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        owner = type(self).__name__
        if not isinstance(num_features, int | np.integer) or num_features < 1:
            raise ValueError(
                f"{owner}: num_features must be a positive integer, got {num_features!r}"
            )
        if not 0 <= momentum <= 1:
            raise ValueError(f"{owner}: momentum must be between 0 and 1, got {momentum!r}")
        if eps <= 0:
            raise ValueError(f"{owner}: eps must be positive, got {eps!r}")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.dtype = np.dtype(dtype)
        c = self.num_features
        self.weight = Parameter(np.ones(c, self.dtype)) if affine else None
        self.bias = Parameter(np.zeros(c, self.dtype)) if affine else None
        track = self.track_running_stats  # without: buffers of None, as in torch
        self.register_buffer("running_mean", np.zeros(c, self.dtype) if track else None)
        self.register_buffer("running_var", np.ones(c, self.dtype) if track else None)
        self.register_buffer("num_batches_tracked", np.zeros((), np.int64) if track else None)

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) + 1 not in self.ranks or input_shape[0] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expects inputs of rank {self.ranks} "
                f"with {self.num_features} channels on axis 1, got samples of shape {input_shape}"
            )

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.ranks:
            raise ValueError(
                f"{type(self).__name__}: expects inputs of rank {self.ranks}, got shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): input has {x.shape[1]} channels "
                f"on axis 1 (shape {x.shape}), expected {self.num_features}; give the layer the "
                "channel count of the layer before it"
            )
        batch_stats = self.training or not self.track_running_stats
        mean, var = self.running_mean, self.running_var
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.data += 1
        return C.batch_norm(
            x, mean, var, self.weight, self.bias, batch_stats, self.momentum, self.eps
        )

    def to_onnx(self, graph: Any, x: str) -> str:
        """``BatchNormalization`` in inference mode (the running statistics normalise)."""
        if not (self.affine and self.track_running_stats):
            raise NotImplementedError
        names = ["weight", "bias", "running_mean", "running_var"]
        inputs = [x, *(graph.parameter(name) for name in names)]
        return str(graph.node("BatchNormalization", inputs, epsilon=self.eps))

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """Weight and bias (``affine``), running mean, variance and count (tracked)."""
        c = int(config["num_features"])
        affine = bool(config.get("affine", True))
        track = bool(config.get("track_running_stats", True))
        return 2 * c * affine + (2 * c + 1) * track

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


@register
class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)``, as ``torch.nn.BatchNorm1d``
    (arguments: see ``BatchNorm2d``)."""

    ranks = (2, 3)


@register
class BatchNorm2d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__
    ranks = (4,)


@register
class LayerNorm(Layer):
    """Normalise each sample over its last dimensions, as ``torch.nn.LayerNorm``.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last axis).
        eps: added to the variance before its square root.
        elementwise_affine: learn a ``weight`` (ones) and, with ``bias``, a ``bias`` (zeros)
            of shape ``normalized_shape``.
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(n) for n in shape)
        if not self.normalized_shape or min(self.normalized_shape) < 1:
            raise ValueError(f"LayerNorm: normalized_shape must be positive, got {shape!r}")
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        self.use_bias = bool(bias)
        self.dtype = np.dtype(dtype)
        affine, use_bias = self.elementwise_affine, self.elementwise_affine and self.use_bias
        self.weight = Parameter(np.ones(self.normalized_shape, self.dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, self.dtype)) if use_bias else None

    def forward(self, x: Tensor) -> Tensor:
        return C.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def to_onnx(self, graph: Any, x: str) -> str:
        if self.weight is None:
            raise NotImplementedError
        inputs = [x, graph.parameter("weight")]
        if self.bias is not None:
            inputs.append(graph.parameter("bias"))
        axis = -len(self.normalized_shape)
        return str(graph.node("LayerNormalization", inputs, axis=axis, epsilon=self.eps))

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """A weight and a bias of ``normalized_shape`` (as ``elementwise_affine``, ``bias``)."""
        shape = config["normalized_shape"]
        size = math.prod(shape) if isinstance(shape, list | tuple) else int(shape)
        affine = bool(config.get("elementwise_affine", True))
        return size * affine * (1 + bool(config.get("bias", True)))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "normalized_shape": list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
            "bias": self.use_bias,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"


@register
class Dropout2d(Layer):
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p`` while training (scaling
    the rest by ``1 / (1 - p)``), as ``torch.nn.Dropout2d``; the identity in evaluation.

    Args:
        p: the probability of dropping a channel, in ``[0, 1)``.
        seed: seeds the masks; None draws from the default generator (``manual_seed``).
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(self, p: float = 0.5, seed: int | None = None, name: str | None = None) -> None:
        super().__init__(None, name)
        if not isinstance(p, int | float) or not 0 <= p < 1:
            raise ValueError(f"Dropout2d: p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.seed = seed
        self._rng = get_generator(seed)

    def reseed(self) -> None:
        """Start the masks afresh from ``self.seed``."""
        self._rng = get_generator(self.seed)

    def forward(self, x: Tensor) -> Tensor:
        return C.dropout2d(x, self.p, training=self.training, rng=self._rng)

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("Identity", [x]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "p": self.p, "seed": self.seed}

    def extra_repr(self) -> str:
        return f"p={self.p}"
