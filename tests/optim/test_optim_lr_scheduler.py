"""Tests for humblenet.optim.lr_scheduler: the schedules against torch.optim.lr_scheduler.

Each schedule's learning rates over 30 epochs match PyTorch's; the state dict resumes a
schedule; invalid arguments are refused (a TypeError for a wrong type, a ValueError for a bad
value).
"""

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from humblenet import Tensor
from humblenet.optim import SGD, CosineAnnealingLR, ExponentialLR, Optimizer, StepLR

TORCH_SCHEDULERS = torch.optim.lr_scheduler


def parameter(values: Any) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def fresh() -> list[Tensor]:
    return [parameter([1.0, 2.0])]


# --- learning-rate schedules against torch ------------------------------------------------------
SCHEDULES = [
    (lambda o: StepLR(o, step_size=7, gamma=0.3), lambda o: TORCH_SCHEDULERS.StepLR(o, 7, 0.3)),
    (lambda o: StepLR(o, 1), lambda o: TORCH_SCHEDULERS.StepLR(o, 1)),
    (lambda o: ExponentialLR(o, gamma=0.9), lambda o: TORCH_SCHEDULERS.ExponentialLR(o, 0.9)),
    (lambda o: CosineAnnealingLR(o, total_steps=10, minimum_learning_rate=0.001),
     lambda o: TORCH_SCHEDULERS.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    (lambda o: CosineAnnealingLR(o, 30), lambda o: TORCH_SCHEDULERS.CosineAnnealingLR(o, 30)),
    (lambda o: CosineAnnealingLR(o, 7, 0.05),
     lambda o: TORCH_SCHEDULERS.CosineAnnealingLR(o, T_max=7, eta_min=0.05)),
]  # fmt: skip


@pytest.mark.parametrize("ours, theirs", SCHEDULES, ids=[str(i) for i in range(len(SCHEDULES))])
def test_schedule_matches_torch_over_thirty_epochs(ours: Callable, theirs: Callable) -> None:
    optimizer = SGD([parameter([1.0])], learning_rate=0.5)
    schedule = ours(optimizer)
    torch_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    torch_schedule = theirs(torch_optimizer)
    our_rates, their_rates = [], []
    for _ in range(30):
        our_rates.append(optimizer.learning_rate)
        their_rates.append(torch_optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
        torch_optimizer.step()  # torch wants optimizer.step() before scheduler.step()
        torch_schedule.step()
    assert schedule.learning_rate == optimizer.learning_rate
    assert math.isclose(schedule.learning_rate, torch_schedule.get_last_lr()[0], rel_tol=1e-12)
    np.testing.assert_allclose(our_rates, their_rates, rtol=1e-12, atol=1e-15)
    assert len(set(our_rates)) > 1


def test_schedule_state_dict_resumes() -> None:
    optimizer = SGD([parameter([1.0])], learning_rate=1.0)
    schedule = ExponentialLR(optimizer, 0.5)
    for _ in range(3):
        schedule.step()
    saved = schedule.state_dict()
    assert saved == {"scheduler": "ExponentialLR", "epoch": 3, "base_learning_rate": 1.0}
    fresh_optimizer = SGD([parameter([1.0])], learning_rate=9.0)
    resumed = ExponentialLR(fresh_optimizer, 0.5)
    resumed.load_state_dict(saved)
    resumed.step()
    assert fresh_optimizer.learning_rate == 0.0625


SCHEDULE_ERRORS: list[tuple[Callable[[Optimizer], object], str]] = [
    (lambda o: StepLR(o, 0), "StepLR: step_size must be a whole number >= 1, got 0"),
    (lambda o: StepLR(o, 2, gamma=-0.1), "StepLR: gamma must be positive and finite, got -0.1"),
    (lambda o: ExponentialLR(o, 0.0), "ExponentialLR: gamma must be positive and finite, got 0.0"),
    (lambda o: CosineAnnealingLR(o, 0), "CosineAnnealingLR: total_steps must be a whole number"),
    (lambda o: CosineAnnealingLR(o, 10, -1.0),
     "CosineAnnealingLR: minimum_learning_rate must be >= 0 and finite, got -1.0"),
]  # fmt: skip


@pytest.mark.parametrize("make, message", SCHEDULE_ERRORS, ids=[m for _, m in SCHEDULE_ERRORS])
def test_schedule_arguments_are_checked(make: Callable, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        make(SGD(fresh()))


SCHEDULE_TYPE_ERRORS: list[tuple[Callable[[Optimizer], object], str]] = [
    (lambda o: StepLR(o, 2.5), "StepLR: step_size must be a whole number >= 1, got float 2.5"),
    (lambda o: StepLR(o, True), "StepLR: step_size must be a whole number >= 1, got bool True"),
    (lambda o: ExponentialLR(o, "0.9"), "ExponentialLR: gamma must be a number, got str '0.9'"),
    (lambda o: CosineAnnealingLR(o, 10.0),
     "CosineAnnealingLR: total_steps must be a whole number >= 1, got float 10.0"),
]  # fmt: skip


@pytest.mark.parametrize(
    "make, message", SCHEDULE_TYPE_ERRORS, ids=[m for _, m in SCHEDULE_TYPE_ERRORS]
)
def test_schedule_arguments_of_the_wrong_type_are_type_errors(make: Callable, message: str) -> None:
    with pytest.raises(TypeError, match="^" + re.escape(message)):
        make(SGD(fresh()))


def test_schedule_needs_an_optimizer() -> None:
    torch_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match="^StepLR: expected an optimizer .* got SGD"):
        StepLR(torch_optimizer, 3)  # type: ignore[arg-type]
