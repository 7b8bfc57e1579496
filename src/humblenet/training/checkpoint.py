"""Checkpoints: everything a training run depends on, in one file, so a run can stop anywhere
(a crash, a killed job, Ctrl-C) and go on to the same numbers it would have reached.

A checkpoint is one safetensors file, written atomically (:mod:`humblenet.io.atomic`): the
arrays (the model's weights and buffers under ``model.<name>``, the optimizer's state arrays
under ``optimizer.<parameter index>.<name>``) and, in its metadata, one JSON document with the
rest: the optimizer's step counts and hyperparameters, the learning-rate schedule's state, the
state of every random generator the model draws from (humblenet's default generator and each
layer's own ``_rng``, e.g. Dropout's), humblenet's and NumPy's versions, and whatever the caller
adds as keyword arguments (``fit``'s position in the epoch, callbacks' state, ...).

Bit-identity: the optimizer's arrays are saved as its fast kernel holds them, which for Adam
on the flat path is the running averages divided by (1 − β) (see :mod:`humblenet.optim._flat`);
the metadata's ``optimizer.divisors`` names them (multiply to read the textbook values;
``load_checkpoint`` hands them back to the kernel as they were). Converting them would move
numbers by a unit in the last place, so a run that saves checkpoints, a run that never does, and
a run resumed from one all follow the same path to the same bits.

>>> import tempfile, pathlib
>>> import numpy as np
>>> from humblenet import optim
>>> from humblenet.nn import Dense, Sequential
>>> model = Sequential([Dense(2, input_shape=(3,), seed=0)])
>>> optimizer = optim.Adam(model.parameters())
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.safetensors"
>>> save_checkpoint(path, model=model, optimizer=optimizer, epoch=3)
>>> load_checkpoint(path, model=model, optimizer=optimizer)
{'epoch': 3}
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from humblenet import __version__
from humblenet import random as hn_random
from humblenet.io.atomic import write_atomically
from humblenet.io.safetensors import (
    ModelFileError,
    _import_safetensors,
    as_stored,
    read_state_dict,
)
from humblenet.nn.module import Module
from humblenet.optim._flat import FlatParameters

__all__ = ["CHECKPOINT_FORMAT", "load_checkpoint", "save_checkpoint", "versions"]

CHECKPOINT_FORMAT = 1
"""The layout of a checkpoint's metadata; a reader refuses a newer one."""

_KEY = "humblenet_checkpoint"


def versions() -> dict[str, str]:
    """The versions a run's numbers depend on: humblenet's and NumPy's."""
    return {"humblenet": __version__, "numpy": np.__version__}


def _layer_generators(model: Module) -> dict[str, np.random.Generator]:
    """The generators layers hold (``_rng``, e.g. Dropout's), keyed by their place in
    ``model.modules()``."""
    found = {}
    for index, module in enumerate(model.modules()):
        generator = getattr(module, "_rng", None)
        if isinstance(generator, np.random.Generator):
            found[str(index)] = generator
    return found


def _kernel_state(optimizer: Any) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The optimizer's per-parameter state as its fast kernel holds it, and the divisors of the
    arrays kept transformed (Adam's averages divided by 1 − β; see ``optim._flat``).

    Reading ``optimizer.state`` would multiply them back in place, which may move a number by a
    unit in its last place: a run that saved a checkpoint would then leave the path of a run
    that did not. Saving the kernel's own numbers, and its divisors, keeps every run on one path.
    (This reads the optimizer's internals; an ``Optimizer.kernel_state()`` would be the seam.)
    """
    flat = optimizer._flat
    states: list[dict[str, Any]] = optimizer._state
    if flat is None or not flat.divisors or flat._state is not states:
        return optimizer.state, {}
    if not flat._views_intact(states):
        return optimizer.state, {}
    return states, dict(flat.divisors)


def _restore_kernel_form(optimizer: Any, divisors: dict[str, float]) -> None:
    """Hand the loaded arrays, still divided by ``divisors``, to a new flat layout that knows
    it (so the next step does not divide them again)."""
    flat = FlatParameters(optimizer.params)
    if flat.hold(optimizer._state):
        flat.divisors = dict(divisors)
        optimizer._flat = flat
        return
    for parameter_state in optimizer._state:  # no flat layout: back to the textbook values
        for name, divisor in divisors.items():
            if name in parameter_state:
                parameter_state[name] *= divisor


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Module,
    optimizer: Any = None,
    scheduler: Any = None,
    **extra: Any,
) -> None:
    """Write the state of a training run to ``path`` (a safetensors file), atomically.

    Args:
        path: the file to write; replaced whole if it exists (its folder must exist).
        model: the model; its weights and buffers (``state_dict()``) are saved.
        optimizer: a :mod:`humblenet.optim` optimizer (``state_dict()``), or None.
        scheduler: a learning-rate schedule (``state_dict()``), or None.
        **extra: more state, as JSON data (numbers, text, lists, dicts), returned as a dict by
            :func:`load_checkpoint`.
    """
    arrays = {f"model.{name}": as_stored(value) for name, value in model.state_dict().items()}
    document: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "versions": versions(),
        "random": {
            "default": hn_random.default_generator().bit_generator.state,
            "layers": {k: g.bit_generator.state for k, g in _layer_generators(model).items()},
        },
        "optimizer": None,
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "extra": extra,
    }
    if optimizer is not None:
        states, divisors = _kernel_state(optimizer)
        scalars: dict[str, dict[str, Any]] = {}
        for index, parameter_state in enumerate(states):
            for name, value in parameter_state.items():
                if isinstance(value, np.ndarray):
                    arrays[f"optimizer.{index}.{name}"] = as_stored(value)
                else:
                    scalars.setdefault(str(index), {})[name] = value
        document["optimizer"] = {
            "optimizer": type(optimizer).__name__,
            "step_count": optimizer.step_count,
            "hyperparameters": optimizer.hyperparameters,
            "scalars": scalars,
            "divisors": divisors,
        }
    try:
        text = json.dumps(document, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"save_checkpoint: the extra state must be JSON data (numbers, text, lists, dicts, "
            f"no NaN): {error}"
        ) from None
    safetensors = _import_safetensors()
    write_atomically(path, safetensors.numpy.save(arrays, metadata={_KEY: text}))


def _read_document(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        length = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(length))
    raw = header.get("__metadata__", {}).get(_KEY)
    if raw is None:
        raise ModelFileError(
            f"{path}: this safetensors file is not a humblenet checkpoint (its metadata has no "
            f"{_KEY!r}). Give a file written by save_checkpoint or BackupAndRestore"
        )
    document: dict[str, Any] = json.loads(raw)
    if document.get("format", 0) > CHECKPOINT_FORMAT:
        raise ModelFileError(
            f"{path}: the checkpoint is in format {document['format']}, written by humblenet "
            f"{document['versions']['humblenet']}; this humblenet reads format "
            f"{CHECKPOINT_FORMAT}. Upgrade humblenet: pip install -U humblenet"
        )
    return document


def _warn_versions(path: Path, saved: dict[str, str]) -> None:
    now = versions()
    differ = [
        f"{name} {saved.get(name)} then, {now[name]} now"
        for name in now
        if saved.get(name) != now[name]
    ]
    if differ:
        warnings.warn(
            f"{path}: the checkpoint was written with other versions ({'; '.join(differ)}): "
            "the run resumes, but its numbers may differ from an uninterrupted run's in the last "
            "bits; install the versions it was written with for bit-identical results",
            UserWarning,
            stacklevel=3,
        )


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Module,
    optimizer: Any = None,
    scheduler: Any = None,
) -> dict[str, Any]:
    """Restore a training run saved by :func:`save_checkpoint` into ``model`` (and
    ``optimizer``, ``scheduler``), and the random generators; return the extra state.

    The file's structure and finite values are checked before anything changes; names and
    shapes are checked by each ``load_state_dict`` in turn (model, then optimizer, then
    schedule), so load into the same classes the checkpoint was written from. A UserWarning
    says when humblenet's or NumPy's version differs from the one that wrote the checkpoint
    (the numbers may then differ in the last bits).

    Raises:
        FileNotFoundError: no file at ``path``.
        ModelFileError: not a humblenet checkpoint, or damaged.
    """
    path = Path(path)
    arrays = read_state_dict(path)  # checks the safetensors structure and finite values
    document = _read_document(path)
    _warn_versions(path, document["versions"])
    model.load_state_dict(
        {
            name[len("model.") :]: value
            for name, value in arrays.items()
            if name.startswith("model.")
        }
    )
    saved_optimizer = document["optimizer"]
    if optimizer is not None and saved_optimizer is not None:
        state: dict[int, dict[str, Any]] = {}
        for index, scalars in saved_optimizer["scalars"].items():
            state.setdefault(int(index), {}).update(scalars)
        for name, value in arrays.items():
            if name.startswith("optimizer."):
                _, index, key = name.split(".", 2)
                state.setdefault(int(index), {})[key] = value
        optimizer.load_state_dict(
            {
                "optimizer": saved_optimizer["optimizer"],
                "step_count": saved_optimizer["step_count"],
                "hyperparameters": saved_optimizer["hyperparameters"],
                "state": state,
            }
        )
        if saved_optimizer["divisors"]:
            _restore_kernel_form(optimizer, saved_optimizer["divisors"])
    if scheduler is not None and document["scheduler"] is not None:
        scheduler.load_state_dict(document["scheduler"])
    hn_random.default_generator().bit_generator.state = document["random"]["default"]
    generators = _layer_generators(model)
    for key, state_of in document["random"]["layers"].items():
        if key in generators:
            generators[key].bit_generator.state = state_of
    extra: dict[str, Any] = document["extra"]
    return extra
