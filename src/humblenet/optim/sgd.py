"""``SGD``: stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from humblenet import validation
from humblenet.optim._flat import FlatParameters
from humblenet.optim.optimizer import Optimizer, _learning_rate, _Scratch
from humblenet.tensor import Tensor


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
        self.momentum = validation.non_negative("SGD", "momentum", self.momentum)
        self.dampening = validation.fraction("SGD", "dampening", self.dampening, one_allowed=True)
        self.weight_decay = validation.non_negative("SGD", "weight_decay", self.weight_decay)
        self.nesterov = bool(self.nesterov)
        if self.nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={self.momentum}, dampening={self.dampening}; "
                "set momentum (e.g. 0.9) and dampening=0, or nesterov=False"
            )

    def _update(
        self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], scratch: _Scratch
    ) -> None:
        if self.weight_decay != 0.0:  # 1. g ← g + weight_decay · w
            g = np.add(g, np.multiply(w, self.weight_decay, out=scratch[1]), out=scratch[1])
        momentum = self.momentum
        if momentum != 0.0:  # 2. the buffer b and the direction d
            b = state.get("momentum_buffer")
            if b is None:  # b ← g at t = 1
                b = state["momentum_buffer"] = np.array(g, dtype=w.dtype, copy=True)
            else:  # b ← momentum · b + (1 − dampening) · g
                b *= momentum
                if self.dampening != 0.0:
                    b += np.multiply(g, 1.0 - self.dampening, out=scratch[0])
                else:  # (1 − 0) · g is g exactly: one pass fewer, the same numbers
                    b += g
            if self.nesterov:  # d = g + momentum · b
                g = np.add(g, np.multiply(b, momentum, out=scratch[0]), out=scratch[0])
            else:  # d = b
                g = b
        w -= np.multiply(g, self.learning_rate, out=scratch[0])  # 3. w ← w − learning_rate · d

    def _flat_update(
        self, w: list[np.ndarray], g: list[np.ndarray], flat: FlatParameters, step: int
    ) -> None:
        # g is a list of per-parameter arrays until a formula step gathers it into a flat array.
        direction: Any = g
        if self.weight_decay != 0.0:
            decayed = flat.apply(np.multiply, w, self.weight_decay, out=flat.scratch(1))
            direction = flat.apply(np.add, g, decayed, out=decayed)  # g + weight_decay · w
        momentum = self.momentum
        if momentum != 0.0:
            b = flat.arrays.get("momentum_buffer")
            if b is None:
                b = flat.state("momentum_buffer")
                flat.apply(np.positive, direction, out=b)  # b ← g (a copy)
            else:
                np.multiply(b, momentum, out=b)
                if self.dampening != 0.0:
                    scaled = flat.apply(
                        np.multiply, direction, 1.0 - self.dampening, out=flat.scratch(0)
                    )
                    np.add(b, scaled, out=b)
                else:  # (1 − 0) · g is g exactly: one pass fewer, the same numbers
                    flat.apply(np.add, b, direction, out=b)
            if self.nesterov:
                ahead = np.multiply(b, momentum, out=flat.scratch(0))
                direction = flat.apply(np.add, direction, ahead, out=ahead)  # g + momentum · b
            else:
                direction = b
        change = flat.apply(np.multiply, direction, self.learning_rate, out=flat.scratch(0))
        flat.apply(np.subtract, w, change, out=w)
