"""Keras' gradient clipping on its optimizers (``clipnorm``, ``global_clipnorm``, ``clipvalue``),
checked against the rules worked by hand in float64 (Keras' ``clip_by_norm``: g · c / max(‖g‖, c);
``clip_by_global_norm`` with the norm of all gradients together; ``clip`` of each number)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import humblenet
from humblenet import Tensor, keras

GRADS = [np.array([3.0, -4.0, 12.0]), np.array([[0.5, -0.25], [1.0, 2.0]])]  # norms 13, 2.3...


def _one_step(**clipping: Any) -> list[np.ndarray]:
    """The change SGD with learning rate 1 makes: minus the gradient it used."""
    params = [Tensor(np.zeros(g.shape), requires_grad=True) for g in GRADS]
    bound = keras.optimizers.SGD(learning_rate=1.0, **clipping).bind(params)
    for p, g in zip(params, GRADS):
        p.grad = g.copy()
    bound.step()
    return [-p.data for p in params]


def test_clipnorm_scales_each_gradient_to_the_limit() -> None:
    used = _one_step(clipnorm=2.5)
    for g, u in zip(GRADS, used):
        norm = np.sqrt(np.sum(g * g))
        np.testing.assert_allclose(u, g * 2.5 / max(norm, 2.5), rtol=1e-12)
    # the first (norm 13) was scaled to norm 2.5, the second (norm about 2.36) left alone
    assert np.isclose(np.linalg.norm(used[0]), 2.5)
    np.testing.assert_array_equal(used[1], GRADS[1])


def test_global_clipnorm_scales_all_gradients_together() -> None:
    used = _one_step(global_clipnorm=5.0)
    total = np.sqrt(sum(np.sum(g * g) for g in GRADS))
    for g, u in zip(GRADS, used):
        np.testing.assert_allclose(u, g * 5.0 / total, rtol=1e-12)
    assert np.isclose(np.sqrt(sum(np.sum(u * u) for u in used)), 5.0)


def test_clipvalue_clips_each_number() -> None:
    used = _one_step(clipvalue=1.0)
    for g, u in zip(GRADS, used):
        np.testing.assert_array_equal(u, np.clip(g, -1.0, 1.0))


def test_no_clipping_leaves_the_gradients() -> None:
    for g, u in zip(GRADS, _one_step()):
        np.testing.assert_array_equal(u, g)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"clipnorm": 1.0, "clipvalue": 1.0}, "only one of clipnorm, clipvalue and global_"),
        ({"clipnorm": -1.0}, "clipnorm"),
        ({"global_clipnorm": 0.0}, "global_clipnorm"),
    ],
)
def test_bad_clipping_is_refused(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        keras.optimizers.Adam(**settings)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad"])
def test_fit_clips_the_gradients_of_every_optimizer(name: str) -> None:
    """Through compile and fit: with clipnorm=1e-9 no parameter's gradient used by the update
    is larger than 1e-9, whatever the optimizer (checked by recording them at each step)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    model = humblenet.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    model.build((6,))
    optimizer = getattr(keras.optimizers, name)(learning_rate=0.1, clipnorm=1e-9)
    model.compile(
        optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    seen: list[float] = []
    clip = optimizer._clip

    def recorded(parameters: list[Tensor]) -> None:
        clip(parameters)
        seen.extend(float(np.linalg.norm(p.grad)) for p in parameters if p.grad is not None)

    assert optimizer.bound is not None
    optimizer.bound.clip_gradients = recorded
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert len(seen) == 4 * 4  # 4 batches, 4 parameters
    assert max(seen) <= 1e-9 * (1 + 1e-5) and max(seen) > 0
