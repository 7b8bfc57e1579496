"""Keras 3's names over humblenet, so that Keras code runs as written: ``from humblenet import
keras`` (or ``import humblenet as tf`` and ``tf.keras...``).

Thin names over the core, nothing re-implemented: ``keras.Sequential`` / ``keras.Model``
(:mod:`humblenet.keras.models`), ``keras.Input``, ``keras.layers``, ``keras.losses``,
``keras.optimizers`` (built without parameters, bound at ``compile``, Keras' argument names and
defaults), ``keras.callbacks``, ``keras.utils.to_categorical``, ``keras.datasets.mnist`` /
``fashion_mnist`` (``load_data()`` as Keras returns it) and ``keras.models.load_model``.

>>> from humblenet import keras
>>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
>>> model.count_params()
15
"""

from humblenet.keras import callbacks, datasets, layers, losses, models, optimizers, utils
from humblenet.keras.layers import Input
from humblenet.keras.models import Model, Sequential

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "callbacks",
    "datasets",
    "layers",
    "losses",
    "models",
    "optimizers",
    "utils",
]
