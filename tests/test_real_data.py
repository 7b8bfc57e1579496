"""Real data: networks trained on Fashion-MNIST reach the accuracies such networks are known to.

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` (CI installs it). Without it these
tests skip, saying why; with ``HUMBLENET_REQUIRE_DATA=1`` (set in CI) a missing data set fails.

The thresholds are the accuracies Keras users report for these networks on Fashion-MNIST's test
set (a few epochs of an MLP: about 0.87 to 0.89); every run is seeded (each layer's first weights
and the shuffling), so on one machine it gives the same number every time. The settings were
chosen to pass with room to spare while staying short, and each docstring says exactly what
runs. Measured on a 2-core machine: the series' network takes about 12 s per epoch at its batch
of 15 (4,000 steps) and about 2.5 s at batch 128; the 784-256-128-10 MLP about 1 s at batch 128.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import humblenet
from humblenet import nn
from humblenet.data import Dataset, DatasetNotFoundError, load_fashion_mnist

PART9_HIDDEN = (512, 216, 128, 64, 32, 16)


@pytest.fixture(scope="module")
def fashion() -> Dataset:
    try:
        return load_fashion_mnist()
    except DatasetNotFoundError as error:
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but Fashion-MNIST is missing: {error}")
        pytest.skip(
            f"Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): {error}"
        )


def mlp(hidden: tuple[int, ...], seed: int) -> humblenet.Sequential:
    """784 pixels -> ``hidden`` ReLU layers -> 10 softmax; layer i seeded with ``seed + i``."""
    layers: list[nn.Module] = [nn.Flatten(input_shape=(28, 28))]
    layers += [
        nn.Dense(units, activation="relu", seed=seed + index) for index, units in enumerate(hidden)
    ]
    layers.append(nn.Dense(10, activation="softmax", seed=seed + len(hidden)))
    model = humblenet.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fashion_mnist_is_the_real_data_set(fashion):
    # Fashion-MNIST's published make-up: 60,000 + 10,000 images, 6,000 + 1,000 per class.
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert fashion.x_train.min() == 0 and fashion.x_train.max() == 1
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[9] == "Ankle boot"


def test_mlp_784_256_128_10_with_adam_reaches_087_after_5_epochs(fashion):
    """784 → 256 → 128 → 10 (ReLU, softmax), Adam, batch 128, seed 0: 4 epochs at Adam's 0.001,
    then the 5th at 0.0001.

    Why the smaller step in the last epoch: at a constant 0.001 the test accuracy after 5 epochs
    lands anywhere from 0.8704 to 0.8808 (measured over seeds 0 to 6), too close to 0.87 to be
    a test; with the last epoch at 0.0001 it lands from 0.8820 to 0.8869 (same seeds).
    """
    model = mlp((256, 128), seed=0)
    x, y = fashion.x_train, fashion.y_train
    model.fit(x, y, batch_size=128, epochs=4, seed=0, verbose=0)
    model.optimizer.learning_rate = 0.0001
    model.fit(x, y, batch_size=128, epochs=1, seed=1, verbose=0)
    _, accuracy = model.evaluate(fashion.x_test, fashion.y_test)
    assert accuracy >= 0.87


def test_part9_network_reaches_088(fashion):
    """The series' part 9 network (784 → 512, 216, 128, 64, 32, 16 → 10, ReLU, softmax; Adam;
    sparse categorical cross-entropy), at batch 128 instead of 15: 8 epochs at Adam's 0.001, then
    2 epochs at 0.0001, seed 0.

    Why not the series' batch 15 for 20 epochs: 4,000 steps an epoch take about 12 s here
    (4 minutes in all), and test accuracy wanders by about ±0.005 from epoch to epoch (measured:
    0.8782 after 8 epochs at batch 15). Batch 128 is 5 times faster per epoch, and the last two
    epochs at a tenth of the learning rate settle the weights: measured over seeds 0 to 2,
    0.8801 to 0.8828 after 8 epochs, then 0.8928 to 0.8979 after 9 and 10.
    """
    model = mlp(PART9_HIDDEN, seed=0)
    assert model.count_params() == 551_538  # the series' summary table
    x, y = fashion.x_train, fashion.y_train
    model.fit(x, y, batch_size=128, epochs=8, seed=0, verbose=0)
    model.optimizer.learning_rate = 0.0001
    model.fit(x, y, batch_size=128, epochs=2, seed=1, verbose=0)
    _, accuracy = model.evaluate(fashion.x_test, fashion.y_test)
    assert accuracy >= 0.88
