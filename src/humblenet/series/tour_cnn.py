"""The tour's chapter on convolutions ("edges and corners"), on the 8×8 digits shipped with
humblenet.

A convolution slides one small filter over the whole image: the same 3×3 weights meet every
3×3 patch, so the layer learns a pattern once and finds it anywhere. The chapter trains a tiny
convolutional network (4 filters of 3×3, ReLU, 2×2 max-pool, one dense layer to 10 logits) on the
embedded digits in a fraction of a second, then

- prints one learned first-layer filter as its 3×3 grid of numbers and says which edge it
  answers to (the bright side: below, above, right or left), from the row and column sums;
- counts the parameters: the convolution producing 4 maps of 8×8 holds 4 × 3 × 3 + 4 = 40
  numbers, a dense layer producing the same 256 values from the 64 pixels holds
  64 × 256 + 256 = 16,640 (both counted by ``count_params()``, as ``summary()`` shows them).

:func:`figure` draws the four filters and what they make of one test digit
(``humblenet tour --plots DIR``).

Example:
    >>> describe_filter([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
    'bright below, dark above (a horizontal edge)'
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from humblenet import conv, nn
from humblenet.data import load_digits
from humblenet.plots import plot_filters
from humblenet.series._tour_text import wrap as _wrap
from humblenet.tensor import Tensor, no_grad
from humblenet.training import History, Sequential

__all__ = [
    "FIGURE_NAME",
    "TITLE",
    "CnnRun",
    "chapter",
    "dense_twin_params",
    "describe_filter",
    "edge_strengths",
    "figure",
    "train",
]

TITLE = "Convolution: edges and corners, a network that shares its weights"
FIGURE_NAME = "conv_filters.png"

FILTERS = 4
KERNEL = 3
EPOCHS = 8
_SEED = 0
_SIDE = 8  # the digits are 8×8


class CnnRun:
    """The chapter's trained network and what it measured.

    Attributes:
        model: the trained ``Sequential`` (its layer 0 is the convolution).
        history: what ``fit`` logged per epoch.
        test_accuracy: the accuracy on the 359 test digits.
        test_images: those digits as ``(359, 1, 8, 8)``, for the figure.
    """

    def __init__(
        self, model: Sequential, history: History, test_accuracy: float, test_images: np.ndarray
    ) -> None:
        self.model = model
        self.history = history
        self.test_accuracy = test_accuracy
        self.test_images = test_images

    @property
    def conv(self) -> nn.Conv2d:
        """The first layer, the convolution."""
        layer = self.model.layers[0]
        assert isinstance(layer, nn.Conv2d)
        return layer

    @property
    def filters(self) -> np.ndarray:
        """The first layer's filters, ``(4, 3, 3)`` (its weight is ``(4, 1, 3, 3)``)."""
        return self.conv.weight.data[:, 0]


def _network(seed: int) -> Sequential:
    model = Sequential(
        [
            nn.Conv2d(1, FILTERS, KERNEL, padding=1, seed=seed),  # (N, 4, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 4, 4, 4)
            nn.Flatten(),  # (N, 64)
            nn.Linear(FILTERS * (_SIDE // 2) ** 2, 10, seed=seed + 1),  # logits
        ]
    )
    model.build((1, _SIDE, _SIDE))
    return model


@functools.lru_cache(maxsize=4)
def train(epochs: int = EPOCHS, seed: int = _SEED) -> CnnRun:
    """Train the chapter's network on the 1,438 training digits (cached: the chapter and its
    figure share one run).

    Adam at 0.01, batch 32, cross-entropy on logits, seeded; about a quarter of a second.

    Args:
        epochs: passes over the training digits.
        seed: seeds the weights and the shuffling.
    """
    (x_train, y_train), (x_test, y_test) = load_digits()
    x_train = x_train.reshape(-1, 1, _SIDE, _SIDE)  # one channel: (N, 1, 8, 8)
    x_test = x_test.reshape(-1, 1, _SIDE, _SIDE)
    model = _network(seed)
    model.compile(
        optimizer="adam",
        learning_rate=0.01,
        loss=nn.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, seed=seed, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test)
    return CnnRun(model, history, float(accuracy), x_test)


def edge_strengths(weight: Any) -> tuple[float, float]:
    """How much a filter answers to brightness growing downwards and rightwards.

    Returns ``(down, right)``: the bottom row's sum minus the top row's, and the right column's
    sum minus the left column's. They are the filter's outputs on the patches
    ``[[-1]*3, [0]*3, [1]*3]`` and its transpose (Prewitt's edge masks): a large ``down`` means
    the filter fires where the image is dark above and bright below.
    """
    w = np.asarray(weight, dtype=np.float64)
    return float(w[-1].sum() - w[0].sum()), float(w[:, -1].sum() - w[:, 0].sum())


def describe_filter(weight: Any) -> str:
    """Which edge a 3×3 filter answers to most, in words, from :func:`edge_strengths`."""
    down, right = edge_strengths(weight)
    if abs(down) >= abs(right):
        bright, dark = ("below", "above") if down > 0 else ("above", "below")
        kind = "horizontal"
    else:
        bright, dark = ("right", "left") if right > 0 else ("left", "right")
        kind = "vertical"
    return f"bright {bright}, dark {dark} (a {kind} edge)"


def _edgiest(filters: np.ndarray) -> int:
    """The filter whose strongest edge is largest for its size (the clearest edge detector)."""
    scores = [max(map(abs, edge_strengths(w))) / float(np.abs(w).sum()) for w in filters]
    return int(np.argmax(scores))


def _grid(weight: np.ndarray) -> list[str]:
    return ["  [" + "  ".join(f"{value:+.2f}" for value in row) + "]" for row in weight]


def dense_twin_params(inputs: int = _SIDE * _SIDE) -> int:
    """The parameters of the dense layer that produces the convolution's 4 × 8 × 8 outputs from
    the 64 pixels, counted by the layer itself."""
    return nn.Linear(inputs, FILTERS * _SIDE * _SIDE, seed=0).count_params()


def chapter(verbose: bool) -> list[str]:
    """The tour's chapter: a tiny CNN on the digits, one learned filter, conv against dense."""
    run = train()
    filters = run.filters
    shown = _edgiest(filters)
    conv_params = run.conv.count_params()
    dense_params = dense_twin_params()
    lines = _wrap(
        "Idea:",
        "a convolution slides one small filter over the whole image: the same 3×3 weights "
        "meet every 3×3 patch, so a pattern (an edge, a corner) is learned once and found "
        "anywhere. The first layer learns edges; later layers combine them into corners and "
        "strokes.",
    )
    lines += _wrap(
        "Setup:",
        f"the 1,438 training digits as (1, 8, 8) images; Conv2d {FILTERS} filters 3×3 "
        f"(padding 1) → ReLU → MaxPool2d 2 → Flatten → Linear 64 → 10 logits; Adam 0.01, "
        f"batch 32, {EPOCHS} epochs.",
    )
    lines += _wrap(
        "Result:",
        f"test accuracy {run.test_accuracy:.4f} on the 359 test digits with "
        f"{run.model.count_params():,} parameters.",
    )
    down, right = edge_strengths(filters[shown])
    lines.append(f"Filter {shown} of the first layer (weight[{shown}, 0]), a 3×3 grid:")
    lines += _grid(filters[shown])
    lines += _wrap(
        "It sees:",
        f"{describe_filter(filters[shown])}: bottom row − top row = {down:+.2f}, "
        f"right column − left column = {right:+.2f}.",
    )
    lines += _wrap(
        "Sharing:",
        f"the convolution makes {FILTERS} maps of 8×8 = {FILTERS * _SIDE * _SIDE} values from "
        f"{conv_params} parameters ({FILTERS} × 3 × 3 weights + {FILTERS} biases); a dense "
        f"layer making the same {FILTERS * _SIDE * _SIDE} values from the 64 pixels needs "
        f"64 × {FILTERS * _SIDE * _SIDE} + {FILTERS * _SIDE * _SIDE} = {dense_params:,}, "
        f"{dense_params / conv_params:.0f} times more (count_params(), as summary() shows).",
    )
    if verbose:
        for index, weight in enumerate(filters):
            lines.append(f"  filter {index}: {describe_filter(weight)}")
            lines += ["  " + line for line in _grid(weight)]
        for epoch, (loss, accuracy) in enumerate(
            zip(run.history.history["loss"], run.history.history["accuracy"]), start=1
        ):
            lines.append(f"  epoch {epoch}: loss {loss:.4f}, accuracy {accuracy:.4f}")
    return lines


def figure(folder: str | os.PathLike[str]) -> list[Path]:
    """Draw the learned filters and their outputs on the first test digit into ``folder``.

    Returns:
        The files written: ``[folder / FIGURE_NAME]``.

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
    """
    run = train()
    image = run.test_images[:1]
    layer = run.conv
    with no_grad():
        maps = conv.conv2d(Tensor(image), layer.weight, layer.bias, padding=1).data[0]
    path = Path(folder) / FIGURE_NAME
    plot_filters(
        run.filters,
        path,
        image=image[0, 0],
        maps=maps,
        title=f"learned 3×3 filters (test accuracy {run.test_accuracy:.3f}) and their outputs",
    )
    return [path]
