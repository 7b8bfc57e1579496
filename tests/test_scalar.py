"""Tests for humblenet.scalar.Value: values and gradients against PyTorch in float64.

Each expression is written once, as a function of its inputs, and run twice: on our Values and on
float64 torch tensors with requires_grad (both have .exp(), .log(), .tanh(), .sigmoid() and
.relu()). Value and every input's gradient must agree to 1e-12 relative.
"""

import math
import subprocess
import sys
import textwrap
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy
import pytest
import torch

from humblenet.basics import gradient_descent_one_weight
from humblenet.scalar import Value

RELATIVE_TOLERANCE = 1e-12
SCALAR_SOURCE = Path(__file__).resolve().parents[1] / "src" / "humblenet" / "scalar.py"

# The largest relative difference from PyTorch seen by assert_close (reported, not asserted).
worst_relative_error = 0.0


def assert_close(ours: float, theirs: float, what: str) -> None:
    """Assert that two floats agree to RELATIVE_TOLERANCE (infinities and zeros exactly).

    Below the smallest normal float (2.2e-308) results may differ by that much: torch computes
    sigmoid(-710) as 1 / (1 + inf) = 0, we compute e ** -710 / (1 + e ** -710) = 4.5e-309.
    """
    global worst_relative_error
    if abs(ours) < sys.float_info.min and abs(theirs) < sys.float_info.min:
        return
    if math.isinf(theirs) or theirs == 0 or math.isnan(theirs):
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), (what, ours, theirs)
        return
    relative = abs(ours - theirs) / abs(theirs)
    worst_relative_error = max(worst_relative_error, relative)
    assert relative <= RELATIVE_TOLERANCE, f"{what}: ours {ours!r}, torch {theirs!r}"


def check_against_torch(function: Callable[..., object], *inputs: float) -> Value:
    """Run ``function`` on Values and on float64 torch tensors; compare result and gradients."""
    values = [Value(x) for x in inputs]
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    ours = function(*values)
    theirs = function(*tensors)
    assert isinstance(ours, Value) and isinstance(theirs, torch.Tensor)
    ours.backward()
    theirs.backward()
    assert_close(ours.data, theirs.item(), "value")
    for index, (value, tensor) in enumerate(zip(values, tensors, strict=True)):
        torch_grad = 0.0 if tensor.grad is None else tensor.grad.item()
        assert_close(value.grad, torch_grad, f"gradient of input {index}")
    return ours


# --- Each operation on its own. -------------------------------------------------------------------
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "value exponent": lambda a, b: a**b,
}
BINARY_INPUTS = [(3.0, -2.5), (0.7, 4.0), (-1.5, 0.25), (2.0, 0.0), (12.0, 1e-3)]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("a, b", BINARY_INPUTS)
def test_binary_operation_matches_torch(name: str, a: float, b: float) -> None:
    if name == "value exponent" and a <= 0:
        a = -a  # a Value exponent needs a positive base (tested to raise below)
    if name == "div" and b == 0:
        b = 0.5
    check_against_torch(BINARY[name], a, b)


UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "integer power as float": lambda x: x**-2.0,
    "reciprocal": lambda x: x**-1,
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("x", [-3.7, -0.5, 0.3, 1.0, 2.25, 8.0])
def test_unary_operation_matches_torch(name: str, x: float) -> None:
    check_against_torch(UNARY[name], x)


@pytest.mark.parametrize("x", [1e-8, 0.3, 1.0, 2.25, 1e6])
@pytest.mark.parametrize(
    "function",
    [lambda x: x.log(), lambda x: x**0.5, lambda x: x**-1.5, lambda x: x**2.7],
    ids=["log", "square root", "power -1.5", "power 2.7"],
)
def test_positive_domain_operation_matches_torch(function: Callable, x: float) -> None:
    check_against_torch(function, x)


@pytest.mark.parametrize("exponent", [0, 0.5, 1, 2, 3])
def test_power_of_zero_matches_torch(exponent: float) -> None:
    # the formula n * x ** (n - 1) cannot be evaluated at x = 0 for n = 0 or 0 < n < 1
    check_against_torch(lambda x: x**exponent, 0.0)


@pytest.mark.parametrize("x", [-2.0, -1e-300, 0.0, 1e-300, 2.0])
def test_relu_at_and_around_zero_matches_torch(x: float) -> None:
    check_against_torch(lambda v: v.relu(), x)


# --- Numbers on either side of an operator. -------------------------------------------------------
REFLECTED = {
    "number + Value": lambda x: 2.5 + x,
    "Value + number": lambda x: x + 2.5,
    "number - Value": lambda x: 2.5 - x,
    "Value - number": lambda x: x - 2.5,
    "number * Value": lambda x: 2.5 * x,
    "Value * number": lambda x: x * 2.5,
    "number / Value": lambda x: 2.5 / x,
    "Value / number": lambda x: x / 2.5,
    "number ** Value": lambda x: 2.5**x,
    "Value ** number": lambda x: x**2.5,
    "int on both sides": lambda x: (3 - x) * 2 / (1 + x) ** 2 - 7,
}


@pytest.mark.parametrize("name", REFLECTED)
@pytest.mark.parametrize("x", [0.4, 3.0])
def test_number_on_either_side_matches_torch(name: str, x: float) -> None:
    check_against_torch(REFLECTED[name], x)


# --- Compound expressions. ------------------------------------------------------------------------
def test_micrograd_style_sanity_expression_matches_torch() -> None:
    def expression(x):
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        return h + q + q * x

    check_against_torch(expression, -4.0)


def test_bigger_expression_matches_torch() -> None:
    def expression(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        return g

    check_against_torch(expression, -4.0, 2.0)


def test_neuron_with_every_operation_matches_torch() -> None:
    def neuron(x1, x2, w1, w2, bias, exponent):
        z = x1 * w1 + x2 * w2 + bias
        hidden = z.tanh() * z.sigmoid() + (z / 3).exp().log() - (-z).relu()
        return (hidden - 0.25) ** 2 + 1.5**exponent / (2 + hidden.exp()) - (x1 + 2) ** exponent

    check_against_torch(neuron, 2.0, -1.0, -3.0, 1.0, 6.881373587, 1.3)


def test_value_to_its_own_power_matches_torch() -> None:
    check_against_torch(lambda x: x**x, 1.7)  # the base and the exponent both get a share


def test_accepts_any_real_number() -> None:
    assert (Value(Fraction(1, 4)) * True).data == 0.25
    assert (Value(3) + Fraction(1, 2)).data == 3.5
    assert (Value(2.0) * numpy.float32(0.5)).data == 1.0  # NumPy registers its floats as Real


# --- Gradients accumulate. ------------------------------------------------------------------------
def test_node_used_twice_collects_both_shares() -> None:
    check_against_torch(lambda x: x * x, 3.0)  # d(x * x)/dx = 2x = 6
    check_against_torch(lambda a: a + a, 3.0)  # d(a + a)/da = 2
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    a = Value(-1.25)
    (a + a).backward()
    assert a.grad == 2.0


def test_second_backward_adds_the_same_gradients_again_like_torch() -> None:
    x, y = Value(0.5), Value(-2.0)
    tx = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    hidden, torch_hidden = (x * y).tanh(), (tx * ty).tanh()
    torch_hidden.retain_grad()
    out, torch_out = hidden * x + y, torch_hidden * tx + ty
    for _ in range(2):
        out.backward()
        torch_out.backward(retain_graph=True)
    assert_close(x.grad, tx.grad.item(), "x")
    assert_close(y.grad, ty.grad.item(), "y")
    assert_close(hidden.grad, torch_hidden.grad.item(), "intermediate value")
    assert out.grad == 2.0


def test_gradients_from_two_outputs_add_up() -> None:
    x = Value(1.5)
    first, second = x * 4, x.exp()
    first.backward()
    second.backward()
    assert_close(x.grad, 4 + math.exp(1.5), "sum of the two gradients")


def test_zero_grad_clears_the_whole_graph() -> None:
    x, y = Value(2.0), Value(3.0)
    hidden = x * y
    out = hidden + x
    out.backward()
    assert (x.grad, y.grad, hidden.grad) == (4.0, 2.0, 1.0)
    out.zero_grad()
    assert (x.grad, y.grad, hidden.grad, out.grad) == (0.0, 0.0, 0.0, 0.0)
    out.backward()
    assert (x.grad, y.grad) == (4.0, 2.0)


# --- Deep graphs. ---------------------------------------------------------------------------------
def test_chain_of_100000_operations_backpropagates_without_recursion() -> None:
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y + x  # y = 100001 x, so dy/dx = 100001: every step of the chain must be walked
    y.backward()
    assert y.data == 100_001 * 0.5
    assert x.grad == 100_001.0
    assert len(y.to_dot().splitlines()) > 100_000  # to_dot walks the same chain without recursion
    y.zero_grad()
    assert x.grad == 0.0


def test_long_chain_of_multiplications_matches_closed_form() -> None:
    x = Value(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001  # y = x * 1.0001 ** 10000 (rounding grows by ~1e-16 per step)
    y.backward()
    assert math.isclose(x.grad, 1.0001**10_000, rel_tol=1e-11)


# --- Extremes: no overflow errors, no warnings (pytest turns warnings into errors). ---------------
@pytest.mark.parametrize("x", [-1000.0, -710.0, -40.0, 40.0, 710.0, 1000.0])
@pytest.mark.parametrize(
    "function",
    [lambda v: v.sigmoid(), lambda v: v.tanh(), lambda v: v.exp()],
    ids=["sigmoid", "tanh", "exp"],
)
def test_extreme_inputs_match_torch(function: Callable, x: float) -> None:
    check_against_torch(function, x)


def test_saturated_values_are_exact() -> None:
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).tanh().data == -1.0
    assert Value(-1000.0).exp().data == 0.0
    assert math.isclose(Value(-710.0).sigmoid().data, math.exp(-710.0), rel_tol=1e-12)  # subnormal
    assert Value(1000.0).exp().data == math.inf  # as in PyTorch, not Python's OverflowError
    assert (Value(1e200) ** 2).data == math.inf  # as 1e200 * 1e200, not an OverflowError
    assert (Value(-1e200) ** 3).data == -math.inf


# --- Bad inputs give errors that say what to do. --------------------------------------------------
@pytest.mark.parametrize("x", [0.0, -1.0, -math.inf])
def test_log_of_non_positive_raises(x: float) -> None:
    with pytest.raises(ValueError, match=r"log needs a positive number, got"):
        Value(x).log()


@pytest.mark.parametrize("base", [0.0, -2.0])
def test_value_exponent_needs_positive_base(base: float) -> None:
    with pytest.raises(ValueError, match=r"Value exponent needs a positive base"):
        Value(base) ** Value(2.0)
    with pytest.raises(ValueError, match=r"Value exponent needs a positive base"):
        base ** Value(2.0)


def test_negative_base_to_fractional_power_raises() -> None:
    with pytest.raises(ValueError, match=r"not a real number"):
        Value(-8.0) ** (1 / 3)
    assert (Value(-2.0) ** 3.0).data == -8.0  # an integer exponent is fine


def test_division_by_zero_raises_like_python() -> None:
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)


@pytest.mark.parametrize(
    "operation",
    [
        lambda v: v + "2",
        lambda v: "2" + v,
        lambda v: v * "2",
        lambda v: "2" * v,
        lambda v: v - "2",
        lambda v: "2" - v,
        lambda v: v / "2",
        lambda v: "2" / v,
        lambda v: v ** "2",
        lambda v: "2" ** v,
    ],
)
def test_string_operand_raises_type_error_naming_it(operation: Callable) -> None:
    with pytest.raises(TypeError, match=r"got str '2'"):
        operation(Value(1.0))


@pytest.mark.parametrize("bad", [[1.0], 1 + 2j, None, "3"])
def test_non_number_raises_type_error_naming_its_type(bad: object) -> None:
    with pytest.raises(TypeError, match=rf"got {type(bad).__name__}"):
        Value(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=rf"got {type(bad).__name__}"):
        Value(1.0) * bad  # type: ignore[operator]


# --- Presentation. --------------------------------------------------------------------------------
def test_repr_shows_data_grad_and_label() -> None:
    assert repr(Value(3)) == "Value(data=3.0, grad=0.0)"
    weight = Value(10, label="weight")
    (weight * 2).backward()
    assert repr(weight) == "Value(data=10.0, grad=2.0, label='weight')"


def test_to_dot_lists_every_value_and_operation() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b|c")
    out = (a * b + a).tanh()
    out.label = "out"
    out.backward()
    dot = out.to_dot()
    assert dot.startswith("digraph {") and dot.endswith("}")
    assert dot.count("shape=record") == 5  # a, b, a*b, a*b+a, tanh
    assert dot.count("_op [label=") == 3  # *, +, tanh
    assert dot.count(" -> ") == 3 + 5  # each op to its output, each input to its op
    assert "b\\|c" in dot  # a record separator in a label is escaped
    assert f"grad {a.grad:.4g}" in dot and "{ out | data" in dot


# --- The ladder: part 4 of the series. ------------------------------------------------------------
def test_part_4_derivative_is_the_scalar_engines_gradient() -> None:
    # Part 4: input 0.2, target 8, weight 10; derivative = input * (prediction - target).
    # That is the gradient of (prediction - target) ** 2 / 2, the error the rule descends.
    input_, target, weight = 0.2, 8.0, Value(10.0)
    prediction = weight * input_
    error = 0.5 * (prediction - target) ** 2
    error.backward()
    by_hand = input_ * (input_ * 10.0 - target)
    assert by_hand == pytest.approx(-1.2, rel=1e-15)
    assert_close(weight.grad, by_hand, "part 4 derivative")
    # One step with the series' alpha 24 gives its second prediction, 7.76.
    new_weight = weight.data - 24 * weight.grad
    assert round(input_ * new_weight, 2) == 7.76


def test_part_4_descent_in_basics_takes_the_scalar_engines_steps() -> None:
    # The ladder: humblenet.basics applies part 4's hand-derived rule; replaying each of its steps
    # with the engine's gradient of (prediction - target) ** 2 / 2 gives the same weights, exactly.
    alpha = 24.0
    series = gradient_descent_one_weight(0.2, 8, 10, alpha=alpha)  # rounds as the series does
    first = series.steps[0]  # its prediction 2.0 is exact, so rounding changed nothing yet
    weight = Value(first.weights)
    (0.5 * (weight * 0.2 - 8) ** 2).backward()
    assert alpha * weight.grad == first.adjustment
    unrounded = gradient_descent_one_weight(0.2, 8, 10, alpha=alpha, round_prediction=None)
    assert unrounded.stopped == "converged" and len(unrounded.steps) > 5
    for step in unrounded.steps[:-1]:  # the last step only measures the error
        weight = Value(step.weights)
        error = 0.5 * (weight * 0.2 - 8) ** 2
        error.backward()
        assert weight.data - alpha * weight.grad == step.new_weights, step
        assert math.isclose(2 * error.data, step.error, rel_tol=1e-15)


# --- Pure Python: importing the engine never imports NumPy. ---------------------------------------
_BLOCK_NUMPY = """
    import importlib.abc, sys

    class BlockNumpy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "numpy" or name.startswith("numpy."):
                raise ImportError("numpy is blocked in this test")

    sys.meta_path.insert(0, BlockNumpy())
"""
_USE_ENGINE = """
    x = scalar.Value(3.0)
    (x * x + x.exp()).backward()
    assert "numpy" not in sys.modules, "numpy was imported"
    print(x.grad)
"""


def _run_with_numpy_blocked(code: str) -> str:
    script = textwrap.dedent(_BLOCK_NUMPY) + textwrap.dedent(code) + textwrap.dedent(_USE_ENGINE)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_scalar_module_file_runs_without_numpy() -> None:
    stdout = _run_with_numpy_blocked(f"""
        import importlib.util
        spec = importlib.util.spec_from_file_location("scalar", {str(SCALAR_SOURCE)!r})
        scalar = importlib.util.module_from_spec(spec)
        sys.modules["scalar"] = scalar
        spec.loader.exec_module(scalar)
    """)
    assert float(stdout) == pytest.approx(6 + math.exp(3.0), rel=1e-15)


def test_import_humblenet_scalar_without_numpy() -> None:
    # The design says the scalar rung never imports NumPy, also when imported as
    # humblenet.scalar: the package's __init__ must then import its NumPy parts lazily.
    stdout = _run_with_numpy_blocked("""
        import humblenet.scalar as scalar
    """)
    assert float(stdout) == pytest.approx(6 + math.exp(3.0), rel=1e-15)


def test_blocking_numpy_really_blocks_it() -> None:
    # Guards the two tests above: the blocker must make `import numpy` fail.
    script = textwrap.dedent(_BLOCK_NUMPY) + "import numpy\n"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "numpy is blocked" in result.stderr
