"""``fashion_mnist.load_data()``: Fashion-MNIST as Keras gives it (uint8, 0 to 255), from
``$HUMBLENET_DATA/fashion-mnist``, ``$HUMBLENET_DATA`` or Debian's ``dataset-fashion-mnist``."""

from __future__ import annotations

import numpy as np

from humblenet.data.catalog import load_raw_images

__all__ = ["load_data"]


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: uint8 images (N, 28, 28), uint8 labels (N,).

    Raises:
        humblenet.data.DatasetNotFoundError: the files are not on this machine (the message says
            where it looked and how to install them).
    """
    return load_raw_images("fashion-mnist")
