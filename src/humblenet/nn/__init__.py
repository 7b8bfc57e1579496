"""Layers, losses, initializers and the containers networks are built from.

>>> from humblenet import nn
>>> model = nn.Sequential([nn.Flatten(input_shape=(28, 28)), nn.Dense(10, activation="softmax")])
>>> model.count_params()
7850
"""

from humblenet.nn import init, losses
from humblenet.nn.layers import (
    ACTIVATIONS,
    GELU,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    from_config,
)
from humblenet.nn.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)
from humblenet.nn.module import Module, Parameter, Sequential

__all__ = [
    "ACTIVATIONS",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Dense",
    "Dropout",
    "Flatten",
    "GELU",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SparseCategoricalCrossentropy",
    "Tanh",
    "from_config",
    "init",
    "losses",
]
