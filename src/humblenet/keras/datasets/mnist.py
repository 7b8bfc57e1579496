"""``mnist.load_data()``: MNIST as Keras gives it (uint8, 0 to 255). Nothing is downloaded: the
four IDX files are read from ``path`` (a folder) or ``$HUMBLENET_DATA/mnist``."""

from __future__ import annotations

import os

import numpy as np

from humblenet.data.catalog import load_raw_images

__all__ = ["load_data"]


def load_data(
    path: str | os.PathLike[str] | None = None,
    channels: str | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: uint8 images (N, 28, 28), uint8 labels (N,).

    ``channels="last"`` (not a Keras argument: Keras' ``load_data`` has no channel axis, and
    ``Conv2D`` wants one) gives the images as (N, 28, 28, 1); ``"first"`` as (N, 1, 28, 28).

    Args:
        path: a folder holding MNIST's four IDX files (Keras' ``path`` names a download cache
            instead; here nothing is downloaded).

    Raises:
        humblenet.data.DatasetNotFoundError: the files are not found (the message says where it
            looked and how to get them).
    """
    return load_raw_images("mnist", path, channels)
