"""Reverse-mode automatic differentiation on single numbers: the ``Value`` class.

Parts 4 to 8 of the series work out every derivative by hand. A ``Value`` does it for us: it
holds one number, remembers which operation made it and from which Values, and ``backward()``
applies the chain rule from the end of a calculation back to every number that went into it.
Pure Python (only ``math`` and ``numbers``): this module never imports NumPy.

Part 4's derivative, ``input * (prediction - target)``, computed instead of derived:

>>> weight = Value(10.0, label="weight")
>>> error = 0.5 * (0.2 * weight - 8) ** 2
>>> error.backward()
>>> weight.grad
-1.2000000000000002
>>> 0.2 * (0.2 * 10.0 - 8)
-1.2000000000000002
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable


def _real(x: object) -> float:
    """Return ``x`` as a float if it is a real number; raise a TypeError that says how otherwise."""
    if isinstance(x, float | int) or isinstance(x, numbers.Real):  # the quick check first
        return float(x)  # int, float, bool, Fraction, NumPy's float types...
    raise TypeError(
        f"expected a Value or a real number (int or float), got {type(x).__name__} {x!r:.60}; "
        "convert it first, for example with float(...)"
    )


def _as_value(x: object) -> Value:
    """Wrap a plain number in a Value, so that every operator accepts both."""
    return x if isinstance(x, Value) else Value(_real(x))


def _power(base: float, exponent: float) -> float:
    """``base ** exponent``, where an overflow gives +-inf (as in PyTorch) instead of an error."""
    try:
        return float(base**exponent)
    except OverflowError:  # Python raises here, although 1e200 * 1e200 quietly gives inf
        negative = base < 0 and exponent % 2 == 1  # only an odd power keeps a minus sign
        return -math.inf if negative else math.inf


def _no_gradient(grad: float) -> None:
    """The backward step of a leaf: nothing made it, so there is nowhere to push a gradient."""


class Value:
    """One number that remembers how it was computed, so that ``backward()`` finds gradients.

    Args:
        data: the number (int, float or any real number; stored as a float).
        label: an optional name, shown by ``repr`` and ``to_dot``.

    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> x
    Value(data=3.0, grad=8.0, label='x')
    """

    # A training loop makes many small Values. __slots__ keeps each small (no per-object dict),
    # and no closure below refers to its own output, so a graph holds no reference cycles: Python
    # frees it by reference counting, without the garbage collector's slow sweeps.
    __slots__ = ("data", "grad", "label", "_parents", "_op", "_backward")

    def __init__(
        self, data: float, label: str = "", _parents: tuple[Value, ...] = (), _op: str = ""
    ) -> None:
        self.data = _real(data)
        self.grad = 0.0  # d(the Value backward() was called on) / d(this Value)
        self.label = label
        self._parents = _parents  # the Values this one was computed from
        self._op = _op  # the operation that made it, for to_dot()
        # Called by backward() with this Value's gradient; adds each parent's share to its .grad.
        self._backward: Callable[[float], None] = _no_gradient

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # --- The primitives: each computes its output and a closure for the chain rule. ---------------
    # The closure receives the output's gradient and adds (+=) the local slope times it to each
    # parent: += because a Value used twice (x * x) receives a share from each use.

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, _parents=(self, other), _op="+")

        def _backward(grad: float) -> None:
            self.grad += grad  # d(a + b)/da = 1: the gradient passes through unchanged
            other.grad += grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, _parents=(self, other), _op="*")

        def _backward(grad: float) -> None:
            self.grad += other.data * grad  # d(a * b)/da = b
            other.grad += self.data * grad  # d(a * b)/db = a

        out._backward = _backward
        return out

    def __pow__(self, exponent: Value | float) -> Value:
        if isinstance(exponent, Value):
            return self._power_of_value(exponent)
        x, n = self.data, _real(exponent)
        if x < 0 and not n.is_integer():
            raise ValueError(
                f"{x!r} ** {n!r} is not a real number (a negative base to a fractional power); "
                "use an integer exponent or a positive base"
            )
        out = Value(_power(x, n), _parents=(self,), _op=f"**{n:g}")

        def _backward(grad: float) -> None:
            # d(x ** n)/dx = n * x ** (n - 1), written out where that formula cannot be evaluated:
            if n == 0:
                slope = 0.0  # x ** 0 is the constant 1
            elif x == 0 and n < 1:
                slope = math.inf  # a root at 0 (0 < n < 1): the curve starts vertically
            else:
                slope = n * _power(x, n - 1)
            self.grad += slope * grad

        out._backward = _backward
        return out

    def _power_of_value(self, exponent: Value) -> Value:
        """``self ** exponent`` where the exponent is a Value too, so it gets a gradient."""
        a, b = self.data, exponent.data
        if a <= 0:  # d(a ** b)/db = a ** b * log(a) needs log(a)
            raise ValueError(
                f"a Value exponent needs a positive base, got base {a!r}; use a number exponent "
                "(x ** 2) when the base can be zero or negative"
            )
        out = Value(_power(a, b), _parents=(self, exponent), _op="**")
        result = out.data

        def _backward(grad: float) -> None:
            self.grad += b * _power(a, b - 1) * grad  # d(a ** b)/da = b * a ** (b - 1)
            exponent.grad += result * math.log(a) * grad  # d(a ** b)/db = a ** b * log(a)

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """``e ** self``; overflows to inf (as in PyTorch) above about 709."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            e = math.inf
        out = Value(e, _parents=(self,), _op="exp")

        def _backward(grad: float) -> None:
            self.grad += e * grad  # exp is its own slope

        out._backward = _backward
        return out

    def log(self) -> Value:
        """The natural logarithm; a ValueError for zero or a negative number."""
        x = self.data
        if x <= 0:
            raise ValueError(
                f"log needs a positive number, got {x!r}; check what makes it zero or negative "
                "(a probability of exactly 0? clamp it or compute the loss from logits)"
            )
        out = Value(math.log(x), _parents=(self,), _op="log")

        def _backward(grad: float) -> None:
            self.grad += grad / x  # d(log x)/dx = 1 / x

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """The hyperbolic tangent, between -1 and 1."""
        t = math.tanh(self.data)  # math.tanh saturates to +-1 without overflow
        out = Value(t, _parents=(self,), _op="tanh")

        def _backward(grad: float) -> None:
            # d(tanh x)/dx = 1 - tanh(x) ** 2, as (1 - t) * (1 + t): near t = 1, 1 - t is exact,
            # where 1 - t * t would first round t * t and lose digits.
            self.grad += (1 - t) * (1 + t) * grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """The logistic function ``1 / (1 + e ** -self)``, between 0 and 1, stable at +-1000."""
        x = self.data
        if x >= 0:
            s = 1 / (1 + math.exp(-x))  # e ** -x is at most 1 here
        else:  # e ** -x would overflow: the same value written as e ** x / (1 + e ** x)
            e = math.exp(x)
            s = e / (1 + e)
        out = Value(s, _parents=(self,), _op="sigmoid")

        def _backward(grad: float) -> None:
            self.grad += s * (1 - s) * grad  # d(sigmoid x)/dx = sigmoid(x) * (1 - sigmoid(x))

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """``max(0, self)``; its slope is 1 where the input is positive, 0 elsewhere (also at 0)."""
        x = self.data
        out = Value(x if x > 0 else 0.0, _parents=(self,), _op="relu")

        def _backward(grad: float) -> None:
            self.grad += grad if x > 0 else 0.0

        out._backward = _backward
        return out

    # --- Derived operators: one line each over the primitives. ------------------------------------
    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | float) -> Value:
        return self * _as_value(other) ** -1

    # Reflected operators: Python calls these for `2 * x`, `1 - x`, ... (a number on the left).
    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return _as_value(other) + (-self)

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) * self**-1

    def __rpow__(self, base: float) -> Value:
        return _as_value(base) ** self

    # --- The backward pass. -----------------------------------------------------------------------
    def _topological_order(self) -> list[Value]:
        """Every Value this one depends on, each listed after all the Values it was made from."""
        order: list[Value] = []
        visited: set[Value] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]  # an explicit stack: no recursion limit
        while stack:
            node, parents_done = stack.pop()
            if parents_done:  # second visit: everything it was made from is already listed
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))  # come back to it once its parents are listed
                # reversed: the first parent comes off the stack first, so it is listed first
                stack.extend((parent, False) for parent in reversed(node._parents))
        return order

    def backward(self) -> None:
        """Add d(self)/d(v) to ``v.grad`` for every Value ``v`` that ``self`` was computed from.

        Gradients accumulate: a second call adds the same amounts again (call ``zero_grad()``
        between training steps). Walks the graph with a loop, so any depth works.
        """
        order = self._topological_order()
        # Each Value must push exactly this pass's gradient to its parents, so start every .grad
        # from 0 and add back what earlier calls left there once the pass is over.
        earlier = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0  # d(self)/d(self)
        for node in reversed(order):  # from the output back towards the inputs
            node._backward(node.grad)
        for node, grad in zip(order, earlier, strict=True):
            node.grad += grad

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this Value and on every Value it was computed from."""
        for node in self._topological_order():
            node.grad = 0.0

    def to_dot(self) -> str:
        """The graph that made this Value, as Graphviz DOT text (render with ``dot -Tsvg``).

        Each Value is a box with its label, data and grad; each operation is an oval.

        >>> print((Value(2.0, label="a") * 3).to_dot())  # doctest: +ELLIPSIS
        digraph {
          rankdir=LR;
          v0 [shape=record, label="{ a | data 2 | grad 0 }"];
        ...
        """
        order = self._topological_order()
        names = {node: f"v{index}" for index, node in enumerate(order)}
        lines = ["digraph {", "  rankdir=LR;"]
        for node in order:
            name = names[node]
            caption = _dot_escape(node.label) + " | " if node.label else ""
            fields = f"{caption}data {node.data:.4g} | grad {node.grad:.4g}"
            lines.append(f'  {name} [shape=record, label="{{ {fields} }}"];')
            if node._op:  # an oval for the operation, with arrows from its inputs
                lines.append(f'  {name}_op [label="{_dot_escape(node._op)}"];')
                lines.append(f"  {name}_op -> {name};")
                lines.extend(f"  {names[parent]} -> {name}_op;" for parent in node._parents)
        return "\n".join([*lines, "}"])


def _dot_escape(text: str) -> str:
    """Escape the characters that DOT record labels give a meaning to."""
    return "".join("\\" + c if c in '\\"{}|<>' else c for c in text)
