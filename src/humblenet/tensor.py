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
from typing import Any

import numpy as np

# A backward function receives the gradient of an operation's result and returns one gradient
# per input (None where that input needs none).
BackwardFn = Callable[[np.ndarray], Sequence["np.ndarray | None"]]

_grad_enabled = True

# Marks an operation whose graph was already used by backward() and then released.
_FREED: Any = object()

DEFAULT_DTYPE = np.dtype(np.float32)
_ALLOWED_KINDS = "fiub"  # float, signed and unsigned integer, bool


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

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires one.

        Args:
            grad: the gradient of some final scalar with respect to this tensor; may be left
                out only when this tensor holds a single number (it is then 1).
            retain_graph: keep the graph so backward can run through it again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad, so there is nothing to "
                "differentiate; create the inputs with requires_grad=True"
            )
        if self._backward is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the tensor has shape {self.data.shape}, not a single number; "
                    "pass grad= of the same shape (e.g. ones) or reduce it first with .sum()"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward: grad has shape {seed.shape}, expected the tensor's {self.shape}"
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
    def size(self) -> int:
        return int(self.data.size)

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

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype``; the gradient flows back converted to the input's dtype."""
        source = self.data.dtype

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (g.astype(source),)

        return Tensor._make(_as_array(self.data, dtype).copy(), (self,), backward, "astype")

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

    def __hash__(self) -> int:
        return id(self)

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

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return sum_(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return max_(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return min_(self, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, correction: int = 1) -> Tensor:
        return var(self, axis, keepdims, correction)

    def exp(self) -> Tensor:
        return exp(self)

    def log(self) -> Tensor:
        return log(self)

    def sqrt(self) -> Tensor:
        return sqrt(self)

    def abs(self) -> Tensor:
        return abs_(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return clip(self, min, max)

    def reshape(self, *shape: Any) -> Tensor:
        return reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Tensor:
        return transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def permute(self, *axes: Any) -> Tensor:
        return transpose(self, axes[0] if len(axes) == 1 else axes)

    @property
    def T(self) -> Tensor:
        return transpose(self, None)

    def expand(self, *shape: Any) -> Tensor:
        return broadcast_to(self, shape[0] if len(shape) == 1 else shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return broadcast_to(self, shape)

    def squeeze(self, axis: Any = None) -> Tensor:
        return squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        return unsqueeze(self, axis)

    def flatten(self, start_axis: int = 0) -> Tensor:
        shape = self.data.shape
        start = start_axis % max(self.data.ndim, 1)
        return reshape(self, shape[:start] + (-1,))

    def to_dot(self) -> str:
        """Graphviz DOT text of the graph that produced this tensor, with values and gradients."""
        return _to_dot(self)


_FREED_MESSAGE = (
    "backward: trying to go back through a graph a second time; its intermediate results were "
    "released after the first backward. Pass retain_graph=True to the first backward() if you "
    "need to call it twice, or recompute the forward pass."
)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a :class:`Tensor` (the same as the constructor, named like ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


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
    """``base ** exponent``; a tensor exponent needs positive bases for its gradient."""
    base, exponent = _lift(base), _lift(exponent)
    out = _binary("pow", "**", base, exponent, np.power)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        b, e = base.data, exponent.data
        if not isinstance(b, np.ndarray):  # a Python number base takes the result's dtype
            b = np.asarray(b, dtype=out.dtype)
        gb = unbroadcast(g * e * np.power(b, e - 1), _shape_of(b)) if base.requires_grad else None
        ge = None
        if exponent.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_b = np.where(np.asarray(b) > 0, np.log(np.where(np.asarray(b) > 0, b, 1)), 0)
            ge = unbroadcast(g * out * log_b, _shape_of(e))
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


def _normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    normalized = []
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a tensor with {ndim} axes")
        normalized.append(int(ax) % max(ndim, 1))
    return tuple(normalized)


def _expand_reduced(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes (as size 1) so ``g`` broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


def sum_(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when None)."""
    axes = _normalize_axes(axis, a.data.ndim)
    shape = a.data.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (np.broadcast_to(_expand_reduced(g, axes, keepdims), shape),)

    return Tensor._make(np.asarray(a.data.sum(axis=axes, keepdims=keepdims)), (a,), backward, "sum")


def mean(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when None); NaN for an empty selection, as NumPy."""
    axes = _normalize_axes(axis, a.data.ndim)
    count = int(np.prod([a.data.shape[ax] for ax in axes])) if axes else 1
    total = sum_(a, axes, keepdims)
    if count == 0:
        return total * np.nan
    return total * (1.0 / count)


def _extreme(a: Tensor, axis: Any, keepdims: bool, fn: Callable[..., Any], op: str) -> Tensor:
    axes = _normalize_axes(axis, a.data.ndim)
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
    axes = _normalize_axes(axis, a.data.ndim)
    count = int(np.prod([a.data.shape[ax] for ax in axes])) if axes else 1
    centered = a - mean(a, axes, keepdims=True)
    total = sum_(centered * centered, axes, keepdims)
    divisor = count - correction
    if divisor <= 0:
        return total * np.nan
    return total * (1.0 / divisor)


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


def transpose(a: Tensor, axes: Any = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    if isinstance(axes, int | np.integer):  # x.permute(0) of a vector: one axis, not a tuple
        axes = (axes,)
    perm = tuple(range(a.data.ndim))[::-1] if axes is None else tuple(int(x) for x in axes)
    if sorted(p % max(a.data.ndim, 1) for p in perm) != list(range(a.data.ndim)):
        raise ValueError(f"transpose: {perm} is not a permutation of the {a.data.ndim} axes")
    inverse = tuple(np.argsort([p % a.data.ndim for p in perm]))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        return (np.transpose(g, inverse),)

    return Tensor._make(np.transpose(a.data, perm), (a,), backward, "transpose")


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
    """Remove size-1 axes (all of them, or those named); naming a larger axis is an error."""
    source = a.data.shape
    if axis is None:
        out = np.squeeze(a.data)
    else:
        axes = _normalize_axes(axis, a.data.ndim)
        bad = [ax for ax in axes if source[ax] != 1]
        if bad:
            raise ValueError(
                f"squeeze: axis {bad[0]} of shape {source} has size {source[bad[0]]}, not 1"
            )
        out = np.squeeze(a.data, axis=axes)

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


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
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


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    parts = tuple(_lift(t) for t in tensors)
    if not parts:
        raise ValueError("stack: expected at least one tensor, got none")
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    out = np.stack([p.data for p in parts], axis=axis)
    ax = axis % out.ndim

    def backward(g: np.ndarray) -> list[np.ndarray]:
        return [np.take(g, i, axis=ax) for i in range(len(parts))]

    return Tensor._make(out, parts, backward, "stack")


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
