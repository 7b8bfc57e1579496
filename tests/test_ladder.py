"""The ladder (series part 4): the hand-derived derivative, the scalar engine's gradient and the
Tensor engine's gradient are the same number.

Input 0.2, target 8, weight 10: prediction 2, and the derivative of the error
0.5 * (weight * input - target)² with respect to the weight is input * (prediction - target)
= 0.2 * (2 - 8) = -1.2.
"""

from __future__ import annotations

import numpy as np
import pytest

from humblenet import Tensor
from humblenet.basics import gradient_descent_one_weight
from humblenet.scalar import Value

INPUT, TARGET, WEIGHT = 0.2, 8.0, 10.0


def by_hand() -> float:
    """basics' part 4 rule: one step with alpha 1 moves the weight by exactly the derivative."""
    result = gradient_descent_one_weight(
        INPUT, TARGET, WEIGHT, alpha=1, round_prediction=None, max_steps=1
    )
    return result.steps[0].adjustment


def scalar_gradient() -> float:
    w = Value(WEIGHT)
    error = 0.5 * (w * INPUT - TARGET) ** 2
    error.backward()
    return w.grad


def tensor_gradient(dtype: str) -> float:
    w = Tensor([WEIGHT], dtype=dtype, requires_grad=True)
    error = 0.5 * (w * INPUT - TARGET) ** 2
    error.sum().backward()
    assert w.grad.dtype == np.dtype(dtype)
    return float(w.grad[0])


def test_part_4_derivative_is_minus_1_2_by_hand():
    assert by_hand() == pytest.approx(-1.2, rel=1e-15)


def test_the_three_rungs_give_the_same_number():
    hand, scalar, tensor = by_hand(), scalar_gradient(), tensor_gradient("float64")
    assert scalar == pytest.approx(hand, rel=1e-15)
    assert tensor == pytest.approx(hand, rel=1e-15)
    assert tensor == pytest.approx(-1.2, rel=1e-15)


def test_the_float32_tensor_agrees_to_float32_precision():
    assert tensor_gradient("float32") == pytest.approx(by_hand(), rel=1e-6)
