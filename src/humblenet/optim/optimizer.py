"""``Optimizer``: what every optimizer shares, and the choice between its two update paths.

Each optimizer updates its parameters in one of two ways, which give the same numbers (tested in
``tests/optim/test_optim_fast_path.py``):

- the reference path, ``_update(w, g, state)``: the update rule of the optimizer's docstring,
  written out for one parameter at a time, as PyTorch's ``_single_tensor_*`` functions are;
- the flat path, ``_flat_update(w, g, flat, step)``: the same rule run once over all parameters
  laid end to end (see ``humblenet.optim._flat``), a few times faster on a network's many
  arrays.

``step()`` chooses the flat path when it applies (at least 2 parameters of one float dtype, all
with a gradient this step, all updated equally often) and the reference path otherwise, e.g. on
a step where some parameter has no gradient. The state a user sees, ``optimizer.state`` and
``state_dict()``, is the textbook state of the docstring (Adam's running averages themselves) on
both paths; a flat kernel may keep it transformed between reads (see ``_flat``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from humblenet import validation
from humblenet.optim._flat import FLUSH_EVERY, FlatParameters, flush_subnormals
from humblenet.tensor import Tensor


class Optimizer:
    """What every optimizer shares: the parameter list, per-parameter state and the step loop.

    A subclass lists its hyperparameters in ``_hyperparameter_names`` (they are attributes, so a
    schedule or the user may change them between steps), checks them in ``_check``, and updates
    parameters in ``_update`` (one at a time, the readable reference) and ``_flat_update`` (all
    at once, the fast path; optional).

    Args:
        params: the Tensors to optimize: an iterable of distinct leaf Tensors, at least one of
            them requiring a gradient (e.g. ``model.parameters()`` or ``[w, b]``).
        learning_rate: the step size, >= 0 (the optimizers' constructors ask for > 0).

    Attributes:
        params: the list of parameter Tensors, in the order given.
        learning_rate: the step size; schedules change it between steps.
        state: one dict per parameter (in ``params`` order) with its step count and state
            arrays (e.g. ``"momentum_buffer"``), empty until the parameter's first update. Read
            the arrays through ``optimizer.state`` (or ``state_dict()``) after each step rather
            than keeping them: reading is what puts the flat path's arrays in textbook form.
        step_count: how many times ``step()`` was called.
    """

    _hyperparameter_names: tuple[str, ...] = ("learning_rate",)
    # State arrays that shrink geometrically where the gradient is 0 (running averages,
    # momentum): their subnormal numbers are set to 0 every FLUSH_EVERY steps.
    _decaying_state: tuple[str, ...] = ()
    # False on an instance forces the reference path (tests and benchmarks compare the two).
    _use_flat_path = True

    def __init__(self, params: Iterable[Tensor], learning_rate: float) -> None:
        self.params: list[Tensor] = _parameter_list(type(self).__name__, params)
        self.learning_rate = learning_rate
        self._flat: FlatParameters | None = None
        self._state: list[dict[str, Any]] = [{} for _ in self.params]
        self.step_count = 0
        self._scratch: list[_Scratch | None] = [None] * len(self.params)

    def _check(self) -> None:
        """Raise TypeError/ValueError for an invalid hyperparameter (run at construction).

        The constructor asks for a positive learning rate; here 0 passes, since a schedule may
        bring the rate down to 0 (the end of a cosine) before the state is saved and loaded.
        """
        self.learning_rate = validation.non_negative(
            type(self).__name__, "learning_rate", self.learning_rate
        )

    @property
    def state(self) -> list[dict[str, Any]]:
        """The per-parameter state, in textbook form (see the class docstring)."""
        if self._flat is not None:
            self._flat.to_textbook()
        return self._state

    @state.setter
    def state(self, value: list[dict[str, Any]]) -> None:
        self._state = value  # the flat path copies it into new flat arrays on its next step

    # -- the two update paths ------------------------------------------------------------------

    def _update(
        self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], scratch: _Scratch
    ) -> None:
        """The reference update: move the parameter array ``w`` in place, given its gradient.

        Args:
            w: the parameter's array (``p.data``), updated in place.
            g: its gradient, of the same shape; not modified.
            state: the parameter's state dict; ``state["step"]`` is already this step's number
                (1 on the first update). State arrays are created here and updated in place.
            scratch: work arrays shaped like ``w`` (``scratch[0]``, ``scratch[1]``), whose
                contents do not survive the step.
        """
        raise NotImplementedError

    def _flat_update(
        self, w: list[np.ndarray], g: list[np.ndarray], flat: FlatParameters, step: int
    ) -> None:
        """The fast update: the same rule as ``_update`` for all parameters at once.

        Args:
            w: the parameters' arrays, one per parameter, updated in place.
            g: their gradients, one per parameter; not modified.
            flat: the flat state and scratch arrays (``flat.state(name)``,
                ``flat.scratch(slot)``) and ``flat.apply`` to mix them with ``w`` and ``g``.
            step: this step's number, the same for every parameter.
        """
        raise NotImplementedError

    # A function that clips the gradients in place before each step, or None (Keras'
    # optimizers set it for their clipnorm, clipvalue and global_clipnorm).
    clip_gradients: Callable[[list[Tensor]], None] | None = None

    def step(self) -> None:
        """Update every parameter that has a gradient; those whose ``.grad`` is None are skipped."""
        if self.clip_gradients is not None:
            self.clip_gradients(self.params)
        flat = self._flat_parameters()
        if flat is not None:
            self._flat_step(flat)
        else:
            self._reference_step()
        self.step_count += 1

    def _reference_step(self) -> None:
        states = self.state  # in textbook form
        updates = []
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
            updates.append(index)
        for index in updates:
            w, g, state = self.params[index].data, self.params[index].grad, states[index]
            assert g is not None
            scratch = self._scratch[index]
            if scratch is None or not scratch.fits(w):
                scratch = self._scratch[index] = _Scratch(w)
            state["step"] = state.get("step", 0) + 1
            self._update(w, g, state, scratch)
            if state["step"] % FLUSH_EVERY == 0:
                for name in self._decaying_state:
                    if name in state:
                        flush_subnormals(state[name], scratch[0])

    def _flat_parameters(self) -> FlatParameters | None:
        """The flat layout holding the state, when this step can take the flat path; else None."""
        params, state = self.params, self._state
        if (
            not self._use_flat_path
            or len(params) < 2
            or type(self)._flat_update is Optimizer._flat_update
        ):
            return None
        flat = self._flat
        if flat is None or not flat.fits(params):
            if flat is not None:  # a parameter changed shape or dtype: a new layout is needed
                flat.to_textbook()  # and the state's views of the old one must read right
            dtype = params[0].data.dtype
            if dtype.kind != "f" or any(p.data.dtype != dtype for p in params):
                return None
            flat = self._flat = FlatParameters(params)
        # fits() checked each array's shape and dtype; now each gradient and step count
        dtype, steps = flat.dtype, state[0].get("step", 0)
        for parameter, parameter_state in zip(params, state):
            g = parameter.grad
            if (
                g is None
                or g.shape != parameter.data.shape
                or g.dtype != dtype
                or parameter_state.get("step", 0) != steps
            ):
                return None
        return flat if flat.hold(state) else None

    def _flat_step(self, flat: FlatParameters) -> None:
        step = self._state[0].get("step", 0) + 1
        w = [parameter.data for parameter in self.params]
        g: list[np.ndarray] = [parameter.grad for parameter in self.params]  # type: ignore[misc]
        flat.flushed = False  # a compiled update may flush as it goes (Adam's does)
        self._flat_update(w, g, flat, step)
        for parameter_state in self._state:
            parameter_state["step"] = step
        if step % FLUSH_EVERY == 0 and not flat.flushed:
            for name in self._decaying_state:
                if name in flat.arrays:
                    flush_subnormals(flat.arrays[name], flat.scratch(0))

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

    # -- saving and restoring ------------------------------------------------------------------

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The current hyperparameters by name (what the constructor takes, after ``params``)."""
        return {name: getattr(self, name) for name in self._hyperparameter_names}

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer as plain dicts of numbers and (copied) NumPy arrays.

        Returns:
            ``{"optimizer": class name, "step_count": int, "hyperparameters": {name: value},
            "state": {parameter index: {"step": int, state name: array}}}``; parameters not
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
        constructor. A refused state dict leaves the optimizer as it was.
        """
        new_state, hyperparameters = self._prepare_load(state_dict)
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self.state = new_state
        self.step_count = int(state_dict.get("step_count", 0))

    def check_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Raise the error ``load_state_dict(state_dict)`` would raise, changing nothing (for a
        caller that loads several things and must refuse all before changing any)."""
        self._prepare_load(state_dict)

    def _prepare_load(
        self, state_dict: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The new per-parameter state and the checked hyperparameters of ``state_dict``; the
        optimizer is as it was afterwards, whether it raised or not."""
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
        # The constructor's checks run on the new values, then the old ones are put back.
        previous = self.hyperparameters
        try:
            for name, value in hyperparameters.items():
                setattr(self, name, tuple(value) if isinstance(value, list) else value)
            self._check()
            checked = {name: getattr(self, name) for name in hyperparameters}
        finally:
            for name, value in previous.items():
                setattr(self, name, value)
        return new_state, checked

    # -- the kernel's own form of the state (checkpoints) --------------------------------------

    def kernel_state(self) -> dict[str, Any]:
        """The optimizer's state as its update kernel holds it now, not converted: what a
        checkpoint saves so that a resumed run takes the very steps of an uninterrupted one.

        ``state_dict()`` reads the textbook state, and for Adam on the flat path that multiplies
        its averages back from their divided form in place (see ``optim._flat``), which may move
        a number by a unit in its last place. This reads nothing back.

        Returns:
            ``state_dict()``'s layout (the arrays are the optimizer's own, not copies: save them
            before the next step) plus ``"divisors"``: ``{state name: divisor}`` for each state
            array held divided by that number (empty when the arrays are the textbook values).
        """
        flat = self._flat
        divisors: dict[str, float] = {}
        if flat is not None and flat.divisors and flat.holds(self._state):
            states, divisors = self._state, dict(flat.divisors)
        else:
            states = self.state  # textbook form: nothing is kept divided
        return {
            "optimizer": type(self).__name__,
            "step_count": self.step_count,
            "hyperparameters": dict(self.hyperparameters),
            "state": {index: dict(s) for index, s in enumerate(states) if s},
            "divisors": divisors,
        }

    def load_kernel_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`kernel_state` returned: arrays held divided are handed to the
        kernel as they are (no conversion, so no rounding), or multiplied back when this
        optimizer cannot take the flat path. A refused state leaves the optimizer as it was."""
        self.load_state_dict(state)
        divisors = {str(name): float(value) for name, value in state.get("divisors", {}).items()}
        if not divisors:
            return
        flat = FlatParameters(self.params)
        if len(self.params) >= 2 and flat.hold(self._state):
            flat.divisors = divisors
            self._flat = flat
            return
        for parameter_state in self._state:  # no flat layout: back to the textbook values
            for name, divisor in divisors.items():
                if name in parameter_state:
                    parameter_state[name] *= divisor

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value!r}" for name, value in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


# -- checking what the user passed ----------------------------------------------------------------


def _learning_rate(owner: str, learning_rate: Any, lr: Any, default: float) -> float:
    """The learning rate, given as ``learning_rate`` or as PyTorch's ``lr`` (not both), > 0."""
    if lr is not None:
        if learning_rate != default:
            raise TypeError(
                f"{owner}: got both learning_rate={learning_rate!r} and lr={lr!r}; "
                "pass only one (lr is an alias of learning_rate)"
            )
        learning_rate = lr
    return validation.positive(owner, "learning_rate", learning_rate)


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


class _Scratch:
    """Work arrays shaped like one parameter's array, made on first use and kept for later steps.

    Temporary arrays would read better (``m += (1 − β₁) * g``) but cost more than the
    arithmetic: measured here, Adam's reference step over a 784-256-128-10 MLP's float32
    parameters took 1.8 ms written with temporaries and 0.40 ms writing into kept arrays
    (``out=``), the same operations otherwise. The reference path writes into these.
    """

    __slots__ = ("shape", "dtype", "_arrays")

    def __init__(self, like: np.ndarray) -> None:
        self.shape, self.dtype = like.shape, like.dtype
        self._arrays: list[np.ndarray] = []

    def fits(self, w: np.ndarray) -> bool:
        """True when ``w`` still has the shape and dtype these arrays were made for."""
        return w.shape == self.shape and w.dtype == self.dtype

    def __getitem__(self, slot: int) -> np.ndarray:
        while len(self._arrays) <= slot:
            self._arrays.append(np.empty(self.shape, dtype=self.dtype))
        return self._arrays[slot]


def _state_array(state: dict[str, Any], name: str, w: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """The state array ``name`` of one parameter, created filled with ``fill`` the first time."""
    array = state.get(name)
    if array is None:
        array = state[name] = np.full_like(w, fill)
    return array
