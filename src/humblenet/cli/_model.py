"""The model as the commands use it: loading a model file and reading what it records (task,
classes, features, standardization), and building, compiling and adjusting the network that
``train`` makes.

The calls that construct, compile or adjust a network are all in this file. What the commands
need to know about a loaded model they ask the model itself (the layer protocol, see
:mod:`humblenet.nn.module`): whether it ends in a probability, its output shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from humblenet import nn
from humblenet.cli._common import UserError, user_input
from humblenet.data import Standardizer
from humblenet.data.table import RawTable, TablePreprocessor
from humblenet.io.safetensors import ModelFileError
from humblenet.models import small_cnn
from humblenet.nn import Dense
from humblenet.nn.containers import output_shape
from humblenet.training import Sequential, load

_TASK_ALIASES = {"classification": "classify", "regression": "regress"}


def load_model(spec: str, tasks: tuple[str, ...] = ("classify", "regress")) -> Any:
    """The model saved in the file ``spec``, with ``metadata["task"]`` always set.

    ``tasks``: the tasks the command takes (``"text"``: a character model of ``train-text``);
    a model of another task is a ``UserError`` that names the command to use.
    """
    path = Path(spec).expanduser()
    if path.is_dir():
        raise UserError(f"{spec} is a folder; give a model file (e.g. model.safetensors)")
    if not path.is_file():
        command = "train-text FILE" if tasks == ("text",) else "train DATA"
        raise UserError(f"no model file {spec}; train one first: humblenet {command} --out {spec}")
    if path.suffix.lower() == ".onnx":
        raise UserError(
            f"{spec} is an ONNX file, which humblenet export writes but does not read; give "
            "the .safetensors model file it was exported from (run it with ONNX Runtime)"
        )
    # Not a model file or damaged (ModelFileError), unreadable (OSError), or no safetensors.
    with user_input(ModelFileError, OSError, ImportError):
        model: Any = load(path)
    metadata = dict(getattr(model, "metadata", None) or {})
    task = metadata.get("task")
    task = _TASK_ALIASES.get(task, task) if isinstance(task, str) else None
    if task not in ("classify", "regress", "text"):
        task = _guess_task(model)
    metadata["task"] = task
    if task not in tasks:
        raise UserError(
            f"{spec} is a character text model (made by humblenet train-text); invent text "
            f"with: humblenet sample {spec}"
            if task == "text"
            else f"{spec} is not a text model (it was trained to {task}); sample from a model "
            "made by: humblenet train-text FILE"
        )
    model.metadata = metadata
    return model


def input_size(model: Any) -> int:
    """The number of values the model takes per sample."""
    return int(np.prod(model.input_shape))


def _output_size(model: Any) -> int:
    return int(output_shape(model, model.input_shape)[-1])


def class_names(model: Any) -> list[str]:
    """The model's class names, or ``"0"``, ``"1"``, ... when it was saved without them."""
    names = model.metadata.get("class_names")
    return list(names) if names else [str(i) for i in range(_output_size(model))]


def target_column(model: Any) -> str | None:
    """The name of the column the model predicts, if it records one."""
    metadata = model.metadata
    target = metadata.get("target")
    if target is None and isinstance(metadata.get("preprocessing"), dict):
        target = metadata["preprocessing"].get("target")
    return target if isinstance(target, str) else None


def standardize(model: Any, x: np.ndarray, where: str) -> np.ndarray:
    """Apply the standardization saved with the model (if any) to raw features ``x``."""
    size = input_size(model)
    given = int(np.prod(x.shape[1:]))
    if given != size:
        features = model.metadata.get("feature_names")
        takes = f" ({', '.join(features)})" if features else ""
        raise UserError(
            f"{where} gives {given} features per sample, but the model expects {size}{takes}: "
            "was it trained on other data?"
        )

    preprocessing = model.metadata.get("preprocessing")
    if not isinstance(preprocessing, dict) or "mean" not in preprocessing:
        return x
    # The statistics come from the model file: unusable ones are the file's fault.
    with user_input(ValueError, about="the model file's standardization cannot be applied"):
        return Standardizer.from_dict(preprocessing).transform(x)


def standardization(model: Any) -> dict[str, Any] | None:
    """The model file's ``Standardizer`` (``{"mean", "std"}``, checked), or ``None``: the
    preprocessing of a named table, and of table models saved before ``TablePreprocessor``."""
    preprocessing = model.metadata.get("preprocessing")
    if not isinstance(preprocessing, dict) or "mean" not in preprocessing:
        return None
    if "columns" in preprocessing:
        return None
    with user_input(ValueError, about="the model file's standardization cannot be applied"):
        scaler = Standardizer.from_dict(preprocessing)
    if scaler.mean is None or scaler.mean.shape != (input_size(model),):
        raise UserError(
            f"the model file's standardization has {getattr(scaler.mean, 'size', 0)} values, "
            f"but the network takes {input_size(model)}: the file is damaged"
        )
    return scaler.to_dict()


def table_preprocessor(model: Any) -> TablePreprocessor | None:
    """The table preprocessing saved with the model (fills, one-hot, standardization), or
    ``None`` for a model trained without it."""
    preprocessing = model.metadata.get("preprocessing")
    if not isinstance(preprocessing, dict) or "columns" not in preprocessing:
        return None
    with user_input(ValueError, about="the model file's preprocessing cannot be used"):
        preprocessor = TablePreprocessor.from_dict(preprocessing)
    if len(preprocessor.feature_names) != input_size(model):
        raise UserError(
            f"the model file's preprocessing makes {len(preprocessor.feature_names)} inputs, but "
            f"the network takes {input_size(model)}: the file is damaged"
        )
    return preprocessor


def table_inputs(
    preprocessor: TablePreprocessor, table: RawTable, rows: np.ndarray | None = None
) -> np.ndarray:
    """The network's inputs from a table's raw columns, found by name."""
    absent = [name for name in preprocessor.raw_names if name not in table.header]
    if absent:
        raise UserError(
            f"{table.path.name}: no column(s) {', '.join(absent)}; the file has "
            f"{', '.join(table.header)}, and the model takes {', '.join(preprocessor.raw_names)}"
        )
    columns = [table.index(name) for name in preprocessor.raw_names]
    with user_input(ValueError):  # text where the model takes numbers, an unseen category
        return preprocessor.transform(table, columns, rows)


# -- the network: built, compiled and adjusted here only -----------------------------------------


def compile_for(
    model: Any, task: str, optimizer: str = "adam", learning_rate: float | None = None
) -> None:
    """Compile ``model`` with the loss and metrics of ``task``."""
    if task == "classify":
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        loss, metrics = "mse", ["mae"]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, learning_rate=learning_rate)


def _guess_task(model: Any) -> str:
    """For a model saved without a task: softmax at the end classifies, else it regresses."""
    return "classify" if model.probability == "softmax" else "regress"


def _build_network(hidden: list[int], activation: str, outputs: int, task: str, seed: int) -> Any:
    seeds = [
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(len(hidden) + 1)
    ]
    layers = [Dense(units, activation=activation, seed=s) for units, s in zip(hidden, seeds)]
    last_activation = "softmax" if task == "classify" else None
    layers.append(Dense(outputs, activation=last_activation, seed=seeds[-1]))
    return Sequential(layers)


def _build_cnn(image_shape: tuple[int, ...], outputs: int, seed: int) -> Any:
    """``humblenet.models.small_cnn`` for images ``(channels, size, size)`` (channels first)."""
    channels, height, width = image_shape
    if height != width or height < 4:
        raise UserError(
            f"--model cnn takes square images of at least 4×4 pixels, got {height}×{width}"
        )
    return small_cnn(channels=channels, image_size=height, num_classes=outputs, seed=seed)


def _build_char_network(
    kind: str, vocab_size: int, embedding: int, hidden: int, layers: int, seed: int
) -> Any:
    """A character model: ids ``(B, T)`` -> Embedding -> ``kind`` (lstm, gru, rnn) ->
    Linear: the next character's scores ``(B, T, vocab_size)``."""
    recurrent = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
    return Sequential(
        [
            nn.Embedding(vocab_size, embedding),
            recurrent(embedding, hidden, num_layers=layers, batch_first=True),
            nn.Linear(hidden, vocab_size),
        ],
        seed=seed,
    )


def _fold_target_scaling(model: Any, mean: float, std: float) -> None:
    """Make the last (linear) layer output ``std * z + mean``: predictions in the target's units.

    Only for the network :func:`_build_network` made, which ends in a linear ``Dense``.
    """
    last = model.layers[-1]
    weight = last.weight.data
    np.copyto(weight, weight.astype(np.float64) * std, casting="same_kind")
    if last.bias is not None:
        bias = last.bias.data
        np.copyto(bias, bias.astype(np.float64) * std + mean, casting="same_kind")


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(size) for size in shape)


def _describe_network(model: Any) -> str:
    """``"64 -> 32 relu -> 3 softmax"``: the size after each layer that learns, and the
    activation it applies (as its configuration names it). For images, the shape
    (``"1×28×28 -> 16×28×28 -> 32×14×14 -> 10 softmax"``), leaving out the layers that learn but
    keep the shape of an image (a normalization); an activation layer names its activation after
    the size before it."""
    shape = tuple(model.input_shape)
    sizes = [_shape_text(shape)]
    for layer in model.layers:
        before, shape = shape, tuple(output_shape(layer, shape))
        activation = layer.get_config().get("activation")
        if not layer.count_params():
            if isinstance(activation, str) and len(sizes) > 1 and " " not in sizes[-1]:
                sizes[-1] += f" {activation}"
            continue
        if len(shape) > 1 and shape == before and not activation:
            continue
        sizes.append(_shape_text(shape) + (f" {activation}" if activation else ""))
    return " -> ".join(sizes)


def check_pixels(model: Any, x: np.ndarray, where: str) -> None:
    """An image model (``train --model cnn``) learned from pixels in [0, 1], as every image data
    set gives them: 0-255 pixels would give confident nonsense, so they are refused."""
    if len(getattr(model, "input_shape", ())) != 3 or not x.size:
        return
    low, high = float(np.min(x)), float(np.max(x))
    if low < 0 or high > 1:
        hint = "; divide 0-255 pixels by 255" if high > 1 else ""
        raise UserError(
            f"{where}: pixel values run from {low:g} to {high:g}, but the model was trained on "
            f"images with pixels in [0, 1]{hint}"
        )
