"""Each examples/partNN_*.py script, run as a user would, prints the series' numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# The series' numbers (SERIES.md), as Python prints them: each must appear in the output.
SERIES_NUMBERS = {
    "part02_several_inputs_outputs.py": ["56", "235.10000000000002", "0.38304", "8.79"],
    "part03_hot_cold.py": ["140", "1600", "1444.0", "1764.0", "9.0", "180.0"],
    "part04_gradient_descent.py": ["2.0", "7.76", "7.99", "8.0", "40.00000000000001"],
    "part05_several_weights.py": [
        "[9.961359999999999, 1.2271999999999998, 10.98068]",
        "[40.00000000000001, 230.00000000000003, 0.5039999999999997]",
    ],
    "part06_weight_matrix.py": [
        "(8.0, 46.0, 0.1)",
        "[7.0636, 0.6814, 4.1816]",
        "[6.4988, 12.1862, 13.8928]",
        "[1.5816, -1.8116, 3.2896]",
    ],
    "part07_correlation.py": ["pass 15: error 0.0"],
    "part08_backpropagation.py": ["converged", "[1.0, 0.0, 1.0, 0.0]"],
}


def run_example(name: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    return completed.stdout


def test_part1_prints_exactly_the_series_line():
    expected = (
        "According to my neural network, after running 30 minutes, "
        "I burned 226.79999999999998 calories\n"
    )
    assert run_example("part01_simple_nn.py") == expected


@pytest.mark.parametrize("name", sorted(SERIES_NUMBERS))
def test_example_prints_the_series_numbers(name):
    output = run_example(name)
    for number in SERIES_NUMBERS[name]:
        assert number in output, f"{number} missing from {name}'s output:\n{output}"


def test_part4_example_shows_the_divergence_message():
    words = " ".join(run_example("part04_gradient_descent.py").split())  # undo line wrapping
    assert "alpha 60: diverged" in words and "alpha x input² = 2.4" in words


def test_part8_example_with_a_seed_that_does_not_converge():
    words = " ".join(run_example("part08_backpropagation.py", "0").split())
    assert "seed 0: cap" in words and "without converging" in words


def test_there_is_one_example_per_part():
    for part in range(1, 9):
        assert list(EXAMPLES.glob(f"part{part:02d}_*.py")), f"no example for part {part}"
