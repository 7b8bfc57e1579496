"""Part 7 of the series: correlation, stochastic gradient descent over a whole data set.

From here on the series uses NumPy. A data set of 8 patterns of 3 binary features, the target
being the second feature; weights start at [0.5, 0.5, 0.5], alpha 0.1, 15 passes, one update per
pattern (stochastic), each prediction rounded to 1 decimal. The error of a pass falls to 0.0 and
the weights find that only the second feature correlates with the target.

Example:
    >>> rows = [[0, 0, 1], [0, 1, 0], [1, 1, 1], [0, 1, 1],
    ...         [1, 0, 0], [1, 0, 1], [0, 0, 0], [1, 1, 0]]
    >>> result = stochastic_gradient_descent(rows, [0, 1, 1, 1, 0, 0, 0, 1], [0.5] * 3, 0.1)
    >>> [round(weight, 2) for weight in result.weights]
    [0.03, 0.95, 0.02]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from humblenet.series import _checks as check
from humblenet.series._learning_loop import (
    Outcome,
    StopReason,
    diverged_after,
    is_diverging,
    lower_rate,
    short,
)

__all__ = ["PatternStep", "SGDResult", "stochastic_gradient_descent"]


@dataclass(frozen=True)
class PatternStep:
    """One update of stochastic gradient descent: one pattern of one pass."""

    pass_number: int
    pattern_index: int
    prediction: float
    error: float
    new_weights: tuple[float, ...]


@dataclass(frozen=True)
class SGDResult(Outcome):
    """What :func:`stochastic_gradient_descent` did.

    Attributes:
        weights: the final weights.
        pass_errors: the squared error accumulated over each pass.
        steps: every update, pattern by pattern.
        stopped: ``"converged"``, ``"cap"`` or ``"diverged"``.
        message: why, in words.
        converged: True when the last pass's error reached the tolerance.
    """

    weights: tuple[float, ...]
    pass_errors: tuple[float, ...]
    steps: tuple[PatternStep, ...]
    stopped: StopReason
    message: str


def stochastic_gradient_descent(
    patterns: Sequence[Sequence[float]],
    targets: Sequence[float],
    weights: Sequence[float],
    alpha: float,
    *,
    max_passes: int = 15,
    round_prediction: int | None = 1,
    stop_when_converged: bool = False,
    tolerance: float = 0.0,
) -> SGDResult:
    """Part 7: stochastic gradient descent, one update per pattern, over the whole data set.

    For each pattern in order: ``prediction = pattern · weights`` (rounded, NumPy's rounding),
    ``error = (prediction - target)²`` added to the pass's error, then
    ``weights -= alpha * (pattern * (prediction - target))``.

    The series runs a fixed 15 passes; so does this function by default. With
    ``stop_when_converged=True`` it stops after the first pass whose error is at most
    ``tolerance``. Either way it stops early if the pass error diverges.

    Args:
        patterns: the data set, one row of inputs per example.
        targets: one target per pattern.
        weights: the starting weights, one per input ([0.5, 0.5, 0.5] in the series).
        alpha: the learning rate (0.1).
        max_passes: how many passes over the data (15, as the series).
        round_prediction: decimals for each prediction (1, as the series), or None.
        stop_when_converged: stop after the first pass with error at most ``tolerance``.
        tolerance: the pass error counted as converged (0: exactly right).

    Returns:
        An :class:`SGDResult`; ``stopped`` is ``"converged"`` when the last pass's error is at
        most ``tolerance``.

    Example:
        >>> rows = [[0, 0, 1], [0, 1, 0], [1, 1, 1], [0, 1, 1],
        ...         [1, 0, 0], [1, 0, 1], [0, 0, 0], [1, 1, 0]]
        >>> result = stochastic_gradient_descent(rows, [0, 1, 1, 1, 0, 0, 0, 1], [0.5] * 3, 0.1)
        >>> result.pass_errors[-1], result.stopped
        (0.0, 'converged')
    """
    data = check.pattern_matrix(patterns)
    goals = np.array(check.vector(targets, "targets"), dtype=np.float64)
    if len(goals) != len(data):
        raise ValueError(
            f"patterns has {len(data)} rows but targets has {len(goals)} numbers: "
            "each pattern needs one target"
        )
    start = check.vector(weights, "weights")
    if len(start) != data.shape[1]:
        raise ValueError(
            f"weights has {len(start)} numbers but each pattern has {data.shape[1]} inputs: "
            "one weight per input"
        )
    alpha = check.positive(alpha, "alpha")
    max_passes = check.cap(max_passes, "max_passes")
    decimals = check.decimals(round_prediction, "round_prediction")
    tolerance = check.tolerance(tolerance)

    current = np.array(start, dtype=np.float64)  # float64, as the series' NumPy arrays
    pass_errors: list[float] = []
    steps: list[PatternStep] = []
    stopped: StopReason = "cap"
    # Huge or infinite numbers are reported as divergence, not as NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for pass_number in range(1, max_passes + 1):
            pass_error = 0.0
            for index, (pattern, target) in enumerate(zip(data, goals)):
                prediction = pattern.dot(current)
                if decimals is not None:
                    prediction = np.round(prediction, decimals)
                delta = prediction - target
                error = delta**2
                pass_error += error  # the pass's error: how wrong over the whole data set
                current -= alpha * (pattern * delta)  # one update per pattern: stochastic
                steps.append(
                    PatternStep(
                        pass_number,
                        index,
                        float(prediction),
                        float(error),
                        tuple(current.tolist()),
                    )
                )
            pass_errors.append(float(pass_error))
            if is_diverging(pass_errors):
                stopped = "diverged"
                break
            if stop_when_converged and pass_errors[-1] <= tolerance:
                break
    # Converged is judged on the last pass, whether or not the loop stopped early for it.
    if stopped != "diverged" and pass_errors[-1] <= tolerance:
        stopped = "converged"

    passes = len(pass_errors)
    last = pass_errors[-1]
    if stopped == "converged":
        message = f"Converged: the error of pass {passes} is {last!r}."
    elif stopped == "diverged":
        message = diverged_after(passes, "pass", last, "pass") + lower_rate("alpha", alpha)
    else:
        message = (
            f"Ran {passes} passes (max_passes) and the error of the last pass is still "
            f"{short(last)}: raise max_passes"
        )
        message += (
            ", or set a tolerance above 0 if the rounded predictions cannot hit the targets."
            if decimals is not None
            else ", or set a tolerance above 0 (without rounding the error never reaches 0)."
        )
    return SGDResult(tuple(current.tolist()), tuple(pass_errors), tuple(steps), stopped, message)
