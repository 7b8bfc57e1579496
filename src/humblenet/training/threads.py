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
With OpenBLAS's SkylakeX kernels the number of threads did not change the numbers of these
training products: each output element was the same sum in the same order, only the blocks
were shared out (tests/training/test_threads.py checks it at one small size). With its Haswell
kernels (an AMD EPYC machine) it can: of 297 small products (1-23 rows, the layers of this
project's benchmarks, forward and both backward products), 73 differed in their last bits
between one thread and two. So the choice depends on the batch size alone, never on the
machine's load: a run, and a run resumed from a checkpoint, gives the same numbers each time.
On that machine two threads would train batch 15 faster (0.58 against 0.67 s an epoch of
784-256-128-10, 1.19 against 1.48 s for part 9's network, 15,000 samples, idle), but a choice
made from the load average would make the numbers depend on it, and one thread is kept.

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
from typing import Any

from humblenet._threads import batches_over_cores, spread, spread_threads

# Batches of fewer samples than this are trained with one BLAS thread (see the table above).
ONE_THREAD_BELOW = 24


def blas_threads_for(
    batch_size: int, spreads: bool = False
) -> contextlib.AbstractContextManager[Any]:
    """A context in which NumPy's matrix products use the threads right for ``batch_size``;
    for a model whose ops share each batch over the cores themselves (``spreads``: the
    convolutions), one BLAS thread and those ops the cores (``_threads.batches_over_cores``)."""
    if spreads and batch_size >= 2:
        return batches_over_cores()
    if batch_size >= ONE_THREAD_BELOW:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    # Made at each fit: it scans the BLAS libraries loaded now (measured: 1 ms).
    return threadpool_limits(limits=1, user_api="blas")


# The threads themselves live in the core (the convolutions use them too); fit and predict
# take them from there.
__all__ = ["ONE_THREAD_BELOW", "blas_threads_for", "spread", "spread_threads"]
