"""How many threads the matrix products of a training loop use (``blas_threads_for``).

NumPy's BLAS (OpenBLAS in NumPy's wheels) splits a product over every core. At small batches
the products are too small to gain from it, and its threads wait for work by spinning between
products, taking a core from the Python code that runs between them. Measured on this 2-core
machine (shared with other jobs, so each figure is the min of 3 to 5 epochs, the thread counts
alternated in one process), with 1 and 2 BLAS threads, 784-256-128-10 with Adam:

======================  ==========  ==========
batch size              1 thread    2 threads
======================  ==========  ==========
15 (10,000 samples)     0.37 s      0.42 s     (0.42 s / 0.84 s at load average 2)
15, part 9's network    0.93 s      0.86 s     (1.12 s / 9.75 s at load average 6)
24 (15,000 samples)     0.41 s      0.36 s
32 (15,000 samples)     0.35 s      0.28 s
48 (20,000 samples)     0.39 s      0.31 s
128 (30,000 samples)    0.44 s      0.32 s
======================  ==========  ==========

Under load the spinning threads starve the loop (part 9's network, 10,000 samples: 9.75 s
against 1.12 s); at batch 24 and up two threads win. So ``fit`` trains batches of fewer than
``ONE_THREAD_BELOW`` samples with one BLAS thread and larger ones with BLAS's own choice. The
limit needs threadpoolctl (``humblenet[fast]``); without it the threads are left as they are.
The number of threads does not change the numbers of these training products: each output
element is the same sum in the same order, only the blocks are shared out
(tests/training/test_threads.py).

``predict`` places its threads the other way round (``spread``): its batches are independent,
so each of two Python threads runs whole batches through the model, each product on one BLAS
thread, and no product waits for another thread. Measured on 784-256-128-10, 10,000 test
images, batch 1024 (one process, the variants alternated 25 times, best of each; this 2-core
machine shared with other jobs): 94 ms one batch after another with BLAS's two threads, 100 ms
with one, 43 ms with the batches spread over two threads (PyTorch: 73 ms). With one BLAS thread
a product of 1,024 rows runs at this machine's peak for one core (97 GFLOP/s for 784 -> 256),
so two threads reach close to the two cores' peak. (With one BLAS thread instead of two, an
output number may differ in its last bit: OpenBLAS's two-thread product splits its sums
differently at these sizes; predict gives the same numbers for the same inputs on each path.)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from typing import Any

# Batches of fewer samples than this are trained with one BLAS thread (see the table above).
ONE_THREAD_BELOW = 24


def blas_threads_for(batch_size: int) -> contextlib.AbstractContextManager[Any]:
    """A context in which NumPy's matrix products use the threads right for ``batch_size``."""
    if batch_size >= ONE_THREAD_BELOW:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    # Made at each fit: it scans the BLAS libraries loaded now (measured: 1 ms).
    return threadpool_limits(limits=1, user_api="blas")


_controller: list[Any] = []  # threadpoolctl's view of the loaded BLAS, made at first use


def _blas() -> Any:
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


def spread_threads(batches: int) -> int:
    """How many threads ``spread`` would use for ``batches`` independent batches: one per BLAS
    thread NumPy would use (so an ``OPENBLAS_NUM_THREADS=1`` stays respected), at most one per
    batch, and 1 when threadpoolctl is absent (BLAS's threads could not be held to one each)."""
    blas = _blas()
    if blas is None or batches < 2:
        return 1
    counts = [pool["num_threads"] for pool in blas.info()]
    return max(1, min(batches, max(counts, default=1)))


def spread(work: Callable[[Any], None], items: Iterable[Any], threads: int) -> None:
    """Call ``work(item)`` for every item, the items shared out over ``threads`` threads (this
    one among them), every matrix product on one BLAS thread; the first error is raised again
    once all threads have stopped.

    ``work`` must be safe to run in two threads at once: it may write only to places no other
    item writes to. The items are taken in order from one iterator (each ``next`` is atomic
    under the interpreter's lock), so a thread that finishes early takes the next one.
    """
    pending = iter(items)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for item in pending:
                work(item)
        except BaseException as error:  # handed to the caller's thread below
            errors.append(error)

    blas = _blas()
    with blas.limit(limits=1) if blas is not None else contextlib.nullcontext():
        helpers = [threading.Thread(target=run, daemon=True) for _ in range(threads - 1)]
        for helper in helpers:
            helper.start()
        run()
        for helper in helpers:
            helper.join()
    if errors:
        raise errors[0]
