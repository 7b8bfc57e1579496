"""The layers, one file per idea: ``base`` (``Layer``), ``linear`` (``Dense``, ``Linear``),
``activation`` (``ReLU`` ... ``Softmax`` and the names ``Dense`` accepts), ``dropout``,
``reshape`` (``Flatten``), ``conv``
(``Conv1d``, ``Conv2d``), ``pool`` (``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``), ``norm``
(``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``Dropout2d``), ``attention``
(``MultiheadAttention``), ``transformer`` (``TransformerEncoderLayer``, ``TransformerEncoder``).
Each class registers itself in :mod:`humblenet.nn.registry`.
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
from humblenet.nn.layers.attention import MultiheadAttention
from humblenet.nn.layers.base import Layer
from humblenet.nn.layers.conv import Conv1d, Conv2d
from humblenet.nn.layers.dropout import Dropout
from humblenet.nn.layers.linear import Dense, Linear
from humblenet.nn.layers.norm import BatchNorm1d, BatchNorm2d, Dropout2d, LayerNorm
from humblenet.nn.layers.pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from humblenet.nn.layers.reshape import Flatten
from humblenet.nn.layers.transformer import (
    TransformerEncoder,
    TransformerEncoderLayer,
    generate_square_subsequent_mask,
)
from humblenet.nn.registry import from_config, layer_config

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout2d",
    "LayerNorm",
    "MaxPool2d",
    "MultiheadAttention",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "generate_square_subsequent_mask",
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
