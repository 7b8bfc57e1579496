"""Save a model to one ``.safetensors`` file and load it back: weights, buffers, architecture and
metadata.

The file is plain data that any safetensors reader opens (PyTorch, JAX, Rust): an 8-byte length,
a JSON header naming each tensor's dtype, shape and place, then the raw numbers. Nothing in it is
code, and loading never unpickles anything.

What the file holds:

- the weights, named as in an equivalent ``torch.nn.Sequential`` (see below);
- ``__metadata__`` (text → text, every value JSON): ``format_version``, ``humblenet_version``,
  ``architecture`` (``model.get_config()``), ``class_names``, ``feature_names``,
  ``preprocessing`` (e.g. ``Standardizer.to_dict()``), ``task``, ``dataset``, ``metrics``, and
  ``sha256``, a checksum of everything else (tensors and metadata), so a changed byte anywhere is
  found.

Tensor names: PyTorch's numbering. In ``torch.nn.Sequential`` an activation is a module of its own,
while a humblenet ``Dense(units, activation=...)`` is one layer. The file counts modules the way
PyTorch does: each layer takes one index, and a ``Dense`` with an activation takes two (the linear
part, then the activation). So ``Sequential([Flatten(), Dense(8, activation="relu"), Dense(3)])``
is written as ``1.weight``, ``3.weight``: the names of
``torch.nn.Sequential(Flatten(), Linear(.., 8), ReLU(), Linear(8, 3))``, which loads the file with
``safetensors.torch.load_file`` and ``load_state_dict(strict=True)``. A weight has PyTorch's
layout ``(out_features, in_features)``. These are also the names of ``model.state_dict()``
(``nn.Sequential`` numbers its layers as PyTorch would), and a plain PyTorch state dict saved
with ``safetensors.torch.save_file`` loads into the matching humblenet model with
:func:`read_state_dict` (``model.load_state_dict(path)`` on a ``humblenet.Sequential``).

Buffers (state that is kept but not learned, such as running statistics) are written beside the
weights under their PyTorch names. How many modules a layer takes in PyTorch's numbering is the
layer's own answer (``torch_modules``, see :mod:`humblenet.nn.module`). Every write is atomic
(:mod:`humblenet.io.atomic`).

>>> import tempfile, pathlib
>>> import numpy as np
>>> from humblenet.nn import Dense, Sequential
>>> model = Sequential([Dense(3, activation="relu", input_shape=(2,), seed=0), Dense(2, seed=1)])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.safetensors"
>>> save(model, path, class_names=["no", "yes"], task="classification")
>>> loaded = load(path)
>>> loaded.metadata["class_names"]
['no', 'yes']
>>> x = np.ones((4, 2), dtype=np.float32)
>>> bool(np.array_equal(loaded(x).data, model(x).data))
True
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from humblenet import __version__
from humblenet.io.atomic import write_atomically
from humblenet.nn import registry
from humblenet.nn.containers import Sequential, output_shape
from humblenet.nn.module import Module

__all__ = [
    "FORMAT_VERSION",
    "METADATA_KEYS",
    "ModelFileError",
    "as_stored",
    "check_suffix",
    "load",
    "read_state_dict",
    "save",
    "save_state_dict",
    "tensor_names",
]

FORMAT_VERSION = 1
"""The layout of humblenet's metadata; a reader refuses a file written in a newer one."""

METADATA_KEYS = (
    "class_names",
    "feature_names",
    "preprocessing",
    "task",
    "dataset",
    "metrics",
    "humblenet_version",
    "architecture",
)
"""The keys of ``load(path).metadata``."""

_INSTALL_HINT = 'install the optional extra with: pip install "humblenet[save]"'
_MAX_HEADER_BYTES = 100_000_000  # the limit safetensors itself applies
_MAX_METADATA_BYTES = 16_000_000  # humblenet's own metadata is kilobytes; a huge table's, a few MB
_SLACK_ELEMENTS = (
    1_000_000  # numbers an architecture may need beyond 2x its file's, see _check_size
)
_MAX_JSON_DEPTH = 64  # humblenet writes at most 5 levels
_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_OPENERS = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSERS = np.frombuffer(b"]}", dtype=np.uint8)

# safetensors' dtype names and the width of one element in bytes.
_DTYPE_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "U16": 2,
    "I16": 2,
    "F16": 2,
    "BF16": 2,
    "U32": 4,
    "I32": 4,
    "F32": 4,
    "U64": 8,
    "I64": 8,
    "F64": 8,
}
_NUMPY_DTYPES = {
    "F16": "float16",
    "F32": "float32",
    "F64": "float64",
    "I32": "int32",
    "I64": "int64",
}
_SAFETENSORS_DTYPES = {numpy_name: name for name, numpy_name in _NUMPY_DTYPES.items()}


class ModelFileError(ValueError):
    """A model file that cannot be loaded: the message names the file, the problem and a fix."""


# -- writing -------------------------------------------------------------------------------------


def _import_safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            f"saving and loading models needs the safetensors package; {_INSTALL_HINT}"
        ) from None
    return safetensors


# -- names ---------------------------------------------------------------------------------------


def _check_flat(model: Module, where: str) -> Sequential:
    if not isinstance(model, Sequential):
        weights = (
            "model.save_weights(path)"
            if hasattr(model, "save_weights")
            else "humblenet.save(model.state_dict(), path), as torch.save takes them"
        )
        raise TypeError(
            f"{where}: expected a humblenet Sequential model, got {type(model).__name__}; the "
            "file holds a Sequential's architecture. For a model of your own class, save the "
            f"weights ({weights}) and load them into a new instance (humblenet.load(path, "
            "model=model))"
        )
    if not model.built or model.input_shape is None:
        if any(True for _ in model.parameters()):  # torch-style layers make weights at once
            raise ValueError(
                f"{where}: the model does not know its input shape yet, which the file records "
                "beside the weights; call model.build(shape) with one sample's shape (e.g. "
                "model.build((1, 28, 28)) for grey 28x28 images) or run a batch through it "
                "(model(x)) first"
            )
        raise ValueError(
            f"{where}: the model has no weights yet; build it first (give the first layer an "
            "input_shape, call model.build(shape), or train it)"
        )
    for index, layer in enumerate(model.layers):
        if isinstance(layer, Sequential):
            raise ValueError(
                f"{where}: layer {index} is a Sequential inside a Sequential; put its layers "
                "directly in the outer model"
            )
    return model


def check_suffix(path: str | os.PathLike[str], suffix: str, where: str, kind: str) -> Path:
    """Refuse a file name whose extension does not say what the file holds (``save("m.h5")``
    would write safetensors under a name every tool reads as something else)."""
    target = Path(path)
    if target.suffix.lower() != suffix:
        example = target.with_suffix(suffix).name if target.stem else f"model{suffix}"
        raise ValueError(
            f"{where}: {str(target)!r} does not end in {suffix}, but the file is {kind}; give a "
            f"name ending in {suffix}, e.g. {example!r}"
        )
    return target


def as_stored(array: np.ndarray) -> np.ndarray:
    """A C-contiguous little-endian copy of ``array``, as safetensors stores it, keeping its
    shape (unlike ``np.ascontiguousarray``, which makes a 0-d array 1-d: a batch norm's
    ``num_batches_tracked`` would come back with the wrong shape)."""
    return np.asarray(array, dtype=array.dtype.newbyteorder("<")).copy(order="C")


def tensor_names(model: Sequential) -> list[str]:
    """The names of the model's parameters and buffers in the file: PyTorch's numbering, the
    names of ``model.state_dict()``.

    >>> from humblenet.nn import Dense, Flatten, Sequential
    >>> model = Sequential([Flatten(input_shape=(2, 2)), Dense(3, activation="relu"), Dense(2)])
    >>> tensor_names(model)
    ['1.weight', '1.bias', '3.weight', '3.bias']
    """
    return list(model._state_tensors())


def _describe(model: Sequential, name: str) -> str:
    """``"the weight of layer 1 (Dense)"`` for the file name ``1.weight``."""
    index, _, attribute = name.partition(".")
    for position, (child, layer) in enumerate(model.named_children()):
        if child == index:
            return f"the {attribute} of layer {position} ({type(layer).__name__})"
    return f"tensor {name}"


# -- metadata ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``json.dumps``' fallback: NumPy numbers and arrays as Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _to_json(key: str, value: Any) -> str:
    try:
        return json.dumps(value, default=_plain, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"save: {key} must be plain data (numbers, text, lists, dicts, no NaN): {error}"
        ) from None


def _names_argument(key: str, names: Any, expected: int | None, hint: str) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"save: {key} must be a list of strings, got {names!r:.120}")
    names = list(names)
    if expected is not None and len(names) != expected:
        raise ValueError(f"save: {len(names)} {key} given, but {hint}")
    return names


def _metadata(model: Sequential, arguments: dict[str, Any]) -> dict[str, str]:
    """Check the metadata arguments and encode each as a JSON string."""
    assert model.input_shape is not None
    units = output_shape(model, model.input_shape)[-1] if model.layers else None
    class_names = arguments["class_names"]
    expected = None
    if units is not None and class_names is not None:
        # A single sigmoid output scores two classes.
        expected = 2 if units == 1 and len(class_names) == 2 else units
    features = math.prod(model.input_shape or ())
    values: dict[str, Any] = {
        "class_names": _names_argument(
            "class_names", class_names, expected, f"the model has {units} outputs"
        ),
        "feature_names": _names_argument(
            "feature_names",
            arguments["feature_names"],
            features,
            f"the model takes {features} input features",
        ),
    }
    preprocessing = arguments["preprocessing"]
    if preprocessing is not None and hasattr(preprocessing, "to_dict"):
        preprocessing = preprocessing.to_dict()
    if preprocessing is not None and not isinstance(preprocessing, dict):
        raise TypeError(
            "save: preprocessing must be a dict (e.g. Standardizer.to_dict()), "
            f"got {type(preprocessing).__name__}"
        )
    values["preprocessing"] = preprocessing
    for key in ("task", "dataset"):
        if arguments[key] is not None and not isinstance(arguments[key], str):
            raise TypeError(f"save: {key} must be a string, got {arguments[key]!r:.80}")
        values[key] = arguments[key]
    metrics = arguments["metrics"]
    if metrics is not None:
        if not isinstance(metrics, dict):
            raise TypeError(f"save: metrics must be a dict of name → number, got {metrics!r:.80}")
        for name, number in metrics.items():
            if not isinstance(name, str) or not isinstance(number, int | float | np.number):
                raise TypeError(
                    f"save: metrics must map names to numbers, got {name!r}: {number!r}"
                )
            if not np.isfinite(number):
                raise ValueError(f"save: metric {name!r} is {number}; only finite numbers are kept")
        metrics = {name: float(number) for name, number in metrics.items()}
    values["metrics"] = metrics
    values["humblenet_version"] = __version__
    values["architecture"] = model.get_config()
    encoded = {key: _to_json(key, value) for key, value in values.items()}
    encoded["format_version"] = json.dumps(FORMAT_VERSION)
    return encoded


def _checksum(tensors: dict[str, tuple[str, list[int], bytes]], metadata: dict[str, str]) -> str:
    """SHA-256 of every tensor (name, dtype, shape, bytes) and every metadata entry but itself."""
    digest = hashlib.sha256()
    description = {
        "tensors": [[name, tensors[name][0], tensors[name][1]] for name in sorted(tensors)],
        "metadata": sorted((k, v) for k, v in metadata.items() if k != "sha256"),
    }
    digest.update(json.dumps(description, separators=(",", ":")).encode())
    for name in sorted(tensors):
        digest.update(tensors[name][2])
    return digest.hexdigest()


def save(
    model: Module | dict[str, Any],
    path: str | os.PathLike[str],
    *,
    class_names: list[str] | None = None,
    feature_names: list[str] | None = None,
    preprocessing: Any = None,
    task: str | None = None,
    dataset: str | None = None,
    metrics: dict[str, float] | None = None,
) -> None:
    """Write ``model`` (weights, architecture and metadata) to a safetensors file, atomically.

    Args:
        model: a built ``Sequential`` of humblenet layers; or a state dict
            (``model.state_dict()`` of any module, as ``torch.save`` takes it), written alone
            as weights (the metadata arguments are for a model), which
            ``humblenet.load(path, model=model)`` loads back.
        path: the file to write (``.safetensors`` by convention); replaced if it exists.
        class_names: one name per output class (two for a single sigmoid output).
        feature_names: one name per input feature.
        preprocessing: a dict (JSON data), or an object with ``to_dict()`` such as a fitted
            ``humblenet.data.Standardizer``, describing how inputs were prepared.
        task: e.g. ``"classification"`` or ``"regression"``.
        dataset: the name of the training data.
        metrics: names to numbers, e.g. ``{"test_accuracy": 0.98}``.

    Raises:
        ImportError: safetensors is not installed.
        ValueError / TypeError: the model is not built or not plain layers, a metadata
            argument has the wrong type or length, or ``path`` does not end in
            ``.safetensors``.

    The optimizer and its state are not saved: compile the loaded model again to train on.
    """
    safetensors = _import_safetensors()
    if isinstance(model, dict):  # torch.save(model.state_dict(), path): the weights alone
        check_suffix(path, ".safetensors", "save", "a safetensors weights file")
        _save_arrays(model, path)
        return
    check_suffix(path, ".safetensors", "save", "a safetensors model file")
    model = _check_flat(model, "save")
    metadata = _metadata(
        model,
        {
            "class_names": class_names,
            "feature_names": feature_names,
            "preprocessing": preprocessing,
            "task": task,
            "dataset": dataset,
            "metrics": metrics,
        },
    )
    _check_rebuilds(model)
    arrays: dict[str, np.ndarray] = {}
    described: dict[str, tuple[str, list[int], bytes]] = {}
    for name, tensor in model._state_tensors().items():
        array = as_stored(tensor.data)
        if array.dtype.name not in _SAFETENSORS_DTYPES:
            raise ValueError(
                f"save: {_describe(model, name)} has dtype {array.dtype}; humblenet saves "
                "float16, float32, float64, int32 or int64 tensors"
            )
        arrays[name] = array
        described[name] = (
            _SAFETENSORS_DTYPES[array.dtype.name],
            list(array.shape),
            array.tobytes(),
        )
    metadata["sha256"] = json.dumps(_checksum(described, metadata))
    write_atomically(path, safetensors.numpy.save(arrays, metadata=metadata))


def _check_rebuilds(model: Sequential) -> None:
    """Refuse to save an architecture that ``from_config`` would not rebuild the same."""
    try:
        rebuilt = Sequential.from_config(model.get_config())
    except (TypeError, ValueError) as error:
        raise ValueError(f"save: the architecture cannot be written down: {error}") from None
    own = {name: (p.shape, p.dtype) for name, p in model._state_tensors().items()}
    again = {name: (p.shape, p.dtype) for name, p in rebuilt._state_tensors().items()}
    if own != again:
        raise ValueError(
            "save: the architecture rebuilt from get_config() has different weights "
            f"({again} instead of {own}); only models of registered layers can be saved"
        )


# -- reading -------------------------------------------------------------------------------------


def _refuse(path: Path, problem: str, fix: str) -> ModelFileError:
    return ModelFileError(f"{path}: {problem}. {fix}")


_DAMAGED = "The file is damaged or was edited: save the model again or restore a good copy"


def _looks_like(data: bytes) -> str | None:
    """Name a well-known format that is not safetensors, from the first bytes."""
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return "a Python pickle (e.g. from pickle.dump or an old torch.save)"
    if data.startswith(b"PK\x03\x04"):
        return "a zip archive (e.g. a PyTorch .pt/.pth file from torch.save, which holds a pickle)"
    if data.startswith(b"\x93NUMPY"):
        return "a NumPy .npy file"
    return None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _nesting_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in JSON ``text`` (brackets inside strings not counted),
    found without parsing: ``json.loads`` recurses once per level and fails with a
    RecursionError on deep input."""
    skeleton = _JSON_STRINGS.sub("", text).encode()
    if not skeleton:
        return 0
    codes = np.frombuffer(skeleton, dtype=np.uint8)
    steps = np.isin(codes, _OPENERS).astype(np.int64) - np.isin(codes, _CLOSERS)
    return int(np.cumsum(steps).max(initial=0))


def _parse_json(path: Path, text: str, what: str) -> Any:
    """``json.loads`` after checking the nesting depth; a ModelFileError for bad JSON."""
    depth = _nesting_depth(text)
    if depth > _MAX_JSON_DEPTH:
        raise _refuse(
            path, f"{what} nests {depth} levels deep (at most {_MAX_JSON_DEPTH} are read)", _DAMAGED
        )
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except ValueError as error:
        raise _refuse(path, f"{what} is not valid JSON ({error})", _DAMAGED) from None


def _looks_like_text(first: bytes) -> str | None:
    """The first bytes as text when they are printable (a CSV or other text file)."""
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(c.isprintable() or c in "\r\n\t" for c in text) else None


def _read_header(path: Path) -> tuple[dict[str, Any], int]:
    """Check the structure of a safetensors file, reading only its first 8 bytes and then the
    header they announce (bounded); return the header and where the tensor data starts."""
    size = path.stat().st_size
    with open(path, "rb") as file:
        first = file.read(16)
        length = struct.unpack("<Q", first[:8])[0] if len(first) >= 8 else 0
        fits = len(first) >= 9 and length <= _MAX_HEADER_BYTES and 8 + length <= size
        plausible = fits and first[8:9] == b"{"
        other = None if plausible else _looks_like(first)
        if other is not None:
            raise _refuse(
                path,
                f"this is {other}, not a safetensors file",
                "humblenet never loads pickles, because loading one can run any code; "
                "save the model with humblenet's model.save(path)",
            )
        if size < 8:
            raise _refuse(
                path, f"the file has {size} bytes, too few for a safetensors file", _DAMAGED
            )
        text = _looks_like_text(first[:8])
        if not plausible and text is not None:
            raise _refuse(
                path,
                f"it starts with the text {text!r}, not with a safetensors header (read as one, "
                f"its first 8 bytes announce a header of {length} bytes): it is a text file, "
                "such as a CSV, not a model file",
                "Give the .safetensors file that humblenet train (or model.save) wrote",
            )
        if not fits:
            raise _refuse(
                path,
                f"the first 8 bytes announce a header of {length} bytes, but the file has "
                f"{size - 8} bytes after them (and a header may have at most "
                f"{_MAX_HEADER_BYTES}): it is truncated or not a safetensors file",
                _DAMAGED,
            )
        file.seek(8)
        raw = file.read(length)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _refuse(
            path, f"the header is not UTF-8 text (byte {error.start + 8} is invalid)", _DAMAGED
        ) from None
    header = _parse_json(path, text, "the header")
    if not isinstance(header, dict):
        raise _refuse(path, "the header is JSON but not an object of tensors", _DAMAGED)
    _check_tensor_entries(path, header, size - 8 - length)
    return header, 8 + length


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A safetensors file's header (tensor entries and ``__metadata__``), read with the same
    bounds as a model file: the 8-byte length checked against the file before anything else is
    read, then the JSON's size and depth. Raises ModelFileError, in one line, otherwise."""
    return _read_header(Path(path))[0]


def _read_tensors(path: Path, header: dict[str, Any], start: int) -> dict[str, bytes]:
    """The raw bytes of every tensor, read one at a time (their sizes are checked already)."""
    raw: dict[str, bytes] = {}
    with open(path, "rb") as file:
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            begin, end = entry["data_offsets"]
            file.seek(start + begin)
            raw[name] = file.read(end - begin)
            if len(raw[name]) != end - begin:
                raise _refuse(path, "the file became shorter while it was read", _DAMAGED)
    return raw


def _check_tensor_entries(path: Path, header: dict[str, Any], data_bytes: int) -> None:
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        fields = entry if isinstance(entry, dict) else {}
        dtype, shape, offsets = fields.get("dtype"), fields.get("shape"), fields.get("data_offsets")
        if dtype not in _DTYPE_SIZES:
            raise _refuse(path, f"tensor {name!r} has an unknown dtype {dtype!r}", _DAMAGED)
        if not isinstance(shape, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise _refuse(path, f"tensor {name!r} has an invalid shape {shape!r}", _DAMAGED)
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise _refuse(path, f"tensor {name!r} has invalid data_offsets {offsets!r}", _DAMAGED)
        needed = math.prod(shape) * _DTYPE_SIZES[dtype]
        if offsets[1] - offsets[0] != needed:
            raise _refuse(
                path,
                f"tensor {name!r} has shape {shape} of {dtype}, which needs {needed} bytes, but "
                f"its data_offsets {offsets} hold {offsets[1] - offsets[0]}",
                _DAMAGED,
            )
        spans.append((offsets[0], offsets[1], name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise _refuse(
                path,
                f"tensor {name!r} starts at byte {begin} of the data, expected {position} "
                "(tensors must follow each other without gaps or overlaps)",
                _DAMAGED,
            )
        position = end
    if position > data_bytes:
        raise _refuse(
            path,
            f"the header describes {position} bytes of tensor data but only {data_bytes} follow: "
            "the file is truncated",
            _DAMAGED,
        )
    if position < data_bytes:
        raise _refuse(
            path,
            f"{data_bytes - position} bytes follow the last tensor that the header does not "
            "describe",
            _DAMAGED,
        )


def _read_metadata(path: Path, header: dict[str, Any]) -> dict[str, Any]:
    raw = header.get("__metadata__")
    if raw is None or "architecture" not in raw:
        raise _refuse(
            path,
            "the file has no humblenet architecture in its metadata: it holds weights only (a "
            "PyTorch state_dict saved with safetensors, or weights saved by humblenet)",
            "Build the matching model and load the weights into it: humblenet.load(path, "
            "model=model), or model.load_state_dict(humblenet.io.safetensors.read_state_dict("
            "path))",
        )
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise _refuse(path, "__metadata__ is not an object of text values", _DAMAGED)
    total = sum(len(value) for value in raw.values())
    if total > _MAX_METADATA_BYTES:
        raise _refuse(
            path,
            f"its metadata holds {total} characters (at most {_MAX_METADATA_BYTES} are read)",
            _DAMAGED,
        )
    metadata: dict[str, Any] = {}
    for key in (*METADATA_KEYS, "format_version", "sha256"):
        if key not in raw:
            raise _refuse(path, f"the metadata has no {key!r}", _DAMAGED)
        metadata[key] = _parse_json(path, raw[key], f"metadata {key!r}")
    version = metadata["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _refuse(
            path,
            f"the file is in humblenet format {version!r}, written by humblenet "
            f"{metadata['humblenet_version']}; this humblenet reads format {FORMAT_VERSION}",
            "Upgrade humblenet: pip install -U humblenet",
        )
    expected_types = {
        "class_names": list,
        "feature_names": list,
        "preprocessing": dict,
        "task": str,
        "dataset": str,
        "metrics": dict,
        "architecture": dict,
    }
    for key, kind in expected_types.items():
        if metadata[key] is not None and not isinstance(metadata[key], kind):
            raise _refuse(
                path,
                f"metadata {key!r} should be a {kind.__name__}, got {metadata[key]!r:.80}",
                _DAMAGED,
            )
    return metadata


def _check_size(path: Path, architecture: dict[str, Any], header: dict[str, Any]) -> None:
    """Refuse an architecture that needs more numbers than the file's tensors declare, before
    anything big is allocated: each layer says how many numbers its state holds from its
    configuration (``state_elements``) and is built (to learn the next layer's input shape)
    only once that fits; a layer that cannot say is built and counted. Up to twice the declared
    numbers (and a million more) are let through, for ``_check_against_model`` to name the
    tensors that differ."""
    declared = sum(
        math.prod(entry["shape"]) for name, entry in header.items() if name != "__metadata__"
    )
    layers, shape = architecture.get("layers"), architecture.get("input_shape")
    if not isinstance(layers, list) or not isinstance(shape, list):
        return  # _build refuses it with its reason
    allowed = 2 * declared + _SLACK_ELEMENTS
    needed = 0
    try:
        shape_now = tuple(int(n) for n in shape)
        for position, item in enumerate(layers):
            layer_class = registry.get(item["class_name"])
            settings = item.get("config", {})
            planned = layer_class.state_elements(settings, shape_now)
            if planned is not None and needed + planned > allowed:
                raise _refuse(
                    path,
                    f"its architecture needs at least {needed + planned} numbers up to layer "
                    f"{position} ({item['class_name']}), but its tensors hold {declared}",
                    _DAMAGED,
                )
            layer = registry.from_config(item)
            build = getattr(layer, "build", None)
            if build is not None:
                build(shape_now)
            counted = sum(t.data.size for t in layer._state_tensors().values())
            needed += planned if planned is not None else counted
            shape_now = output_shape(layer, shape_now)
            del layer
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise _refuse(path, f"its architecture cannot be built: {error}", _DAMAGED) from None
    if needed > allowed:
        raise _refuse(
            path,
            f"its architecture needs {needed} numbers, but its tensors hold {declared}",
            _DAMAGED,
        )


def _build(path: Path, architecture: dict[str, Any], model_class: type[Sequential]) -> Sequential:
    if architecture.get("class_name") != "Sequential":
        raise _refuse(path, "its architecture is not a Sequential model", _DAMAGED)
    try:
        model = model_class.from_config(architecture)
    except (TypeError, ValueError, MemoryError) as error:
        raise _refuse(path, f"its architecture cannot be built: {error}", _DAMAGED) from None
    if not model.built:
        raise _refuse(path, "its architecture is not a built Sequential model", _DAMAGED)
    return model


def _check_against_model(path: Path, header: dict[str, Any], model: Sequential) -> None:
    """Every tensor the architecture needs is in the file, with its shape and dtype."""
    parameters = model._state_tensors()
    expected = {name: name for name in parameters}
    in_file = [name for name in header if name != "__metadata__"]
    missing = [name for name in expected if name not in header]
    unexpected = [name for name in in_file if name not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing tensors {missing} that the architecture needs")
        if unexpected:
            parts.append(f"unexpected tensors {unexpected} that the architecture has no place for")
        raise _refuse(path, "; ".join(parts), _DAMAGED)
    for file_name, own_name in expected.items():
        entry, parameter = header[file_name], parameters[own_name]
        where = f"tensor {file_name!r} ({_describe(model, own_name)})"
        if tuple(entry["shape"]) != parameter.shape:
            raise _refuse(
                path,
                f"{where} has shape {tuple(entry['shape'])} in the file, but the architecture "
                f"needs {parameter.shape}",
                _DAMAGED,
            )
        if _NUMPY_DTYPES.get(entry["dtype"]) != parameter.dtype.name:
            raise _refuse(
                path,
                f"{where} has dtype {entry['dtype']} in the file, but the architecture needs "
                f"{_SAFETENSORS_DTYPES.get(parameter.dtype.name, parameter.dtype.name)}",
                _DAMAGED,
            )


def _check_finite(path: Path, name: str, array: np.ndarray) -> None:
    if array.dtype.kind != "f":
        return
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kinds = "NaN" if np.isnan(array).any() else "infinite"
        raise _refuse(
            path,
            f"tensor {name!r} holds {int(bad.sum())} {kinds} value(s), the first at index {first}",
            "The model diverged before it was saved or the file is damaged: retrain it "
            "(lower the learning rate) or restore a good copy",
        )


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The tensors of any safetensors file, by name: a PyTorch ``state_dict`` saved with
    ``safetensors.torch.save_file``, weights saved by ``ModelCheckpoint(save_weights_only=True)``
    or ``save_state_dict``, or a whole humblenet model file (its metadata is then ignored).

    The file's structure is checked as :func:`load` checks it, and floating-point tensors must
    be finite. Load the result with ``model.load_state_dict(...)``, which checks every name and
    shape against the model.
    """
    safetensors = _import_safetensors()
    path = Path(path)
    header, _ = _read_header(path)  # the structure first, reading the header alone
    data = path.read_bytes()  # as long as the header declares: no bytes follow the tensors
    try:
        arrays = dict(safetensors.numpy.load(data))
    except Exception as error:  # the library's own check, after ours: name it all the same
        raise _refuse(path, f"safetensors cannot read it ({error})", _DAMAGED) from None
    for name, array in arrays.items():
        _check_finite(path, name, array)
    return arrays


def save_state_dict(model: Module, path: str | os.PathLike[str]) -> None:
    """Write ``model.state_dict()`` alone (weights and buffers, PyTorch's names), atomically, as a
    safetensors file that ``safetensors.torch.load_file`` and :func:`read_state_dict` read."""
    check_suffix(path, ".safetensors", "save_weights", "a safetensors weights file")
    _save_arrays(model.state_dict(), path)


def _save_arrays(state: dict[Any, Any], path: str | os.PathLike[str]) -> None:
    """A state dict (names to arrays or tensors) as a safetensors file, atomically; every value
    checked first, so a refused one writes nothing."""
    safetensors = _import_safetensors()
    arrays = {}
    for name, value in state.items():
        array = np.asarray(getattr(value, "data", value))
        if not isinstance(name, str) or array.dtype.name not in _SAFETENSORS_DTYPES:
            raise TypeError(
                f"save: a state dict maps names to arrays of float16, float32, float64, int32 "
                f"or int64 (model.state_dict() gives one); {name!r} holds {array.dtype}"
            )
        arrays[name] = as_stored(array)
    write_atomically(path, safetensors.numpy.save(arrays))


def load(path: str | os.PathLike[str], model_class: type[Sequential] = Sequential) -> Sequential:
    """Load a model saved by :func:`save`: rebuild its architecture, check and copy the weights.

    Nothing in the file is run: the header is JSON, the weights are raw numbers, and the layers
    are built only from humblenet's own layer classes. Every tensor's shape and dtype is checked
    against the architecture, every weight must be finite, and the file's checksum must match.

    Args:
        path: a ``.safetensors`` file written by :func:`save` (or ``model.save``).
        model_class: the ``Sequential`` class to build (``humblenet.load`` asks for the
            Keras-like :class:`humblenet.Sequential`, which can ``predict``).

    Returns:
        The model, in evaluation mode, with an attribute ``metadata``: a dict with
        the keys of :data:`METADATA_KEYS` (``None`` for what was not saved).

    Raises:
        ImportError: safetensors is not installed.
        FileNotFoundError: no file at ``path``.
        ModelFileError: the file is not a humblenet safetensors file, or is damaged; the message
            names the file, the problem and what to do.
    """
    path = Path(path)
    header, start = _read_header(path)
    metadata = _read_metadata(path, header)
    _check_size(path, metadata["architecture"], header)
    model = _build(path, metadata["architecture"], model_class)
    _check_against_model(path, header, model)
    raw = _read_tensors(path, header, start)
    arrays = {
        name: np.frombuffer(
            raw[name], dtype=np.dtype(_NUMPY_DTYPES[entry["dtype"]]).newbyteorder("<")
        ).reshape(entry["shape"])
        for name, entry in header.items()
        if name != "__metadata__"
    }
    for file_name in tensor_names(model):
        _check_finite(path, file_name, arrays[file_name])
    described = {
        name: (entry["dtype"], entry["shape"], raw[name])
        for name, entry in header.items()
        if name != "__metadata__"
    }
    if _checksum(described, header["__metadata__"]) != metadata["sha256"]:
        raise _refuse(
            path,
            "its contents do not match the checksum written when it was saved",
            _DAMAGED,
        )
    model.load_state_dict({name: arrays[name] for name in tensor_names(model)})
    model.eval()
    model.metadata = {key: metadata[key] for key in METADATA_KEYS}  # type: ignore[attr-defined]
    return model
