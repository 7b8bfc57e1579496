"""Optimizers, learning-rate schedules and gradient clipping.

An optimizer holds a list of parameters (leaf Tensors) and moves each one's ``.data`` against its
``.grad`` when ``step()`` is called. The classes come in order of increasing complexity: ``SGD``
(with momentum, Nesterov and weight decay), ``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW``.
Each follows PyTorch's update rule (written out in its docstring), so the same start and the same
gradients give the same numbers as ``torch.optim``.

Every update is done in place: ``p.data`` is never rebound (layers and the training loop hold
references to the arrays), and the arithmetic runs through NumPy ufuncs writing with ``out=``
into buffers allocated once per parameter, in the parameter's dtype. Scalar factors (bias
corrections, step sizes) are Python floats, so float32 parameters stay float32.

The schedules ``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` change an optimizer's
``learning_rate`` once per ``step()`` (once per epoch, as in PyTorch); ``clip_grad_norm`` scales
gradients in place so that their total norm is at most a given value.

>>> import numpy as np
>>> from humblenet import Tensor
>>> w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
>>> optimizer = SGD([w], learning_rate=0.1)
>>> loss = (w * w).sum()      # gradient 2w = [2, -4]
>>> loss.backward()
>>> optimizer.step()          # w - 0.1 * 2w
>>> w.data
array([ 0.8, -1.6])
>>> optimizer.zero_grad()
>>> w.grad is None
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import Any

import numpy as np

from humblenet.tensor import Tensor

__all__ = [
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Optimizer",
    "LearningRateScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "clip_grad_norm",
]


# -- checking what the user passed ----------------------------------------------------------------


def _number(owner: str, name: str, value: Any) -> float:
    """``value`` as a Python float, refusing what is not a real number (bools included)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"{owner}: {name} must be a number, got nan")
    return number


def _positive(owner: str, name: str, value: Any) -> float:
    number = _number(owner, name, value)
    if not 0.0 < number < math.inf:
        raise ValueError(f"{owner}: {name} must be positive and finite, got {value!r}")
    return number


def _non_negative(owner: str, name: str, value: Any) -> float:
    number = _number(owner, name, value)
    if not 0.0 <= number < math.inf:
        raise ValueError(f"{owner}: {name} must be >= 0 and finite, got {value!r}")
    return number


def _fraction(owner: str, name: str, value: Any, *, one_allowed: bool = False) -> float:
    """A number in [0, 1) (or [0, 1] when ``one_allowed``)."""
    number = _number(owner, name, value)
    if not (0.0 <= number <= 1.0 if one_allowed else 0.0 <= number < 1.0):
        interval = "[0, 1]" if one_allowed else "[0, 1)"
        raise ValueError(f"{owner}: {name} must be in {interval}, got {value!r}")
    return number


def _learning_rate(owner: str, learning_rate: Any, lr: Any, default: float) -> float:
    """The learning rate, given as ``learning_rate`` or as PyTorch's ``lr`` (not both)."""
    if lr is not None:
        if learning_rate != default:
            raise TypeError(
                f"{owner}: got both learning_rate={learning_rate!r} and lr={lr!r}; "
                "pass only one (lr is an alias of learning_rate)"
            )
        learning_rate = lr
    return _positive(owner, "learning_rate", learning_rate)


def _parameter_list(owner: str, params: Any) -> list[Tensor]:
    """The parameters as a list of distinct leaf Tensors, at least one of them requiring grad."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, got a single Tensor of shape "
            f"{params.shape}; wrap it in a list: {owner}([w], ...)"
        )
    try:
        parameters = list(params)
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors (e.g. [w, b] or "
            f"model.parameters()), got {type(params).__name__}"
        ) from None
    if not parameters:
        raise ValueError(
            f"{owner}: the parameter list is empty; pass the tensors to optimize, e.g. [w, b] "
            "(a generator such as model.parameters() can be iterated only once)"
        )
    seen: dict[int, int] = {}
    for index, parameter in enumerate(parameters):
        if isinstance(parameter, dict):
            raise TypeError(
                f"{owner}: parameter {index} is a dict; parameter groups are not supported, "
                "pass Tensors (use a second optimizer for different hyperparameters)"
            )
        if not isinstance(parameter, Tensor):
            raise TypeError(
                f"{owner}: parameter {index} is a {type(parameter).__name__}, not a Tensor; "
                "pass the Tensors to optimize (e.g. Tensor(array, requires_grad=True))"
            )
        if not parameter.is_leaf:
            raise ValueError(
                f"{owner}: parameter {index} is not a leaf tensor (it is the result of an "
                f"operation, {parameter._op!r}); optimize the tensors you created with "
                "requires_grad=True, not values computed from them"
            )
        if id(parameter) in seen:
            raise ValueError(
                f"{owner}: parameter {index} is the same Tensor as parameter "
                f"{seen[id(parameter)]}; pass each tensor once"
            )
        seen[id(parameter)] = index
    if not any(parameter.requires_grad for parameter in parameters):
        raise ValueError(
            f"{owner}: none of the {len(parameters)} parameters requires a gradient, so step() "
            "would never change them; create them with requires_grad=True"
        )
    return parameters


# -- all parameters in one array ----------------------------------------------------------------


class _FlatParameters:
    """Parameters whose values and gradients already lie side by side in two flat arrays.

    A model packs its parameters that way when it is built (``Module.pack_parameters``): each
    ``.data`` is a view of one contiguous array, and backward writes each first gradient into a
    view of a second one (the tensor's ``_grad_buffer``). An optimizer then updates every
    parameter with one NumPy call per formula step instead of one per parameter: fewer, longer
    passes, which is what a small network's training step spends much of its time on.
    """

    def __init__(self, params: list[Tensor], data: np.ndarray, grad: np.ndarray) -> None:
        self.data, self.grad = data, grad
        self.slices: list[slice] = []
        start = 0
        for p in params:
            self.slices.append(slice(start, start + p.size))
            start += p.size
        self.data_views = [p.data for p in params]
        self.grad_views = [p._grad_buffer for p in params]

    @classmethod
    def build(cls, params: list[Tensor]) -> _FlatParameters | None:
        """The flat arrays when ``params`` fill them exactly, in order; else None."""
        data = _packed_base([p.data for p in params])
        buffers = [getattr(p, "_grad_buffer", None) for p in params]
        if data is None or any(b is None for b in buffers):
            return None
        grad = _packed_base(buffers)  # type: ignore[arg-type]
        if grad is None or grad.dtype != data.dtype:
            return None
        return cls(params, data, grad)

    def ready(self, params: list[Tensor], state: list[dict[str, Any]]) -> bool:
        """True when every parameter still lives in the flat arrays and has a gradient there,
        and all have taken the same number of steps (another optimizer or a user may have
        replaced an array, and a parameter without a gradient is skipped by the slow path)."""
        for p, data, grad in zip(params, self.data_views, self.grad_views):
            if p.data is not data or p.grad is not grad:
                return False
        steps = {s.get("step", 0) for s in state}
        return len(steps) == 1

    def gather_state(self, state: list[dict[str, Any]]) -> dict[str, Any]:
        """Flat state arrays holding what the per-parameter state arrays hold."""
        flat: dict[str, Any] = {"step": state[0].get("step", 0)}
        names = {k for s in state for k, v in s.items() if isinstance(v, np.ndarray)}
        for name in names:
            array = np.zeros_like(self.data)
            for part, s in zip(self.slices, state):
                if name in s:
                    array[part] = s[name].reshape(-1)
            flat[name] = array
        self.scatter_state(flat, state, flat["step"])
        return flat

    def scatter_state(self, flat: dict[str, Any], state: list[dict[str, Any]], step: int) -> None:
        """Point the per-parameter state at views of the flat arrays, with the step count."""
        for part, data, s in zip(self.slices, self.data_views, state):
            s["step"] = step
            for name, value in flat.items():
                if isinstance(value, np.ndarray):
                    current = s.get(name)
                    if current is None or current.base is not value:
                        s[name] = value[part].reshape(data.shape)


# How often optimizers set their state's subnormal numbers to 0 (see _update_and_flush).
_FLUSH_EVERY = 16
_EXPONENT_BITS = {4: (np.int32, 0x7F800000), 8: (np.int64, 0x7FF0000000000000)}


def _flush_subnormals(array: np.ndarray, scratch: np.ndarray) -> None:
    """Set the subnormal numbers of a float array to 0, in place, with integer arithmetic only
    (arithmetic on the subnormals themselves would take the slow path this avoids)."""
    kind = _EXPONENT_BITS.get(array.dtype.itemsize)
    if kind is None or array.dtype.kind != "f":
        return
    int_type, exponent = kind
    bits, exponents = array.view(int_type), scratch.view(int_type)
    np.bitwise_and(bits, exponent, out=exponents)  # 0 exactly for zeros and subnormals
    np.multiply(bits, exponents != 0, out=bits)


def _packed_base(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The one flat array that ``arrays`` are consecutive views of, covering all of it."""
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    address = base.__array_interface__["data"][0]
    for array in arrays:
        if array.base is not base or not array.flags.c_contiguous:
            return None
        if array.__array_interface__["data"][0] != address:
            return None
        address += array.nbytes
    if address != base.__array_interface__["data"][0] + base.nbytes:
        return None
    return base


# -- the optimizers -------------------------------------------------------------------------------


class Optimizer:
    """What every optimizer shares: the parameter list, per-parameter state and the step loop.

    A subclass lists its hyperparameters in ``_hyperparameter_names`` (they are attributes, so a
    schedule or the user may change them between steps), checks them in ``_check`` and updates
    one parameter in ``_update``.

    Attributes:
        params: the list of parameter Tensors, in the order given.
        learning_rate: the step size; schedules change it between steps.
        state: one dict per parameter (in ``params`` order) with its step count and buffers,
            empty until the parameter's first update.
        step_count: how many times ``step()`` was called.
    """

    _hyperparameter_names: tuple[str, ...] = ("learning_rate",)

    def __init__(self, params: Iterable[Tensor], learning_rate: float) -> None:
        self.params: list[Tensor] = _parameter_list(type(self).__name__, params)
        self.learning_rate = learning_rate
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.step_count = 0
        # Scratch arrays per parameter, and one more list for the flat path (not state:
        # nothing in them survives a step).
        self._scratch_buffers: list[list[np.ndarray]] = [[] for _ in range(len(self.params) + 1)]
        self._flat: _FlatParameters | None = _FlatParameters.build(self.params)
        self._flat_state: dict[str, Any] | None = None

    def _check(self) -> None:
        """Raise ValueError/TypeError for an invalid hyperparameter (run at construction).

        The constructor asks for a positive learning rate; here 0 passes, since a schedule may
        bring the rate down to 0 (the end of a cosine) before the state is saved and loaded.
        """
        self.learning_rate = _non_negative(type(self).__name__, "learning_rate", self.learning_rate)

    def _update(self, index: int, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Update the parameter array ``w`` in place from its gradient ``g``."""
        raise NotImplementedError

    # State that shrinks geometrically where the gradient is 0 (running averages, momentum).
    _decaying_state: tuple[str, ...] = ()

    def _update_and_flush(
        self, index: int, w: np.ndarray, g: np.ndarray, state: dict[str, Any]
    ) -> None:
        """``_update``, then every ``_FLUSH_EVERY`` steps set subnormal state values to 0.

        A running average whose gradient stays 0 (a dead ReLU unit, an always-black pixel)
        shrinks by its decay factor each step until it falls below the smallest normal float
        (1.2e-38 in float32). The processor computes with such subnormal numbers through a slow
        path, tens of times slower: measured here, 9% subnormal values made each pass 3.6x
        slower. Setting them to 0 changes a weight by less than 1e-30, far below float32
        rounding, and keeps every pass fast.
        """
        self._update(index, w, g, state)
        if state["step"] % _FLUSH_EVERY == 0:
            for name in self._decaying_state:
                buffer = state.get(name)
                if buffer is not None:
                    _flush_subnormals(buffer, self._scratch(index, 0, w))

    def step(self) -> None:
        """Update every parameter that has a gradient; those whose ``.grad`` is None are skipped."""
        flat = self._flat
        if flat is not None and flat.ready(self.params, self.state):
            self._flat_step(flat)
            self.step_count += 1
            return
        self._flat_state = None  # the per-parameter state is the reference again
        for index, parameter in enumerate(self.params):
            g = parameter.grad
            if g is None:
                continue
            w = parameter.data
            if g.shape != w.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {index} has shape {w.shape} but its "
                    f"grad has shape {g.shape}; a gradient must have its parameter's shape"
                )
            state = self.state[index]
            state["step"] = state.get("step", 0) + 1
            self._update_and_flush(index, w, g, state)
        self.step_count += 1

    def _flat_step(self, flat: _FlatParameters) -> None:
        """One update of all parameters at once, on the arrays that hold them side by side.

        The per-parameter state arrays are views of the flat state arrays, so both paths see
        the same numbers (``state_dict`` included).
        """
        state = self._flat_state
        if state is None:
            state = self._flat_state = flat.gather_state(self.state)
        step = state["step"] = state["step"] + 1
        self._update_and_flush(len(self.params), flat.data, flat.grad, state)
        flat.scatter_state(state, self.state, step)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients before the next backward (which would otherwise add to them).

        Args:
            set_to_none: set each ``.grad`` to None (the default, as PyTorch's); with False,
                fill the existing gradient arrays with zeros instead.
        """
        for parameter in self.params:
            if set_to_none:
                parameter.grad = None
            elif parameter.grad is not None:
                parameter.grad.fill(0)

    def _scratch(self, index: int, slot: int, like: np.ndarray) -> np.ndarray:
        """Scratch array number ``slot`` of parameter ``index``, allocated on first use."""
        buffers = self._scratch_buffers[index]
        while len(buffers) <= slot:
            buffers.append(np.empty_like(like))
        return buffers[slot]

    def _with_weight_decay(self, index: int, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """``g + weight_decay * w`` (L2 regularization) in scratch slot 1; ``g`` when no decay."""
        weight_decay: float = getattr(self, "weight_decay", 0.0)
        if weight_decay == 0.0:
            return g
        decayed = self._scratch(index, 1, w)
        np.multiply(w, weight_decay, out=decayed)
        np.add(g, decayed, out=decayed)
        return decayed

    def _state_buffer(
        self, state: dict[str, Any], name: str, w: np.ndarray, fill: float = 0.0
    ) -> np.ndarray:
        """The state array ``name``, created filled with ``fill`` (in w's dtype) the first time."""
        buffer = state.get(name)
        if buffer is None:
            buffer = state[name] = np.full_like(w, fill)
        return buffer

    # -- saving and restoring ----------------------------------------------------------------

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The current hyperparameters by name (what the constructor takes, after ``params``)."""
        return {name: getattr(self, name) for name in self._hyperparameter_names}

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer as plain dicts of numbers and (copied) NumPy arrays.

        Returns:
            ``{"optimizer": class name, "step_count": int, "hyperparameters": {name: value},
            "state": {parameter index: {"step": int, buffer name: array}}}``; parameters not
            updated yet have no entry in ``"state"``.
        """
        state = {
            index: {
                key: value.copy() if isinstance(value, np.ndarray) else value
                for key, value in parameter_state.items()
            }
            for index, parameter_state in enumerate(self.state)
            if parameter_state
        }
        return {
            "optimizer": type(self).__name__,
            "step_count": self.step_count,
            "hyperparameters": dict(self.hyperparameters),
            "state": state,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (for an optimizer over the same parameters).

        Arrays are copied in the parameters' dtypes; hyperparameters are checked as in the
        constructor.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        kind = state_dict.get("optimizer")
        if kind != type(self).__name__:
            raise ValueError(f"{owner}: the state dict is from {kind!r}, not {type(self).__name__}")
        hyperparameters = state_dict.get("hyperparameters", {})
        unknown = sorted(set(hyperparameters) - set(self._hyperparameter_names))
        if unknown:
            raise ValueError(
                f"{owner}: unknown hyperparameters {unknown}; expected {self._hyperparameter_names}"
            )
        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        for key, parameter_state in state_dict.get("state", {}).items():
            index = int(key)
            if not 0 <= index < len(self.params):
                raise ValueError(
                    f"{owner}: state for parameter {index}, but this optimizer has "
                    f"{len(self.params)} parameters"
                )
            w = self.params[index].data
            for name, value in parameter_state.items():
                if name == "step":
                    new_state[index][name] = int(value)
                    continue
                array = np.asarray(value)
                if array.shape != w.shape:
                    raise ValueError(
                        f"{owner}: state {name!r} of parameter {index} has shape {array.shape}, "
                        f"but the parameter has shape {w.shape}"
                    )
                new_state[index][name] = np.array(array, dtype=w.dtype, copy=True)
        previous = self.hyperparameters
        try:
            for name, value in hyperparameters.items():
                setattr(self, name, tuple(value) if isinstance(value, list) else value)
            self._check()
        except (TypeError, ValueError):
            for name, value in previous.items():
                setattr(self, name, value)
            raise
        self.state = new_state
        self._flat_state = None
        self.step_count = int(state_dict.get("step_count", 0))

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value!r}" for name, value in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    For each parameter w with gradient g, at step t (t = 1 on the first update):

    1. weight decay (L2): g ← g + weight_decay · w
    2. momentum (when momentum > 0): the buffer b remembers past directions,
       b ← g at t = 1, and b ← momentum · b + (1 − dampening) · g afterwards;
       the direction is d = g + momentum · b with Nesterov, d = b without
       (with momentum = 0, d = g)
    3. w ← w − learning_rate · d

    This is PyTorch's ``torch.optim.SGD`` (its momentum buffer starts at the first gradient,
    undampened). The default learning rate is 0.01, as in Keras (PyTorch 2.13's is 0.001).

    Args:
        params: the Tensors to optimize.
        learning_rate: the step size (``lr=`` is accepted as an alias).
        momentum: the fraction of the previous direction kept, >= 0 (0.9 is common).
        dampening: in [0, 1]; scales down the new gradient in the momentum buffer.
        weight_decay: L2 penalty factor, >= 0.
        nesterov: look ahead along the momentum (needs momentum > 0 and dampening 0).

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> w = Tensor(np.array([1.0]), requires_grad=True)
    >>> optimizer = SGD([w], learning_rate=0.5, momentum=0.5)
    >>> for _ in range(2):
    ...     w.grad = np.array([1.0])
    ...     optimizer.step()      # directions 1, then 0.5 * 1 + 1
    >>> w.data
    array([-0.25])
    """

    _hyperparameter_names = ("learning_rate", "momentum", "dampening", "weight_decay", "nesterov")
    _decaying_state = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        lr: float | None = None,
    ) -> None:
        super().__init__(params, _learning_rate("SGD", learning_rate, lr, 0.01))
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self._check()

    def _check(self) -> None:
        super()._check()
        self.momentum = _non_negative("SGD", "momentum", self.momentum)
        self.dampening = _fraction("SGD", "dampening", self.dampening, one_allowed=True)
        self.weight_decay = _non_negative("SGD", "weight_decay", self.weight_decay)
        self.nesterov = bool(self.nesterov)
        if self.nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={self.momentum}, dampening={self.dampening}; "
                "set momentum (e.g. 0.9) and dampening=0, or nesterov=False"
            )

    def _update(self, index: int, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        g = self._with_weight_decay(index, w, g)
        scratch = self._scratch(index, 0, w)
        momentum = self.momentum
        direction = g
        if momentum != 0.0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(g, dtype=w.dtype, copy=True)
            else:
                np.multiply(buffer, momentum, out=buffer)
                if self.dampening != 0.0:
                    np.multiply(g, 1.0 - self.dampening, out=scratch)
                    np.add(buffer, scratch, out=buffer)
                else:
                    np.add(buffer, g, out=buffer)
            if self.nesterov:
                np.multiply(buffer, momentum, out=scratch)
                np.add(g, scratch, out=scratch)
                direction = scratch
            else:
                direction = buffer
        np.multiply(direction, self.learning_rate, out=scratch)
        np.subtract(w, scratch, out=w)


class Adagrad(Optimizer):
    """Adagrad: each weight's step shrinks with the sum of its squared gradients so far.

    For each parameter w with gradient g, at step t (t = 1 on the first update):

    1. the decayed learning rate: η_t = learning_rate / (1 + (t − 1) · learning_rate_decay)
    2. weight decay (L2): g ← g + weight_decay · w
    3. the running sum s (starting at initial_accumulator_value): s ← s + g²
    4. w ← w − η_t · g / (√s + eps)

    This is PyTorch's ``torch.optim.Adagrad`` with its defaults (learning rate 0.01, eps 1e-10).

    Args:
        params: the Tensors to optimize.
        learning_rate: the step size (``lr=`` is accepted as an alias).
        learning_rate_decay: >= 0; PyTorch's ``lr_decay``.
        weight_decay: L2 penalty factor, >= 0.
        initial_accumulator_value: the starting value of the sum of squares, >= 0.
        eps: added to the denominator, >= 0.
    """

    _hyperparameter_names = (
        "learning_rate",
        "learning_rate_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
    )

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float = 0.01,
        learning_rate_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        lr: float | None = None,
    ) -> None:
        super().__init__(params, _learning_rate("Adagrad", learning_rate, lr, 0.01))
        self.learning_rate_decay = learning_rate_decay
        self.weight_decay = weight_decay
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps
        self._check()

    def _check(self) -> None:
        super()._check()
        self.learning_rate_decay = _non_negative(
            "Adagrad", "learning_rate_decay", self.learning_rate_decay
        )
        self.weight_decay = _non_negative("Adagrad", "weight_decay", self.weight_decay)
        self.initial_accumulator_value = _non_negative(
            "Adagrad", "initial_accumulator_value", self.initial_accumulator_value
        )
        self.eps = _non_negative("Adagrad", "eps", self.eps)

    def _update(self, index: int, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        rate = self.learning_rate / (1.0 + (state["step"] - 1) * self.learning_rate_decay)
        g = self._with_weight_decay(index, w, g)
        squares = self._state_buffer(state, "sum", w, self.initial_accumulator_value)
        scratch = self._scratch(index, 0, w)
        np.multiply(g, g, out=scratch)
        np.add(squares, scratch, out=squares)
        np.sqrt(squares, out=scratch)
        np.add(scratch, self.eps, out=scratch)
        np.divide(g, scratch, out=scratch)
        np.multiply(scratch, rate, out=scratch)
        np.subtract(w, scratch, out=w)


class RMSprop(Optimizer):
    """RMSprop: divide each step by a running root mean square of recent gradients.

    For each parameter w with gradient g:

    1. weight decay (L2): g ← g + weight_decay · w
    2. the mean square v (starting at 0): v ← alpha · v + (1 − alpha) · g²
    3. the scale: σ = √v + eps; when centered, the running mean gradient m (starting at 0) is
       m ← alpha · m + (1 − alpha) · g and σ = √(v − m²) + eps (an estimate of the variance)
    4. without momentum: w ← w − learning_rate · g / σ;
       with momentum: the buffer b (starting at 0) is b ← momentum · b + g / σ,
       and w ← w − learning_rate · b

    This is PyTorch's ``torch.optim.RMSprop``, with its defaults: learning rate 0.01, alpha 0.99,
    eps 1e-8. Keras's RMSprop (the series' part 10) defaults to learning rate 0.001, rho = 0.9
    (our alpha) and eps 1e-7: ``RMSprop(params, 0.001, alpha=0.9, eps=1e-7)`` takes those
    numbers (Keras adds eps under the square root, so its steps differ very slightly). When
    centered, v − m² is clipped at 0 before the square root (it is >= 0 in exact arithmetic;
    rounding can make it a hair negative, which PyTorch turns into nan).

    Args:
        params: the Tensors to optimize.
        learning_rate: the step size (``lr=`` is accepted as an alias).
        alpha: in [0, 1), how much of the running averages is kept each step.
        eps: added to the denominator, >= 0.
        weight_decay: L2 penalty factor, >= 0.
        momentum: >= 0; 0 turns momentum off.
        centered: divide by the running standard deviation instead of the root mean square.
    """

    _hyperparameter_names = (
        "learning_rate",
        "alpha",
        "eps",
        "weight_decay",
        "momentum",
        "centered",
    )
    _decaying_state = ("square_average", "grad_average", "momentum_buffer")

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        lr: float | None = None,
    ) -> None:
        super().__init__(params, _learning_rate("RMSprop", learning_rate, lr, 0.01))
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered
        self._check()

    def _check(self) -> None:
        super()._check()
        self.alpha = _fraction("RMSprop", "alpha", self.alpha)
        self.eps = _non_negative("RMSprop", "eps", self.eps)
        self.weight_decay = _non_negative("RMSprop", "weight_decay", self.weight_decay)
        self.momentum = _non_negative("RMSprop", "momentum", self.momentum)
        self.centered = bool(self.centered)

    def _update(self, index: int, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        g = self._with_weight_decay(index, w, g)
        alpha = self.alpha
        scratch = self._scratch(index, 0, w)
        square_average = self._state_buffer(state, "square_average", w)
        np.multiply(square_average, alpha, out=square_average)
        np.multiply(g, g, out=scratch)
        np.multiply(scratch, 1.0 - alpha, out=scratch)
        np.add(square_average, scratch, out=square_average)
        if self.centered:
            # m ← m + (1 − alpha)(g − m), the same average as alpha · m + (1 − alpha) · g
            grad_average = self._state_buffer(state, "grad_average", w)
            np.subtract(g, grad_average, out=scratch)
            np.multiply(scratch, 1.0 - alpha, out=scratch)
            np.add(grad_average, scratch, out=grad_average)
            np.multiply(grad_average, grad_average, out=scratch)
            np.subtract(square_average, scratch, out=scratch)
            np.maximum(scratch, 0.0, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(square_average, out=scratch)
        np.add(scratch, self.eps, out=scratch)
        np.divide(g, scratch, out=scratch)
        if self.momentum > 0.0:
            buffer = self._state_buffer(state, "momentum_buffer", w)
            np.multiply(buffer, self.momentum, out=buffer)
            np.add(buffer, scratch, out=buffer)
            np.multiply(buffer, self.learning_rate, out=scratch)
        else:
            np.multiply(scratch, self.learning_rate, out=scratch)
        np.subtract(w, scratch, out=w)


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and of its square.

    For each parameter w with gradient g, at step t (t = 1 on the first update):

    1. weight decay (L2, added to the gradient): g ← g + weight_decay · w
    2. the first moment m (starting at 0): m ← β₁ · m + (1 − β₁) · g
    3. the second moment v (starting at 0): v ← β₂ · v + (1 − β₂) · g²
    4. with amsgrad, the largest second moment so far: v̂ ← max(v̂, v), used below instead of v
    5. bias corrections (the averages start at 0): c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ
    6. w ← w − (learning_rate / c₁) · m / (√v / √c₂ + eps)

    This is PyTorch's ``torch.optim.Adam`` with its defaults (learning rate 0.001, betas
    (0.9, 0.999), eps 1e-8). Weight decay here is L2 regularization, which Adam's scaling
    weakens for weights with large gradients; ``AdamW`` decouples it.

    Args:
        params: the Tensors to optimize.
        learning_rate: the step size (``lr=`` is accepted as an alias).
        betas: (β₁, β₂), each in [0, 1): how much of the running averages is kept each step.
        eps: added to the denominator, >= 0.
        weight_decay: L2 penalty factor, >= 0.
        amsgrad: use the largest second moment seen so far (the AMSGrad variant).

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> w = Tensor(np.array([3.0, -3.0]), requires_grad=True)
    >>> optimizer = Adam([w], learning_rate=0.1)
    >>> w.grad = np.array([20.0, -0.5])
    >>> optimizer.step()      # the first step moves each weight by about learning_rate
    >>> w.data.round(6)
    array([ 2.9, -2.9])
    """

    _hyperparameter_names = ("learning_rate", "betas", "eps", "weight_decay", "amsgrad")
    _decaying_state = ("exp_average_scaled", "exp_average_square_scaled")
    _decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        lr: float | None = None,
    ) -> None:
        owner = type(self).__name__
        super().__init__(params, _learning_rate(owner, learning_rate, lr, 0.001))
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self._check()

    def _check(self) -> None:
        super()._check()
        owner = type(self).__name__
        betas = self.betas
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _fraction(owner, "betas[0]", betas[0]),
            _fraction(owner, "betas[1]", betas[1]),
        )
        self.eps = _non_negative(owner, "eps", self.eps)
        self.weight_decay = _non_negative(owner, "weight_decay", self.weight_decay)
        self.amsgrad = bool(self.amsgrad)

    def _update(self, index: int, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        learning_rate = self.learning_rate
        if self._decoupled_weight_decay:
            if self.weight_decay != 0.0:
                np.multiply(w, 1.0 - learning_rate * self.weight_decay, out=w)
        else:
            g = self._with_weight_decay(index, w, g)
        beta1, beta2 = self.betas
        step = state["step"]
        scratch = self._scratch(index, 0, w)
        # The averages are kept divided by (1 − β): m̃ = m / (1 − β₁), ṽ = v / (1 − β₂). Then
        # m̃ ← β₁ · m̃ + g and ṽ ← β₂ · ṽ + g², two passes fewer than the plain averages, and
        # the factors (1 − β) join the step's scalars. state_dict() reports m and v themselves.
        m = self._state_buffer(state, "exp_average_scaled", w)
        v = self._state_buffer(state, "exp_average_square_scaled", w)
        np.multiply(m, beta1, out=m)
        np.add(m, g, out=m)
        np.multiply(g, g, out=scratch)
        np.multiply(v, beta2, out=v)
        np.add(v, scratch, out=v)
        second_moment = v
        if self.amsgrad:
            second_moment = self._state_buffer(state, "max_exp_average_square_scaled", w)
            np.maximum(second_moment, v, out=second_moment)
        # w ← w − k · m̃ / (√ṽ · r + eps), with k = learning_rate · (1 − β₁) / c₁ and
        # r = √((1 − β₂) / c₂); dividing above and below by k saves a pass:
        # w ← w − m̃ / (√ṽ · r / k + eps / k)
        k = learning_rate * (1.0 - beta1) / (1.0 - beta1**step)
        if k == 0.0:
            return  # a learning rate of 0 (the end of a cosine schedule) moves nothing
        r = ((1.0 - beta2) / (1.0 - beta2**step)) ** 0.5
        np.sqrt(second_moment, out=scratch)
        np.multiply(scratch, r / k, out=scratch)
        np.add(scratch, self.eps / k, out=scratch)
        np.divide(m, scratch, out=scratch)
        np.subtract(w, scratch, out=w)

    # The stored averages are scaled (see _update); state_dict shows the averages themselves.
    def state_dict(self) -> dict[str, Any]:
        saved = super().state_dict()
        scales = self._scales_for(self.betas)
        for parameter_state in saved["state"].values():
            for name in [n for n in parameter_state if n in scales]:
                plain, factor = scales[name]
                parameter_state[plain] = parameter_state.pop(name) * factor
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        scales = self._scales_for(self.betas).items()
        plain_to_scaled = {plain: (name, f) for name, (plain, f) in scales}
        for parameter_state in self.state:
            for name in [n for n in parameter_state if n in plain_to_scaled]:
                scaled, factor = plain_to_scaled[name]
                array = parameter_state.pop(name)
                parameter_state[scaled] = array / factor if factor else array

    @property
    def betas(self) -> tuple[float, float]:
        return self._betas

    @betas.setter
    def betas(self, value: tuple[float, float]) -> None:
        """Changing betas after some steps rescales the stored averages, so m and v stay."""
        old = getattr(self, "_betas", None)
        self._betas = value
        if old is None or tuple(old) == tuple(value) or not isinstance(value, tuple | list):
            return
        for (name, (_, old_factor)), (_, (_, new_factor)) in zip(
            self._scales_for(old).items(), self._scales_for(value).items()
        ):
            for parameter_state in self.state:
                if name in parameter_state and new_factor:
                    parameter_state[name] *= old_factor / new_factor

    @staticmethod
    def _scales_for(betas: Any) -> dict[str, tuple[str, float]]:
        beta1, beta2 = float(betas[0]), float(betas[1])
        return {
            "exp_average_scaled": ("exp_average", 1.0 - beta1),
            "exp_average_square_scaled": ("exp_average_square", 1.0 - beta2),
            "max_exp_average_square_scaled": ("max_exp_average_square", 1.0 - beta2),
        }


class AdamW(Adam):
    """Adam with decoupled weight decay: weights shrink directly, not through the gradient.

    For each parameter w with gradient g, at step t:

    1. weight decay: w ← w · (1 − learning_rate · weight_decay)
    2. then Adam's steps 2 to 6 on the undecayed gradient g (see ``Adam``).

    This is PyTorch's ``torch.optim.AdamW`` with its defaults (learning rate 0.001, betas
    (0.9, 0.999), eps 1e-8, weight_decay 0.01). Unlike Adam's L2 term, the decay here is not
    divided by √v, so every weight decays at the same rate.

    Args:
        params: the Tensors to optimize.
        learning_rate: the step size (``lr=`` is accepted as an alias).
        betas: (β₁, β₂), each in [0, 1).
        eps: added to the denominator, >= 0.
        weight_decay: the fraction of each weight removed per step, divided by the
            learning rate; >= 0.
        amsgrad: use the largest second moment seen so far (the AMSGrad variant).
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
        *,
        lr: float | None = None,
    ) -> None:
        super().__init__(params, learning_rate, betas, eps, weight_decay, amsgrad, lr=lr)


# -- learning-rate schedules ----------------------------------------------------------------------


class LearningRateScheduler:
    """What the schedules share: call ``step()`` once per epoch to set the optimizer's rate.

    At construction the schedule records the optimizer's ``learning_rate`` as its base rate and
    its epoch counter is 0; each ``step()`` adds one to the epoch and sets
    ``optimizer.learning_rate`` to the schedule's value there (computed from the base rate, so a
    change made to ``optimizer.learning_rate`` by hand lasts until the next ``step()``).

    Attributes:
        optimizer: the optimizer whose ``learning_rate`` is set.
        base_learning_rate: the optimizer's learning rate when the schedule was made.
        epoch: how many times ``step()`` was called.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an optimizer (e.g. SGD(params)), "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_learning_rate = float(optimizer.learning_rate)
        self.epoch = 0

    def learning_rate_at(self, epoch: int) -> float:
        """The schedule's learning rate after ``epoch`` calls to ``step()``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate."""
        self.epoch += 1
        self.optimizer.learning_rate = self.learning_rate_at(self.epoch)

    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate (PyTorch's ``get_last_lr()``)."""
        return float(self.optimizer.learning_rate)

    def state_dict(self) -> dict[str, Any]:
        """The epoch and the base rate, as plain numbers."""
        return {
            "scheduler": type(self).__name__,
            "epoch": self.epoch,
            "base_learning_rate": self.base_learning_rate,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (the optimizer's rate is restored with it)."""
        kind = state_dict.get("scheduler")
        if kind != type(self).__name__:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict is from {kind!r}, "
                f"not {type(self).__name__}"
            )
        self.epoch = int(state_dict["epoch"])
        self.base_learning_rate = float(state_dict["base_learning_rate"])


def _whole_positive(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be a whole number >= 1, got {value!r}")
    return int(value)


class StepLR(LearningRateScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    After e epochs: learning_rate = base_learning_rate · gamma^⌊e / step_size⌋
    (PyTorch's ``torch.optim.lr_scheduler.StepLR``).

    Args:
        optimizer: the optimizer to schedule.
        step_size: epochs between two decays, a whole number >= 1.
        gamma: the factor, > 0 (0.1 by default).

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> optimizer = SGD([Tensor(np.zeros(1), requires_grad=True)], learning_rate=1.0)
    >>> schedule = StepLR(optimizer, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(optimizer.learning_rate)   # train one epoch at this rate
    ...     schedule.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = _whole_positive("StepLR", "step_size", step_size)
        self.gamma = _positive("StepLR", "gamma", gamma)

    def learning_rate_at(self, epoch: int) -> float:
        return self.base_learning_rate * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LearningRateScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    After e epochs: learning_rate = base_learning_rate · gammaᵉ
    (PyTorch's ``torch.optim.lr_scheduler.ExponentialLR``).

    Args:
        optimizer: the optimizer to schedule.
        gamma: the factor per epoch, > 0 (e.g. 0.95).
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = _positive("ExponentialLR", "gamma", gamma)

    def learning_rate_at(self, epoch: int) -> float:
        return self.base_learning_rate * self.gamma**epoch


class CosineAnnealingLR(LearningRateScheduler):
    """Lower the learning rate along half a cosine wave, from the base rate to a minimum.

    After e epochs, with T = total_steps and η_min = minimum_learning_rate:
    learning_rate = η_min + (base_learning_rate − η_min) · (1 + cos(π · e / T)) / 2.
    It reaches η_min after T epochs; beyond T it climbs back along the same cosine, as
    PyTorch's ``torch.optim.lr_scheduler.CosineAnnealingLR`` (whose names for T and η_min are
    ``T_max`` and ``eta_min``) does.

    Args:
        optimizer: the optimizer to schedule.
        total_steps: epochs from the base rate down to the minimum, a whole number >= 1.
        minimum_learning_rate: the lowest rate, >= 0.
    """

    def __init__(
        self, optimizer: Optimizer, total_steps: int, minimum_learning_rate: float = 0.0
    ) -> None:
        super().__init__(optimizer)
        self.total_steps = _whole_positive("CosineAnnealingLR", "total_steps", total_steps)
        self.minimum_learning_rate = _non_negative(
            "CosineAnnealingLR", "minimum_learning_rate", minimum_learning_rate
        )

    def learning_rate_at(self, epoch: int) -> float:
        low = self.minimum_learning_rate
        cosine = math.cos(math.pi * epoch / self.total_steps)
        return low + (self.base_learning_rate - low) * (1.0 + cosine) / 2.0


# -- gradient clipping ----------------------------------------------------------------------------


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale the gradients in place so that their total norm is at most ``max_norm``.

    The total norm treats all gradients as one long vector: for p = norm_type it is
    (Σ |g|ᵖ)^(1/p) over every element of every gradient, and max |g| for p = inf. When it
    exceeds ``max_norm``, every gradient is multiplied by max_norm / (total + 1e-6), as
    PyTorch's ``torch.nn.utils.clip_grad_norm_`` does. Parameters whose ``.grad`` is None are
    left out. A non-finite total (a gradient with inf or nan) leaves the gradients unchanged;
    skip that step.

    Args:
        parameters: a Tensor or an iterable of Tensors.
        max_norm: the largest total norm allowed, >= 0.
        norm_type: p > 0, or ``math.inf`` for the largest absolute value.
        error_if_nonfinite: raise instead of returning a non-finite total norm.

    Returns:
        The total norm of the gradients before clipping, as a Python float.

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> w = Tensor(np.zeros(2), requires_grad=True)
    >>> w.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm([w], max_norm=1.0)
    5.0
    >>> w.grad.round(6)
    array([0.6, 0.8])
    """
    owner = "clip_grad_norm"
    items = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for index, parameter in enumerate(items):
        if not isinstance(parameter, Tensor):
            raise TypeError(
                f"{owner}: parameter {index} is a {type(parameter).__name__}, not a Tensor"
            )
    max_norm = _non_negative(owner, "max_norm", max_norm)
    p = _number(owner, "norm_type", norm_type)
    if not p > 0.0:
        raise ValueError(f"{owner}: norm_type must be > 0 or math.inf, got {norm_type!r}")
    grads = [parameter.grad for parameter in items if parameter.grad is not None]
    grads = [g for g in grads if g.size]
    if not grads:
        return 0.0
    if p == math.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    elif p == 2.0:
        total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    elif p == 1.0:
        total = sum(float(np.sum(np.abs(g))) for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g) ** p)) for g in grads) ** (1.0 / p)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(
                f"{owner}: the total {norm_type}-norm of the gradients is {total}; a gradient "
                "holds inf or nan (lower the learning rate, or check the loss for log(0))"
            )
        return total
    factor = max_norm / (total + 1e-6)
    if factor < 1.0:
        for g in grads:
            np.multiply(g, factor, out=g)
    return total


# -- by name ---------------------------------------------------------------------------------------

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adam": Adam,
    "adamw": AdamW,
}


def get(name: str) -> type[Optimizer]:
    """The optimizer class called ``name`` (any case); a ValueError listing the names otherwise."""
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}; known optimizers: {', '.join(sorted(OPTIMIZERS))}"
        )
    return OPTIMIZERS[name.lower()]
