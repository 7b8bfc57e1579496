"""Where the time of a training epoch (or of ``predict``) goes, by kind of work.

Timers are put around the pieces of humblenet's step for one run (so the run is a little slower
than an untimed one: a few hundred nanoseconds per timed call), and the epoch's time is split
into:

- matrix products: every ``np.matmul`` call (the layers' forward and backward products);
- linear's elementwise work: the rest of ``functional.linear``'s forward and backward (bias,
  ReLU and its mask, the bias gradient);
- the loss: cross-entropy's forward and backward;
- Adam's kernel: the update arithmetic itself (numba's pass, or the NumPy passes);
- Python: everything else (the graph and its walk in backward, the optimizer's bookkeeping, the
  loader's gather, the loop, the metrics).

    python benchmarks/profile_train.py                  # batch 15, 784-256-128-10
    python benchmarks/profile_train.py --batch-size 128
    python benchmarks/profile_train.py --part9          # 784-512-216-128-64-32-16-10
    python benchmarks/profile_train.py --predict        # inference on the test images

``--eager`` turns off fit's captured step (``training/capture.py``), which replays the products
and kernels without F.linear; its kernels are then timed one by one.

``--one-product`` multiplies small batches in one product, as before the row pieces of
``functional._product`` (the "before" column of issue 18's table).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from humblenet import _linear_kernels
from humblenet import functional as F
from humblenet.optim import _fused
from humblenet.tensor import Tensor
from humblenet.training import capture

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_train  # noqa: E402  (the same models, data and epoch as the benchmark)

spent: dict[str, float] = defaultdict(float)


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # its name too: the captured step recognizes the loss's backward
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start

    return run


LINEAR_KERNELS = ("bias_relu", "relu_backward")
LOSS_KERNELS = ("cross_entropy_labels", "cross_entropy_labels_grad")


def install() -> Callable[[], None]:
    """Put the timers in place; returns the function that takes them away."""
    saved = (np.matmul, F.linear, F.cross_entropy, Tensor._make, _fused.adam_kernel)
    make = Tensor._make
    kernel = _fused.adam_kernel()
    # The captured step calls the compiled kernels itself (not through F.linear and
    # F.cross_entropy): they are timed one by one too, and used when batches were replayed.
    kernels = _linear_kernels.linear_kernels()
    saved_kernels = {} if kernels is None else dict(vars(kernels))
    for name in LINEAR_KERNELS + LOSS_KERNELS:
        if name in saved_kernels:
            where = "linear kernels" if name in LINEAR_KERNELS else "loss kernels"
            setattr(kernels, name, timed(where, saved_kernels[name]))
    replay = capture.CapturedStep.forward

    def counted(self: Any, *args: Any) -> Any:
        spent["replayed"] += 1
        return replay(self, *args)

    capture.CapturedStep.forward = counted  # type: ignore[method-assign]

    def timed_make(data: Any, parents: Any, backward: Any, op: str) -> Any:
        kind = {"linear": "linear", "linear_relu": "linear", "cross_entropy": "loss"}.get(op)
        if kind is not None:
            backward = timed(f"{kind} backward", backward)
        return make(data, parents, backward, op)

    np.matmul = timed("matmul", np.matmul)  # type: ignore[assignment]
    F.linear = timed("linear forward", F.linear)
    F.cross_entropy = timed("loss forward", F.cross_entropy)
    Tensor._make = staticmethod(timed_make)  # type: ignore[assignment]
    if kernel is not None:
        timed_kernel = timed("adam kernel", kernel)
        _fused.adam_kernel = lambda: timed_kernel  # type: ignore[assignment]

    def remove() -> None:
        np.matmul, F.linear, F.cross_entropy, make_back, _fused.adam_kernel = saved  # type: ignore[misc]
        Tensor._make = staticmethod(make_back)  # type: ignore[assignment]
        for name, function in saved_kernels.items():
            setattr(kernels, name, function)
        capture.CapturedStep.forward = replay  # type: ignore[method-assign]

    return remove


def table(total: float, steps: int) -> str:
    gemm = spent["matmul"]
    if spent["replayed"]:  # the captured step ran (all batches but a first one per shape)
        linear, loss = spent["linear kernels"], spent["loss kernels"]
    else:  # the eager path: the products are inside F.linear
        linear = spent["linear forward"] + spent["linear backward"] - gemm
        loss = spent["loss forward"] + spent["loss backward"]
    adam = spent["adam kernel"]
    python = total - gemm - linear - loss - adam
    rows = [
        ("matrix products (np.matmul)", gemm),
        ("linear's elementwise (bias, ReLU, mask, bias grad)", linear),
        ("the loss (cross-entropy forward + backward)", loss),
        ("Adam's update kernel", adam),
        ("Python (graph, backward walk, optimizer, loader, loop)", python),
        ("total", total),
    ]
    lines = [f"{'part':<58} {'s':>7} {'share':>6} {'µs/step':>8}"]
    for name, seconds in rows:
        lines.append(
            f"{name:<58} {seconds:>7.3f} {100 * seconds / total:>5.0f}% "
            f"{1e6 * seconds / steps:>8.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=15)
    parser.add_argument("--samples", type=int, default=15000)
    parser.add_argument("--part9", action="store_true")
    parser.add_argument("--predict", action="store_true")
    parser.add_argument("--one-product", action="store_true")
    parser.add_argument("--eager", action="store_true", help="without fit's captured step")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the fastest is shown")
    args = parser.parse_args()
    if args.eager:
        os.environ["HUMBLENET_CAPTURE"] = "0"
    if args.one_product:
        F._SMALL_OUTPUT = 10**9  # no row pieces
    sizes = [784, 512, 216, 128, 64, 32, 16, 10] if args.part9 else [784, 256, 128, 10]
    data = bench_train.load_images()
    model, _ = bench_train.build_pair(sizes, seed=0)
    initial = model.state_dict()
    bench_train.humblenet_epoch(model, data[0][:512], data[1][:512], 128, 0, 1e-3)  # warm-up
    if args.predict:
        x_test = data[2]

        def run() -> None:
            model.predict(x_test, batch_size=1024)

        steps = -(-len(x_test) // 1024)
    else:
        x, y = data[0][: args.samples], data[1][: args.samples]

        def run() -> None:
            model.load_state_dict(initial)
            bench_train.humblenet_epoch(model, x, y, args.batch_size, 1, 1e-3)

        steps = -(-len(x) // args.batch_size)
    best: tuple[float, dict[str, float]] | None = None
    for _ in range(args.repeats):
        spent.clear()
        remove = install()
        try:
            start = time.perf_counter()
            run()
            total = time.perf_counter() - start
        finally:
            remove()
        if best is None or total < best[0]:
            best = (total, dict(spent))
    assert best is not None
    spent.clear()
    spent.update(best[1])
    what = (
        "predict, 10,000 test images, batch 1024"
        if args.predict
        else (f"one epoch, {len(data[0][: args.samples])} samples, batch {args.batch_size}")
    )
    path = "captured step" if spent["replayed"] else "eager path"
    print(f"{'-'.join(map(str, sizes))}, {what}, {path}; load average {os.getloadavg()[0]:.1f}")
    print(table(best[0], steps))


if __name__ == "__main__":
    main()
