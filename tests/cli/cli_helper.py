"""What the command-line tests share: the tables they write, and running ``humblenet`` in a
subprocess (as a user runs it) or in-process (for speed)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import humblenet
from humblenet import cli

CLASSES = ("setosa", "versicolor", "virginica")  # sorted: the class order read_csv gives
CENTERS = np.array([[1.5, 5.0, 0.3], [4.3, 6.0, 1.3], [5.6, 6.6, 2.1]])
FEATURES = ("petal_length", "sepal_length", "petal_width")
ROWS = 150
SEED = 0
FLOWER_INPUT = ["petal_length=4", "sepal_length=6", "petal_width=1.3"]

# The folder that holds the humblenet under test: the subprocesses import the same code.
_SOURCE = str(Path(humblenet.__file__).resolve().parents[1])


def write_flowers(path: Path, rows: int = ROWS, seed: int = 1) -> np.ndarray:
    """A learnable 3-class table with text labels: three clusters, one per class."""
    rng = np.random.default_rng(seed)
    classes = np.arange(rows) % 3
    x = CENTERS[classes] + rng.normal(0, 0.25, size=(rows, 3))
    lines = [",".join([*FEATURES, "species"])]
    lines += [",".join([*(f"{v:.2f}" for v in row), CLASSES[c]]) for row, c in zip(x, classes)]
    path.write_text("\n".join(lines) + "\n")
    return np.round(x, 2)


def kcal(minutes, speed):
    return minutes * (12 * speed + 3.5) * 0.4


def write_runs(path: Path, rows: int = ROWS, seed: int = 2) -> None:
    """A regression table: kcal from minutes and speed (a smooth formula, no noise)."""
    rng = np.random.default_rng(seed)
    minutes, speed = rng.uniform(10, 60, rows), rng.uniform(2, 4.5, rows)
    lines = ["minutes,speed,kcal"]
    lines += [
        f"{m:.1f},{s:.2f},{kcal(round(m, 1), round(s, 2)):.1f}" for m, s in zip(minutes, speed)
    ]
    path.write_text("\n".join(lines) + "\n")


def python(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in ``cwd`` with warnings as errors and this humblenet importable."""
    paths = [_SOURCE, *filter(None, [os.environ.get("PYTHONPATH")])]
    return subprocess.run(
        [sys.executable, "-W", "error", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )


def humblenet_run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m humblenet ARGS`` in ``cwd``, with warnings as errors."""
    return python("-m", "humblenet", *args, cwd=cwd)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def read_csv_text(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def forward_by_hand(model, x: np.ndarray) -> np.ndarray:
    """The network's output computed in float64 from its weights, layer by layer."""
    h = x.astype(np.float64)
    for layer in model.layers:
        h = h @ layer.weight.data.astype(np.float64).T + layer.bias.data
        if layer.activation == "relu":
            h = np.maximum(h, 0)
        elif layer.activation == "softmax":
            e = np.exp(h - h.max(axis=1, keepdims=True))
            h = e / e.sum(axis=1, keepdims=True)
        else:
            assert layer.activation is None
    return h


def run_main(args, capsys):
    """``cli.main(args)`` → (status, stdout, stderr), argparse's exits included."""
    try:
        status = cli.main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def check_mistake(folder: Path, capsys, args, words) -> None:
    """A user's mistake: one line on stderr with ``words``, status 2, no file written."""
    before = sorted(p.name for p in folder.iterdir())
    status, _, err = run_main(args, capsys)
    assert status == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("humblenet")
    assert "Traceback" not in err
    for word in words:
        assert word in err
    assert sorted(p.name for p in folder.iterdir()) == before
