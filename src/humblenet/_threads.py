"""Work shared out over the cores: independent pieces in Python threads, each product on one
BLAS thread (``spread``), and threadpoolctl's view of NumPy's BLAS (``blas``).

NumPy releases the interpreter's lock inside its matrix products and its array loops, and the
numba kernels are compiled ``nogil``, so two Python threads that each take half of a batch run
on two cores at once. That beats handing each product to OpenBLAS's own threads when the
products are many and small (a convolution's one product per sample, ``predict``'s batches):
OpenBLAS splits every product in two and then waits, spinning, for the next, while the copies
and the elementwise work between the products run on one core. ``training/threads.py`` says
how ``predict`` uses it; ``conv.py`` how the convolutions do.

The helper threads are made once and kept (a pool), since starting a thread costs tens of
microseconds and a convolution calls ``spread`` twice a step. A ``spread`` inside another
(a convolution inside ``predict``'s threads) runs its items in order on its own thread:
the cores are taken already, and waiting for the pool from inside it could wait forever.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

_controller: list[Any] = []  # threadpoolctl's view of the loaded BLAS, made at first use
_pool: list[tuple[int, ThreadPoolExecutor]] = []  # (its size, the helper threads): made once
_pool_lock = threading.Lock()
_inside = threading.local()  # ``.active`` is True on a thread that runs a spread's items

# A forked child has none of the parent's threads: it makes its own pool at its first spread
# (a pool copied from the parent would take the work and never run it).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pool.clear)


def blas() -> Any:
    """threadpoolctl's controller of the BLAS libraries, or None without threadpoolctl.

    Made once (scanning the loaded libraries takes 0.5 ms; limiting through the controller
    afterwards takes 14 µs): NumPy's BLAS, the one that matters here, is loaded with NumPy.
    """
    if not _controller:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller.append(None)
        else:
            _controller.append(ThreadpoolController().select(user_api="blas"))
    return _controller[0]


def _blas_threads(controller: Any) -> int:
    return max((library.num_threads for library in controller.lib_controllers), default=1)


def spread_threads(items: int) -> int:
    """How many threads ``spread`` would use for ``items`` independent pieces: one per BLAS
    thread NumPy would use (so an ``OPENBLAS_NUM_THREADS=1`` or a ``threadpool_limits(1)``
    stays respected; inside :func:`batches_over_cores`, the count from before it), at most one
    per item, and 1 when threadpoolctl is absent (BLAS's threads could not be held to one
    each) or inside another spread."""
    controller = blas()
    if controller is None or items < 2 or getattr(_inside, "active", False):
        return 1
    cores = _cores[-1] if _cores else _blas_threads(controller)
    return max(1, min(items, cores))


_cores: list[int] = []  # BLAS's thread counts from before each batches_over_cores now active


def blas_held() -> bool:
    """Whether a :func:`batches_over_cores` holds BLAS to one thread now."""
    return bool(_cores)


@contextlib.contextmanager
def batches_over_cores() -> Iterator[None]:
    """A context in which every matrix product runs on one BLAS thread while the ops that share
    their batch out (``spread``: the convolutions) still use as many threads as BLAS had.

    ``fit`` trains a model with convolutions inside it. Without it, OpenBLAS's own threads,
    woken by any other product of the step (the dense head's), spin for a while afterwards and
    take the core that the convolution's second thread needs: on the CNN of
    ``benchmarks/bench_cnn_epoch.py`` (12,000 images, medians of 3) 2.80 s with the
    convolutions spread and BLAS's threads left alone, 2.68 s with neither, 2.29 s in this
    context.
    """
    controller = blas()
    threads = 1 if controller is None else _blas_threads(controller)
    if threads < 2:
        yield
        return
    _cores.append(threads)
    try:
        with controller.limit(limits=1):
            yield
    finally:
        _cores.pop()


def _helpers(count: int) -> ThreadPoolExecutor:
    """The pool, with room for at least ``count`` helper threads."""
    with _pool_lock:
        if not _pool or _pool[0][0] < count:
            if _pool:
                _pool.pop()[1].shutdown(wait=False)
            _pool.append((count, ThreadPoolExecutor(count, thread_name_prefix="humblenet")))
        return _pool[0][1]


def spread(work: Callable[[Any], None], items: Iterable[Any], threads: int) -> None:
    """Call ``work(item)`` for every item, the items shared out over ``threads`` threads (this
    one among them), every matrix product on one BLAS thread; the first error is raised again
    once all threads have stopped.

    ``work`` must be safe to run in two threads at once: it may write only to places no other
    item writes to. The items are taken in order from one iterator (each ``next`` is atomic
    under the interpreter's lock), so a thread that finishes early takes the next one. With
    ``threads`` 1, or inside another spread, the items run in order on this thread.
    """
    pending = iter(items)
    if threads < 2 or getattr(_inside, "active", False):
        for item in pending:
            work(item)
        return
    errors: list[BaseException] = []
    # NumPy's floating-point error handling is per thread: the helpers take the caller's (a
    # np.errstate that silences a diverging run's overflow would not reach them otherwise)
    numpy_errors = np.geterr()

    def run() -> None:
        _inside.active = True
        try:
            with np.errstate(**numpy_errors):
                for item in pending:
                    work(item)
        except BaseException as error:  # handed to the caller's thread below
            errors.append(error)
        finally:
            _inside.active = False

    controller = None if _cores else blas()  # inside batches_over_cores BLAS is held already
    with controller.limit(limits=1) if controller is not None else contextlib.nullcontext():
        pool = _helpers(threads - 1)
        helpers: list[Future[None]] = [pool.submit(run) for _ in range(threads - 1)]
        run()
        for helper in helpers:
            helper.result()
    if errors:
        raise errors[0]


# Elementwise work over at least this many numbers is cut into pieces by ``row_pieces``:
# below it the hand-off to a second thread costs more than the half it saves.
SPREAD_ELEMENTS_FROM = 1 << 18


def row_pieces(array: Any) -> list[slice] | None:
    """Slices of ``array``'s first axis, one per thread, that together cover it once, for
    elementwise work shared out by ``spread``; None (do it in one piece) for an array of
    fewer than ``SPREAD_ELEMENTS_FROM`` numbers (one size check: small arrays pay nothing
    more), with fewer than two rows, or when there is one thread."""
    if array.size < SPREAD_ELEMENTS_FROM or array.ndim == 0 or array.shape[0] < 2:
        return None
    threads = spread_threads(array.shape[0])
    return None if threads < 2 else even_pieces(array.shape[0], threads)


def even_pieces(n: int, count: int) -> list[slice]:
    """``count`` slices of ``range(n)`` in order, as even as whole numbers allow."""
    bounds = [n * k // count for k in range(count + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]
