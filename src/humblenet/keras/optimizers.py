"""Keras' optimizers: built without parameters, with Keras' argument names and defaults, and
bound to the model's parameters when it is compiled.

Each builds the humblenet optimizer of :mod:`humblenet.optim` that applies the same rule
(``bind(parameters)``), so nothing is re-implemented. Keras' ``epsilon`` is placed where PyTorch
places it (added to the root of the second moment, not under it, and not bias-corrected), which
changes steps only in the last digits; Keras' defaults are kept (``epsilon=1e-7``; RMSprop's
``learning_rate=0.001``, ``rho=0.9``; Adagrad's ``initial_accumulator_value=0.1``).

>>> optimizer = Adam(learning_rate=0.01)
>>> from humblenet import Tensor
>>> bound = optimizer.bind([Tensor([1.0], requires_grad=True)])
>>> type(bound).__name__, bound.learning_rate, bound.eps
('Adam', 0.01, 1e-07)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from humblenet import optim, validation
from humblenet.tensor import Tensor

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "get"]


_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


class Optimizer:
    """What the Keras optimizers share: the settings, kept until ``bind`` builds the optimizer.

    Keras' gradient clipping is taken too (at most one of them, as Keras requires), applied to
    the gradients at each step before the update: ``clipnorm`` scales each parameter's gradient
    down to that norm, ``global_clipnorm`` all gradients together to that total norm, and
    ``clipvalue`` clips each number to ``[-clipvalue, clipvalue]``. Keras' other options
    (``name``, ``ema_momentum`` ...) are accepted and have no effect.
    """

    def __init__(self, clipping: dict[str, Any] | None = None, **settings: Any) -> None:
        self.settings = settings
        self.bound: optim.Optimizer | None = None
        given = {k: v for k, v in (clipping or {}).items() if k in _CLIPPING and v is not None}
        if len(given) > 1:
            raise ValueError(
                f"keras.optimizers.{type(self).__name__}: only one of clipnorm, clipvalue and "
                f"global_clipnorm can be set, got {', '.join(sorted(given))}"
            )
        self.clipping: tuple[str, float] | None = None
        for name, value in given.items():
            self.clipping = (name, validation.positive(type(self).__name__, name, value))
            settings[name] = value  # shown by repr

    def _clip(self, parameters: list[Tensor]) -> None:
        """Clip the parameters' gradients in place (``clipping``'s rule)."""
        assert self.clipping is not None
        name, limit = self.clipping
        grads = [p.grad for p in parameters if p.grad is not None]
        if name == "clipvalue":
            for g in grads:
                np.clip(g, -limit, limit, out=g)
            return
        norms = [math.sqrt(float(np.vdot(g, g))) for g in grads]
        if name == "global_clipnorm":  # one norm for all: scaled together
            norms = [math.sqrt(sum(n * n for n in norms))] * len(grads)
        for norm, g in zip(norms, grads):
            if norm > limit:
                np.multiply(g, limit / norm, out=g, casting="unsafe")

    @property
    def learning_rate(self) -> float:
        if self.bound is not None:
            return float(self.bound.learning_rate)
        return float(self.settings["learning_rate"])

    def _build(self, parameters: list[Tensor]) -> optim.Optimizer:
        raise NotImplementedError

    def bind(self, parameters: Iterable[Tensor]) -> optim.Optimizer:
        """The humblenet optimizer that updates ``parameters`` with these settings."""
        self.bound = self._build(list(parameters))
        if self.clipping is not None:
            self.bound.clip_gradients = self._clip
        return self.bound

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self.settings.items())
        return f"keras.optimizers.{type(self).__name__}({settings})"


def _no_weight_decay(owner: str, weight_decay: Any) -> None:
    if weight_decay not in (None, 0, 0.0):
        raise ValueError(
            f"{owner}: weight_decay is not supported here (Keras decouples it from the gradient); "
            "use keras.optimizers.AdamW, or humblenet.optim with L2 weight_decay"
        )


class SGD(Optimizer):
    """Keras' SGD: ``learning_rate=0.01, momentum=0.0, nesterov=False``."""

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        **ignored: Any,
    ) -> None:
        _no_weight_decay("SGD", weight_decay)
        super().__init__(ignored, learning_rate=learning_rate, momentum=momentum, nesterov=nesterov)

    def _build(self, parameters: list[Tensor]) -> optim.Optimizer:
        s = self.settings
        return optim.SGD(parameters, s["learning_rate"], s["momentum"], nesterov=s["nesterov"])


class RMSprop(Optimizer):
    """Keras' RMSprop: ``learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7``."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        **ignored: Any,
    ) -> None:
        _no_weight_decay("RMSprop", weight_decay)
        super().__init__(
            ignored,
            learning_rate=learning_rate,
            rho=rho,
            momentum=momentum,
            epsilon=epsilon,
            centered=centered,
        )

    def _build(self, parameters: list[Tensor]) -> optim.Optimizer:
        s = self.settings
        return optim.RMSprop(
            parameters,
            s["learning_rate"],
            alpha=s["rho"],
            eps=s["epsilon"],
            momentum=s["momentum"],
            centered=s["centered"],
        )


class Adam(Optimizer):
    """Keras' Adam: ``learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7``."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float | None = None,
        **ignored: Any,
    ) -> None:
        _no_weight_decay("Adam", weight_decay)
        super().__init__(
            ignored,
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
        )

    def _build(self, parameters: list[Tensor]) -> optim.Optimizer:
        s = self.settings
        decay = {"weight_decay": s["weight_decay"]} if "weight_decay" in s else {}
        return (optim.AdamW if decay else optim.Adam)(
            parameters,
            s["learning_rate"],
            betas=(s["beta_1"], s["beta_2"]),
            eps=s["epsilon"],
            amsgrad=s["amsgrad"],
            **decay,
        )


class AdamW(Adam):
    """Keras' AdamW: ``learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
    epsilon=1e-7`` (Adam's settings and build, with decoupled weight decay)."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **ignored: Any,
    ) -> None:
        Optimizer.__init__(
            self,
            ignored,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
        )


class Adagrad(Optimizer):
    """Keras' Adagrad: ``learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7``."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        weight_decay: float | None = None,
        **ignored: Any,
    ) -> None:
        _no_weight_decay("Adagrad", weight_decay)
        super().__init__(
            ignored,
            learning_rate=learning_rate,
            initial_accumulator_value=initial_accumulator_value,
            epsilon=epsilon,
        )

    def _build(self, parameters: list[Tensor]) -> optim.Optimizer:
        s = self.settings
        return optim.Adagrad(
            parameters,
            s["learning_rate"],
            initial_accumulator_value=s["initial_accumulator_value"],
            eps=s["epsilon"],
        )


_BY_NAME: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": Adagrad,
}


def get(identifier: Any) -> Any:
    """A Keras optimizer from a name (with Keras' defaults), or the object itself."""
    if isinstance(identifier, str):
        if identifier.lower() not in _BY_NAME:
            known = ", ".join(sorted(_BY_NAME))
            raise ValueError(f"unknown optimizer {identifier!r}; known optimizers: {known}")
        return _BY_NAME[identifier.lower()]()
    return identifier
