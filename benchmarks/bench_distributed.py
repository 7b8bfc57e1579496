"""Data-parallel ``fit`` on 1 and 2 ranks: epoch time, allreduce time per step, its share of the
step, and the raw allreduce of one step's gradients (the figures README's scaling model uses).

Two networks, on random data of Fashion-MNIST's shape (no download; the time per step does not
depend on the values), float32, Adam, one thread per rank:

- the Fashion-MNIST MLP 784-256-128-10, batch 128 (global);
- the series' part 9 network 784-512-216-128-64-32-16-10, batch 15 (global).

    python benchmarks/bench_distributed.py              # launches mpiexec -n 1 and -n 2 itself
    python benchmarks/bench_distributed.py --overlap    # the Iallreduce variant as well

Each configuration trains ``--epochs`` epochs (the first one warms up and is not counted) and
prints the median epoch time. The allreduce time is measured around the gradient averaging
(pack, ``Allreduce`` of the fused buffer, unpack) inside fit, per step; with 2 ranks on 2 cores
it includes the time one rank waits for the other to finish its backward.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

NETWORKS = {
    "MLP 784-256-128-10, batch 128": ([256, 128], 128, 15360),
    "part 9 784-512-216-128-64-32-16-10, batch 15": ([512, 216, 128, 64, 32, 16], 15, 3600),
}


def _worker(epochs: int, overlap: bool) -> None:
    from humblenet import distributed
    from humblenet.nn import Dense
    from humblenet.training.model import Sequential

    parallel_class = distributed._DataParallelFit
    spent: list[float] = []

    def timed_average(self: distributed._DataParallelFit) -> None:
        started = time.perf_counter()
        if overlap:
            self.averager.average_overlapped()
        else:
            self.averager.average()
        spent.append(time.perf_counter() - started)

    parallel_class.average_gradients = timed_average  # type: ignore[method-assign]
    rank, size = distributed.rank(), distributed.size()
    for name, (hidden, batch, samples) in NETWORKS.items():
        rng = np.random.default_rng(0)
        x = rng.random((samples, 784), dtype=np.float32)
        y = rng.integers(0, 10, samples)
        layers = [Dense(units, activation="relu", seed=i) for i, units in enumerate(hidden)]
        model = Sequential([*layers, Dense(10, activation="softmax", seed=99)])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.build((784,))
        steps = -(-samples // batch)
        epoch_times, reduce_times = [], []
        for _ in range(epochs):
            spent.clear()
            started = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, seed=0)
            epoch_times.append(time.perf_counter() - started)
            reduce_times.append(sum(spent) / steps)
        epoch = statistics.median(epoch_times[1:])
        reduce = statistics.median(reduce_times[1:])
        raw = _raw_allreduce(model) if size > 1 else 0.0
        if rank == 0:
            step = epoch / steps
            print(
                f"{size} rank(s), {name}: epoch {epoch:.3f} s ({steps} steps, "
                f"{step * 1e3:.3f} ms/step), allreduce {reduce * 1e3:.3f} ms/step "
                f"({reduce / step:.0%} of the step), raw Allreduce of "
                f"{sum(p.data.nbytes for p in model.parameters()) / 1e6:.2f} MB: "
                f"{raw * 1e6:.0f} us",
                flush=True,
            )


def _raw_allreduce(model: object) -> float:
    """The median time of the Allreduce alone over one step's fused gradient buffer, the ranks
    lined up by a barrier first (no waiting for a slower rank's backward)."""
    from mpi4py import MPI

    parameters = model.parameters()  # type: ignore[attr-defined]
    buffer = np.zeros(sum(p.data.size for p in parameters), dtype=np.float32)
    comm, times = MPI.COMM_WORLD, []
    for _ in range(200):
        comm.Barrier()
        started = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (first: warm-up)")
    parser.add_argument("--overlap", action="store_true", help="also time the Iallreduce path")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.epochs, args.overlap)
        return
    mpiexec = Path(sys.executable).parent / "mpiexec"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the start")
    variants = [False, True] if args.overlap else [False]
    for overlap in variants:
        for ranks in (1, 2):
            if overlap and ranks == 1:
                continue
            print("Iallreduce (overlap) variant:" if overlap else "Allreduce:", flush=True)
            command = [str(mpiexec), "-n", str(ranks), sys.executable, __file__, "--worker"]
            command += ["--epochs", str(args.epochs)] + (["--overlap"] if overlap else [])
            subprocess.run(command, env=env, check=True, timeout=600)


if __name__ == "__main__":
    main()
