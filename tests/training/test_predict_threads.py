"""``predict`` runs its batches in two threads (``training.threads.spread``) when every module
says its forward may (``Module.concurrent_inference``), without changing what it computes.

The spread path equals the reference (one batch after another, ``Model._predict_in_order``)
run with the same one BLAS thread per product bit for bit, and the reference with BLAS's own
threads within float32 rounding (both against a float64 product). A module of the user's own,
and a Sequential whose ``forward`` was changed by a subclass, run in order in the caller's
thread. Settings: 784-64-10 on 2,000 random rows, batch 256 (the last batch 208 rows).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import humblenet
from humblenet import Tensor, nn, no_grad
from humblenet.nn.module import Module, concurrent
from humblenet.training import threads

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2000, 784)).astype(np.float32)


def mlp() -> humblenet.Sequential:
    model = humblenet.Sequential(
        [nn.Dense(64, activation="relu", input_shape=(784,), seed=1), nn.Dense(10, seed=2)]
    )
    model.compile(optimizer="adam", loss=nn.SparseCategoricalCrossentropy(from_logits=True))
    return model


def in_order(model: humblenet.Sequential, x: np.ndarray, batch_size: int) -> np.ndarray:
    model.eval()
    with no_grad():
        out = model._predict_in_order(x, range(0, len(x), batch_size), batch_size)
    model.train()
    return out


def float64_reference(model: humblenet.Sequential, x: np.ndarray) -> np.ndarray:
    first, second = model.layers
    h = np.maximum(
        x.astype(np.float64) @ first.weight.data.T.astype(np.float64) + first.bias.data, 0
    )
    return h @ second.weight.data.T.astype(np.float64) + second.bias.data


def test_two_threads_are_used() -> None:
    assert threads.spread_threads(8) == 2  # this machine's 2 cores (the suite runs there)
    assert threads.spread_threads(1) == 1


def test_spread_equals_the_reference_with_one_blas_thread_bit_for_bit() -> None:
    model = mlp()
    spread = model.predict(X, batch_size=256)
    with threadpool_limits(limits=1, user_api="blas"):
        reference = in_order(model, X, 256)
    assert spread.shape == (2000, 10) and spread.dtype == np.float32
    np.testing.assert_array_equal(spread, reference, strict=True)


def test_spread_and_the_reference_agree_within_float32_rounding() -> None:
    model = mlp()
    exact = float64_reference(model, X)
    spread, reference = model.predict(X, batch_size=256), in_order(model, X, 256)
    scale = np.abs(exact).max()
    assert np.abs(spread - exact).max() <= 1e-5 * scale
    assert np.abs(reference - exact).max() <= 1e-5 * scale


def test_a_single_batch_and_a_float64_model() -> None:
    model = humblenet.Sequential([nn.Dense(3, input_shape=(784,), seed=1, dtype="float64")])
    x = X[:100].astype(np.float64)
    out = model.predict(x, batch_size=7)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, x @ model.layers[0].weight.data.T + model.layers[0].bias.data)
    np.testing.assert_array_equal(mlp().predict(X[:5]), in_order(mlp(), X[:5], 1024))


class Recording(Module):
    """A module of the user's own: it records the thread of each call (state kept in forward)."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def forward(self, x: Tensor) -> Tensor:
        self.seen.append(threading.get_ident())
        return x


class SaysConcurrent(Recording):
    """Says its forward may run in two threads; its first call waits for a second thread to
    call it too (so the test does not depend on how the threads are scheduled)."""

    concurrent_inference = True

    def __init__(self) -> None:
        super().__init__()
        self.second = threading.Event()

    def forward(self, x: Tensor) -> Tensor:
        self.seen.append(threading.get_ident())  # one append is atomic
        if len(set(self.seen)) > 1:
            self.second.set()
        elif not self.second.wait(timeout=30):  # a guard against a hang, not a time limit
            self.second.set()
        return x


class Changed(humblenet.Sequential):
    """A Sequential whose forward a subclass changed: it must say so again."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + 0.0


def test_modules_that_do_not_say_so_run_in_order_in_the_callers_thread() -> None:
    recording = Recording()
    model = humblenet.Sequential([nn.Dense(4, input_shape=(784,), seed=1), recording])
    model.compile(optimizer="sgd", loss="mse")
    model.predict(X, batch_size=100)
    assert set(recording.seen) == {threading.get_ident()} and len(recording.seen) == 20
    changed = Changed([nn.Dense(4, input_shape=(784,), seed=1)])
    assert not concurrent(changed) and concurrent(humblenet.Sequential([nn.Dense(4)]))


def test_modules_that_say_so_run_in_both_threads() -> None:
    says = SaysConcurrent()
    model = humblenet.Sequential([nn.Dense(4, input_shape=(784,), seed=1), says])
    out = model.predict(X, batch_size=50)
    assert len(says.seen) == 40 and len(set(says.seen)) == 2
    np.testing.assert_array_equal(out, model.predict(X, batch_size=50))


def test_each_thread_multiplies_with_one_blas_thread_and_errors_come_back() -> None:
    seen: list[list[int]] = []

    def work(item: int) -> None:
        # NumPy's BLAS: another library's (torch's, loaded by other tests) is not ours to limit
        seen.append(
            [
                p["num_threads"]
                for p in threadpool_info()
                if p["user_api"] == "blas" and "numpy" in p["filepath"]
            ]
        )
        if item == 3:
            raise ValueError("item 3")

    with pytest.raises(ValueError, match="item 3"):
        threads.spread(work, range(6), 2)
    assert len(seen) == 6 and all(set(counts) == {1} for counts in seen)
    numpy_blas = [
        p for p in threadpool_info() if p["user_api"] == "blas" and "numpy" in p["filepath"]
    ]
    assert numpy_blas and all(p["num_threads"] == 2 for p in numpy_blas)  # restored
