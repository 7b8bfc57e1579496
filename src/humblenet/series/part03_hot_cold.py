"""Part 3 of the series: hot/cold learning, the simplest way for a weight to learn.

Try the weight one step up and one step down, keep whichever gives the smaller squared error,
repeat until the error is 0. The series' setup: input 20 minutes, target 180 kcal, start weight
7; one step of 0.1 (:func:`hot_cold_try`), then steps of 0.4 with the weight rounded to 2
decimals until the error is 0 (:func:`hot_cold_learning`), which reaches weight 9.0.

Hot/cold learning cannot diverge, but it can bounce between two weights that straddle the
answer; the result's message says so.

Example:
    >>> hot_cold_learning(20, 180, 7, 0.4).weight
    9.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from humblenet.series import _checks as check
from humblenet.series._learning_loop import StopReason, TracedOutcome, short

__all__ = ["HotColdResult", "HotColdStep", "hot_cold_learning", "hot_cold_try"]


@dataclass(frozen=True)
class HotColdStep:
    """One step of hot/cold learning: the weight tried one step up and one step down.

    ``up_error`` and ``down_error`` are None on a last step that only measured the error.
    """

    number: int
    weight: float
    prediction: float
    error: float
    up_error: float | None
    down_error: float | None
    new_weight: float


@dataclass(frozen=True)
class HotColdResult(TracedOutcome):
    """What :func:`hot_cold_learning` did: the final weight, each step, and why it stopped.

    ``converged``, ``predictions`` and ``errors`` read the steps.
    """

    weight: float
    steps: tuple[HotColdStep, ...]
    stopped: StopReason
    message: str


def hot_cold_try(
    input_value: float,
    target: float,
    weight: float,
    step: float = 0.1,
    *,
    round_weight: int | None = None,
) -> HotColdStep:
    """Part 3, one step: try the weight a step up and a step down, keep the better one.

    Args:
        input_value: the input (20 minutes in the series).
        target: the output we want (180 kcal).
        weight: the current weight (7).
        step: how far to try up and down (0.1 for the series' single step).
        round_weight: round the kept weight to this many decimals; None keeps it as is.

    Returns:
        A :class:`HotColdStep` with the prediction, its squared error, the errors one step up
        and one step down, and the weight kept (unchanged on a tie).

    Example:
        >>> one = hot_cold_try(20, 180, 7, 0.1)
        >>> one.prediction, one.error, one.up_error, one.down_error, one.new_weight
        (140, 1600, 1444.0, 1764.0, 7.1)
    """
    input_value = check.number(input_value, "input_value")
    target = check.number(target, "target")
    weight = check.number(weight, "weight")
    step = check.positive(step, "step")
    decimals = check.decimals(round_weight, "round_weight")
    return _hot_cold_step(1, input_value, target, weight, step, decimals)


def _hot_cold_step(
    number: int, input_value: Any, target: Any, weight: Any, step: Any, decimals: int | None
) -> HotColdStep:
    # How wrong are we now? The squared error is always positive and punishes big misses.
    prediction = input_value * weight
    error = (prediction - target) * (prediction - target)
    # Try a little hotter and a little colder...
    up_prediction = input_value * (weight + step)
    up_error = (up_prediction - target) * (up_prediction - target)
    down_prediction = input_value * (weight - step)
    down_error = (down_prediction - target) * (down_prediction - target)
    # ...and keep whichever direction made the error smaller (stay put on a tie).
    new_weight = weight
    if up_error < down_error:
        new_weight = weight + step
    elif down_error < up_error:
        new_weight = weight - step
    if decimals is not None:
        new_weight = round(new_weight, decimals)
    return HotColdStep(number, weight, prediction, error, up_error, down_error, new_weight)


def hot_cold_learning(
    input_value: float,
    target: float,
    weight: float,
    step: float = 0.4,
    *,
    round_weight: int | None = 2,
    max_steps: int = 1000,
    tolerance: float = 0.0,
) -> HotColdResult:
    """Part 3: repeat hot/cold steps until the error is 0 (or ``tolerance``), at most a cap.

    Hot/cold learning cannot diverge: it always moves to the better of two neighbouring
    weights. The worst it does is bounce between two weights that straddle the answer, when
    the step is too coarse to land on it; the message then says so.

    Args:
        input_value: the input (20 in the series).
        target: the output we want (180).
        weight: the starting weight (7).
        step: how far to try up and down at each step (0.4 in the series).
        round_weight: round the kept weight to this many decimals (2, as the series, which
            keeps 7 + 0.4 + 0.4 from drifting to 7.800000000000001); None to not round.
        max_steps: the most steps (weight changes) to take.
        tolerance: stop when the squared error is at most this (0: exactly right).

    Returns:
        A :class:`HotColdResult`; its last step measures the final weight.

    Example:
        >>> result = hot_cold_learning(20, 180, 7, 0.4)
        >>> result.weight, result.predictions[-1], result.stopped
        (9.0, 180.0, 'converged')
    """
    input_value = check.number(input_value, "input_value")
    target = check.number(target, "target")
    weight = check.number(weight, "weight")
    step = check.positive(step, "step")
    decimals = check.decimals(round_weight, "round_weight")
    max_steps = check.cap(max_steps, "max_steps")
    tolerance = check.tolerance(tolerance)

    steps: list[HotColdStep] = []
    # Up to max_steps changes of the weight, then one more step that only measures it.
    for number in range(1, max_steps + 2):
        prediction = input_value * weight
        error = (prediction - target) * (prediction - target)
        if error <= tolerance or number > max_steps:
            # Measure only: right answer found, or no steps left.
            steps.append(HotColdStep(number, weight, prediction, error, None, None, weight))
            break
        taken = _hot_cold_step(number, input_value, target, weight, step, decimals)
        steps.append(taken)
        weight = taken.new_weight

    last = steps[-1]
    if last.error <= tolerance:
        message = (
            f"Converged after {len(steps) - 1} steps: weight {last.weight!r} predicts "
            f"{last.prediction!r}, squared error {last.error!r}."
        )
        return HotColdResult(weight, tuple(steps), "converged", message)
    return HotColdResult(weight, tuple(steps), "cap", _cap_message(steps, step, max_steps))


def _cap_message(steps: list[HotColdStep], step: Any, max_steps: int) -> str:
    """Why the weight never got there: stuck, bouncing, or still on its way."""
    last = steps[-1]
    message = (
        f"Stopped at the cap of {max_steps} steps (max_steps) with squared error "
        f"{short(last.error)} (weight {last.weight!r}). "
    )
    # The last few weights tell the story: one weight is stuck, two weights bounce.
    recent = [taken.weight for taken in steps[-5:]]
    if len(set(recent)) <= 2 and len(recent) >= 3:
        low, high = min(recent), max(recent)
        if low == high:
            message += (
                "The weight stopped moving: one step up and one step down give the same error. "
                f"Try another step (now {step!r})."
            )
        else:
            message += (
                f"The weight bounces between {low!r} and {high!r}: a step of {step!r} is too "
                "coarse to land on the weight that makes the error 0. Try a smaller step, "
                "or a tolerance above 0."
            )
    else:
        message += "The weight was still moving: raise max_steps or take a bigger step."
    return message
