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
from humblenet.attention import attention_probabilities, causal_mask
from humblenet.keras.recurrent import GRU, LSTM, Embedding, SimpleRNN
from humblenet.nn import GELU, Activation, Dense, Dropout, Flatten, Layer, ReLU, Softmax, init
from humblenet.nn import LeakyReLU as _LeakyReLU
from humblenet.nn.layers.activation import activation_layer
from humblenet.nn.module import Module, Parameter
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


def _looks_channels_first(sample: tuple[int, ...]) -> bool:
    """Whether a sample ``(H, W, C)`` is more likely ``(C, H, W)``: a first axis of at most 4
    (grey, RGB, RGBA) before two larger ones."""
    return len(sample) == 3 and sample[0] <= 4 < min(sample[1:])


def _channels_first_hint(shape: tuple[int, ...] | str) -> str:
    return (
        f"The input {shape} looks channels first: Keras-style layers take channels last, "
        "(N, H, W, C); move them with np.transpose(x, (0, 2, 3, 1)) or x.permute(0, 2, 3, 1)"
    )


def _window_sizes(
    owner: str,
    sample: tuple[int, ...],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    pads: tuple[tuple[int, int], tuple[int, int]],
) -> list[int]:
    """The output height and width of a window op on a sample ``(H, W, C)``; a window larger
    than the padded image is refused here, when the model's shapes are worked out, rather than
    giving a negative size to the next layer."""
    sizes = []
    for n, (a, b), k, s, d in zip(sample[:2], pads, kernel, strides, dilation):
        size = (n + a + b - d * (k - 1) - 1) // s + 1
        if size < 1:
            message = (
                f"{owner}: the window (span {d * (k - 1) + 1}) is larger than the padded input "
                f"({n + a + b}) of the samples {tuple(sample)}; use a smaller kernel or pool "
                "size, or padding='same'"
            )
            if _looks_channels_first(tuple(sample)):
                batch = "(N, " + ", ".join(str(n) for n in sample) + ")"
                message += f". {_channels_first_hint(batch)}"
            raise ValueError(message)
        sizes.append(size)
    return sizes


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

    spreads_batch = True  # as torch-style Conv2d's (nn/layers/conv.py)

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
        sizes = _window_sizes(
            "Conv2D", input_shape, self.kernel_size, self.strides, self.dilation_rate, pads
        )
        return (*sizes, self.filters)

    def forward(self, x: Tensor) -> Tensor:
        if self.weight is None:
            self.build(x.shape[1:])
        assert self.weight is not None
        pads = self._pads(x.shape[1], x.shape[2])
        try:
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
        except ValueError as error:
            found = str(error)
            if (
                x.ndim == 4
                and _looks_channels_first(x.shape[1:])
                and ("larger than" in found or "channel" in found)
            ):
                raise ValueError(f"{found}. {_channels_first_hint(tuple(x.shape))}") from None
            raise
        out = _nhwc(out)
        return out if self._activation is None else self._activation.forward(out)

    @property
    def torch_modules(self) -> int:  # type: ignore[override]
        return 1 if self.activation is None else 2

    def to_onnx(self, graph: Any, x: str) -> str:
        """``Transpose`` to NCHW, ``Conv``, ``Transpose`` back, then the activation.

        ``"same"`` is written as the explicit pads Keras uses for this input size (the odd one
        at the bottom and right), not ONNX's ``auto_pad``, so that every reader agrees.
        """
        (top, bottom), (left, right) = self._pads(*graph.input_shape[:2])
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
            pads=[top, left, bottom, right],
        )
        out = str(graph.node("Transpose", [out], perm=[0, 2, 3, 1]))
        return out if self._activation is None else self._activation.to_onnx(graph, out)

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """``filters × channels / groups × kernel`` (channels last) and a bias of ``filters``."""
        kernel = config["kernel_size"]
        size = math.prod(kernel) if isinstance(kernel, list | tuple) else int(kernel) ** 2
        channels = int(input_shape[-1]) if input_shape else 1
        per_output = channels // max(int(config.get("groups", 1)), 1) * size
        filters = int(config["filters"])
        return filters * per_output + filters * bool(config.get("use_bias", True))

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
        no_pads = ((0, 0), (0, 0))
        owner = type(self).__name__
        h, w = _window_sizes(owner, input_shape, self.pool_size, self.strides, (1, 1), no_pads)
        return (h, w, input_shape[-1])

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

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """Gamma and beta (``scale``, ``center``), moving mean and variance, per channel."""
        c = int(input_shape[-1]) if input_shape else 0
        return c * (2 + bool(config.get("scale", True)) + bool(config.get("center", True)))

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

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """Gamma and beta (``scale``, ``center``) per value of the last axis."""
        c = int(input_shape[-1]) if input_shape else 0
        return c * (bool(config.get("scale", True)) + bool(config.get("center", True)))

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

    def to_onnx(self, graph: Any, x: str) -> str:
        """``Reshape`` to ``(batch, *target_shape)``, a -1 resolved from the input's shape."""
        shape = self.compute_output_shape(graph.input_shape)
        return str(graph.node("Reshape", [x, graph.integers([-1, *shape])]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


# -- attention -----------------------------------------------------------------------------------


class _HeadDense(Module):
    """One of Keras' ``EinsumDense`` projections of ``MultiHeadAttention``: a ``kernel`` of
    Keras' shape (``(features, heads, head_size)`` into the heads, ``(heads, head_size, units)``
    out of them) and a ``bias`` of the output's trailing shape."""

    def __init__(
        self,
        kernel_shape: tuple[int, ...],
        bias_shape: tuple[int, ...] | None,
        initializers: tuple[str, str],
        rng: np.random.Generator,
        dtype: np.dtype,
        into_heads: bool,
    ) -> None:
        # Keras' fans for a kernel of rank 3: the leading axis is the receptive field.
        receptive = math.prod(kernel_shape[:-2])
        fan_in, fan_out = kernel_shape[-2] * receptive, kernel_shape[-1] * receptive
        kernel_init, bias_init = (init.get(name) for name in initializers)
        # As a matrix: (F, heads * size) into the heads, (heads * size, units) out of them.
        self._rows = kernel_shape[0] if into_heads else kernel_shape[0] * kernel_shape[1]
        self.kernel = Parameter(kernel_init(kernel_shape, fan_in, fan_out, rng, dtype))
        self.bias = (
            None
            if bias_shape is None
            else Parameter(bias_init(bias_shape, fan_in, fan_out, rng, dtype))
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(..., features)`` times the kernel flattened to a matrix, plus the bias."""
        out = x @ self.kernel.reshape(self._rows, -1)
        return out if self.bias is None else out + self.bias.reshape(-1)


@register
class MultiHeadAttention(Layer):
    """Keras' ``MultiHeadAttention``: ``num_heads`` heads of size ``key_dim``, attending from
    ``query`` ``(B, T, dim)`` to ``value`` ``(B, S, dim)`` (``key`` defaults to ``value``).

    The weights are Keras' four ``EinsumDense`` projections with Keras' names and shapes:
    ``query.kernel`` ``(query_dim, num_heads, key_dim)``, ``query.bias`` ``(num_heads,
    key_dim)``, the same for ``key`` and ``value`` (with ``value_dim``), and
    ``attention_output.kernel`` ``(num_heads, value_dim, output_dim)``,
    ``attention_output.bias`` ``(output_dim,)``. Each projection is computed as one product
    with the kernel flattened to a matrix; head ``i`` takes columns ``i * key_dim`` to
    ``(i + 1) * key_dim``, the order of torch's ``in_proj_weight`` rows (see the README for the
    mapping onto ``torch.nn.MultiheadAttention``).

    Args:
        num_heads: the number of heads.
        key_dim: the size of each head for the query and the key.
        value_dim: the size of each head for the value (``key_dim`` by default).
        dropout: the probability of dropping an attention probability while training.
        use_bias: learn the biases.
        output_shape: the last size of the output (the query's by default).
        kernel_initializer, bias_initializer: Keras' initializers (``glorot_uniform``,
            ``zeros``), with Keras' fans for rank-3 kernels.
        seed: seeds the initialisation and the dropout.

    ``call(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``: ``attention_mask`` ``(B, T, S)`` is 1/True where a
    query may attend a key; masked scores get ``-1e9`` before the softmax (so a fully masked
    row is uniform, as in Keras). Returns the output ``(B, T, output_dim)``, and with
    ``return_attention_scores`` also the probabilities ``(B, num_heads, T, S)``.

    >>> layer = MultiHeadAttention(num_heads=2, key_dim=3, seed=0)
    >>> x = np.ones((1, 4, 5), dtype=np.float32)
    >>> out, scores = layer(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape, layer.query.kernel.shape
    ((1, 4, 5), (1, 2, 4, 4), (5, 2, 3))
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
        kernel_initializer: str = "glorot_uniform",
        bias_initializer: str = "zeros",
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        owner = "MultiHeadAttention"
        for label, number in [("num_heads", num_heads), ("key_dim", key_dim)]:
            if not isinstance(number, int | np.integer) or isinstance(number, bool) or number < 1:
                raise ValueError(f"{owner}: {label} must be a positive integer, got {number!r}")
        if attention_axes is not None:
            raise NotImplementedError(
                f"{owner}: attention_axes is not supported; attention runs over the sequence "
                "axis of (batch, sequence, features) inputs"
            )
        if not isinstance(dropout, int | float) or not 0 <= dropout < 1:
            raise ValueError(f"{owner}: dropout must be in [0, 1), got {dropout!r}")
        if isinstance(output_shape, list | tuple):
            if len(output_shape) != 1:
                raise ValueError(
                    f"{owner}: output_shape must be one size (the output's last axis), got "
                    f"{output_shape!r}"
                )
            output_shape = output_shape[0]
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = self.key_dim if value_dim is None else int(value_dim)
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.output_shape = None if output_shape is None else int(output_shape)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        init.get(kernel_initializer)
        init.get(bias_initializer)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self._dropout_layer = Dropout(self.dropout, seed=seed)
        self._dims: tuple[int, int, int] | None = None

    def build(self, input_shape: Any = None) -> None:
        """Create the projections for query, value and key features ``(dq, dv, dk)``."""
        if self._dims is not None or input_shape is None:
            return
        dq, dv, dk = input_shape
        rng = get_generator(self.seed)
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim
        out = self.output_shape or dq
        inits = (self.kernel_initializer, self.bias_initializer)

        def head(shape: tuple[int, ...], bias: tuple[int, ...], into: bool = True) -> _HeadDense:
            bias_shape = bias if self.use_bias else None
            return _HeadDense(shape, bias_shape, inits, rng, self.dtype, into)

        # Keras' creation order: query, key, value, then the output projection.
        self.query = head((dq, h, kd), (h, kd))
        self.key = head((dk, h, kd), (h, kd))
        self.value = head((dv, h, vd), (h, vd))
        self.attention_output = head((h, vd, out), (out,), into=False)
        self._dims = (dq, dv, dk)

    def _split(self, x: Tensor, size: int) -> Tensor:
        """``(B, T, heads * size)`` -> ``(B, heads, T, size)``."""
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, size).permute(0, 2, 1, 3)

    def _mask(self, mask: Any, use_causal_mask: bool, t: int, s: int) -> np.ndarray | None:
        allowed = None
        if mask is not None:
            m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            if m.shape[-2:] != (t, s) or m.ndim not in (2, 3):
                raise ValueError(
                    f"MultiHeadAttention: attention_mask has shape {m.shape}, expected (B, T, S) "
                    f"with T = {t} queries and S = {s} keys"
                )
            allowed = m.astype(bool)
        if use_causal_mask:
            causal = causal_mask(t, s)
            allowed = causal if allowed is None else allowed & causal
        if allowed is None:
            return None
        blocked = np.where(allowed, 0.0, -1e9).astype(self.dtype)
        return blocked[..., None, :, :]  # one mask for every head

    def forward(
        self,
        query: Tensor,
        value: Any = None,
        key: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Any:
        q = query
        v = value if isinstance(value, Tensor) else Tensor(value)
        k = v if key is None else key if isinstance(key, Tensor) else Tensor(key)
        if q.ndim != 3 or v.ndim != 3 or k.ndim != 3:
            raise ValueError(
                "MultiHeadAttention: query, value and key must be (batch, sequence, features), "
                f"got shapes {q.shape}, {v.shape} and {k.shape}"
            )
        if k.shape[:2] != v.shape[:2]:
            raise ValueError(
                f"MultiHeadAttention: key {k.shape} and value {v.shape} must have the same "
                "batch and sequence length"
            )
        self.build((q.shape[-1], v.shape[-1], k.shape[-1]))
        if self._dims != (q.shape[-1], v.shape[-1], k.shape[-1]):
            raise ValueError(
                f"MultiHeadAttention: built for (query, value, key) features {self._dims}, got "
                f"{(q.shape[-1], v.shape[-1], k.shape[-1])}"
            )
        qh = self._split(self.query(q), self.key_dim)  # (B, H, T, key_dim)
        kh = self._split(self.key(k), self.key_dim)  # (B, H, S, key_dim)
        vh = self._split(self.value(v), self.value_dim)  # (B, H, S, value_dim)
        mask = self._mask(attention_mask, use_causal_mask, q.shape[1], k.shape[1])
        scores = attention_probabilities(qh, kh, mask, 1.0 / math.sqrt(self.key_dim))
        training = self.training if training is None else bool(training)
        dropped = scores
        if training and self.dropout > 0:
            self._dropout_layer.training = True
            dropped = self._dropout_layer(scores)
        heads = (dropped @ vh).permute(0, 2, 1, 3)  # (B, T, H, value_dim)
        merged = heads.reshape(q.shape[0], q.shape[1], self.num_heads * self.value_dim)
        out = self.attention_output(merged)
        return (out, scores) if return_attention_scores else out

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*input_shape[:-1], self.output_shape or input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self.output_shape,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }


__all__ += ["MultiHeadAttention"]
