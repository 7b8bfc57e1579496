"""Pooling layers with PyTorch's names: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``.

>>> import numpy as np
>>> MaxPool2d(2)(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)).data[0, 0]
array([[ 5.,  7.],
       [13., 15.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet import conv as C
from humblenet.nn.layers.base import Layer
from humblenet.nn.registry import register
from humblenet.tensor import Tensor

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "MaxPool2d"]


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int | np.integer):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


class _Pool2d(Layer):
    """What the fixed-window pools share: sizes, output shape, config."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        self.kernel_size = _pair(kernel_size)
        self.stride = self.kernel_size if stride is None else _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        owner = type(self).__name__
        if min(self.kernel_size + self.stride + self.dilation) < 1 or min(self.padding) < 0:
            raise ValueError(f"{owner}: sizes must be positive (padding at least 0)")
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{owner}: padding {self.padding} must be at most half the kernel size "
                f"{self.kernel_size}"
            )

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        sizes = [
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, s, p, d in zip(
                input_shape[1:], self.kernel_size, self.stride, self.padding, self.dilation
            )
        ]
        return (input_shape[0], *sizes)

    def _onnx_attributes(self) -> dict[str, Any]:
        return {
            "kernel_shape": list(self.kernel_size),
            "strides": list(self.stride),
            "pads": [*self.padding, *self.padding],
        }

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
        }

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@register
class MaxPool2d(_Pool2d):
    """The largest value of each window, as ``torch.nn.MaxPool2d`` (``stride`` defaults to
    ``kernel_size``; padding counts as minus infinity).

    Shape:
        input ``(N, C, H, W)``, output ``(N, C, Ho, Wo)``.
    """

    def forward(self, x: Tensor) -> Tensor:
        return C.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def to_onnx(self, graph: Any, x: str) -> str:
        attributes = {**self._onnx_attributes(), "dilations": list(self.dilation)}
        return str(graph.node("MaxPool", [x], **attributes))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dilation": list(self.dilation)}


@register
class AvgPool2d(_Pool2d):
    """The mean of each window, as ``torch.nn.AvgPool2d`` (padding zeros counted in the mean).

    Shape:
        input ``(N, C, H, W)``, output ``(N, C, Ho, Wo)``.
    """

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, name: str | None = None
    ) -> None:
        super().__init__(kernel_size, stride, padding, 1, name)

    def forward(self, x: Tensor) -> Tensor:
        return C.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("AveragePool", [x], count_include_pad=1, **self._onnx_attributes()))


@register
class AdaptiveAvgPool2d(Layer):
    """The mean over an ``output_size`` grid of bins, as ``torch.nn.AdaptiveAvgPool2d``;
    ``output_size=1`` is the global average pool.

    Shape:
        input ``(N, C, H, W)``, output ``(N, C, *output_size)``.
    """

    def __init__(self, output_size: Any, name: str | None = None) -> None:
        super().__init__(None, name)
        self.output_size = _pair(output_size)
        if min(self.output_size) < 1:
            raise ValueError(f"AdaptiveAvgPool2d: output_size must be positive, got {output_size}")
        self._input_size: tuple[int, ...] | None = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        self._input_size = tuple(input_shape[1:])

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[0], *self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        return C.adaptive_avg_pool2d(x, self.output_size)

    def to_onnx(self, graph: Any, x: str) -> str:
        """``GlobalAveragePool`` for a 1 × 1 output; an ``AveragePool`` when the bins are equal."""
        if self.output_size == (1, 1):
            return str(graph.node("GlobalAveragePool", [x]))
        size = self._input_size
        if size is None or any(n % o for n, o in zip(size, self.output_size)):
            raise NotImplementedError
        kernel = [n // o for n, o in zip(size, self.output_size)]
        return str(graph.node("AveragePool", [x], kernel_shape=kernel, strides=kernel))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "output_size": list(self.output_size)}

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
