"""``fashion_mnist.load_data()``: Fashion-MNIST as Keras gives it (uint8, 0 to 255), from
``$HUMBLENET_DATA/fashion-mnist``, ``$HUMBLENET_DATA`` or Debian's ``dataset-fashion-mnist``."""

from __future__ import annotations

import numpy as np

from humblenet.data.catalog import load_raw_images

__all__ = ["load_data"]


def load_data(
    channels: str | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: uint8 images (N, 28, 28), uint8 labels (N,).

    ``channels="last"`` (not a Keras argument: Keras' ``load_data`` has no channel axis, and
    ``Conv2D`` wants one) gives the images as (N, 28, 28, 1); ``"first"`` as (N, 1, 28, 28).

    Raises:
        humblenet.data.DatasetNotFoundError: the files are not on this machine (the message says
            where it looked and how to install them).
    """
    return load_raw_images("fashion-mnist", channels=channels)
