"""The series "Deep Learning Basics", parts 1 to 8, as plain teaching functions.

Every function here is one idea of the series, written with plain floats and lists (NumPy from
part 7 on), in the same order of arithmetic as the series so that it prints the same numbers,
float for float:

- part 1: :func:`predict_with_one_weight`;
- part 2: :func:`dot_product`, :func:`predict_with_several_inputs`,
  :func:`predict_several_outputs`, :func:`predict_one_input_several_outputs`;
- part 3: :func:`hot_cold_try`, :func:`hot_cold_learning`;
- part 4: :func:`gradient_descent_one_weight`;
- part 5: :func:`gradient_descent_several_inputs`, :func:`gradient_descent_several_outputs`;
- part 6: :func:`gradient_descent_weight_matrix`;
- part 7: :func:`stochastic_gradient_descent`;
- part 8: :func:`backprop_one_hidden_layer`.

What we add to the series: its loops run ``while True`` until the error is exactly 0. Ours take a
cap (``max_steps`` or ``max_passes``), keep a trace of every step, and say why they stopped:
``"converged"``, ``"cap"`` (the cap was reached first) or ``"diverged"`` (the error kept growing,
or the numbers grew past what a float holds), with a ``message`` that names the knob to change.

Input checks: numbers are ``int`` or ``float`` (NumPy scalars too). Booleans are refused even
though Python counts ``True`` as 1: in this series a ``True`` where a number belongs is almost
always a mistake, so write 1 or 0. Strings, ``None``, NaN and infinities are refused as well.

Example:
    >>> predict_with_one_weight(30, 7.56)
    226.79999999999998
    >>> gradient_descent_one_weight(0.2, 8, 10, alpha=24).predictions
    [2.0, 7.76, 7.99, 8.0]
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np

__all__ = [
    "BackpropResult",
    "GradientDescentResult",
    "GradientStep",
    "HotColdResult",
    "HotColdStep",
    "PatternStep",
    "SGDResult",
    "StopReason",
    "backprop_one_hidden_layer",
    "dot_product",
    "gradient_descent_one_weight",
    "gradient_descent_several_inputs",
    "gradient_descent_several_outputs",
    "gradient_descent_weight_matrix",
    "hot_cold_learning",
    "hot_cold_try",
    "predict_one_input_several_outputs",
    "predict_several_outputs",
    "predict_with_one_weight",
    "predict_with_several_inputs",
    "stochastic_gradient_descent",
]

StopReason = Literal["converged", "cap", "diverged"]

# A weight, a vector of weights or a matrix of weights (rows), as plain Python numbers: a float,
# a tuple of floats, or a tuple of tuples. (Typed as Any so that callers need no narrowing.)
Numbers: TypeAlias = Any

# Divergence: the error grew at each of this many steps in a row, to more than 10 times what it
# was before the growth began. (Rounding can make an error grow once or twice near the end of a
# run that converges; five times in a row and tenfold is a trend.)
_GROWTH_STEPS = 5
_GROWTH_FACTOR = 10


# ---------------------------------------------------------------------------------------------
# Input checks: one place, with messages that say what was received and what was expected.
# ---------------------------------------------------------------------------------------------


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _number(value: object, name: str) -> Any:
    """Return ``value`` as a plain Python number, or raise a TypeError/ValueError naming it."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be a number, got {value!r} (bool); write 1 or 0 if you mean a number"
        )
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number (int or float), got {_describe(value)}")
    if isinstance(value, np.generic):
        value = value.item()  # NumPy scalar -> the same value as a Python int or float
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def _vector(values: object, name: str) -> list[Any]:
    """Return ``values`` as a non-empty list of plain numbers."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list of numbers, got {_describe(values)}")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(
            f"{name} must be a flat list of numbers, got an array of shape {values.shape}"
        )
    items = list(values)
    if not items:
        raise ValueError(f"{name} is empty: expected at least one number")
    return [_number(item, f"{name}[{index}]") for index, item in enumerate(items)]


def _same_length(first: list[Any], first_name: str, second: list[Any], second_name: str) -> None:
    if len(first) != len(second):
        raise ValueError(
            f"{first_name} has {len(first)} numbers but {second_name} has {len(second)}: "
            "they must have the same length, one weight per input"
        )


def _matrix(rows: object, name: str, columns: int, columns_name: str) -> list[list[Any]]:
    """Return ``rows`` as a list of rows, each with ``columns`` numbers."""
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"{name} must be a list of rows of numbers, got {_describe(rows)}")
    row_list = list(rows)
    if not row_list:
        raise ValueError(f"{name} is empty: expected at least one row of weights")
    checked = []
    for index, row in enumerate(row_list):
        row_values = _vector(row, f"{name}[{index}]")
        if len(row_values) != columns:
            raise ValueError(
                f"{name}[{index}] has {len(row_values)} weights but there are {columns} "
                f"{columns_name}: each row needs one weight per input"
            )
        checked.append(row_values)
    return checked


def _positive(value: object, name: str) -> Any:
    number = _number(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be a positive number, got {number!r}")
    return number


def _cap(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number (the most to run), got {_describe(value)}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 (the most to run), got {value!r}")
    return int(value)


def _decimals(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a number of decimals (0, 1, 2, ...) or None, got {_describe(value)}"
        )
    if value < 0:
        raise ValueError(f"{name} must be 0 or more decimals, or None, got {value!r}")
    return int(value)


def _tolerance(value: object) -> Any:
    number = _number(value, "tolerance")
    if number < 0:
        raise ValueError(f"tolerance must be 0 or more, got {number!r}")
    return number


def _finite(value: Any) -> bool:
    # Python ints never overflow; math.isfinite would fail on a huge one.
    return isinstance(value, numbers.Integral) or math.isfinite(value)


def _is_diverging(errors: Sequence[Any]) -> bool:
    """True when the last error is not finite, or has grown steadily (see _GROWTH_STEPS)."""
    if not _finite(errors[-1]):
        return True
    start = len(errors) - 1
    while start > 0 and errors[start] > errors[start - 1]:
        start -= 1
    grew = len(errors) - 1 - start
    return grew >= _GROWTH_STEPS and errors[-1] > _GROWTH_FACTOR * errors[start]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else ("es" if noun.endswith("s") else "s"))


def _growth(last_error: Any, unit: str) -> str:
    """How the error diverged, in words."""
    if not _finite(last_error):
        return "the numbers grew past what a float can hold (inf or nan)"
    return (
        f"the error grew at each of the last {_GROWTH_STEPS} or more {unit}es"
        if unit.endswith("s")
        else f"the error grew at each of the last {_GROWTH_STEPS} or more {unit}s"
    ) + f", to {_short(last_error)}"


def _short(value: float) -> str:
    """A number for a message: readable, not every digit."""
    return f"{value:.4g}"


# ---------------------------------------------------------------------------------------------
# Parts 1 and 2: predictions.
# ---------------------------------------------------------------------------------------------


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
    input_value = _number(input_value, "input_value")
    weight = _number(weight, "weight")
    # The weight scales the input: that is all a one-weight network does.
    return input_value * weight


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
    a = _vector(vector_a, "vector_a")
    b = _vector(vector_b, "vector_b")
    _same_length(a, "vector_a", b, "vector_b")
    total = 0
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
    values = _vector(inputs, "inputs")
    weight_values = _vector(weights, "weights")
    _same_length(values, "inputs", weight_values, "weights")
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
    values = _vector(inputs, "inputs")
    rows = _matrix(weight_rows, "weight_rows", len(values), "inputs")
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
    value = _number(input_value, "input_value")
    return [value * weight for weight in _vector(weights, "weights")]


# ---------------------------------------------------------------------------------------------
# Part 3: hot/cold learning.
# ---------------------------------------------------------------------------------------------


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
class HotColdResult:
    """What :func:`hot_cold_learning` did: the final weight, each step, and why it stopped."""

    weight: float
    steps: tuple[HotColdStep, ...]
    stopped: StopReason
    message: str

    @property
    def converged(self) -> bool:
        """True when the error reached the tolerance."""
        return self.stopped == "converged"

    @property
    def predictions(self) -> list[float]:
        """The prediction made at each step."""
        return [step.prediction for step in self.steps]

    @property
    def errors(self) -> list[float]:
        """The squared error at each step."""
        return [step.error for step in self.steps]


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
    input_value = _number(input_value, "input_value")
    target = _number(target, "target")
    weight = _number(weight, "weight")
    step = _positive(step, "step")
    decimals = _decimals(round_weight, "round_weight")
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
    input_value = _number(input_value, "input_value")
    target = _number(target, "target")
    weight = _number(weight, "weight")
    step = _positive(step, "step")
    decimals = _decimals(round_weight, "round_weight")
    max_steps = _cap(max_steps, "max_steps")
    tolerance = _tolerance(tolerance)

    steps: list[HotColdStep] = []
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
    message = (
        f"Stopped at the cap of {max_steps} steps (max_steps) with squared error "
        f"{_short(last.error)} (weight {last.weight!r}). "
    )
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
    return HotColdResult(weight, tuple(steps), "cap", message)


# ---------------------------------------------------------------------------------------------
# Parts 4 to 6: gradient descent, by hand.
# ---------------------------------------------------------------------------------------------


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
class GradientDescentResult:
    """What a gradient descent function did: final weights, each step, and why it stopped."""

    weights: Numbers
    steps: tuple[GradientStep, ...]
    stopped: StopReason
    message: str

    @property
    def converged(self) -> bool:
        """True when the error reached the tolerance."""
        return self.stopped == "converged"

    @property
    def predictions(self) -> list[Numbers]:
        """The prediction made at each step."""
        return [step.prediction for step in self.steps]

    @property
    def errors(self) -> list[float]:
        """The squared error at each step."""
        return [step.error for step in self.steps]

    @property
    def updates(self) -> int:
        """How many times the weights changed."""
        return sum(1 for step in self.steps if step.adjustment is not None)


def _rounded(value: Any, decimals: int | None) -> Any:
    return value if decimals is None else round(value, decimals)


def _descend(
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
    for number in range(1, max_steps + 2):
        prediction, delta, error = measure(weights)
        errors.append(error)
        if _finite(error) and error <= tolerance:
            stopped = "converged"
        elif _is_diverging(errors):
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

    updates = len(steps) - 1
    last_error = errors[-1]
    product = rate * curvature
    rule = (
        f"each step multiplies (prediction - target) by 1 - {rate_name} x {curvature_text}, "
        f"and here {rate_name} x {curvature_text} = {_short(product)}"
    )
    limit = (
        f"lower {rate_name} below 2 / {curvature_text} = {_short(2 / curvature)}"
        if curvature > 0
        else ""
    )
    if stopped == "converged":
        message = f"Converged after {_count(updates, 'update')}: squared error {last_error!r}."
    elif stopped == "diverged":
        message = f"Diverged after {_count(updates, 'update')}: {_growth(last_error, 'step')}. "
        if product > 2:
            message += (
                f"The cause: {rule}, above 2, so that factor is below -1 and the error grows "
                f"every step. To converge, {limit} ({rate_name} is {rate!r} now)."
            )
        else:
            message += f"Lower {rate_name} (now {rate!r}), for example to {_short(rate / 10)}."
    else:
        message = (
            f"Stopped at the cap of {max_steps} steps (max_steps) with squared error "
            f"{_short(last_error)}. "
        )
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
                f"{_short(100 * product)}% of the error. Raise {rate_name} (below "
                f"{_short(2 / curvature)}) or max_steps."
            )
        else:
            message += (
                "Raise max_steps; if the error stopped shrinking, the rounded prediction may "
                "never equal the target exactly: set a tolerance above 0 or round less."
            )
    return GradientDescentResult(weights, tuple(steps), stopped, message)


def _check_rate(alpha: object) -> Any:
    return _positive(alpha, "alpha")


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
    input_value = _number(input_value, "input_value")
    target = _number(target, "target")
    weight = _number(weight, "weight")
    alpha = _check_rate(alpha)
    decimals = _decimals(round_prediction, "round_prediction")
    max_steps = _cap(max_steps, "max_steps")
    tolerance = _tolerance(tolerance)

    def measure(weight: Any) -> tuple[Any, Any, Any]:
        prediction = _rounded(input_value * weight, decimals)
        delta = prediction - target  # how far off, and in which direction
        return prediction, delta, delta * delta  # squared error: always positive

    def update(weight: Any, delta: Any) -> tuple[Any, Any]:
        derivative = input_value * delta  # how the error changes as the weight changes
        adjustment = alpha * derivative  # alpha scales the step
        return adjustment, weight - adjustment

    return _descend(
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
    values = _vector(inputs, "inputs")
    start = _vector(weights, "weights")
    _same_length(values, "inputs", start, "weights")
    target = _number(target, "target")
    alpha = _check_rate(alpha)
    decimals = _decimals(round_prediction, "round_prediction")
    max_steps = _cap(max_steps, "max_steps")
    tolerance = _tolerance(tolerance)

    def measure(weights: Any) -> tuple[Any, Any, Any]:
        prediction = _rounded(dot_product(values, weights), decimals)
        delta = prediction - target
        return prediction, delta, delta * delta

    def update(weights: Any, delta: Any) -> tuple[Any, Any]:
        correction = alpha * delta  # shared by every weight...
        adjustment = tuple(x * correction for x in values)  # ...scaled by its own input
        return adjustment, tuple(w - a for w, a in zip(weights, adjustment))

    return _descend(
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
    value = _number(input_value, "input_value")
    start = _vector(weights, "weights")
    goals = _vector(targets, "targets")
    _same_length(start, "weights", goals, "targets")
    alpha = _check_rate(alpha)
    decimals = _decimals(round_prediction, "round_prediction")
    max_steps = _cap(max_steps, "max_steps")
    tolerance = _tolerance(tolerance)

    def measure(weights: Any) -> tuple[Any, Any, Any]:
        predictions = tuple(_rounded(value * w, decimals) for w in weights)
        deltas = tuple(p - t for p, t in zip(predictions, goals))
        return predictions, deltas, sum(d * d for d in deltas)

    def update(weights: Any, deltas: Any) -> tuple[Any, Any]:
        adjustment = tuple(alpha * (value * d) for d in deltas)  # alpha x derivative, per output
        return adjustment, tuple(w - a for w, a in zip(weights, adjustment))

    return _descend(
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
    values = _vector(inputs, "inputs")
    rows = _matrix(weight_rows, "weight_rows", len(values), "inputs")
    goals = _vector(targets, "targets")
    if len(goals) != len(rows):
        raise ValueError(
            f"weight_rows has {len(rows)} rows but targets has {len(goals)} numbers: "
            "each output needs one row of weights and one target"
        )
    alpha = _check_rate(alpha)
    decimals = _decimals(round_prediction, "round_prediction")
    max_steps = _cap(max_steps, "max_steps")
    tolerance = _tolerance(tolerance)

    def measure(rows: Any) -> tuple[Any, Any, Any]:
        predictions = tuple(_rounded(dot_product(values, row), decimals) for row in rows)
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

    return _descend(
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


# ---------------------------------------------------------------------------------------------
# Part 7: stochastic gradient descent over a data set (NumPy from here on).
# ---------------------------------------------------------------------------------------------


def _pattern_matrix(patterns: object, name: str = "patterns") -> np.ndarray:
    """Check a list of patterns (rows of numbers, all the same length); return float64 rows."""
    if isinstance(patterns, (str, bytes)) or not hasattr(patterns, "__iter__"):
        raise TypeError(f"{name} must be a list of rows of numbers, got {_describe(patterns)}")
    rows = list(patterns)
    if not rows:
        raise ValueError(f"{name} is empty: expected at least one row of numbers")
    checked = [_vector(row, f"{name}[{index}]") for index, row in enumerate(rows)]
    for index, row in enumerate(checked):
        if len(row) != len(checked[0]):
            raise ValueError(
                f"{name}[{index}] has {len(row)} numbers but {name}[0] has {len(checked[0])}: "
                "every pattern needs the same number of inputs"
            )
    return np.array(checked, dtype=np.float64)


@dataclass(frozen=True)
class PatternStep:
    """One update of stochastic gradient descent: one pattern of one pass."""

    pass_number: int
    pattern_index: int
    prediction: float
    error: float
    new_weights: tuple[float, ...]


@dataclass(frozen=True)
class SGDResult:
    """What :func:`stochastic_gradient_descent` did.

    Attributes:
        weights: the final weights.
        pass_errors: the squared error accumulated over each pass.
        steps: every update, pattern by pattern.
        stopped: ``"converged"``, ``"cap"`` or ``"diverged"``.
        message: why, in words.
    """

    weights: tuple[float, ...]
    pass_errors: tuple[float, ...]
    steps: tuple[PatternStep, ...]
    stopped: StopReason
    message: str

    @property
    def converged(self) -> bool:
        """True when the last pass's error reached the tolerance."""
        return self.stopped == "converged"


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
    data = _pattern_matrix(patterns)
    goals = np.array(_vector(targets, "targets"), dtype=np.float64)
    if len(goals) != len(data):
        raise ValueError(
            f"patterns has {len(data)} rows but targets has {len(goals)} numbers: "
            "each pattern needs one target"
        )
    start = _vector(weights, "weights")
    if len(start) != data.shape[1]:
        raise ValueError(
            f"weights has {len(start)} numbers but each pattern has {data.shape[1]} inputs: "
            "one weight per input"
        )
    alpha = _check_rate(alpha)
    max_passes = _cap(max_passes, "max_passes")
    decimals = _decimals(round_prediction, "round_prediction")
    tolerance = _tolerance(tolerance)

    current = np.array(start, dtype=np.float64)
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
            if _is_diverging(pass_errors):
                stopped = "diverged"
                break
            if stop_when_converged and pass_errors[-1] <= tolerance:
                break
    if stopped != "diverged" and pass_errors[-1] <= tolerance:
        stopped = "converged"

    passes = len(pass_errors)
    last = pass_errors[-1]
    if stopped == "converged":
        message = f"Converged: the error of pass {passes} is {last!r}."
    elif stopped == "diverged":
        message = (
            f"Diverged after {_count(passes, 'pass')}: {_growth(last, 'pass')}. "
            f"Lower alpha (now {alpha!r}), for example to {_short(alpha / 10)}."
        )
    else:
        message = (
            f"Ran {passes} passes (max_passes) and the error of the last pass is still "
            f"{_short(last)}: raise max_passes"
        )
        message += (
            ", or set a tolerance above 0 if the rounded predictions cannot hit the targets."
            if decimals is not None
            else ", or set a tolerance above 0 (without rounding the error never reaches 0)."
        )
    return SGDResult(tuple(current.tolist()), tuple(pass_errors), tuple(steps), stopped, message)


# ---------------------------------------------------------------------------------------------
# Part 8: backpropagation through one hidden layer.
# ---------------------------------------------------------------------------------------------

_ACTIVATIONS = ("relu", "sigmoid")


def _activate(values: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(values, 0.0)  # pass positives, silence negatives
    return 1.0 / (1.0 + np.exp(-values))  # sigmoid: squash into (0, 1)


def _activation_slope(hidden: np.ndarray, activation: str) -> np.ndarray:
    """The activation's derivative, written with its output ``hidden``."""
    if activation == "relu":
        return (hidden > 0).astype(np.float64)  # 1 where the unit fired, 0 elsewhere
    return hidden * (1.0 - hidden)  # sigmoid: s * (1 - s)


def _with_bias(values: np.ndarray, bias: bool) -> np.ndarray:
    return np.append(values, 1.0) if bias else values


@dataclass(frozen=True, eq=False)
class BackpropResult:
    """What :func:`backprop_one_hidden_layer` did, and the trained network.

    Attributes:
        hidden_weights: input -> hidden weights, shape (inputs [+1 for bias], hidden_size).
        output_weights: hidden -> output weights, shape (hidden_size [+1 for bias], outputs).
        initial_hidden_weights, initial_output_weights: the starting weights (from the seed).
        pass_errors: the squared error accumulated over each pass.
        stopped: ``"converged"``, ``"cap"`` or ``"diverged"``.
        message: why, in words.
        activation, bias, round_prediction: how the network computes (as trained).
    """

    hidden_weights: np.ndarray
    output_weights: np.ndarray
    initial_hidden_weights: np.ndarray
    initial_output_weights: np.ndarray
    pass_errors: tuple[float, ...]
    stopped: StopReason
    message: str
    activation: str
    bias: bool
    round_prediction: int | None

    @property
    def converged(self) -> bool:
        """True when a pass's error reached the tolerance."""
        return self.stopped == "converged"

    @property
    def passes(self) -> int:
        """How many passes over the data were made."""
        return len(self.pass_errors)

    def hidden(self, pattern: Sequence[float] | np.ndarray) -> np.ndarray:
        """The hidden layer's outputs for one pattern (without the bias input)."""
        x = _with_bias(np.asarray(pattern, dtype=np.float64), self.bias)
        return _activate(x @ self.hidden_weights, self.activation)

    def predict(self, patterns: Sequence[float] | Sequence[Sequence[float]]) -> np.ndarray:
        """Predict with the trained weights, rounding as in training.

        Args:
            patterns: one pattern (a list of inputs) or a list of patterns.

        Returns:
            For one pattern, an array of the outputs (shape ``(outputs,)``); for several,
            shape ``(patterns, outputs)``.
        """
        data = np.asarray(patterns, dtype=np.float64)
        inputs = self.hidden_weights.shape[0] - (1 if self.bias else 0)
        if data.ndim not in (1, 2) or data.shape[-1] != inputs:
            raise ValueError(
                f"expected a pattern of {inputs} inputs or a list of them, "
                f"got an array of shape {data.shape}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            rows = [self._predict_one(row) for row in np.atleast_2d(data)]
        out = np.array(rows)
        return out[0] if data.ndim == 1 else out

    def _predict_one(self, pattern: np.ndarray) -> np.ndarray:
        hidden = _with_bias(self.hidden(pattern), self.bias)
        prediction = hidden @ self.output_weights
        if self.round_prediction is not None:
            prediction = np.round(prediction, self.round_prediction)
        return prediction


def _start_weights(
    initial_weights: object,
    seed: int | np.random.Generator,
    shapes: tuple[tuple[int, int], tuple[int, int]],
) -> tuple[np.ndarray, np.ndarray]:
    if initial_weights is None:
        if isinstance(seed, (bool, np.bool_)) or not isinstance(
            seed, (numbers.Integral, np.random.Generator)
        ):
            raise TypeError(
                f"seed must be a whole number or a numpy.random.Generator, got {_describe(seed)}"
            )
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        # Uniform in [0, 1), as the series; input->hidden first, then hidden->output.
        return rng.random(shapes[0]), rng.random(shapes[1])
    if not isinstance(initial_weights, (tuple, list)) or len(initial_weights) != 2:
        raise TypeError(
            "initial_weights must be a pair (hidden_weights, output_weights), "
            f"got {_describe(initial_weights)}"
        )
    checked = []
    for name, given, shape in zip(("hidden_weights", "output_weights"), initial_weights, shapes):
        matrix = _pattern_matrix(given, f"initial_weights {name}")
        if matrix.shape != shape:
            raise ValueError(
                f"initial_weights {name} has shape {matrix.shape}, expected {shape} "
                "(rows: inputs to the layer, plus 1 with bias; columns: units of the layer)"
            )
        checked.append(matrix)
    return checked[0], checked[1]


def backprop_one_hidden_layer(
    patterns: Sequence[Sequence[float]],
    targets: Sequence[float] | Sequence[Sequence[float]],
    *,
    hidden_size: int = 4,
    alpha: float = 0.1,
    seed: int | np.random.Generator = 3,
    max_passes: int = 1000,
    activation: str = "relu",
    bias: bool = False,
    round_prediction: int | None = 1,
    tolerance: float = 0.0,
    initial_weights: tuple[Any, Any] | None = None,
) -> BackpropResult:
    """Part 8: backpropagation through one hidden layer, pattern by pattern.

    The network: inputs -> hidden layer (``activation``) -> linear output. For each pattern::

        hidden = activation(input @ w1)
        prediction = hidden @ w2                         (rounded to round_prediction)
        delta2 = prediction - target                     (the output's error signal)
        delta1 = (w2 @ delta2) * activation'(hidden)     (sent back through w2)
        w2 -= outer(alpha * hidden, delta2)              (alpha * hidden * delta2)
        w1 -= alpha * outer(input, delta1)

    and the pass's error is the sum of ``delta2²``. The run stops after the first pass whose
    error is at most ``tolerance`` ("converged"), after ``max_passes`` passes ("cap", where the
    series would loop forever), or when the error diverges.

    The defaults are the series' part 8: 4 hidden ReLU units, no bias, alpha 0.1, weights
    uniform in [0, 1), each prediction rounded to 1 decimal. Seed 3 is one that converges on
    the series' data (seed 0 does not: the network gets stuck predicting 0.5 everywhere).

    Options beyond the series: ``bias=True`` adds a constant input of 1 to each layer (a bias
    weight per unit, as the last row of each weight matrix); ``activation="sigmoid"``;
    ``round_prediction=None`` with a ``tolerance`` above 0 for networks whose predictions are
    not rounded (for example a 2-2-1 network on XOR); targets with several outputs per
    pattern; ``initial_weights`` to start from given matrices instead of the seed.

    Args:
        patterns: the inputs, one row per pattern.
        targets: one target per pattern (or one row of targets per pattern).
        hidden_size: the number of hidden units (4).
        alpha: the learning rate (0.1).
        seed: an int for ``numpy.random.default_rng(seed)``, or a Generator.
        max_passes: the most passes over the data.
        activation: ``"relu"`` (the series) or ``"sigmoid"``.
        bias: add a constant-1 input to the hidden and the output layer.
        round_prediction: decimals for each prediction (1, as the series), or None.
        tolerance: the pass error counted as converged (0: every rounded prediction exact).
        initial_weights: ``(hidden_weights, output_weights)`` of shapes
            ``(inputs [+1], hidden_size)`` and ``(hidden_size [+1], outputs)``; overrides seed.

    Returns:
        A :class:`BackpropResult` with the trained weights, the error of each pass, why it
        stopped, and ``predict(pattern)``.

    Example:
        >>> patterns = [[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 1]]
        >>> result = backprop_one_hidden_layer(patterns, [1, 0, 1, 0], seed=3)
        >>> result.stopped, result.pass_errors[-1]
        ('converged', 0.0)
        >>> result.predict([0, 1, 0]).tolist()
        [1.0]
    """
    data = _pattern_matrix(patterns)
    if isinstance(targets, (str, bytes)) or not hasattr(targets, "__iter__"):
        raise TypeError(f"targets must be a list of numbers, got {_describe(targets)}")
    target_list = list(targets)
    if target_list and hasattr(target_list[0], "__iter__") and not isinstance(target_list[0], str):
        goals = _pattern_matrix(target_list, "targets")
    else:
        goals = np.array(_vector(target_list, "targets"), dtype=np.float64)[:, None]
    if len(goals) != len(data):
        raise ValueError(
            f"patterns has {len(data)} rows but targets has {len(goals)}: "
            "each pattern needs one target"
        )
    hidden_size = _cap(hidden_size, "hidden_size")
    alpha = _check_rate(alpha)
    max_passes = _cap(max_passes, "max_passes")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False, got {_describe(bias)}")
    bias = bool(bias)
    decimals = _decimals(round_prediction, "round_prediction")
    tolerance = _tolerance(tolerance)
    extra = 1 if bias else 0
    shapes = ((data.shape[1] + extra, hidden_size), (hidden_size + extra, goals.shape[1]))
    w1, w2 = _start_weights(initial_weights, seed, shapes)
    start1, start2 = w1.copy(), w2.copy()

    pass_errors: list[float] = []
    stopped: StopReason = "cap"
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max_passes):
            pass_error = 0.0
            for pattern, target in zip(data, goals):
                # Forward: input -> hidden -> output.
                x = _with_bias(pattern, bias)
                hidden = _activate(x @ w1, activation)
                hidden_out = _with_bias(hidden, bias)
                prediction = hidden_out @ w2
                if decimals is not None:
                    prediction = np.round(prediction, decimals)
                # Backward: how much each layer contributed to the error.
                delta2 = prediction - target
                pass_error += float(np.sum(delta2**2))
                # The bias unit has no input weights, so its row of w2 sends nothing back.
                delta1 = (w2[:hidden_size] @ delta2) * _activation_slope(hidden, activation)
                w2 -= np.outer(alpha * hidden_out, delta2)
                w1 -= alpha * np.outer(x, delta1)
            pass_errors.append(pass_error)
            if pass_error <= tolerance:
                stopped = "converged"
                break
            if _is_diverging(pass_errors):
                stopped = "diverged"
                break

    result = BackpropResult(
        hidden_weights=w1,
        output_weights=w2,
        initial_hidden_weights=start1,
        initial_output_weights=start2,
        pass_errors=tuple(pass_errors),
        stopped=stopped,
        message="",
        activation=activation,
        bias=bias,
        round_prediction=decimals,
    )
    message = _backprop_message(result, data, alpha, tolerance, seed, initial_weights)
    return dataclasses.replace(result, message=message)


def _backprop_message(
    result: BackpropResult,
    data: np.ndarray,
    alpha: Any,
    tolerance: Any,
    seed: object,
    initial_weights: object,
) -> str:
    passes, last = result.passes, result.pass_errors[-1]
    if result.stopped == "converged":
        return f"Converged after {passes} passes: the error of the last pass is {last!r}."
    if result.stopped == "diverged":
        return (
            f"Diverged after {_count(passes, 'pass')}: {_growth(last, 'pass')}. "
            f"Lower alpha (now {alpha!r}), for example to {_short(alpha / 10)}."
        )
    goal = "0" if tolerance == 0 else f"at most {_short(tolerance)}"
    message = (
        f"Stopped without converging: {passes} passes (the cap, max_passes) and no pass with "
        f"error {goal}; the last pass's error is {_short(last)}, the best "
        f"{_short(min(result.pass_errors))}. (The series' loop would run forever here.) "
    )
    if result.activation == "relu":
        with np.errstate(over="ignore", invalid="ignore"):
            fired = np.asarray(np.array([result.hidden(row) > 0 for row in data]).any(axis=0))
        dead = int((~fired).sum())
        if dead:
            message += (
                f"{dead} of {fired.size} hidden units output 0 for every pattern: such 'dead' "
                "ReLU units no longer learn. "
            )
    window = min(100, passes)
    if passes >= 20 and min(result.pass_errors[-window:]) >= min(result.pass_errors):
        message += f"The error has not improved over the last {window} passes: it is stuck. "
    source = "initial_weights" if initial_weights is not None else f"seed {seed!r}"
    return message + (
        f"Try another seed (started from {source}), a different alpha, or more passes."
    )
