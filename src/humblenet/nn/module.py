"""``Module``, ``Parameter`` and ``Sequential``: the containers every network is built from.

A :class:`Module` finds its parameters by walking its own attributes (parameters, sub-modules, and
lists of sub-modules), in the order they were assigned, as PyTorch does. :class:`Sequential` chains
layers and adds the Keras-like ``compile`` / ``fit`` / ``evaluate`` / ``predict`` / ``summary``
(implemented in :mod:`humblenet.training`).

>>> from humblenet.nn import Dense
>>> model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '1.weight', '1.bias']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from humblenet.tensor import Tensor


class Parameter(Tensor):
    """A tensor that a module learns: it always requires a gradient."""

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=True, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor") :]


class Module:
    """Base class of layers and networks.

    Subclasses set parameters and sub-modules as attributes in ``__init__`` (or in ``build``) and
    define ``forward``. Calling the module calls ``forward``.
    """

    training: bool = True

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, x: Any) -> Tensor:
        return self.forward(x if isinstance(x, Tensor) else Tensor(x))

    # -- walking the attributes ----------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules with their attribute names (list items as ``name.index``)."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, list | tuple) and value and isinstance(value[0], Module):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield (f"{name}.{i}" if name != "layers" else str(i)), item

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first."""
        yield self
        for child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name, e.g. ``0.weight``, in assignment order.

        A parameter reached twice (a layer used twice, or a shared weight) is listed once, under
        its first name, so an optimizer updates it once per step (as PyTorch does).
        """
        seen: set[int] = set()
        for name, param in self._all_named_parameters(prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def _all_named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._all_named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        """Every parameter, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def pack_parameters(self) -> None:
        """Lay every parameter's values, and its future gradients, side by side in two arrays.

        Each parameter keeps its shape and values; its ``.data`` becomes a view of one flat
        array, and backward will write its gradient into a view of another. Optimizers notice
        and update all parameters with one NumPy call per step of their formula, which makes a
        small network's training step markedly faster. ``Sequential`` does this when it is
        built; call it after changing a custom module's parameters. Arrays taken from
        ``.data`` before the call no longer belong to the module.
        """
        params = self.parameters()
        dtypes = {p.dtype for p in params}
        if len(params) < 2 or len(dtypes) != 1:
            return
        dtype = dtypes.pop()
        total = sum(p.size for p in params)
        data = np.empty(total, dtype=dtype)
        grad = np.zeros(total, dtype=dtype)
        start = 0
        for p in params:
            part = slice(start, start + p.size)
            start += p.size
            view = data[part].reshape(p.shape)
            view[...] = p.data
            p.data = view
            p._grad_buffer = grad[part].reshape(p.shape)
            if p.grad is not None:
                p._grad_buffer[...] = p.grad
                p.grad = p._grad_buffer

    def count_params(self) -> int:
        """The number of learned numbers."""
        return sum(p.size for p in self.parameters())

    # -- modes and gradients -------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all inside it to training mode (or evaluation when False)."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode: dropout becomes the identity."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.parameters():
            p.grad = None

    # -- saving the weights --------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values, by name."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy values into the parameters in place (optimizers keep working on them).

        Every problem is found before anything is written, so a failed load changes nothing.

        Raises:
            ValueError: a missing or unexpected key (with ``strict``), or a shape that differs,
                naming the keys and both shapes.
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            hint = ""
            if not own and isinstance(self, Sequential) and not self.built:
                hint = " (the model has no weights yet: build it first, e.g. model.build(shape))"
            problems.append(f"unexpected keys {unexpected}{hint}")
        values = {}
        for key, param in own.items():
            if key not in state:
                continue
            value = np.asarray(state[key].data if isinstance(state[key], Tensor) else state[key])
            if value.shape != param.shape:
                problems.append(
                    f"{key}: shape {value.shape} in the state, {param.shape} in the model"
                )
            elif value.dtype.kind not in "fiu":
                problems.append(f"{key}: dtype {value.dtype} is not numeric")
            else:
                values[key] = value
        if problems:
            raise ValueError(
                f"load_state_dict into {type(self).__name__}: "
                + "; ".join(problems)
                + ". Build the same architecture as the one that was saved."
            )
        for key, value in values.items():
            np.copyto(own[key].data, value, casting="unsafe")

    # -- description ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [
            f"({name}): {repr(child)}".replace("\n", "\n  ")
            for name, child in self.named_children()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Layers applied one after the other; also a Keras-like model.

    Args:
        layers: the layers, in order (more can be added with :meth:`add`).
        name: an optional name shown by :meth:`summary`.
        seed: gives every layer that has no seed of its own one derived from this seed and
            its position, so the whole model's initial weights (and dropout masks) repeat.

    The training methods (``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``) live in
    :mod:`humblenet.training`; PyTorch-style code can ignore them and write its own loop.
    """

    def __init__(
        self,
        layers: Iterable[Module] | None = None,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.layers: list[Module] = []
        self.name = name or "sequential"
        self.seed = seed
        self.built = False
        self.input_shape: tuple[int, ...] | None = None
        # Set by compile() and fit() (see humblenet.training).
        self.compiled = False
        self.loss: Any = None
        self.optimizer: Any = None
        self.metrics_names: list[str] = []
        self.stop_training = False
        self.stop_reason: str | None = None
        self._optimizer_spec: Any = None
        self._learning_rate: float | None = None
        # What humblenet.load() read beside the weights (class names, preprocessing, ...).
        self.metadata: dict[str, Any] = {}
        for layer in layers or []:
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

    def build(self, input_shape: Iterable[int]) -> None:
        """Create every layer's weights for inputs of shape ``input_shape`` (without the batch)."""
        shape = tuple(int(n) for n in input_shape)
        self.input_shape = shape
        for layer in self.layers:
            build = getattr(layer, "build", None)
            if build is not None:
                build(shape)
            shape = output_shape(layer, shape)
        self.pack_parameters()
        self.built = True

    def forward(self, x: Tensor) -> Tensor:
        if not self.built:
            self.build(x.shape[1:])
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def get_config(self) -> dict[str, Any]:
        """The architecture as plain data: rebuild it with :func:`humblenet.nn.from_config`."""
        return {
            "class_name": "Sequential",
            "name": self.name,
            "seed": self.seed,
            "input_shape": list(self.input_shape) if self.input_shape is not None else None,
            "layers": [layer_config(layer) for layer in self.layers],
        }

    # Keras-like training: the engine is in humblenet.training.
    def compile(self, *args: Any, **kwargs: Any) -> None:
        from humblenet import training

        training.compile_model(self, *args, **kwargs)

    def fit(self, *args: Any, **kwargs: Any) -> Any:
        from humblenet import training

        return training.fit(self, *args, **kwargs)

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        from humblenet import training

        return training.evaluate(self, *args, **kwargs)

    def predict(self, *args: Any, **kwargs: Any) -> np.ndarray:
        from humblenet import training

        return training.predict(self, *args, **kwargs)

    def summary(self, print_fn: Any = print) -> str:
        from humblenet import training

        return training.summary(self, print_fn=print_fn)

    def save(self, path: Any, **metadata: Any) -> None:
        """Write the model to a safetensors file (see :func:`humblenet.serialize.save`)."""
        from humblenet import serialize

        serialize.save(self, path, **metadata)


def seed_layer(layer: Module, seed: int, position: int) -> None:
    """Give ``layer`` a seed derived from ``seed`` and its position, if it has none yet."""
    if getattr(layer, "seed", "no seed attribute") is not None:
        return
    derived = int(np.random.SeedSequence([seed, position]).generate_state(1)[0])
    setattr(layer, "seed", derived)  # noqa: B010
    reseed = getattr(layer, "reseed", None)
    if reseed is not None:
        reseed()


def output_shape(layer: Module, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape (without the batch axis) that ``layer`` gives for inputs of ``input_shape``."""
    compute = getattr(layer, "compute_output_shape", None)
    if compute is not None:
        return tuple(compute(input_shape))
    if isinstance(layer, Sequential):
        for inner in layer.layers:
            input_shape = output_shape(inner, input_shape)
    return input_shape


def layer_config(layer: Module) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` for a layer that has ``get_config()``."""
    get_config = getattr(layer, "get_config", None)
    if get_config is None:
        raise TypeError(f"{type(layer).__name__} has no get_config(), so it cannot be written down")
    return {"class_name": type(layer).__name__, "config": get_config()}
