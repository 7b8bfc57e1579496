"""Checkpoints: everything a training run depends on, in one file, so a run can stop anywhere
(a crash, a killed job, Ctrl-C) and go on to the same numbers it would have reached.

A checkpoint is one safetensors file, written atomically (:mod:`humblenet.io.atomic`): the
arrays (the model's weights and buffers under ``model.<name>``, the optimizer's state arrays
under ``optimizer.<parameter index>.<name>``) and, in its metadata, one JSON document with the
rest: the optimizer's step counts and hyperparameters, the learning-rate schedule's state, the
state of every random generator the model draws from (humblenet's default generator and each
layer's own ``_rng``, e.g. Dropout's), humblenet's and NumPy's versions, and whatever the caller
adds as keyword arguments (``fit``'s position in the epoch, callbacks' state, ...). NumPy arrays
inside those (EarlyStopping's best weights) are stored as tensors ``extra.<n>`` of the file, the
JSON holding ``{"__array__": "extra.<n>"}`` in their place.

Loading is all or nothing: every array, the optimizer's state, the schedule's and the
generators' are checked against the model, optimizer and schedule before any of them changes.

Bit-identity: the optimizer's arrays are saved as its fast kernel holds them
(``Optimizer.kernel_state()``), which for Adam on the flat path is the running averages divided
by (1 − β) (see :mod:`humblenet.optim._flat`); the metadata's ``optimizer.divisors`` names them
(multiply to read the textbook values; ``load_checkpoint`` hands them back to the kernel as they
were, through ``Optimizer.load_kernel_state``). Converting them would move
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
    read_header,
    read_state_dict,
)
from humblenet.nn.module import Module

__all__ = ["CHECKPOINT_FORMAT", "load_checkpoint", "read_metadata", "save_checkpoint", "versions"]

CHECKPOINT_FORMAT = 2
"""The layout of a checkpoint's metadata; a reader refuses a newer one. (2: NumPy arrays in the
extra state.)"""

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


def _pack_arrays(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` with every NumPy array in it (in dicts and lists) moved to ``arrays``, under
    ``extra.<n>``, and a reference ``{"__array__": name}`` left in its place."""
    if isinstance(value, np.ndarray):
        name = f"extra.{sum(key.startswith('extra.') for key in arrays)}"
        arrays[name] = as_stored(value)
        return {"__array__": name}
    if isinstance(value, dict):
        return {key: _pack_arrays(item, arrays) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_pack_arrays(item, arrays) for item in value]
    return value


def _unpack_arrays(value: Any, arrays: dict[str, np.ndarray], path: Path) -> Any:
    """The inverse of :func:`_pack_arrays`."""
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            name = value["__array__"]
            if name not in arrays:
                raise ModelFileError(
                    f"{path}: the checkpoint's extra state names the array {name!r}, which the "
                    "file does not hold; the file is damaged: use another checkpoint"
                )
            return arrays[name]
        return {key: _unpack_arrays(item, arrays, path) for key, item in value.items()}
    if isinstance(value, list):
        return [_unpack_arrays(item, arrays, path) for item in value]
    return value


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Module,
    optimizer: Any = None,
    scheduler: Any = None,
    **extra: Any,
) -> None:
    """Write the state of a training run to ``path`` (a safetensors file), atomically.

    Under ``mpiexec`` every rank that calls it writes: call it on rank 0 only
    (``humblenet.distributed.rank() == 0``), as BackupAndRestore does.

    Args:
        path: the file to write; replaced whole if it exists (its folder must exist).
        model: the model; its weights and buffers (``state_dict()``) are saved.
        optimizer: a :mod:`humblenet.optim` optimizer (``state_dict()``), or None.
        scheduler: a learning-rate schedule (``state_dict()``), or None.
        **extra: more state, as JSON data (numbers, text, lists, dicts) and NumPy arrays,
            returned as a dict by :func:`load_checkpoint` (arrays come back as arrays, tuples
            as lists).
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
        "extra": _pack_arrays(extra, arrays),
    }
    if optimizer is not None:
        kernel = optimizer.kernel_state()  # unconverted: see the module's docstring
        scalars: dict[str, dict[str, Any]] = {}
        for index, parameter_state in kernel["state"].items():
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
            "divisors": kernel["divisors"],
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


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A checkpoint's JSON document without loading it: ``format``, ``versions``, ``random``,
    ``optimizer``, ``scheduler`` and ``extra`` (arrays in it as ``{"__array__": name}``).

    Raises:
        ModelFileError: not a humblenet checkpoint, or one in a newer format.
    """
    return _read_document(Path(path))


def _read_document(path: Path) -> dict[str, Any]:
    header = read_header(path)  # bounded: a damaged file is refused before it is read whole
    raw = (header.get("__metadata__") or {}).get(_KEY)
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

    All or nothing: the file's structure and finite values, then every array's name and shape
    against the model, the optimizer's state, the schedule's and the generators' are checked
    before anything changes; a refused checkpoint leaves the model, the optimizer, the schedule
    and the generators as they were. Load into the same classes the checkpoint was written
    from. A UserWarning says when humblenet's or NumPy's version differs from the one that
    wrote the checkpoint (the numbers may then differ in the last bits).

    Raises:
        FileNotFoundError: no file at ``path``.
        ModelFileError: not a humblenet checkpoint, or damaged.
        ValueError: it does not fit the model, optimizer or schedule (the message says what).
    """
    path = Path(path)
    arrays = read_state_dict(path)  # checks the safetensors structure and finite values
    document = _read_document(path)
    _warn_versions(path, document["versions"])
    extra: dict[str, Any] = _unpack_arrays(document["extra"], arrays, path)

    # 1. Check everything.
    model_state = {
        name[len("model.") :]: value for name, value in arrays.items() if name.startswith("model.")
    }
    model.check_state_dict(model_state)
    saved_optimizer = document["optimizer"]
    kernel = None
    if optimizer is not None and saved_optimizer is not None:
        kernel = _optimizer_state(saved_optimizer, arrays)
        optimizer.check_state_dict(kernel)
    saved_scheduler = document["scheduler"]
    if scheduler is not None and saved_scheduler is not None:
        scheduler.check_state_dict(saved_scheduler)
    generators = _layer_generators(model)
    states = [(hn_random.default_generator(), document["random"]["default"])]
    states += [
        (generators[k], v) for k, v in document["random"]["layers"].items() if k in generators
    ]
    for generator, state in states:
        _check_generator_state(path, generator, state)

    # 2. Change everything.
    model.load_state_dict(model_state)
    if kernel is not None:
        optimizer.load_kernel_state(kernel)
    if scheduler is not None and saved_scheduler is not None:
        scheduler.load_state_dict(saved_scheduler)
    for generator, state in states:
        generator.bit_generator.state = state
    return extra


def _optimizer_state(saved: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The optimizer's ``kernel_state()`` as saved: its scalars and its arrays put together."""
    state: dict[int, dict[str, Any]] = {}
    for index, scalars in saved["scalars"].items():
        state.setdefault(int(index), {}).update(scalars)
    for name, value in arrays.items():
        if name.startswith("optimizer."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    return {
        "optimizer": saved["optimizer"],
        "step_count": saved["step_count"],
        "hyperparameters": saved["hyperparameters"],
        "state": state,
        "divisors": saved["divisors"],
    }


def _check_generator_state(path: Path, generator: np.random.Generator, state: Any) -> None:
    """Refuse a generator state that ``generator`` would not take (on a scratch copy)."""
    scratch = type(generator.bit_generator)()
    try:
        scratch.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ModelFileError(
            f"{path}: a random generator's saved state does not fit "
            f"{type(generator.bit_generator).__name__} ({error}); the file is damaged or from "
            "another program: use another checkpoint"
        ) from None
