"""humblenet: neural networks from scratch in Python and NumPy.

The ladder, from one humble neuron to deep networks:

- ``humblenet.basics``: the series' parts 1-8 as plain functions;
- ``humblenet.neuron``: the seed article's neuron (threshold, perceptron, XOR);
- ``humblenet.scalar``: reverse-mode autograd on single numbers (pure Python);
- ``humblenet.Tensor``: reverse-mode autograd over NumPy arrays;
- ``humblenet.nn``, ``humblenet.optim``, ``humblenet.data``: layers, optimizers, data;
- ``humblenet.Sequential`` / ``humblenet.Model``: Keras-like ``compile`` / ``fit`` / ``predict``;
- ``humblenet.load``: a model saved with ``model.save(path)``.

It is also PyTorch's top level, so that a program written for PyTorch runs with
``import humblenet as torch``: ``tensor``, ``zeros``, ``randn``, ``manual_seed``, ``cat``, the
dtypes (``float32``, ``float``, ``long``...), ``device``, ``cuda``, ``accelerator``, the functions
that are Tensor methods (``humblenet.argmax(x, 1)`` is ``x.argmax(1)``) and ``utils.data``.

Names are imported when first used, so ``import humblenet.scalar`` needs no NumPy and
``import humblenet`` stays quick.

>>> import humblenet as hn
>>> x = hn.Tensor([3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([6.], dtype=float32)
"""

from __future__ import annotations

import builtins
import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself)
# ("Tensor.name" stands for the method as a function of its tensor: humblenet.sum(x, 1).)
_LAZY: dict[str, tuple[str, str | None]] = {
    "Tensor": ("humblenet.tensor", "Tensor"),
    "tensor": ("humblenet.tensor", "tensor"),
    "no_grad": ("humblenet.tensor", "no_grad"),
    "is_grad_enabled": ("humblenet.tensor", "is_grad_enabled"),
    "concatenate": ("humblenet.tensor", "concatenate"),
    "cat": ("humblenet.tensor", "cat"),
    "stack": ("humblenet.tensor", "stack"),
    "where": ("humblenet.tensor", "where"),
    "maximum": ("humblenet.tensor", "maximum"),
    "minimum": ("humblenet.tensor", "minimum"),
    "from_numpy": ("humblenet.tensor", "from_numpy"),
    "is_tensor": ("humblenet.tensor", "is_tensor"),
    "zeros": ("humblenet.tensor", "zeros"),
    "ones": ("humblenet.tensor", "ones"),
    "full": ("humblenet.tensor", "full"),
    "zeros_like": ("humblenet.tensor", "zeros_like"),
    "ones_like": ("humblenet.tensor", "ones_like"),
    "arange": ("humblenet.tensor", "arange"),
    "eye": ("humblenet.tensor", "eye"),
    "manual_seed": ("humblenet.random", "manual_seed"),
    "randn": ("humblenet.random", "randn"),
    "rand": ("humblenet.random", "rand"),
    "randint": ("humblenet.random", "randint"),
    "randperm": ("humblenet.random", "randperm"),
    "device": ("humblenet.devices", "device"),
    # torch's dtypes, as NumPy dtypes
    "float16": ("humblenet.tensor", "float16"),
    "half": ("humblenet.tensor", "float16"),
    "float32": ("humblenet.tensor", "float32"),
    "float": ("humblenet.tensor", "float32"),
    "float64": ("humblenet.tensor", "float64"),
    "double": ("humblenet.tensor", "float64"),
    "uint8": ("humblenet.tensor", "uint8"),
    "int8": ("humblenet.tensor", "int8"),
    "int16": ("humblenet.tensor", "int16"),
    "short": ("humblenet.tensor", "int16"),
    "int32": ("humblenet.tensor", "int32"),
    "int": ("humblenet.tensor", "int32"),
    "int64": ("humblenet.tensor", "int64"),
    "long": ("humblenet.tensor", "int64"),
    "bool": ("humblenet.tensor", "bool_"),
    # torch's functions that are Tensor methods
    **{
        name: ("humblenet.tensor", f"Tensor.{name}")
        for name in (
            "abs argmax argmin clamp cos cumsum exp flatten gather log log1p log_softmax "
            "logsumexp matmul max mean min numel permute pow prod relu reshape sigmoid sin "
            "softmax sqrt square squeeze std sum tanh transpose unsqueeze var"
        ).split()
    },
    "gradcheck": ("humblenet.gradient_check", "gradcheck"),
    "GradcheckError": ("humblenet.gradient_check", "GradcheckError"),
    "Value": ("humblenet.scalar", "Value"),
    "load": ("humblenet.training.model", "load"),
    "save": ("humblenet.io.safetensors", "save"),
    "save_checkpoint": ("humblenet.training.checkpoint", "save_checkpoint"),
    "load_checkpoint": ("humblenet.training.checkpoint", "load_checkpoint"),
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
    "random": ("humblenet.random", None),
    "utils": ("humblenet.utils", None),
    "cuda": ("humblenet.cuda", None),
    "accelerator": ("humblenet.accelerator", None),
}

# ``from humblenet import *`` must not replace Python's own float, sum, max...
__all__ = ["__version__", *(name for name in _LAZY if not hasattr(builtins, name))]


def _method_as_function(tensor_class: Any, name: str) -> Any:
    """``humblenet.name(x, ...)``: ``x.name(...)`` for a Tensor ``x``."""
    method = getattr(tensor_class, name)

    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 (torch's name)
        if not isinstance(input, tensor_class):
            raise TypeError(
                f"humblenet.{name}: expected a Tensor, got {type(input).__name__}; make one "
                "with humblenet.tensor(...)"
            )
        return method(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``humblenet.{name}(x, ...)`` is ``x.{name}(...)``: see ``Tensor.{name}``."
    return function


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'humblenet' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    if attribute is None:
        value: Any = module
    elif attribute.startswith("Tensor."):
        value = _method_as_function(module.Tensor, attribute.partition(".")[2])
    else:
        value = getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({"__version__", *_LAZY})


class _Package(types.ModuleType):
    """This package, keeping its public names when a submodule of the same name is imported.

    Importing ``humblenet.tensor`` (the module) would otherwise bind it to the package's
    attribute ``tensor``, hiding the function ``humblenet.tensor(...)`` that torch programs call.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        entry = _LAZY.get(name)
        if (
            entry is not None
            and entry[1] is not None
            and isinstance(value, types.ModuleType)
            and value.__name__ == entry[0]
        ):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
