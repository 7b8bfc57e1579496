"""Part 1 of the series: the smallest neural network, one input times one weight.

A network takes information in (30 minutes of jogging), holds knowledge in a weight (7.56 kcal
burned per minute) and makes a prediction: ``prediction = input * weight``. The series prints
the product exactly as Python does, so 226.79999999999998, not 226.8 (the neuron module's
:func:`~humblenet.series.neuron.explain_float_product` says why, digit by digit).

Example:
    >>> predict_with_one_weight(30, 7.56)
    226.79999999999998
"""

from __future__ import annotations

from humblenet.series import _checks as check

__all__ = ["predict_with_one_weight"]


def predict_with_one_weight(input_value: float, weight: float) -> float:
    """Part 1: the smallest neural network, one input times one weight.

    Args:
        input_value: the information fed in (minutes of jogging, in the series).
        weight: the network's knowledge (7.56 kcal per minute, in the series).

    Returns:
        ``input_value * weight``.

    Example:
        >>> predict_with_one_weight(30, 7.56)
        226.79999999999998
    """
    input_value = check.number(input_value, "input_value")
    weight = check.number(weight, "weight")
    # The weight scales the input: that is all a one-weight network does.
    return input_value * weight
