"""LSTM, GRU and RNN forward + backward: humblenet against PyTorch (CPU), side by side in one
process, float32, the same threads for both.

    python benchmarks/bench_rnn.py [--repeats 7] [--threads 2]

The issue's case is the first row: an LSTM over a sequence of 50 steps, batch 64, input 64,
hidden 128 (``(T, B, I)`` layout). Each row times forward, the sum of the output and the final
states, and backward through time to every weight and the input; the forward-only rows run
without gradients in both. Three things run interleaved, ``--repeats`` times after one warm-up:
humblenet as it runs by default (with the compiled step kernels of
``humblenet._recurrent_kernels`` when numba is installed), humblenet's NumPy path (the kernels
turned off) and PyTorch. Each column is the median; the ratios are humblenet's time over
PyTorch's (above 1: slower), from the medians and, in brackets, from the fastest of each run.
The machine may be shared with other work: run it twice and trust only what both runs agree on.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from humblenet import Tensor, nn, no_grad
from humblenet import recurrent as R

# name, humblenet class, torch class, options, (T, B, I, H)
CASES = [
    ("LSTM T50 B64 I64 H128", nn.LSTM, torch.nn.LSTM, {}, (50, 64, 64, 128)),
    ("GRU  T50 B64 I64 H128", nn.GRU, torch.nn.GRU, {}, (50, 64, 64, 128)),
    ("RNN  T50 B64 I64 H128", nn.RNN, torch.nn.RNN, {}, (50, 64, 64, 128)),
    ("LSTM 2 layers bidirectional T50 B64 I64 H128", nn.LSTM, torch.nn.LSTM,
     {"num_layers": 2, "bidirectional": True}, (50, 64, 64, 128)),
]  # fmt: skip


def _interleaved(steps: dict[str, Callable[[], None]], repeats: int) -> dict[str, list[float]]:
    """Wall times of each step, the steps alternating so that a loaded machine slows all alike.

    The order turns by one each repeat, so each step follows each other step equally often: at
    2 threads, whatever ran right after PyTorch was slowed (its OpenMP threads still spin on
    the second core for a while, which OpenBLAS's second thread then waits for). In a fixed
    order humblenet-with-kernels always came right after PyTorch, which made the kernels look
    slower than the NumPy path; swapped, the NumPy path's forward took 374 ms against the
    kernels' 91 (loaded machine, load 5.9)."""
    for step in steps.values():
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for repeat in range(repeats):
        turn = repeat % len(names)
        for name in names[turn:] + names[:turn]:
            step = steps[name]
            started = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - started)
    return times


def _kernels(on: bool, step: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        R._use_kernels = on
        try:
            step()
        finally:
            R._use_kernels = True

    return run


def _flat(result: Any) -> list[Any]:
    out, state = result
    return [out, *(state if isinstance(state, tuple) else (state,))]


def _row(name: str, ours_class: Any, torch_class: Any, options: dict, shape: tuple, repeats: int):
    t, b, i, h = shape
    ours = ours_class(i, h, **options, seed=0)
    ref = torch_class(i, h, **options)
    with torch.no_grad():
        for key, p in ref.named_parameters():
            p.copy_(torch.from_numpy(getattr(ours, key).data))
    x = np.random.default_rng(0).standard_normal((t, b, i)).astype(np.float32)
    x_ours = Tensor(x, requires_grad=True)
    x_ref = torch.from_numpy(x.copy()).requires_grad_(True)

    def backward_ours() -> None:
        ours.zero_grad()
        x_ours.grad = None
        parts = _flat(ours(x_ours))
        total = parts[0].sum()
        for part in parts[1:]:
            total = total + part.sum()
        total.backward()

    def backward_ref() -> None:
        ref.zero_grad()
        x_ref.grad = None
        parts = _flat(ref(x_ref))
        total = parts[0].sum()
        for part in parts[1:]:
            total = total + part.sum()
        total.backward()

    def forward_ours() -> None:
        with no_grad():
            ours(x)

    def forward_ref() -> None:
        with torch.no_grad():
            ref(torch.from_numpy(x))

    for label, mine, theirs in [
        ("forward + backward", backward_ours, backward_ref),
        ("forward only", forward_ours, forward_ref),
    ]:
        times = _interleaved(
            {"ours": _kernels(True, mine), "numpy": _kernels(False, mine), "torch": theirs},
            repeats,
        )
        med = {k: statistics.median(v) for k, v in times.items()}
        low = {k: min(v) for k, v in times.items()}
        print(
            f"{name:46s} {label:18s} {med['ours'] * 1e3:9.2f} {med['numpy'] * 1e3:9.2f} "
            f"{med['torch'] * 1e3:9.2f} ms {med['ours'] / med['torch']:6.2f}x "
            f"({low['ours'] / low['torch']:.2f}x) {med['numpy'] / med['torch']:6.2f}x "
            f"({low['numpy'] / low['torch']:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only-issue-case", action="store_true", help="just the first row")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is missing: NumPy's BLAS keeps its own number of threads")
    else:
        threadpool_limits(args.threads, user_api="blas")
    kernels = "with" if R._kernels() is not None else "WITHOUT (numba missing)"
    print(f"float32, {args.threads} threads, median of {args.repeats}, humblenet {kernels} kernels")
    print(
        f"{'case':46s} {'pass':18s} {'humblenet':>9s} {'NumPy path':>9s} {'pytorch':>9s}    "
        f"{'ratio (fastest)':>15s} {'NumPy path ratio':>16s}"
    )
    for case in CASES[:1] if args.only_issue_case else CASES:
        _row(*case, repeats=args.repeats)


if __name__ == "__main__":
    main()
