"""LSTM, GRU and RNN forward + backward: humblenet against PyTorch (CPU), side by side in one
process, float32, the same threads for both.

    python benchmarks/bench_rnn.py [--repeats 7] [--threads 2]

The issue's case is the first row: an LSTM over a sequence of 50 steps, batch 64, input 64,
hidden 128 (``(T, B, I)`` layout). Each row is the median of ``--repeats`` timed calls (after one
warm-up) of forward, a weighted sum of the output and the final states, and backward through
time to every weight and the input; the ratio is humblenet's time over PyTorch's (above 1:
slower). The forward-only rows run without gradients in both. The machine may be shared with
other work: run it twice and trust only what both runs agree on.
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

# name, humblenet class, torch class, options, (T, B, I, H)
CASES = [
    ("LSTM T50 B64 I64 H128", nn.LSTM, torch.nn.LSTM, {}, (50, 64, 64, 128)),
    ("GRU  T50 B64 I64 H128", nn.GRU, torch.nn.GRU, {}, (50, 64, 64, 128)),
    ("RNN  T50 B64 I64 H128", nn.RNN, torch.nn.RNN, {}, (50, 64, 64, 128)),
    ("LSTM 2 layers bidirectional T50 B64 I64 H128", nn.LSTM, torch.nn.LSTM,
     {"num_layers": 2, "bidirectional": True}, (50, 64, 64, 128)),
]  # fmt: skip


def _median_time(step: Callable[[], None], repeats: int) -> float:
    step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


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
        ours_s, ref_s = _median_time(mine, repeats), _median_time(theirs, repeats)
        print(
            f"{name:46s} {label:18s} {ours_s * 1e3:9.2f} ms {ref_s * 1e3:9.2f} ms "
            f"{ours_s / ref_s:6.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only-issue-case", action="store_true", help="just the first row")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"float32, {args.threads} threads, median of {args.repeats}")
    print(f"{'case':46s} {'pass':18s} {'humblenet':>12s} {'pytorch':>12s} {'ratio':>7s}")
    for case in CASES[:1] if args.only_issue_case else CASES:
        _row(*case, repeats=args.repeats)


if __name__ == "__main__":
    main()
