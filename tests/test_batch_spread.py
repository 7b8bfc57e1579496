"""Convolutions and max-pool share each batch out over threads (``conv._batch_parts``,
``_threads.spread``); fit holds BLAS to one thread for a model with convolutions
(``_threads.batches_over_cores``).

The pieces only divide the samples, so each output number must be the same bits as the whole
batch computed as one piece: every test here compares the two paths with ``array_equal``, in
float32 and float64, on the compiled and the NumPy paths.
"""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

import humblenet
from humblenet import Tensor, _threads, nn
from humblenet import conv as C
from humblenet.training import Callback

threadpoolctl = pytest.importorskip("threadpoolctl")


def _pieces(count: int):  # type: ignore[no-untyped-def]
    """A ``_batch_parts`` that always cuts the batch into ``count`` uneven pieces."""

    def parts(n: int, work: int) -> list[slice]:
        bounds = sorted({0, n, *(n * k // count + k % 2 for k in range(1, count))})
        return [slice(a, b) for a, b in zip(bounds, bounds[1:])]

    return parts


def _run(op, arrays, grad_seed=3):  # type: ignore[no-untyped-def]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = op(*tensors)
    g = np.random.default_rng(grad_seed).standard_normal(out.shape).astype(out.dtype)
    out.backward(g)
    return [out.data] + [t.grad for t in tensors]


def _both(monkeypatch, op, arrays):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(C, "_batch_parts", _pieces(1))
    whole = _run(op, arrays)
    monkeypatch.setattr(C, "_batch_parts", _pieces(3))
    pieces = _run(op, arrays)
    return whole, pieces


CONVS = [
    dict(stride=1, padding=1),
    dict(stride=2, padding=1),
    dict(stride=1, padding=0, dilation=2),
    dict(stride=(2, 1), padding=(1, 0), groups=2),
]


@pytest.mark.parametrize("kernels", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", CONVS, ids=str)
def test_conv2d_in_pieces_gives_the_whole_batch_bits(monkeypatch, kernels, dtype, options):  # type: ignore[no-untyped-def]
    if not kernels:
        monkeypatch.setattr(C, "_kernels", lambda: None)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 4, 9, 8)).astype(dtype)
    w = rng.standard_normal((6, 4 // options.get("groups", 1), 3, 3)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    whole, pieces = _both(monkeypatch, lambda x, w, b: C.conv2d(x, w, b, **options), [x, w, b])
    for name, a, p in zip(("output", "input grad", "weight grad", "bias grad"), whole, pieces):
        assert p.dtype == dtype
        assert np.array_equal(a, p), name


def test_conv2d_in_pieces_without_bias_or_input_grad(monkeypatch):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((5, 2, 6, 6)).astype(np.float32))  # no gradient wanted
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    results = []
    for count in (1, 2):
        monkeypatch.setattr(C, "_batch_parts", _pieces(count))
        weight = Tensor(w, requires_grad=True)
        out = C.conv2d(x, weight, padding="same")
        out.backward(np.ones(out.shape, dtype=np.float32))
        assert x.grad is None
        results.append((out.data, weight.grad))
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "options",
    [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=1)],
    ids=str,
)
def test_max_pool_in_pieces_gives_the_whole_batch_bits(monkeypatch, dtype, options):  # type: ignore[no-untyped-def]
    # small integers: many ties, whose gradient must go to the same (first) winner either way
    x = np.random.default_rng(2).integers(0, 3, (7, 3, 8, 9)).astype(dtype)
    whole, pieces = _both(monkeypatch, lambda x: C.max_pool2d(x, **options), [x])
    for a, p in zip(whole, pieces):
        assert np.array_equal(a, p)


def test_the_pieces_cover_the_batch_once() -> None:
    # one thread's worth of work or less stays whole; otherwise one piece per spread thread
    assert C._batch_parts(64, 10) == [slice(0, 64)]
    threads = _threads.spread_threads(64)
    parts = C._batch_parts(64, C.SPREAD_FROM // 64 + 1)
    assert len(parts) == threads
    covered = np.concatenate([np.arange(64)[p] for p in parts])
    assert np.array_equal(covered, np.arange(64))
    # a large product a sample keeps BLAS's threads, unless fit holds BLAS to one
    big = C.ONE_THREAD_UP_TO + 1
    assert C._batch_parts(64, big) == [slice(0, 64)]
    with _threads.batches_over_cores():
        assert len(C._batch_parts(64, big)) == threads


def test_spread_runs_every_item_once_and_raises_the_first_error() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def work(item: int) -> None:
        with lock:
            seen.append(item)

    _threads.spread(work, range(20), 2)
    assert sorted(seen) == list(range(20))

    def failing(item: int) -> None:
        if item == 3:
            raise ValueError("item 3 failed")

    with pytest.raises(ValueError, match="item 3 failed"):
        _threads.spread(failing, range(8), 2)


def test_a_spread_inside_a_spread_runs_in_order_on_its_thread() -> None:
    # with a pool of one helper, waiting for it from inside it would never end
    inner_threads: list[str] = []
    counts: list[int] = []

    def inner(item: int) -> None:
        inner_threads.append(threading.current_thread().name)

    def outer(item: int) -> None:
        counts.append(_threads.spread_threads(8))
        before = len(inner_threads)
        _threads.spread(inner, range(4), 2)
        assert len(set(inner_threads[before:])) == 1  # all on this item's thread
        assert inner_threads[-1] == threading.current_thread().name

    _threads.spread(outer, range(4), 2)
    assert counts == [1, 1, 1, 1]
    assert len(inner_threads) == 16


def blas_threads() -> int:
    """NumPy's BLAS threads now, asked afresh (other BLAS libraries, torch's, are left out)."""
    numpy_blas = {lib.filepath for lib in _threads.blas().lib_controllers}
    info = threadpoolctl.threadpool_info()
    return max(lib["num_threads"] for lib in info if lib["filepath"] in numpy_blas)


def test_batches_over_cores_holds_blas_to_one_thread_and_keeps_the_count() -> None:
    before = blas_threads()
    spread_before = _threads.spread_threads(64)
    with _threads.batches_over_cores():
        assert blas_threads() == 1
        assert _threads.spread_threads(64) == spread_before == min(64, before)
    assert blas_threads() == before
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert _threads.spread_threads(64) == 1  # a user's limit stays respected


def test_fit_trains_a_cnn_with_one_blas_thread_and_its_convolutions_spread() -> None:
    seen: list[tuple[int, int]] = []

    class Watch(Callback):
        def on_batch_end(self, epoch: int, batch: int) -> None:
            seen.append((blas_threads(), _threads.spread_threads(64)))

    expected = _threads.spread_threads(64)
    model = humblenet.Sequential(
        [nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3, seed=1)]
    )
    model.compile(optimizer="adam", loss=nn.CrossEntropyLoss())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 6, 6)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Watch()])
    assert seen == [(1, expected)] * 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_in_pieces_gives_the_one_piece_bits(monkeypatch, dtype):  # type: ignore[no-untyped-def]
    tensor_module = sys.modules["humblenet.tensor"]
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 3, 5, 4)).astype(dtype)
    x[0, 0, 0, :2] = 0.0  # the gradient at 0 is 0, as torch's
    g = rng.standard_normal(x.shape).astype(dtype)
    results = []
    asked: list[tuple[int, ...]] = []
    for pieces in (None, [slice(0, 4), slice(4, 7), slice(7, 9)]):
        monkeypatch.setattr(
            tensor_module, "row_pieces", lambda a, p=pieces: asked.append(a.shape) or p
        )
        t = Tensor(x, requires_grad=True)
        out = humblenet.relu(t)
        out.backward(g)
        results.append((out.data, t.grad))
    assert np.array_equal(results[0][0], np.maximum(x, 0))
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])
    assert results[1][1][0, 0, 0, 0] == 0
    assert asked == [x.shape, x.shape]  # each relu asked for its pieces once


def test_row_pieces_only_for_large_arrays() -> None:
    assert _threads.row_pieces(np.zeros((64, 100), np.float32)) is None
    assert _threads.row_pieces(np.zeros(1 << 20, np.float32)[:1].reshape(())) is None
    big = np.zeros((64, 16, 28, 28), np.float32)
    pieces = _threads.row_pieces(big)
    if _threads.spread_threads(64) < 2:
        assert pieces is None
    else:
        assert pieces is not None
        covered = np.concatenate([np.arange(64)[p] for p in pieces])
        assert np.array_equal(covered, np.arange(64))


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_over_channel_ranges_gives_the_one_range_bits(monkeypatch, dtype, training):  # type: ignore[no-untyped-def]
    if C._kernels() is None:
        pytest.skip("the channel ranges are the compiled loops' (numba is not installed)")
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((6, 5, 4, 3)) * 3 + 1).astype(dtype)
    w, b = rng.standard_normal(5).astype(dtype), rng.standard_normal(5).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    results = []
    for ranges in ([slice(0, 5)], [slice(0, 2), slice(2, 3), slice(3, 5)]):
        monkeypatch.setattr(C, "_channel_parts", lambda x3, r=ranges: r)
        tensors = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        running = [Tensor(np.full(5, 0.5, dtype)), Tensor(np.full(5, 2.0, dtype))]
        out = C.batch_norm(tensors[0], *running, *tensors[1:], training=training)
        out.backward(g)
        results.append([out.data, *(t.grad for t in tensors), *(r.data for r in running)])
    for whole, ranged in zip(*results):
        assert np.array_equal(whole, ranged)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork (POSIX)")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_spreads_with_threads_of_its_own() -> None:
    import os
    import select
    import signal

    _threads.spread(lambda item: None, range(4), 2)  # the parent's pool exists now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a spread must finish (a copied pool would hang it)
        done: list[int] = []
        _threads.spread(done.append, range(6), 2)
        os.write(write, bytes([len(done)]))
        os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 60)
    answer = os.read(read, 1) if ready else b""
    if not ready:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert answer == bytes([6]), "the forked child's spread did not finish"


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "dilation", "pads"),
    [
        ((5, 6), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),
        ((5, 6), (2, 3), (2, 1), (1, 2), ((0, 1), (2, 2))),  # "same"-like uneven pads
        ((4, 4), (3, 2), (3, 2), (2, 1), ((3, 3), (1, 0))),  # padding wider than a stride
        ((2, 3), (2, 2), (1, 1), (1, 1), ((4, 4), (5, 5))),  # offsets that meet only padding
        ((7, 1), (1, 1), (2, 1), (1, 1), ((0, 2), (1, 1))),
    ],
)
def test_windows_copied_without_the_padded_image(size, kernel, stride, dilation, pads):  # type: ignore[no-untyped-def]
    """``_copy_windows`` gives the bits of the padded image's window view copied whole: the
    pixels each kernel offset meets, and zeros (+0.0) for the padding."""
    x = np.random.default_rng(0).standard_normal((2, 3, *size))
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    windows = C._windows(xp, kernel, stride, dilation)
    expected = windows.transpose(0, 1, 4, 5, 2, 3)
    cols = np.full(expected.shape, np.nan)
    C._copy_windows(x, cols, stride, dilation, (pads[0][0], pads[1][0]))
    np.testing.assert_array_equal(cols, expected)
    assert not np.signbit(cols[cols == 0]).any()


def test_the_helper_threads_take_the_callers_numpy_error_handling() -> None:
    """NumPy's floating-point error state is per thread: ``spread`` hands the caller's to its
    helpers, so a ``np.errstate`` around a diverging ``fit`` silences the pieces too (a
    helper's ``inf * 0`` used to print its RuntimeWarning from the command line), and a
    ``raise`` reaches them as well."""
    values = np.array([np.inf, 1.0], dtype=np.float32)
    seen: list[str] = []

    def work(item: int) -> None:
        time.sleep(0.005)  # lets the helper wake and take items of its own
        seen.append(threading.current_thread().name)
        np.multiply(values, 0.0)  # inf * 0: "invalid value"

    with np.errstate(invalid="ignore"):
        _threads.spread(work, range(8), 2)  # warnings are errors in the tests
    assert any(name.startswith("humblenet") for name in seen)  # a helper took some items
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        _threads.spread(work, range(8), 2)
