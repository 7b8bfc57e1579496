"""One training epoch of the character model: humblenet against PyTorch (CPU), side by side in
one process, float32.

    python benchmarks/bench_char_epoch.py                  # the whole word list, 3 runs each
    python benchmarks/bench_char_epoch.py --words 8000     # a smaller list, for a quick look
    python benchmarks/bench_char_epoch.py --profile        # also where humblenet's time goes

The model is the one ``examples/tiny_transformer.py`` compares with: Embedding(V, 32) -> LSTM(32,
128, batch_first) -> Linear(128, V), cross-entropy over every position, Adam at 2e-3, batch 64.
The data is the word list (Debian's ``wamerican``, :func:`humblenet.data.text.load_words`): 90%
of the words, each as ``<bos> c h a r s <eos>``, joined into one stream cut into windows of 32
characters (``text.make_windows``). An epoch visits every window once in the order
``numpy.random.default_rng(seed).permutation``, the same for both libraries, from the same
initial weights (torch's model loads humblenet's state dict, strict). The runs alternate
(humblenet, PyTorch, humblenet, ...) so that a loaded machine slows both alike; each run's final
loss is printed too, so a reader sees both trained the same way.

It prints the median time of each, the ratio humblenet / PyTorch (above 1: slower), and with
``--profile`` humblenet's time per operation (forward and backward of each op, summed). Both use
``--threads`` threads (PyTorch's intra-op threads, NumPy's BLAS through threadpoolctl).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

import humblenet
from humblenet import Tensor, nn, optim
from humblenet import functional as F
from humblenet.data import text

try:
    import torch
except ImportError:  # pragma: no cover - the benchmark needs PyTorch as its baseline
    sys.exit('the benchmark compares with PyTorch: pip install "torch==2.13.0"')

EMBEDDING, HIDDEN, CONTEXT, BATCH, LEARNING_RATE = 32, 128, 32, 64, 2e-3


class CharModel(nn.Module):
    """Embedding -> LSTM -> Linear, over ids ``(B, T)``: the next character's scores."""

    def __init__(self, vocab_size: int) -> None:
        self.token = nn.Embedding(vocab_size, EMBEDDING, seed=0)
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True, seed=1)
        self.head = nn.Linear(HIDDEN, vocab_size, seed=2)

    def forward(self, ids: Any) -> Tensor:
        out, _ = self.lstm(self.token(ids))  # (B, T, H)
        return self.head(out)  # (B, T, V)


class TorchCharModel(torch.nn.Module):
    """The same model in torch, with the same attribute names (so the state dicts match)."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.token = torch.nn.Embedding(vocab_size, EMBEDDING)
        self.lstm = torch.nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.token(ids))
        return self.head(out)


def humblenet_epoch(model: CharModel, x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """One epoch; returns the mean loss of its last 20 batches."""
    order = np.random.default_rng(seed).permutation(len(x))
    optimizer = optim.Adam(model.parameters(), learning_rate=LEARNING_RATE)
    losses = []
    for start in range(0, len(x), BATCH):
        rows = order[start : start + BATCH]
        logits = model(x[rows])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[rows].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses[-20:]))


def torch_epoch(model: TorchCharModel, x: torch.Tensor, y: torch.Tensor, seed: int) -> float:
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x)))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for start in range(0, len(x), BATCH):
        rows = order[start : start + BATCH]
        logits = model(x[rows])
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y[rows].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses[-20:]))


def alternate(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Wall times of each run, the runs interleaved ``repeats`` times (each prints its loss)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            loss = run()
            times[name].append(time.perf_counter() - start)
            print(f"  {name:10s} {times[name][-1]:6.2f} s   final loss {loss:.4f}", flush=True)
    return times


def profile(run: Callable[[], float]) -> None:
    """humblenet's time per op over one epoch: each op's forward and backward, summed."""
    spent: dict[str, float] = defaultdict(float)
    make = Tensor._make

    def timed_make(data, parents, backward, op):  # type: ignore[no-untyped-def]
        def timed_backward(g):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            result = backward(g)
            spent[f"{op} backward"] += time.perf_counter() - start
            return result

        return make(data, parents, timed_backward, op)

    Tensor._make = staticmethod(timed_make)  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        run()
        total = time.perf_counter() - start
    finally:
        Tensor._make = make  # type: ignore[method-assign]
    print(f"\nwhere humblenet's epoch goes ({total:.2f} s in all; backward of each op, timed):")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1])[:12]:
        print(f"  {name:28s} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    rest = total - sum(spent.values())
    print(f"  {'the rest (forward, optimizer)':28s} {rest:7.2f} s  {100 * rest / total:5.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=None, help="use every k-th word, this many")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is missing: NumPy's BLAS keeps its own number of threads")
    else:
        threadpool_limits(args.threads, user_api="blas")

    words = text.load_words()
    if args.words is not None:
        words = words[:: max(1, len(words) // args.words)][: args.words]
    train_words, _ = text.split_documents(words, 0.1, seed=0)
    vocab = text.CharVocab.from_texts(words)
    x, y = text.make_windows(text.encode_documents(train_words, vocab), CONTEXT)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

    humblenet.manual_seed(0)
    model, reference = CharModel(len(vocab)), TorchCharModel(len(vocab))
    initial = model.state_dict()

    def run_humblenet() -> float:
        model.load_state_dict(initial)
        return humblenet_epoch(model, x, y, seed=1)

    def run_torch() -> float:
        reference.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in initial.items()})
        return torch_epoch(reference, x_t, y_t, seed=1)

    print(
        f"one epoch of the character LSTM: {len(x):,} windows of {CONTEXT} characters, batch "
        f"{BATCH} ({-(-len(x) // BATCH)} steps), vocabulary {len(vocab)}, embedding {EMBEDDING}, "
        f"hidden {HIDDEN}, Adam {LEARNING_RATE}, float32, {args.threads} threads"
    )
    times = alternate({"humblenet": run_humblenet, "pytorch": run_torch}, args.repeats)
    ours, theirs = (statistics.median(times[k]) for k in ("humblenet", "pytorch"))
    print(f"median of {args.repeats}: humblenet {ours:.2f} s   PyTorch {theirs:.2f} s   "
          f"ratio {ours / theirs:.2f}x")  # fmt: skip
    best = min(times["humblenet"]) / min(times["pytorch"])
    print(f"fastest of each: ratio {best:.2f}x")
    if args.profile:
        profile(run_humblenet)


if __name__ == "__main__":
    main()
