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

    unbatched_ndim = 3  # one image (C, H, W) too, as torch's pools take it

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        ceil_mode: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        if not isinstance(ceil_mode, bool | np.bool_):
            raise TypeError(
                f"{type(self).__name__}: ceil_mode must be True or False, got {ceil_mode!r}"
            )
        self.ceil_mode = bool(ceil_mode)
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
            C.pool_output_size(n, k, s, p, d, self.ceil_mode)
            for n, k, s, p, d in zip(
                input_shape[1:], self.kernel_size, self.stride, self.padding, self.dilation
            )
        ]
        return (input_shape[0], *sizes)

    def _ceil_extra(self, input_shape: tuple[int, ...]) -> list[int]:
        """The bottom and right padding that ``ceil_mode``'s last windows reach into."""
        extra = []
        for n, out, k, s, p, d in zip(
            input_shape[1:],
            self.compute_output_shape(input_shape)[1:],
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
        ):
            extra.append(max(0, (out - 1) * s + d * (k - 1) + 1 - (n + 2 * p)))
        return extra

    def _onnx_attributes(self, input_shape: tuple[int, ...]) -> dict[str, Any]:
        """ONNX's attributes, with ``ceil_mode`` written as extra end padding (ONNX's own
        ceil_mode keeps a last window that starts in the padding, which torch drops)."""
        extra = self._ceil_extra(input_shape)
        ends = [p + e for p, e in zip(self.padding, extra)]
        return {
            "kernel_shape": list(self.kernel_size),
            "strides": list(self.stride),
            "pads": [*self.padding, *ends],
        }

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "ceil_mode": self.ceil_mode,
        }

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + (", ceil_mode=True" if self.ceil_mode else "")


@register
class MaxPool2d(_Pool2d):
    """The largest value of each window, as ``torch.nn.MaxPool2d`` (``stride`` defaults to
    ``kernel_size``; padding counts as minus infinity; ``ceil_mode`` rounds the output size up,
    keeping a last, partial window).

    Shape:
        input ``(N, C, H, W)``, output ``(N, C, Ho, Wo)`` (or ``(C, H, W)`` to ``(C, Ho, Wo)``).
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def forward(self, x: Tensor) -> Tensor:
        return C.max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )

    def to_onnx(self, graph: Any, x: str) -> str:
        attributes = {**self._onnx_attributes(graph.input_shape), "dilations": list(self.dilation)}
        return str(graph.node("MaxPool", [x], **attributes))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dilation": list(self.dilation)}


@register
class AvgPool2d(_Pool2d):
    """The mean of each window, as ``torch.nn.AvgPool2d``: the padding's zeros count in the mean
    unless ``count_include_pad=False``; ``ceil_mode`` rounds the output size up, keeping a last,
    partial window (divided by what it covers of the padded input); ``divisor_override`` (a
    nonzero int) divides every window's sum by itself instead.

    Shape:
        input ``(N, C, H, W)``, output ``(N, C, Ho, Wo)`` (or ``(C, H, W)`` to ``(C, Ho, Wo)``).
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, 1, ceil_mode, name)
        if not isinstance(count_include_pad, bool | np.bool_):
            raise TypeError(
                f"AvgPool2d: count_include_pad must be True or False, got {count_include_pad!r}"
            )
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = C.check_divisor_override("AvgPool2d", divisor_override)

    def forward(self, x: Tensor) -> Tensor:
        return C.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad,
            divisor_override=self.divisor_override,
        )

    def to_onnx(self, graph: Any, x: str) -> str:
        """``AveragePool``; when ``ceil_mode``'s last windows reach past the padding, the padding
        is an explicit ``Pad`` first, so that it counts and the part beyond does not (torch).
        ONNX has no ``divisor_override``: with it, every window (``ceil_mode``'s included) lies
        in the padding given as ``pads``, so ``AveragePool`` counting the padding divides each
        sum by ``kh kw``, and a ``Mul`` by ``kh kw / divisor_override`` follows."""
        attributes = self._onnx_attributes(graph.input_shape)
        extra = self._ceil_extra(graph.input_shape)
        if self.divisor_override is not None:
            mean = graph.node("AveragePool", [x], count_include_pad=1, **attributes)
            window = self.kernel_size[0] * self.kernel_size[1]
            return str(graph.node("Mul", [mean, graph.constant(window / self.divisor_override)]))
        if not self.count_include_pad or not any(extra):
            include = int(self.count_include_pad)
            return str(graph.node("AveragePool", [x], count_include_pad=include, **attributes))
        if any(self.padding):
            top, left = self.padding
            x = graph.node("Pad", [x, graph.integers([0, 0, top, left, 0, 0, top, left])])
        attributes["pads"] = [0, 0, *extra]
        return str(graph.node("AveragePool", [x], count_include_pad=0, **attributes))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "count_include_pad": self.count_include_pad,
            "divisor_override": self.divisor_override,
        }

    def extra_repr(self) -> str:
        text = super().extra_repr()
        text += "" if self.count_include_pad else ", count_include_pad=False"
        if self.divisor_override is not None:
            text += f", divisor_override={self.divisor_override}"
        return text


@register
class AdaptiveAvgPool2d(Layer):
    """The mean over an ``output_size`` grid of bins, as ``torch.nn.AdaptiveAvgPool2d``;
    ``output_size=1`` is the global average pool.

    Shape:
        input ``(N, C, H, W)``, output ``(N, C, *output_size)`` (or without the ``N``).
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    unbatched_ndim = 3  # one image (C, H, W) too, as torch's pools take it

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
