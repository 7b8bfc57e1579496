"""``Adagrad``: each weight's step shrinks with the sum of its squared gradients so far."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from humblenet import validation
from humblenet.optim._flat import FlatParameters
from humblenet.optim.optimizer import Optimizer, _learning_rate, _Scratch, _state_array
from humblenet.tensor import Tensor


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

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> w = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    >>> optimizer = Adagrad([w], learning_rate=0.5)
    >>> w.grad = np.array([4.0, 0.01])
    >>> optimizer.step()      # the first step is learning_rate · g / |g| whatever g's size
    >>> w.data.round(6)
    array([0.5, 0.5])
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
        owner = "Adagrad"
        self.learning_rate_decay = validation.non_negative(
            owner, "learning_rate_decay", self.learning_rate_decay
        )
        self.weight_decay = validation.non_negative(owner, "weight_decay", self.weight_decay)
        self.initial_accumulator_value = validation.non_negative(
            owner, "initial_accumulator_value", self.initial_accumulator_value
        )
        self.eps = validation.non_negative(owner, "eps", self.eps)

    def _rate(self, step: int) -> float:
        """η_t, the learning rate decayed for step t."""
        return self.learning_rate / (1.0 + (step - 1) * self.learning_rate_decay)

    def _update(
        self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], scratch: _Scratch
    ) -> None:
        rate = self._rate(state["step"])  # 1. η_t
        if self.weight_decay != 0.0:  # 2. g ← g + weight_decay · w
            g = np.add(g, np.multiply(w, self.weight_decay, out=scratch[1]), out=scratch[1])
        s = _state_array(state, "sum", w, self.initial_accumulator_value)
        s += np.multiply(g, g, out=scratch[0])  # 3. s ← s + g²
        denominator = np.sqrt(s, out=scratch[0])  # 4. w ← w − η_t · g / (√s + eps)
        denominator += self.eps
        w -= np.multiply(np.divide(g, denominator, out=scratch[0]), rate, out=scratch[0])

    def _flat_update(
        self, w: list[np.ndarray], g: list[np.ndarray], flat: FlatParameters, step: int
    ) -> None:
        gradient: Any = g  # per-parameter arrays until gathered into a flat array
        if self.weight_decay != 0.0:
            decayed = flat.apply(np.multiply, w, self.weight_decay, out=flat.scratch(0))
            gradient = flat.apply(np.add, g, decayed, out=decayed)  # g + weight_decay · w
        s = flat.state("sum", self.initial_accumulator_value)
        square = flat.apply(np.multiply, gradient, gradient, out=flat.scratch(1))
        np.add(s, square, out=s)  # s ← s + g²
        denominator = np.sqrt(s, out=flat.scratch(1))
        np.add(denominator, self.eps, out=denominator)
        change = flat.apply(np.divide, gradient, denominator, out=denominator)
        np.multiply(change, self._rate(step), out=change)  # η_t · g / (√s + eps)
        flat.apply(np.subtract, w, change, out=w)
