"""``Tensor``: reverse-mode automatic differentiation over NumPy arrays.

A ``Tensor`` wraps a NumPy array (``.data``). Every operation on tensors that require a gradient
records, on its result, the tensors it came from and a small function that turns the gradient of
the result into gradients of those inputs. ``backward()`` sorts that graph (iteratively: no
recursion limit) and walks it from the result back to the leaves, adding each gradient into the
leaves' ``.grad`` (a NumPy array of the leaf's shape and dtype), as PyTorch does.

Each primitive keeps its forward and its backward side by side, in this file for the arithmetic,
shape and reduction operations and in :mod:`humblenet.functional` for the activations and losses.
Broadcasting is undone in one place, :func:`unbroadcast`.

>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from humblenet import _linear_kernels, devices
from humblenet._threads import row_pieces, spread
from humblenet.validation import number, whole

# A backward function receives the gradient of an operation's result and returns one gradient
# per input (None where that input needs none).
BackwardFn = Callable[[np.ndarray], Sequence["np.ndarray | None"]]

_grad_enabled = True

# Marks an operation whose graph was already used by backward() and then released.
_FREED: Any = object()

DEFAULT_DTYPE = np.dtype(np.float32)
_ALLOWED_KINDS = "fiub"  # float, signed and unsigned integer, bool

# The dtypes by torch's names (``humblenet.float32``, and through the package also
# ``humblenet.float``, ``double``, ``long``, ``bool``...): NumPy dtypes, so ``x.dtype == float32``
# holds and every NumPy function takes them.
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

# torch's names of tensor types (``x.type()``), which ``x.type(name)`` also accepts.
_TYPE_NAMES: dict[np.dtype, str] = {
    float16: "HalfTensor",
    float32: "FloatTensor",
    float64: "DoubleTensor",
    uint8: "ByteTensor",
    int8: "CharTensor",
    int16: "ShortTensor",
    int32: "IntTensor",
    int64: "LongTensor",
    bool_: "BoolTensor",
}


def _as_dtype(owner: str, dtype: Any) -> np.dtype:
    """``dtype`` (a NumPy dtype or type, a name such as ``"float32"``, or torch's type name such as
    ``"torch.FloatTensor"``) as a NumPy dtype that a Tensor can hold."""
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        by_name = {name: key for key, name in _TYPE_NAMES.items()}
        found = by_name.get(dtype.rpartition(".")[2])
        if found is not None:
            return found
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{owner}: {dtype!r} is not a dtype; use humblenet.float32, float64, int64, int32, "
            "bool (or their NumPy names)"
        ) from None
    if result.kind not in _ALLOWED_KINDS:
        raise TypeError(
            f"{owner}: dtype {result} is not supported; use float32, float64, an integer or bool"
        )
    return result


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Turn off graph recording inside a ``with`` block (for inference and weight updates).

    >>> w = Tensor([2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 3
    >>> y.requires_grad
    False
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward (outside ``no_grad()``)."""
    return _grad_enabled


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn ``data`` into an array with humblenet's dtype policy, refusing what cannot be one."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(
                f"Tensor: dtype {dtype} is not supported; use float32, float64, an integer or bool"
            )
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(dtype, copy=False)
    else:
        try:
            array = np.asarray(data, dtype=dtype)
        except (ValueError, TypeError) as exc:
            raise TypeError(
                f"Tensor: cannot make a numeric array from {type(data).__name__} {data!r:.60}: "
                f"{exc}. Pass numbers, nested lists of equal lengths, or a NumPy array."
            ) from None
        # Python floats become float32 (as in PyTorch); numbers in NumPy arrays keep their dtype.
        if dtype is None and array.dtype == np.float64:
            array = array.astype(DEFAULT_DTYPE)
    if array.dtype.kind not in _ALLOWED_KINDS:
        raise TypeError(
            f"Tensor: dtype {array.dtype} is not supported (got {type(data).__name__}); "
            "use float32, float64, an integer or bool array"
        )
    return array


class Tensor:
    """An n-dimensional array that can record how it was computed and differentiate through it.

    Args:
        data: numbers, nested lists or a NumPy array. Python floats become float32; NumPy
            arrays keep their dtype (so float64 arrays stay float64).
        requires_grad: record operations on this tensor so ``backward()`` can fill ``.grad``.
        dtype: convert the data to this NumPy dtype first (e.g. ``"float64"``).

    Attributes:
        data: the NumPy array itself.
        grad: a NumPy array with the accumulated gradient, or None before any backward.

    >>> Tensor([[1, 2], [3, 4]], dtype="float32").shape
    (2, 2)
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_parents",
        "_backward",
        "_retain",
        "_op",
        "_logits",
    )
    __array_ufunc__ = None  # make ``ndarray * Tensor`` call Tensor.__rmul__ instead of NumPy

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: np.ndarray = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require gradients, got {self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._backward: BackwardFn | None = None
        self._retain = False
        self._op = ""
        # Probabilities made by softmax or sigmoid keep the scores they came from, so that a
        # loss can use the stable, fused cross-entropy on those scores (as Keras does).
        self._logits: Tensor | None = None

    # -- building the graph --------------------------------------------------------------------

    @staticmethod
    def _make(
        data: np.ndarray, parents: tuple[Tensor, ...], backward: BackwardFn, op: str
    ) -> Tensor:
        """Wrap an operation's result, recording its inputs when a gradient may flow back."""
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = None
        out._retain = False
        out._op = op
        out._logits = None
        if _grad_enabled and any(p.requires_grad for p in parents):
            out.requires_grad = True
            out._parents = parents
            out._backward = backward
        else:
            out.requires_grad = False
            out._parents = ()
            out._backward = None
        return out

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not the result of a recorded operation)."""
        return self._backward is None

    def retain_grad(self) -> Tensor:
        """Keep this intermediate result's gradient in ``.grad`` after backward."""
        self._retain = True
        return self

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires one.

        Args:
            gradient: the gradient of some final scalar with respect to this tensor (a Tensor
                or an array of its shape); may be left out only when this tensor holds a single
                number (it is then 1).
            retain_graph: keep the graph so backward can run through it again.
            create_graph, inputs: PyTorch's higher-order and partial backward, not supported
                (only their defaults are accepted).
        """
        if create_graph or inputs is not None:
            raise NotImplementedError(
                "backward: create_graph=True and inputs= are not supported; humblenet computes "
                "first derivatives into every leaf's .grad"
            )
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad, so there is nothing to "
                "differentiate; create the inputs with requires_grad=True"
            )
        if self._backward is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the tensor has shape {self.data.shape}, not a single number; "
                    "pass gradient= of the same shape (e.g. ones) or reduce it first with .sum()"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.asarray(_data(gradient), dtype=self.dtype)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward: gradient has shape {seed.shape}, expected the tensor's {self.shape}"
                )
        order = _topological_order(self)
        grads: dict[int, np.ndarray] = {id(self): seed}
        for node in order:
            g = grads.pop(id(node), None)
            if g is None:
                continue
            backward_fn = node._backward
            if backward_fn is None:  # a leaf: accumulate, as PyTorch does
                unshared = sys.getrefcount(g) <= _UNSHARED  # before g is pushed as an argument
                _accumulate(node, g, unshared)
                continue
            if backward_fn is _FREED:
                raise RuntimeError(_FREED_MESSAGE)
            if node._retain:
                _accumulate(node, g)
            _pass_back(node._parents, backward_fn(g), grads)
            if not retain_graph:
                node._backward = _FREED
                node._parents = ()

    # -- conversion and inspection -------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> _Size:
        """The number of elements, as NumPy's ``a.size``; called, the shape, as torch's
        ``x.size()`` (``x.size(dim)`` gives one axis' length).

        >>> x = Tensor([[1, 2, 3], [4, 5, 6]])
        >>> x.size, x.size(), x.size(-1)
        (6, (2, 3), 3)
        """
        return _Size(self.data.shape)

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    def dim(self) -> int:
        """The number of axes (``ndim``)."""
        return self.data.ndim

    @property
    def device(self) -> devices.device:
        """Where the numbers are: always the CPU."""
        return devices.CPU

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """The single number this tensor holds, as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: the tensor has {self.data.size} elements, expected exactly 1")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, requires no grad)."""
        return Tensor(self.data)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (the gradient flows back unchanged)."""
        return clone(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf tensor, in place; returns it."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require gradients, got "
                f"{self.data.dtype}; convert first, e.g. x.float().requires_grad_()"
            )
        if not requires_grad and not self.is_leaf:
            raise RuntimeError(
                "requires_grad_: this tensor is the result of an operation, so it cannot stop "
                "requiring grad; use x.detach() for a copy outside the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype``; the gradient flows back converted to the input's dtype.

        A conversion to integers or booleans leaves the graph (it has no gradient), as in torch.
        """
        source = self.data.dtype
        out = _as_array(self.data, dtype).copy()
        if out.dtype.kind != "f":
            return Tensor(out)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (g.astype(source),)

        return Tensor._make(out, (self,), backward, "astype")

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert to a dtype and/or move to a device, as torch's ``x.to(...)``.

        Accepts ``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other)``
        (``other``'s dtype) and the keywords ``dtype=``, ``device=``, ``copy=``,
        ``non_blocking=``. The only device is the CPU: ``"cpu"`` changes nothing and another
        device is refused. A tensor that already has the dtype is returned itself (no copy,
        unless ``copy=True``); a conversion stays in the graph.

        >>> Tensor([1, 2]).to("cpu").to(float64).dtype
        dtype('float64')
        """
        _, dtype, copy = _to_arguments("Tensor.to", args, kwargs)
        if dtype is None or dtype == self.data.dtype:
            return clone(self) if copy else self
        return self.astype(dtype)

    def cpu(self) -> Tensor:
        """This tensor (its numbers are already on the CPU)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Refused: humblenet computes on the CPU (see :mod:`humblenet.cuda`)."""
        devices.check_device("Tensor.cuda", "cuda")
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=60)
        extra = f", dtype={self.data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element integer tensor as a list index (``classes[pred.argmax(0)]``)."""
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError(
                f"only a one-element integer tensor can be used as an index, got shape "
                f"{self.shape} of {self.dtype}"
            )
        return int(self.data.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats the number a one-element tensor holds."""
        if spec and self.data.size == 1:
            return format(self.data.item(), spec)
        return format(str(self), spec)

    def __hash__(self) -> int:
        return id(self)

    # -- changing values in place ----------------------------------------------------------------
    # As in PyTorch, ``w -= lr * w.grad`` inside ``no_grad()`` changes ``w`` itself (its array),
    # so it stays the same leaf that requires grad. Where a graph is being recorded and the
    # tensor takes part in it, ``+=`` and friends build a new tensor instead (Python's fallback).

    def _in_place(self, ufunc: Any, other: Any, name: str) -> Tensor:
        if _grad_enabled and self.requires_grad:
            raise RuntimeError(
                f"{name}: cannot change a tensor that requires grad in place while the graph is "
                "recorded; do it inside humblenet.no_grad() (as for a weight update), or write "
                "x = x + y to make a new tensor"
            )
        ufunc(self.data, _data(other), out=self.data, casting="unsafe")
        return self

    def __iadd__(self, other: Any) -> Tensor:
        if _grad_enabled and self.requires_grad:
            return add(self, other)
        return self._in_place(np.add, other, "+=")

    def __isub__(self, other: Any) -> Tensor:
        if _grad_enabled and self.requires_grad:
            return sub(self, other)
        return self._in_place(np.subtract, other, "-=")

    def __imul__(self, other: Any) -> Tensor:
        if _grad_enabled and self.requires_grad:
            return mul(self, other)
        return self._in_place(np.multiply, other, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        if _grad_enabled and self.requires_grad:
            return div(self, other)
        return self._in_place(np.divide, other, "/=")

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """``self += alpha * other`` in place (inside ``no_grad()`` for a tensor that requires
        grad)."""
        return self._in_place(np.add, _data(other) * alpha if alpha != 1.0 else other, "add_")

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """``self -= alpha * other`` in place."""
        return self._in_place(np.subtract, _data(other) * alpha if alpha != 1.0 else other, "sub_")

    def mul_(self, other: Any) -> Tensor:
        """``self *= other`` in place."""
        return self._in_place(np.multiply, other, "mul_")

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        return self.copy_(0)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value``, in place."""
        return self.copy_(value)

    def copy_(self, source: Any) -> Tensor:
        """Copy ``source``'s values into this tensor, in place (broadcast to its shape)."""
        return self._in_place(_copy_into, source, "copy_")

    # -- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return div(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return power(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return power(base, self)

    def __neg__(self) -> Tensor:
        return neg(self)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(other, self)

    # Comparisons give boolean tensors that carry no gradient.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _data(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _data(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _data(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _data(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == _data(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != _data(other))

    def __getitem__(self, index: Any) -> Tensor:
        return getitem(self, index)

    # -- methods that mirror the functions below -------------------------------------------------
    # Reductions take torch's ``dim=`` / ``keepdim=`` and NumPy's ``axis=`` / ``keepdims=`` alike.

    def sum(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool = False,
        dtype: Any = None,
    ) -> Tensor:
        """Sum over ``dim`` (all axes when None)."""
        axes, keep = _reduction_axes("sum", dim, axis, keepdim, keepdims)
        return sum_(self if dtype is None else self.to(dtype), axes, keep)

    def mean(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool = False,
        dtype: Any = None,
    ) -> Tensor:
        """Mean over ``dim`` (all axes when None)."""
        axes, keep = _reduction_axes("mean", dim, axis, keepdim, keepdims)
        return mean(self if dtype is None else self.to(dtype), axes, keep)

    def max(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
    ) -> Any:
        """The largest value; along ``dim``, torch's ``(values, indices)``.

        - ``x.max()`` and ``x.max(axis=1)`` (NumPy's keyword): the largest values, a Tensor; ties
          share the gradient equally (as ``torch.amax``);
        - ``x.max(1)`` or ``x.max(dim=1)``: a named tuple ``(values, indices)`` as in torch; the
          gradient goes to the element each index names;
        - ``x.max(other)`` with a Tensor: the elementwise larger of the two (``maximum``).
        """
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            axes, keep = _reduction_axes("max", None, axis, keepdim, keepdims)
            return max_(self, axes, keep)
        _reduction_axes("max", dim, axis, keepdim, keepdims)  # refuses dim= and axis= together
        return _values_and_indices(self, dim, keepdim or keepdims, np.argmax, "max")

    def min(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
    ) -> Any:
        """The smallest value; along ``dim``, torch's ``(values, indices)`` (see :meth:`max`)."""
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            axes, keep = _reduction_axes("min", None, axis, keepdim, keepdims)
            return min_(self, axes, keep)
        _reduction_axes("min", dim, axis, keepdim, keepdims)
        return _values_and_indices(self, dim, keepdim or keepdims, np.argmin, "min")

    def argmax(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
    ) -> Tensor:
        """The index of the largest value along ``dim`` (int64; the first one among ties);
        with no ``dim``, its index in the flattened tensor."""
        axes, keep = _reduction_axes("argmax", dim, axis, keepdim, keepdims)
        return _arg_extreme(self, axes, keep, np.argmax, "argmax")

    def argmin(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
    ) -> Tensor:
        """The index of the smallest value along ``dim`` (see :meth:`argmax`)."""
        axes, keep = _reduction_axes("argmin", dim, axis, keepdim, keepdims)
        return _arg_extreme(self, axes, keep, np.argmin, "argmin")

    def var(
        self,
        dim: Any = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: int | None = None,
        axis: Any = None,
        keepdims: bool = False,
    ) -> Tensor:
        """Variance over ``dim``, dividing by ``n - correction`` (1 by default, as torch;
        ``unbiased=False`` or ``correction=0`` gives NumPy's and Keras' population variance)."""
        axes, keep = _reduction_axes("var", dim, axis, keepdim, keepdims)
        return var(self, axes, keep, _correction("var", unbiased, correction))

    def std(
        self,
        dim: Any = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: int | None = None,
        axis: Any = None,
        keepdims: bool = False,
    ) -> Tensor:
        """Standard deviation over ``dim``: the square root of :meth:`var`."""
        axes, keep = _reduction_axes("std", dim, axis, keepdim, keepdims)
        return sqrt(var(self, axes, keep, _correction("std", unbiased, correction)))

    def prod(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool = False,
        dtype: Any = None,
    ) -> Tensor:
        """Product over ``dim`` (all axes when None); exact gradients where elements are 0."""
        axes, keep = _reduction_axes("prod", dim, axis, keepdim, keepdims)
        return prod(self if dtype is None else self.to(dtype), axes, keep)

    def cumsum(self, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
        """Running sum along ``dim``."""
        axes, _ = _reduction_axes("cumsum", dim, axis, False, False)
        if axes is None:
            raise TypeError("cumsum: give the axis to sum along, e.g. x.cumsum(dim=0)")
        return cumsum(self if dtype is None else self.to(dtype), axes)

    def logsumexp(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
    ) -> Tensor:
        """``log(sum(exp(x)))`` over ``dim``, stable for very large or small values."""
        axes, keep = _reduction_axes("logsumexp", dim, axis, keepdim, keepdims)
        return logsumexp(self, axes, keep)

    def softmax(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """``exp(x) / sum(exp(x))`` along ``dim`` (the last axis when not given)."""
        axes, _ = _reduction_axes("softmax", dim, axis, False, False)
        return softmax(self, -1 if axes is None else axes)

    def log_softmax(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """``x - logsumexp(x)`` along ``dim`` (the last axis when not given)."""
        axes, _ = _reduction_axes("log_softmax", dim, axis, False, False)
        return log_softmax(self, -1 if axes is None else axes)

    # Elementwise functions and arithmetic by name (``x.add(y)`` is ``x + y``).

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self + alpha * other``."""
        return add(self, other if alpha == 1 else mul(other, alpha))

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self - alpha * other``."""
        return sub(self, other if alpha == 1 else mul(other, alpha))

    def mul(self, other: Any) -> Tensor:
        """``self * other``."""
        return mul(self, other)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """``self / other`` (true division; ``rounding_mode`` is not supported)."""
        if rounding_mode is not None:
            raise NotImplementedError(
                f"div: rounding_mode={rounding_mode!r} is not supported; divide, then round the "
                "result's .data with NumPy (np.floor, np.trunc)"
            )
        return div(self, other)

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``."""
        return power(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        """``self @ other``."""
        return matmul(self, other)

    def neg(self) -> Tensor:
        """``-self``."""
        return neg(self)

    def square(self) -> Tensor:
        """``self * self``."""
        return mul(self, self)

    def exp(self) -> Tensor:
        return exp(self)

    def log(self) -> Tensor:
        return log(self)

    def log1p(self) -> Tensor:
        return log1p(self)

    def sqrt(self) -> Tensor:
        return sqrt(self)

    def sin(self) -> Tensor:
        return sin(self)

    def cos(self) -> Tensor:
        return cos(self)

    def abs(self) -> Tensor:
        return abs_(self)

    def relu(self) -> Tensor:
        return relu(self)

    def sigmoid(self) -> Tensor:
        return sigmoid(self)

    def tanh(self) -> Tensor:
        return tanh(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit values to ``[min, max]`` (either may be None)."""
        return clip(self, min, max)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit values to ``[min, max]`` (torch's name for :meth:`clip`)."""
        return clip(self, min, max)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where the boolean ``mask`` (broadcast to this shape) is True, else ``self``."""
        return masked_fill(self, mask, value)

    def gather(self, dim: int, index: Any) -> Tensor:
        """Pick along ``dim`` the elements ``index`` names: for ``dim=1``,
        ``out[i, j] = self[i, index[i, j]]``."""
        return gather(self, dim, index)

    def all(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        """Whether every element (along ``dim``) is true (nonzero), as a boolean tensor."""
        axes, keep = _reduction_axes("all", dim, axis, keepdim, False)
        axes = _normalize_axes(axes, self.data.ndim, "all")
        return Tensor(np.asarray(np.all(self.data, axis=axes, keepdims=keep)))

    def any(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        """Whether some element (along ``dim``) is true (nonzero), as a boolean tensor."""
        axes, keep = _reduction_axes("any", dim, axis, keepdim, False)
        axes = _normalize_axes(axes, self.data.ndim, "any")
        return Tensor(np.asarray(np.any(self.data, axis=axes, keepdims=keep)))

    # Comparisons by name give boolean tensors, as the operators do.

    def eq(self, other: Any) -> Tensor:
        return self.__eq__(other)

    def ne(self, other: Any) -> Tensor:
        return self.__ne__(other)

    def lt(self, other: Any) -> Tensor:
        return self.__lt__(other)

    def le(self, other: Any) -> Tensor:
        return self.__le__(other)

    def gt(self, other: Any) -> Tensor:
        return self.__gt__(other)

    def ge(self, other: Any) -> Tensor:
        return self.__ge__(other)

    # -- shapes --------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        return reshape(self, shape[0] if len(shape) == 1 else shape)

    def view(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (torch's name for :meth:`reshape`)."""
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer | tuple | list):
            raise TypeError(
                f"view: expected sizes, got {shape[0]!r}; viewing the bytes as another dtype is "
                "not supported (use x.to(dtype) to convert the values)"
            )
        return reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *dims: Any) -> Tensor:
        """Swap two axes, as torch: ``x.transpose(0, 1)``, ``x.transpose(1, 2)``.

        With no argument, reverse all axes (as ``x.T``); with one tuple of all axes, put them in
        that order (NumPy's ``a.transpose((2, 0, 1))``, the same as ``x.permute(2, 0, 1)``).

        >>> Tensor(np.zeros((2, 3, 4))).transpose(1, 2).shape
        (2, 4, 3)
        """
        if not dims:
            return permute(self, None)
        if len(dims) == 1 and isinstance(dims[0], tuple | list):
            return permute(self, dims[0])
        if len(dims) != 2:
            raise TypeError(
                f"transpose: expected two axes to swap, e.g. x.transpose(0, 1), got {dims}; "
                "to order all axes, pass one tuple, x.transpose((2, 0, 1)), or use x.permute"
            )
        return swapaxes(self, dims[0], dims[1])

    def permute(self, *dims: Any) -> Tensor:
        """Put the axes in the order ``dims`` (all of them): ``x.permute(2, 0, 1)``."""
        return permute(self, dims[0] if len(dims) == 1 else dims)

    def t(self) -> Tensor:
        """The transpose of a matrix (a vector or a number is returned as it is)."""
        if self.data.ndim > 2:
            raise ValueError(
                f"t: expects a tensor with at most 2 axes, got shape {self.shape}; use "
                "x.transpose(dim0, dim1) or x.permute(...)"
            )
        return permute(self, None)

    @property
    def T(self) -> Tensor:
        """All axes reversed (a matrix' transpose)."""
        return permute(self, None)

    def expand(self, *shape: Any) -> Tensor:
        return broadcast_to(self, shape[0] if len(shape) == 1 else shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return broadcast_to(self, shape)

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes[i]`` times along axis ``i`` (as ``np.tile``; torch's
        ``repeat``): ``Tensor([1, 2]).repeat(2)`` is ``[1, 2, 1, 2]``."""
        return repeat(self, sizes[0] if len(sizes) == 1 else sizes)

    def squeeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """Remove size-1 axes: all of them, or those of ``dim`` that have size 1 (a named axis
        of another size is left as it is, as torch does)."""
        axes, _ = _reduction_axes("squeeze", dim, axis, False, False)
        return squeeze(self, axes)

    def unsqueeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """Insert a size-1 axis at position ``dim``."""
        place, _ = _reduction_axes("unsqueeze", dim, axis, False, False)
        if place is None:
            raise TypeError("unsqueeze: give the position of the new axis, e.g. x.unsqueeze(0)")
        return unsqueeze(self, place)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the axes ``start_dim`` to ``end_dim`` (both included) into one; all by default.

        >>> Tensor(np.zeros((2, 3, 4, 5))).flatten(1, 2).shape
        (2, 12, 5)
        """
        return flatten(self, start_dim, end_dim)

    def to_dot(self) -> str:
        """Graphviz DOT text of the graph that produced this tensor, with values and gradients."""
        return _to_dot(self)

    # -- dtype conversions (last: their names are builtins' names) -----------------------------

    def float(self) -> Tensor:
        """This tensor as float32."""
        return self.to(float32)

    def double(self) -> Tensor:
        """This tensor as float64."""
        return self.to(float64)

    def half(self) -> Tensor:
        """This tensor as float16."""
        return self.to(float16)

    def long(self) -> Tensor:
        """This tensor as int64."""
        return self.to(int64)

    def int(self) -> Tensor:
        """This tensor as int32."""
        return self.to(int32)

    def bool(self) -> Tensor:
        """This tensor as booleans."""
        return self.to(bool_)

    def type(self, dtype: Any = None, non_blocking: Any = False) -> Any:
        """Without ``dtype``, torch's name of this tensor's type (``"humblenet.FloatTensor"``);
        with one, this tensor converted to it (as :meth:`to`): ``x.type(humblenet.float32)``.
        """
        if dtype is None:
            return f"humblenet.{_TYPE_NAMES.get(self.data.dtype, self.data.dtype.name)}"
        return self.to(_as_dtype("Tensor.type", dtype))


_FREED_MESSAGE = (
    "backward: trying to go back through a graph a second time; its intermediate results were "
    "released after the first backward. Pass retain_graph=True to the first backward() if you "
    "need to call it twice, or recompute the forward pass."
)


def _copy_into(target: np.ndarray, source: Any, out: np.ndarray, casting: str = "unsafe") -> None:
    """``np.copyto`` in the shape of a ufunc call (see ``Tensor._in_place``)."""
    np.copyto(out, source, casting="unsafe")


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


class _Size(int):
    """A tensor's number of elements (NumPy's ``a.size``) that, called, gives its shape (torch's
    ``x.size()``), or with an axis that axis' length (``x.size(1)``). Both libraries' programs
    then read ``x.size`` as they expect."""

    _shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> _Size:
        count = 1
        for n in shape:
            count *= n
        result = super().__new__(cls, count)
        result._shape = tuple(shape)
        return result

    def __getnewargs__(self) -> tuple[Any, ...]:  # copy and pickle rebuild it from the shape
        return (self._shape,)

    def __call__(self, dim: Any = None) -> Any:
        if dim is None:
            return self._shape
        if not self._shape:
            raise ValueError(f"size: a tensor with no axes (a number) has no axis {dim!r}")
        (axis,) = _normalize_axes(int(dim), len(self._shape), "size")
        return self._shape[axis]


def _reduction_axes(
    owner: str, dim: Any, axis: Any, keepdim: bool, keepdims: bool
) -> tuple[Any, bool]:
    """The axes and keep-flag of a method that takes torch's ``dim=``/``keepdim=`` and NumPy's
    ``axis=``/``keepdims=``: either name, not both."""
    if dim is not None and axis is not None:
        raise TypeError(
            f"{owner}: got both dim={dim!r} and axis={axis!r}; pass one of them (dim is torch's "
            "name, axis NumPy's)"
        )
    return (dim if axis is None else axis), bool(keepdim or keepdims)


def _correction(owner: str, unbiased: bool | None, correction: int | None) -> int:
    """The divisor's correction from torch's ``unbiased`` (older) or ``correction`` (newer)."""
    if unbiased is not None and correction is not None:
        raise TypeError(f"{owner}: pass unbiased= or correction=, not both")
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1 if correction is None else correction


def _to_arguments(
    owner: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[devices.device | None, np.dtype | None, bool]:
    """Read torch's ``to(...)`` arguments: ``(device, dtype, copy)``, each possibly absent.

    A device other than the CPU is refused here, with a message saying so.
    """
    options = dict(kwargs)
    where = options.pop("device", None)
    dtype = options.pop("dtype", None)
    copy = bool(options.pop("copy", False))
    options.pop("non_blocking", None)
    options.pop("memory_format", None)
    if options:
        raise TypeError(f"{owner}: unexpected keyword arguments {sorted(options)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif devices.is_device(arg):
            where = arg
        elif arg is not None:
            dtype = arg
    place = None if where is None else devices.check_device(owner, where)
    return place, (None if dtype is None else _as_dtype(owner, dtype)), copy


# -- torch's constructors ------------------------------------------------------------------------


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, *, device: Any = None
) -> Tensor:
    """A new :class:`Tensor` holding a copy of ``data`` (as ``torch.tensor``).

    Python floats become float32, Python integers int64, NumPy arrays keep their dtype;
    ``device`` may only be the CPU.

    >>> tensor([[1, 2], [3, 4]]).dtype, tensor([0.5]).dtype
    (dtype('int64'), dtype('float32'))
    """
    _check_place("tensor", device)
    array = _as_array(data, None if dtype is None else _as_dtype("tensor", dtype))
    return Tensor(array.copy(), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing ``array``'s memory and dtype (as ``torch.from_numpy``)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"from_numpy: expected a NumPy array, got {type(array).__name__}; use "
            "humblenet.tensor(data) for lists and numbers"
        )
    return Tensor(array)


def is_tensor(obj: Any) -> bool:
    """True when ``obj`` is a :class:`Tensor`."""
    return isinstance(obj, Tensor)


def _check_place(owner: str, device: Any) -> None:
    if device is not None:
        devices.check_device(owner, device)


def _sizes(owner: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """Sizes given as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``, checked."""
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    return tuple(whole(owner, "each size", n) for n in size)


def _filled(
    owner: str, size: tuple[Any, ...], fill: Any, dtype: Any, requires_grad: bool, device: Any
) -> Tensor:
    _check_place(owner, device)
    kind = DEFAULT_DTYPE if dtype is None else _as_dtype(owner, dtype)
    return Tensor(np.full(_sizes(owner, size), fill, dtype=kind), requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of zeros of shape ``size`` (float32 unless ``dtype``): ``zeros(2, 3)``."""
    return _filled("zeros", size, 0, dtype, requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of ones of shape ``size`` (float32 unless ``dtype``): ``ones(2, 3)``."""
    return _filled("ones", size, 1, dtype, requires_grad, device)


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype follows the value (bool,
    int64 or float32) unless ``dtype`` is given."""
    if dtype is None:
        dtype = _as_array(fill_value).dtype
    return _filled("full", (size,), fill_value, dtype, requires_grad, device)


def zeros_like(
    other: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """Zeros of ``other``'s shape and dtype (or ``dtype``)."""
    like = _lift(other)
    kind = like.dtype if dtype is None else dtype
    return _filled("zeros_like", (np.shape(like.data),), 0, kind, requires_grad, device)


def ones_like(
    other: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """Ones of ``other``'s shape and dtype (or ``dtype``)."""
    like = _lift(other)
    kind = like.dtype if dtype is None else dtype
    return _filled("ones_like", (np.shape(like.data),), 1, kind, requires_grad, device)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """``start, start + step, ...`` up to (not including) ``end``; ``arange(n)`` is ``0..n-1``.

    int64 when all of them are integers, else float32 (unless ``dtype``), as torch.
    """
    _check_place("arange", device)
    if end is None:
        start, end = 0, start
    numbers = (start, end, step)
    if dtype is None:
        integral = all(isinstance(n, int | np.integer) for n in numbers)
        dtype = int64 if integral else DEFAULT_DTYPE
    kind = _as_dtype("arange", dtype)
    for name, value in zip(("start", "end", "step"), numbers):
        number("arange", name, value)
    if step == 0:
        raise ValueError("arange: step must not be 0")
    values = np.arange(start, end, step, dtype=np.float64 if kind.kind == "f" else None)
    return Tensor(values.astype(kind), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The ``n`` by ``m`` (default ``n``) identity matrix, float32 unless ``dtype``."""
    rows = whole("eye", "n", n)
    columns = rows if m is None else whole("eye", "m", m)
    kind = DEFAULT_DTYPE if dtype is None else _as_dtype("eye", dtype)
    return Tensor(np.eye(rows, columns, dtype=kind), requires_grad=requires_grad)


def _lift(x: Any) -> Tensor:
    """Wrap a number or array as a constant tensor (no gradient); tensors pass through."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, bool | int | float | np.number | np.bool_):
        if isinstance(x, np.generic):
            x = x.item()
        # A Python number stays "weak": float32 tensors stay float32 when combined with it.
        t = Tensor.__new__(Tensor)
        t.data = x
        t.grad = None
        t.requires_grad = False
        t._parents = ()
        t._backward = None
        t._retain = False
        t._op = ""
        t._logits = None
        return t
    return Tensor(np.asarray(x) if isinstance(x, np.ndarray) else _as_array(x))


def _accumulate(node: Tensor, g: np.ndarray, unshared: bool = False) -> None:
    """Add ``g`` into ``node.grad`` (in place when there is one already, as PyTorch does).

    ``unshared``: nothing else holds ``g``, so it may become ``node.grad`` without a copy.
    """
    if g.shape != node.data.shape:  # e.g. a view from broadcasting: make it the node's shape
        g = np.broadcast_to(g, node.data.shape)
        unshared = False
    if node.grad is not None:
        np.add(node.grad, g, out=node.grad, casting="unsafe")
    elif unshared and g.base is None and g.flags.writeable and g.dtype == node.data.dtype:
        node.grad = g
    else:
        node.grad = np.array(g, dtype=node.data.dtype, copy=True)


def _pass_back(
    parents: tuple[Tensor, ...], parent_grads: Sequence[np.ndarray | None], grads: dict[int, Any]
) -> None:
    """Add each parent's gradient to what it has received so far in this backward pass."""
    for parent, parent_grad in zip(parents, parent_grads, strict=True):
        if parent_grad is None or not parent.requires_grad:
            continue
        key = id(parent)
        if key in grads:
            grads[key] = grads[key] + parent_grad
        else:
            grads[key] = parent_grad


def _references_of_an_unshared_array() -> int:
    """What ``sys.getrefcount`` says of an array that one local name alone holds."""
    array = np.empty(1)
    return sys.getrefcount(array)


# A leaf's first gradient is usually a fresh array (a matrix product's result) that backward
# alone holds. Keeping it, rather than copying it into ``.grad``, saves a pass over every weight
# gradient per step (PyTorch's AccumulateGrad does the same when the reference count is 1). The
# count of an unshared array is measured here rather than assumed, since interpreters count
# differently; any other holder (the graph, a closure, a second leaf) raises it, and then the
# gradient is copied.
_UNSHARED = _references_of_an_unshared_array()


def _topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that ``root`` depends on, each after all tensors computed from it."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _shape_of(x: Any) -> tuple[int, ...]:
    return np.shape(x)


def _binary(name: str, symbol: str, a: Tensor, b: Tensor, fn: Callable[..., Any]) -> np.ndarray:
    """Run a broadcasting NumPy function, turning NumPy's shape error into a readable one."""
    try:
        return np.asarray(fn(a.data, b.data))
    except ValueError:
        sa, sb = _shape_of(a.data), _shape_of(b.data)
        raise ValueError(
            f"{name}: shapes {sa} {symbol} {sb} cannot be broadcast together; sizes must be "
            "equal or 1 on each axis, counted from the right"
        ) from None


# -- elementwise arithmetic ----------------------------------------------------------------------


def add(a: Any, b: Any) -> Tensor:
    """``a + b`` with broadcasting."""
    a, b = _lift(a), _lift(b)
    sa, sb = _shape_of(a.data), _shape_of(b.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return (
            unbroadcast(g, sa) if a.requires_grad else None,
            unbroadcast(g, sb) if b.requires_grad else None,
        )

    return Tensor._make(_binary("add", "+", a, b, np.add), (a, b), backward, "add")


def sub(a: Any, b: Any) -> Tensor:
    """``a - b`` with broadcasting."""
    a, b = _lift(a), _lift(b)
    sa, sb = _shape_of(a.data), _shape_of(b.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return (
            unbroadcast(g, sa) if a.requires_grad else None,
            -unbroadcast(g, sb) if b.requires_grad else None,
        )

    return Tensor._make(_binary("sub", "-", a, b, np.subtract), (a, b), backward, "sub")


def mul(a: Any, b: Any) -> Tensor:
    """``a * b`` elementwise, with broadcasting."""
    a, b = _lift(a), _lift(b)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ga = unbroadcast(g * b.data, _shape_of(a.data)) if a.requires_grad else None
        gb = unbroadcast(g * a.data, _shape_of(b.data)) if b.requires_grad else None
        return ga, gb

    return Tensor._make(_binary("mul", "*", a, b, np.multiply), (a, b), backward, "mul")


def div(a: Any, b: Any) -> Tensor:
    """``a / b`` elementwise, with broadcasting."""
    a, b = _lift(a), _lift(b)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ga = unbroadcast(g / b.data, _shape_of(a.data)) if a.requires_grad else None
        gb = (
            unbroadcast(-g * a.data / (b.data * b.data), _shape_of(b.data))
            if b.requires_grad
            else None
        )
        return ga, gb

    return Tensor._make(_binary("div", "/", a, b, np.true_divide), (a, b), backward, "div")


def neg(a: Tensor) -> Tensor:
    """``-a``."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (-g,)

    return Tensor._make(np.negative(a.data), (a,), backward, "neg")


def power(base: Any, exponent: Any) -> Tensor:
    """``base ** exponent``, with torch's gradients at the edges.

    The base's gradient is ``exponent * base ** (exponent - 1)``, and 0 where the exponent is 0
    (so ``x ** 0`` has gradient 0 at ``x = 0``). The exponent's gradient is
    ``base ** exponent * log(base)``: 0 where the base is 0 and the exponent is not negative,
    ``-inf`` where the base is 0 and the exponent negative, NaN for a negative base. As in
    torch, ``0 ** -1`` is ``inf`` and a negative base to a fractional power NaN, without a
    warning.
    """
    base, exponent = _lift(base), _lift(exponent)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf, (-8) ** 0.5 = nan
        out = _binary("pow", "**", base, exponent, np.power)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        b, e = base.data, exponent.data
        if not isinstance(b, np.ndarray):  # a Python number base takes the result's dtype
            b = np.asarray(b, dtype=out.dtype)
        gb = ge = None
        # Infinities and NaN here are the right answers (as torch's), not accidents.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if base.requires_grad:
                slope = np.where(np.equal(e, 0), 0, e * np.power(b, e - 1)).astype(out.dtype)
                gb = unbroadcast(g * slope, _shape_of(b))
            if exponent.requires_grad:
                log_b = np.where(np.equal(b, 0) & np.greater_equal(e, 0), 0, out * np.log(b))
                ge = unbroadcast(g * log_b.astype(out.dtype, copy=False), _shape_of(e))
        return gb, ge

    return Tensor._make(out, (base, exponent), backward, "pow")


def exp(a: Tensor) -> Tensor:
    """Elementwise ``e ** a``."""
    out = np.exp(a.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g * out,)

    return Tensor._make(out, (a,), backward, "exp")


def log(a: Tensor) -> Tensor:
    """Elementwise natural logarithm."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g / a.data,)

    return Tensor._make(np.log(a.data), (a,), backward, "log")


def sqrt(a: Tensor) -> Tensor:
    """Elementwise square root."""
    out = np.sqrt(a.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g / (2 * out),)

    return Tensor._make(out, (a,), backward, "sqrt")


def log1p(a: Tensor) -> Tensor:
    """Elementwise ``log(1 + a)``, accurate for small ``a``."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g / (1 + a.data),)

    return Tensor._make(np.log1p(a.data), (a,), backward, "log1p")


def sin(a: Tensor) -> Tensor:
    """Elementwise sine."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g * np.cos(a.data),)

    return Tensor._make(np.sin(a.data), (a,), backward, "sin")


def cos(a: Tensor) -> Tensor:
    """Elementwise cosine."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (-g * np.sin(a.data),)

    return Tensor._make(np.cos(a.data), (a,), backward, "cos")


def abs_(a: Tensor) -> Tensor:
    """Elementwise absolute value (gradient 0 at 0, as PyTorch)."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g * np.sign(a.data),)

    return Tensor._make(np.abs(a.data), (a,), backward, "abs")


def clip(a: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]``; the gradient flows where ``min <= a <= max``."""
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    low, high = _data(min), _data(max)
    out = np.clip(a.data, low, high)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        keep = np.ones(a.data.shape, dtype=bool)
        if low is not None:
            keep &= a.data >= low
        if high is not None:
            keep &= a.data <= high
        return (g * keep,)

    return Tensor._make(out, (a,), backward, "clip")


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise larger of ``a`` and ``b``; ties share the gradient equally (as PyTorch)."""
    a, b = _lift(a), _lift(b)
    return _pick(a, b, np.maximum(a.data, b.data), np.greater, "maximum")


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise smaller of ``a`` and ``b``; ties share the gradient equally (as PyTorch)."""
    a, b = _lift(a), _lift(b)
    return _pick(a, b, np.minimum(a.data, b.data), np.less, "minimum")


def _pick(a: Tensor, b: Tensor, out: np.ndarray, wins: Callable[..., Any], op: str) -> Tensor:
    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        share = np.where(wins(a.data, b.data), 1.0, np.where(a.data == b.data, 0.5, 0.0))
        share = share.astype(g.dtype, copy=False)
        return unbroadcast(g * share, _shape_of(a.data)), unbroadcast(
            g * (1 - share), _shape_of(b.data)
        )

    return Tensor._make(np.asarray(out), (a, b), backward, op)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``condition`` holds, else ``b`` (with broadcasting)."""
    cond = np.asarray(_data(condition), dtype=bool)
    a, b = _lift(a), _lift(b)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ga = unbroadcast(np.where(cond, g, 0), _shape_of(a.data)) if a.requires_grad else None
        gb = unbroadcast(np.where(cond, 0, g), _shape_of(b.data)) if b.requires_grad else None
        return ga, gb

    try:
        out = np.where(cond, a.data, b.data)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape}, {_shape_of(a.data)} and {_shape_of(b.data)} cannot be "
            "broadcast together"
        ) from None
    return Tensor._make(out, (a, b), backward, "where")


# -- activations and the softmax family (Tensor methods; humblenet.functional exports them too) --


def _with_logits(probabilities: Tensor, logits: Tensor) -> Tensor:
    """Let ``probabilities`` (softmax over the last axis, or sigmoid) carry the scores they came
    from: a cross-entropy given these probabilities then computes from the scores instead, one
    stable pass without clipping, as Keras does (see :mod:`humblenet.nn.losses`)."""
    probabilities._logits = logits
    return probabilities


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)``; the gradient is 0 where ``x <= 0``.

    A large batch (a CNN's feature maps) is cut into one piece of samples per core, each piece
    computed on its own thread (``_threads.row_pieces``), with the same numbers."""
    xd = x.data
    pieces = row_pieces(xd)
    if pieces is None:
        out = np.maximum(xd, 0)
    else:
        out = np.empty(xd.shape, dtype=np.result_type(xd, 0))  # the dtype np.maximum gives
        spread(lambda rows: np.maximum(xd[rows], 0, out=out[rows]), pieces, len(pieces))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        kernels = _linear_kernels.linear_kernels()
        if kernels is not None and _linear_kernels.flat_pair(g, out):
            grad = np.empty(out.shape, dtype=g.dtype)  # one compiled pass, the same bits
            if pieces is None:
                kernels.relu_grad(g.reshape(-1), out.reshape(-1), grad.reshape(-1))
                return (grad,)

            def mask(rows: slice) -> None:
                flat = [a[rows].reshape(-1) for a in (g, out, grad)]
                kernels.relu_grad(*flat)

            spread(mask, pieces, len(pieces))
            return (grad,)
        if pieces is None or g.shape != out.shape:
            return (g * (out > 0),)
        grad = np.empty(out.shape, dtype=np.result_type(g, np.bool_))  # as g * (out > 0)
        spread(
            lambda rows: np.multiply(g[rows], out[rows] > 0, out=grad[rows]), pieces, len(pieces)
        )
        return (grad,)

    return Tensor._make(out, (x,), backward, "relu")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function split by sign, so ``exp`` only ever sees non-positive numbers."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, without overflow for large ``|x|``."""
    out = _sigmoid(x.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g * out * (1 - out),)

    return _with_logits(Tensor._make(out, (x,), backward, "sigmoid"), x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    out = np.tanh(x.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g * (1 - out * out),)

    return Tensor._make(out, (x,), backward, "tanh")


def _shifted(z: np.ndarray, axis: int) -> np.ndarray:
    """``z`` minus its maximum along ``axis`` (a finite shift even when a row is all -inf)."""
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return z - m


def softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed on ``x - max(x)``.

    ``dim=`` is torch's name for ``axis``. A number (no axes) takes axis 0 or -1, as in torch,
    and gives 1.
    """
    axis = _join_axis("softmax", axis, dim, default=-1)
    (ax,) = _normalize_axes(axis, x.data.ndim, "softmax") or (None,)
    if ax is None:
        return reshape(softmax(reshape(x, (1,)), 0), ())
    e = np.exp(_shifted(x.data, ax))
    out = e / e.sum(axis=ax, keepdims=True)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (out * (g - (g * out).sum(axis=ax, keepdims=True)),)

    result = Tensor._make(out, (x,), backward, "softmax")
    return _with_logits(result, x) if ax == x.data.ndim - 1 else result


def log_softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``, stable for very large or small logits.

    ``dim=`` is torch's name for ``axis``. A number (no axes) takes axis 0 or -1, as in torch,
    and gives 0.
    """
    axis = _join_axis("log_softmax", axis, dim, default=-1)
    (ax,) = _normalize_axes(axis, x.data.ndim, "log_softmax") or (None,)
    if ax is None:
        return reshape(log_softmax(reshape(x, (1,)), 0), ())
    shifted = _shifted(x.data, ax)
    out = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g - np.exp(out) * g.sum(axis=ax, keepdims=True),)

    return Tensor._make(out, (x,), backward, "log_softmax")


def logsumexp(x: Tensor, axis: Any = -1, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` along ``axis``, stable for very large or small values."""
    axes = _normalize_axes(axis, x.data.ndim, "logsumexp")
    m = np.max(x.data, axis=axes, keepdims=True) if x.data.size else np.zeros(())
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for empty sums
        total = np.log(np.exp(x.data - m).sum(axis=axes, keepdims=True)) + m
    out = total if keepdims else np.squeeze(total, axis=axes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gk = g if keepdims else np.expand_dims(g, axes)
        return (gk * np.exp(x.data - total),)

    return Tensor._make(np.asarray(out, dtype=x.data.dtype), (x,), backward, "logsumexp")


# -- matrix product ------------------------------------------------------------------------------


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b``: 1-D, 2-D and batched (leading axes broadcast), as NumPy."""
    a, b = _lift(a), _lift(b)
    x, w = a.data, b.data
    if np.ndim(x) == 0 or np.ndim(w) == 0:
        raise ValueError(
            f"matmul: {_shape_of(x)} @ {_shape_of(w)}: both operands need at least one axis; "
            "use * to multiply by a number"
        )
    inner_a = x.shape[-1]
    inner_b = w.shape[-2] if w.ndim > 1 else w.shape[0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: {x.shape} @ {w.shape}: inner sizes {inner_a} and {inner_b} differ"
        )
    try:
        out = np.matmul(x, w)
    except ValueError:
        raise ValueError(
            f"matmul: {x.shape} @ {w.shape}: the leading (batch) axes cannot be broadcast together"
        ) from None

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        # Treat vectors as matrices: a row for a 1-D left operand, a column for a 1-D right one.
        x2 = x[None, :] if x.ndim == 1 else x
        w2 = w[:, None] if w.ndim == 1 else w
        # The column first: for vector @ vector, g is a single number and becomes (1, 1).
        g2 = g
        if w.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        if x.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if a.requires_grad:
            ga = unbroadcast(np.matmul(g2, np.swapaxes(w2, -1, -2)), x2.shape).reshape(x.shape)
        if b.requires_grad:
            gb = unbroadcast(np.matmul(np.swapaxes(x2, -1, -2), g2), w2.shape).reshape(w.shape)
        return ga, gb

    return Tensor._make(out, (a, b), backward, "matmul")


# -- reductions ----------------------------------------------------------------------------------


def _normalize_axes(axis: Any, ndim: int, owner: str = "tensor") -> tuple[int, ...]:
    """``axis`` (None for all, an int, or a sequence of ints; negative counts from the end) as a
    tuple of axes in ``0..ndim-1``. A number (0 axes) accepts axis 0 or -1 and has none to
    reduce, as in torch."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    span = max(ndim, 1)
    normalized = []
    for ax in axes:
        if isinstance(ax, bool) or not isinstance(ax, int | np.integer):
            raise TypeError(f"{owner}: axes must be whole numbers, got {ax!r} in {axis!r}")
        if not -span <= ax < span:
            raise ValueError(
                f"{owner}: axis {ax} is out of range for a tensor with {ndim} axes "
                f"(expected {-span} to {span - 1})"
            )
        normalized.append(int(ax) % span)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{owner}: axis {axis!r} names the same axis twice")
    return tuple(normalized) if ndim else ()


def _expand_reduced(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes (as size 1) so ``g`` broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


def sum_(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when None)."""
    axes = _normalize_axes(axis, a.data.ndim, "sum")
    shape = a.data.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (np.broadcast_to(_expand_reduced(g, axes, keepdims), shape),)

    return Tensor._make(np.asarray(a.data.sum(axis=axes, keepdims=keepdims)), (a,), backward, "sum")


def mean(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when None); NaN for an empty selection, as NumPy."""
    axes = _normalize_axes(axis, a.data.ndim, "mean")
    count = int(np.prod([a.data.shape[ax] for ax in axes])) if axes else 1
    total = sum_(a, axes, keepdims)
    if count == 0:
        return total * np.nan
    return total * (1.0 / count)


def _extreme(a: Tensor, axis: Any, keepdims: bool, fn: Callable[..., Any], op: str) -> Tensor:
    axes = _normalize_axes(axis, a.data.ndim, op)
    if a.data.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {a.shape}")
    out = np.asarray(fn(a.data, axis=axes, keepdims=True))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # The gradient goes to the elements equal to the extreme, shared among ties (as amax).
        hits = a.data == out
        counts = hits.sum(axis=axes, keepdims=True, dtype=g.dtype)  # (an int count upcasts)
        return (_expand_reduced(g, axes, keepdims) * hits / counts,)

    result = out if keepdims else np.squeeze(out, axis=axes)
    return Tensor._make(np.asarray(result), (a,), backward, op)


def max_(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest value over ``axis``; ties share the gradient equally (as ``torch.amax``)."""
    return _extreme(a, axis, keepdims, np.max, "max")


def min_(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest value over ``axis``; ties share the gradient equally (as ``torch.amin``)."""
    return _extreme(a, axis, keepdims, np.min, "min")


def var(a: Tensor, axis: Any = None, keepdims: bool = False, correction: int = 1) -> Tensor:
    """Variance over ``axis``, dividing by ``n - correction`` (1 by default, as PyTorch).

    Use ``correction=0`` for NumPy's and Keras' population variance.
    """
    axes = _normalize_axes(axis, a.data.ndim, "var")
    count = int(np.prod([a.data.shape[ax] for ax in axes])) if axes else 1
    centered = a - mean(a, axes, keepdims=True)
    total = sum_(centered * centered, axes, keepdims)
    divisor = count - correction
    if divisor <= 0:
        return total * np.nan
    return total * (1.0 / divisor)


def prod(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (all axes when None).

    The gradient of each element is the product of the others (computed from running products
    from both sides, so it is exact where elements are 0, as torch's).
    """
    axes = _normalize_axes(axis, a.data.ndim, "prod")
    out = np.asarray(np.prod(a.data, axis=axes, keepdims=keepdims))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        x = a.data
        kept = [i for i in range(x.ndim) if i not in axes]
        order = kept + list(axes)
        moved = np.transpose(x, order)
        count = int(np.prod([x.shape[ax] for ax in axes]))
        if count == 0 or x.size == 0:
            return (np.zeros(x.shape, dtype=g.dtype),)
        rows = moved.reshape(moved.shape[: len(kept)] + (count,))  # the reduced axes as one
        ones = np.ones(rows.shape[:-1] + (1,), dtype=rows.dtype)
        before = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = np.transpose((before * after).reshape(moved.shape), np.argsort(order))
        return (_expand_reduced(g, axes, keepdims) * others,)

    return Tensor._make(out, (a,), backward, "prod")


def cumsum(a: Tensor, axis: int) -> Tensor:
    """Running sum along ``axis``; the gradient is the running sum of ``g`` from the other end."""
    ax = _single_axis(a, axis, "cumsum")
    if ax is None:  # a number: its running sum is itself
        return clone(a)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax),)

    return Tensor._make(np.cumsum(a.data, axis=ax), (a,), backward, "cumsum")


def _single_axis(a: Tensor, axis: Any, op: str) -> int | None:
    """One axis of ``a`` (None for a tensor with no axes); a tuple of several is refused."""
    if not isinstance(axis, int | np.integer):
        raise TypeError(f"{op}: expected one axis (a whole number), got {axis!r}")
    axes = _normalize_axes(axis, a.data.ndim, op)
    return axes[0] if axes else None


def _arg_extreme(a: Tensor, axis: Any, keepdims: bool, pick: Callable[..., Any], op: str) -> Tensor:
    """``argmax``/``argmin``: int64 indices along one axis, or into the flattened tensor."""
    if a.data.size == 0:
        raise ValueError(f"{op}: cannot take the {op} of an empty tensor of shape {a.shape}")
    if axis is None:
        flat_index = np.asarray(pick(a.data), dtype=np.int64)
        return Tensor(flat_index.reshape((1,) * a.data.ndim) if keepdims else flat_index)
    ax = _single_axis(a, axis, op)
    if ax is None:
        return Tensor(np.zeros((), dtype=np.int64))
    return Tensor(np.asarray(pick(a.data, axis=ax, keepdims=keepdims), dtype=np.int64))


class ValuesIndices(NamedTuple):
    """What ``x.max(dim)`` and ``x.min(dim)`` return, as torch: the values and their indices."""

    values: Tensor
    indices: Tensor


def _values_and_indices(
    a: Tensor, axis: Any, keepdims: bool, pick: Callable[..., Any], op: str
) -> ValuesIndices:
    """torch's ``max(dim)``/``min(dim)``: the extreme values along one axis and where they are
    (the first among ties); the gradient goes to those places only."""
    indices = _arg_extreme(a, axis, True, pick, op)
    ax = _single_axis(a, axis, op)
    if ax is None:
        return ValuesIndices(clone(a), indices)
    values = gather(a, ax, indices)
    if not keepdims:
        values, indices = squeeze(values, ax), squeeze(indices, ax)
    return ValuesIndices(values, indices)


# -- shapes --------------------------------------------------------------------------------------


def reshape(a: Tensor, shape: Any) -> Tensor:
    """The same elements in a new shape (one size may be -1)."""
    source = a.data.shape
    try:
        out = a.data.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape {source} ({a.data.size} elements) into {shape}"
        ) from None

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g.reshape(source),)

    return Tensor._make(out, (a,), backward, "reshape")


def permute(a: Tensor, axes: Any = None) -> Tensor:
    """Put the axes in the order ``axes`` (a permutation of all of them; reversed when None)."""
    if isinstance(axes, int | np.integer):  # x.permute(0) of a vector: one axis, not a tuple
        axes = (axes,)
    perm = tuple(range(a.data.ndim))[::-1] if axes is None else tuple(int(x) for x in axes)
    if sorted(p % max(a.data.ndim, 1) for p in perm) != list(range(a.data.ndim)):
        raise ValueError(
            f"permute: {perm} is not an order of all {a.data.ndim} axes of shape {a.shape}; "
            "name each axis once (to swap two axes, use x.transpose(dim0, dim1))"
        )
    inverse = tuple(np.argsort([p % a.data.ndim for p in perm]))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (np.transpose(g, inverse),)

    return Tensor._make(np.transpose(a.data, perm), (a,), backward, "permute")


def swapaxes(a: Tensor, axis1: Any, axis2: Any) -> Tensor:
    """Swap two axes (torch's ``transpose(dim0, dim1)``); a number is returned unchanged."""
    first = _single_axis(a, axis1, "transpose")
    second = _single_axis(a, axis2, "transpose")
    if first is None or second is None:
        return a
    order = list(range(a.data.ndim))
    order[first], order[second] = order[second], order[first]
    return permute(a, order)


def flatten(a: Tensor, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge the axes ``start_axis`` to ``end_axis`` (both included) into one axis.

    A number becomes a vector of one element, as in torch.
    """
    if a.data.ndim == 0:
        return reshape(a, (1,))
    start = _single_axis(a, start_axis, "flatten")
    end = _single_axis(a, end_axis, "flatten")
    assert start is not None and end is not None
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_axis} comes after end_dim {end_axis} for a tensor of "
            f"shape {a.shape}; give start_dim <= end_dim"
        )
    shape = a.data.shape
    merged = int(np.prod(shape[start : end + 1]))
    return reshape(a, shape[:start] + (merged,) + shape[end + 1 :])


def broadcast_to(a: Tensor, shape: Any) -> Tensor:
    """Stretch size-1 axes (and add leading ones) to ``shape``, without copying."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    # PyTorch's expand: -1 keeps the size of that axis.
    offset = len(shape) - a.data.ndim
    shape = tuple(
        a.data.shape[i - offset] if n == -1 and i >= offset else n for i, n in enumerate(shape)
    )
    source = a.data.shape
    try:
        out = np.broadcast_to(a.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {source} to {shape}") from None

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (unbroadcast(g, source),)

    return Tensor._make(out, (a,), backward, "broadcast_to")


def squeeze(a: Tensor, axis: Any = None) -> Tensor:
    """Remove size-1 axes: all of them, or those named that have size 1 (a named axis of another
    size stays, as in torch)."""
    source = a.data.shape
    if axis is None:
        out = np.squeeze(a.data)
    else:
        axes = _normalize_axes(axis, a.data.ndim, "squeeze")
        out = np.squeeze(a.data, axis=tuple(ax for ax in axes if source[ax] == 1))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g.reshape(source),)

    return Tensor._make(out, (a,), backward, "squeeze")


def unsqueeze(a: Tensor, axis: int) -> Tensor:
    """Insert a size-1 axis at position ``axis``."""
    source = a.data.shape
    if not -a.data.ndim - 1 <= axis <= a.data.ndim:
        raise ValueError(f"unsqueeze: axis {axis} is out of range for {a.data.ndim} axes")

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g.reshape(source),)

    return Tensor._make(np.expand_dims(a.data, axis), (a,), backward, "unsqueeze")


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``dim=`` is torch's name for ``axis``)."""
    axis = _join_axis("concatenate", axis, dim)
    parts = tuple(_lift(t) for t in tensors)
    if not parts:
        raise ValueError("concatenate: expected at least one tensor, got none")
    try:
        out = np.concatenate([p.data for p in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError) as exc:
        shapes = ", ".join(str(p.shape) for p in parts)
        raise ValueError(f"concatenate: shapes {shapes} along axis {axis}: {exc}") from None
    bounds = np.cumsum([p.data.shape[axis] for p in parts])[:-1]

    def backward(g: np.ndarray) -> list[np.ndarray]:
        return np.split(g, bounds, axis=axis)

    return Tensor._make(out, parts, backward, "concatenate")


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing axis (torch's name for :func:`concatenate`)."""
    return concatenate(tensors, dim)


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis (``dim=`` is torch's name for ``axis``)."""
    axis = _join_axis("stack", axis, dim)
    parts = tuple(_lift(t) for t in tensors)
    if not parts:
        raise ValueError("stack: expected at least one tensor, got none")
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    ndim = parts[0].data.ndim + 1  # the result's
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"stack: axis {axis} is out of range for stacking tensors of shape {parts[0].shape} "
            f"(expected {-ndim} to {ndim - 1})"
        )
    out = np.stack([p.data for p in parts], axis=axis)
    ax = axis % out.ndim

    def backward(g: np.ndarray) -> list[np.ndarray]:
        return [np.take(g, i, axis=ax) for i in range(len(parts))]

    return Tensor._make(out, parts, backward, "stack")


def _join_axis(owner: str, axis: Any, dim: Any, default: int = 0) -> int:
    """The one axis a function takes, given as NumPy's ``axis`` or torch's ``dim``."""
    if dim is not None:
        if axis != default:
            raise TypeError(f"{owner}: got both axis={axis!r} and dim={dim!r}; pass one of them")
        axis = dim
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{owner}: axis must be a whole number, got {axis!r}")
    return int(axis)


def repeat(a: Tensor, sizes: Any) -> Tensor:
    """Tile ``a`` ``sizes[i]`` times along axis ``i`` (torch's ``repeat``, NumPy's ``tile``).

    ``sizes`` may name more axes than ``a`` has: ``a`` then gains leading axes of size 1.
    """
    sizes = (sizes,) if isinstance(sizes, int | np.integer) else tuple(sizes)
    sizes = tuple(whole("repeat", "each size", n) for n in sizes)
    if len(sizes) < a.data.ndim:
        raise ValueError(
            f"repeat: got {len(sizes)} sizes for a tensor of shape {a.shape}; give one size "
            "per axis (1 keeps an axis as it is)"
        )
    shape = (1,) * (len(sizes) - a.data.ndim) + a.data.shape
    out = np.tile(a.data.reshape(shape), sizes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # Along each axis, element r * n + j of the result is copy r of element j.
        pairs = g.reshape(tuple(x for pair in zip(sizes, shape) for x in pair))
        summed = pairs.sum(axis=tuple(range(0, 2 * len(sizes), 2)))
        return (summed.reshape(a.data.shape),)

    return Tensor._make(out, (a,), backward, "repeat")


def _is_basic_index(index: Any) -> bool:
    """True when ``index`` selects a view (ints, slices, None, ...): no element repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | slice | np.integer) or i is None or i is Ellipsis for i in items)


def getitem(a: Tensor, index: Any) -> Tensor:
    """Indexing as NumPy: integers, slices, integer arrays and boolean masks.

    The gradient is scattered back to the selected places; repeated indices accumulate.
    """
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    try:
        out = a.data[index]
    except IndexError as exc:
        raise IndexError(f"index: {exc} (tensor of shape {a.shape})") from None
    basic = _is_basic_index(index)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        grad = np.zeros(a.data.shape, dtype=g.dtype)
        if basic:
            grad[index] = g
        else:
            np.add.at(grad, index, g)
        return (grad,)

    return Tensor._make(np.asarray(out), (a,), backward, "getitem")


def clone(a: Tensor) -> Tensor:
    """A copy of ``a``'s data that stays in the graph: the gradient flows back unchanged."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (g,)

    return Tensor._make(a.data.copy(), (a,), backward, "clone")


def gather(a: Tensor, axis: int, index: Any) -> Tensor:
    """Pick along ``axis`` the elements ``index`` names (torch's ``gather``).

    ``index`` is an integer array with as many axes as ``a``; along ``axis`` it holds positions,
    along the other axes it may be shorter than ``a``. For ``axis=1``:
    ``out[i, j] = a[i, index[i, j]]``. The gradient is added back to the picked places (a place
    picked twice receives both).
    """
    idx = np.asarray(_data(index))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must hold integers, got dtype {idx.dtype}")
    if a.data.ndim == 0:
        return reshape(gather(reshape(a, (1,)), 0, idx.reshape(1)), ())
    ax = _single_axis(a, axis, "gather")
    assert ax is not None
    if idx.ndim != a.data.ndim or any(
        m > n for d, (m, n) in enumerate(zip(idx.shape, a.shape)) if d != ax
    ):
        raise ValueError(
            f"gather: index of shape {idx.shape} does not fit a tensor of shape {a.shape}: it "
            f"needs {a.data.ndim} axes, each no longer than the tensor's except axis {ax}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= a.shape[ax]):
        raise ValueError(
            f"gather: index values from {idx.min()} to {idx.max()} are outside "
            f"0..{a.shape[ax] - 1} (axis {ax} of shape {a.shape})"
        )
    places: list[Any] = list(np.indices(idx.shape, sparse=True))
    places[ax] = idx
    where_ = tuple(places)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        grad = np.zeros(a.data.shape, dtype=g.dtype)
        np.add.at(grad, where_, g)
        return (grad,)

    return Tensor._make(a.data[where_], (a,), backward, "gather")


def masked_fill(a: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where the boolean ``mask`` holds, else ``a`` (torch's ``masked_fill``).

    ``mask`` broadcasts to ``a``'s shape; ``value`` is a number or a tensor holding one (its
    gradient is the sum of the gradient over the filled places).
    """
    m = np.asarray(_data(mask))
    if m.dtype != np.bool_:
        raise TypeError(
            f"masked_fill: mask must be boolean, got dtype {m.dtype}; compare first, e.g. x > 0"
        )
    try:
        m = np.broadcast_to(m, a.data.shape)
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} cannot be broadcast to the tensor's {a.shape}"
        ) from None
    v = _lift(value)
    if np.ndim(v.data) != 0:
        raise ValueError(
            f"masked_fill: value must be a single number, got a tensor of shape {v.shape}"
        )
    out = np.where(m, np.asarray(v.data).astype(a.data.dtype), a.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        gv = np.asarray(g[m].sum(), dtype=np.asarray(v.data).dtype) if v.requires_grad else None
        return np.where(m, 0, g).astype(g.dtype, copy=False), gv

    return Tensor._make(out, (a, v), backward, "masked_fill")


# -- Graphviz --------------------------------------------------------------------------------------


def _to_dot(root: Tensor) -> str:
    def label(t: Tensor) -> str:
        value = np.array2string(np.asarray(t.data), precision=4, threshold=6)
        text = f"{t._op or 'leaf'} {t.shape}\\ndata {value}"
        if t.grad is not None:
            text += f"\\ngrad {np.array2string(t.grad, precision=4, threshold=6)}"
        return text.replace('"', "'")

    lines = ["digraph humblenet {", "  rankdir=LR;", "  node [shape=record];"]
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        lines.append(f'  n{id(node)} [label="{label(node)}"];')
        for parent in node._parents:
            lines.append(f"  n{id(parent)} -> n{id(node)};")
            stack.append(parent)
    lines.append("}")
    return "\n".join(lines)
