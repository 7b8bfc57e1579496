"""``humblenet.nn.functional``: PyTorch's name for the functions on tensors, so that
``import humblenet.nn.functional as F`` works as ``import torch.nn.functional as F`` does.

The functions are humblenet's own (:mod:`humblenet.functional`); the losses are also given their
PyTorch names (``mse_loss``, ``l1_loss``, ``nll_loss``); ``scaled_dot_product_attention`` comes
from :mod:`humblenet.attention`.

>>> import numpy as np
>>> from humblenet import Tensor
>>> float(mse_loss(Tensor(np.array([1.0, 3.0])), np.array([1.0, 1.0])).item())
2.0
"""

from humblenet.attention import scaled_dot_product_attention
from humblenet.conv import (
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    conv1d,
    conv2d,
    dropout2d,
    layer_norm,
    max_pool2d,
)
from humblenet.functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    dropout,
    gelu,
    leaky_relu,
    linear,
    log_softmax,
    logsumexp,
    mae,
    mse,
    nll,
    relu,
    sigmoid,
    softmax,
    tanh,
)

mse_loss = mse
l1_loss = mae
nll_loss = nll

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "dropout2d",
    "layer_norm",
    "max_pool2d",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "gelu",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsumexp",
    "mse_loss",
    "nll_loss",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "softmax",
    "tanh",
]
