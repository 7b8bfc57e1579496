"""``humblenet tour``: the series "Deep Learning Basics" run part by part in the terminal.

Each chapter is a title and a function ``chapter(verbose) -> list[str]`` that runs one part of
the series with its own numbers and returns a few lines: the idea, the setup, the result. With
``verbose`` a chapter also shows every step's trace.

The chapters live in :data:`CHAPTERS`, in order. Adding one is a one-line change: insert a
``(title, function)`` pair there. Parts 1 to 8 are written here, over the series' modules
(:mod:`humblenet.series.part01_simple_nn` ...); parts 9 and 10 come from :mod:`.tour_deep`, part
11 (convolutions) from :mod:`.tour_cnn`. The neuron model chapter,
:func:`humblenet.series.neuron.tour_chapter`, opens the tour: :func:`chapters` puts it first.

A chapter with pictures also puts a function ``figure(folder) -> list[Path]`` in
:data:`FIGURES` under its title; ``run_tour(..., plots=folder)`` (``humblenet tour --plots DIR``)
calls it after the chapter's text and names the files it wrote. The text never depends on
matplotlib; only the figures do.

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> run_tour(verbose=False, out=out)
    >>> "226.79999999999998" in out.getvalue()
    True
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from humblenet.series import neuron, tour_cnn, tour_deep, vanishing_gradient
from humblenet.series._tour_text import WIDTH
from humblenet.series._tour_text import wrap as _wrap
from humblenet.series.part01_simple_nn import predict_with_one_weight
from humblenet.series.part02_several_inputs_outputs import (
    dot_product,
    predict_several_outputs,
    predict_with_several_inputs,
)
from humblenet.series.part03_hot_cold import hot_cold_learning, hot_cold_try
from humblenet.series.part04_gradient_descent import (
    GradientDescentResult,
    gradient_descent_one_weight,
)
from humblenet.series.part05_several_weights import (
    gradient_descent_several_inputs,
    gradient_descent_several_outputs,
)
from humblenet.series.part06_weight_matrix import gradient_descent_weight_matrix
from humblenet.series.part07_correlation import stochastic_gradient_descent
from humblenet.series.part08_backpropagation import backprop_one_hidden_layer

__all__ = ["CHAPTERS", "FIGURES", "Chapter", "Figure", "chapters", "run_tour"]

Chapter = tuple[str, Callable[[bool], list[str]]]
Figure = Callable[[Path], list[Path]]


def _numbers(values: Any) -> str:
    """Numbers as Python prints them (every digit), comma-separated."""
    return ", ".join(repr(value) for value in values)


def _short(values: Iterable[float], digits: int = 4) -> str:
    """Numbers rounded to ``digits`` decimals, for a line that should stay short."""
    return ", ".join(repr(round(value, digits)) for value in values)


def _part1(verbose: bool) -> list[str]:
    minutes, weight = 30, 7.56
    calories = predict_with_one_weight(minutes, weight)
    lines = _wrap("Idea:", "a network scales its input by a weight: prediction = input × weight.")
    lines += _wrap("Setup:", f"input {minutes} minutes of jogging, weight {weight} kcal/minute.")
    lines.append(
        f"Result: According to my neural network, after running {minutes} minutes, "
        f"I burned {calories} calories"
    )
    if verbose:
        lines += _wrap(
            "Note:",
            "7.56 has no exact binary form, so 30 × 7.56 prints as 226.79999999999998, "
            "the float nearest the true product.",
        )
    return lines


_PART2_INPUTS = [30, 3, 80]  # minutes, speed in m/s, body mass in kg
_PART2_ROWS = {
    "calories": [6.2, 8.1, 0.31],
    "extra days of life": [0.00407, 0.00618, 0.00303],
    "money saved on heart medication": [0.11, 0.23, 0.06],
}


def _part2(verbose: bool) -> list[str]:
    lines = _wrap(
        "Idea:",
        "several inputs make a weighted sum (a dot product); several outputs are one row "
        "of weights per output.",
    )
    lines.append(f"2a      [2, 3, 4] · [5, 6, 7] = {dot_product([2, 3, 4], [5, 6, 7])!r}")
    calories = predict_with_several_inputs(_PART2_INPUTS, _PART2_ROWS["calories"])
    lines.append(
        f"2b      inputs {_PART2_INPUTS} (minutes, m/s, kg) · {_PART2_ROWS['calories']} = "
        f"{calories!r} kcal"
    )
    outputs = predict_several_outputs(_PART2_INPUTS, list(_PART2_ROWS.values()))
    lines.append("2c      one row per output:")
    for (name, row), value in zip(_PART2_ROWS.items(), outputs):
        lines.append(f"          {name}: {row} -> {value!r}")
    if verbose:
        products = [x * w for x, w in zip(_PART2_INPUTS, _PART2_ROWS["calories"])]
        lines.append(f"Trace:  2b products {_numbers(products)}, added left to right")
    return lines


def _part3(verbose: bool) -> list[str]:
    lines = _wrap(
        "Idea:",
        "hot/cold learning: try the weight a step up and a step down, keep the one whose "
        "squared error is smaller.",
    )
    lines += _wrap("Setup:", "input 20 minutes, target 180 kcal, start weight 7.")
    one = hot_cold_try(20, 180, 7, 0.1)
    lines.append(
        f"Step:   prediction {one.prediction!r}, error {one.error!r}; weight 7.1 gives "
        f"{one.up_error!r}, 6.9 gives {one.down_error!r}: keep {one.new_weight!r}"
    )
    result = hot_cold_learning(20, 180, 7, 0.4, round_weight=2)
    last = result.steps[-1]
    lines += _wrap(
        "Result:",
        f"with steps of 0.4 (weight rounded to 2 decimals) it reaches weight {last.weight!r}, "
        f"prediction {last.prediction!r}, in {len(result.steps) - 1} steps ({result.stopped}).",
    )
    if verbose:
        for step in result.steps:
            lines.append(
                f"  step {step.number}: weight {step.weight!r}, prediction {step.prediction!r}, "
                f"error {step.error!r}, up {step.up_error!r}, down {step.down_error!r}"
            )
    return lines


def _gradient_trace(result: GradientDescentResult) -> list[str]:
    lines = []
    for step in result.steps:
        line = (
            f"  step {step.number}: prediction {step.prediction!r}, error {step.error!r}, "
            f"delta {step.delta!r}"
        )
        if step.adjustment is not None:
            line += f", subtract {step.adjustment!r} -> weights {step.new_weights!r}"
        lines.extend(textwrap.wrap(line, width=WIDTH, subsequent_indent="      "))
    return lines


def _part4(verbose: bool) -> list[str]:
    lines = _wrap(
        "Idea:",
        "gradient descent: derivative = input × (prediction − target); "
        "weight −= alpha × derivative.",
    )
    lines += _wrap(
        "Setup:", "input 0.2, target 8, start weight 10, alpha 24, predictions to 2 decimals."
    )
    result = gradient_descent_one_weight(0.2, 8, 10, alpha=24, round_prediction=2)
    lines += _wrap(
        "Result:",
        f"predictions {_numbers(result.predictions)}; final weight {result.weights!r} "
        f"({result.stopped}).",
    )
    if verbose:
        lines += _gradient_trace(result)
    too_big = gradient_descent_one_weight(0.2, 8, 10, alpha=60)
    lines += _wrap("Alpha 60:", too_big.message)
    if verbose:
        lines += _gradient_trace(too_big)
    return lines


def _part5(verbose: bool) -> list[str]:
    lines = _wrap(
        "Idea:",
        "the same rule for many weights: 5a several inputs share one correction, "
        "alpha × (prediction − target), scaled by each input; 5b each output learns its weight.",
    )
    several_inputs = gradient_descent_several_inputs([0.2, 4, 0.1], [10, 2, 11], 8, 0.04)
    lines += _wrap(
        "5a",
        "inputs [0.2, 4, 0.1], weights [10, 2, 11], target 8, alpha 0.04: "
        f"final weights {list(several_inputs.weights)!r} "
        f"after {several_inputs.updates} updates ({several_inputs.stopped}).",
    )
    if verbose:
        lines += _gradient_trace(several_inputs)
    several_outputs = gradient_descent_several_outputs(0.2, [10, 20, 3], [8, 46, 0.1], 24)
    lines += _wrap(
        "5b",
        "input 0.2, weights [10, 20, 3], targets [8, 46, 0.1], alpha 24: "
        f"final weights {list(several_outputs.weights)!r} "
        f"after {several_outputs.updates} updates ({several_outputs.stopped}).",
    )
    if verbose:
        lines += _gradient_trace(several_outputs)
    return lines


_PART6_ROWS = [[7.1, 1.1, 4.4], [5.7, 3, 9.1], [2.2, 5.3, 7]]


def _part6(verbose: bool) -> list[str]:
    lines = _wrap(
        "Idea:",
        "several inputs and outputs: a weight-correction matrix, row i = inputs × "
        "(prediction_i − target_i) × alpha, subtracted from the weight matrix.",
    )
    lines += _wrap(
        "Setup:",
        f"inputs [0.2, 2.3, 1.2], targets [8, 46, 0.1], alpha 0.2, rows {_PART6_ROWS}.",
    )
    result = gradient_descent_weight_matrix([0.2, 2.3, 1.2], _PART6_ROWS, [8, 46, 0.1], 0.2)
    rows: Any = result.weights  # a tuple of rows for a weight matrix
    rounded = [[round(value, 4) for value in row] for row in rows]
    lines += _wrap(
        "Result:",
        f"after {result.updates} updates every prediction is exact: "
        f"{_numbers(result.predictions[-1])} ({result.stopped}); "
        f"rows, to 4 decimals: {rounded}.",
    )
    if verbose:
        lines += _gradient_trace(result)
    return lines


_PART7_PATTERNS = [[0, 0, 1], [0, 1, 0], [1, 1, 1], [0, 1, 1], [1, 0, 0], [1, 0, 1], [0, 0, 0]]
_PART7_PATTERNS.append([1, 1, 0])
_PART7_TARGETS = [0, 1, 1, 1, 0, 0, 0, 1]


def _part7(verbose: bool) -> list[str]:
    lines = _wrap(
        "Idea:",
        "correlation: stochastic gradient descent over a data set, one update per pattern; "
        "the weights find which input goes with the target.",
    )
    lines += _wrap(
        "Setup:",
        "8 patterns of 3 binary features, the target is the second feature; weights start "
        "[0.5, 0.5, 0.5], alpha 0.1, 15 passes, predictions to 1 decimal.",
    )
    result = stochastic_gradient_descent(
        _PART7_PATTERNS, _PART7_TARGETS, [0.5, 0.5, 0.5], 0.1, max_passes=15
    )
    lines += _wrap("Result:", f"error per pass {_short(result.pass_errors, 2)}.")
    weights = [round(weight, 2) for weight in result.weights]
    lines += _wrap(
        "Learned:",
        f"final weights about {weights}: only the second feature correlates with the target.",
    )
    if verbose:
        for step in result.steps:
            lines.append(
                f"  pass {step.pass_number} pattern {step.pattern_index}: prediction "
                f"{step.prediction!r}, error {step.error!r}, weights {_short(step.new_weights)}"
            )
        lines.append(f"  error per pass: {_numbers(result.pass_errors)}")
    return lines


_PART8_PATTERNS = [[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 1]]
_PART8_TARGETS = [1, 0, 1, 0]


def _part8(verbose: bool) -> list[str]:
    lines = _wrap(
        "Idea:",
        "backpropagation: the output's error, delta2 = prediction − target, is sent back "
        "through the output weights to the ReLU hidden layer (delta1), and both layers learn.",
    )
    lines += _wrap(
        "Setup:",
        "3 → 4 → 1, patterns [1,1,1] [1,1,0] [0,1,0] [0,1,1], targets [1, 0, 1, 0], alpha 0.1, "
        "weights uniform in [0, 1) from a seed, predictions to 1 decimal.",
    )
    result = backprop_one_hidden_layer(_PART8_PATTERNS, _PART8_TARGETS, seed=3)
    predictions = [float(value) for value in result.predict(_PART8_PATTERNS).ravel()]
    lines += _wrap(
        "Seed 3:",
        f"{result.stopped} after {result.passes} passes; predictions {predictions}.",
    )
    if verbose:
        lines.append("  error per pass:")
        for start in range(0, result.passes, 10):
            lines.append("    " + _short(result.pass_errors[start : start + 10], 3))
    stuck = backprop_one_hidden_layer(_PART8_PATTERNS, _PART8_TARGETS, seed=0, max_passes=200)
    lines += _wrap("Seed 0:", stuck.message)
    return lines


# The tour, in order. To add a chapter, insert a (title, function) pair here.
CHAPTERS: list[Chapter] = [
    ("Part 1: one input, one weight, one output", _part1),
    ("Part 2: several inputs, several outputs", _part2),
    ("Part 3: hot/cold learning", _part3),
    ("Part 4: gradient descent on one weight", _part4),
    ("Part 5: gradient descent with several inputs or outputs", _part5),
    ("Part 6: gradient descent with a weight matrix", _part6),
    ("Part 7: correlation, stochastic gradient descent over a data set", _part7),
    ("Part 8: backpropagation through a hidden layer", _part8),
    (tour_deep.PART9_TITLE, tour_deep.part9_chapter),
    (tour_deep.PART10_TITLE, tour_deep.part10_chapter),
    (tour_cnn.TITLE, tour_cnn.chapter),
    (vanishing_gradient.TITLE, vanishing_gradient.chapter),
]

# The chapters' pictures, by chapter title: ``figure(folder)`` writes its files into the folder
# and returns their paths. To give a chapter a picture, add its title and function here.
FIGURES: dict[str, Figure] = {
    tour_cnn.TITLE: tour_cnn.figure,
    vanishing_gradient.TITLE: vanishing_gradient.figure,
}


def chapters() -> list[Chapter]:
    """The tour's chapters: the neuron model, then :data:`CHAPTERS`.

    Returns:
        A new list of ``(title, function)`` pairs.
    """
    return [("The neuron model", neuron.tour_chapter), *CHAPTERS]


def run_tour(verbose: bool, out: TextIO, plots: str | os.PathLike[str] | None = None) -> None:
    """Run every chapter in order and write its lines to ``out``.

    Args:
        verbose: also show every step's trace.
        out: where to write (``sys.stdout`` for the command line).
        plots: an existing folder: each chapter in :data:`FIGURES` also writes its pictures
            there (matplotlib needed), and the tour names each file.
    """
    hint = "" if verbose else " (--verbose shows every step)"
    out.write(f'humblenet tour: the series "Deep Learning Basics", part by part{hint}\n')
    for title, chapter in chapters():
        out.write(f"\n== {title} ==\n")
        lines = chapter(verbose)
        if lines and lines[0].strip() == title:
            # A chapter that starts with its own title: show the title once, body dedented.
            lines = textwrap.dedent("\n".join(lines[1:])).splitlines()
        for line in lines:
            out.write(f"  {line}\n")
        if plots is not None and title in FIGURES:
            for path in FIGURES[title](Path(plots)):
                out.write(f"  Figure: {path}\n")
