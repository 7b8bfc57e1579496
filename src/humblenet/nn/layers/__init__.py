"""The layers, one file per idea: ``base`` (``Layer``), ``linear`` (``Dense``, ``Linear``),
``activation`` (``ReLU`` ... ``Softmax`` and the names ``Dense`` accepts), ``dropout``,
``reshape`` (``Flatten``). Each class registers itself in :mod:`humblenet.nn.registry`.
"""

from humblenet.nn.layers.activation import (
    ACTIVATIONS,
    GELU,
    Activation,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    activation,
    activation_layer,
)
from humblenet.nn.layers.base import Layer
from humblenet.nn.layers.dropout import Dropout
from humblenet.nn.layers.linear import Dense, Linear
from humblenet.nn.layers.reshape import Flatten
from humblenet.nn.registry import from_config, layer_config

__all__ = [
    "ACTIVATIONS",
    "Activation",
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
    "activation",
    "activation_layer",
    "from_config",
    "layer_config",
]
