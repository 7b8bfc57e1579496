"""Real data: the small CNN (``humblenet.models.small_cnn``) reaches 0.91 on Fashion-MNIST.

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist``; without it the test skips, saying
why, and with ``HUMBLENET_REQUIRE_DATA=1`` (set in CI) a missing data set fails.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from humblenet import optim
from humblenet.data import DatasetNotFoundError, load_fashion_mnist
from humblenet.models import small_cnn


@pytest.fixture(scope="module")
def fashion():
    try:
        return load_fashion_mnist()
    except DatasetNotFoundError as error:
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but Fashion-MNIST is missing: {error}")
        pytest.skip(
            f"Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): {error}"
        )


def test_small_cnn_reaches_091_in_three_epochs(fashion):
    """Two conv blocks (Conv2d 3×3, 16 and 32 filters, BatchNorm2d, ReLU, MaxPool2d 2) and
    a Linear 1568 -> 10 head with softmax, seed 0; all 60,000 training images (N, 1, 28, 28)
    in [0, 1]; Adam, batch 64, learning rate 2e-3 for two epochs and 2e-4 for a third (the
    shuffles seeded 0, 1, 2); sparse categorical cross-entropy; scored on the 10,000 test
    images. Measured: 0.9119 (0.8772 and 0.8920 after epochs 1 and 2; 0.9114 before fit held
    BLAS to one thread for convolutional models, which moves the dense head's last bits; the
    same three figures again with the compiled im2col, col2im and max-pool loops, whose sums
    run in other orders); about 8 s an epoch on a quiet 2-core machine (12 s before those
    loops, 25 s before the batch was shared over both cores), up to 90 s when six processes
    share it. The MLPs of
    test_real_data.py stay below 0.89.
    """
    x_train, x_test = fashion.x_train[:, None], fashion.x_test[:, None]  # (N, 1, 28, 28)
    model = small_cnn(channels=1, image_size=28, num_classes=10, seed=0)
    optimizer = optim.Adam(model.parameters(), learning_rate=2e-3)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for epoch, rate in enumerate((2e-3, 2e-3, 2e-4)):
        optimizer.learning_rate = rate
        model.fit(x_train, fashion.y_train, batch_size=64, epochs=1, seed=epoch, verbose=0)
    loss, accuracy = model.evaluate(x_test, fashion.y_test, verbose=0)
    assert np.isfinite(loss)
    assert accuracy >= 0.91, f"test accuracy {accuracy:.4f} < 0.91"
