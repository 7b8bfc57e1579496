"""Convolution, max-pool and batch norm, forward + backward: humblenet against PyTorch (CPU),
side by side in one process, float32, the same threads for both.

    python benchmarks/bench_conv.py [--repeats 7] [--threads 2]

Each row is the median of ``--repeats`` timed calls (after one warm-up) of forward, a sum, and
backward, humblenet's and PyTorch's calls taken in turn; the ratio is humblenet's time over
PyTorch's (above 1: slower). The machine may be shared with other work: run it twice and trust
only what both runs agree on (``--clock cpu`` counts only the time each spent computing).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as TF

from humblenet import Tensor
from humblenet import conv as C

# name, input (N, C, H, W), weight (O, C, k, k), padding
CONVS = [
    ("conv2d small  32x1x28x28  -> 8, 3x3", (32, 1, 28, 28), (8, 1, 3, 3), 1),
    ("conv2d medium 64x16x28x28 -> 32, 3x3", (64, 16, 28, 28), (32, 16, 3, 3), 1),
    ("conv2d large  32x64x16x16 -> 64, 3x3", (32, 64, 16, 16), (64, 64, 3, 3), 1),
]


CLOCK: Callable[[], float] = time.perf_counter


def _median_times(
    ours: Callable[[], None], ref: Callable[[], None], repeats: int
) -> tuple[float, float]:
    """The median time of each, the two run alternately (ours, ref, ours, ...) so that a load
    that comes and goes on a shared machine slows both alike."""
    ours()
    ref()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for step, found in ((ours, times[0]), (ref, times[1])):
            started = CLOCK()
            step()
            found.append(CLOCK() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def _pair(name: str, arrays: list[np.ndarray], ours: Callable, ref: Callable, repeats: int) -> None:
    hn = [Tensor(a, requires_grad=True) for a in arrays]
    th = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]

    def step_ours() -> None:
        for t in hn:
            t.grad = None
        ours(*hn).sum().backward()

    def step_ref() -> None:
        for t in th:
            t.grad = None
        ref(*th).sum().backward()

    ours_s, ref_s = _median_times(step_ours, step_ref, repeats)
    print(f"{name:42s} {ours_s * 1e3:9.2f} ms {ref_s * 1e3:9.2f} ms {ours_s / ref_s:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: the process's CPU time (with one thread each, the time spent computing, "
        "less the waits for a core that a shared machine adds)",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"{'forward + backward, float32':42s} {'humblenet':>12s} {'PyTorch':>12s} {'ratio':>8s}")
    for name, xs, ws, pad in CONVS:
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32)
        b = rng.standard_normal(ws[0], dtype=np.float32)
        _pair(
            name,
            [x, w, b],
            lambda x, w, b, p=pad: C.conv2d(x, w, b, padding=p),
            lambda x, w, b, p=pad: TF.conv2d(x, w, b, padding=p),
            args.repeats,
        )
    x = rng.standard_normal((64, 32, 28, 28), dtype=np.float32)
    _pair(
        "max_pool2d 64x32x28x28, 2x2",
        [x],
        lambda t: C.max_pool2d(t, 2),
        lambda t: TF.max_pool2d(t, 2),
        args.repeats,
    )
    c = x.shape[1]
    gamma, beta = np.ones(c, np.float32), np.zeros(c, np.float32)
    _pair(
        "batch_norm (train) 64x32x28x28",
        [x, gamma, beta],
        lambda t, w, b: C.batch_norm(t, None, None, w, b, training=True),
        lambda t, w, b: TF.batch_norm(t, None, None, w, b, training=True),
        args.repeats,
    )


if __name__ == "__main__":
    main()
