"""The flat fast path: all parameters' optimizer state in one array per name.

An optimizer's readable update (``_update``) takes one parameter at a time: a dozen NumPy calls
per parameter per step, each a pass over that parameter's arrays. The fast path lays the
parameters end to end instead: each state array (Adam's two averages, SGD's momentum) is one
flat array holding every parameter's numbers, and an optimizer's ``_flat_update`` runs its
formula with one NumPy call per step of the formula on those flat arrays (measured with
benchmarks/bench_optim.py on a 784-256-128-10 MLP's float32 parameters: an Adam step takes
0.40 ms one parameter at a time, 0.33 ms flat). Only the two ends of the formula touch the
parameters one by one: reading the gradients (which backward leaves as separate arrays, one per
parameter) and writing the result into each parameter's own array, in place (``p.data`` is
never rebound: layers hold it).

Gathering the gradients needs no pass of its own: the first step of a formula that reads ``g``
writes its result into a flat array, so gathering and computing are one pass (``apply`` below,
with a list of per-parameter arrays as an input and a flat array as ``out``). Copying them into
one flat array first (``np.concatenate``) measured 10% slower on Adam's step.

The user sees one dict of textbook state per parameter (``optimizer.state[i]``): its arrays are
views of the flat arrays, so both paths read and update the same numbers. A kernel may keep a
flat array in a transformed form, divided by a constant (``state(name, divisor=...)``): Adam
keeps its averages divided by (1 − β), which saves two passes of its formula (measured on the
same parameters: 357 µs a step with the averages themselves, 315 µs divided, and 305 µs for the
flat step before it had to gather the gradients from separate arrays). ``to_textbook``
multiplies them back, in place; ``Optimizer.state`` calls it whenever the state is read, so the
transformed form never leaves the kernel. ``Optimizer.step`` chooses the path (see
``FlatParameters`` for when the fast one applies); ``tests/optim/test_optim_fast_path.py``
checks that both give the same numbers.

Also here: setting subnormal numbers in decaying state to 0 (``flush_subnormals``), which both
paths do.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from humblenet.tensor import Tensor

# An operand of ``FlatParameters.apply``: a flat array of the layout, a list with one array per
# parameter, or a Python number.
Operand = np.ndarray | list[np.ndarray] | float


class FlatParameters:
    """Where each parameter's numbers lie in the flat arrays of one optimizer, and those arrays.

    An optimizer builds one when a step can take the fast path: at least 2 parameters, of one
    floating-point dtype, each with a ``.grad`` of its own shape and dtype, all updated the same
    number of times (the bias corrections of Adam and Adagrad depend on that count) and holding
    the same state arrays. Otherwise the step takes the reference path, one parameter at a time.

    Attributes:
        shapes: each parameter's shape, in order.
        dtype: the parameters' dtype; every flat array has it.
        size: the number of elements of all parameters together.
        arrays: the flat state arrays by name (e.g. ``"exp_average"``), each in the form its
            kernel asked for last (see ``divisors``).
        divisors: for each flat array kept in a transformed form, what its textbook values are
            divided by (absent: the textbook values themselves).
    """

    def __init__(self, params: list[Tensor]) -> None:
        self.shapes = [p.data.shape for p in params]
        self.dtype = params[0].data.dtype
        self._slices: list[slice] = []
        start = 0
        for p in params:
            self._slices.append(slice(start, start + p.data.size))
            start += p.data.size
        self.size = start
        self.arrays: dict[str, np.ndarray] = {}
        self.divisors: dict[str, float] = {}
        self._scratch: list[np.ndarray] = []
        self._parts: dict[int, list[np.ndarray]] = {}  # id(flat array) -> its per-parameter views
        self._pieces: dict[int, list[np.ndarray]] = {}  # the same, 1-D (for compiled kernels)
        self._state: list[dict[str, Any]] | None = None  # the per-parameter dicts viewing `arrays`
        self.flushed = False  # set by a kernel that flushed the decaying state this step

    def fits(self, params: list[Tensor]) -> bool:
        """True when the parameters still have the shapes and dtype this layout was made for."""
        return len(params) == len(self.shapes) and all(
            p.data.shape == shape and p.data.dtype == self.dtype
            for p, shape in zip(params, self.shapes)
        )

    # -- the state: flat arrays, seen per parameter through views ------------------------------

    def hold(self, state: list[dict[str, Any]]) -> bool:
        """Make the flat arrays hold the per-parameter state ``state``; False when they cannot.

        Usually they already do: every state array of every parameter is a view of a flat array.
        After ``load_state_dict``, or when the reference path has created a state array, the
        arrays are copied into new flat arrays and the per-parameter dicts get views of those.
        They cannot when some parameters have a state array that others lack (a buffer created
        while some parameters had no gradient): one flat array could not start them alike.
        """
        if state is self._state and self._views_intact(state):
            return True
        names = {name for s in state for name, value in s.items() if isinstance(value, np.ndarray)}
        if any(name not in s for s in state for name in names):
            return False
        self.to_textbook()  # the arrays below may be views of the current ones
        arrays = {}
        for name in sorted(names):
            arrays[name] = np.empty(self.size, dtype=self.dtype)
            for part, s in zip(self._slices, state):
                arrays[name][part] = np.ravel(s[name])
        self.arrays = {}
        self._parts = {id(array): self._parts[id(array)] for array in self._scratch}
        self._pieces = {id(array): self._pieces[id(array)] for array in self._scratch}
        self._state = state
        for name, array in arrays.items():
            self._adopt(name, array)
        return True

    def holds(self, state: list[dict[str, Any]]) -> bool:
        """True when ``state`` is the per-parameter state these flat arrays hold (its arrays
        are their views, untouched since)."""
        return state is self._state and self._views_intact(state)

    def _views_intact(self, state: list[dict[str, Any]]) -> bool:
        """True when each dict holds its step count and the views of the flat arrays, no more."""
        size = len(self.arrays) + 1
        if any(len(s) != size for s in state):
            return False
        for name, array in self.arrays.items():
            for part, s in zip(self._parts[id(array)], state):
                if s.get(name) is not part:
                    return False
        return True

    def _adopt(self, name: str, array: np.ndarray) -> None:
        """Keep ``array`` as the flat state ``name``; each parameter's dict gets its view."""
        self.arrays[name] = array
        parts = self._split(array)
        assert self._state is not None
        for part, s in zip(parts, self._state):
            s[name] = part

    def state(self, name: str, fill: float = 0.0, divisor: float = 1.0) -> np.ndarray:
        """The flat state array ``name``, holding its textbook values divided by ``divisor``.

        Created filled with ``fill`` (a textbook value) the first time. When the array was kept
        in another form (divided by another number, e.g. before a change of Adam's betas, or
        in textbook form after the state was read), it is converted in place first.
        """
        array = self.arrays.get(name)
        if array is None:
            array = np.full(self.size, fill, dtype=self.dtype)
            self._adopt(name, array)
        current = self.divisors.get(name, 1.0)
        if current != divisor:
            if current != 1.0:
                np.multiply(array, current, out=array)
            if divisor != 1.0:
                np.divide(array, divisor, out=array)
                self.divisors[name] = divisor
            else:
                del self.divisors[name]
        return array

    def to_textbook(self) -> None:
        """Put every flat array back in textbook form, in place (what the user reads).

        A value divided and multiplied again by the same number may come back a unit in its
        last place away; reading the state mid-run therefore nudges a run as saving and
        loading the state would, which keeps a resumed run on the exact path of the original.
        """
        for name, divisor in self.divisors.items():
            np.multiply(self.arrays[name], divisor, out=self.arrays[name])
        self.divisors.clear()

    def scratch(self, slot: int) -> np.ndarray:
        """Flat scratch array number ``slot`` (its contents do not survive a step)."""
        while len(self._scratch) <= slot:
            array = np.empty(self.size, dtype=self.dtype)
            self._scratch.append(array)
            self._split(array)
        return self._scratch[slot]

    def _split(self, array: np.ndarray) -> list[np.ndarray]:
        """Views of a flat array, one per parameter, in the parameter's shape (kept for apply)."""
        pieces = [array[part] for part in self._slices]
        parts = [piece.reshape(shape) for piece, shape in zip(pieces, self.shapes)]
        self._parts[id(array)], self._pieces[id(array)] = parts, pieces
        return parts

    # -- computing -----------------------------------------------------------------------------

    def apply(self, ufunc: Callable[..., Any], *operands: Operand, out: Operand) -> Any:
        """``ufunc(*operands, out=out)`` for a unary or binary ufunc, where lists hold one array
        per parameter.

        With flat arrays and numbers only, this is one call. When an operand or ``out`` is a
        list (the gradients, the parameters' arrays), it is one call per parameter, each on
        that parameter's views of the flat arrays: reading the gradients into a flat array, or
        writing a flat result into the parameters, is then part of a formula step.

        Returns:
            ``out``.
        """
        if len(operands) == 1:
            (x,) = operands
            if isinstance(x, list) or isinstance(out, list):
                for part, target in zip(self._per_parameter(x), self._per_parameter(out)):
                    ufunc(part, out=target)
                return out
        else:
            x, y = operands
            if isinstance(x, list) or isinstance(y, list) or isinstance(out, list):
                columns = zip(
                    self._per_parameter(x), self._per_parameter(y), self._per_parameter(out)
                )
                for first, second, target in columns:
                    ufunc(first, second, out=target)
                return out
        ufunc(*operands, out=out)  # flat arrays and numbers only: one call
        return out

    def run_kernel(
        self,
        kernel: Callable[..., None],
        w: list[np.ndarray],
        g: list[np.ndarray],
        arrays: tuple[np.ndarray, ...],
        *scalars: Any,
    ) -> bool:
        """Run a compiled one-parameter kernel on each parameter; False (nothing run) if unable.

        The kernel is called as ``kernel(w, g, *parts, *scalars)`` on 1-D views: the parameter's
        array, its gradient, and its part of each flat array of ``arrays``. Pass the float
        scalars in the parameters' dtype (``flat.dtype.type(x)``), so the kernel computes in it
        as NumPy does with a Python number. It cannot run when a parameter or gradient array is
        not contiguous (its 1-D view would be a copy) or the dtype is neither float32 nor
        float64 (those the kernels are compiled for).
        """
        if self.dtype not in _KERNEL_DTYPES or not all(
            a.flags.c_contiguous for arrays_of in (w, g) for a in arrays_of
        ):
            return False
        columns = zip(w, g, *(self._pieces[id(array)] for array in arrays))
        for wi, gi, *parts in columns:
            kernel(wi.reshape(-1), gi.reshape(-1), *parts, *scalars)
        return True

    def _per_parameter(self, operand: Operand) -> Iterable[Any]:
        if isinstance(operand, list):
            return operand
        if isinstance(operand, np.ndarray):
            return self._parts[id(operand)]  # a KeyError here: not a flat array of this layout
        return itertools.repeat(operand)


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# -- subnormal numbers ---------------------------------------------------------------------------

# How often optimizers set their decaying state's subnormal numbers to 0, in steps.
FLUSH_EVERY = 16
_EXPONENT_BITS = {4: (np.int32, 0x7F800000), 8: (np.int64, 0x7FF0000000000000)}


def flush_subnormals(array: np.ndarray, scratch: np.ndarray | None = None) -> None:
    """Set the subnormal numbers of a float array to 0, in place.

    A running average whose gradient stays 0 (a dead ReLU unit, an always-black pixel) shrinks
    by its decay factor each step until it falls below the smallest normal float (1.2e-38 in
    float32). The processor computes with such subnormal numbers through a slow path, tens of
    times slower: measured here, 9% subnormal values made each pass 3.6x slower. Setting them to
    0 changes a weight by less than 1e-30, far below float32 rounding, and keeps every pass fast.
    Optimizers do it every ``FLUSH_EVERY`` steps to the state that decays.

    The work is integer arithmetic on the numbers' bits only (arithmetic on the subnormals
    themselves would take the slow path this avoids).

    Args:
        array: a float32 or float64 array (other dtypes are left alone).
        scratch: an array of the same size and item size to work in, or None to allocate one.

    >>> values = np.array([1e-40, -2.0, 1e-30], dtype=np.float32)  # 1e-40 is subnormal there
    >>> flush_subnormals(values)
    >>> values == 0
    array([ True, False, False])
    """
    kind = _EXPONENT_BITS.get(array.dtype.itemsize)
    if kind is None or array.dtype.kind != "f":
        return
    int_type, exponent = kind
    bits = array.view(int_type)
    exponents = np.empty_like(bits) if scratch is None else scratch.view(int_type)
    np.bitwise_and(bits, exponent, out=exponents)  # 0 exactly for zeros and subnormals
    np.multiply(bits, exponents != 0, out=bits)
