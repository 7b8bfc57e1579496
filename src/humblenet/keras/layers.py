"""Keras' layer names over humblenet's layers (Keras' argument names and defaults).

``Dense``, ``Flatten``, ``Dropout``, ``Activation``, ``ReLU``, ``Softmax`` are humblenet's own
(already Keras-like: ``Dense(units, activation=..., input_shape=...)``, channels last);
``LeakyReLU`` takes Keras' default slope 0.3; ``Input`` / ``InputLayer`` declare the input shape
as the first item of a ``keras.Sequential``.

The image layers (``Conv2D``, ``MaxPooling2D``, ``AveragePooling2D``, ``GlobalAveragePooling2D``,
``BatchNormalization``, ``Reshape``, ``LayerNormalization``) take Keras' channels-last images
``(N, H, W, C)`` and wrap the NCHW operations of :mod:`humblenet.conv` between two transposes;
their weights keep PyTorch's names and layouts (a ``Conv2D`` kernel is ``(filters, C, kh, kw)``).

The sequence layers (``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU``) live in
:mod:`humblenet.keras.recurrent`.

>>> Dense(3, activation="relu").get_config()["units"]
3
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from humblenet import conv as C
from humblenet.keras.recurrent import GRU, LSTM, Embedding, SimpleRNN
from humblenet.nn import GELU, Activation, Dense, Dropout, Flatten, Layer, ReLU, Softmax, init
from humblenet.nn import LeakyReLU as _LeakyReLU
from humblenet.nn.layers.activation import activation_layer
from humblenet.nn.module import Parameter
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor

__all__ = [
    "AveragePooling2D",
    "BatchNormalization",
    "Conv2D",
    "GlobalAveragePooling2D",
    "LayerNormalization",
    "MaxPooling2D",
    "Reshape",
    "GELU",
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRU",
    "LSTM",
    "SimpleRNN",
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


# -- images, channels last -----------------------------------------------------------------------


def _pair(owner: str, name: str, value: Any) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= 1 for v in pair):
        raise ValueError(f"{owner}: {name} must be a positive int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _padding(owner: str, padding: str) -> str:
    if padding not in ("valid", "same"):
        raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """Keras' (TensorFlow's) 'same': output ``ceil(size / stride)``, the extra pad at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _nchw(x: Tensor) -> Tensor:
    return x.permute(0, 3, 1, 2)


def _nhwc(x: Tensor) -> Tensor:
    return x.permute(0, 2, 3, 1)


@register
class Conv2D(Layer):
    """Keras' ``Conv2D`` on channels-last images ``(N, H, W, C)``; learns ``C`` on first input.

    Args:
        filters: output channels.
        kernel_size, strides, dilation_rate: an int or a pair.
        padding: ``"valid"`` (none) or ``"same"`` (output ``ceil(size / strides)``, as Keras).
        groups: independent convolutions over that many slices of the channels.
        activation: as ``Dense``'s.
        use_bias, kernel_initializer, bias_initializer, seed: as ``Dense``'s.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        dilation_rate: Any = (1, 1),
        groups: int = 1,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: str = "glorot_uniform",
        bias_initializer: str = "zeros",
        seed: int | None = None,
        dtype: Any = "float32",
        input_shape: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(input_shape, name)
        if not isinstance(filters, int) or filters < 1 or groups < 1 or filters % groups:
            raise ValueError(
                f"Conv2D: filters must be a positive multiple of groups={groups}, got {filters!r}"
            )
        self.filters, self.groups = filters, groups
        self.kernel_size = _pair("Conv2D", "kernel_size", kernel_size)
        self.strides = _pair("Conv2D", "strides", strides)
        self.dilation_rate = _pair("Conv2D", "dilation_rate", dilation_rate)
        self.padding = _padding("Conv2D", padding)
        self.activation = None if activation == "linear" else activation
        layer = activation_layer(self.activation)
        self._activation = layer
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        init.get(kernel_initializer)
        init.get(bias_initializer)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ValueError(f"Conv2D expects images (H, W, C), got samples of shape {input_shape}")
        channels = int(input_shape[2])
        if channels % self.groups:
            raise ValueError(f"Conv2D: groups={self.groups} must divide the {channels} channels")
        if self.weight is not None:
            if self.weight.shape[1] * self.groups != channels:
                raise ValueError(
                    f"Conv2D: built for {self.weight.shape[1] * self.groups} channels, "
                    f"now receives {channels}"
                )
            return
        rng = get_generator(self.seed)
        area = math.prod(self.kernel_size)
        fan_in, fan_out = channels // self.groups * area, self.filters * area
        shape = (self.filters, channels // self.groups, *self.kernel_size)
        make = init.get(self.kernel_initializer)
        self.weight = Parameter(make(shape, fan_in, fan_out, rng, self.dtype))
        if self.use_bias:
            make = init.get(self.bias_initializer)
            self.bias = Parameter(make((self.filters,), fan_in, fan_out, rng, self.dtype))

    def _pads(self, height: int, width: int) -> tuple[tuple[int, int], tuple[int, int]]:
        if self.padding == "valid":
            return (0, 0), (0, 0)
        k, s, d = self.kernel_size, self.strides, self.dilation_rate
        return _same_pads(height, k[0], s[0], d[0]), _same_pads(width, k[1], s[1], d[1])

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        pads = self._pads(input_shape[0], input_shape[1])
        sizes = [
            (n + a + b - d * (k - 1) - 1) // s + 1
            for n, (a, b), k, s, d in zip(
                input_shape[:2], pads, self.kernel_size, self.strides, self.dilation_rate
            )
        ]
        return (*sizes, self.filters)

    def forward(self, x: Tensor) -> Tensor:
        if self.weight is None:
            self.build(x.shape[1:])
        assert self.weight is not None
        pads = self._pads(x.shape[1], x.shape[2])
        out = C._conv(
            "Conv2D",
            _nchw(x),
            self.weight,
            self.bias,
            self.strides,
            pads,
            self.dilation_rate,
            self.groups,
        )
        out = _nhwc(out)
        return out if self._activation is None else self._activation.forward(out)

    @property
    def torch_modules(self) -> int:  # type: ignore[override]
        return 1 if self.activation is None else 2

    def to_onnx(self, graph: Any, x: str) -> str:
        """``Transpose`` to NCHW, ``Conv``, ``Transpose`` back, then the activation."""
        if self.padding == "same":
            raise NotImplementedError  # the pads depend on the input size
        inputs = [str(graph.node("Transpose", [x], perm=[0, 3, 1, 2])), graph.parameter("weight")]
        if self.bias is not None:
            inputs.append(graph.parameter("bias"))
        out = graph.node(
            "Conv",
            inputs,
            kernel_shape=list(self.kernel_size),
            strides=list(self.strides),
            dilations=list(self.dilation_rate),
            group=self.groups,
        )
        out = str(graph.node("Transpose", [out], perm=[0, 2, 3, 1]))
        return out if self._activation is None else self._activation.to_onnx(graph, out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }


class _Pooling2D(Layer):
    """Keras' fixed-window pooling on ``(N, H, W, C)``; ``padding="valid"`` only."""

    onnx_op = ""

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        input_shape: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(input_shape, name)
        owner = type(self).__name__
        self.pool_size = _pair(owner, "pool_size", pool_size)
        self.strides = self.pool_size if strides is None else _pair(owner, "strides", strides)
        if _padding(owner, padding) != "valid":
            raise ValueError(f"{owner}: only padding='valid' is supported, got {padding!r}")
        self.padding = padding

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        h, w, c = input_shape
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        return ((h - kh) // sh + 1, (w - kw) // sw + 1, c)

    def _pool(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        return _nhwc(self._pool(_nchw(x)))

    def to_onnx(self, graph: Any, x: str) -> str:
        nchw = graph.node("Transpose", [x], perm=[0, 3, 1, 2])
        attributes = {"kernel_shape": list(self.pool_size), "strides": list(self.strides)}
        out = graph.node(self.onnx_op, [nchw], **attributes)
        return str(graph.node("Transpose", [out], perm=[0, 2, 3, 1]))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
        }


@register
class MaxPooling2D(_Pooling2D):
    """Keras' ``MaxPooling2D``: the largest value of each ``pool_size`` window."""

    onnx_op = "MaxPool"

    def _pool(self, x: Tensor) -> Tensor:
        return C.max_pool2d(x, self.pool_size, self.strides)


@register
class AveragePooling2D(_Pooling2D):
    """Keras' ``AveragePooling2D``: the mean of each ``pool_size`` window."""

    onnx_op = "AveragePool"

    def _pool(self, x: Tensor) -> Tensor:
        return C.avg_pool2d(x, self.pool_size, self.strides)


@register
class GlobalAveragePooling2D(Layer):
    """Keras' ``GlobalAveragePooling2D``: the mean over height and width, ``(N, C)``
    (``(N, 1, 1, C)`` with ``keepdims=True``)."""

    def __init__(self, keepdims: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (1, 1, input_shape[-1]) if self.keepdims else (input_shape[-1],)

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(axis=(1, 2), keepdims=self.keepdims)

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("ReduceMean", [x], axes=[1, 2], keepdims=int(self.keepdims)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "keepdims": self.keepdims}


@register
class BatchNormalization(Layer):
    """Keras' ``BatchNormalization`` over the last axis (channels last).

    Keras' convention for ``momentum``: ``moving = momentum * moving + (1 - momentum) * batch``,
    with the batch's biased variance. The state keeps PyTorch's names (``weight``, ``bias``,
    ``running_mean``, ``running_var``: Keras' gamma, beta, moving mean and variance).
    """

    running_mean: Tensor | None
    running_var: Tensor | None

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        dtype: Any = "float32",
        input_shape: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(input_shape, name)
        if axis != -1:
            raise ValueError(
                f"BatchNormalization: only axis=-1 (channels last) is supported, got {axis}"
            )
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.dtype = np.dtype(dtype)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        self.register_buffer("running_mean", None)
        self.register_buffer("running_var", None)

    def build(self, input_shape: tuple[int, ...]) -> None:
        if self.running_mean is not None:
            return
        c = int(input_shape[-1])
        self.weight = Parameter(np.ones(c, self.dtype)) if self.scale else None
        self.bias = Parameter(np.zeros(c, self.dtype)) if self.center else None
        self.register_buffer("running_mean", np.zeros(c, self.dtype))
        self.register_buffer("running_var", np.ones(c, self.dtype))

    def forward(self, x: Tensor) -> Tensor:
        if self.running_mean is None:
            self.build(x.shape[1:])
        order = (0, x.ndim - 1, *range(1, x.ndim - 1))  # channels to axis 1
        back = (0, *range(2, x.ndim), 1)
        out = C.batch_norm(
            x.permute(*order),
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training,
            1 - self.momentum,
            self.epsilon,
            unbiased_running_var=False,
        )
        return out.permute(*back)

    def to_onnx(self, graph: Any, x: str) -> str:
        """Normalised with the moving statistics: ``(x - mean) * (gamma / sqrt(var + eps)) + beta``
        as ``Sub``, ``Mul``, ``Add`` broadcasting over the last axis."""
        assert self.running_mean is not None and self.running_var is not None
        factor = 1 / np.sqrt(self.running_var.data + self.epsilon)
        if self.weight is not None:
            factor = factor * self.weight.data
        self._onnx_factor = Tensor(factor.astype(self.dtype))
        out = graph.node("Sub", [x, graph.parameter("running_mean")])
        out = graph.node("Mul", [out, graph.parameter("_onnx_factor")])
        if self.bias is not None:
            out = graph.node("Add", [out, graph.parameter("bias")])
        return str(out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "dtype": self.dtype.name,
        }


@register
class LayerNormalization(Layer):
    """Keras' ``LayerNormalization`` over the last axis (``epsilon=1e-3`` by default)."""

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        dtype: Any = "float32",
        input_shape: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(input_shape, name)
        if axis != -1:
            raise ValueError(f"LayerNormalization: only axis=-1 is supported, got {axis}")
        self.axis, self.epsilon = axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.dtype = np.dtype(dtype)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        self._features: int | None = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        if self._features is not None:
            return
        self._features = c = int(input_shape[-1])
        self.weight = Parameter(np.ones(c, self.dtype)) if self.scale else None
        self.bias = Parameter(np.zeros(c, self.dtype)) if self.center else None

    def forward(self, x: Tensor) -> Tensor:
        self.build(x.shape[1:])
        return C.layer_norm(x, x.shape[-1], self.weight, self.bias, self.epsilon)

    def to_onnx(self, graph: Any, x: str) -> str:
        if self.weight is None:
            raise NotImplementedError
        inputs = [x, graph.parameter("weight")]
        if self.bias is not None:
            inputs.append(graph.parameter("bias"))
        return str(graph.node("LayerNormalization", inputs, axis=-1, epsilon=self.epsilon))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "dtype": self.dtype.name,
        }


@register
class Reshape(Layer):
    """Keras' ``Reshape(target_shape)``: each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape: Any, **options: Any) -> None:
        super().__init__(**options)
        self.target_shape = tuple(int(n) for n in target_shape)
        if sum(n == -1 for n in self.target_shape) > 1 or min(self.target_shape) < -1:
            raise ValueError(
                f"Reshape: target_shape must be sizes (one -1 at most), got {target_shape}"
            )

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        size = math.prod(input_shape)
        known = math.prod(n for n in self.target_shape if n != -1)
        shape = tuple(size // known if n == -1 else n for n in self.target_shape)
        if math.prod(shape) != size:
            raise ValueError(
                f"Reshape: samples of shape {input_shape} ({size} values) cannot become "
                f"{self.target_shape}"
            )
        return shape

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], *self.compute_output_shape(x.shape[1:]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}
