"""Part 6 of the series: gradient descent with several inputs and several outputs at once.

One row of weights per output, as in part 2c. Each step builds a weight-correction matrix, row
``i`` = ``inputs * ((prediction_i - targets[i]) * alpha)``, and subtracts it from the weights.
The series: alpha 0.2, inputs [0.2, 2.3, 1.2], targets [8, 46, 0.1], weight rows
[[7.1, 1.1, 4.4], [5.7, 3, 9.1], [2.2, 5.3, 7]], each dot product rounded to 2 decimals; every
prediction ends exact.

Example:
    >>> rows = [[7.1, 1.1, 4.4], [5.7, 3, 9.1], [2.2, 5.3, 7]]
    >>> gradient_descent_weight_matrix([0.2, 2.3, 1.2], rows, [8, 46, 0.1], 0.2).stopped
    'converged'
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

__all__ = ["gradient_descent_weight_matrix"]


def gradient_descent_weight_matrix(
    inputs: Sequence[float],
    weight_rows: Sequence[Sequence[float]],
    targets: Sequence[float],
    alpha: float,
    *,
    round_prediction: int | None = 2,
    max_steps: int = 1000,
    tolerance: float = 0.0,
) -> GradientDescentResult:
    """Part 6: gradient descent with several inputs and several outputs.

    Each step: ``prediction_i = inputs · weight_rows[i]`` (rounded); the weight-correction
    matrix has row ``i`` equal to ``inputs * ((prediction_i - targets[i]) * alpha)``, and is
    subtracted from the weights. Each output's ``prediction - target`` is multiplied by
    ``1 - alpha * sum(input²)`` per step.

    Args:
        inputs: one number per input ([0.2, 2.3, 1.2] in the series).
        weight_rows: one row of weights per output, one weight per input.
        targets: one target per output ([8, 46, 0.1]).
        alpha: the learning rate (0.2).
        round_prediction: decimals for each dot product (2, as the series), or None.
        max_steps: the most updates.
        tolerance: stop when the summed squared error is at most this.

    Returns:
        A :class:`GradientDescentResult`; ``weights`` is a tuple of row tuples.

    Example:
        >>> rows = [[7.1, 1.1, 4.4], [5.7, 3, 9.1], [2.2, 5.3, 7]]
        >>> result = gradient_descent_weight_matrix([0.2, 2.3, 1.2], rows, [8, 46, 0.1], 0.2)
        >>> result.predictions[-1], result.stopped
        ((8.0, 46.0, 0.1), 'converged')
    """
    values = check.vector(inputs, "inputs")
    rows = check.matrix(weight_rows, "weight_rows", len(values), "inputs")
    goals = check.vector(targets, "targets")
    if len(goals) != len(rows):
        raise ValueError(
            f"weight_rows has {len(rows)} rows but targets has {len(goals)} numbers: "
            "each output needs one row of weights and one target"
        )
    alpha, decimals, max_steps, tolerance = check_settings(
        alpha, round_prediction, max_steps, tolerance
    )

    def measure(rows: Any) -> tuple[Any, Any, Any]:
        # Part 2c's prediction, one dot product per row, each rounded as the series does.
        predictions = tuple(rounded(dot_product(values, row), decimals) for row in rows)
        deltas = tuple(p - t for p, t in zip(predictions, goals))
        return predictions, deltas, sum(d * d for d in deltas)

    def update(rows: Any, deltas: Any) -> tuple[Any, Any]:
        # The weight-correction matrix: one row per output, one column per input.
        correction = tuple(tuple(x * (d * alpha) for x in values) for d in deltas)
        new_rows = tuple(
            tuple(w - c for w, c in zip(row, row_correction))
            for row, row_correction in zip(rows, correction)
        )
        return correction, new_rows

    # Every row sees all the inputs, so each output has part 5a's curvature, sum(input²).
    return descend(
        tuple(tuple(row) for row in rows),
        measure,
        update,
        max_steps=max_steps,
        tolerance=tolerance,
        rate_name="alpha",
        rate=alpha,
        curvature=sum(x * x for x in values),
        curvature_text="sum(input²)",
    )
