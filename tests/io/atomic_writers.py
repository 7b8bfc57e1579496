"""Every kind of file humblenet writes, each written the way a user writes it, in two versions,
with a check that a file on disk is whole and loads. Used by test_atomic.py in its own process
and, for the kill -9 cases, as a script::

    python atomic_writers.py KIND PATH VERSION    # write; SIGKILL half-way through the bytes
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np

import humblenet
from humblenet import nn
from humblenet.io import atomic
from humblenet.training.callbacks import ModelCheckpoint

KINDS = ("model", "weights", "checkpoint", "onnx", "plot", "predictions", "model_checkpoint")
NAMES = {
    "model": "model.safetensors",
    "weights": "weights.safetensors",
    "checkpoint": "run.safetensors",
    "onnx": "model.onnx",
    "plot": "curves.png",
    "predictions": "predictions.csv",
    "model_checkpoint": "best.safetensors",
}


def model(version: int) -> humblenet.Sequential:
    """A small classifier whose weights depend on ``version``."""
    network = humblenet.Sequential(
        [
            nn.Dense(6, activation="relu", input_shape=(3,), seed=version),
            nn.Dense(2, activation="softmax", seed=version + 10),
        ]
    )
    network.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return network


def write(kind: str, path: Path, version: int) -> None:
    """Write version ``version`` of a file of ``kind`` to ``path``."""
    network = model(version)
    if kind == "model":
        network.save(path)
    elif kind == "weights":
        network.save_weights(path)
    elif kind == "checkpoint":
        humblenet.save_checkpoint(path, model=network, optimizer=network.optimizer, v=version)
    elif kind == "onnx":
        from humblenet.io.onnx import export_onnx

        export_onnx(network, path)
    elif kind == "plot":
        from humblenet.plots import plot_history

        plot_history({"loss": [1.0, 0.5 / version, 0.2]}, path)
    elif kind == "predictions":
        from humblenet.cli._common import UserError, write_text  # `humblenet predict --output`

        outputs = network.predict(np.ones((4, 3), dtype=np.float32))
        try:
            write_text(path, "p0,p1\n" + "".join(f"{a},{b}\n" for a, b in outputs))
        except UserError as error:  # the command line's one line; the cause is the write's
            assert str(path) in str(error) and ".tmp" not in str(error)
            raise error.__cause__ from None  # type: ignore[misc]
    elif kind == "model_checkpoint":
        callback = ModelCheckpoint(path, monitor="loss", save_best_only=True)
        callback.set_model(network)
        callback.on_epoch_end(0, {"loss": 1.0 / version})
    else:
        raise ValueError(kind)


def check(kind: str, path: Path) -> None:
    """Raise unless the file at ``path`` is a whole file of ``kind`` that loads."""
    if kind in ("model", "model_checkpoint"):
        humblenet.load(path).predict(np.ones((1, 3), dtype=np.float32))
    elif kind == "weights":
        model(1).load_state_dict(path)
    elif kind == "checkpoint":
        network = model(1)
        humblenet.load_checkpoint(path, model=network, optimizer=network.optimizer)
    elif kind == "onnx":
        import onnx

        onnx.checker.check_model(onnx.load(str(path)))
    elif kind == "plot":
        from matplotlib.image import imread

        assert imread(path).ndim == 3
    elif kind == "predictions":
        rows = path.read_text().splitlines()
        assert rows[0] == "p0,p1" and len(rows) == 5
        json.dumps([float(v) for row in rows[1:] for v in row.split(",")])
    else:
        raise ValueError(kind)


def _killed_half_way(handle: object, data: bytes) -> None:
    handle.write(data[: len(data) // 2])  # type: ignore[attr-defined]
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    atomic._write_all = _killed_half_way
    write(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
    raise SystemExit("not killed")
