"""humblenet: neural networks from scratch in Python and NumPy.

The ladder, from one humble neuron to deep networks:

- ``humblenet.basics``: the series' parts 1-8 as plain functions;
- ``humblenet.neuron``: the seed article's neuron (threshold, perceptron, XOR);
- ``humblenet.scalar``: reverse-mode autograd on single numbers (pure Python);
- ``humblenet.Tensor``: reverse-mode autograd over NumPy arrays;
- ``humblenet.nn``, ``humblenet.optim``, ``humblenet.data``: layers, optimizers, data;
- ``humblenet.Sequential`` / ``humblenet.Model``: Keras-like ``compile`` / ``fit`` / ``predict``;
- ``humblenet.load``: a model saved with ``model.save(path)``.

Names are imported when first used, so ``import humblenet.scalar`` needs no NumPy and
``import humblenet`` stays quick.

>>> import humblenet as hn
>>> x = hn.Tensor([3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([6.], dtype=float32)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "Tensor": ("humblenet.tensor", "Tensor"),
    "tensor": ("humblenet.tensor", "tensor"),
    "no_grad": ("humblenet.tensor", "no_grad"),
    "is_grad_enabled": ("humblenet.tensor", "is_grad_enabled"),
    "concatenate": ("humblenet.tensor", "concatenate"),
    "stack": ("humblenet.tensor", "stack"),
    "where": ("humblenet.tensor", "where"),
    "maximum": ("humblenet.tensor", "maximum"),
    "minimum": ("humblenet.tensor", "minimum"),
    "gradcheck": ("humblenet.gradient_check", "gradcheck"),
    "GradcheckError": ("humblenet.gradient_check", "GradcheckError"),
    "Value": ("humblenet.scalar", "Value"),
    "load": ("humblenet.training.model", "load"),
    "save": ("humblenet.io.safetensors", "save"),
    "Sequential": ("humblenet.training.model", "Sequential"),
    "Model": ("humblenet.training.model", "Model"),
    "functional": ("humblenet.functional", None),
    "basics": ("humblenet.basics", None),
    "neuron": ("humblenet.neuron", None),
    "scalar": ("humblenet.scalar", None),
    "nn": ("humblenet.nn", None),
    "optim": ("humblenet.optim", None),
    "data": ("humblenet.data", None),
    "training": ("humblenet.training", None),
    "io": ("humblenet.io", None),
    "keras": ("humblenet.keras", None),
    "validation": ("humblenet.validation", None),
    "plots": ("humblenet.plots", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'humblenet' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
