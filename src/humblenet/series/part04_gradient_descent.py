"""Part 4 of the series: gradient descent on one weight, and the loop parts 5 and 6 reuse.

Instead of trying a step up and a step down (part 3), compute which way and how far to move:
``derivative = input * (prediction - target)``, ``weight -= alpha * derivative``. The series'
setup: input 0.2, target 8, start weight 10, alpha 24, each prediction rounded to 2 decimals;
the predictions go 2.0, 7.76, 7.99, 8.0.

Each step multiplies ``prediction - target`` by ``1 - alpha * input²``: the error shrinks when
``alpha * input²`` is between 0 and 2 and grows every step above 2. The loop (:func:`descend`)
stops at a cap, detects that growth, and its message names the number to change.

What lives here: :class:`GradientStep` and :class:`GradientDescentResult` (the trace of parts 4
to 6), :func:`descend` and :func:`check_settings` (their shared loop and checks), and part 4's
:func:`gradient_descent_one_weight`.

Example:
    >>> gradient_descent_one_weight(0.2, 8, 10, alpha=24).predictions
    [2.0, 7.76, 7.99, 8.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from humblenet.series import _checks as check
from humblenet.series._learning_loop import (
    StopReason,
    TracedOutcome,
    count,
    diverged_after,
    finite,
    is_diverging,
    lower_rate,
    short,
)

__all__ = ["GradientDescentResult", "GradientStep", "gradient_descent_one_weight"]

# A weight, a vector of weights or a matrix of weights (rows), as plain Python numbers: a float,
# a tuple of floats, or a tuple of tuples. (Typed as Any so that callers need no narrowing.)
Numbers: TypeAlias = Any


@dataclass(frozen=True)
class GradientStep:
    """One step of gradient descent.

    Attributes:
        number: 1 for the first step.
        weights: the weights that made the prediction.
        prediction: the prediction (a number, or one per output).
        error: the squared error, summed over outputs.
        delta: ``prediction - target`` (a number, or one per output).
        adjustment: what was subtracted from the weights (same shape as ``weights``), or None
            on a last step that only measured the error.
        new_weights: the weights after the step (the same as ``weights`` on a last step).
    """

    number: int
    weights: Numbers
    prediction: Numbers
    error: float
    delta: Numbers
    adjustment: Numbers | None
    new_weights: Numbers


@dataclass(frozen=True)
class GradientDescentResult(TracedOutcome):
    """What a gradient descent function did: final weights, each step, and why it stopped.

    ``converged``, ``predictions`` and ``errors`` read the steps; ``updates`` counts the steps
    that changed the weights.
    """

    weights: Numbers
    steps: tuple[GradientStep, ...]
    stopped: StopReason
    message: str

    @property
    def updates(self) -> int:
        """How many times the weights changed."""
        return sum(1 for step in self.steps if step.adjustment is not None)


def rounded(value: Any, decimals: int | None) -> Any:
    """``value`` rounded to ``decimals`` (as the series rounds each prediction), or as is."""
    return value if decimals is None else round(value, decimals)


def check_settings(
    alpha: object, round_prediction: object, max_steps: object, tolerance: object
) -> tuple[Any, int | None, int, Any]:
    """The settings every gradient descent of parts 4 to 6 takes, checked in this order.

    Returns:
        ``(alpha, decimals, max_steps, tolerance)``.
    """
    return (
        check.positive(alpha, "alpha"),
        check.decimals(round_prediction, "round_prediction"),
        check.cap(max_steps, "max_steps"),
        check.tolerance(tolerance),
    )


def descend(
    weights: Numbers,
    measure: Callable[[Any], tuple[Numbers, Numbers, Any]],
    update: Callable[[Any, Any], tuple[Numbers, Numbers]],
    *,
    max_steps: int,
    tolerance: Any,
    rate_name: str,
    rate: Any,
    curvature: Any,
    curvature_text: str,
) -> GradientDescentResult:
    """The loop shared by parts 4 to 6: measure, stop or update, repeat.

    ``measure(weights)`` returns (prediction, delta, squared error); ``update(weights, delta)``
    returns (adjustment, new weights). ``curvature`` is the number that decides convergence for
    these rules: each step multiplies ``prediction - target`` by ``1 - rate * curvature``.
    """
    steps: list[GradientStep] = []
    errors: list[Any] = []
    stopped: StopReason = "cap"
    # Up to max_steps updates, then one more measurement: the error of the final weights.
    for number in range(1, max_steps + 2):
        prediction, delta, error = measure(weights)
        errors.append(error)
        if finite(error) and error <= tolerance:
            stopped = "converged"
        elif is_diverging(errors):
            stopped = "diverged"
        elif number <= max_steps:
            adjustment, new_weights = update(weights, delta)
            steps.append(
                GradientStep(number, weights, prediction, error, delta, adjustment, new_weights)
            )
            weights = new_weights
            continue
        # Converged, diverged, or out of steps: record the last measurement and stop.
        steps.append(GradientStep(number, weights, prediction, error, delta, None, weights))
        break

    message = _descent_message(
        stopped, len(steps) - 1, errors[-1], max_steps, rate_name, rate, curvature, curvature_text
    )
    return GradientDescentResult(weights, tuple(steps), stopped, message)


def _descent_message(
    stopped: StopReason,
    updates: int,
    last_error: Any,
    max_steps: int,
    rate_name: str,
    rate: Any,
    curvature: Any,
    curvature_text: str,
) -> str:
    """Why :func:`descend` stopped, with the number (rate x curvature) that decides it."""
    product = rate * curvature
    rule = (
        f"each step multiplies (prediction - target) by 1 - {rate_name} x {curvature_text}, "
        f"and here {rate_name} x {curvature_text} = {short(product)}"
    )
    limit = (
        f"lower {rate_name} below 2 / {curvature_text} = {short(2 / curvature)}"
        if curvature > 0
        else ""
    )
    if stopped == "converged":
        return f"Converged after {count(updates, 'update')}: squared error {last_error!r}."
    if stopped == "diverged":
        message = diverged_after(updates, "update", last_error, "step")
        if product > 2:
            return message + (
                f"The cause: {rule}, above 2, so that factor is below -1 and the error grows "
                f"every step. To converge, {limit} ({rate_name} is {rate!r} now)."
            )
        return message + lower_rate(rate_name, rate)
    message = (
        f"Stopped at the cap of {max_steps} steps (max_steps) with squared error "
        f"{short(last_error)}. "
    )
    # At the cap: say which regime the rule was in, from the factor 1 - rate x curvature.
    if curvature == 0:
        message += (
            f"The inputs are all 0, so no weight can change the prediction: {rule}, and "
            "the error never shrinks. Learning needs an input that is not 0."
        )
    elif math.isclose(product, 2, rel_tol=1e-9):
        message += f"The error bounces with the same size forever: {rule}, which is 2. {limit}."
    elif product > 2:
        message += f"The error was growing: {rule}, above 2. To converge, {limit}."
    elif product < 0.1:
        message += (
            f"The steps are small: {rule}, so a step removes only about "
            f"{short(100 * product)}% of the error. Raise {rate_name} (below "
            f"{short(2 / curvature)}) or max_steps."
        )
    else:
        message += (
            "Raise max_steps; if the error stopped shrinking, the rounded prediction may "
            "never equal the target exactly: set a tolerance above 0 or round less."
        )
    return message


def gradient_descent_one_weight(
    input_value: float,
    target: float,
    weight: float,
    alpha: float,
    *,
    round_prediction: int | None = 2,
    max_steps: int = 1000,
    tolerance: float = 0.0,
) -> GradientDescentResult:
    """Part 4: gradient descent on one weight.

    Each step: ``prediction = input * weight`` (rounded), ``error = (prediction - target)²``,
    ``derivative = input * (prediction - target)``, ``weight -= alpha * derivative``.

    Since the new prediction is ``input * (weight - alpha * input * delta)``, each step
    multiplies ``delta = prediction - target`` by ``1 - alpha * input²``: it shrinks when
    ``alpha * input²`` is between 0 and 2, and grows every step when it is above 2.

    Args:
        input_value: the input (0.2 in the series).
        target: the output we want (8).
        weight: the starting weight (10).
        alpha: the learning rate (24).
        round_prediction: round each prediction to this many decimals (2, as the series);
            None to not round.
        max_steps: the most updates of the weight.
        tolerance: stop when the squared error is at most this (0: exactly right).

    Returns:
        A :class:`GradientDescentResult`; ``weights`` is the final weight (a number).

    Example:
        >>> result = gradient_descent_one_weight(0.2, 8, 10, alpha=24)
        >>> result.weights, result.stopped
        (40.00000000000001, 'converged')
        >>> gradient_descent_one_weight(0.2, 8, 10, alpha=60).stopped
        'diverged'
    """
    input_value = check.number(input_value, "input_value")
    target = check.number(target, "target")
    weight = check.number(weight, "weight")
    alpha, decimals, max_steps, tolerance = check_settings(
        alpha, round_prediction, max_steps, tolerance
    )

    def measure(weight: Any) -> tuple[Any, Any, Any]:
        prediction = rounded(input_value * weight, decimals)
        delta = prediction - target  # how far off, and in which direction
        return prediction, delta, delta * delta  # squared error: always positive

    def update(weight: Any, delta: Any) -> tuple[Any, Any]:
        derivative = input_value * delta  # how the error changes as the weight changes
        adjustment = alpha * derivative  # alpha scales the step
        return adjustment, weight - adjustment

    return descend(
        weight,
        measure,
        update,
        max_steps=max_steps,
        tolerance=tolerance,
        rate_name="alpha",
        rate=alpha,
        curvature=input_value * input_value,
        curvature_text="input²",
    )
