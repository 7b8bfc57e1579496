"""An unseeded run is repeatable after seeding the default generator, as torch's and Keras'
users expect: ``humblenet.manual_seed`` (torch's ``manual_seed``) seeds the DataLoader's
shuffle when it is given no seed, and ``keras.utils.set_random_seed`` seeds everything a Keras
program draws from (weights, ``fit``'s shuffling, dropout)."""

from __future__ import annotations

import random

import numpy as np

import humblenet
from humblenet import keras
from humblenet.data import DataLoader


def _orders(seed: int | None) -> list[list[int]]:
    if seed is not None:
        humblenet.manual_seed(seed)
    loader = DataLoader(np.arange(20), np.arange(20), batch_size=20, shuffle=True)
    return [list(next(iter(loader))[0]) for _ in range(2)]


def test_manual_seed_repeats_an_unseeded_shuffle() -> None:
    first, again = _orders(3), _orders(3)
    assert first == again
    assert sorted(first[0]) == list(range(20)) and first[0] != list(range(20))
    assert _orders(4) != first  # another seed, another order


def _keras_run() -> tuple[np.ndarray, float, float]:
    model = keras.Sequential(
        [
            keras.layers.Dense(8, activation="relu", input_shape=(4,)),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    return model.predict(x[:5]), history.history["loss"][-1], random.random()


def test_set_random_seed_makes_a_keras_fit_repeatable() -> None:
    keras.utils.set_random_seed(7)
    first = _keras_run()
    keras.utils.set_random_seed(7)
    again = _keras_run()
    np.testing.assert_array_equal(first[0], again[0])
    assert first[1:] == again[1:]
    keras.utils.set_random_seed(8)
    assert not np.array_equal(_keras_run()[0], first[0])
