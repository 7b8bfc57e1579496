"""The series' part 10 notebook's Keras calls, run on humblenet: only the imports differ.

Overfitting on purpose: the deep network of part 9 (ending in logits) trained on only the
first 450 images and validated on the images from 40,000 on, with RMSprop; then the three
remedies: stopping early, a smaller network, dropout. The series runs 30 epochs on MNIST; here
Fashion-MNIST and 8 epochs, so that a test can run it.
"""

import matplotlib

matplotlib.use("Agg")  # no window: a test runs this program
import matplotlib.pyplot as plt  # noqa: E402

import humblenet as tf  # noqa: E402
from humblenet import keras  # noqa: E402
from humblenet.keras.datasets import fashion_mnist as mnist  # noqa: E402

EPOCHS = 8

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train / 255.0
x_test = x_test / 255.0

x_validation, y_validation = x_train[40000:], y_train[40000:]
x_train, y_train = x_train[:450], y_train[:450]


def deep_model():
    return keras.Sequential(
        [
            keras.layers.Flatten(input_shape=(28, 28)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(216, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def small_model():
    return keras.Sequential(
        [
            keras.layers.Flatten(input_shape=(28, 28)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def dropout_model():
    return keras.Sequential(
        [
            keras.layers.Flatten(input_shape=(28, 28)),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(216, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10),
        ]
    )


def compile_and_fit(model, callbacks=None):
    model.compile(
        optimizer="rmsprop",
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        epochs=EPOCHS,
        validation_data=(x_validation, y_validation),
        batch_size=15,
        callbacks=callbacks,
    )
    model.evaluate(x_test, y_test, verbose=2)
    return history


def plot(history, name):
    plt.figure()
    plt.plot(history.history["accuracy"])
    plt.plot(history.history["val_accuracy"])
    plt.title(name + " accuracy")
    plt.legend(["train", "validation"], loc="upper left")
    plt.figure()
    plt.plot(history.history["loss"])
    plt.plot(history.history["val_loss"])
    plt.title(name + " loss")
    plt.legend(["train", "validation"], loc="upper left")
    plt.close("all")


runs = {
    "deep": compile_and_fit(deep_model()),
    "early stopping": compile_and_fit(
        deep_model(), callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)]
    ),
    "small": compile_and_fit(small_model()),
    "dropout": compile_and_fit(dropout_model()),
}
for name, history in runs.items():
    plot(history, name)
    accuracy = history.history["accuracy"]
    gap = accuracy[-1] - history.history["val_accuracy"][-1]
    print(
        f"{name}: epochs {len(accuracy)}, train accuracy {accuracy[0]:.3f} -> {accuracy[-1]:.3f}, "
        f"final gap train - validation {gap:.3f}"
    )
