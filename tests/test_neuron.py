"""Tests for humblenet.neuron: the neuron model of part 1, the perceptron, and XOR.

References: Python's own logic operators for the truth tables, the series' printed numbers
(SERIES.md) for the sums, a hand-worked trace and a separate five-line implementation for the
perceptron, and exact decimal arithmetic for the float explanation.
"""

from __future__ import annotations

import decimal
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from humblenet.neuron import (
    AND_TABLE,
    CONDITIONS,
    NOT_TABLE,
    OR_TABLE,
    XOR_SEED,
    XOR_TABLE,
    Neuron,
    NeuronGroup,
    explain_float_product,
    tour_chapter,
    train_perceptron,
    train_xor_network,
)

ROOT = Path(__file__).resolve().parents[1]
PAIRS = [(0, 0), (0, 1), (1, 0), (1, 1)]

# Part 2b's neuron and inputs (SERIES.md).
PART2B_WEIGHTS = {"minutes": 6.2, "speed": 8.1, "mass": 0.31}
PART2B_INPUTS = {"minutes": 30, "speed": 3, "mass": 80}


def step_gate(weights: dict[str, float], threshold: float) -> Neuron:
    return Neuron(weights, condition="step", threshold=threshold)


# --- the truth tables of the module agree with Python's operators ----------------------------


def test_truth_tables_match_python_operators() -> None:
    assert AND_TABLE == tuple(((a, b), int(a and b)) for a, b in PAIRS)
    assert OR_TABLE == tuple(((a, b), int(a or b)) for a, b in PAIRS)
    assert XOR_TABLE == tuple(((a, b), a ^ b) for a, b in PAIRS)
    assert NOT_TABLE == tuple(((a,), int(not a)) for a in (0, 1))


# --- hand-set threshold neurons ----------------------------------------------------------------


def test_hand_set_and_or_not() -> None:
    and_gate = step_gate({"a": 1, "b": 1}, 2)
    or_gate = step_gate({"a": 1, "b": 1}, 1)
    not_gate = step_gate({"a": -1}, 0)
    for a, b in PAIRS:
        assert and_gate({"a": a, "b": b}) == int(a and b)
        assert or_gate({"a": a, "b": b}) == int(a or b)
    for a in (0, 1):
        assert not_gate({"a": a}) == int(not a)


def test_step_fires_exactly_at_the_threshold() -> None:
    neuron = step_gate({"x": 1.0}, 0.5)
    assert neuron({"x": 0.5}) == 1  # sum == threshold: fires (McCulloch-Pitts: reaches it)
    assert neuron({"x": math.nextafter(0.5, 0)}) == 0  # one double below: silent


def test_sigmoid_and_relu_conditions() -> None:
    z = 0.7 * 2 - 0.5  # weighted sum minus threshold
    sigmoid = Neuron({"x": 0.7}, condition="sigmoid", threshold=0.5)
    relu = Neuron({"x": 0.7}, condition="relu", threshold=0.5)
    assert sigmoid({"x": 2}) == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-15)
    assert relu({"x": 2}) == z
    assert relu({"x": -2}) == 0.0
    # Far from 0 the sigmoid neither overflows (warnings are errors here) nor leaves [0, 1].
    assert Neuron({"x": 1.0}, condition="sigmoid")({"x": -1000.0}) == 0.0
    assert Neuron({"x": 1.0}, condition="sigmoid")({"x": 1000.0}) == 1.0
    assert set(CONDITIONS) == {"none", "step", "sigmoid", "relu"}


# --- the linear neuron and the contributions (parts 1, 2a, 2b, 2c) -------------------------------


def test_part1_linear_neuron_gives_the_series_number() -> None:
    assert Neuron({"minutes": 7.56})({"minutes": 30}) == 226.79999999999998


def test_part2a_dot_product() -> None:
    assert Neuron({"a": 2, "b": 3, "c": 4})([5, 6, 7]) == 56


def test_part2b_contributions_sum_to_the_prediction_float_for_float() -> None:
    neuron = Neuron(PART2B_WEIGHTS)
    parts = neuron.contributions(PART2B_INPUTS)
    assert [p.name for p in parts] == ["minutes", "speed", "mass"]
    assert [p.contribution for p in parts] == [30 * 6.2, 3 * 8.1, 80 * 0.31]
    total = 0.0
    for part in parts:
        total += part.contribution
    prediction = neuron(PART2B_INPUTS)
    assert total == prediction
    assert prediction == 235.10000000000002  # the series' number
    # The series' own loop, written out, gives the same float.
    inputs, weights, output = [30, 3, 80], [6.2, 8.1, 0.31], 0
    for i in range(3):
        output += inputs[i] * weights[i]
    assert prediction == output
    # Another order of summation gives another float: the order matters, and we keep the series'.
    assert 24.8 + 24.299999999999997 + 186.0 != prediction


def test_part2b_report_shows_each_contribution_and_the_total() -> None:
    neuron = Neuron(
        PART2B_WEIGHTS, units={"minutes": "min", "speed": "m/s", "mass": "kg"}, output_unit="kcal"
    )
    lines = neuron.report(PART2B_INPUTS)
    assert len(lines) == 4
    assert "minutes" in lines[0] and "30 min" in lines[0] and lines[0].endswith("= 186.0")
    assert "speed" in lines[1] and "3 m/s" in lines[1] and "8.1" in lines[1]
    assert lines[1].endswith(f"= {3 * 8.1!r}")
    assert "mass" in lines[2] and "80 kg" in lines[2] and lines[2].endswith("= 24.8")
    assert lines[3].split() == ["total", "=", "235.10000000000002", "kcal"]


def test_step_report_says_whether_it_fires() -> None:
    gate = step_gate({"a": 1, "b": 1}, 2)
    assert "fires: output 1" in gate.report({"a": 1, "b": 1})[-1]
    assert "stays silent: output 0" in gate.report({"a": 1, "b": 0})[-1]


def test_part2c_several_outputs_are_several_neurons() -> None:
    group = NeuronGroup(
        {
            "calories": Neuron(PART2B_WEIGHTS),
            "extra_days": Neuron({"minutes": 0.00407, "speed": 0.00618, "mass": 0.00303}),
            "money_saved": Neuron({"minutes": 0.11, "speed": 0.23, "mass": 0.06}),
        }
    )
    assert group(PART2B_INPUTS) == {
        "calories": 235.10000000000002,
        "extra_days": 0.38304,
        "money_saved": 8.79,
    }  # the series' numbers
    lines = group.report(PART2B_INPUTS)
    assert lines[0] == "calories:" and "extra_days:" in lines and "money_saved:" in lines


# --- the perceptron ----------------------------------------------------------------------------


def reference_perceptron(table, max_passes=50):  # type: ignore[no-untyped-def]
    """Rosenblatt's rule written independently: (passes, weights, bias, start states)."""
    w, b, starts = [0] * len(table[0][0]), 0, []
    for passes in range(1, max_passes + 1):
        starts.append((tuple(w), b))
        mistakes = 0
        for x, t in table:
            err = t - (1 if sum(wi * xi for wi, xi in zip(w, x)) + b >= 0 else 0)
            w, b, mistakes = [wi + err * xi for wi, xi in zip(w, x)], b + err, mistakes + (err != 0)
        if mistakes == 0:
            return passes, tuple(w), b, starts
    return None, tuple(w), b, starts


def test_perceptron_learns_and_matching_a_hand_worked_trace() -> None:
    result = train_perceptron(AND_TABLE)
    # Worked by hand, rows in table order, w = (0, 0), b = 0 at the start:
    # (0,0): sum 0 >= 0 fires, label 0 -> b = -1; (0,1), (1,0): -1, silent, right;
    # (1,1): -1 silent, label 1 -> w = (1, 1), b = 0. So pass 2 starts at (1, 1), 0.
    assert result.history[0].mistakes == 2
    assert (result.history[1].start_weights, result.history[1].start_bias) == ((1, 1), 0)
    passes, weights, bias, starts = reference_perceptron(AND_TABLE)
    assert (result.passes, result.weights, result.bias) == (passes, weights, bias)
    assert [(p.start_weights, p.start_bias) for p in result.history] == starts
    assert result.converged and result.stop_reason == "converged"
    assert result.history[-1].mistakes == 0
    assert f"converged after {passes} passes" in result.message
    learned = result.neuron()
    assert [learned(list(x)) for x, _ in AND_TABLE] == [int(a and b) for a, b in PAIRS]


def test_perceptron_learns_or() -> None:
    result = train_perceptron(OR_TABLE)
    # By hand: pass 1 fixes (0,0) (b = -1) then (0,1) (w = (0, 1), b = 0).
    assert (result.history[1].start_weights, result.history[1].start_bias) == ((0, 1), 0)
    passes, weights, bias, _ = reference_perceptron(OR_TABLE)
    assert (result.passes, result.weights, result.bias) == (passes, weights, bias)
    assert result.converged
    learned = result.neuron()
    assert [learned(list(x)) for x, _ in OR_TABLE] == [int(a or b) for a, b in PAIRS]


def test_perceptron_learns_not_and_accepts_a_mapping() -> None:
    result = train_perceptron({(0,): 1, (1,): 0}, input_names=["a"])
    assert result.converged
    assert [result.neuron()({"a": a}) for a in (0, 1)] == [1, 0]


def test_perceptron_stops_on_xor_and_explains_why() -> None:
    result = train_perceptron(XOR_TABLE)
    assert not result.converged
    assert result.stop_reason == "repeated_state"
    # The independent rule never converges, and its pass starts repeat exactly where ours stopped.
    never, _, _, starts = reference_perceptron(XOR_TABLE, max_passes=20)
    assert never is None
    assert starts[result.passes] in starts[: result.passes]
    assert len(set(starts[: result.passes])) == result.passes  # no earlier repeat was missed
    assert "no single straight line separates the classes" in result.message.lower()
    assert all(p.mistakes > 0 for p in result.history)


def test_perceptron_cap() -> None:
    result = train_perceptron(XOR_TABLE, max_passes=2)
    assert result.stop_reason == "max_passes" and result.passes == 2 and not result.converged
    assert "max_passes" in result.message


# --- the hidden layer solves XOR ---------------------------------------------------------------


def test_two_two_one_network_solves_xor() -> None:
    result = train_xor_network()
    assert result.converged and result.seed == XOR_SEED
    assert result.outputs == tuple(a ^ b for a, b in PAIRS)
    w1, w2 = result.network.hidden_weights, result.network.output_weights
    assert w1.shape == (3, 2) and w2.shape == (3, 1)  # 2 inputs + bias -> 2 hidden + bias -> 1
    # An independent forward pass with the learned weights: bias input 1 on each layer, ReLU,
    # the prediction rounded to 1 decimal (part 8) equals XOR exactly.
    for (a, b), prediction in zip(PAIRS, result.predictions):
        hidden = np.maximum(np.array([a, b, 1.0]) @ w1, 0)
        again = round(float((np.append(hidden, 1.0) @ w2)[0]), 1)
        assert again == prediction == a ^ b


def test_xor_seed_is_the_smallest_that_converges() -> None:
    for seed in range(XOR_SEED):
        assert not train_xor_network(seed).converged


def test_network_says_when_it_did_not_converge() -> None:
    result = train_xor_network(max_passes=1)
    assert not result.converged and "did not converge (seed" in result.message


# --- why 226.79999999999998 ---------------------------------------------------------------------


def test_float_explanation_numbers() -> None:
    lines = explain_float_product(30, 7.56)
    text = "\n".join(lines)
    # The brief's exact binary value of 7.56, and Decimal's.
    assert "7.55999999999999960920149533194489777088165283203125" in text
    assert str(decimal.Decimal(7.56)) == "7.55999999999999960920149533194489777088165283203125"
    context = decimal.Context(prec=100)
    exact = context.multiply(decimal.Decimal(30), decimal.Decimal(7.56))
    assert f"exactly: {exact.normalize(context):f}" in text
    assert "exactly: 226.79999999999998827604485995834693312644958496093" in text
    low, high = decimal.Decimal(226.79999999999998), decimal.Decimal(226.8)
    assert f"226.79999999999998 = {low}" in text and f"226.8 = {high}" in text
    assert abs(exact - low) < abs(exact - high)  # the printed double is the nearer one
    assert "rounds to the nearer one, 226.79999999999998" in text
    assert lines[0] == "Why 30 * 7.56 prints 226.79999999999998:"


def test_float_explanation_of_a_tie_and_of_no_surprise() -> None:
    text = "\n".join(explain_float_product(3, 8.1))
    exact = decimal.Context(prec=100).multiply(decimal.Decimal(3), decimal.Decimal(8.1))
    low, high = decimal.Decimal(24.299999999999997), decimal.Decimal(24.3)
    assert exact - low == high - exact  # exactly halfway: round-half-to-even decides
    assert "tie" in text and "24.299999999999997" in text
    assert "no surprise" in "\n".join(explain_float_product(30, 6.2))


# --- the tour chapter --------------------------------------------------------------------------


def test_tour_chapter() -> None:
    short, long = tour_chapter(verbose=False), tour_chapter(verbose=True)
    assert short[0] == "The neuron model"
    text = "\n".join(short)
    for word in ("dendrites", "weights", "threshold", "axon", "AND"):
        assert word in text
    assert "00->0, 01->0, 10->0, 11->1" in text
    assert any(line.split()[-2:] == ["235.10000000000002", "kcal"] for line in short)
    assert "226.79999999999998" not in text
    assert long[: len(short)] == short and "226.79999999999998" in "\n".join(long[len(short) :])
    assert all(len(line) <= 110 for line in long)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", ["2", None, [1]])
def test_threshold_not_a_number(threshold: object) -> None:
    with pytest.raises(TypeError, match=f"threshold.*{type(threshold).__name__}"):
        Neuron({"a": 1}, condition="step", threshold=threshold)  # type: ignore[arg-type]


def test_bool_is_refused() -> None:
    with pytest.raises(TypeError, match="True of type bool"):
        Neuron({"a": 1}, condition="step", threshold=True)
    with pytest.raises(TypeError, match="weight of input 'a'.*False of type bool"):
        Neuron({"a": False})


def test_weight_not_a_number() -> None:
    with pytest.raises(TypeError, match=r"weight of input 'b'.*'x' of type str"):
        Neuron({"a": 1, "b": "x"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="finite.*nan"):
        Neuron({"a": float("nan")})


def test_input_names_do_not_match() -> None:
    neuron = Neuron(PART2B_WEIGHTS)
    with pytest.raises(ValueError) as info:
        neuron({"minutes": 30, "speed": 3, "weight": 80})
    message = str(info.value)
    assert "['minutes', 'speed', 'weight']" in message and "['mass', 'minutes', 'speed']" in message
    with pytest.raises(ValueError, match="got 2 input values"):
        neuron([30, 3])
    with pytest.raises(TypeError, match="input 'speed'.*str"):
        neuron({"minutes": 30, "speed": "fast", "mass": 80})


def test_unknown_condition_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="'tanh'.*'none', 'step', 'sigmoid', 'relu'"):
        Neuron({"a": 1}, condition="tanh")


def test_group_with_different_inputs() -> None:
    with pytest.raises(ValueError, match=r"\['a'\].*\['b'\]"):
        NeuronGroup({"first": Neuron({"a": 1}), "second": Neuron({"b": 1})})


def test_empty_truth_table() -> None:
    with pytest.raises(ValueError, match="truth table is empty"):
        train_perceptron([])


@pytest.mark.parametrize("label", [2, -1, 0.5, True])
def test_labels_other_than_0_1(label: object) -> None:
    with pytest.raises(ValueError, match=f"labels must be 0 or 1, got {label!r}"):
        train_perceptron([((0, 0), 0), ((1, 1), label)])  # type: ignore[list-item]


def test_rows_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="same number of inputs"):
        train_perceptron([((0, 0), 0), ((1,), 1)])


# --- the examples ------------------------------------------------------------------------------


def run_example(name: str) -> list[str]:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return completed.stdout.splitlines()


def test_example_neuron_threshold() -> None:
    lines = run_example("neuron_threshold.py")
    assert "AND by hand: weights {'a': 1, 'b': 1}, threshold 2" in lines
    assert "NOT by hand: weights {'a': -1}, threshold 0" in lines
    rows = [line for line in lines if "(expected" in line]
    assert len(rows) == 4 + 4 + 2 + 4 + 4
    for row in rows:  # every output equals its expected label
        output, expected = row.split("->")[1].split("(expected")
        assert output.strip() == expected.strip(" )")
    and_passes = reference_perceptron(AND_TABLE)[0]
    or_passes = reference_perceptron(OR_TABLE)[0]
    assert any(
        line.startswith(f"AND learned: converged after {and_passes} passes") for line in lines
    )
    assert any(line.startswith(f"OR learned: converged after {or_passes} passes") for line in lines)


def test_example_neuron_xor() -> None:
    lines = run_example("neuron_xor.py")
    assert lines[0].startswith("Perceptron on XOR: stopped (repeated_state)")
    assert "no single straight line" in " ".join(lines).lower()
    assert any(line.startswith("2-2-1 network on XOR: converged") for line in lines)
    rows = [line for line in lines if "(expected" in line]
    assert len(rows) == 4
    for row, (a, b) in zip(rows, PAIRS):
        assert row.rstrip().endswith(f"-> {a ^ b}  (expected {a ^ b})")
