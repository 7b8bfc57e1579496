"""One training epoch of a small Fashion-MNIST CNN: humblenet against PyTorch (CPU), side by side
in one process.

The network (NCHW, as torch writes it): Conv2d(1, 16, 3, padding=1), ReLU, MaxPool2d(2),
Conv2d(16, 32, 3, padding=1), ReLU, MaxPool2d(2), Flatten, Linear(32 * 7 * 7, 10); Adam at 1e-3,
batch 64, cross-entropy on logits. Both libraries start each run from the same initial weights
and see the same batches in the same order (numpy's ``default_rng(seed).permutation``); the runs
alternate (humblenet, PyTorch, humblenet, ...) so that a loaded machine slows both alike.

    python benchmarks/bench_cnn_epoch.py                  # 60,000 images, 3 runs each
    python benchmarks/bench_cnn_epoch.py --samples 6000   # a tenth of an epoch
    python benchmarks/bench_cnn_epoch.py --profile        # also where humblenet's time goes
    python benchmarks/bench_cnn_epoch.py --batch-norm     # small_cnn: a BatchNorm2d in each block

It prints the median time of each, the ratio humblenet / PyTorch (above 1: slower) and, with
``--profile``, humblenet's time per operation (forward and backward of each op, summed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np

import humblenet
import humblenet.data
from humblenet import nn, optim
from humblenet.models import small_cnn

try:
    import torch
except ImportError:  # pragma: no cover - the benchmark needs PyTorch as its baseline
    sys.exit('the benchmark compares with PyTorch: pip install "torch==2.13.0"')


def build_pair(batch_norm: bool = False) -> tuple[humblenet.Sequential, torch.nn.Sequential]:
    """The same CNN in both libraries; torch's starts from humblenet's weights. With
    ``batch_norm``, ``humblenet.models.small_cnn`` (the network ``tests/test_real_data_cnn.py``
    trains to 0.91; logits out) and its twin with a ``BatchNorm2d`` after each convolution."""
    if batch_norm:
        return _build_batch_norm_pair()
    model = humblenet.Sequential(
        [
            nn.Conv2d(1, 16, 3, padding=1, seed=0),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, seed=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 10, seed=2),
        ]
    )
    model.build((1, 28, 28))
    reference = torch_twin(batch_norm=False)
    copy_weights(model, reference)
    return model, reference


def _build_batch_norm_pair() -> tuple[humblenet.Sequential, torch.nn.Sequential]:
    model = small_cnn(channels=1, image_size=28, num_classes=10, seed=0, activation=None)
    model.build((1, 28, 28))
    reference = torch_twin(batch_norm=True)
    copy_weights(model, reference)
    return model, reference


def torch_twin(batch_norm: bool) -> torch.nn.Sequential:
    """The network in torch: two blocks of Conv2d 3x3 (with a BatchNorm2d after it when
    ``batch_norm``), ReLU and MaxPool2d 2, then Flatten and Linear."""
    tn = torch.nn
    layers: list[torch.nn.Module] = []
    for before, after in ((1, 16), (16, 32)):
        layers.append(tn.Conv2d(before, after, 3, padding=1))
        if batch_norm:
            layers.append(tn.BatchNorm2d(after))
        layers += [tn.ReLU(), tn.MaxPool2d(2)]
    return tn.Sequential(*layers, tn.Flatten(), tn.Linear(32 * 7 * 7, 10))


def copy_weights(model: humblenet.Sequential, reference: torch.nn.Sequential) -> None:
    # the names agree: humblenet numbers its layers as torch.nn.Sequential does
    state = {name: torch.from_numpy(value) for name, value in model.state_dict().items()}
    reference.load_state_dict(state, strict=True)


def humblenet_epoch(
    model: humblenet.Sequential, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int
) -> None:
    model.compile(
        optimizer=optim.Adam(model.parameters(), learning_rate=1e-3),
        loss=nn.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=True, seed=seed, verbose=0)


def torch_epoch(
    model: torch.nn.Sequential, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int
) -> None:
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    for start in range(0, len(x), batch_size):
        index = order[start : start + batch_size]
        loss = loss_fn(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss.item()


def alternate(
    runs: dict[str, Callable[[], None]],
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median time of each run by ``clock``, the runs interleaved ``repeats`` times."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = clock()
            run()
            times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def profile(model: humblenet.Sequential, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
    """humblenet's time per op over one epoch: each op's forward (its layer's call) and backward."""
    spent: dict[str, float] = defaultdict(float)
    originals = {}
    make = humblenet.Tensor._make

    def timed_make(data, parents, backward, op):  # type: ignore[no-untyped-def]
        def timed_backward(g):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            result = backward(g)
            spent[f"{op} backward"] += time.perf_counter() - start
            return result

        return make(data, parents, timed_backward, op)

    def timing(forward: Callable, name: str) -> Callable:
        def timed_forward(*args):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            result = forward(*args)
            spent[f"{name} forward"] += time.perf_counter() - start
            return result

        return timed_forward

    for layer in model.layers:
        originals[layer] = layer.forward
        layer.forward = timing(layer.forward, type(layer).__name__)  # type: ignore[method-assign]
    humblenet.Tensor._make = staticmethod(timed_make)  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        humblenet_epoch(model, x, y, batch_size, seed=1)
        total = time.perf_counter() - start
    finally:
        humblenet.Tensor._make = make  # type: ignore[method-assign]
        for layer, forward in originals.items():
            layer.forward = forward  # type: ignore[method-assign]
    print(f"\nwhere humblenet's epoch goes ({total:.2f} s in all, timed with hooks):")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {name:28s} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    rest = total - sum(v for k, v in spent.items() if "forward" in k or "backward" in k)
    print(f"  {'the rest (loss, optimizer, loader)':28s} {rest:7.2f} s  (roughly)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--batch-norm", action="store_true", help="small_cnn: a BatchNorm2d in each block"
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: the process's CPU time (with one thread each, the time spent computing, "
        "less the waits for a core that a shared machine adds)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ds = humblenet.data.load_dataset("fashion-mnist")
    x = ds.x_train[: args.samples, None].astype(np.float32)  # (N, 1, 28, 28)
    y = ds.y_train[: args.samples].astype(np.int64)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
    model, reference = build_pair(args.batch_norm)
    initial = model.state_dict()

    def run_humblenet() -> None:
        model.load_state_dict(initial)
        humblenet_epoch(model, x, y, 64, seed=1)

    def run_torch() -> None:
        reference.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()})
        torch_epoch(reference, x_t, y_t, 64, seed=1)

    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    medians = alternate({"humblenet": run_humblenet, "pytorch": run_torch}, args.repeats, clock)
    name = "small_cnn (with batch norm)" if args.batch_norm else "the CNN"
    print(f"one epoch of {name}, {len(x)} images, batch 64, Adam, float32 ({args.clock} time):")
    print(
        f"  humblenet {medians['humblenet']:.2f} s   PyTorch {medians['pytorch']:.2f} s   "
        f"ratio {medians['humblenet'] / medians['pytorch']:.2f}x"
    )
    if args.profile:
        model.load_state_dict(initial)
        profile(model, x, y, 64)


if __name__ == "__main__":
    main()
