"""Layers, losses, initializers and the containers networks are built from.

>>> from humblenet import nn
>>> model = nn.Sequential(nn.Flatten(input_shape=(28, 28)), nn.Dense(10, activation="softmax"))
>>> model.count_params()
7850

``nn.Sequential`` is a pure container (as PyTorch's); the Keras-like model with ``compile`` /
``fit`` / ``evaluate`` / ``predict`` / ``summary`` / ``save`` is :class:`humblenet.Sequential`.
A layer defined outside humblenet joins saving, loading, ONNX export and ``summary()`` once it
is registered with :func:`register` (see :mod:`humblenet.nn.registry`).
"""

from humblenet.nn import init, losses
from humblenet.nn.containers import ModuleList, Sequential
from humblenet.nn.layers import (
    ACTIVATIONS,
    GELU,
    Activation,
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
    activation,
)
from humblenet.nn.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)
from humblenet.nn.module import Module, Parameter
from humblenet.nn.registry import from_config, layer_config, register

__all__ = [
    "ACTIVATIONS",
    "Activation",
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
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SparseCategoricalCrossentropy",
    "Tanh",
    "activation",
    "from_config",
    "init",
    "layer_config",
    "losses",
    "register",
]
