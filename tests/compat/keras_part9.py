"""The series' part 9 notebook's Keras calls, run on humblenet: only the imports differ.

The series trains on MNIST for 20 epochs; here the data is Fashion-MNIST (the same format, and
the one installed on this machine) and the epochs are reduced to 1 so that a test can run it.
"""

import matplotlib

matplotlib.use("Agg")  # no window: a test runs this program
import matplotlib.pyplot as plt  # noqa: E402

import humblenet as tf  # noqa: E402, F401
from humblenet import keras  # noqa: E402
from humblenet.keras.datasets import fashion_mnist as mnist  # noqa: E402

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train / 255.0
x_test = x_test / 255.0

plt.imshow(x_train[0])

model = keras.Sequential(
    [
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(216, activation="relu"),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()

history = model.fit(x_train, y_train, epochs=1, batch_size=15)

test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy:", test_acc)

plt.figure()
plt.plot(history.history["accuracy"])
plt.plot(history.history["loss"])
plt.title("model accuracy and loss")
plt.xlabel("epoch")
plt.legend(["accuracy", "loss"], loc="upper left")
plt.close("all")
