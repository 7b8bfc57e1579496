"""Containers: ``Sequential`` (layers applied one after the other) and ``ModuleList``.

Both are pure containers, as PyTorch's are: they hold modules and (for ``Sequential``) chain
them. Training a model Keras' way (``compile`` / ``fit`` / ``evaluate`` / ``predict`` /
``summary`` / ``save``) is the job of :class:`humblenet.Sequential`, a model built on this one.

>>> from humblenet.nn import Dense, ReLU
>>> model = Sequential(Dense(4, input_shape=(3,), seed=0), ReLU(), Dense(2, seed=1))
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
>>> fused = Sequential(Dense(4, activation="relu", input_shape=(3,)), Dense(2))
>>> list(fused.state_dict())          # PyTorch's names: Linear, ReLU, Linear
['0.weight', '0.bias', '2.weight', '2.bias']
>>> Sequential([Dense(4, input_shape=(3,)), Dense(2)]).input_shape   # a list works too
(3,)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from humblenet.nn.module import Module
from humblenet.nn.registry import from_config, layer_config, register
from humblenet.tensor import Tensor

__all__ = ["ModuleList", "Sequential", "output_shape", "seed_layer"]


def _module_arguments(owner: str, modules: tuple[Any, ...]) -> list[Module]:
    """``(a, b, c)`` or ``([a, b, c],)`` as a list of modules, refusing anything else."""
    if len(modules) == 1 and not isinstance(modules[0], Module):
        if modules[0] is None:
            return []
        if not isinstance(modules[0], Iterable):
            raise TypeError(
                f"{owner}: expected layers (humblenet.nn.Module) or one list of them, "
                f"got {type(modules[0]).__name__}"
            )
        modules = tuple(modules[0])
    for index, module in enumerate(modules):
        if not isinstance(module, Module):
            raise TypeError(
                f"{owner}: item {index} is a {type(module).__name__}, not a layer "
                "(a humblenet.nn.Module)"
            )
    return list(modules)


class _LayerList(Module):
    """What both containers share: their modules in ``self.layers``, indexed and iterated."""

    layers: list[Module]

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


@register
class Sequential(_LayerList):
    """Layers applied one after the other: ``Sequential(a, b, c)`` or ``Sequential([a, b, c])``.

    Layers that learn their input size (``Dense``) are built when the input shape is known: from
    the first layer's ``input_shape=``, from :meth:`build`, or from the first batch.

    Args:
        modules: the layers, in order, as arguments or as one list (more can be added with
            :meth:`add`); ``layers=[...]`` (Keras' keyword) works too.
        name: an optional name shown by ``summary()``.
        seed: gives every layer that has no seed of its own one derived from this seed and
            its position, so the whole model's initial weights (and dropout masks) repeat.
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(
        self,
        *modules: Any,
        layers: Iterable[Module] | None = None,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        if layers is not None:  # Keras' keyword
            if modules:
                raise TypeError(f"{type(self).__name__}: give the layers once, not also layers=")
            modules = (layers,)
        given = _module_arguments(type(self).__name__, modules)
        self.layers: list[Module] = []
        self.name = name or "sequential"
        self.seed = seed
        self.built = False
        self.input_shape: tuple[int, ...] | None = None
        for layer in given:
            self.add(layer)

    def add(self, layer: Module) -> None:
        """Append a layer (building it at once when the input shape is known)."""
        if not isinstance(layer, Module):
            raise TypeError(
                f"Sequential: expected a layer (a humblenet.nn.Module), got {type(layer).__name__}"
            )
        if self.seed is not None:
            seed_layer(layer, self.seed, len(self.layers))
        self.layers.append(layer)
        declared = getattr(layer, "declared_input_shape", None)
        try:
            if len(self.layers) == 1 and declared is not None:
                self.build(declared)
            elif self.built:
                self.build(self.input_shape)  # type: ignore[arg-type]
        except ValueError:
            self.layers.pop()  # a layer that does not fit is not kept
            raise

    def build(self, input_shape: Iterable[int | None]) -> None:
        """Create every layer's weights for inputs of shape ``input_shape`` (without the batch;
        Keras' batch shape with ``None`` first, ``(None, 28, 28, 1)``, is taken too)."""
        given = tuple(input_shape)
        if given and given[0] is None:
            given = given[1:]  # Keras' (None, *sample)
        if any(n is None for n in given):
            raise ValueError(
                f"build: input_shape {tuple(input_shape)} has None in a sample's size; give "
                "one sample's shape, e.g. (28, 28, 1), or Keras' (None, 28, 28, 1)"
            )
        shape = tuple(int(n) for n in given)  # type: ignore[arg-type]
        # every layer's input shape first: a shape that does not fit (a window larger than its
        # image) is refused before any layer makes weights for the wrong size
        shapes = [shape]
        for layer in self.layers:
            shapes.append(output_shape(layer, shapes[-1]))
        for layer, shape in zip(self.layers, shapes):
            build = getattr(layer, "build", None)
            if build is not None:
                build(shape)
        self.input_shape = shapes[0]
        self.built = True

    def forward(self, x: Tensor) -> Tensor:
        if not self.built:
            self.build(_sample_shape(self.layers, x.shape))
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, tuple | list):
                # A layer that returns (output, state), as nn.LSTM does, passes on its output
                # only (torch's Sequential would break; Keras' layers return the sequence).
                x = x[0]
        return x

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers named as in the equivalent ``torch.nn.Sequential``: by their index there,
        where a layer that stands for two PyTorch modules (a ``Dense`` with an activation)
        takes two indices. So ``state_dict()`` names are the names PyTorch gives the same
        weights, and the names in a saved file."""
        index = 0
        for layer in self.layers:
            yield str(index), layer
            index += layer.torch_modules

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        for layer in self.layers:
            input_shape = output_shape(layer, input_shape)
        return input_shape

    @property
    def probability(self) -> str | None:
        """What the last layer's output is (see :attr:`Module.probability`)."""
        return self.layers[-1].probability if self.layers else None

    def get_config(self) -> dict[str, Any]:
        """The architecture as plain data: rebuild it with :func:`humblenet.nn.from_config`."""
        return {
            "class_name": "Sequential",
            "name": self.name,
            "seed": self.seed,
            "input_shape": list(self.input_shape) if self.input_shape is not None else None,
            "layers": [layer_config(layer) for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        layers = [from_config(item) for item in config.get("layers", [])]
        model = cls(layers, name=config.get("name"), seed=config.get("seed"))
        if config.get("input_shape") is not None and not model.built:
            model.build(config["input_shape"])
        return model


class ModuleList(_LayerList):
    """A list of modules whose parameters belong to the module holding it (as PyTorch's).

    >>> from humblenet.nn import Linear
    >>> blocks = ModuleList([Linear(2, 2, seed=0), Linear(2, 2, seed=1)])
    >>> len(blocks), [name for name, _ in blocks.named_parameters()][:2]
    (2, ['0.weight', '0.bias'])
    """

    concurrent_inference = True  # forward in evaluation mode is a pure function (Module)

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        self.layers: list[Module] = _module_arguments("ModuleList", (modules,))

    def append(self, module: Module) -> ModuleList:
        self.layers.extend(_module_arguments("ModuleList.append", (module,)))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        self.layers.extend(_module_arguments("ModuleList.extend", (modules,)))
        return self


def seed_layer(layer: Module, seed: int, position: int) -> None:
    """Give ``layer`` a seed derived from ``seed`` and its position, if it has none yet."""
    if getattr(layer, "seed", "no seed attribute") is not None:
        return
    derived = int(np.random.SeedSequence([seed, position]).generate_state(1)[0])
    setattr(layer, "seed", derived)  # noqa: B010
    reseed = getattr(layer, "reseed", None)
    if reseed is not None:
        reseed()


def _sample_shape(layers: list[Module], shape: tuple[int, ...]) -> tuple[int, ...]:
    """One sample's shape in a first input of ``shape``: all of it when the first layer takes
    unbatched samples of that rank (``Module.unbatched_ndim``), else all but the batch axis."""
    first = layers[0] if layers else None
    if first is not None and getattr(first, "unbatched_ndim", None) == len(shape):
        return tuple(shape)
    return tuple(shape[1:])


def output_shape(layer: Module, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape (without the batch axis) that ``layer`` gives for inputs of ``input_shape``."""
    compute = getattr(layer, "compute_output_shape", None)
    if compute is not None:
        return tuple(compute(input_shape))
    return input_shape
