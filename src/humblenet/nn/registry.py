"""The layer registry: one table from a layer's written-down name to its class.

An architecture is written down as data (``{"class_name": "Dense", "config": {...}}``) and built
again from it; this module is the only place that turns a name back into a class. Every layer
class registers itself with :func:`register` where it is defined, and a layer from outside the
package does the same, after which saving, loading, ``from_config``, ONNX export and
``summary()`` handle it like a built-in one:

>>> import numpy as np
>>> from humblenet.nn.module import Module, Parameter
>>> @register
... class Shift(Module):
...     def __init__(self, amount=1.0):
...         self.amount = float(amount)
...     def forward(self, x):
...         return x + self.amount
...     def get_config(self):
...         return {"amount": self.amount}
>>> written = layer_config(Shift(2.5))
>>> written
{'class_name': 'Shift', 'config': {'amount': 2.5}}
>>> from_config(written).amount
2.5
>>> unregister("Shift")

What a layer answers for itself (its *protocol*) is described on
:class:`humblenet.nn.module.Module`.
"""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from humblenet.nn.module import Module

__all__ = ["from_config", "get", "layer_config", "name_of", "register", "registered", "unregister"]

_CLASSES: dict[str, type[Module]] = {}
_NAMES: dict[type[Module], str] = {}

M = TypeVar("M", bound=type[Module])


def register(cls: M | None = None, *, name: str | None = None, writes_as: str | None = None) -> Any:
    """Register a layer class under ``name`` (its class name by default); use as a decorator.

    Args:
        cls: the class (a subclass of :class:`~humblenet.nn.module.Module`).
        name: the name written in configurations and files.
        writes_as: instead of a name of its own, write this class down as the (already
            registered) class ``writes_as``, which is what loading builds; for a subclass that
            adds only behaviour around the same architecture (the Keras-like ``Sequential``).

    Raises:
        TypeError: ``cls`` is not a Module subclass.
        ValueError: ``name`` is already taken by another class.
    """

    def decorate(layer_class: M) -> M:
        if not isinstance(layer_class, type) or not issubclass(layer_class, Module):
            raise TypeError(f"register: expected a Module subclass, got {layer_class!r}")
        if writes_as is not None:
            get(writes_as)  # must exist
            _NAMES[layer_class] = writes_as
            return layer_class
        key = name or layer_class.__name__
        taken = _CLASSES.get(key)
        if taken is not None and taken is not layer_class:
            raise ValueError(
                f"register: the name {key!r} is taken by {taken.__module__}.{taken.__qualname__}; "
                "pass name=... to register this class under another name"
            )
        _CLASSES[key] = layer_class
        _NAMES[layer_class] = key
        return layer_class

    return decorate if cls is None else decorate(cls)


def unregister(name: str) -> None:
    """Forget the class registered as ``name`` (mostly for tests)."""
    cls = _CLASSES.pop(name)
    for other in [c for c, n in _NAMES.items() if n == name or c is cls]:
        del _NAMES[other]


def registered() -> list[str]:
    """The registered names, sorted."""
    return sorted(_CLASSES)


# humblenet's modules that define layers outside ``humblenet.nn``, each registering its classes
# when imported: a name not known yet (a file of Keras-style layers read by a program that
# never imported ``humblenet.keras``) is looked for there before it is called unknown. They are
# named as text and imported on demand, so the registry depends on none of them.
LAYER_MODULES = ("humblenet.keras.layers",)


def get(name: str) -> type[Module]:
    """The class registered as ``name``; a ValueError listing the known names otherwise."""
    if isinstance(name, str) and name not in _CLASSES:
        for module in LAYER_MODULES:
            importlib.import_module(module)
    if not isinstance(name, str) or name not in _CLASSES:
        raise ValueError(f"unknown layer class {name!r}; known layers: {', '.join(registered())}")
    return _CLASSES[name]


def name_of(layer: Module) -> str:
    """The name ``layer``'s class is written down as; a TypeError for an unregistered class."""
    name = _NAMES.get(type(layer))
    if name is None:
        raise TypeError(
            f"{type(layer).__name__} is not a registered layer, so it cannot be written down; "
            "decorate its class with @humblenet.nn.register (and give it get_config())"
        )
    return name


def layer_config(layer: Module) -> dict[str, Any]:
    """``{"class_name": ..., "config": layer.get_config()}``: the layer written down as data.

    A container whose ``get_config()`` already names its class (``Sequential``) is returned as
    it wrote itself.
    """
    name = name_of(layer)
    config = layer.get_config()
    if config.get("class_name") == name:
        return config
    return {"class_name": name, "config": config}


def from_config(config: dict[str, Any]) -> Module:
    """Build a layer or a model from what :func:`layer_config` (or ``get_config()``) wrote.

    >>> from humblenet.nn import Dense, Flatten, Sequential
    >>> model = Sequential([Flatten(input_shape=(2, 2)), Dense(3, activation="relu")])
    >>> rebuilt = from_config(model.get_config())
    >>> rebuilt.get_config() == model.get_config()
    True
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"from_config: expected a dict with 'class_name', got {config!r:.80}")
    try:
        cls = get(config["class_name"])
    except ValueError as error:
        raise ValueError(f"from_config: {error}") from None
    settings = config["config"] if "config" in config else config
    if not isinstance(settings, dict):
        raise ValueError(f"from_config: the config of {config['class_name']} is not a dict")
    try:
        return cls.from_config(settings)
    except TypeError as error:
        raise ValueError(
            f"from_config: bad configuration for {config['class_name']}: {error}"
        ) from None
