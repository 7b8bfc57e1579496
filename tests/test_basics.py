"""Tests for humblenet.basics: the series' numbers, the stop reasons, and bad input.

References: the numbers the series prints (SERIES.md), values worked by hand, the rule's theory
(part 4: each step multiplies prediction - target by 1 - alpha x input²), NumPy's own generator
for part 8's starting weights, and PyTorch (float64) for part 8's updates.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from humblenet import basics

PART6_ROWS = [[7.1, 1.1, 4.4], [5.7, 3, 9.1], [2.2, 5.3, 7]]
PART7_PATTERNS = [[0, 0, 1], [0, 1, 0], [1, 1, 1], [0, 1, 1], [1, 0, 0], [1, 0, 1], [0, 0, 0]]
PART7_PATTERNS = PART7_PATTERNS + [[1, 1, 0]]
PART7_TARGETS = [0, 1, 1, 1, 0, 0, 0, 1]
PART8_PATTERNS = [[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 1]]
PART8_TARGETS = [1, 0, 1, 0]


# --- Parts 1 and 2: the series' printed numbers -------------------------------------------------


def test_part1_prediction_is_the_series_float():
    assert repr(basics.predict_with_one_weight(30, 7.56)) == "226.79999999999998"


def test_part2a_dot_product_of_integers_stays_an_integer():
    result = basics.dot_product([2, 3, 4], [5, 6, 7])
    assert result == 56 and isinstance(result, int)  # the series prints 56, not 56.0


def test_part2b_several_inputs():
    assert basics.predict_with_several_inputs([30, 3, 80], [6.2, 8.1, 0.31]) == 235.10000000000002


def test_part2c_several_outputs():
    rows = [[6.2, 8.1, 0.31], [0.00407, 0.00618, 0.00303], [0.11, 0.23, 0.06]]
    assert basics.predict_several_outputs([30, 3, 80], rows) == [235.10000000000002, 0.38304, 8.79]


def test_one_input_several_outputs_is_one_product_per_weight():
    expected = [0.2 * 10, 0.2 * 20, 0.2 * 3]
    assert basics.predict_one_input_several_outputs(0.2, [10, 20, 3]) == expected


def test_numpy_numbers_are_accepted_and_give_plain_floats():
    result = basics.dot_product(np.array([30.0, 3.0, 80.0]), np.array([6.2, 8.1, 0.31]))
    assert result == 235.10000000000002 and type(result) is float


# --- Part 3: hot/cold learning ------------------------------------------------------------------


def test_part3_single_step_of_one_tenth():
    step = basics.hot_cold_try(20, 180, 7, 0.1)
    assert (step.prediction, step.error) == (140, 1600)
    assert repr(step.up_error) == "1444.0" and repr(step.down_error) == "1764.0"
    assert step.new_weight == 7.1


def test_part3_iterative_reaches_nine():
    result = basics.hot_cold_learning(20, 180, 7, 0.4, round_weight=2)
    assert result.stopped == "converged" and result.converged
    assert repr(result.weight) == "9.0" and repr(result.predictions[-1]) == "180.0"
    # Worked by hand: up by 0.4 five times.
    assert [step.weight for step in result.steps] == [7, 7.4, 7.8, 8.2, 8.6, 9.0]
    assert result.errors[-1] == 0


def test_part3_without_rounding_drifts_off_the_grid():
    # The reason the series rounds: 7 + 0.4 + 0.4 is not exactly 7.8 in floating point.
    result = basics.hot_cold_learning(20, 180, 7, 0.4, round_weight=None, max_steps=20)
    assert result.steps[2].weight == 7 + 0.4 + 0.4 != 7.8
    assert result.stopped == "cap"


def test_part3_cap_while_still_moving():
    result = basics.hot_cold_learning(20, 180, 7, 0.4, max_steps=3)
    assert result.stopped == "cap" and not result.converged
    assert len(result.steps) == 4 and result.weight == 8.2
    assert "max_steps" in result.message and "still moving" in result.message


def test_part3_coarse_step_bounces_and_says_so():
    result = basics.hot_cold_learning(20, 180, 7, 0.7, max_steps=50)
    assert result.stopped == "cap"
    assert "bounces between 8.4 and 9.1" in result.message and "smaller step" in result.message


def test_part3_tie_means_the_weight_stops_moving():
    # With input 0 every weight predicts 0: up and down tie forever.
    result = basics.hot_cold_learning(0, 5, 1, 0.1, max_steps=10)
    assert result.stopped == "cap" and "stopped moving" in result.message


# --- Part 4: gradient descent on one weight -----------------------------------------------------


def test_part4_series_numbers():
    result = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=24, round_prediction=2)
    assert [repr(p) for p in result.predictions] == ["2.0", "7.76", "7.99", "8.0"]
    assert repr(result.weights) == "40.00000000000001"
    assert result.stopped == "converged" and result.updates == 3
    assert "Converged after 3 updates" in result.message


def test_part4_trace_of_the_first_step_by_hand():
    first = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=24).steps[0]
    assert first.weights == 10 and first.prediction == 2.0
    assert first.delta == 2.0 - 8 and first.error == 36.0
    assert first.adjustment == 24 * (0.2 * -6.0)  # alpha x derivative
    assert first.new_weights == 10 - 24 * (0.2 * -6.0)
    last = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=24).steps[-1]
    assert last.adjustment is None and last.new_weights == last.weights


def test_part4_each_step_multiplies_delta_by_one_minus_alpha_input_squared():
    alpha, x = 3.0, 0.5
    result = basics.gradient_descent_one_weight(
        x, 8, 10, alpha, round_prediction=None, tolerance=1e-20
    )
    deltas = [step.delta for step in result.steps]
    for before, after in zip(deltas, deltas[1:5]):
        assert after / before == pytest.approx(1 - alpha * x * x, rel=1e-9)
    assert result.stopped == "converged"


def test_part4_cap():
    result = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=24, max_steps=2)
    assert result.stopped == "cap"
    assert result.predictions == [2.0, 7.76, 7.99]
    assert "max_steps" in result.message


def test_part4_diverges_when_alpha_times_input_squared_exceeds_two():
    result = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=60)
    assert result.stopped == "diverged" and not result.converged
    message = result.message
    assert "alpha x input² = 2.4" in message  # 60 x 0.2² = 2.4
    assert "lower alpha below 2 / input² = 50" in message
    # The error grows every step by (1 - 2.4)² = 1.96, apart from rounding.
    errors = result.errors
    assert all(later > earlier for earlier, later in zip(errors, errors[1:]))


def test_part4_overflow_is_divergence_not_an_exception():
    result = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=1e300)
    assert result.stopped == "diverged"
    assert "inf or nan" in result.message and "lower alpha" in result.message
    assert not math.isfinite(result.errors[-1])


def test_part4_alpha_exactly_at_the_edge_bounces_forever():
    result = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=50, max_steps=30)
    assert result.stopped == "cap"
    assert "same size" in result.message
    assert set(result.errors) == {36.0}


def test_part4_tiny_alpha_says_raise_alpha():
    result = basics.gradient_descent_one_weight(0.2, 8, 10, alpha=0.01, max_steps=30)
    assert result.stopped == "cap" and "Raise alpha" in result.message


def test_part4_zero_input_cannot_learn():
    result = basics.gradient_descent_one_weight(0, 8, 10, alpha=1, max_steps=5)
    assert result.stopped == "cap" and "not 0" in result.message


# --- Parts 5 and 6: several weights --------------------------------------------------------------


def test_part5a_final_weights():
    result = basics.gradient_descent_several_inputs([0.2, 4, 0.1], [10, 2, 11], 8, 0.04)
    assert result.weights == (9.961359999999999, 1.2271999999999998, 10.98068)
    assert result.stopped == "converged" and result.predictions[-1] == 8.0


def test_part5a_first_step_shares_one_correction():
    first = basics.gradient_descent_several_inputs([0.2, 4, 0.1], [10, 2, 11], 8, 0.04).steps[0]
    # Worked by hand: 0.2x10 + 4x2 + 0.1x11 = 11.1; correction 0.04 x 3.1.
    assert first.prediction == 11.1
    correction = 0.04 * (11.1 - 8)
    assert first.adjustment == (0.2 * correction, 4 * correction, 0.1 * correction)


def test_part5a_diverges_with_its_own_threshold():
    result = basics.gradient_descent_several_inputs([0.2, 4, 0.1], [10, 2, 11], 8, 0.2)
    assert result.stopped == "diverged"
    # sum(input²) = 0.04 + 16 + 0.01 = 16.05; 2 / 16.05 = 0.1246
    assert "sum(input²) = 3.21" in result.message and "0.1246" in result.message


def test_part5b_final_weights():
    result = basics.gradient_descent_several_outputs(0.2, [10, 20, 3], [8, 46, 0.1], 24)
    assert result.weights == (40.00000000000001, 230.00000000000003, 0.5039999999999997)
    assert result.stopped == "converged" and result.errors[-1] == 0


def test_part5b_diverges():
    result = basics.gradient_descent_several_outputs(0.2, [10, 20, 3], [8, 46, 0.1], 60)
    assert result.stopped == "diverged" and "below 2 / input² = 50" in result.message


def test_part6_every_prediction_exact():
    result = basics.gradient_descent_weight_matrix([0.2, 2.3, 1.2], PART6_ROWS, [8, 46, 0.1], 0.2)
    assert result.stopped == "converged"
    assert result.predictions[-1] == (8.0, 46.0, 0.1)
    assert result.errors[-1] == 0.0


def test_part6_final_rows_close_to_the_series():
    # The series prints these rows rounded to 4 decimals ("close to"), so compare to 1e-3.
    series = [[7.0636, 0.6814, 4.1816], [6.4988, 12.1862, 13.8928], [1.5816, -1.8116, 3.2896]]
    result = basics.gradient_descent_weight_matrix([0.2, 2.3, 1.2], PART6_ROWS, [8, 46, 0.1], 0.2)
    np.testing.assert_allclose(np.array(result.weights), np.array(series), atol=1e-3)


def test_part6_first_correction_matrix_by_hand():
    first = basics.gradient_descent_weight_matrix(
        [0.2, 2.3, 1.2], PART6_ROWS, [8, 46, 0.1], 0.2
    ).steps[0]
    assert first.prediction == (9.23, 18.96, 21.03)  # rounded dot products, by hand
    delta = (9.23 - 8, 18.96 - 46, 21.03 - 0.1)
    expected = tuple(tuple(x * (d * 0.2) for x in [0.2, 2.3, 1.2]) for d in delta)
    assert first.adjustment == expected


def test_part6_diverges():
    result = basics.gradient_descent_weight_matrix([0.2, 2.3, 1.2], PART6_ROWS, [8, 46, 0.1], 0.5)
    assert result.stopped == "diverged"
    assert "2 / sum(input²) = 0.2954" in result.message  # sum(input²) = 6.77


# --- Part 7: stochastic gradient descent ---------------------------------------------------------


def test_part7_error_falls_to_zero_within_15_passes():
    result = basics.stochastic_gradient_descent(PART7_PATTERNS, PART7_TARGETS, [0.5] * 3, 0.1)
    assert len(result.pass_errors) == 15
    assert result.pass_errors[-1] == 0.0 and repr(result.pass_errors[-1]) == "0.0"
    assert result.stopped == "converged"
    # The network learns that only the second feature correlates with the target.
    first, second, third = result.weights
    assert second > 0.9 and abs(first) < 0.1 and abs(third) < 0.1


def test_part7_first_update_by_hand():
    result = basics.stochastic_gradient_descent(PART7_PATTERNS, PART7_TARGETS, [0.5] * 3, 0.1)
    first = result.steps[0]
    # Pattern [0, 0, 1], target 0: prediction 0.5, error 0.25, w3 -= 0.1 x 1 x 0.5.
    assert (first.prediction, first.error) == (0.5, 0.25)
    assert first.new_weights == (0.5, 0.5, 0.45)
    assert len(result.steps) == 15 * 8


def test_part7_stop_when_converged_stops_at_the_first_zero_pass():
    result = basics.stochastic_gradient_descent(
        PART7_PATTERNS, PART7_TARGETS, [0.5] * 3, 0.1, stop_when_converged=True
    )
    assert result.pass_errors[-1] == 0.0 and all(e > 0 for e in result.pass_errors[:-1])
    assert len(result.pass_errors) <= 15


def test_part7_cap():
    result = basics.stochastic_gradient_descent(
        PART7_PATTERNS, PART7_TARGETS, [0.5] * 3, 0.1, max_passes=3
    )
    assert result.stopped == "cap" and "max_passes" in result.message


def test_part7_diverges_without_warnings():
    result = basics.stochastic_gradient_descent(PART7_PATTERNS, PART7_TARGETS, [0.5] * 3, 1e200)
    assert result.stopped == "diverged" and "Lower alpha" in result.message


# --- Part 8: backpropagation ---------------------------------------------------------------------


def test_part8_starting_weights_come_from_the_seed():
    result = basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, seed=5)
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(result.initial_hidden_weights, rng.random((3, 4)))
    np.testing.assert_array_equal(result.initial_output_weights, rng.random((4, 1)))


def test_part8_converges_with_the_series_defaults():
    result = basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, seed=3)
    assert result.stopped == "converged" and result.pass_errors[-1] == 0.0
    assert result.predict(PART8_PATTERNS).ravel().tolist() == [1.0, 0.0, 1.0, 0.0]
    assert result.predict([0, 1, 0]).tolist() == [1.0]


def test_part8_stops_at_the_cap_and_says_it_did_not_converge():
    result = basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, seed=0, max_passes=150)
    assert result.stopped == "cap" and result.passes == 150
    assert "without converging" in result.message and "seed" in result.message
    assert "max_passes" in result.message and "stuck" in result.message


def test_part8_reports_dead_relu_units():
    result = basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, alpha=5, max_passes=50)
    assert result.stopped == "cap" and "4 of 4 hidden units output 0" in result.message


def test_part8_diverges_without_warnings():
    result = basics.backprop_one_hidden_layer(
        PART8_PATTERNS, PART8_TARGETS, alpha=1e100, activation="sigmoid", bias=True
    )
    assert result.stopped == "diverged" and "Lower alpha" in result.message


def _torch_backprop(patterns, targets, w1, w2, alpha, passes, activation, bias):
    """The same network trained with PyTorch autograd on 0.5 x (prediction - target)²."""
    torch = pytest.importorskip("torch")
    w1_t = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    w2_t = torch.tensor(w2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w1_t, w2_t], lr=alpha)
    act = torch.relu if activation == "relu" else torch.sigmoid
    for _ in range(passes):
        for pattern, target in zip(patterns, targets):
            x = torch.tensor(pattern + ([1.0] if bias else []), dtype=torch.float64)
            hidden = act(x @ w1_t)
            if bias:
                hidden = torch.cat([hidden, torch.ones(1, dtype=torch.float64)])
            loss = 0.5 * ((hidden @ w2_t - target) ** 2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return w1_t.detach().numpy(), w2_t.detach().numpy()


@pytest.mark.parametrize(("activation", "bias"), [("relu", False), ("sigmoid", True)])
def test_part8_updates_match_pytorch_autograd(activation, bias):
    patterns = [[float(v) for v in row] for row in PART8_PATTERNS]
    result = basics.backprop_one_hidden_layer(
        patterns,
        PART8_TARGETS,
        seed=1,
        max_passes=3,
        activation=activation,
        bias=bias,
        round_prediction=None,
    )
    assert result.passes == 3
    w1, w2 = _torch_backprop(
        patterns,
        PART8_TARGETS,
        result.initial_hidden_weights,
        result.initial_output_weights,
        0.1,
        3,
        activation,
        bias,
    )
    np.testing.assert_allclose(result.hidden_weights, w1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.output_weights, w2, rtol=1e-12, atol=1e-14)


def test_part8_options_learn_xor_with_bias_and_sigmoid():
    # The use humblenet.neuron makes of it: a 2-2-1 network on XOR.
    xor_inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]
    result = basics.backprop_one_hidden_layer(
        xor_inputs,
        [0, 1, 1, 0],
        hidden_size=2,
        alpha=0.5,
        seed=3,
        activation="sigmoid",
        bias=True,
        round_prediction=None,
        tolerance=0.01,
        max_passes=5000,
    )
    assert result.stopped == "converged"
    assert result.hidden_weights.shape == (3, 2) and result.output_weights.shape == (3, 1)
    assert np.round(result.predict(xor_inputs).ravel()).tolist() == [0.0, 1.0, 1.0, 0.0]


def test_part8_initial_weights_and_several_outputs():
    w1 = [[0.5, 0.1], [0.2, 0.3]]
    w2 = [[0.4, 0.6], [0.7, 0.2]]
    result = basics.backprop_one_hidden_layer(
        [[1, 0], [0, 1]],
        [[1, 0], [0, 1]],
        hidden_size=2,
        initial_weights=(w1, w2),
        max_passes=1,
        round_prediction=None,
    )
    np.testing.assert_array_equal(result.initial_hidden_weights, np.array(w1))
    # First pattern [1, 0] by hand: hidden = relu([0.5, 0.1]); prediction = [0.27, 0.32].
    delta2 = np.array([0.5 * 0.4 + 0.1 * 0.7 - 1, 0.5 * 0.6 + 0.1 * 0.2 - 0])
    expected_w2 = np.array(w2) - np.outer(0.1 * np.array([0.5, 0.1]), delta2)
    assert result.predict([1, 0]).shape == (2,)
    assert result.passes == 1
    # After the first pattern only; recompute the second pattern's update by hand too.
    delta1 = (np.array(w2) @ delta2) * np.array([1.0, 1.0])
    w1_after = np.array(w1) - 0.1 * np.outer([1.0, 0.0], delta1)
    hidden = np.maximum(np.array([0.0, 1.0]) @ w1_after, 0)
    delta2b = hidden @ expected_w2 - np.array([0.0, 1.0])
    delta1b = (expected_w2 @ delta2b) * (hidden > 0)
    np.testing.assert_allclose(
        result.output_weights, expected_w2 - np.outer(0.1 * hidden, delta2b), rtol=1e-12
    )
    np.testing.assert_allclose(
        result.hidden_weights, w1_after - 0.1 * np.outer([0.0, 1.0], delta1b), rtol=1e-12
    )


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: basics.dot_product([1, 2], [1, 2, 3]), ValueError, ["2 numbers", "has 3"]),
        (lambda: basics.dot_product([], []), ValueError, ["empty"]),
        (lambda: basics.dot_product("abc", "abc"), TypeError, ["'abc'", "str"]),
        (lambda: basics.dot_product(["a"], [1]), TypeError, ["vector_a[0]", "'a'", "str"]),
        (lambda: basics.dot_product([1, None], [1, 2]), TypeError, ["None"]),
        (lambda: basics.dot_product([[1, 2]], [1]), TypeError, ["list"]),
        (lambda: basics.dot_product(np.ones((2, 2)), [1, 2]), ValueError, ["shape (2, 2)"]),
        (lambda: basics.predict_with_one_weight("30", 7.56), TypeError, ["input_value", "'30'"]),
        (lambda: basics.predict_with_one_weight(True, 7.56), TypeError, ["True", "bool"]),
        (lambda: basics.predict_with_one_weight(30, float("nan")), ValueError, ["finite"]),
        (lambda: basics.predict_with_one_weight(30, 1j), TypeError, ["complex"]),
        (
            lambda: basics.predict_several_outputs([1, 2, 3], [[1, 2, 3], [1, 2]]),
            ValueError,
            ["weight_rows[1] has 2 weights", "3 inputs"],
        ),
        (lambda: basics.predict_several_outputs([1, 2], []), ValueError, ["empty"]),
        (lambda: basics.hot_cold_try(20, 180, 7, 0), ValueError, ["step", "positive", "0"]),
        (lambda: basics.hot_cold_learning(20, 180, 7, max_steps=0), ValueError, ["max_steps"]),
        (lambda: basics.hot_cold_learning(20, 180, 7, round_weight=-1), ValueError, ["-1"]),
        (lambda: basics.gradient_descent_one_weight(0.2, 8, 10, 0), ValueError, ["alpha", "0"]),
        (lambda: basics.gradient_descent_one_weight(0.2, 8, 10, -1), ValueError, ["alpha", "-1"]),
        (
            lambda: basics.gradient_descent_one_weight(0.2, 8, 10, 24, max_steps=2.5),
            TypeError,
            ["max_steps", "2.5"],
        ),
        (
            lambda: basics.gradient_descent_one_weight(0.2, 8, 10, 24, round_prediction="2"),
            TypeError,
            ["round_prediction", "'2'"],
        ),
        (
            lambda: basics.gradient_descent_one_weight(0.2, 8, 10, 24, tolerance=-1),
            ValueError,
            ["tolerance"],
        ),
        (
            lambda: basics.gradient_descent_several_inputs([0.2, 4], [10, 2, 11], 8, 0.04),
            ValueError,
            ["inputs has 2", "weights has 3"],
        ),
        (
            lambda: basics.gradient_descent_several_outputs(0.2, [10, 20], [8, 46, 0.1], 24),
            ValueError,
            ["weights has 2", "targets has 3"],
        ),
        (
            lambda: basics.gradient_descent_weight_matrix([0.2, 2.3, 1.2], PART6_ROWS, [8], 0.2),
            ValueError,
            ["3 rows", "targets has 1"],
        ),
        (
            lambda: basics.gradient_descent_weight_matrix([0.2, 2.3], PART6_ROWS, [8, 46, 0.1], 1),
            ValueError,
            ["weight_rows[0] has 3 weights", "2 inputs"],
        ),
        (
            lambda: basics.stochastic_gradient_descent([[0, 1], [1]], [0, 1], [0.5, 0.5], 0.1),
            ValueError,
            ["patterns[1] has 1", "patterns[0] has 2"],
        ),
        (
            lambda: basics.stochastic_gradient_descent([[0, 1]], [0, 1], [0.5, 0.5], 0.1),
            ValueError,
            ["1 rows", "targets has 2"],
        ),
        (
            lambda: basics.stochastic_gradient_descent([[0, 1]], [0], [0.5], 0.1),
            ValueError,
            ["weights has 1", "2 inputs"],
        ),
        (
            lambda: basics.stochastic_gradient_descent([[0, 1]], [0], [0.5] * 2, 0.1, max_passes=0),
            ValueError,
            ["max_passes", "0"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer(PART8_PATTERNS, [1, 0, 1]),
            ValueError,
            ["4 rows", "targets has 3"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer([[1]], [1], activation="tanh"),
            ValueError,
            ["'tanh'", "relu", "sigmoid"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, seed="x"),
            TypeError,
            ["seed", "'x'"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, hidden_size=0),
            ValueError,
            ["hidden_size"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, alpha=0),
            ValueError,
            ["alpha"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, bias=1),
            TypeError,
            ["bias", "1"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer(
                PART8_PATTERNS, PART8_TARGETS, initial_weights=([[1.0] * 4] * 2, [[1.0]] * 4)
            ),
            ValueError,
            ["shape (2, 4)", "expected (3, 4)"],
        ),
        (
            lambda: basics.backprop_one_hidden_layer([[True, 1, 0]], [1]),
            TypeError,
            ["patterns[0][0]", "bool"],
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(call, error, words):
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value)


def test_predict_refuses_a_pattern_of_the_wrong_size():
    result = basics.backprop_one_hidden_layer(PART8_PATTERNS, PART8_TARGETS, max_passes=1)
    with pytest.raises(ValueError, match=r"3 inputs.*shape \(2,\)"):
        result.predict([1, 0])
