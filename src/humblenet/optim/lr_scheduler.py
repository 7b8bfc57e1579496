"""Learning-rate schedules: ``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR``.

A schedule changes an optimizer's ``learning_rate`` once per ``step()`` (once per epoch, as in
PyTorch's ``torch.optim.lr_scheduler``), computing each rate from the rate the optimizer had
when the schedule was made.
"""

from __future__ import annotations

import math
from typing import Any

from humblenet import validation
from humblenet.optim.optimizer import Optimizer

__all__ = ["LearningRateScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]


class LearningRateScheduler:
    """What the schedules share: call ``step()`` once per epoch to set the optimizer's rate.

    At construction the schedule records the optimizer's ``learning_rate`` as its base rate and
    its epoch counter is 0; each ``step()`` adds one to the epoch and sets
    ``optimizer.learning_rate`` to the schedule's value there (computed from the base rate, so a
    change made to ``optimizer.learning_rate`` by hand lasts until the next ``step()``).

    Attributes:
        optimizer: the optimizer whose ``learning_rate`` is set.
        base_learning_rate: the optimizer's learning rate when the schedule was made.
        epoch: how many times ``step()`` was called.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an optimizer (e.g. SGD(params)), "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_learning_rate = float(optimizer.learning_rate)
        self.epoch = 0

    def learning_rate_at(self, epoch: int) -> float:
        """The schedule's learning rate after ``epoch`` calls to ``step()``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate."""
        self.epoch += 1
        self.optimizer.learning_rate = self.learning_rate_at(self.epoch)

    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate (PyTorch's ``get_last_lr()``)."""
        return float(self.optimizer.learning_rate)

    def get_last_lr(self) -> list[float]:
        """``[learning_rate]``: PyTorch's name, one rate per parameter group (there is one)."""
        return [self.learning_rate]

    def state_dict(self) -> dict[str, Any]:
        """The epoch and the base rate, as plain numbers."""
        return {
            "scheduler": type(self).__name__,
            "epoch": self.epoch,
            "base_learning_rate": self.base_learning_rate,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (the optimizer's rate is restored with it)."""
        self.epoch, self.base_learning_rate = self._checked(state_dict)

    def check_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Raise the error ``load_state_dict(state_dict)`` would raise, changing nothing."""
        self._checked(state_dict)

    def _checked(self, state_dict: dict[str, Any]) -> tuple[int, float]:
        owner = f"{type(self).__name__}.load_state_dict"
        kind = state_dict.get("scheduler")
        if kind != type(self).__name__:
            raise ValueError(f"{owner}: the state dict is from {kind!r}, not {type(self).__name__}")
        try:
            return int(state_dict["epoch"]), float(state_dict["base_learning_rate"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{owner}: the state dict needs an integer 'epoch' and a number "
                f"'base_learning_rate' ({error!r})"
            ) from None


class StepLR(LearningRateScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    After e epochs: learning_rate = base_learning_rate · gamma^⌊e / step_size⌋
    (PyTorch's ``torch.optim.lr_scheduler.StepLR``).

    Args:
        optimizer: the optimizer to schedule.
        step_size: epochs between two decays, a whole number >= 1.
        gamma: the factor, > 0 (0.1 by default).

    >>> import numpy as np
    >>> from humblenet import Tensor
    >>> from humblenet.optim import SGD
    >>> optimizer = SGD([Tensor(np.zeros(1), requires_grad=True)], learning_rate=1.0)
    >>> schedule = StepLR(optimizer, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(optimizer.learning_rate)   # train one epoch at this rate
    ...     schedule.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = validation.whole("StepLR", "step_size", step_size, minimum=1)
        self.gamma = validation.positive("StepLR", "gamma", gamma)

    def learning_rate_at(self, epoch: int) -> float:
        return self.base_learning_rate * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LearningRateScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    After e epochs: learning_rate = base_learning_rate · gammaᵉ
    (PyTorch's ``torch.optim.lr_scheduler.ExponentialLR``).

    Args:
        optimizer: the optimizer to schedule.
        gamma: the factor per epoch, > 0 (e.g. 0.95).
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = validation.positive("ExponentialLR", "gamma", gamma)

    def learning_rate_at(self, epoch: int) -> float:
        return self.base_learning_rate * self.gamma**epoch


class CosineAnnealingLR(LearningRateScheduler):
    """Lower the learning rate along half a cosine wave, from the base rate to a minimum.

    After e epochs, with T = total_steps and η_min = minimum_learning_rate:
    learning_rate = η_min + (base_learning_rate − η_min) · (1 + cos(π · e / T)) / 2.
    It reaches η_min after T epochs; beyond T it climbs back along the same cosine, as
    PyTorch's ``torch.optim.lr_scheduler.CosineAnnealingLR`` (whose names for T and η_min are
    ``T_max`` and ``eta_min``) does.

    Args:
        optimizer: the optimizer to schedule.
        total_steps: epochs from the base rate down to the minimum, a whole number >= 1.
        minimum_learning_rate: the lowest rate, >= 0.
    """

    def __init__(
        self, optimizer: Optimizer, total_steps: int, minimum_learning_rate: float = 0.0
    ) -> None:
        super().__init__(optimizer)
        self.total_steps = validation.whole(
            "CosineAnnealingLR", "total_steps", total_steps, minimum=1
        )
        self.minimum_learning_rate = validation.non_negative(
            "CosineAnnealingLR", "minimum_learning_rate", minimum_learning_rate
        )

    def learning_rate_at(self, epoch: int) -> float:
        low = self.minimum_learning_rate
        cosine = math.cos(math.pi * epoch / self.total_steps)
        return low + (self.base_learning_rate - low) * (1.0 + cosine) / 2.0
