"""Activation layers, and the names ``Dense(activation=...)`` accepts.

Each activation is a layer that answers for itself: its forward (from
:mod:`humblenet.functional`), its ONNX operators, and whether its output is a probability
(softmax and sigmoid, which lets a cross-entropy start from the scores before them).
``activation_layer("relu")`` gives the layer a name stands for; a new activation registered
with :func:`activation` is accepted by ``Dense`` at once.

>>> activation_layer("sigmoid").probability
'sigmoid'
>>> sorted(ACTIVATIONS)
['gelu', 'leaky_relu', 'linear', 'relu', 'sigmoid', 'softmax', 'tanh']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from humblenet import functional as F
from humblenet.nn.layers.base import Layer
from humblenet.nn.registry import register
from humblenet.tensor import Tensor

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "GELU",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activation",
    "activation_layer",
    "concurrent_activation",
]

ACTIVATIONS: dict[str, Callable[[], Layer] | None] = {"linear": None}
"""Each name ``Dense(activation=...)`` accepts, and what makes the layer it stands for (a class,
or a function for a layer with settings: ``"leaky_relu"`` is Keras' slope of 0.2)."""

A = TypeVar("A", bound=type[Layer])


def concurrent_activation(forward: Any) -> bool:
    """Whether an activation's bound ``forward`` (None: no activation) may run in two threads
    at once: the ``concurrent_inference`` of the layer it belongs to (``Module``)."""
    return forward is None or bool(getattr(forward.__self__, "concurrent_inference", False))


def activation(name: str) -> Callable[[A], A]:
    """Register a layer class as the activation ``name`` (and as a layer); a decorator."""

    def decorate(cls: A) -> A:
        register(cls)
        ACTIVATIONS[name] = cls
        return cls

    return decorate


def activation_layer(name: str | None) -> Layer | None:
    """A new layer for the activation called ``name`` (None for None or ``"linear"``)."""
    if name is None:
        return None
    if not isinstance(name, str) or name not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; known activations: {known} (or None)")
    make = ACTIVATIONS[name]
    return None if make is None else make()


@activation("relu")
class ReLU(Layer):
    """``max(x, 0)``."""

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("Relu", [x]))


@register
class LeakyReLU(Layer):
    """``x`` where positive, ``negative_slope * x`` elsewhere (0.01 by default, as PyTorch's
    ``nn.LeakyReLU``; ``Dense(activation="leaky_relu")`` uses Keras' 0.2)."""

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(
        self, negative_slope: float = 0.01, name: str | None = None, input_shape: Any = None
    ) -> None:
        super().__init__(input_shape, name)
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("LeakyRelu", [x], alpha=self.negative_slope))


def _keras_leaky_relu() -> Layer:
    """The layer ``activation="leaky_relu"`` stands for: Keras' ``leaky_relu``, slope 0.2."""
    return LeakyReLU(negative_slope=0.2)


ACTIVATIONS["leaky_relu"] = _keras_leaky_relu


@activation("sigmoid")
class Sigmoid(Layer):
    """``1 / (1 + exp(-x))``: a probability for each output."""

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)

    @property
    def probability(self) -> str | None:
        return "sigmoid"

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("Sigmoid", [x]))


@activation("tanh")
class Tanh(Layer):
    """Hyperbolic tangent."""

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("Tanh", [x]))


@activation("gelu")
class GELU(Layer):
    """Gaussian error linear unit (``approximate="none"`` or ``"tanh"``).

    ONNX opset 17 has no ``Gelu`` (it came in opset 20), so the export writes it out:
    ``x * 0.5 * (1 + Erf(x / sqrt(2)))``, or with ``Tanh`` for ``approximate="tanh"``.
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

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

    def to_onnx(self, graph: Any, x: str) -> str:
        node, constant = graph.node, graph.constant
        if self.approximate == "tanh":
            cube = node("Mul", [node("Mul", [x, x]), x])
            inner = node("Add", [x, node("Mul", [cube, constant(0.044715)])])
            scaled = node("Mul", [constant(math.sqrt(2.0 / math.pi)), inner])
            one_plus = node("Add", [constant(1.0), node("Tanh", [scaled])])
            return str(node("Mul", [node("Mul", [constant(0.5), x]), one_plus]))
        scaled = node("Div", [x, constant(math.sqrt(2.0))])
        one_plus = node("Add", [constant(1.0), node("Erf", [scaled])])
        return str(node("Mul", [x, node("Mul", [constant(0.5), one_plus])]))


@activation("softmax")
class Softmax(Layer):
    """Scores to probabilities along ``axis``."""

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(
        self,
        axis: int = -1,
        name: str | None = None,
        input_shape: Any = None,
        *,
        dim: int | None = None,
    ) -> None:
        super().__init__(input_shape, name)
        self.axis = int(axis if dim is None else dim)  # ``dim=``: PyTorch's nn.Softmax(dim=1)

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.axis)

    @property
    def probability(self) -> str | None:
        return "softmax" if self.axis in (-1, 1) else None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}

    def to_onnx(self, graph: Any, x: str) -> str:
        return str(graph.node("Softmax", [x], axis=self.axis))


@register
class Activation(Layer):
    """An activation given by name, as a layer of its own (Keras' ``Activation("relu")``).

    Args:
        activation: any name ``Dense(activation=...)`` accepts (see :data:`ACTIVATIONS`).
    """

    @property
    def concurrent_inference(self) -> bool:  # type: ignore[override]
        """As the activation it stands for (which the user may have registered)."""
        return concurrent_activation(self._forward)

    def __init__(
        self, activation: str | None, name: str | None = None, input_shape: Any = None
    ) -> None:
        super().__init__(input_shape, name)
        layer = activation_layer(activation)
        self.activation = activation
        self._forward = None if layer is None else layer.forward

    def forward(self, x: Tensor) -> Tensor:
        return x if self._forward is None else self._forward(x)

    @property
    def probability(self) -> str | None:
        layer = activation_layer(self.activation)
        return None if layer is None else layer.probability

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation}

    def to_onnx(self, graph: Any, x: str) -> str:
        layer = activation_layer(self.activation)
        return str(graph.node("Identity", [x])) if layer is None else layer.to_onnx(graph, x)

    def extra_repr(self) -> str:
        return repr(self.activation)
