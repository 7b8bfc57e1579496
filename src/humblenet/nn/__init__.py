"""Layers, losses, initializers and the containers networks are built from.

>>> from humblenet import nn
>>> model = nn.Sequential(nn.Flatten(input_shape=(28, 28)), nn.Dense(10, activation="softmax"))
>>> model.count_params()
7850

``nn.Sequential`` is a pure container (as PyTorch's); the Keras-like model with ``compile`` /
``fit`` / ``evaluate`` / ``predict`` / ``summary`` / ``save`` is :class:`humblenet.Sequential`.
A layer defined outside humblenet joins saving, loading, ONNX export and ``summary()`` once it
is registered with :func:`register` (see :mod:`humblenet.nn.registry`).

PyTorch's names are here too: ``nn.Linear``, ``nn.ReLU``, ``nn.Flatten(start_dim, end_dim)``,
``nn.Module.to(...)``, and the losses ``nn.CrossEntropyLoss``, ``nn.MSELoss``, ``nn.L1Loss``,
``nn.NLLLoss``, ``nn.BCELoss``, ``nn.BCEWithLogitsLoss`` (see :mod:`humblenet.nn.torch_losses`).
"""

from humblenet.nn import functional, init, losses
from humblenet.nn.containers import ModuleList, Sequential
from humblenet.nn.layers import (
    ACTIVATIONS,
    GELU,
    Activation,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Dense,
    Dropout,
    Dropout2d,
    Flatten,
    Layer,
    LayerNorm,
    LeakyReLU,
    Linear,
    MaxPool2d,
    MultiheadAttention,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    TransformerEncoder,
    TransformerEncoderLayer,
    activation,
    generate_square_subsequent_mask,
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
from humblenet.nn.torch_losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)

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
    "BCELoss",
    "BCEWithLogitsLoss",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CrossEntropyLoss",
    "Dense",
    "Dropout",
    "Flatten",
    "GELU",
    "L1Loss",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MSELoss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SparseCategoricalCrossentropy",
    "Tanh",
    "activation",
    "from_config",
    "functional",
    "init",
    "layer_config",
    "losses",
    "register",
]
