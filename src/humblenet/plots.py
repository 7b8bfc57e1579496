"""Pictures of training: loss and accuracy curves, a confusion matrix, a decision boundary.

matplotlib is an optional extra (``pip install "humblenet[plots]"``): it is imported inside each
function, so ``import humblenet.plots`` works without it, and calling a plot function without it
raises an ``ImportError`` that says what to install.

The figures are built on matplotlib's object API with its Agg canvas, never through ``pyplot``:
no window opens, no global backend is switched, and it works on a server without a display. Each
function returns the ``Figure`` (a notebook shows it) and, given a ``path``, writes the picture
there atomically (a temporary file in the same folder, flushed to disk, then renamed): a failed
or interrupted save leaves no half-written file. The format follows the file's extension
(``.png``, ``.svg``, ``.pdf``, ...).

``confusion_matrix`` is plain NumPy and needs no matplotlib:

>>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], num_classes=3).tolist()
[[1, 0, 0], [0, 1, 1], [0, 0, 1]]
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "INSTALL_HINT",
    "confusion_matrix",
    "picture_bytes",
    "picture_format",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_filters",
    "plot_history",
]

INSTALL_HINT = 'pip install "humblenet[plots]"'

# Names shown on the y axis of a history panel.
_METRIC_TITLES = {
    "loss": "loss",
    "accuracy": "accuracy",
    "mae": "mean absolute error",
    "mse": "mean squared error",
}


def _matplotlib() -> tuple[Any, Any]:
    """matplotlib's ``Figure`` and Agg canvas classes, or an ImportError saying what to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            f"humblenet's plots need matplotlib, which is not installed: {INSTALL_HINT}"
        ) from error
    return Figure, FigureCanvasAgg


def _new_figure(width: float, height: float) -> Any:
    """A matplotlib ``Figure`` attached to an Agg canvas (no pyplot, no global state)."""
    figure_class, canvas_class = _matplotlib()
    figure = figure_class(figsize=(width, height), layout="constrained")
    canvas_class(figure)
    return figure


def picture_format(path: str | os.PathLike[str]) -> str:
    """The picture format for ``path``, from its extension, checked before any work is done.

    Args:
        path: a file name such as ``"curves.png"``.

    Returns:
        The format matplotlib will write (``"png"``, ``"svg"``, ``"pdf"``, ...).

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
        ValueError: no extension, or one matplotlib cannot write (the message lists those it
            can).

    Example:
        >>> picture_format("curves.PNG")
        'png'
    """
    _, canvas_class = _matplotlib()
    target = Path(path)
    extension = target.suffix.lstrip(".").lower()
    if not extension:
        raise ValueError(
            f"cannot tell the picture format of {str(target)!r}: give the file an extension "
            "such as .png, .svg or .pdf"
        )
    supported = canvas_class.get_supported_filetypes()
    if extension not in supported:
        raise ValueError(
            f"cannot save a picture as {str(target)!r}: matplotlib does not write "
            f"'.{extension}' files; use one of {', '.join('.' + k for k in sorted(supported))}"
        )
    return extension


def picture_bytes(figure: Any, path: str | os.PathLike[str]) -> bytes:
    """The picture of ``figure`` in the format of ``path``'s extension, as bytes (to write
    later, e.g. together with another file through :func:`humblenet.io.atomic.stage`).

    Raises:
        ValueError: ``path`` has no extension matplotlib writes.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format=picture_format(path), dpi=100)
    return buffer.getvalue()


def _save_atomically(figure: Any, path: str | os.PathLike[str]) -> Path:
    """Render ``figure``, then write it atomically (:mod:`humblenet.io.atomic`)."""
    target = Path(path)
    picture_format(target)
    from humblenet.io.atomic import write_atomically

    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot save the picture {str(target)!r}: the folder {str(target.parent)!r} does "
            "not exist"
        )
    return write_atomically(target, picture_bytes(figure, target))


def _history_dict(history: Any) -> dict[str, list[float]]:
    values = getattr(history, "history", history)
    if not isinstance(values, Mapping):
        raise TypeError(
            "plot_history: expected the History that fit() returns (or its .history dict), "
            f"got {type(history).__name__}"
        )
    if not values or not any(len(v) for v in values.values()):
        raise ValueError(
            "plot_history: the history is empty (no epoch ran); train for at least one epoch"
        )
    return {str(key): [float(x) for x in value] for key, value in values.items()}


def plot_history(
    history: Any, path: str | os.PathLike[str] | None = None, title: str | None = None
) -> Any:
    """Plot each value of a training history per epoch: training against validation.

    One panel per value (loss first, then accuracy or the regression metrics), each with the
    training curve and, when there is one, the validation curve (``val_...``), as the series'
    parts 9 and 10 draw them.

    Args:
        history: the ``History`` that ``fit`` returns, or its ``history`` dict
            (``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``).
        path: where to save the picture (e.g. ``"curves.png"``); ``None`` saves nothing.
        title: a title above the panels.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
        ValueError: an empty history, or a path without a picture extension.

    Example:
        >>> import tempfile, pathlib
        >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6],
        ...            "accuracy": [0.6, 0.8, 0.85], "val_accuracy": [0.55, 0.7, 0.75]}
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "curves.png"
        ...     figure = plot_history(history, path)
        ...     path.read_bytes()[:4]
        b'\\x89PNG'
        >>> [axes.get_title() for axes in figure.axes]
        ['loss', 'accuracy']
    """
    values = _history_dict(history)
    names = [key for key in values if not key.startswith("val_")]
    names += [key[4:] for key in values if key.startswith("val_") and key[4:] not in values]
    names.sort(key=lambda name: (name != "loss", name))
    figure = _new_figure(5.0 * len(names), 4.0)
    panels = figure.subplots(1, len(names), squeeze=False)[0]
    for axes, name in zip(panels, names):
        for key, label, style in ((name, "training", "-o"), ("val_" + name, "validation", "-s")):
            curve = values.get(key)
            if curve:
                epochs = np.arange(1, len(curve) + 1)
                axes.plot(epochs, curve, style, markersize=3, label=label)
        axes.set_title(_METRIC_TITLES.get(name, name))
        axes.set_xlabel("epoch")
        axes.grid(True, alpha=0.3)
        axes.legend()
    if title:
        figure.suptitle(title)
    if path is not None:
        _save_atomically(figure, path)
    return figure


def _labels(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2:
        array = array.argmax(axis=1)  # probabilities or scores: the most likely class
    if array.ndim != 1:
        raise ValueError(
            f"{what}: expected class indices (one per sample) or a (samples, classes) array of "
            f"probabilities, got shape {array.shape}"
        )
    if array.dtype.kind == "f" and not np.all(array == np.round(array)):
        raise ValueError(f"{what}: class indices must be whole numbers")
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{what}: class indices must be numbers, got dtype {array.dtype}")
    return array.astype(np.int64)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Count, for each true class (row), how often each class (column) was predicted.

    Args:
        y_true: the true class indices, one per sample.
        y_pred: the predicted class indices, or a ``(samples, classes)`` array of
            probabilities (its largest entry in each row is taken).
        num_classes: the matrix size; ``None`` uses the largest index seen plus one.

    Returns:
        An int64 array of shape ``(num_classes, num_classes)``; the diagonal counts the right
        answers.

    Raises:
        ValueError: different numbers of samples, or an index outside ``0..num_classes-1``.
    """
    truth = _labels(y_true, "confusion_matrix (y_true)")
    guess = _labels(y_pred, "confusion_matrix (y_pred)")
    if len(truth) != len(guess):
        raise ValueError(
            f"confusion_matrix: y_true has {len(truth)} samples but y_pred has {len(guess)}"
        )
    if num_classes is None:
        num_classes = int(max(truth.max(initial=-1), guess.max(initial=-1))) + 1
    for name, labels in (("y_true", truth), ("y_pred", guess)):
        bad = (labels < 0) | (labels >= num_classes)
        if bad.any():
            raise ValueError(
                f"confusion_matrix: {name} holds class {labels[bad][0]}, outside "
                f"0..{num_classes - 1} ({num_classes} classes)"
            )
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (truth, guess), 1)
    return matrix


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    path: str | os.PathLike[str] | None = None,
    normalize: bool = False,
    title: str | None = None,
) -> Any:
    """Draw the confusion matrix: true classes down, predicted classes across.

    Args:
        y_true: the true class indices.
        y_pred: predicted class indices, or a ``(samples, classes)`` array of probabilities.
        class_names: a name per class (``None``: the indices).
        path: where to save the picture; ``None`` saves nothing.
        normalize: show each row as fractions of that true class (rows sum to 1).
        title: a title above the matrix.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> figure = plot_confusion_matrix([0, 1, 1], [0, 1, 0], ["cat", "dog"])
        >>> [text.get_text() for text in figure.axes[0].texts]
        ['1', '0', '1', '1']
    """
    count = None if class_names is None else len(class_names)
    matrix = confusion_matrix(y_true, y_pred, count)
    names = [str(i) for i in range(len(matrix))] if class_names is None else list(class_names)
    shown = matrix.astype(np.float64)
    if normalize:
        totals = shown.sum(axis=1, keepdims=True)
        shown = np.divide(shown, totals, out=np.zeros_like(shown), where=totals > 0)
    size = max(4.0, 0.6 * len(names) + 2.0)
    figure = _new_figure(size + 1.0, size)
    axes = figure.subplots()
    image = axes.imshow(shown, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes)
    ticks = np.arange(len(names))
    axes.set_xticks(ticks, names, rotation=45, ha="right")
    axes.set_yticks(ticks, names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    half = shown.max() / 2 if shown.size else 0
    for row in range(len(names)):
        for column in range(len(names)):
            value = shown[row, column]
            text = f"{value:.2f}" if normalize else str(matrix[row, column])
            color = "white" if value > half else "black"
            axes.text(column, row, text, ha="center", va="center", color=color)
    axes.set_title(title or "confusion matrix")
    if path is not None:
        _save_atomically(figure, path)
    return figure


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any] | Any,
    x: Any,
    y: Any,
    path: str | os.PathLike[str] | None = None,
    class_names: Sequence[str] | None = None,
    resolution: int = 200,
    title: str | None = None,
) -> Any:
    """Colour the plane by the class a model predicts, with the samples on top (2 features).

    Args:
        predict: a model with ``predict`` (e.g. a trained ``Sequential``) or a function taking a
            ``(points, 2)`` float32 array and returning class indices or probabilities.
        x: the samples, shape ``(samples, 2)``.
        y: their class indices.
        path: where to save the picture; ``None`` saves nothing.
        class_names: names for the legend.
        resolution: grid points along each axis.
        title: a title above the plot.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> import numpy as np
        >>> points = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
        >>> figure = plot_decision_boundary(lambda p: (p[:, 0] > 0.5).astype(int),
        ...                                 points, [0, 1, 0, 1], resolution=20)
        >>> len(figure.axes[0].collections) >= 1
        True
    """
    samples = np.asarray(x, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(
            "plot_decision_boundary: x must be (samples, 2): the boundary is drawn in the "
            f"plane of two features; got shape {samples.shape}"
        )
    labels = _labels(y, "plot_decision_boundary (y)")
    if len(labels) != len(samples):
        raise ValueError(
            f"plot_decision_boundary: x has {len(samples)} samples but y has {len(labels)}"
        )
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be >= 2, got {resolution!r}")
    function = getattr(predict, "predict", predict)
    low, high = samples.min(axis=0), samples.max(axis=0)
    margin = np.maximum((high - low) * 0.1, 0.5)
    axis_0 = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    axis_1 = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid_0, grid_1 = np.meshgrid(axis_0, axis_1)
    points = np.column_stack([grid_0.ravel(), grid_1.ravel()]).astype(np.float32)
    scores = np.asarray(function(points))
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = (scores[:, 0] > 0.5).astype(np.int64)  # one sigmoid output: class 1 above 0.5
    regions = _labels(scores, "plot_decision_boundary (predictions)").reshape(grid_0.shape)
    count = max(int(regions.max()), int(labels.max())) + 1
    if class_names is not None:
        count = max(count, len(class_names))
    figure = _new_figure(6.0, 5.0)
    axes = figure.subplots()
    levels = np.arange(count + 1) - 0.5
    axes.contourf(grid_0, grid_1, regions, levels=levels, cmap="tab10", vmin=0, vmax=9, alpha=0.3)
    for label in range(count):
        chosen = labels == label
        if chosen.any():
            name = str(label) if class_names is None else str(class_names[label])
            color = [float(c) for c in _tab10(label)]
            axes.scatter(*samples[chosen].T, s=16, color=[color], edgecolors="k", label=name)
    axes.set_xlabel("feature 1")
    axes.set_ylabel("feature 2")
    axes.legend()
    axes.set_title(title or "decision boundary")
    if path is not None:
        _save_atomically(figure, path)
    return figure


def plot_filters(
    filters: Any,
    path: str | os.PathLike[str] | None = None,
    image: Any = None,
    maps: Any = None,
    title: str | None = None,
) -> Any:
    """Draw a convolution's filters as small images, with their numbers written in each cell.

    Blue is negative, red positive, white zero, on one colour scale shared by every filter, so a
    filter's light and dark halves show which edge it answers to. Given an ``image`` and its
    ``maps`` (the filters' outputs on it), a second row shows the image and what each filter
    made of it.

    Args:
        filters: ``(filters, kh, kw)``, or a 2-d convolution's weight ``(out, 1, kh, kw)``.
        path: where to save the picture; ``None`` saves nothing.
        image: an ``(H, W)`` image the filters were applied to.
        maps: the ``(filters, Ho, Wo)`` outputs on ``image``, one per filter.
        title: a title above the panels.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> import numpy as np
        >>> figure = plot_filters(np.array([[[-1.0, 0.0, 1.0]] * 3, [[1.0] * 3, [0.0] * 3,
        ...                                 [-1.0] * 3]]))
        >>> [axes.get_title() for axes in figure.axes]
        ['filter 0', 'filter 1']
    """
    weights = np.asarray(filters, dtype=np.float64)
    if weights.ndim == 4 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.ndim != 3 or 0 in weights.shape:
        raise ValueError(
            "plot_filters: filters must be (filters, kh, kw) or a weight (out, 1, kh, kw) of one "
            f"input channel; got shape {np.shape(filters)}"
        )
    count = len(weights)
    if (image is None) != (maps is None):
        raise ValueError("plot_filters: give both image and maps (its outputs), or neither")
    outputs = None if maps is None else np.asarray(maps, dtype=np.float64)
    if outputs is not None and (outputs.ndim != 3 or len(outputs) != count):
        raise ValueError(
            f"plot_filters: maps must be ({count}, Ho, Wo), one per filter; got shape "
            f"{np.shape(maps)}"
        )
    rows = 1 if outputs is None else 2
    figure = _new_figure(2.0 * (count + (rows == 2)), 2.2 * rows)
    grid = figure.subplots(rows, count + (rows == 2), squeeze=False)
    limit = float(np.abs(weights).max()) or 1.0
    first = grid[0][1:] if rows == 2 else grid[0]
    for index, (axes, weight) in enumerate(zip(first, weights)):
        axes.imshow(weight, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for (row, column), value in np.ndenumerate(weight):
            color = "white" if abs(value) > 0.6 * limit else "black"
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", color=color)
        axes.set_title(f"filter {index}")
    if outputs is not None:
        grid[0][0].set_visible(False)
        grid[1][0].imshow(np.asarray(image, dtype=np.float64), cmap="gray_r")
        grid[1][0].set_title("input")
        for index, (axes, output) in enumerate(zip(grid[1][1:], outputs)):
            axes.imshow(output, cmap="gray_r")
            axes.set_title(f"filter {index}'s output")
    for axes in figure.axes:
        axes.set_xticks([])
        axes.set_yticks([])
    if title:
        figure.suptitle(title)
    if path is not None:
        _save_atomically(figure, path)
    return figure


def _tab10(index: int) -> tuple[float, ...]:
    from matplotlib import colormaps

    return tuple(colormaps["tab10"](index % 10))
