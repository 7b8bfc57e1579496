"""The neuron of part 1, whole: weighted inputs, a condition, the perceptron, and its limit.

Part 1 describes a neuron before coding one: inputs (dendrites), each with its own sensitivity
(a weight); a weighted sum; a condition (a threshold) that decides whether it fires; an output
(the axon) that feeds other neurons. Its code then keeps only the simplest case, with no
condition. This module makes the whole description real:

- :class:`Neuron`: named inputs, one weight per input, a weighted sum and a pluggable condition
  (``"none"``: part 1's linear neuron; ``"step"``: McCulloch and Pitts' threshold neuron;
  ``"sigmoid"``; ``"relu"``), with a report of each input's contribution;
- :class:`NeuronGroup`: several outputs are several neurons over the same inputs (part 2c);
- :func:`train_perceptron`: Rosenblatt's learning rule, which learns AND and OR and says why it
  cannot learn XOR;
- :func:`train_xor_network`: a 2-2-1 network trained with part 8's backpropagation
  (:func:`~humblenet.series.part08_backpropagation.backprop_one_hidden_layer`, with a bias
  input) solves XOR;
- :func:`explain_float_product`: why part 1 prints 226.79999999999998 and not 226.8;
- :func:`tour_chapter`: the tour's opening chapter, "The neuron model".

Example:
    >>> calories = Neuron({"minutes": 6.2, "speed": 8.1, "mass": 0.31})
    >>> calories({"minutes": 30, "speed": 3, "mass": 80})
    235.10000000000002
"""

from __future__ import annotations

import decimal
import math
import numbers
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from humblenet.series import _checks as check
from humblenet.series.part08_backpropagation import BackpropResult, backprop_one_hidden_layer

__all__ = [
    "AND_TABLE",
    "CONDITIONS",
    "NOT_TABLE",
    "OR_TABLE",
    "XOR_TABLE",
    "XOR_SEED",
    "Contribution",
    "Neuron",
    "NeuronGroup",
    "PerceptronPass",
    "PerceptronResult",
    "XorNetworkResult",
    "explain_float_product",
    "tour_chapter",
    "train_perceptron",
    "train_xor_network",
]

# Truth tables: pairs of (inputs, label). The perceptron reads them in this order.
AND_TABLE: tuple[tuple[tuple[int, ...], int], ...] = (
    ((0, 0), 0),
    ((0, 1), 0),
    ((1, 0), 0),
    ((1, 1), 1),
)
OR_TABLE: tuple[tuple[tuple[int, ...], int], ...] = (
    ((0, 0), 0),
    ((0, 1), 1),
    ((1, 0), 1),
    ((1, 1), 1),
)
XOR_TABLE: tuple[tuple[tuple[int, ...], int], ...] = (
    ((0, 0), 0),
    ((0, 1), 1),
    ((1, 0), 1),
    ((1, 1), 0),
)
NOT_TABLE: tuple[tuple[tuple[int, ...], int], ...] = (((0,), 1), ((1,), 0))


# ---------------------------------------------------------------------------------------------
# Conditions: what the neuron does with its weighted sum (minus its threshold)
# ---------------------------------------------------------------------------------------------


def _no_condition(z: float) -> float:
    return z


def _step(z: float) -> float:
    # McCulloch-Pitts: fire (1) when the sum reaches the threshold, stay silent (0) otherwise.
    return 1 if z >= 0 else 0


def _sigmoid(z: float) -> float:
    # Split by sign so that exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _relu(z: float) -> float:
    return z if z > 0 else 0.0


CONDITIONS: dict[str, Callable[[float], float]] = {
    "none": _no_condition,
    "step": _step,
    "sigmoid": _sigmoid,
    "relu": _relu,
}
"""The known conditions, by name. Each receives ``weighted sum - threshold``."""


def _check_condition(condition: object) -> str:
    if not isinstance(condition, str) or condition not in CONDITIONS:
        known = ", ".join(repr(name) for name in CONDITIONS)
        raise ValueError(f"unknown condition {condition!r}; the known conditions are {known}")
    return condition


def _format(value: float) -> str:
    """Print a number as Python does (repr), so that printed sums can be checked by eye."""
    return repr(value) if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------------------------------
# The neuron
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One input's share of the weighted sum: ``value * weight``.

    Attributes:
        name: the input's name.
        value: the input received.
        weight: the weight of that input (its sensitivity).
        contribution: ``value * weight``, one float multiplication.
        unit: the input's unit, or ``""``.
    """

    name: str
    value: float
    weight: float
    contribution: float
    unit: str = ""


class Neuron:
    """A neuron as part 1 describes it: named inputs, weights, a weighted sum, a condition.

    The output is ``condition(weighted_sum - threshold)``. The weighted sum is computed as the
    series does, ``output += input[i] * weight[i]`` left to right from 0, in the order the
    weights were given, so that it is exactly the sum of :meth:`contributions`.

    Args:
        weights: one weight per named input, e.g. ``{"minutes": 6.2, "speed": 8.1}``. The order
            is the order of the sum.
        condition: one of :data:`CONDITIONS`: ``"none"`` (part 1: the output is the sum),
            ``"step"`` (fires 1 when the sum reaches ``threshold``, else 0), ``"sigmoid"``,
            ``"relu"``.
        threshold: subtracted from the sum before the condition (a bias of ``-threshold``).
        units: optional unit of each input, by name, for reports (``{"minutes": "min"}``).
        output_unit: the unit of the output, for reports (``"kcal"``).

    Raises:
        TypeError: a weight or the threshold is not a number (bool is refused).
        ValueError: no inputs, an unknown condition, units for inputs the neuron does not have.

    Example:
        >>> and_gate = Neuron({"a": 1, "b": 1}, condition="step", threshold=2)
        >>> [and_gate({"a": a, "b": b}) for a, b in [(0, 0), (0, 1), (1, 0), (1, 1)]]
        [0, 0, 0, 1]
    """

    def __init__(
        self,
        weights: Mapping[str, float],
        *,
        condition: str = "none",
        threshold: float = 0,
        units: Mapping[str, str] | None = None,
        output_unit: str = "",
    ) -> None:
        if not isinstance(weights, Mapping):
            raise TypeError(
                "weights must be a mapping from input name to weight, e.g. "
                f"{{'minutes': 7.56}}; got {weights!r} of type {type(weights).__name__}"
            )
        if len(weights) == 0:
            raise ValueError("a neuron needs at least one input: weights is empty")
        for name, weight in weights.items():
            if not isinstance(name, str):
                raise TypeError(f"input names must be strings, got {name!r}")
            check.neuron_number(weight, f"the weight of input {name!r}")
        self.weights: dict[str, float] = dict(weights)
        self.condition = _check_condition(condition)
        self.threshold = check.neuron_number(threshold, "threshold")
        units = dict(units or {})
        unknown = sorted(set(units) - set(self.weights))
        if unknown:
            raise ValueError(
                f"units given for inputs {unknown} that the neuron does not have; "
                f"its inputs are {list(self.weights)}"
            )
        self.units: dict[str, str] = units
        self.output_unit = output_unit

    @property
    def input_names(self) -> tuple[str, ...]:
        """The input names, in the order of the weighted sum."""
        return tuple(self.weights)

    def __repr__(self) -> str:
        return (
            f"Neuron({self.weights!r}, condition={self.condition!r}, threshold={self.threshold!r})"
        )

    def _values(self, inputs: Mapping[str, float] | Sequence[float]) -> list[float]:
        """The input values in the order of the weights, checked."""
        names = self.input_names
        if isinstance(inputs, Mapping):
            if set(inputs) != set(names):
                raise ValueError(
                    f"input names do not match the weights: inputs have {sorted(inputs)}, "
                    f"weights have {sorted(names)}"
                )
            values = [inputs[name] for name in names]
        elif isinstance(inputs, Sequence) and not isinstance(inputs, str):
            if len(inputs) != len(names):
                raise ValueError(
                    f"got {len(inputs)} input values {list(inputs)!r} but the neuron has "
                    f"{len(names)} inputs {list(names)}; pass one value per input, or a mapping"
                )
            values = list(inputs)
        else:
            raise TypeError(
                f"inputs must be a mapping from name to value (or a list in the order "
                f"{list(names)}), got {inputs!r} of type {type(inputs).__name__}"
            )
        for name, value in zip(names, values):
            check.neuron_number(value, f"input {name!r}", finite=False)
        return values

    def contributions(self, inputs: Mapping[str, float] | Sequence[float]) -> list[Contribution]:
        """Each input's share of the weighted sum, ``value * weight``, in the order of the sum.

        Example:
            >>> neuron = Neuron({"minutes": 7.56})
            >>> neuron.contributions({"minutes": 30})[0].contribution
            226.79999999999998
        """
        values = self._values(inputs)
        return [
            Contribution(name, value, weight, value * weight, self.units.get(name, ""))
            for (name, weight), value in zip(self.weights.items(), values)
        ]

    def weighted_sum(self, inputs: Mapping[str, float] | Sequence[float]) -> float:
        """The sum of the contributions, left to right from 0 (the series' loop).

        Example:
            >>> Neuron({"a": 2, "b": 3, "c": 4}).weighted_sum([5, 6, 7])
            56
        """
        total: float = 0
        for part in self.contributions(inputs):
            total += part.contribution
        return total

    def __call__(self, inputs: Mapping[str, float] | Sequence[float]) -> float:
        """The neuron's output: ``condition(weighted_sum - threshold)``.

        With the condition ``"none"`` and threshold 0 this is the weighted sum itself, float
        for float (``x - 0 == x``).
        """
        return CONDITIONS[self.condition](self.weighted_sum(inputs) - self.threshold)

    def report(self, inputs: Mapping[str, float] | Sequence[float]) -> list[str]:
        """Lines showing each contribution, the total, and what the condition made of it.

        Example:
            >>> neuron = Neuron({"minutes": 7.56}, units={"minutes": "min"}, output_unit="kcal")
            >>> print("\\n".join(neuron.report({"minutes": 30})))
              minutes  30 min * 7.56 = 226.79999999999998
              total                  = 226.79999999999998 kcal
        """
        parts = self.contributions(inputs)
        total: float = 0
        for part in parts:
            total += part.contribution
        # Columns: name, value (right-aligned), unit, weight, contribution.
        names = [p.name for p in parts]
        values = [_format(p.value) for p in parts]
        units = [p.unit for p in parts]
        weights = [_format(p.weight) for p in parts]
        name_width = max(len(n) for n in [*names, "total"])
        value_width = max(len(v) for v in values)
        unit_width = max(len(u) for u in units)
        weight_width = max(len(w) for w in weights)
        left_width = value_width + (unit_width + 1 if unit_width else 0)
        lines = []
        for name, value, unit_name, weight, part in zip(names, values, units, weights, parts):
            left = f"{value:>{value_width}} {unit_name:<{unit_width}}" if unit_width else value
            lines.append(
                f"  {name:<{name_width}}  {left:<{left_width}} * {weight:<{weight_width}} "
                f"= {_format(part.contribution)}"
            )
        pad = " " * (left_width + weight_width + 3)
        unit = f" {self.output_unit}" if self.output_unit else ""
        lines.append(f"  {'total':<{name_width}}  {pad} = {_format(total)}{unit}")
        output = CONDITIONS[self.condition](total - self.threshold)
        if self.condition == "step":
            verdict = "fires" if output == 1 else "stays silent"
            sign = ">=" if output == 1 else "<"
            lines.append(
                f"  step: {_format(total)} {sign} threshold {_format(self.threshold)}, "
                f"so it {verdict}: output {output}"
            )
        elif self.condition != "none" or self.threshold != 0:
            lines.append(
                f"  {self.condition}({_format(total)} - {_format(self.threshold)}) "
                f"= {_format(output)}{unit}"
            )
        return lines


class NeuronGroup:
    """Several outputs are several neurons over the same inputs (part 2c).

    Args:
        neurons: the neurons, by output name; all must have the same input names.

    Raises:
        ValueError: no neurons, or neurons whose inputs differ (both lists are named).

    Example:
        >>> group = NeuronGroup({
        ...     "calories": Neuron({"minutes": 6.2, "speed": 8.1, "mass": 0.31}),
        ...     "extra_days": Neuron({"minutes": 0.00407, "speed": 0.00618, "mass": 0.00303}),
        ...     "money_saved": Neuron({"minutes": 0.11, "speed": 0.23, "mass": 0.06}),
        ... })
        >>> group({"minutes": 30, "speed": 3, "mass": 80})
        {'calories': 235.10000000000002, 'extra_days': 0.38304, 'money_saved': 8.79}
    """

    def __init__(self, neurons: Mapping[str, Neuron]) -> None:
        if not isinstance(neurons, Mapping) or len(neurons) == 0:
            raise ValueError(
                f"a neuron group needs a non-empty mapping from output name to Neuron, "
                f"got {neurons!r}"
            )
        first_name, first = next(iter(neurons.items()))
        for name, neuron in neurons.items():
            if not isinstance(neuron, Neuron):
                raise TypeError(
                    f"output {name!r} must be a Neuron, got {neuron!r} of type "
                    f"{type(neuron).__name__}"
                )
            if set(neuron.input_names) != set(first.input_names):
                raise ValueError(
                    "all neurons of a group read the same inputs: "
                    f"{first_name!r} has {sorted(first.input_names)}, "
                    f"{name!r} has {sorted(neuron.input_names)}"
                )
        self.neurons: dict[str, Neuron] = dict(neurons)

    @property
    def input_names(self) -> tuple[str, ...]:
        """The input names shared by every neuron of the group."""
        return next(iter(self.neurons.values())).input_names

    def __call__(self, inputs: Mapping[str, float] | Sequence[float]) -> dict[str, float]:
        """Every neuron's output, by output name."""
        return {name: neuron(inputs) for name, neuron in self.neurons.items()}

    def report(self, inputs: Mapping[str, float] | Sequence[float]) -> list[str]:
        """Each neuron's contribution report, under its output name."""
        lines: list[str] = []
        for name, neuron in self.neurons.items():
            lines.append(f"{name}:")
            lines.extend(neuron.report(inputs))
        return lines


# ---------------------------------------------------------------------------------------------
# The perceptron learning rule (Rosenblatt)
# ---------------------------------------------------------------------------------------------

TruthTable = Sequence[tuple[Sequence[float], float]] | Mapping[tuple[float, ...], float]


def _check_truth_table(truth_table: TruthTable) -> list[tuple[tuple[float, ...], int]]:
    """The table as a list of (inputs, label) with labels 0/1, checked."""
    rows: list[object]
    if isinstance(truth_table, Mapping):
        rows = list(truth_table.items())
    elif isinstance(truth_table, Sequence) and not isinstance(truth_table, str):
        rows = list(truth_table)
    else:
        raise TypeError(
            "truth_table must be a list of (inputs, label) pairs or a mapping from inputs to "
            f"label, got {truth_table!r} of type {type(truth_table).__name__}"
        )
    if len(rows) == 0:
        raise ValueError(
            "the truth table is empty: give at least one (inputs, label) row, "
            "e.g. [((0, 0), 0), ((1, 1), 1)]"
        )
    checked: list[tuple[tuple[float, ...], int]] = []
    for row in rows:
        if not isinstance(row, Sequence) or len(row) != 2:
            raise ValueError(f"each truth-table row must be a pair (inputs, label), got {row!r}")
        pattern, label = row
        if not isinstance(pattern, Sequence) or isinstance(pattern, str) or len(pattern) == 0:
            raise ValueError(f"the inputs of a row must be a non-empty list, got {pattern!r}")
        if len(pattern) != len(checked[0][0] if checked else pattern):
            raise ValueError(
                f"all rows need the same number of inputs: row {pattern!r} has {len(pattern)}, "
                f"the first row {checked[0][0]!r} has {len(checked[0][0])}"
            )
        for value in pattern:
            check.neuron_number(value, f"input value in row {pattern!r}")
        if isinstance(label, bool) or not isinstance(label, numbers.Real) or label not in (0, 1):
            raise ValueError(
                f"perceptron labels must be 0 or 1, got {label!r} (type "
                f"{type(label).__name__}) for inputs {pattern!r}"
            )
        checked.append((tuple(pattern), 1 if label == 1 else 0))
    return checked


@dataclass(frozen=True)
class PerceptronPass:
    """One pass over the truth table.

    Attributes:
        number: 1 for the first pass.
        start_weights: the weights at the start of the pass.
        start_bias: the bias at the start of the pass.
        mistakes: how many rows the neuron got wrong (and was corrected on) in this pass.
    """

    number: int
    start_weights: tuple[float, ...]
    start_bias: float
    mistakes: int


@dataclass(frozen=True)
class PerceptronResult:
    """What :func:`train_perceptron` learned, and why it stopped.

    Attributes:
        converged: True when a pass made no mistake.
        stop_reason: ``"converged"``, ``"repeated_state"`` (a pass started with the same weights
            and bias as an earlier one: the rule would cycle forever) or ``"max_passes"``.
        passes: how many passes ran; when converged, the last one made no mistake.
        weights: the final weights, one per input.
        bias: the final bias; the step neuron's threshold is ``-bias``.
        history: every pass, in order.
        message: one or two sentences a reader can act on.
        input_names: the names given to the inputs of :meth:`neuron`.
    """

    converged: bool
    stop_reason: str
    passes: int
    weights: tuple[float, ...]
    bias: float
    history: tuple[PerceptronPass, ...]
    message: str
    input_names: tuple[str, ...]

    def neuron(self) -> Neuron:
        """The learned step neuron: the weights, and threshold ``-bias``."""
        return Neuron(
            dict(zip(self.input_names, self.weights)), condition="step", threshold=-self.bias
        )


def train_perceptron(
    truth_table: TruthTable,
    *,
    learning_rate: float = 1,
    max_passes: int = 100,
    input_names: Sequence[str] | None = None,
) -> PerceptronResult:
    """Learn a step neuron from a truth table with Rosenblatt's perceptron rule.

    Weights and bias start at 0. For each row, in order: ``output = 1 if w.x + bias >= 0 else
    0``; ``error = label - output``; ``w += learning_rate * error * x``;
    ``bias += learning_rate * error``. A pass with no mistake means it has converged.

    It stops without converging in two ways. If a pass starts with the same weights and bias as
    an earlier pass, the rule (deterministic, same row order) would repeat the same passes
    forever: it stops at once and says so. By the perceptron convergence theorem that only
    happens when no single straight line (a hyperplane, with more inputs) separates the 1s from
    the 0s, as for XOR. Otherwise it stops at ``max_passes``.

    Args:
        truth_table: (inputs, label) pairs, or a mapping from inputs to label; labels 0 or 1.
        learning_rate: the size of each correction, a positive number.
        max_passes: the most passes to run.
        input_names: names for the learned neuron's inputs; default ``x1, x2, ...``.

    Returns:
        A :class:`PerceptronResult`.

    Raises:
        ValueError: an empty table, a label other than 0/1, rows of different lengths.
        TypeError: non-numeric inputs or learning rate.

    Example:
        >>> result = train_perceptron(AND_TABLE)
        >>> result.converged, result.passes, result.weights, result.bias
        (True, 6, (2, 1), -3)
    """
    rows = _check_truth_table(truth_table)
    check.neuron_number(learning_rate, "learning_rate")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    if isinstance(max_passes, bool) or not isinstance(max_passes, numbers.Integral):
        raise TypeError(f"max_passes must be an int, got {max_passes!r}")
    if max_passes < 1:
        raise ValueError(f"max_passes must be at least 1, got {max_passes!r}")
    size = len(rows[0][0])
    if input_names is None:
        names = tuple(f"x{i + 1}" for i in range(size))
    else:
        names = tuple(input_names)
    if len(names) != size:
        raise ValueError(f"input_names has {len(names)} names {list(names)}, the rows have {size}")

    weights: list[float] = [0] * size
    bias: float = 0
    seen: dict[tuple[tuple[float, ...], float], int] = {}  # state at a pass's start -> pass
    history: list[PerceptronPass] = []
    for number in range(1, max_passes + 1):
        state = (tuple(weights), bias)
        if state in seen:
            earlier = seen[state]
            message = (
                f"did not converge: pass {number} would start with the same weights "
                f"{list(state[0])} and bias {bias} as pass {earlier}, so the rule would cycle "
                f"forever. No single straight line separates the classes of this truth table "
                f"(the 1s from the 0s): a single step neuron can only draw one line, "
                f"w.x + bias = 0. Use a hidden layer."
            )
            return PerceptronResult(
                False, "repeated_state", number - 1, *state, tuple(history), message, names
            )
        seen[state] = number
        mistakes = 0
        for pattern, label in rows:
            # The same arithmetic as the learned Neuron: the sum from 0, then minus -bias.
            total: float = 0
            for w, x in zip(weights, pattern):
                total += w * x
            error = label - (1 if total + bias >= 0 else 0)
            if error != 0:
                mistakes += 1
                weights = [w + learning_rate * error * x for w, x in zip(weights, pattern)]
                bias = bias + learning_rate * error
        history.append(PerceptronPass(number, state[0], state[1], mistakes))
        if mistakes == 0:
            message = (
                f"converged after {number} passes: pass {number} made no mistake "
                f"(weights {weights}, bias {bias}, so threshold {-bias})"
            )
            return PerceptronResult(
                True, "converged", number, tuple(weights), bias, tuple(history), message, names
            )
    message = (
        f"did not converge in {max_passes} passes (the cap). Either no single straight line "
        f"separates the classes of this truth table, or it needs more passes: raise max_passes."
    )
    return PerceptronResult(
        False, "max_passes", max_passes, tuple(weights), bias, tuple(history), message, names
    )


# ---------------------------------------------------------------------------------------------
# Beyond one line: a hidden layer solves XOR (part 8's backpropagation)
# ---------------------------------------------------------------------------------------------

XOR_SEED = 1
"""The seed :func:`train_xor_network` uses by default: the smallest seed (searching 0, 1, 2, ...)
whose 2-2-1 network converges with the default settings (seed 0 gets stuck: one ReLU unit
dies)."""


@dataclass(frozen=True)
class XorNetworkResult:
    """A 2-2-1 network trained on a truth table with part 8's rule.

    Attributes:
        converged: True when a pass had error 0 (every prediction, rounded to 1 decimal as in
            part 8, equal to its target).
        passes: how many passes ran.
        predictions: the trained network's predictions (rounded to 1 decimal) for the rows of
            the table, in order.
        outputs: the predictions thresholded at 0.5 (1 or 0), in order.
        network: the trained network, from part 8's :func:`backprop_one_hidden_layer`
            (its weights, the error of each pass, ``predict``).
        seed: the seed of the initial weights.
        message: one line saying what happened.
    """

    converged: bool
    passes: int
    predictions: tuple[float, ...]
    outputs: tuple[int, ...]
    network: BackpropResult
    seed: int
    message: str


def train_xor_network(
    seed: int = XOR_SEED,
    *,
    truth_table: TruthTable = XOR_TABLE,
    hidden_size: int = 2,
    alpha: float = 0.1,
    max_passes: int = 3000,
) -> XorNetworkResult:
    """Train a 2-2-1 network (one ReLU hidden layer) on XOR with part 8's backpropagation.

    This is part 8's network and rule (:func:`backprop_one_hidden_layer`:
    ReLU hidden layer, linear output, weights uniform in [0, 1) from
    ``numpy.random.default_rng(seed)``, each prediction rounded to 1 decimal, pattern by
    pattern ``delta2 = prediction - target``, ``delta1 = w2 * delta2 * relu'(hidden)``,
    ``w2 -= alpha * hidden * delta2``, ``w1 -= alpha * outer(input, delta1)``), with a bias
    input (a constant 1) on each layer: XOR needs it, since without a bias every line the
    hidden neurons draw passes through (0, 0). Two hidden neurons draw two lines; the output
    combines them, which one neuron cannot do.

    Args:
        seed: the seed of the initial weights (:data:`XOR_SEED` converges).
        truth_table: (inputs, label) rows; XOR by default.
        hidden_size: neurons in the hidden layer.
        alpha: the learning rate.
        max_passes: the most passes to run.

    Returns:
        An :class:`XorNetworkResult`.

    Example:
        >>> train_xor_network().outputs
        (0, 1, 1, 0)
    """
    rows = _check_truth_table(truth_table)
    patterns = [list(pattern) for pattern, _ in rows]
    targets = [label for _, label in rows]
    network = backprop_one_hidden_layer(
        patterns,
        targets,
        hidden_size=hidden_size,
        alpha=alpha,
        seed=seed,
        max_passes=max_passes,
        activation="relu",
        bias=True,
        round_prediction=1,
    )
    predictions = tuple(float(value) for value in network.predict(patterns)[:, 0])
    outputs = tuple(1 if prediction >= 0.5 else 0 for prediction in predictions)
    if network.converged:
        message = f"converged after {network.passes} passes (seed {seed}): outputs {list(outputs)}"
    else:
        message = f"did not converge (seed {seed}): {network.message}"
    return XorNetworkResult(
        network.converged, network.passes, predictions, outputs, network, seed, message
    )


# ---------------------------------------------------------------------------------------------
# Why part 1 prints 226.79999999999998
# ---------------------------------------------------------------------------------------------


def _exact(value: float | int) -> decimal.Decimal:
    """The exact value of a float (or int) as a Decimal: every double is a finite decimal."""
    return decimal.Decimal(value)


def explain_float_product(input_value: float = 30, weight: float = 7.56) -> list[str]:
    """Explain, number by number, what ``input_value * weight`` computes in binary floats.

    Part 1 prints 226.79999999999998, not 226.8: 7.56 has no exact binary form, so the weight
    is the double nearest 7.56; 30 times that double is not a double either, and rounds to
    the nearest one, which Python prints as 226.79999999999998. Every number is computed here
    (with :class:`decimal.Decimal`, exactly), none is typed in.

    Args:
        input_value: the input (part 1: 30 minutes).
        weight: the weight (part 1: 7.56).

    Returns:
        Lines of text.

    Example:
        >>> explain_float_product()[2].split(": ")[1]
        '7.55999999999999960920149533194489777088165283203125'
    """
    check.neuron_number(input_value, "input_value")
    check.neuron_number(weight, "weight")
    product = input_value * weight
    # The exact product of two doubles: a few hundred digits always suffice, and Inexact would
    # tell us otherwise.
    context = decimal.Context(prec=2000, traps=[decimal.Inexact])
    exact_product = context.multiply(_exact(input_value), _exact(weight))
    # What a reader expects: the product of the decimals as written, then its nearest double.
    written = context.multiply(decimal.Decimal(repr(input_value)), decimal.Decimal(repr(weight)))
    expected = float(written)
    lines = [
        f"Why {_format(input_value)} * {_format(weight)} prints {_format(product)}:",
    ]
    for value in (input_value, weight):
        if _exact(value) == decimal.Decimal(repr(value)):
            lines.append(f"  {_format(value)} is exact in binary")
        else:
            lines.append(f"  {_format(value)} is stored as the nearest double: {_exact(value)}")
    lines.append(
        f"  their product, exactly: {exact_product.normalize(context):f}",
    )
    if product == expected:
        lines.append(
            f"  that rounds to the double printed {_format(product)}, the nearest double to "
            f"{written.normalize(context):f}: no surprise here"
        )
        return lines
    below, above = sorted([product, expected])
    brackets = math.nextafter(below, math.inf) == above and (
        _exact(below) <= exact_product <= _exact(above)
    )
    if brackets:
        lines.append("  that is not a double either; the two doubles on either side of it are:")
    else:
        lines.append(
            f"  that is not a double either; compare the double it rounds to with the double "
            f"nearest {written.normalize(context):f}:"
        )
    distance_product = abs(exact_product - _exact(product))
    distance_expected = abs(exact_product - _exact(expected))
    for value, distance in ((product, distance_product), (expected, distance_expected)):
        lines.append(
            f"    {_format(value):>20} = {_exact(value)}"
            f"  (off by {distance.normalize(context):.3e})"
        )
    if distance_product == distance_expected:
        # A tie: IEEE 754 rounds to the double whose last significand bit is 0 ("to even").
        even = product if _last_bit(product) == 0 else expected
        lines.append(
            f"  exactly halfway: a tie goes to the double whose last bit is even, {_format(even)}"
        )
    else:
        nearer = product if distance_product < distance_expected else expected
        lines.append(f"  the product rounds to the nearer one, {_format(nearer)}")
    lines.append(
        f"  and Python prints the shortest decimal that reads back as that double: "
        f"{_format(product)}"
    )
    return lines


def _last_bit(value: float) -> int:
    """The last bit of a double's significand (0: even)."""
    return int.from_bytes(struct.pack(">d", value), "big") & 1


# ---------------------------------------------------------------------------------------------
# The tour's opening chapter
# ---------------------------------------------------------------------------------------------


def tour_chapter(verbose: bool) -> list[str]:
    """The lines of the tour's chapter "The neuron model".

    Args:
        verbose: also explain why part 1 prints 226.79999999999998.

    Returns:
        Lines of text, without trailing newlines.

    Example:
        >>> tour_chapter(verbose=False)[0]
        'The neuron model'
    """
    and_gate = Neuron({"a": 1, "b": 1}, condition="step", threshold=2)
    table = ", ".join(f"{a}{b}->{and_gate({'a': a, 'b': b})}" for (a, b), _ in AND_TABLE)
    calories = Neuron(
        {"minutes": 6.2, "speed": 8.1, "mass": 0.31},
        units={"minutes": "min", "speed": "m/s", "mass": "kg"},
        output_unit="kcal",
    )
    lines = [
        "The neuron model",
        "  Inputs (dendrites) arrive with different sensitivities (weights); the neuron sums",
        "  them, and if the sum crosses a threshold it fires an output (the axon) to others.",
        f"  A step neuron, weights 1 and 1, threshold 2, computes AND: {table}",
        "  Part 2b's neuron, each input's contribution (input * weight) and their sum:",
        *calories.report({"minutes": 30, "speed": 3, "mass": 80}),
    ]
    if verbose:
        lines.extend(explain_float_product(30, 7.56))
    return lines
