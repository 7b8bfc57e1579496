"""Convolution layers with PyTorch's names and initialization: ``Conv2d`` and ``Conv1d``.

The weight is ``(out_channels, in_channels / groups, *kernel_size)``, as in torch, so saved
weights load into ``torch.nn.Conv2d`` as they are.

>>> import numpy as np
>>> layer = Conv2d(3, 8, 3, padding=1, seed=0)
>>> layer(np.ones((2, 3, 5, 5), dtype=np.float32)).shape
(2, 8, 5, 5)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from humblenet import conv as C
from humblenet.nn import init
from humblenet.nn.layers.base import Layer, positive_size
from humblenet.nn.module import Parameter
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor

__all__ = ["Conv1d", "Conv2d"]


def _tuple(value: Any, dims: int) -> tuple[int, ...]:
    return (int(value),) * dims if isinstance(value, int | np.integer) else tuple(map(int, value))


class _ConvNd(Layer):
    """What ``Conv1d`` and ``Conv2d`` share: sizes, initialization, config and ONNX export."""

    # The op shares each batch out over the cores (conv.py, _threads.py): fit then holds the
    # matrix products to one BLAS thread (training/threads.py)
    spreads_batch = True

    dims = 2

    @property
    def unbatched_ndim(self) -> int:  # type: ignore[override]
        return self.dims + 1  # (C, H, W) or (C, L)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        owner = type(self).__name__
        super().__init__(None, name)
        self.in_channels = positive_size(owner, "in_channels", in_channels)
        self.out_channels = positive_size(owner, "out_channels", out_channels)
        self.groups = positive_size(owner, "groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{owner}: groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        self.kernel_size = _tuple(kernel_size, self.dims)
        self.stride = _tuple(stride, self.dims)
        self.dilation = _tuple(dilation, self.dims)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{owner}: padding must be 'same', 'valid' or ints, got {padding!r}"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{owner}: padding='same' needs stride 1, got {stride!r}")
            self.padding: str | tuple[int, ...] = padding
        else:
            self.padding = _tuple(padding, self.dims)
        for label, values in [("kernel_size", self.kernel_size), ("stride", self.stride)]:
            if len(values) != self.dims or min(values) < 1:
                raise ValueError(f"{owner}: {label} must be positive, got {values}")
        self.use_bias = bool(bias)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default: weight and bias uniform in ``±1 / sqrt(in_channels / groups * k)``."""
        rng = get_generator(self.seed)
        fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        uniform = init.torch_linear_uniform
        self.weight = Parameter(uniform(shape, fan_in, self.out_channels, rng, self.dtype))
        self.bias = (
            Parameter(uniform((self.out_channels,), fan_in, self.out_channels, rng, self.dtype))
            if self.use_bias
            else None
        )

    def _pads(self) -> list[tuple[int, int]]:
        """``(before, after)`` on each spatial axis."""
        if self.padding == "valid":
            return [(0, 0)] * self.dims
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            return [(t // 2, t - t // 2) for t in totals]
        assert not isinstance(self.padding, str)
        return [(p, p) for p in self.padding]

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        sizes = []
        for size, k, s, d, (a, b) in zip(
            input_shape[1:], self.kernel_size, self.stride, self.dilation, self._pads()
        ):
            sizes.append((size + a + b - d * (k - 1) - 1) // s + 1)
        return (self.out_channels, *sizes)

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != self.dims + 1 or input_shape[0] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__}: expects samples (in_channels={self.in_channels}, "
                f"{'H, W' if self.dims == 2 else 'L'}), got shape {input_shape}"
            )

    def to_onnx(self, graph: Any, x: str) -> str:
        inputs = [x, graph.parameter("weight")]
        if self.bias is not None:
            inputs.append(graph.parameter("bias"))
        pads = self._pads()
        return str(
            graph.node(
                "Conv",
                inputs,
                kernel_shape=list(self.kernel_size),
                strides=list(self.stride),
                dilations=list(self.dilation),
                pads=[a for a, _ in pads] + [b for _, b in pads],
                group=self.groups,
            )
        )

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """``out × in / groups × kernel`` for the weight, ``out`` for the bias."""
        kernel = config["kernel_size"]
        size = math.prod(kernel) if isinstance(kernel, list | tuple) else int(kernel) ** cls.dims
        per_output = int(config["in_channels"]) // max(int(config.get("groups", 1)), 1) * size
        out = int(config["out_channels"])
        return out * per_output + out * bool(config.get("bias", True))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation": list(self.dilation),
            "groups": self.groups,
            "bias": self.use_bias,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }
        if self.name is not None:
            config["name"] = self.name
        return config

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )


@register
class Conv2d(_ConvNd):
    """A 2-d convolution over ``(N, C, H, W)``, as ``torch.nn.Conv2d``.

    Args:
        in_channels, out_channels: channels in and out.
        kernel_size, stride, dilation: an int or a pair.
        padding: zeros on each side: an int, a pair, ``"valid"`` or ``"same"`` (stride 1).
        groups: independent convolutions over that many slices of the channels.
        bias: learn one bias per output channel.
        seed: seeds the initialization (uniform in ``±1/sqrt(fan_in)``, torch's default).

    Shape:
        input ``(N, in_channels, H, W)``, output ``(N, out_channels, Ho, Wo)``; one unbatched
        image ``(in_channels, H, W)`` gives ``(out_channels, Ho, Wo)``, as torch.
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    dims = 2

    def forward(self, x: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else tuple(self.padding)
        return C.conv2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            padding,
            self.dilation,
            self.groups,
        )


@register
class Conv1d(_ConvNd):
    """A 1-d convolution over ``(N, C, L)``, as ``torch.nn.Conv1d`` (arguments as ``Conv2d``'s,
    each an int)."""

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    dims = 1

    def forward(self, x: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return C.conv1d(
            x, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups
        )
