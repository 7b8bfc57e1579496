"""Part 5 of the series: gradient descent with several inputs, or with several outputs.

- 5a :func:`gradient_descent_several_inputs`: several inputs, one output. One shared
  ``correction = alpha * (prediction - target)``; each weight moves by its own input times it.
  The series: inputs [0.2, 4, 0.1], weights [10, 2, 11], target 8, alpha 0.04.
- 5b :func:`gradient_descent_several_outputs`: one input, several outputs, each output its own
  part-4 problem. The series: input 0.2, weights [10, 20, 3], targets [8, 46, 0.1], alpha 24.

Both run part 4's loop (:func:`~humblenet.series.part04_gradient_descent.descend`), with its cap,
trace and divergence check.

Example:
    >>> gradient_descent_several_inputs([0.2, 4, 0.1], [10, 2, 11], 8, 0.04).weights
    (9.961359999999999, 1.2271999999999998, 10.98068)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from humblenet.series import _checks as check
from humblenet.series.part02_several_inputs_outputs import dot_product
from humblenet.series.part04_gradient_descent import (
    GradientDescentResult,
    check_settings,
    descend,
    rounded,
)

__all__ = ["gradient_descent_several_inputs", "gradient_descent_several_outputs"]


def gradient_descent_several_inputs(
    inputs: Sequence[float],
    weights: Sequence[float],
    target: float,
    alpha: float,
    *,
    round_prediction: int | None = 2,
    max_steps: int = 1000,
    tolerance: float = 0.0,
) -> GradientDescentResult:
    """Part 5a: gradient descent with several inputs and one output.

    Each step: ``prediction = inputs · weights`` (rounded); one shared
    ``correction = alpha * (prediction - target)``; weight ``i`` moves by
    ``inputs[i] * correction``. Each step multiplies ``prediction - target`` by
    ``1 - alpha * sum(input²)``.

    Args:
        inputs: one number per input ([0.2, 4, 0.1] in the series).
        weights: the starting weights, one per input ([10, 2, 11]).
        target: the output we want (8).
        alpha: the learning rate (0.04).
        round_prediction: decimals for each prediction (2, as the series), or None.
        max_steps: the most updates.
        tolerance: stop when the squared error is at most this.

    Returns:
        A :class:`GradientDescentResult`; ``weights`` is a tuple.

    Example:
        >>> gradient_descent_several_inputs([0.2, 4, 0.1], [10, 2, 11], 8, 0.04).weights
        (9.961359999999999, 1.2271999999999998, 10.98068)
    """
    values = check.vector(inputs, "inputs")
    start = check.vector(weights, "weights")
    check.same_length(values, "inputs", start, "weights")
    target = check.number(target, "target")
    alpha, decimals, max_steps, tolerance = check_settings(
        alpha, round_prediction, max_steps, tolerance
    )

    def measure(weights: Any) -> tuple[Any, Any, Any]:
        prediction = rounded(dot_product(values, weights), decimals)
        delta = prediction - target
        return prediction, delta, delta * delta

    def update(weights: Any, delta: Any) -> tuple[Any, Any]:
        correction = alpha * delta  # shared by every weight...
        adjustment = tuple(x * correction for x in values)  # ...scaled by its own input
        return adjustment, tuple(w - a for w, a in zip(weights, adjustment))

    # Every input pulls on the one prediction: the rule's curvature is the sum of input².
    return descend(
        tuple(start),
        measure,
        update,
        max_steps=max_steps,
        tolerance=tolerance,
        rate_name="alpha",
        rate=alpha,
        curvature=sum(x * x for x in values),
        curvature_text="sum(input²)",
    )


def gradient_descent_several_outputs(
    input_value: float,
    weights: Sequence[float],
    targets: Sequence[float],
    alpha: float,
    *,
    round_prediction: int | None = 2,
    max_steps: int = 1000,
    tolerance: float = 0.0,
) -> GradientDescentResult:
    """Part 5b: gradient descent with one input and several outputs.

    Each output ``i`` is its own part-4 problem: ``prediction_i = input * weights[i]``
    (rounded), ``weights[i] -= alpha * (input * (prediction_i - targets[i]))``. The run stops
    when the summed squared error is 0.

    Args:
        input_value: the one input (0.2 in the series).
        weights: the starting weights, one per output ([10, 20, 3]).
        targets: the outputs we want ([8, 46, 0.1]).
        alpha: the learning rate (24).
        round_prediction: decimals for each prediction (2, as the series), or None.
        max_steps: the most updates.
        tolerance: stop when the summed squared error is at most this.

    Returns:
        A :class:`GradientDescentResult`; ``weights`` is a tuple.

    Example:
        >>> gradient_descent_several_outputs(0.2, [10, 20, 3], [8, 46, 0.1], 24).weights
        (40.00000000000001, 230.00000000000003, 0.5039999999999997)
    """
    value = check.number(input_value, "input_value")
    start = check.vector(weights, "weights")
    goals = check.vector(targets, "targets")
    check.same_length(start, "weights", goals, "targets")
    alpha, decimals, max_steps, tolerance = check_settings(
        alpha, round_prediction, max_steps, tolerance
    )

    def measure(weights: Any) -> tuple[Any, Any, Any]:
        predictions = tuple(rounded(value * w, decimals) for w in weights)
        deltas = tuple(p - t for p, t in zip(predictions, goals))
        return predictions, deltas, sum(d * d for d in deltas)  # one error for the whole step

    def update(weights: Any, deltas: Any) -> tuple[Any, Any]:
        adjustment = tuple(alpha * (value * d) for d in deltas)  # alpha x derivative, per output
        return adjustment, tuple(w - a for w, a in zip(weights, adjustment))

    # Each output sees the same one input, so each has part 4's curvature, input².
    return descend(
        tuple(start),
        measure,
        update,
        max_steps=max_steps,
        tolerance=tolerance,
        rate_name="alpha",
        rate=alpha,
        curvature=value * value,
        curvature_text="input²",
    )
