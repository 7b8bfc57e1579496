"""A small convolutional network on Fashion-MNIST, written as Keras code (channels last).

Images (N, 28, 28, 1) scaled to [0, 1]; two Conv2D + BatchNormalization + MaxPooling2D blocks,
GlobalAveragePooling2D, Dense 10 with softmax; Adam; sparse categorical cross-entropy. It
prints the summary, one line per epoch and the test accuracy.

Run:
    python3 examples/cnn_fashion_mnist.py            # 60,000 images, 3 epochs
    python3 examples/cnn_fashion_mnist.py --quick    # 2,000 images, 1 epoch: a check
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from humblenet import keras
from humblenet.data import DatasetNotFoundError

layers = keras.layers


def build_network() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),  # (N, 28, 28, 16)
            layers.BatchNormalization(),
            layers.MaxPooling2D(),  # (N, 14, 14, 16)
            layers.Conv2D(32, 3, padding="same", activation="relu"),  # (N, 14, 14, 32)
            layers.BatchNormalization(),
            layers.MaxPooling2D(),  # (N, 7, 7, 32)
            layers.GlobalAveragePooling2D(),  # (N, 32)
            layers.Dense(10, activation="softmax"),
        ],
        seed=0,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 images, 1 epoch")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except DatasetNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    # Keras' layout: a channel axis last, pixels scaled to [0, 1]
    x_train = (x_train[..., None] / 255.0).astype(np.float32)
    x_test = (x_test[..., None] / 255.0).astype(np.float32)
    epochs = args.epochs
    if args.quick:
        x_train, y_train, x_test, y_test = (
            x_train[:2000],
            y_train[:2000],
            x_test[:500],
            y_test[:500],
        )
        epochs = 1
    model = build_network()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, validation_data=(x_test, y_test))
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
