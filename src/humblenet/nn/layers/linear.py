"""Fully connected layers: ``Dense`` (Keras-like, learns its input size) and ``Linear``
(PyTorch-like, explicit sizes and PyTorch's initialization). Both keep the weight in PyTorch's
layout ``(out_features, in_features)``.

>>> import numpy as np
>>> layer = Dense(3, activation="relu", seed=0)
>>> layer(np.ones((2, 5), dtype=np.float32)).shape
(2, 3)
>>> layer.weight.shape
(3, 5)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet.nn import init
from humblenet.nn.layers.activation import activation_layer, concurrent_activation
from humblenet.nn.layers.base import Layer
from humblenet.nn.module import Parameter
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor

__all__ = ["Dense", "Linear"]


@register
class Dense(Layer):
    """A fully connected layer that learns its input size from the first input (as Keras).

    ``y = activation(x @ weight.T + bias)``, with ``weight`` of shape ``(units, in_features)``
    (PyTorch's layout, so saved weights load into ``torch.nn.Linear`` as they are).

    Args:
        units: the number of outputs.
        activation: ``None``/``"linear"``, ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``,
            ``"tanh"``, ``"gelu"`` or ``"softmax"``.
        use_bias: add a learned bias.
        kernel_initializer: the weights' initializer (Keras' default ``"glorot_uniform"``).
        bias_initializer: the bias' initializer (default ``"zeros"``).
        seed: seeds the initializers (the same seed gives the same weights); None draws from
            the default generator, which ``humblenet.manual_seed`` seeds.
        dtype: the parameters' dtype (float32 by default).

    Shape:
        input ``(batch, in_features)``, output ``(batch, units)``; or ``(batch, ..., in_features)``
        to ``(batch, ..., units)``, mapped over the last axis (as Keras' Dense).
    """

    def __init__(
        self,
        units: int,
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
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = None if activation == "linear" else activation
        # The activation's forward, kept as a plain function (not as a sub-module, which would
        # show up among the children, in the state and in PyTorch's numbering).
        layer = activation_layer(self.activation)
        self._activation_fn = None if layer is None else layer.forward
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        init.get(kernel_initializer)
        init.get(bias_initializer)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.in_features: int | None = None
        self._sample_rank = 1
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) < 1:
            raise ValueError(
                f"Dense expects samples with an axis of features, got shape {input_shape}; "
                "reshape each sample to (features,)"
            )
        # As Keras' Dense: samples of more than one axis (a sequence of vectors) are mapped
        # over their last axis. (An image needs a Flatten() first to be one vector.)
        self._sample_rank = len(input_shape)
        in_features = int(input_shape[-1])
        if self.weight is not None:
            if self.in_features != in_features:
                raise ValueError(
                    f"{type(self).__name__}: built for {self.in_features} input features, but it "
                    f"now receives {in_features}; check the size of the layer before it"
                )
            return
        rng = get_generator(self.seed)  # None: the default generator (manual_seed)
        self.in_features = in_features
        shape = (self.units, in_features)
        self.weight = Parameter(
            init.get(self.kernel_initializer)(shape, in_features, self.units, rng, self.dtype)
        )
        self.bias = (
            Parameter(
                init.get(self.bias_initializer)(
                    (self.units,), in_features, self.units, rng, self.dtype
                )
            )
            if self.use_bias
            else None
        )

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape[:-1] + (self.units,)

    def _linear(self, x: Tensor, activation: str | None = None) -> Tensor:
        if self.weight is None:
            self.build(x.shape[1:])
        assert self.weight is not None
        return F.linear(x, self.weight, self.bias, activation=activation)

    def forward_logits(self, x: Tensor) -> Tensor:
        """The layer's output before its activation."""
        return self._linear(x)

    def forward(self, x: Tensor) -> Tensor:
        if self.activation == "relu":  # one fused node: product, bias and ReLU
            return self._linear(x, "relu")
        z = self._linear(x)
        return z if self._activation_fn is None else self._activation_fn(z)

    # -- the layer protocol --------------------------------------------------------------------

    def captured_linear(self) -> str | None:
        """What the captured training step (``training/capture.py``) may replay of this layer:
        ``"linear"`` (no activation), ``"relu"`` or ``"softmax"``, when it is built with a bias
        and its ``forward`` is this class's own (a subclass may compute something else); None
        where the eager path must run."""
        own = type(self).forward is Dense.forward and type(self)._linear is Dense._linear
        if not own or self.weight is None or self.bias is None:
            return None
        if self.activation is None:
            return "linear"
        return self.activation if self.activation in ("relu", "softmax") else None

    @property
    def concurrent_inference(self) -> bool:  # type: ignore[override]
        """The product is a pure function; the activation (maybe registered by the user) answers
        for itself."""
        return concurrent_activation(self._activation_fn)

    @property
    def torch_modules(self) -> int:  # type: ignore[override]
        """``torch.nn.Linear``, then the activation as a module of its own when there is one."""
        return 1 if self.activation is None else 2

    @property
    def probability(self) -> str | None:
        layer = activation_layer(self.activation)
        return None if layer is None else layer.probability

    def to_onnx(self, graph: Any, x: str) -> str:
        """``Gemm`` with ``transB=1`` (the weight keeps PyTorch's layout), then the activation;
        on samples of more than one axis (Gemm takes matrices only), ``MatMul`` with the
        transposed weight, then ``Add``."""
        if self._sample_rank == 1:
            inputs = [x, graph.parameter("weight")]
            if self.bias is not None:
                inputs.append(graph.parameter("bias"))
            out = str(graph.node("Gemm", inputs, transB=1))
        else:
            weight_t = graph.node("Transpose", [graph.parameter("weight")], perm=[1, 0])
            out = str(graph.node("MatMul", [x, weight_t]))
            if self.bias is not None:
                out = str(graph.node("Add", [out, graph.parameter("bias")]))
        layer = activation_layer(self.activation)
        return out if layer is None else layer.to_onnx(graph, out)

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """``units × inputs`` for the weight, ``units`` for the bias."""
        units = int(config["units"])
        return units * math.prod(input_shape) + units * bool(config.get("use_bias", True))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        size = self.in_features if self.in_features is not None else "?"
        act = f", activation={self.activation!r}" if self.activation else ""
        return f"{size} -> {self.units}{act}"


@register
class Linear(Dense):
    """A fully connected layer with explicit sizes, initialized as ``torch.nn.Linear``.

    ``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``, both
    drawn uniformly from ``[-1/sqrt(in_features), 1/sqrt(in_features)]``.

    Args:
        in_features: the size of each input sample.
        out_features: the size of each output sample.
        bias: learn an additive bias.
        seed: seeds the initialization; None draws from the default generator, which
            ``humblenet.manual_seed`` seeds (as ``torch.manual_seed`` does for torch's layers).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        if (
            not isinstance(in_features, int | np.integer)
            or isinstance(in_features, bool)
            or in_features < 1
        ):
            raise ValueError(f"Linear: in_features must be a positive integer, got {in_features!r}")
        super().__init__(
            out_features,
            use_bias=bias,
            kernel_initializer="torch_linear_uniform",
            bias_initializer="torch_linear_uniform",
            seed=seed,
            dtype=dtype,
            input_shape=(int(in_features),),
            name=name,
        )
        self.build((int(in_features),))

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        units = int(config["out_features"])
        return units * int(config["in_features"]) + units * bool(config.get("bias", True))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "in_features": self.in_features,
            "out_features": self.units,
            "bias": self.use_bias,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }
        if self.name is not None:
            config["name"] = self.name
        return config
