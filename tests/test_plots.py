"""Tests of humblenet.plots: valid picture files, the right data drawn, atomic saves, and a clear
message when matplotlib is missing."""

from __future__ import annotations

import struct
import sys

import numpy as np
import pytest

from humblenet import plots
from humblenet.training import History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from a PNG file's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def make_history():
    history = History()
    logs = [
        {"loss": 1.2, "accuracy": 0.5, "val_loss": 1.3, "val_accuracy": 0.45},
        {"loss": 0.8, "accuracy": 0.7, "val_loss": 0.9, "val_accuracy": 0.65},
        {"loss": 0.5, "accuracy": 0.85, "val_loss": 0.7, "val_accuracy": 0.7},
    ]
    for epoch, values in enumerate(logs):
        history.on_epoch_end(epoch, values)
    return history


def test_plot_history_writes_a_png_with_the_curves(tmp_path):
    path = tmp_path / "curves.png"
    figure = plots.plot_history(make_history(), path)
    width, height = png_size(path)
    assert width > 100 and height > 100
    assert [axes.get_title() for axes in figure.axes] == ["loss", "accuracy"]
    loss_axes = figure.axes[0]
    lines = {line.get_label(): line for line in loss_axes.get_lines()}
    assert lines["training"].get_xdata().tolist() == [1, 2, 3]
    assert lines["training"].get_ydata().tolist() == [1.2, 0.8, 0.5]
    assert lines["validation"].get_ydata().tolist() == [1.3, 0.9, 0.7]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]  # no temporary left


def test_plot_history_without_validation_and_regression_metrics(tmp_path):
    path = tmp_path / "regression.png"
    figure = plots.plot_history({"loss": [4.0, 2.0], "mae": [1.5, 1.0]}, path)
    png_size(path)
    assert [axes.get_title() for axes in figure.axes] == ["loss", "mean absolute error"]
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["training"]


def test_plot_history_other_formats(tmp_path):
    plots.plot_history({"loss": [1.0, 0.5]}, tmp_path / "curves.svg")
    assert b"<svg" in (tmp_path / "curves.svg").read_bytes()[:1000]


def test_plot_history_refuses_empty_history_and_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        plots.plot_history({"loss": []}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="History"):
        plots.plot_history([0.5, 0.4], tmp_path / "x.png")
    with pytest.raises(ValueError, match="extension"):
        plots.plot_history({"loss": [1.0]}, tmp_path / "curves")
    with pytest.raises(ValueError, match=r"\.xyz"):
        plots.plot_history({"loss": [1.0]}, tmp_path / "curves.xyz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.plot_history({"loss": [1.0]}, tmp_path / "missing" / "curves.png")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_leaves_no_file(tmp_path, monkeypatch):
    figure = plots.plot_history({"loss": [1.0, 0.5]})

    def broken_savefig(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plots._save_atomically(figure, tmp_path / "curves.png")
    assert list(tmp_path.iterdir()) == []


def test_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, size=200)
    guess = np.where(rng.random(200) < 0.7, truth, rng.integers(0, 4, size=200))
    ours = plots.confusion_matrix(truth, guess, num_classes=4)
    assert ours.tolist() == sklearn_confusion_matrix(truth, guess, labels=range(4)).tolist()
    # Probabilities are turned into their most likely class.
    probabilities = np.eye(4)[guess] * 0.9 + 0.025
    assert plots.confusion_matrix(truth, probabilities, 4).tolist() == ours.tolist()


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="3 samples but y_pred has 2"):
        plots.confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="class 5, outside 0..2"):
        plots.confusion_matrix([0, 1, 5], [0, 1, 1], num_classes=3)
    with pytest.raises(ValueError, match="whole numbers"):
        plots.confusion_matrix([0.5, 1.0], [0, 1])


def test_plot_confusion_matrix_writes_a_png_with_the_counts(tmp_path):
    path = tmp_path / "confusion.png"
    figure = plots.plot_confusion_matrix(
        [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], ["cat", "dog", "bird"], path
    )
    png_size(path)
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.texts] == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["cat", "dog", "bird"]
    normalized = plots.plot_confusion_matrix([0, 0, 1], [0, 1, 1], ["a", "b"], normalize=True)
    assert [t.get_text() for t in normalized.axes[0].texts] == ["0.50", "0.50", "0.00", "1.00"]


def test_plot_decision_boundary_colours_the_regions(tmp_path):
    rng = np.random.default_rng(1)
    points = rng.uniform(-1, 1, size=(40, 2))
    labels = (points[:, 0] + points[:, 1] > 0).astype(int)
    path = tmp_path / "boundary.png"
    calls = []

    def predict(grid):
        calls.append(grid.shape)
        return (grid[:, 0] + grid[:, 1] > 0).astype(int)

    figure = plots.plot_decision_boundary(predict, points, labels, path, ["below", "above"], 30)
    png_size(path)
    assert calls == [(900, 2)]
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["below", "above"]
    with pytest.raises(ValueError, match=r"\(samples, 2\)"):
        plots.plot_decision_boundary(predict, np.zeros((3, 3)), [0, 1, 0])


def test_missing_matplotlib_says_what_to_install(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r'pip install "humblenet\[plots\]"'):
        plots.plot_history({"loss": [1.0]}, tmp_path / "curves.png")
    with pytest.raises(ImportError, match="matplotlib"):
        plots.plot_confusion_matrix([0, 1], [0, 1], ["a", "b"], tmp_path / "c.png")
    assert list(tmp_path.iterdir()) == []
