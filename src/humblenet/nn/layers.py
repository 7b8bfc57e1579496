"""Layers: ``Dense`` (Keras-like, learns its input size), ``Linear`` (PyTorch-like), ``Flatten``,
``Dropout`` and the activation layers.

Every layer reports ``get_config()``: a plain dictionary from which :func:`from_config` builds the
same layer again, so an architecture can be written down as data.

>>> import numpy as np
>>> layer = Dense(3, activation="relu", seed=0)
>>> layer(np.ones((2, 5), dtype=np.float32)).shape
(2, 3)
>>> layer.weight.shape
(3, 5)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet.nn import init
from humblenet.nn.module import Module, Parameter, Sequential, layer_config
from humblenet.tensor import Tensor

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor] | None] = {
    "linear": None,
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "gelu": F.gelu,
    "softmax": F.softmax,
}


def activation_function(name: str | None) -> Callable[[Tensor], Tensor] | None:
    """The activation called ``name`` (None or ``"linear"`` for none); errors list known names."""
    if name is None:
        return None
    if not isinstance(name, str) or name not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; known activations: {known} (or None)")
    return ACTIVATIONS[name]


def _shape_argument(input_shape: Any) -> tuple[int, ...] | None:
    if input_shape is None:
        return None
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    if not all(isinstance(n, int | np.integer) and n > 0 for n in shape):
        raise ValueError(
            f"input_shape must be positive integers (without the batch), got {input_shape!r}"
        )
    return tuple(int(n) for n in shape)


class Layer(Module):
    """A module with a Keras-style life: configured in ``__init__``, built on its first input.

    Args:
        input_shape: the shape of one sample (without the batch axis); only needed on a model's
            first layer, to build the model before it sees data (as Keras' ``input_shape``).
        name: an optional name shown by ``summary()``.
    """

    def __init__(self, input_shape: Any = None, name: str | None = None) -> None:
        self.declared_input_shape = _shape_argument(input_shape)
        self.name = name

    def build(self, input_shape: tuple[int, ...]) -> None:
        """Create weights for inputs of shape ``input_shape`` (nothing for most layers)."""

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if self.name is not None:
            config["name"] = self.name
        if self.declared_input_shape is not None:
            config["input_shape"] = list(self.declared_input_shape)
        return config


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
        seed: seeds the initializers (the same seed gives the same weights).
        dtype: the parameters' dtype (float32 by default).

    Shape:
        input ``(batch, in_features)``, output ``(batch, units)``.
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
        self._activation_fn = activation_function(self.activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        init.get(kernel_initializer)
        init.get(bias_initializer)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.in_features: int | None = None
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 1:
            raise ValueError(
                f"Dense expects samples with one axis of features, got shape {input_shape}; "
                "put a Flatten() layer before it"
            )
        in_features = int(input_shape[0])
        if self.weight is not None:
            if self.in_features != in_features:
                raise ValueError(
                    f"{type(self).__name__}: built for {self.in_features} input features, but it "
                    f"now receives {in_features}; check the size of the layer before it"
                )
            return
        rng = np.random.default_rng(self.seed)
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


class Linear(Dense):
    """A fully connected layer with explicit sizes, initialized as ``torch.nn.Linear``.

    ``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``, both
    drawn uniformly from ``[-1/sqrt(in_features), 1/sqrt(in_features)]``.

    Args:
        in_features: the size of each input sample.
        out_features: the size of each output sample.
        bias: learn an additive bias.
        seed: seeds the initialization.
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


class Flatten(Layer):
    """Flatten each sample to one axis: ``(batch, 28, 28)`` becomes ``(batch, 784)``."""

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1) if x.ndim != 2 else x

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (int(np.prod(input_shape)),)


class Dropout(Layer):
    """Drop each input with probability ``rate`` while training (scaling the rest up);
    the identity in evaluation mode.

    Args:
        rate: the probability of dropping an element, in ``[0, 1)``.
        seed: seeds the masks: the same seed gives the same sequence of masks.
    """

    def __init__(
        self, rate: float, seed: int | None = None, name: str | None = None, input_shape: Any = None
    ) -> None:
        super().__init__(input_shape, name)
        if not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def reseed(self) -> None:
        """Start the masks afresh from ``self.seed``."""
        self._rng = np.random.default_rng(self.seed)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.rate, training=self.training, rng=self._rng)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


class ReLU(Layer):
    """``max(x, 0)``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Layer):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""

    def __init__(
        self, negative_slope: float = 0.01, name: str | None = None, input_shape: Any = None
    ) -> None:
        super().__init__(input_shape, name)
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Sigmoid(Layer):
    """``1 / (1 + exp(-x))``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Layer):
    """Hyperbolic tangent."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class GELU(Layer):
    """Gaussian error linear unit (``approximate="none"`` or ``"tanh"``)."""

    def __init__(
        self, approximate: str = "none", name: str | None = None, input_shape: Any = None
    ) -> None:
        super().__init__(input_shape, name)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "approximate": self.approximate}


class Softmax(Layer):
    """Scores to probabilities along ``axis``."""

    def __init__(self, axis: int = -1, name: str | None = None, input_shape: Any = None) -> None:
        super().__init__(input_shape, name)
        self.axis = int(axis)

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


LAYERS: dict[str, type[Module]] = {
    cls.__name__: cls
    for cls in (Dense, Linear, Flatten, Dropout, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax)
}


def from_config(config: dict[str, Any]) -> Module:
    """Build a layer or a ``Sequential`` model from what ``get_config()`` wrote.

    >>> model = Sequential([Flatten(input_shape=(2, 2)), Dense(3, activation="relu")])
    >>> rebuilt = from_config(model.get_config())
    >>> rebuilt.get_config() == model.get_config()
    True
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"from_config: expected a dict with 'class_name', got {config!r:.80}")
    name = config["class_name"]
    if name == "Sequential":
        layers = [from_config(item) for item in config.get("layers", [])]
        model = Sequential(layers, name=config.get("name"), seed=config.get("seed"))
        if config.get("input_shape") is not None and not model.built:
            model.build(config["input_shape"])
        return model
    if name not in LAYERS:
        known = ", ".join(sorted(LAYERS))
        raise ValueError(f"from_config: unknown layer class {name!r}; known layers: {known}")
    try:
        return LAYERS[name](**config.get("config", {}))
    except TypeError as exc:
        raise ValueError(f"from_config: bad configuration for {name}: {exc}") from None


__all__ = [
    "ACTIVATIONS",
    "Dense",
    "Dropout",
    "Flatten",
    "GELU",
    "Layer",
    "LeakyReLU",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activation_function",
    "from_config",
    "layer_config",
]
