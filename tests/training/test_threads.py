"""fit trains small batches with one BLAS thread (training/threads.py) without changing a number.

Checked through threadpoolctl (what the limit uses): a callback reads the BLAS thread count in
the middle of fit; after fit the count is back. The weights after two epochs at batch 8 (one
thread) equal bit for bit those of the same run with the limit turned off.
"""

from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from humblenet import Sequential, nn
from humblenet.training import Callback, threads


def blas_thread_counts() -> list[int]:
    """NumPy's BLAS threads (SciPy's own BLAS, loaded later by other tests, is not ours)."""
    pools = threadpool_info()
    return [p["num_threads"] for p in pools if p["user_api"] == "blas" and "numpy" in p["filepath"]]


class ReadThreads(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[list[int]] = []

    def on_batch_end(self, epoch: int, batch: int) -> None:
        self.seen.append(blas_thread_counts())


def train(batch_size: int, callbacks: list[Any] | None = None) -> Sequential:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 300)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    model = Sequential(
        [nn.Dense(200, activation="relu", input_shape=(300,), seed=1), nn.Dense(3, seed=2)]
    )
    model.compile(optimizer="adam", loss=nn.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=batch_size, epochs=2, seed=3, verbose=0, callbacks=callbacks)
    return model


@pytest.mark.parametrize("batch_size", [8, 32])
def test_small_batches_train_with_one_blas_thread(batch_size: int) -> None:
    before = blas_thread_counts()
    assert before
    reader = ReadThreads()
    train(batch_size, [reader])
    expected = [1] * len(before) if batch_size < threads.ONE_THREAD_BELOW else before
    assert reader.seen and all(seen == expected for seen in reader.seen)
    assert blas_thread_counts() == before


def test_one_thread_gives_the_same_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    limited = train(8)
    monkeypatch.setattr(threads, "ONE_THREAD_BELOW", 0)
    reader = ReadThreads()
    free = train(8, [reader])
    assert all(seen == blas_thread_counts() for seen in reader.seen)
    for a, b in zip(limited.parameters(), free.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data, strict=True)
