"""Parts 9 and 10: the examples run as a user runs them, and the tour's chapters on the digits.

The examples run on a small made-up MNIST folder (``--mnist FOLDER``: four IDX files written
here, so these tests never need a download) and, when Fashion-MNIST is installed, on it with
``--quick``. With ``HUMBLENET_REQUIRE_DATA=1`` a missing Fashion-MNIST fails instead of skipping.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from humblenet import tour, tour_deep
from humblenet.data import DatasetNotFoundError, load_fashion_mnist, write_idx

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PART9 = "part09_fashion_mnist.py"
PART10 = "part10_overfitting.py"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
PART10_PLOTS = ["part10_deep.png", "part10_early.png", "part10_smaller.png", "part10_dropout.png"]


def require_fashion_mnist() -> None:
    """Skip (or fail, with HUMBLENET_REQUIRE_DATA=1) when Fashion-MNIST is not installed."""
    try:
        load_fashion_mnist()
    except DatasetNotFoundError as error:
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but Fashion-MNIST is missing: {error}")
        pytest.skip(
            f"Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): {error}"
        )


def run_example(name: str, *args: str, expect_status: int = 0) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == expect_status, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    return completed


@pytest.fixture(scope="module")
def mnist_folder(tmp_path_factory) -> Path:
    """A made-up MNIST: 600 training and 100 test images whose class is where a bar lies."""
    folder = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for part, count in (("train", 600), ("t10k", 100)):
        labels = rng.integers(0, 10, size=count).astype(np.uint8)
        images = rng.integers(0, 60, size=(count, 28, 28)).astype(np.uint8)
        for index, label in enumerate(labels):
            images[index, 2 + 2 * label : 4 + 2 * label, 4:24] = 255  # a bar at row 2 + 2·label
        write_idx(folder / f"{part}-images-idx3-ubyte", images)
        write_idx(folder / f"{part}-labels-idx1-ubyte", labels)
    return folder


def dense_parameters(sizes: list[int]) -> int:
    """Weights and biases of Dense layers between consecutive sizes (worked by hand)."""
    return sum(inputs * outputs + outputs for inputs, outputs in zip(sizes, sizes[1:]))


def number_after(label: str, text: str) -> float:
    match = re.search(re.escape(label) + r"\s*([0-9.]+)", text)
    assert match, f"{label!r} missing from:\n{text}"
    return float(match.group(1))


def part10_table(text: str) -> dict[str, tuple[int, float, float, float]]:
    """The comparison table: run -> (epochs, train accuracy, validation accuracy, gap)."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"(.+?)\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+(-?[0-9.]+)$", line)
        if match:
            label, epochs, train, val, gap = match.groups()
            rows[label.strip()] = (int(epochs), float(train), float(val), float(gap))
    return rows


# -- part 9 --------------------------------------------------------------------------------------


def test_part9_on_an_mnist_folder_prints_the_summary_epochs_and_accuracy(mnist_folder, tmp_path):
    out = tmp_path / "plots"
    completed = run_example(
        PART9, "--mnist", str(mnist_folder), "--quick", "--epochs", "2", "--out-dir", str(out)
    )
    text = completed.stdout
    assert "600 training and 100 test images" in text
    # The series' network: 784 -> 512, 216, 128, 64, 32, 16 -> 10, counted by hand.
    total = dense_parameters([784, 512, 216, 128, 64, 32, 16, 10])
    assert total == 551_538
    assert f"Total params: {total:,}" in text
    assert "(None, 784)" in text and "(None, 10)" in text
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    accuracy = number_after("test accuracy:", text)
    # A bar's row gives the class away: even two short epochs learn most of it (chance is 0.1).
    assert 0.5 <= accuracy <= 1
    assert "0.9822" in text
    if HAS_MATPLOTLIB:
        for name in ("part09_history.png", "part09_confusion.png"):
            assert (out / name).read_bytes()[:4] == b"\x89PNG"
    else:
        assert "plots skipped" in text


def test_part9_quick_on_fashion_mnist(tmp_path):
    require_fashion_mnist()
    completed = run_example(PART9, "--quick", "--out-dir", str(tmp_path))
    text = completed.stdout
    assert "3000 training and 10000 test images" in text
    assert "Epoch 2/2" in text
    # 3,000 images and 2 epochs: well above chance (0.1), well below the full run.
    assert 0.7 <= number_after("test accuracy:", text) <= 0.9


def test_part9_says_what_to_do_when_the_data_is_missing(tmp_path):
    completed = run_example(PART9, "--mnist", str(tmp_path / "nowhere"), expect_status=2)
    assert completed.stdout == ""
    assert "MNIST not found" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


# -- part 10 -------------------------------------------------------------------------------------


def test_part10_on_an_mnist_folder_compares_four_runs(mnist_folder, tmp_path):
    out = tmp_path / "plots"
    completed = run_example(
        PART10,
        *("--mnist", str(mnist_folder), "--quick", "--train-images", "100"),
        *("--validation-start", "300", "--out-dir", str(out)),
    )
    text = completed.stdout
    assert "training on 100 images, validating on 300 (images 300 to 599)" in text
    rows = part10_table(text)
    assert list(rows) == [
        "deep network",
        "stop early (2 epochs)",
        "smaller network (32)",
        "dropout",
    ]
    assert [row[0] for row in rows.values()] == [4, 2, 4, 4]
    for _, train, val, gap in rows.values():
        assert 0 <= train <= 1 and 0 <= val <= 1
        assert gap == pytest.approx(train - val, abs=1.5e-3)  # as printed, rounded
    for name in ("deep network", "smaller network (32)", "dropout"):
        assert "Epoch 4/4" in text.split(f"== {name}")[1]
    if HAS_MATPLOTLIB:
        for name in PART10_PLOTS:
            assert (out / name).read_bytes()[:4] == b"\x89PNG"
    else:
        assert text.count("plot skipped") == 4


def test_part10_early_stopping_flag_stops_on_the_validation_loss(mnist_folder, tmp_path):
    completed = run_example(
        PART10,
        *("--mnist", str(mnist_folder), "--epochs", "8", "--early-stopping"),
        *("--train-images", "60", "--validation-start", "300", "--out-dir", str(tmp_path)),
    )
    text = completed.stdout
    section = text.split("== stop early (early stopping) ==")[1].split("==")[0]
    losses = [float(value) for value in re.findall(r"val_loss: ([0-9.]+)", section)]
    # The rule worked out here from the printed losses: stop after 3 epochs without a new best.
    best, waited, expected = float("inf"), 0, 8
    for epoch, loss in enumerate(losses, start=1):
        best, waited = (loss, 0) if loss < best else (best, waited + 1)
        if waited == 3:
            expected = epoch
            break
    assert len(losses) == expected
    assert part10_table(text)["stop early (early stopping)"][0] == expected
    assert ("Stopped: early stopping" in section) == (expected < 8)


def test_part10_refuses_overlapping_training_and_validation_images(mnist_folder):
    completed = run_example(
        PART10, "--mnist", str(mnist_folder), "--validation-start", "100", expect_status=2
    )
    assert "must not overlap" in completed.stderr
    assert completed.stdout == ""


def test_part10_quick_on_fashion_mnist(tmp_path):
    require_fashion_mnist()
    completed = run_example(PART10, "--quick", "--out-dir", str(tmp_path))
    text = completed.stdout
    assert "training on 450 images, validating on 2000 (images 40000 to 41999)" in text
    rows = part10_table(text)
    assert len(rows) == 4
    # Four epochs on 450 images: every network is past chance on images it never saw.
    for _, _, val, _ in rows.values():
        assert val > 0.2


# -- the tour's chapters on the 8×8 digits -------------------------------------------------------


def test_tour_lists_parts_9_and_10_right_after_part_8():
    titles = [title for title, _ in tour.CHAPTERS]
    at = titles.index(tour_deep.PART9_TITLE)
    assert titles[at - 1].startswith("Part 8:")
    assert titles[at : at + 2] == [tour_deep.PART9_TITLE, tour_deep.PART10_TITLE]
    assert titles[at].startswith("Part 9:") and titles[at + 1].startswith("Part 10:")


def test_part9_chapter_learns_the_digits():
    history, accuracy = tour_deep.part9_train()
    assert len(history.epoch) == tour_deep.PART9_EPOCHS
    losses = history.history["loss"]
    assert losses[-1] < losses[0] / 3
    # 5 epochs of a small MLP on the 8×8 digits: above 0.9 (chance is 0.1).
    assert accuracy >= 0.9
    lines = tour_deep.part9_chapter(verbose=False)
    assert f"test accuracy {accuracy:.4f}" in " ".join(lines)
    verbose = tour_deep.part9_chapter(verbose=True)
    assert sum(line.strip().startswith("epoch ") for line in verbose) == tour_deep.PART9_EPOCHS


@pytest.fixture(scope="module")
def part10_runs() -> list[tour_deep.Part10Run]:
    return tour_deep.part10_runs()


def test_part10_chapter_shows_the_gap_and_a_remedy_that_narrows_it(part10_runs):
    deep, smaller, dropout = part10_runs
    assert (deep.label, smaller.label, dropout.label) == ("deep", "smaller (32)", "dropout")
    # The deep network learns its 100 digits by heart, far better than digits it never saw,
    # and its validation loss turns back up: the series' picture of overfitting.
    assert deep.train_accuracy == 1.0
    assert deep.gap > 0.1
    best, epoch = deep.best_validation_loss
    assert deep.history.history["val_loss"][-1] > best and epoch < tour_deep.PART10_EPOCHS
    # Fewer weights narrow the gap and reach a lower validation loss. (Their validation
    # accuracy, within 3 digits of 1338 of the deep one's, depends on the shuffle order:
    # at least as high with the order before epochs came from (seed, epoch), lower since.)
    assert smaller.gap < deep.gap
    assert smaller.best_validation_loss[0] < deep.best_validation_loss[0]
    # Dropout keeps the network from learning its training digits by heart.
    assert dropout.train_accuracy < deep.train_accuracy


def test_part10_chapter_text_says_what_the_numbers_say(part10_runs):
    lines = tour_deep.part10_chapter(verbose=True)
    text = "\n".join(lines)
    for run in part10_runs:  # the chapter trains the same seeded runs again: the same numbers
        assert f"{run.train_accuracy:.3f}  {run.validation_accuracy:.3f}  {run.gap:.3f}" in text
    deep, smaller, _ = part10_runs
    verdict = " ".join(text.split("Seen:")[1].split("Note:")[0].split())
    assert f"smaller network narrows the gap ({deep.gap:.3f} → {smaller.gap:.3f})" in verdict
    epoch_lines = [line for line in lines if line.strip().startswith("epoch ")]
    assert len(epoch_lines) == 3 * tour_deep.PART10_EPOCHS


def test_part10_runs_are_reproducible():
    first = tour_deep.part10_runs(epochs=3, kinds=("dropout",))[0]
    second = tour_deep.part10_runs(epochs=3, kinds=("dropout",))[0]
    assert first.history.history == second.history.history
    other = tour_deep.part10_runs(epochs=3, kinds=("dropout",), seed=1)[0]
    assert other.history.history != first.history.history
