"""The cost of backing up a run every epoch: Fashion-MNIST's MLP (784-256-128-10, Adam, batch
size 32), one epoch with and without ``BackupAndRestore``, alternating so that a noisy machine
slows both alike; also the time of one ``save_checkpoint`` and one ``load_checkpoint`` alone.

    python benchmarks/bench_checkpoint.py            # 5 epochs of each
    python benchmarks/bench_checkpoint.py --repeats 2

The goal: a backup per epoch costs less than 2% of an epoch.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import humblenet
import humblenet.data
from humblenet import nn
from humblenet.training import BackupAndRestore, load_checkpoint, save_checkpoint


def load_images() -> tuple[np.ndarray, np.ndarray, str]:
    """Fashion-MNIST's training images as (60000, 784) float32, or random data of that shape."""
    try:
        data = humblenet.data.load_dataset("fashion-mnist", flatten=True)
        return data.x_train, data.y_train, "Fashion-MNIST"
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        x = rng.random((60000, 784), dtype=np.float32)
        return x, rng.integers(0, 10, 60000), "random data of Fashion-MNIST's shape"


def build() -> humblenet.Sequential:
    model = humblenet.Sequential(
        [
            nn.Dense(256, activation="relu", input_shape=(784,), seed=0),
            nn.Dense(128, activation="relu", seed=1),
            nn.Dense(10, activation="softmax", seed=2),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def epoch_seconds(x: np.ndarray, y: np.ndarray, folder: Path | None) -> float:
    """One epoch of fit; with ``folder``, BackupAndRestore writes its backup at the end."""
    model = build()
    callbacks = [] if folder is None else [BackupAndRestore(folder, delete_checkpoint=False)]
    started = time.perf_counter()
    # With delete_checkpoint=False the backup of the finished run is written as fit ends.
    model.fit(x, y, batch_size=32, epochs=1, seed=0, verbose=0, callbacks=callbacks)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    x, y, name = load_images()
    print(f"data: {name}, {len(x)} samples; MLP 784-256-128-10, Adam, batch size 32")
    plain, backed_up = [], []
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(repeats):
            plain.append(epoch_seconds(x, y, None))
            backed_up.append(epoch_seconds(x, y, Path(folder) / f"run{repeat}"))
        model = build()
        model.fit(x[:64], y[:64], epochs=1, verbose=0)  # so Adam has its state
        path = Path(folder) / "one.safetensors"
        saves, loads = [], []
        for _ in range(20):
            started = time.perf_counter()
            save_checkpoint(path, model=model, optimizer=model.optimizer, epoch=1)
            saves.append(time.perf_counter() - started)
            started = time.perf_counter()
            load_checkpoint(path, model=model, optimizer=model.optimizer)
            loads.append(time.perf_counter() - started)
        size = path.stat().st_size
    epoch, with_backup = statistics.median(plain), statistics.median(backed_up)
    save, load = statistics.median(saves), statistics.median(loads)
    print(f"epoch without backup:  {epoch:.3f} s (median of {repeats})")
    print(f"epoch with a backup:   {with_backup:.3f} s ({100 * (with_backup / epoch - 1):+.2f}%)")
    print(f"save_checkpoint alone: {1000 * save:.1f} ms = {100 * save / epoch:.2f}% of an epoch")
    print(f"load_checkpoint alone: {1000 * load:.1f} ms; file {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
