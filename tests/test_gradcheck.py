"""``humblenet.gradcheck``: passes correct gradients, flags a wrong backward, says where."""

from __future__ import annotations

import re

import numpy as np
import pytest

from humblenet import Tensor
from humblenet import functional as F
from humblenet.gradient_check import GradcheckError, gradcheck, numerical_gradient

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.25, -0.75]])


def wrong_square(x: Tensor) -> Tensor:
    """x², whose backward is right everywhere except element (1, 2), where it adds 5 * g."""

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        grad = 2 * x.data * g
        grad[1, 2] += 5 * g[1, 2]
        return (grad,)

    return Tensor._make(x.data * x.data, (x,), backward, "wrong_square")


def test_a_wrong_backward_fails_and_the_message_names_the_element_and_both_values():
    x = Tensor(X.copy(), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: wrong_square(t).sum(), x)
    message = str(info.value)
    found = re.search(
        r"input 0, element \((\d+), (\d+)\): analytic gradient (\S+) but "
        r"numerical (\S+) ",
        message,
    )
    assert found, message
    assert (int(found[1]), int(found[2])) == (1, 2)
    analytic, numeric = float(found[3]), float(found[4])
    # Whatever random weight v gradcheck put on the output, analytic = v (2x + 5), numeric = v 2x.
    assert analytic / numeric == pytest.approx((2 * X[1, 2] + 5) / (2 * X[1, 2]), rel=1e-6)


def test_a_wrong_backward_returns_false_when_asked_not_to_raise():
    x = Tensor(X.copy(), requires_grad=True)
    assert gradcheck(wrong_square, x, raise_exception=False) is False


def test_the_same_op_with_the_right_backward_passes():
    x = Tensor(X.copy(), requires_grad=True)
    assert gradcheck(lambda t: t * t, x)


def test_a_missing_gradient_is_caught():
    """A backward that forgets one input's share (here the second use of x) is wrong."""
    x = Tensor(X.copy(), requires_grad=True)

    def forgetful(t: Tensor) -> Tensor:
        return Tensor._make(t.data * t.data, (t,), lambda g: (g * t.data,), "forgetful")

    with pytest.raises(GradcheckError, match="analytic gradient"):
        gradcheck(forgetful, x)


def test_several_inputs_some_constant():
    a = Tensor(X.copy(), requires_grad=True)
    b = Tensor(X[0].copy() + 3.0)  # no gradient wanted: not checked, still used
    c = Tensor(np.array([0.3, -0.2, 0.9]), requires_grad=True)
    assert gradcheck(lambda p, q, r: F.softmax(p * q + r), a, b, c)


def test_inputs_are_left_as_they_were():
    x = Tensor(X.copy(), requires_grad=True)
    gradcheck(lambda t: (t * t).exp(), x)
    np.testing.assert_array_equal(x.data, X)


def test_float32_inputs_are_refused_with_the_dtype_named():
    with pytest.raises(TypeError, match="input 0 has dtype float32.*float64"):
        gradcheck(lambda t: t * t, Tensor([1.0, 2.0], requires_grad=True))


def test_no_input_requiring_grad_is_an_error():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * t, Tensor(X))


def test_inputs_with_no_elements_pass():
    assert gradcheck(lambda t: t.sum(axis=0), Tensor(np.zeros((0, 3)), requires_grad=True))


def test_numerical_gradient_matches_a_derivative_worked_by_hand():
    # f(x) = sum(x³ - 2x) has gradient 3x² - 2.
    grad = numerical_gradient(lambda a: np.sum(a**3 - 2 * a), X)
    np.testing.assert_allclose(grad, 3 * X**2 - 2, rtol=1e-8)


def test_the_package_name_gradcheck_is_the_function_even_after_importing_the_submodule():
    # The function lives in humblenet.gradient_check, so importing that submodule (doctest
    # collection does) cannot rebind the package attribute "gradcheck" to a module.
    import humblenet
    import humblenet.gradient_check  # noqa: F401

    assert callable(humblenet.gradcheck), "humblenet.gradcheck is the module, not the function"
