"""``Module`` and ``Parameter``: what every layer and network is built from.

A :class:`Module` finds its parameters, buffers and sub-modules by walking its own attributes in
the order they were assigned, as PyTorch does. A *parameter* is learned (an optimizer moves it);
a *buffer* is state that is not learned but belongs to the model all the same (a batch norm's
running statistics): both are in ``state_dict()``, both are saved and loaded, and both are put
back by early stopping and the NaN guard.

A module is also a *layer* in the sense of :mod:`humblenet.nn.registry`: it answers for itself
everything that saving, ONNX export, ``summary()`` and training need to know about it
(``get_config``, ``torch_modules``, ``to_onnx``, ``probability``), so none of those ever names a
layer class.

>>> import numpy as np
>>> class Scale(Module):
...     def __init__(self):
...         self.factor = Parameter(np.ones(1, dtype=np.float32))
...         self.register_buffer("calls", np.zeros((), dtype=np.int64))
...     def forward(self, x):
...         self.calls.data += 1
...         return x * self.factor
>>> layer = Scale()
>>> _ = layer(np.ones((2, 1), dtype=np.float32))
>>> sorted(layer.state_dict().items())
[('calls', array(1)), ('factor', array([1.], dtype=float32))]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from humblenet.tensor import Tensor, _to_arguments


class Parameter(Tensor):
    """A tensor that a module learns: it always requires a gradient."""

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=True, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor") :]


class Module:
    """Base class of layers and networks.

    Subclasses set parameters and sub-modules as attributes in ``__init__`` (or in ``build``),
    register buffers with :meth:`register_buffer`, and define ``forward``. Calling the module
    calls ``forward`` (an array given as the first argument becomes a Tensor first).

    The layer protocol (defaults here, overridden by layers that need to): ``get_config()`` and
    ``from_config()`` to write the layer down and build it again, ``torch_modules`` (how many
    modules it takes in an equivalent ``torch.nn.Sequential``), ``to_onnx(graph, x)`` (its ONNX
    operators), ``probability`` (``"softmax"``/``"sigmoid"`` when its output is one),
    ``concurrent_inference`` (whether two batches may go through it at once), ``unbatched_ndim``
    (the rank of one sample it also takes without its batch axis).
    """

    training: bool = True

    unbatched_ndim: int | None = None
    """The rank of one sample without its batch axis that this module takes, as torch's
    convolutions and pools take ``(C, H, W)`` besides ``(N, C, H, W)``: 3 for them, None for a
    module that always needs the batch axis. A ``Sequential`` whose first layer says 3 and that
    meets a 3-d input before it is built takes the whole input as one sample's shape."""

    concurrent_inference: bool = False
    """True when this module's own ``forward``, in evaluation mode without gradients, reads only
    its input, parameters and buffers and keeps nothing between calls, so that ``predict`` may
    run two batches through it at once in two threads (``training.threads.spread``). A model
    does so only when every module in it says True (see :func:`concurrent`). False here: a
    module of the user's own may keep state in ``forward``; the built-in layers whose forward is
    a pure function say True."""

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, x: Any, *rest: Any, **options: Any) -> Any:
        return self.forward(x if isinstance(x, Tensor) else Tensor(x), *rest, **options)

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

    def _named_tensors(
        self, prefix: str, parameters: bool, buffers: bool
    ) -> Iterator[tuple[str, Tensor]]:
        """Own parameters, then own buffers, then each child's, recursively (PyTorch's order)."""
        if parameters:
            for name, value in vars(self).items():
                if isinstance(value, Parameter):
                    yield prefix + name, value
        if buffers:
            for name in vars(self).get("_buffer_names", ()):
                value = getattr(self, name)
                if value is not None:
                    yield prefix + name, value
        for name, child in self.named_children():
            yield from child._named_tensors(prefix + name + ".", parameters, buffers)

    @staticmethod
    def _once(pairs: Iterator[tuple[str, Tensor]]) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        for name, tensor in pairs:
            if id(tensor) not in seen:
                seen.add(id(tensor))
                yield name, tensor

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name, e.g. ``0.weight``, in assignment order.

        A parameter reached twice (a layer used twice, or a shared weight) is listed once, under
        its first name, so an optimizer updates it once per step (as PyTorch does).
        """
        return self._once(self._named_tensors(prefix, True, False))

    def parameters(self) -> list[Parameter]:
        """Every parameter, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name: str, value: Any) -> None:
        """Keep ``value`` (an array, a Tensor, or None) as state that is saved but not learned.

        It becomes the attribute ``name`` (a Tensor that requires no gradient), appears in
        ``state_dict()`` and in the saved file under its PyTorch name, and is restored with the
        weights. Change it in place (``self.name.data[...] = ...``) or assign a new Tensor.
        """
        if not isinstance(name, str) or not name.isidentifier() or "." in name:
            raise ValueError(f"register_buffer: name must be an identifier, got {name!r}")
        if name in vars(self) and name not in vars(self).get("_buffer_names", ()):
            raise ValueError(
                f"register_buffer: {type(self).__name__} already has an attribute {name!r}"
            )
        names: list[str] = vars(self).setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        setattr(self, name, None if value is None else Tensor(value))

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Every buffer with its dotted name, e.g. ``1.running_mean``."""
        return self._once(self._named_tensors(prefix, False, True))

    def buffers(self) -> list[Tensor]:
        return [b for _, b in self.named_buffers()]

    def count_params(self) -> int:
        """The number of learned numbers."""
        return sum(p.size for p in self.parameters())

    def count_non_trainable(self) -> int:
        """Numbers the model keeps but does not learn: buffers and frozen parameters."""
        frozen = sum(p.size for p in self.parameters() if not p.requires_grad)
        return frozen + sum(b.size for b in self.buffers())

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

    # -- device and dtype ----------------------------------------------------------------------

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move to a device and/or convert to a floating-point dtype, as torch's ``model.to``;
        returns the module itself.

        Accepts ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` and the
        keywords ``device=``, ``dtype=``. The only device is the CPU: ``"cpu"`` changes nothing
        and another device is refused. A dtype converts every floating-point parameter (and its
        gradient) and buffer in place: the Parameter objects stay the same, so convert before
        building the optimizer (as in torch). A layer that records its parameters' dtype (its
        ``dtype`` attribute) records the new one.

        >>> import humblenet
        >>> from humblenet import nn
        >>> layer = nn.Linear(2, 1, seed=0)
        >>> weight = layer.weight
        >>> layer.to("cpu").to(humblenet.float64) is layer, layer.weight is weight
        (True, True)
        >>> layer.weight.dtype
        dtype('float64')
        """
        _, dtype, _ = _to_arguments(f"{type(self).__name__}.to", args, kwargs)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(
                f"{type(self).__name__}.to: a module's dtype must be floating point (float32 "
                f"or float64), got {dtype}"
            )
        for tensor in self._state_tensors().values():
            if tensor.dtype.kind == "f" and tensor.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = tensor.grad.astype(dtype)
        for module in self.modules():
            if isinstance(vars(module).get("dtype"), np.dtype):
                module.dtype = dtype  # type: ignore[attr-defined]
        return self

    def float(self) -> Module:
        """Convert floating-point parameters and buffers to float32 (see :meth:`to`)."""
        return self.to(np.dtype(np.float32))

    def double(self) -> Module:
        """Convert floating-point parameters and buffers to float64 (see :meth:`to`)."""
        return self.to(np.dtype(np.float64))

    # -- saving the state ----------------------------------------------------------------------

    def _state_tensors(self) -> dict[str, Tensor]:
        """Parameters and buffers by name, each listed once."""
        return dict(self._once(self._named_tensors("", True, True)))

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's and buffer's values, by name."""
        return {name: t.data.copy() for name, t in self._state_tensors().items()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy values into the parameters and buffers in place (optimizers keep working on them).

        Every problem is found before anything is written, so a failed load changes nothing.

        Raises:
            ValueError: a missing or unexpected key (with ``strict``), or a shape that differs,
                naming the keys and both shapes.
        """
        if isinstance(state, str | os.PathLike):
            raise TypeError(
                f"load_state_dict takes a dict of arrays, as torch's does, not a file name "
                f"({str(state)!r}); read the file first: humblenet.load(path, model=model), or "
                "model.load_state_dict(humblenet.io.safetensors.read_state_dict(path))"
            )
        own = self._state_tensors()
        for key, value in self._checked_state(state, strict).items():
            np.copyto(own[key].data, value, casting="unsafe")

    def check_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Raise the error ``load_state_dict(state, strict)`` would raise, changing nothing."""
        self._checked_state(state, strict)

    def _checked_state(self, state: dict[str, Any], strict: bool) -> dict[str, np.ndarray]:
        """The arrays of ``state`` to copy, by key, once every name and shape is checked."""
        own = self._state_tensors()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            hint = ""
            if not own and not getattr(self, "built", True):
                hint = " (the model has no weights yet: build it first, e.g. model.build(shape))"
            problems.append(f"unexpected keys {unexpected}{hint}")
        values = {}
        for key, tensor in own.items():
            if key not in state:
                continue
            value = np.asarray(state[key].data if isinstance(state[key], Tensor) else state[key])
            if value.shape != tensor.shape:
                problems.append(
                    f"{key}: shape {value.shape} in the state, {tensor.shape} in the model"
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
        return values

    # -- the layer protocol (defaults) ---------------------------------------------------------

    torch_modules: int = 1
    """How many modules this layer takes in an equivalent ``torch.nn.Sequential`` (a Dense
    with an activation takes two: the linear part, then the activation)."""

    @property
    def probability(self) -> str | None:
        """``"softmax"`` or ``"sigmoid"`` when the output is probabilities made by that function
        (a cross-entropy can then start from the scores before it); None otherwise."""
        return None

    def get_config(self) -> dict[str, Any]:
        raise TypeError(
            f"{type(self).__name__} has no get_config(), so it cannot be written down; define "
            "get_config() returning its constructor's arguments (and register the class with "
            "humblenet.nn.register if it is not yet)"
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """Build the layer again from what ``get_config()`` returned."""
        return cls(**config)

    @classmethod
    def state_elements(cls, config: dict[str, Any], input_shape: tuple[int, ...]) -> int | None:
        """How many numbers the parameters and buffers of ``from_config(config)``, built for
        samples of ``input_shape``, would hold at most, computed from the configuration alone.

        A loader compares it with the numbers a file declares before it builds anything, so an
        architecture far bigger than its file is refused without allocating it. ``None`` (the
        default): the layer cannot say, and is built to count. A layer whose weights grow with
        its configuration should answer.
        """
        return None

    onnx_input: str = "float"
    """What this layer takes as the first layer of an exported graph: ``"float"`` numbers in
    the model's dtype, or ``"int64"`` ids (an embedding)."""

    def to_onnx(self, graph: Any, x: str) -> str:
        """Append this layer's ONNX operators to ``graph`` and return the name of its output.

        ``x`` names the layer's input in the graph. ``graph.node(op_type, inputs, **attributes)``
        appends one operator and returns the name of its output; ``graph.parameter("weight")``
        adds this layer's parameter or buffer of that name as a weight of the graph and returns
        its name; ``graph.constant(0.5)`` gives a scalar. See :class:`humblenet.io.onnx.Graph`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define to_onnx(graph, x)")

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


def concurrent(module: Module) -> bool:
    """``module.concurrent_inference``, unless a subclass changed ``forward`` after the class
    that said it: a new forward (a Sequential whose forward counts its calls) has not said so.

    >>> class Counting(Module):
    ...     concurrent_inference = True
    ...     def forward(self, x): return x
    >>> class Changed(Counting):
    ...     def forward(self, x): return x + 1
    >>> concurrent(Counting()), concurrent(Changed())
    (True, False)
    """
    classes = type(module).__mro__
    said = next(i for i, c in enumerate(classes) if "concurrent_inference" in vars(c))
    defined = next((i for i, c in enumerate(classes) if "forward" in vars(c)), len(classes))
    return said <= defined and bool(module.concurrent_inference)
