"""The series' Keras notebooks (parts 9 and 10) run on humblenet with only their imports changed.

``keras_part9.py`` and ``keras_part10.py`` beside this file make the notebooks' own Keras calls
(epochs reduced); each runs here as a user would run it, with warnings as errors, and its output
is checked: Keras' summary and per-epoch lines, and the accuracy part 9 reaches.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from humblenet.data import DatasetNotFoundError, load_fashion_mnist

HERE = Path(__file__).parent
SRC = Path(__file__).resolve().parents[2] / "src"


def _require_fashion_mnist() -> None:
    try:
        load_fashion_mnist()
    except DatasetNotFoundError as error:
        if os.environ.get("HUMBLENET_REQUIRE_DATA"):
            raise
        pytest.skip(f"Fashion-MNIST is not installed: {error}")


def _run(program: str) -> str:
    _require_fashion_mnist()
    environment = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-W", "error", str(HERE / program)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


KERAS_EPOCH_LINE = re.compile(
    r"^(\d+)/\1 ━{20} \d+s \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d+\.\d{4}"
)


def test_part9_notebook_runs_and_learns_fashion_mnist() -> None:
    """One epoch of the part 9 network (batch 15, Adam, softmax + sparse cross-entropy) on all
    60,000 training images: test accuracy at least 0.80 (0.84 measured)."""
    out = _run("keras_part9.py")
    lines = out.splitlines()
    assert "Total params: 551,538" in out  # Keras' count for the part 9 network
    assert "Epoch 1/1" in lines
    assert any(KERAS_EPOCH_LINE.match(line) and line.startswith("4000/4000") for line in lines)
    accuracy = float(re.search(r"^Test accuracy: ([0-9.]+)$", out, re.M).group(1))  # type: ignore[union-attr]
    assert accuracy >= 0.80


def test_part10_notebook_runs_its_runs_and_remedies() -> None:
    """The deep network on 450 images (RMSprop, logits + SparseCategoricalCrossentropy built as
    ``tf.keras.losses...``), then early stopping, a smaller network and dropout, 8 epochs each,
    validated on the images from 40,000 on: Keras-shaped lines with validation values, and
    networks that learn their 450 images (the gap to unseen images shows clearly only over the
    series' 30 epochs; with unseeded weights, 8 epochs leave it within noise)."""
    out = _run("keras_part10.py")
    epoch_lines = [line for line in out.splitlines() if KERAS_EPOCH_LINE.match(line)]
    assert len(epoch_lines) >= 3 * 8 + 1  # early stopping may stop its run sooner
    assert all(line.startswith("30/30 ") and "val_accuracy: " in line for line in epoch_lines)
    assert len(re.findall(r"^313/313 - \d+s - \d+(s|ms|us)/step - accuracy", out, re.M)) == 4
    runs = re.findall(
        r"^(\w[\w ]*): epochs \d+, train accuracy ([0-9.]+) -> ([0-9.]+), final gap", out, re.M
    )
    assert {name for name, _, _ in runs} == {"deep", "early stopping", "small", "dropout"}
    for name, first, last in runs:
        if name in ("deep", "small"):  # without dropout, each learns its 450 images
            assert float(last) > float(first), name
