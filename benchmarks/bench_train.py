"""humblenet against PyTorch on a CPU, side by side in one process.

Both train the same network from the same initial weights on the same batches (the same seeded
permutation) with the same optimizer; the runs alternate (humblenet, PyTorch, humblenet, ...) so
that a noisy machine slows both alike. The script prints the median time of each and the ratio
humblenet / PyTorch, and the fraction of the matrix-product floor each reaches (the epoch's
FLOPs divided by this machine's measured peak float32 matrix-product rate).

    python benchmarks/bench_train.py            # every case (a few minutes on 2 cores)
    python benchmarks/bench_train.py --quick    # fewer repeats
    python benchmarks/bench_train.py --eager    # without fit's captured step (the eager path)

Peak memory (resident set size) is measured in separate processes, one per library. Each row
ends with the issue's goal for the ratio (issue 18) and the machine's load average (1 minute)
when the case finished: on a shared machine the other jobs' load slows both libraries, PyTorch's
threads more than humblenet's (which trains small batches with one BLAS thread), so a ratio
taken under load flatters humblenet; compare quiet figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

import humblenet
import humblenet.data
from humblenet import nn, optim
from humblenet.optim import _fused  # noqa: F401  (optim._fused: which Adam kernel runs)
from humblenet.training import capture
from humblenet.training.threads import ONE_THREAD_BELOW

try:
    import torch
except ImportError:  # pragma: no cover - the benchmark needs PyTorch as its baseline
    sys.exit('the benchmark compares with PyTorch: pip install "torch==2.13.0"')

HERE = os.path.dirname(os.path.abspath(__file__))


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses (threadpoolctl when installed, else the core count)."""
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return int(pool["num_threads"])
    except ImportError:
        pass
    return os.cpu_count() or 1


def load_images() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Fashion-MNIST flattened to (N, 784) float32, or random data of that shape when absent."""
    try:
        ds = humblenet.data.load_dataset("fashion-mnist", flatten=True)
        return ds.x_train, ds.y_train, ds.x_test, ds.y_test, "Fashion-MNIST"
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        x = rng.random((60000, 784), dtype=np.float32)
        xt = rng.random((10000, 784), dtype=np.float32)
        y, yt = rng.integers(0, 10, 60000), rng.integers(0, 10, 10000)
        return x, y, xt, yt, "random data of Fashion-MNIST's shape (the data set is absent)"


# -- the two models ------------------------------------------------------------------------------


def build_pair(sizes: list[int], seed: int) -> tuple[humblenet.Sequential, torch.nn.Sequential]:
    """The same MLP in both libraries (ReLU between layers, logits out), with equal weights."""
    layers: list[nn.Module] = [
        nn.Dense(n, activation="relu", seed=seed + i) for i, n in enumerate(sizes[1:-1])
    ]
    layers.append(nn.Dense(sizes[-1], seed=seed + 99))
    model = humblenet.Sequential(layers)
    model.build((sizes[0],))
    modules: list[torch.nn.Module] = []
    for i in range(len(sizes) - 1):
        modules.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            modules.append(torch.nn.ReLU())
    reference = torch.nn.Sequential(*modules)
    copy_weights(model, reference)
    return model, reference


def copy_weights(model: humblenet.Sequential, reference: torch.nn.Sequential) -> None:
    linears = [m for m in reference if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for layer, linear in zip(model.layers, linears, strict=True):
            linear.weight.copy_(torch.from_numpy(layer.weight.data))  # type: ignore[union-attr]
            linear.bias.copy_(torch.from_numpy(layer.bias.data))  # type: ignore[union-attr]


def epoch_flops(sizes: list[int], samples: int) -> float:
    """Matrix-product FLOPs of one epoch: forward, weight gradient, input gradient (not layer 1)."""
    products = [sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1)]
    return 2.0 * samples * (3 * sum(products) - products[0])


# -- one epoch each ------------------------------------------------------------------------------


def humblenet_epoch(
    model: humblenet.Sequential, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, lr: float
) -> None:
    model.compile(
        optimizer=optim.Adam(model.parameters(), learning_rate=lr),
        loss=nn.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=True, seed=seed, verbose=0)


def torch_epoch(
    model: torch.nn.Sequential,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    seed: int,
    lr: float,
) -> None:
    # The same order as humblenet's loader: numpy's default_rng(seed).permutation.
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x)))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    total = 0.0
    for start in range(0, len(x), batch_size):
        index = order[start : start + batch_size]
        loss = loss_fn(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item()


# Seconds to wait before each timed run, so that it starts after the other library's idle
# threads have stopped spinning: OpenBLAS's threads (NumPy's BLAS) spin for about 0.1 s after a
# product before they sleep, taking a core from whatever runs next. Measured here (one process,
# PyTorch's inference of 10,000 images, best of 7): 29.6 ms after a pause, 56.9 ms right after
# NumPy's two-thread products. `--settle 0` times the runs back to back, as before.
SETTLE = 0.3


def alternate(runs: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median wall time of each run, the runs interleaved ``repeats`` times."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            time.sleep(SETTLE)
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def gemm_peak(threads: int) -> float:
    """The best float32 matrix-product rate (FLOP/s) of NumPy and of PyTorch on this machine."""
    n = 2048
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    ta = torch.from_numpy(a)
    best = 0.0
    for fn in (lambda: a @ a, lambda: ta @ ta):
        fn()
        for _ in range(5):
            start = time.perf_counter()
            fn()
            best = max(best, 2.0 * n**3 / (time.perf_counter() - start))
    return best


def products_alone(sizes: list[int], samples: int, batch_size: int, training: bool) -> float:
    """Seconds that NumPy's BLAS takes for the epoch's matrix products alone, at its shapes and
    in the operand layouts that ``functional.linear`` hands it (forward ``x @ w.T``; backward
    ``g @ w`` and ``g.T @ x``, no input gradient for the first layer), with nothing else run:
    a lower bound for humblenet's epoch, which no elementwise work or Python can beat. Batches
    of one size reuse their operands (warm in cache, so the bound is generous), and the faster of
    one BLAS thread and BLAS's own count is taken, as ``fit`` may pick either."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    weights = [rng.random((n_out, n_in), dtype=np.float32) for n_in, n_out in pairwise(sizes)]
    sizes_of_batches = [min(batch_size, samples - s) for s in range(0, samples, batch_size)]

    def epoch() -> None:
        cache: dict[int, list[np.ndarray]] = {}
        for n in sizes_of_batches:
            acts = cache.get(n)
            if acts is None:
                acts = cache[n] = [rng.random((n, k), dtype=np.float32) for k in sizes]
            for i, w in enumerate(weights):  # forward
                np.matmul(acts[i], w.T)
            if training:
                for i in range(len(weights) - 1, -1, -1):  # backward: g is acts[i + 1]
                    np.matmul(acts[i + 1].T, acts[i])
                    if i > 0:
                        np.matmul(acts[i + 1], weights[i])

    best = float("inf")
    for limit in (1, None):
        with threadpool_limits(limit, user_api="blas") if limit else contextlib.nullcontext():
            epoch()
            for _ in range(3):
                start = time.perf_counter()
                epoch()
                best = min(best, time.perf_counter() - start)
    return best


# -- the cases -----------------------------------------------------------------------------------


def training_case(
    name: str,
    sizes: list[int],
    batch_size: int,
    data: tuple[Any, ...],
    repeats: int,
    peak: float,
    samples: int | None = None,
) -> dict[str, Any]:
    x, y = data[0], data[1]
    if samples is not None:
        x, y = x[:samples], y[:samples]
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    model, reference = build_pair(sizes, seed=0)
    initial, _ = build_pair(sizes, seed=0)  # both runs restart from these weights

    def run_humblenet() -> None:
        model.load_state_dict(initial.state_dict())
        humblenet_epoch(model, x, y, batch_size, seed=1, lr=1e-3)

    def run_torch() -> None:
        copy_weights(initial, reference)
        torch_epoch(reference, x_t, y_t, batch_size, seed=1, lr=1e-3)

    medians = alternate({"humblenet": run_humblenet, "pytorch": run_torch}, repeats)
    floor = epoch_flops(sizes, len(x)) / peak
    return {
        "case": name,
        "products_alone_s": products_alone(sizes, len(x), batch_size, training=True),
        "humblenet_s": medians["humblenet"],
        "pytorch_s": medians["pytorch"],
        "ratio": medians["humblenet"] / medians["pytorch"],
        "gemm_floor_s": floor,
        "humblenet_floor_fraction": floor / medians["humblenet"],
        "pytorch_floor_fraction": floor / medians["pytorch"],
    }


def inference_case(data: tuple[Any, ...], repeats: int, peak: float) -> dict[str, Any]:
    x_test = data[2]
    sizes = [784, 256, 128, 10]
    model, reference = build_pair(sizes, seed=0)
    model.compile(optimizer="adam", loss=nn.SparseCategoricalCrossentropy(from_logits=True))
    x_t = torch.from_numpy(x_test)
    reference.eval()
    batch = 1024

    def run_torch() -> None:
        with torch.inference_mode():
            torch.cat([reference(x_t[i : i + batch]) for i in range(0, len(x_t), batch)]).numpy()

    medians = alternate(
        {"humblenet": lambda: model.predict(x_test, batch_size=batch), "pytorch": run_torch},
        repeats * 3,
    )
    products = [sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1)]
    floor = 2.0 * len(x_test) * sum(products) / peak  # forward products only
    return {
        "case": "inference, 784-256-128-10 on 10,000 test images (batch 1024)",
        "products_alone_s": products_alone(sizes, len(x_test), batch, training=False),
        "humblenet_s": medians["humblenet"],
        "pytorch_s": medians["pytorch"],
        "ratio": medians["humblenet"] / medians["pytorch"],
        "gemm_floor_s": floor,
        "humblenet_floor_fraction": floor / medians["humblenet"],
        "pytorch_floor_fraction": floor / medians["pytorch"],
    }


def tiny_op_case() -> dict[str, Any]:
    """Per-call overhead: one addition of two 1-element tensors that require gradients."""
    from humblenet import Tensor

    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    ta = torch.tensor([1.0], requires_grad=True)
    tb = torch.tensor([2.0], requires_grad=True)
    calls = 20000

    def loop(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                fn()

        return run

    medians = alternate({"humblenet": loop(lambda: a + b), "pytorch": loop(lambda: ta + tb)}, 5)
    return {
        "case": "one tiny op (a + b, 1 element, with grad), per call",
        "humblenet_s": medians["humblenet"] / calls,
        "pytorch_s": medians["pytorch"] / calls,
        "ratio": medians["humblenet"] / medians["pytorch"],
    }


def import_case(repeats: int) -> dict[str, Any]:
    """Wall time of a fresh interpreter importing what a training script needs."""
    statements = {
        "humblenet": "import humblenet, humblenet.nn, humblenet.optim, humblenet.training",
        "pytorch": "import torch",
    }
    code = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
    times: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(repeats):
        for name, statement in statements.items():
            out = subprocess.run(
                [sys.executable, "-c", code.format(statement)],
                capture_output=True,
                text=True,
                check=True,
            )
            times[name].append(float(out.stdout))
    h, p = statistics.median(times["humblenet"]), statistics.median(times["pytorch"])
    return {"case": "import (fresh interpreter)", "humblenet_s": h, "pytorch_s": p, "ratio": h / p}


def memory_case(threads: int) -> dict[str, Any]:
    """Peak resident memory of one training epoch (784-256-128-10, batch 128), one process each.

    Each process imports only its own library (humblenet.data loads the data in both).
    """
    child = os.path.join(HERE, "memory_child.py")
    peaks, growth = {}, {}
    for library in ("humblenet", "pytorch"):
        out = subprocess.run(
            [sys.executable, child, library, str(threads)],
            capture_output=True,
            text=True,
            check=True,
        )
        peak, grown, _ = (float(v) for v in out.stdout.split())
        peaks[library], growth[library] = peak, grown
    return {
        "case": "peak memory (RSS, MiB) of one epoch at batch 128, a process each",
        "humblenet_s": peaks["humblenet"],
        "pytorch_s": peaks["pytorch"],
        "ratio": peaks["humblenet"] / peaks["pytorch"],
        "growth_during_training_mib": growth,
    }


def main() -> None:
    global SETTLE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument(
        "--settle",
        type=float,
        default=SETTLE,
        help=f"seconds to wait before each timed run (default {SETTLE}; see SETTLE)",
    )
    parser.add_argument(
        "--eager",
        action="store_true",
        help="turn off fit's captured step (HUMBLENET_CAPTURE=0): the eager path's figures",
    )
    args = parser.parse_args()
    if args.eager:
        os.environ["HUMBLENET_CAPTURE"] = "0"  # read at each fit, and by the memory children
    SETTLE = args.settle
    threads = blas_threads()
    torch.set_num_threads(threads)
    data = load_images()
    repeats = 3 if args.quick else 5
    peak = gemm_peak(threads)
    # Warm-up outside the timings: numba compiles Adam's fused kernel at its first step (or
    # reads it from its cache), once per process.
    warm, _ = build_pair([784, 256, 128, 10], seed=0)
    humblenet_epoch(warm, data[0][:512], data[1][:512], 128, seed=0, lr=1e-3)
    kernel = "numba, one pass" if optim._fused.adam_kernel() else "NumPy passes"
    print(
        f"data: {data[4]}; threads: NumPy BLAS {threads}, torch {torch.get_num_threads()}; "
        f"NumPy {np.__version__}, PyTorch {torch.__version__}; Adam's flat kernel: {kernel}; "
        f"humblenet's fit uses one BLAS thread below batch {ONE_THREAD_BELOW}; "
        f"captured step: {'on' if capture.enabled() else 'off (--eager)'}; "
        f"{SETTLE} s pause before each timed run"
    )
    print(f"peak float32 matrix product on this machine: {peak / 1e9:.0f} GFLOP/s")
    cases: list[Callable[[], dict[str, Any]]] = [
        lambda: training_case(
            "train 784-256-128-10, Adam, batch 128, one epoch",
            [784, 256, 128, 10],
            128,
            data,
            repeats,
            peak,
        ),
        lambda: training_case(
            "train 784-256-128-10, Adam, batch 15, one epoch",
            [784, 256, 128, 10],
            15,
            data,
            max(repeats - 2, 1),
            peak,
        ),
        lambda: training_case(
            "train part 9's 784-512-216-128-64-32-16-10, Adam, batch 15, one epoch",
            [784, 512, 216, 128, 64, 32, 16, 10],
            15,
            data,
            max(repeats - 2, 1),
            peak,
        ),
        lambda: inference_case(data, repeats, peak),
        tiny_op_case,
        lambda: import_case(repeats),
        lambda: memory_case(threads),
    ]
    names = ["batch 128", "batch 15,", "part 9", "inference", "tiny", "import", "memory"]
    # Issue 18's goals for the ratio humblenet / PyTorch (batch 128: about 80% of the floor).
    goals = {"batch 128": 0.55, "batch 15,": 0.5, "part 9": 0.5, "inference": 0.5}
    results = []
    print(
        f"\n{'case':<72} {'humblenet':>10} {'pytorch':>10} {'ratio':>7} {'floor% hn/pt':>13}"
        f" {'goal':>11} {'load':>5}"
    )
    for name, case in zip(names, cases, strict=True):
        if args.only and args.only not in name:
            continue
        r = case()
        r["load_average"] = os.getloadavg()[0]
        results.append(r)
        unit = " MiB" if "memory" in r["case"] else (" us" if "per call" in r["case"] else " s")
        scale = 1e6 if unit == " us" else 1.0
        floor = ""
        if "humblenet_floor_fraction" in r:
            floor = (
                f"{100 * r['humblenet_floor_fraction']:.0f}/{100 * r['pytorch_floor_fraction']:.0f}"
            )
        goal = ""
        if name in goals:
            r["goal"] = goals[name]
            goal = f"<={goals[name]} {'met' if r['ratio'] <= goals[name] else 'missed'}"
        print(
            f"{r['case']:<72} {r['humblenet_s'] * scale:>8.3f}{unit:<3}"
            f"{r['pytorch_s'] * scale:>8.3f}{unit:<3} {r['ratio']:>6.2f} {floor:>13}"
            f" {goal:>11} {r['load_average']:>5.1f}",
            flush=True,
        )
    print(
        "\nthe matrix products alone (NumPy's BLAS at the epoch's shapes, nothing else): the "
        "best ratio humblenet could reach"
    )
    for r in results:
        if "products_alone_s" in r:
            print(
                f"  {r['case']:<72} {r['products_alone_s']:.3f} s = "
                f"{r['products_alone_s'] / r['pytorch_s']:.2f} of PyTorch's time, "
                f"{r['products_alone_s'] / r['humblenet_s']:.0%} of humblenet's"
            )
    for r in results:
        if "growth_during_training_mib" in r:
            g = r["growth_during_training_mib"]
            print(
                f"memory added while training (after imports and data): humblenet "
                f"{g['humblenet']:.0f} MiB, PyTorch {g['pytorch']:.0f} MiB"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"peak_flops": peak, "threads": threads, "data": data[4], "results": results},
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
