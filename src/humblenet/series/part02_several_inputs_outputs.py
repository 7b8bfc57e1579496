"""Part 2 of the series: several inputs and several outputs, with the dot product.

- 2a :func:`dot_product`: the weighted sum, ``a[0]*b[0] + a[1]*b[1] + ...``;
- 2b :func:`predict_with_several_inputs`: several inputs (minutes, speed, body mass), one output
  (calories): the dot product of the inputs with one weight per input;
- 2c :func:`predict_several_outputs`: several outputs, one row of weights per output;
- :func:`predict_one_input_several_outputs`: one input, one weight per output (part 5b learns
  such weights).

The sums are added left to right from 0, as the series' loops do, so that the floats match.

Example:
    >>> predict_with_several_inputs([30, 3, 80], [6.2, 8.1, 0.31])
    235.10000000000002
"""

from __future__ import annotations

from collections.abc import Sequence

from humblenet.series import _checks as check

__all__ = [
    "dot_product",
    "predict_one_input_several_outputs",
    "predict_several_outputs",
    "predict_with_several_inputs",
]


def dot_product(vector_a: Sequence[float], vector_b: Sequence[float]) -> float:
    """Part 2a: the weighted sum, ``a[0]*b[0] + a[1]*b[1] + ...``, added left to right.

    Args:
        vector_a: a list of numbers.
        vector_b: a list of numbers of the same length.

    Returns:
        The sum of the products (an ``int`` if every number is an ``int``).

    Raises:
        ValueError: the lengths differ, or a vector is empty.
        TypeError: an entry is not a number.

    Example:
        >>> dot_product([2, 3, 4], [5, 6, 7])
        56
    """
    a = check.vector(vector_a, "vector_a")
    b = check.vector(vector_b, "vector_b")
    check.same_length(a, "vector_a", b, "vector_b")
    total = 0  # an int start keeps an all-int sum an int
    for x, y in zip(a, b):
        total += x * y  # one product per pair, accumulated in order
    return total


def predict_with_several_inputs(inputs: Sequence[float], weights: Sequence[float]) -> float:
    """Part 2b: several inputs, one output: the dot product of inputs and weights.

    Args:
        inputs: one number per input (minutes, speed, body mass in the series).
        weights: one weight per input.

    Returns:
        The prediction.

    Example:
        >>> predict_with_several_inputs([30, 3, 80], [6.2, 8.1, 0.31])
        235.10000000000002
    """
    values = check.vector(inputs, "inputs")
    weight_values = check.vector(weights, "weights")
    # Checked here too, so that the message names inputs and weights, not vector_a and vector_b.
    check.same_length(values, "inputs", weight_values, "weights")
    return dot_product(values, weight_values)


def predict_several_outputs(
    inputs: Sequence[float], weight_rows: Sequence[Sequence[float]]
) -> list[float]:
    """Part 2c: several inputs, several outputs: one row of weights per output.

    Each output is the dot product of the inputs with its own row of weights.

    Args:
        inputs: one number per input.
        weight_rows: one row per output, each with one weight per input.

    Returns:
        One prediction per row.

    Example:
        >>> rows = [[6.2, 8.1, 0.31], [0.00407, 0.00618, 0.00303], [0.11, 0.23, 0.06]]
        >>> predict_several_outputs([30, 3, 80], rows)
        [235.10000000000002, 0.38304, 8.79]
    """
    values = check.vector(inputs, "inputs")
    rows = check.matrix(weight_rows, "weight_rows", len(values), "inputs")
    # Each output is its own part-2b neuron over the same inputs.
    return [dot_product(values, row) for row in rows]


def predict_one_input_several_outputs(input_value: float, weights: Sequence[float]) -> list[float]:
    """One input, several outputs: the input times each output's weight (used by part 5b).

    Args:
        input_value: the one input.
        weights: one weight per output.

    Returns:
        One prediction per weight.

    Example:
        >>> predict_one_input_several_outputs(0.2, [10, 20, 3])
        [2.0, 4.0, 0.6000000000000001]
    """
    value = check.number(input_value, "input_value")
    # Part 1's product, once per output.
    return [value * weight for weight in check.vector(weights, "weights")]
