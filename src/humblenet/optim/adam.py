"""``Adam`` and ``AdamW``: steps scaled by running averages of the gradient and of its square."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from humblenet import validation
from humblenet.optim import _fused
from humblenet.optim._flat import FLUSH_EVERY, FlatParameters
from humblenet.optim.optimizer import Optimizer, _learning_rate, _Scratch, _state_array
from humblenet.tensor import Tensor


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
    weakens for weights with large gradients; ``AdamW`` decouples it. The state holds m
    (``"exp_average"``), v (``"exp_average_square"``) and v̂ (``"max_exp_average_square"``).

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
    _decaying_state = ("exp_average", "exp_average_square")
    # AdamW sets this: the decay shrinks the weights instead of entering the gradient.
    _decoupled_weight_decay = False
    # False on an instance keeps the flat path on its NumPy passes, without the compiled
    # single-pass kernel (tests compare the two).
    _use_fused_kernel = True

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
        betas: Any = self.betas
        if not isinstance(betas, tuple | list):
            raise TypeError(
                f"{owner}: betas must be a pair (beta1, beta2), got {type(betas).__name__} "
                f"{betas!r}"
            )
        if len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            validation.fraction(owner, "betas[0]", betas[0]),
            validation.fraction(owner, "betas[1]", betas[1]),
        )
        self.eps = validation.non_negative(owner, "eps", self.eps)
        self.weight_decay = validation.non_negative(owner, "weight_decay", self.weight_decay)
        self.amsgrad = bool(self.amsgrad)

    def _update(
        self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], scratch: _Scratch
    ) -> None:
        learning_rate, weight_decay = self.learning_rate, self.weight_decay
        beta1, beta2 = self.betas
        work = scratch[0]
        if self._decoupled_weight_decay:  # AdamW's step 1: w ← w · (1 − learning_rate · decay)
            if weight_decay != 0.0:
                w *= 1.0 - learning_rate * weight_decay
        elif weight_decay != 0.0:  # 1. g ← g + weight_decay · w
            g = np.add(g, np.multiply(w, weight_decay, out=scratch[1]), out=scratch[1])
        m = _state_array(state, "exp_average", w)  # 2. m ← β₁ · m + (1 − β₁) · g
        m *= beta1
        m += np.multiply(g, 1.0 - beta1, out=work)
        v = _state_array(state, "exp_average_square", w)  # 3. v ← β₂ · v + (1 − β₂) · g²
        v *= beta2
        v += np.multiply(np.multiply(g, g, out=work), 1.0 - beta2, out=work)
        if self.amsgrad:  # 4. v̂ ← max(v̂, v)
            v_max = _state_array(state, "max_exp_average_square", w)
            v = np.maximum(v_max, v, out=v_max)
        if learning_rate == 0.0:
            return  # nothing moves (the end of a cosine schedule), even where m / √v is 0 / 0
        t = state["step"]
        c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t  # 5.
        denominator = np.sqrt(v, out=work)  # 6. w ← w − (learning_rate / c₁) · m / (√v / √c₂ + eps)
        denominator /= math.sqrt(c2)
        denominator += self.eps
        w -= np.multiply(np.divide(m, denominator, out=work), learning_rate / c1, out=work)

    def _flat_update(
        self, w: list[np.ndarray], g: list[np.ndarray], flat: FlatParameters, step: int
    ) -> None:
        learning_rate, weight_decay = self.learning_rate, self.weight_decay
        beta1, beta2 = self.betas
        if self._fused_update(w, g, flat, step):
            return
        gradient: Any = g  # per-parameter arrays until gathered into a flat array
        if self._decoupled_weight_decay:
            if weight_decay != 0.0:
                flat.apply(np.multiply, w, 1.0 - learning_rate * weight_decay, out=w)
        elif weight_decay != 0.0:
            decayed = flat.apply(np.multiply, w, weight_decay, out=flat.scratch(1))
            gradient = flat.apply(np.add, g, decayed, out=decayed)  # g + weight_decay · w
        # The averages are kept divided by (1 − β) here: m̃ = m / (1 − β₁), ṽ = v / (1 − β₂).
        # Then m̃ ← β₁ · m̃ + g and ṽ ← β₂ · ṽ + g², two passes fewer than the averages
        # themselves, and the factors (1 − β) join step 6's scalars. Reading optimizer.state
        # multiplies them back (FlatParameters.to_textbook).
        m = flat.state("exp_average", divisor=1.0 - beta1)
        v = flat.state("exp_average_square", divisor=1.0 - beta2)
        np.multiply(m, beta1, out=m)
        flat.apply(np.add, m, gradient, out=m)  # m̃ ← β₁ · m̃ + g
        square = flat.apply(np.multiply, gradient, gradient, out=flat.scratch(0))
        np.multiply(v, beta2, out=v)
        np.add(v, square, out=v)  # ṽ ← β₂ · ṽ + g²
        if self.amsgrad:
            v_max = flat.state("max_exp_average_square", divisor=1.0 - beta2)
            np.maximum(v_max, v, out=v_max)
            v = v_max
        if learning_rate == 0.0:
            return  # as in _update; and k below would be 0
        # Step 6 with m = (1 − β₁) · m̃ and √v = √(1 − β₂) · √ṽ, divided above and below by
        # k = learning_rate · (1 − β₁) / c₁ to save a pass: w ← w − m̃ / (√ṽ · r / k + eps / k),
        # with r = √((1 − β₂) / c₂). Rounding differs from _update's in the last places.
        k = learning_rate * (1.0 - beta1) / (1.0 - beta1**step)
        r = math.sqrt((1.0 - beta2) / (1.0 - beta2**step))
        denominator = np.sqrt(v, out=flat.scratch(0))
        np.multiply(denominator, r / k, out=denominator)
        np.add(denominator, self.eps / k, out=denominator)
        change = np.divide(m, denominator, out=denominator)
        flat.apply(np.subtract, w, change, out=w)

    def _fused_update(
        self, w: list[np.ndarray], g: list[np.ndarray], flat: FlatParameters, step: int
    ) -> bool:
        """``_flat_update`` in one compiled pass (``optim._fused``), when it can run; else False.

        The same float operations in the same order as the NumPy passes above (the same
        numbers bit for bit); amsgrad and a learning rate of 0 keep the NumPy passes.
        """
        kernel = _fused.adam_kernel() if self._use_fused_kernel else None
        learning_rate, weight_decay = self.learning_rate, self.weight_decay
        if kernel is None or self.amsgrad or learning_rate == 0.0:
            return False
        beta1, beta2 = self.betas
        mode = 0 if weight_decay == 0.0 else 2 if self._decoupled_weight_decay else 1
        decay = 1.0 - learning_rate * weight_decay if mode == 2 else weight_decay
        k = learning_rate * (1.0 - beta1) / (1.0 - beta1**step)
        r = math.sqrt((1.0 - beta2) / (1.0 - beta2**step))
        m = flat.state("exp_average", divisor=1.0 - beta1)
        v = flat.state("exp_average_square", divisor=1.0 - beta2)
        number = flat.dtype.type
        scalars = (number(beta1), number(beta2), number(decay), mode, number(r / k))
        flush = step % FLUSH_EVERY == 0  # the kernel flushes m̃ and ṽ itself (see _adam)
        tiny = number(np.finfo(flat.dtype).tiny)
        if not flat.run_kernel(kernel, w, g, (m, v), *scalars, number(self.eps / k), flush, tiny):
            return False
        if flush:
            flat.flushed = True
        return True


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
