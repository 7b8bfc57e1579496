"""``RMSprop``: divide each step by a running root mean square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from humblenet import validation
from humblenet.optim._flat import FlatParameters
from humblenet.optim.optimizer import Optimizer, _learning_rate, _Scratch, _state_array
from humblenet.tensor import Tensor


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

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> w = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    >>> optimizer = RMSprop([w], learning_rate=0.01, alpha=0.75, eps=0.0)
    >>> w.grad = np.array([8.0, -0.5])
    >>> optimizer.step()      # v = 0.25 g², so the step is 0.01 · g / (|g| / 2) = ±0.02
    >>> w.data.round(6)
    array([0.98, 1.02])
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
        owner = "RMSprop"
        self.alpha = validation.fraction(owner, "alpha", self.alpha)
        self.eps = validation.non_negative(owner, "eps", self.eps)
        self.weight_decay = validation.non_negative(owner, "weight_decay", self.weight_decay)
        self.momentum = validation.non_negative(owner, "momentum", self.momentum)
        self.centered = bool(self.centered)

    def _update(
        self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], scratch: _Scratch
    ) -> None:
        alpha, work = self.alpha, scratch[0]
        if self.weight_decay != 0.0:  # 1. g ← g + weight_decay · w
            g = np.add(g, np.multiply(w, self.weight_decay, out=scratch[1]), out=scratch[1])
        v = _state_array(state, "square_average", w)  # 2. v ← alpha · v + (1 − alpha) · g²
        v *= alpha
        v += np.multiply(np.multiply(g, g, out=work), 1.0 - alpha, out=work)
        if (
            self.centered
        ):  # 3. m ← m + (1 − alpha) · (g − m), the same as alpha · m + (1 − alpha) · g
            m = _state_array(state, "grad_average", w)
            m += np.multiply(np.subtract(g, m, out=work), 1.0 - alpha, out=work)
            variance = np.subtract(v, np.multiply(m, m, out=work), out=work)  # v − m²
            sigma = np.sqrt(np.maximum(variance, 0.0, out=work), out=work)
        else:
            sigma = np.sqrt(v, out=work)
        sigma += self.eps  # σ
        direction = np.divide(g, sigma, out=work)  # 4. g / σ
        if self.momentum > 0.0:  # b ← momentum · b + g / σ
            b = _state_array(state, "momentum_buffer", w)
            b *= self.momentum
            b += direction
            direction = np.multiply(b, self.learning_rate, out=work)
        else:
            direction *= self.learning_rate
        w -= direction  # w ← w − learning_rate · (b or g / σ)

    def _flat_update(
        self, w: list[np.ndarray], g: list[np.ndarray], flat: FlatParameters, step: int
    ) -> None:
        alpha = self.alpha
        gradient: Any = g  # per-parameter arrays until gathered into a flat array
        if self.weight_decay != 0.0:
            decayed = flat.apply(np.multiply, w, self.weight_decay, out=flat.scratch(1))
            gradient = flat.apply(np.add, g, decayed, out=decayed)  # g + weight_decay · w
        scratch = flat.scratch(0)
        v = flat.state("square_average")
        np.multiply(v, alpha, out=v)
        flat.apply(np.multiply, gradient, gradient, out=scratch)
        np.multiply(scratch, 1.0 - alpha, out=scratch)
        np.add(v, scratch, out=v)  # v ← alpha · v + (1 − alpha) · g²
        if self.centered:
            m = flat.state("grad_average")
            flat.apply(np.subtract, gradient, m, out=scratch)
            np.multiply(scratch, 1.0 - alpha, out=scratch)
            np.add(m, scratch, out=m)  # m ← m + (1 − alpha) · (g − m)
            np.multiply(m, m, out=scratch)
            np.subtract(v, scratch, out=scratch)
            np.maximum(scratch, 0.0, out=scratch)
            sigma = np.sqrt(scratch, out=scratch)
        else:
            sigma = np.sqrt(v, out=scratch)
        np.add(sigma, self.eps, out=sigma)  # σ
        direction = flat.apply(np.divide, gradient, sigma, out=sigma)  # g / σ
        if self.momentum > 0.0:
            b = flat.state("momentum_buffer")
            np.multiply(b, self.momentum, out=b)
            np.add(b, direction, out=b)
            direction = np.multiply(b, self.learning_rate, out=scratch)
        else:
            np.multiply(direction, self.learning_rate, out=direction)
        flat.apply(np.subtract, w, direction, out=w)
