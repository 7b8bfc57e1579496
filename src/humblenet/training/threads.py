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
The number of threads does not change the numbers: each output element is the same sum in the
same order, only the blocks are shared out (tests/training/test_threads.py).
"""

from __future__ import annotations

import contextlib
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
