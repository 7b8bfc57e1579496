"""Part 8 of the series: backpropagation through one hidden layer.

A 3 → 4 → 1 network: a ReLU hidden layer between the inputs and a linear output. For each
pattern the output's error signal ``delta2 = prediction - target`` is sent back through the
output weights to the hidden layer (``delta1``), and both weight matrices learn. The series'
data: patterns [1,1,1], [1,1,0], [0,1,0], [0,1,1], targets [1, 0, 1, 0], alpha 0.1, weights
uniform in [0, 1), each prediction rounded to 1 decimal.

The series seeds nothing and loops until a pass has error 0, forever if it never gets there.
:func:`backprop_one_hidden_layer` takes a seed and a cap, and its message says why it stopped
(dead ReLU units, a stuck error, divergence). Options beyond the series: a bias input, a sigmoid
hidden layer, several outputs, given starting weights (the neuron's XOR network uses them).

Example:
    >>> patterns = [[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 1]]
    >>> backprop_one_hidden_layer(patterns, [1, 0, 1, 0], seed=3).passes
    92
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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

__all__ = ["BackpropResult", "backprop_one_hidden_layer"]

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
    # A bias is one more input that is always 1: its weight is the unit's offset.
    return np.append(values, 1.0) if bias else values


@dataclass(frozen=True, eq=False)
class BackpropResult(Outcome):
    """What :func:`backprop_one_hidden_layer` did, and the trained network.

    Attributes:
        hidden_weights: input -> hidden weights, shape (inputs [+1 for bias], hidden_size).
        output_weights: hidden -> output weights, shape (hidden_size [+1 for bias], outputs).
        initial_hidden_weights, initial_output_weights: the starting weights (from the seed).
        pass_errors: the squared error accumulated over each pass.
        stopped: ``"converged"``, ``"cap"`` or ``"diverged"``.
        message: why, in words.
        activation, bias, round_prediction: how the network computes (as trained).
        converged: True when a pass's error reached the tolerance.
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
                "seed must be a whole number or a numpy.random.Generator, "
                f"got {check.describe(seed)}"
            )
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        # Uniform in [0, 1), as the series; input->hidden first, then hidden->output.
        return rng.random(shapes[0]), rng.random(shapes[1])
    if not isinstance(initial_weights, (tuple, list)) or len(initial_weights) != 2:
        raise TypeError(
            "initial_weights must be a pair (hidden_weights, output_weights), "
            f"got {check.describe(initial_weights)}"
        )
    checked = []
    for name, given, shape in zip(("hidden_weights", "output_weights"), initial_weights, shapes):
        matrix = check.pattern_matrix(given, f"initial_weights {name}")
        if matrix.shape != shape:
            raise ValueError(
                f"initial_weights {name} has shape {matrix.shape}, expected {shape} "
                "(rows: inputs to the layer, plus 1 with bias; columns: units of the layer)"
            )
        checked.append(matrix)
    return checked[0], checked[1]


def _target_matrix(targets: object) -> np.ndarray:
    """The targets as a column (one number per pattern) or as rows (several per pattern)."""
    target_list = check.listed(targets, "targets", "a list of numbers")
    if target_list and hasattr(target_list[0], "__iter__") and not isinstance(target_list[0], str):
        return check.pattern_matrix(target_list, "targets")
    return np.array(check.vector(target_list, "targets"), dtype=np.float64)[:, None]


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
    data = check.pattern_matrix(patterns)
    goals = _target_matrix(targets)
    if len(goals) != len(data):
        raise ValueError(
            f"patterns has {len(data)} rows but targets has {len(goals)}: "
            "each pattern needs one target"
        )
    hidden_size = check.cap(hidden_size, "hidden_size")
    alpha = check.positive(alpha, "alpha")
    max_passes = check.cap(max_passes, "max_passes")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False, got {check.describe(bias)}")
    bias = bool(bias)
    decimals = check.decimals(round_prediction, "round_prediction")
    tolerance = check.tolerance(tolerance)
    extra = 1 if bias else 0
    shapes = ((data.shape[1] + extra, hidden_size), (hidden_size + extra, goals.shape[1]))
    w1, w2 = _start_weights(initial_weights, seed, shapes)
    start1, start2 = w1.copy(), w2.copy()  # w1 and w2 are updated in place below

    pass_errors: list[float] = []
    stopped: StopReason = "cap"
    # Huge or infinite numbers are reported as divergence, not as NumPy warnings.
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
            if is_diverging(pass_errors):
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
    # The message reads the trained network (which hidden units still fire), so it comes last.
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
        return diverged_after(passes, "pass", last, "pass") + lower_rate("alpha", alpha)
    goal = "0" if tolerance == 0 else f"at most {short(tolerance)}"
    message = (
        f"Stopped without converging: {passes} passes (the cap, max_passes) and no pass with "
        f"error {goal}; the last pass's error is {short(last)}, the best "
        f"{short(min(result.pass_errors))}. (The series' loop would run forever here.) "
    )
    # A ReLU unit whose sum is negative for every pattern outputs 0 and gets no gradient.
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
