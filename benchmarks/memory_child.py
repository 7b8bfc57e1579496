"""One training epoch (784-256-128-10, Adam, batch 128) with ONE library, for peak memory.

Run by bench_train.py in a fresh process per library, so each process holds only what its own
library needs. Prints two numbers in MiB: the peak resident set size of the whole process, and
the peak during training above the resident size just before it (data and imports loaded).

    python benchmarks/memory_child.py humblenet|pytorch
"""

from __future__ import annotations

import sys

import numpy as np


def resident_mib(field: str) -> float:
    """A field of /proc/self/status (VmRSS now, VmHWM the peak), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def load() -> tuple[np.ndarray, np.ndarray]:
    from humblenet.data import load_dataset

    try:
        ds = load_dataset("fashion-mnist", flatten=True)
        return ds.x_train, ds.y_train
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000)


def train_humblenet(x: np.ndarray, y: np.ndarray) -> None:
    import humblenet
    from humblenet import nn, optim

    model = humblenet.Sequential(
        [nn.Dense(256, activation="relu", seed=0), nn.Dense(128, activation="relu", seed=1),
         nn.Dense(10, seed=2)]
    )  # fmt: skip
    model.build((784,))
    start = resident_mib("VmRSS")
    reset_peak()
    model.compile(optimizer=optim.Adam(model.parameters()),
                  loss=nn.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    model.fit(x, y, batch_size=128, epochs=1, shuffle=True, seed=1, verbose=0)
    report(start)


def train_pytorch(x: np.ndarray, y: np.ndarray, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )  # fmt: skip
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    start = resident_mib("VmRSS")
    reset_peak()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.from_numpy(np.random.default_rng(1).permutation(len(x)))
    for i in range(0, len(x), 128):
        index = order[i : i + 128]
        loss = loss_fn(model(x_t[index]), y_t[index])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss.item()
    report(start)


def reset_peak() -> None:
    """Start the peak (VmHWM) afresh from the current resident size (Linux clear_refs 5)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def report(start: float) -> None:
    peak = resident_mib("VmHWM")
    print(f"{peak:.1f} {peak - start:.1f} {start:.1f}")


if __name__ == "__main__":
    x, y = load()
    if sys.argv[1] == "humblenet":
        train_humblenet(x, y)
    else:
        train_pytorch(x, y, int(sys.argv[2]) if len(sys.argv) > 2 else 2)
