"""humblenet: neural networks from scratch in Python and NumPy.

The ladder, from one humble neuron to deep networks:

- ``humblenet.basics``: the series' parts 1-8 as plain functions;
- ``humblenet.scalar``: reverse-mode autograd on single numbers;
- ``humblenet.Tensor``: reverse-mode autograd over NumPy arrays;
- ``humblenet.nn``, ``humblenet.optim``, ``humblenet.data``: layers, optimizers, data, training.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
