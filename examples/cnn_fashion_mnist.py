"""A small convolutional network on Fashion-MNIST, written as Keras code (channels last).

Images (N, 28, 28, 1) scaled to [0, 1]; two blocks of Conv2D 3×3, BatchNormalization, ReLU and
MaxPooling2D, then Flatten and Dense 10 with softmax (20,586 weights: the network of
``humblenet.models.small_cnn``, in Keras' layout); Adam, batch 64, learning rate 0.002 for three
epochs and 0.0002 for the fourth (a LearningRateScheduler); sparse categorical cross-entropy. It
prints the summary, one line per epoch, the test accuracy (about 0.91) and the time.
``examples/cnn_fashion_mnist_torch.py`` is the same network written as PyTorch code.

Run:
    python3 examples/cnn_fashion_mnist.py            # 60,000 images, 4 epochs
    python3 examples/cnn_fashion_mnist.py --quick    # 2,000 images, 1 epoch: a check
"""

from __future__ import annotations

import argparse
import sys
import time

from humblenet import keras
from humblenet.data import DatasetNotFoundError

layers = keras.layers


def build_network() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, 3, padding="same"),  # (N, 28, 28, 16)
            layers.BatchNormalization(),  # each channel to mean 0, variance 1 over the batch
            layers.ReLU(),
            layers.MaxPooling2D(),  # (N, 14, 14, 16): the largest of each 2×2 block
            layers.Conv2D(32, 3, padding="same"),  # (N, 14, 14, 32)
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling2D(),  # (N, 7, 7, 32)
            layers.Flatten(),  # (N, 1568)
            layers.Dense(10, activation="softmax"),
        ],
        seed=0,
    )


def rate(epoch: int, learning_rate: float) -> float:
    """0.002 for the first three epochs, then a tenth: the last epoch settles the weights."""
    return 2e-3 if epoch < 3 else 2e-4


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 images, 1 epoch")
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        # uint8 (N, 28, 28, 1): a channel axis last, as Conv2D takes it
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data(
            channels="last"
        )
    except DatasetNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
    epochs = args.epochs
    if args.quick:
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:500], y_test[:500]
        epochs = 1
    keras.utils.set_random_seed(0)  # fit's shuffling too: the same numbers every run
    model = build_network()
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    model.summary()
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=2,
              callbacks=[keras.callbacks.LearningRateScheduler(rate)])  # fmt: skip
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f} ({len(x_test)} images)")
    print(f"time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
