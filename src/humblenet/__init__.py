"""humblenet: neural networks from scratch in Python and NumPy.

The ladder, from one humble neuron to deep networks:

- ``humblenet.basics``: the series' parts 1-8 as plain functions;
- ``humblenet.scalar``: reverse-mode autograd on single numbers;
- ``humblenet.Tensor``: reverse-mode autograd over NumPy arrays;
- ``humblenet.nn``, ``humblenet.optim``, ``humblenet.data``: layers, optimizers, data, training.
"""

__version__ = "0.1.0"

from humblenet import functional
from humblenet.gradcheck import GradcheckError, gradcheck
from humblenet.tensor import (
    Tensor,
    concatenate,
    is_grad_enabled,
    maximum,
    minimum,
    no_grad,
    stack,
    tensor,
    where,
)

__all__ = [
    "GradcheckError",
    "Tensor",
    "__version__",
    "concatenate",
    "functional",
    "gradcheck",
    "is_grad_enabled",
    "maximum",
    "minimum",
    "no_grad",
    "stack",
    "tensor",
    "where",
]
