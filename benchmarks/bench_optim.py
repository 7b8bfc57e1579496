"""One optimizer step over a small MLP's parameters: the flat path, the reference path, and the
implementation before the fast path moved behind the optimizer's seam.

The parameters are those of a 784-256-128-10 MLP in float32: weights (256, 784), (128, 256),
(10, 128) and their biases. Each variant is timed for the same optimizer and hyperparameters:

- ``new flat``: ``humblenet.optim`` as it is, on separate parameter arrays with separate
  gradient arrays (what backward leaves); the step gathers the gradients itself.
- ``new reference``: the same optimizer forced onto its one-parameter-at-a-time update.
- ``old packed``: ``src/humblenet/optim.py`` at commit ``d34582f`` (loaded from git), on
  parameters packed as ``Module.pack_parameters`` packed them there: every ``.data`` a view of
  one flat array, and every gradient already written into a view of a second one (``_grad_buffer``)
  by backward, so its step had nothing to gather.
- ``old one at a time``: the same old code on unpacked parameters (its slow path).

The variants take turns, block by block, so that a noisy machine slows them alike; the script
prints the median time per step of each and its ratio to ``old packed``.

    python benchmarks/bench_optim.py                 # Adam and SGD with momentum
    python benchmarks/bench_optim.py --repeats 1000  # more blocks, steadier medians
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from humblenet import Tensor, optim

SHAPES = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]
OLD_COMMIT = "d34582f"
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "Adam": ("Adam", {"learning_rate": 1e-3}),
    "SGD momentum": ("SGD", {"learning_rate": 0.01, "momentum": 0.9}),
}


class _PackedParameter(Tensor):
    """A Tensor that may carry ``_grad_buffer`` (the old packed layout), slot or no slot."""


def separate_parameters(seed: int) -> list[Tensor]:
    """The MLP's parameters as separate arrays, each with a gradient of its own."""
    rng = np.random.default_rng(seed)
    params = []
    for shape in SHAPES:
        p = Tensor(rng.standard_normal(shape, dtype=np.float32) * 0.05, requires_grad=True)
        p.grad = rng.standard_normal(shape, dtype=np.float32) * 0.01
        params.append(p)
    return params


def packed_parameters(seed: int) -> list[Tensor]:
    """The same parameters laid out as the old ``Module.pack_parameters`` laid them out."""
    separate = separate_parameters(seed)
    total = sum(p.data.size for p in separate)
    data, grad = np.empty(total, dtype=np.float32), np.empty(total, dtype=np.float32)
    params: list[Tensor] = []
    start = 0
    for p in separate:
        part = slice(start, start + p.data.size)
        start += p.data.size
        packed = _PackedParameter(p.data, requires_grad=True)
        packed.data = data[part].reshape(p.shape)
        packed.data[...] = p.data
        packed._grad_buffer = grad[part].reshape(p.shape)
        packed._grad_buffer[...] = p.grad
        packed.grad = packed._grad_buffer
        params.append(packed)
    return params


def load_old_optim(commit: str) -> ModuleType | None:
    """``humblenet/optim.py`` as it was at ``commit``, loaded from git; None when unavailable."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        source = subprocess.run(
            ["git", "show", f"{commit}:src/humblenet/optim.py"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"(the old optimizer is not available from git: {error}; timing the new one only)")
        return None
    path = os.path.join(tempfile.mkdtemp(), "old_optim.py")
    with open(path, "w", encoding="utf-8") as file:
        file.write(source)
    spec = importlib.util.spec_from_file_location("humblenet_old_optim", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def variants(name: str, kwargs: dict[str, Any], old: ModuleType | None) -> dict[str, Callable]:
    """Each variant's step function, on its own copy of the parameters."""
    flat = getattr(optim, name)(separate_parameters(0), **kwargs)
    reference = getattr(optim, name)(separate_parameters(0), **kwargs)
    reference._use_flat_path = False
    steps = {"new flat": flat.step, "new reference": reference.step}
    if old is not None:
        packed = getattr(old, name)(packed_parameters(0), **kwargs)
        assert packed._flat is not None, "the old optimizer did not see packed parameters"
        loose = getattr(old, name)(separate_parameters(0), **kwargs)
        steps["old packed"] = packed.step
        steps["old one at a time"] = loose.step
    return steps


def time_steps(steps: dict[str, Callable], repeats: int, block: int) -> dict[str, list[float]]:
    """Seconds per step of each variant, one number per block, the variants taking turns."""
    for step in steps.values():
        for _ in range(20):  # warm up: allocate state and scratch, fill the caches
            step()
    times: dict[str, list[float]] = {label: [] for label in steps}
    labels = list(steps)
    for repeat in range(repeats):
        shift = repeat % len(labels)
        for label in labels[shift:] + labels[:shift]:
            step = steps[label]
            start = time.perf_counter()
            for _ in range(block):
                step()
            times[label].append((time.perf_counter() - start) / block)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=400, help="blocks per variant")
    parser.add_argument("--block", type=int, default=5, help="steps per block")
    parser.add_argument("--old-commit", default=OLD_COMMIT, help="the commit of the old optim.py")
    args = parser.parse_args()
    old = load_old_optim(args.old_commit)
    total = sum(int(np.prod(shape)) for shape in SHAPES)
    print(f"one step over {total:,} float32 parameters in {len(SHAPES)} arrays {SHAPES}")
    print(f"median of {args.repeats} blocks of {args.block} steps; NumPy {np.__version__}\n")
    for case, (name, kwargs) in CASES.items():
        times = time_steps(variants(name, kwargs, old), args.repeats, args.block)
        medians = {label: statistics.median(values) for label, values in times.items()}
        baseline = medians.get("old packed")
        print(f"{case} {kwargs}")
        for label, median in medians.items():
            ratio = f"  {median / baseline:5.2f}x old packed" if baseline else ""
            print(f"  {label:18s} {median * 1e6:8.1f} us per step{ratio}")
        print()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
