"""The ``humblenet`` command line: argparse sub-commands, ``main(argv=None) -> int``.

Sub-commands: ``train``, ``evaluate``, ``predict``, ``info``, ``export``, ``datasets`` and
``tour``; ``humblenet COMMAND --help`` explains each one with an example.

A user's mistake (a missing file, a bad column or number, an unreadable model, an unknown data
set) prints one line to stderr that says what to do, and exits with status 2, never a traceback;
a command that fails writes nothing (every output is written at the end, atomically). Ctrl-C
exits with status 130. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit status 2."""


# -- the parser ----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def _sub_parser(sub: Any, name: str, help_text: str, description: str, epilog: str) -> Any:
    return sub.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


DEFAULT_HIDDEN = "64,32"
DEFAULT_EPOCHS_TABLE = 20
DEFAULT_EPOCHS_IMAGES = 5
LARGE_IMAGE_SETS = ("fashion-mnist", "mnist")
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "gelu", "tanh", "sigmoid", "linear")

_DATA_HELP = (
    "a CSV file with a header row, or a named data set: digits, jogging, fashion-mnist, "
    "mnist:FOLDER (see: humblenet datasets)"
)

_TRAIN_DESCRIPTION = """\
Train a network on a CSV file or a named data set and save it to one file.

The network: Dense layers of the --hidden sizes with --activation, then a softmax layer with
one unit per class (classification, loss sparse categorical cross-entropy, metric accuracy) or
one linear unit (regression, loss mean squared error, metric mean absolute error).

A CSV file: the target is --target (default: the last column) and every other column is a
numeric feature. Text labels make a classification; numbers are classes when they are whole and
at most 20 distinct, otherwise a regression (force it with --task). The rows are split at random
(--seed) into training and validation parts (--validation-split); each feature is standardized
with the training part's mean and standard deviation, which are saved with the model and applied
again by evaluate and predict.

A named data set: images are flattened (8x8 = 64 or 28x28 = 784 values in [0, 1], as loaded);
jogging (regression, target kcal) is standardized as a CSV file is. The validation part comes
out of the training images; the test images are kept apart and scored at the end.

Regression targets are standardized during training too (so the losses printed per epoch are in
those units); the scaling is then folded into the last layer, so the saved model predicts in the
target's own units, and the final metrics are in those units.

Prints one line per epoch (a progress bar in a terminal), then the loss and metrics of each part
and where the model was saved."""

_TRAIN_EPILOG = f"""\
defaults: --hidden {DEFAULT_HIDDEN}, --activation relu, --epochs {DEFAULT_EPOCHS_TABLE} \
({DEFAULT_EPOCHS_IMAGES} for fashion-mnist and mnist),
  --batch-size 32, --optimizer adam, its own learning rate (adam: 0.001),
  --validation-split 0.2, --seed 0, --out model.safetensors

examples:
  humblenet train flowers.csv --target species --epochs 50 --plot curves.png
  humblenet train houses.csv --target price --task regress --hidden 32 --out houses.safetensors
  humblenet train digits --epochs 10
  humblenet train mnist:~/data/mnist --hidden 128,64 --epochs 5"""


def build_parser() -> argparse.ArgumentParser:
    """The ``humblenet`` argument parser with every sub-command."""
    parser = _Parser(
        prog="humblenet",
        description="Neural networks from scratch: the series, a library and a command line.",
    )
    from humblenet import __version__

    parser.add_argument("--version", action="version", version=f"humblenet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    # train ---------------------------------------------------------------------------------
    train = _sub_parser(
        sub,
        "train",
        "train a network on a CSV file or a named data set and save it",
        _TRAIN_DESCRIPTION,
        _TRAIN_EPILOG,
    )
    train.add_argument("data", metavar="DATA", help=_DATA_HELP)
    train.add_argument("--target", metavar="COLUMN", help="the CSV column to predict (last)")
    train.add_argument(
        "--task", choices=("classify", "regress"), help="classify or regress (guessed from DATA)"
    )
    train.add_argument(
        "--hidden",
        default=DEFAULT_HIDDEN,
        metavar="SIZES",
        help=f'hidden layer sizes, comma-separated ({DEFAULT_HIDDEN}); "" for none',
    )
    train.add_argument(
        "--activation", default="relu", choices=HIDDEN_ACTIVATIONS, help="hidden layers' (relu)"
    )
    train.add_argument(
        "--epochs",
        type=_positive_int("--epochs"),
        metavar="N",
        help=f"passes over the data ({DEFAULT_EPOCHS_TABLE}; {DEFAULT_EPOCHS_IMAGES} for "
        "fashion-mnist and mnist)",
    )
    train.add_argument(
        "--batch-size", type=_positive_int("--batch-size"), default=32, metavar="N", help="(32)"
    )
    from humblenet.training import OPTIMIZER_NAMES

    train.add_argument("--optimizer", default="adam", choices=OPTIMIZER_NAMES, help="(adam)")
    train.add_argument(
        "--learning-rate",
        type=_positive_float("--learning-rate"),
        metavar="X",
        help="the optimizer's step size (its own default: 0.001 for adam)",
    )
    train.add_argument(
        "--validation-split",
        type=_fraction("--validation-split"),
        default=0.2,
        metavar="F",
        help="the share of training rows held out to validate on, in [0, 1) (0.2)",
    )
    train.add_argument(
        "--seed", type=_integer("--seed"), default=0, help="seeds the split and weights (0)"
    )
    train.add_argument(
        "--out",
        default="model.safetensors",
        metavar="FILE",
        help="where to save the model (model.safetensors)",
    )
    train.add_argument(
        "--plot", metavar="FILE", help="also save loss and accuracy curves, e.g. curves.png"
    )
    train.set_defaults(func=_cmd_train)

    # evaluate ------------------------------------------------------------------------------
    evaluate = _sub_parser(
        sub,
        "evaluate",
        "score a saved model on a CSV file or a named data set",
        "Score a saved model: its loss and metrics on DATA.\n\n"
        "A CSV file is scored whole; it needs the model's feature columns and its target column "
        "(other columns are ignored), and the model's saved standardization is applied. A named "
        "data set is scored on its test part.",
        "example:\n  humblenet evaluate model.safetensors flowers_test.csv\n"
        "  humblenet evaluate digits.safetensors digits --plot confusion.png",
    )
    evaluate.add_argument("model", metavar="MODEL", help="a model file saved by humblenet train")
    evaluate.add_argument("data", metavar="DATA", help=_DATA_HELP)
    evaluate.add_argument(
        "--target", metavar="COLUMN", help="the CSV's target column (default: the model's)"
    )
    evaluate.add_argument(
        "--plot", metavar="FILE", help="a classifier: also save its confusion matrix, e.g. cm.png"
    )
    evaluate.set_defaults(func=_cmd_evaluate)

    # predict -------------------------------------------------------------------------------
    predict = _sub_parser(
        sub,
        "predict",
        "predict with a saved model, from name=value pairs or a CSV file",
        "Predict with a saved model.\n\n"
        "--input takes one value per feature, by name (humblenet info MODEL lists them); "
        "--csv takes a file with a header row naming the feature columns (other columns are "
        "ignored; a model trained on images takes every column, in order). The model's saved "
        "standardization is applied.\n\n"
        "The predictions come out as CSV: for a classifier the columns prediction (the class "
        "name), probability (of that class) and probability_CLASS for every class; for a "
        "regression one column, prediction. They are printed, or written to --output. With "
        "--input a classifier's answer is printed as a sentence with each class's probability.",
        "example:\n"
        "  humblenet predict model.safetensors --input petal_length=1.4 petal_width=0.2\n"
        "  humblenet predict model.safetensors --csv new_flowers.csv --output predictions.csv",
    )
    predict.add_argument("model", metavar="MODEL", help="a model file saved by humblenet train")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--input",
        nargs="+",
        action="extend",
        metavar="NAME=VALUE",
        help="one value per feature, e.g. minutes=30 speed_m_per_s=3 mass_kg=80",
    )
    source.add_argument("--csv", metavar="FILE", help="a CSV file of rows to predict")
    predict.add_argument("--output", metavar="FILE", help="write the predictions' CSV here")
    predict.set_defaults(func=_cmd_predict)

    # info ----------------------------------------------------------------------------------
    info = _sub_parser(
        sub,
        "info",
        "describe a saved model",
        "Describe a saved model: its layers, what it was trained on, its task, classes and "
        "features, its metrics and the humblenet version that saved it.",
        "example:\n  humblenet info model.safetensors",
    )
    info.add_argument("model", metavar="MODEL", help="a model file saved by humblenet")
    info.set_defaults(func=_cmd_info)

    # export --------------------------------------------------------------------------------
    export = _sub_parser(
        sub,
        "export",
        "export a saved model to ONNX",
        "Export a saved model to an ONNX file that ONNX Runtime (and other tools) can run.\n\n"
        "The ONNX model computes the network alone: standardize the inputs first with the mean "
        "and std that humblenet info prints.",
        "example:\n  humblenet export model.safetensors model.onnx",
    )
    export.add_argument("model", metavar="MODEL", help="a model file saved by humblenet")
    export.add_argument("out", metavar="OUT.onnx", help="the ONNX file to write")
    export.set_defaults(func=_cmd_export)

    # datasets ------------------------------------------------------------------------------
    datasets = _sub_parser(
        sub,
        "datasets",
        "list the named data sets, where each is found and how to get it",
        "List the named data sets DATA can name: what each is, its size, and where it was found "
        "or how to get it.",
        "example:\n  humblenet datasets",
    )
    datasets.set_defaults(func=_cmd_datasets)

    # tour ----------------------------------------------------------------------------------
    tour = sub.add_parser(
        "tour",
        help="walk through the series, part by part",
        description="Walk through the series 'Deep Learning Basics', part by part.",
        epilog="example:\n  humblenet tour\n  humblenet tour --verbose",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tour.add_argument("--verbose", "-v", action="store_true", help="show every step's trace")
    tour.set_defaults(func=_cmd_tour)
    return parser


# -- argument types: a bad value becomes one line from argparse ----------------------------------


def _integer(flag: str) -> Any:
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None

    parse.__name__ = flag
    return parse


def _positive_int(flag: str) -> Any:
    def parse(text: str) -> int:
        value = _integer(flag)(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 1")
        return int(value)

    parse.__name__ = flag
    return parse


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _positive_float(flag: str) -> Any:
    def parse(text: str) -> float:
        value = _float(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: give a number > 0, e.g. 0.001")
        return value

    parse.__name__ = flag
    return parse


def _fraction(flag: str) -> Any:
    def parse(text: str) -> float:
        value = _float(text)
        if not 0 <= value < 1:
            raise argparse.ArgumentTypeError(f"{text!r}: give a number in [0, 1), e.g. 0.2")
        return value

    parse.__name__ = flag
    return parse


def parse_hidden(text: str) -> list[int]:
    """Hidden layer sizes from ``"64,32"``; an empty text (or ``"none"``) means no hidden layer.

    >>> parse_hidden("64, 32")
    [64, 32]
    >>> parse_hidden("")
    []
    """
    cleaned = text.strip()
    if cleaned.lower() in ("", "none"):
        return []
    sizes = []
    for part in cleaned.split(","):
        try:
            size = int(part.strip())
        except ValueError:
            size = 0
        if size < 1:
            raise UserError(
                f"--hidden {text!r}: expected layer sizes (whole numbers >= 1) separated by "
                'commas, e.g. --hidden 64,32, or --hidden "" for no hidden layer'
            )
        sizes.append(size)
    return sizes


# -- data ----------------------------------------------------------------------------------------


@dataclass
class _Data:
    """Training (and maybe test) arrays with what they mean, from a CSV file or a named set."""

    name: str
    x: np.ndarray
    y: np.ndarray
    task: str
    class_names: tuple[str, ...] | None
    feature_names: tuple[str, ...] | None
    target: str | None
    is_table: bool
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


_NAMED_TARGETS = {"jogging": "kcal"}


def _is_csv(spec: str) -> bool:
    path = Path(spec).expanduser()
    return path.is_file() or spec.lower().endswith(".csv") or path.is_dir()


def _named_key(spec: str) -> str:
    """The catalog name of ``spec``, or a UserError saying it is neither a file nor a name."""
    from humblenet.data import list_datasets

    key = spec.strip().lower()
    if key.startswith("mnist:"):
        if not spec.split(":", 1)[1].strip():
            raise UserError("mnist: give the folder holding MNIST's files, e.g. mnist:~/data/mnist")
        return "mnist"
    key = key.replace("_", "-").replace("fashionmnist", "fashion-mnist")
    names = [info.name for info in list_datasets()]
    if key not in names:
        raise UserError(
            f"{spec!r} is neither a file nor a named data set; give a CSV file's path or one "
            f"of: {', '.join(n if n != 'mnist' else 'mnist:FOLDER' for n in names)} "
            "(see: humblenet datasets)"
        )
    return key


def _load_named(spec: str) -> _Data:
    from humblenet.data import load_dataset

    key = _named_key(spec)
    if key == "mnist":
        folder = spec.split(":", 1)[1] if ":" in spec else None
        options: dict[str, Any] = {"flatten": True}
        if folder is not None:
            options["folder"] = str(Path(folder.strip()).expanduser())
        dataset = load_dataset("mnist", **options)
    elif key == "jogging":
        dataset = load_dataset(key)
    else:
        dataset = load_dataset(key, flatten=True)
    is_table = dataset.feature_names is not None
    return _Data(
        name=dataset.name if key != "mnist" else spec.strip(),
        x=dataset.x_train,
        y=dataset.y_train,
        task=dataset.task,
        class_names=dataset.class_names,
        feature_names=dataset.feature_names,
        target=_NAMED_TARGETS.get(key, "label") if is_table else None,
        is_table=is_table,
        x_test=dataset.x_test,
        y_test=dataset.y_test,
    )


def _load_csv(
    spec: str,
    target: str | None,
    task: str | None,
    features: Sequence[str] | None = None,
) -> _Data:
    from humblenet.data import read_csv

    path = Path(spec).expanduser()
    if path.is_dir():
        raise UserError(f"{spec} is a folder; give a CSV file (for MNIST's files: mnist:{spec})")
    if not path.is_file():
        raise UserError(
            f"no such file: {spec}; check the path, or name a data set (see: humblenet datasets)"
        )
    table = read_csv(path, target=target, task=task, features=features)  # type: ignore[arg-type]
    return _Data(
        name=path.name,
        x=table.x,
        y=table.y,
        task=table.task,
        class_names=table.class_names,
        feature_names=table.feature_names,
        target=table.target,
        is_table=True,
    )


def _load_training_data(spec: str, target: str | None, task: str | None) -> _Data:
    if _is_csv(spec):
        return _load_csv(spec, target, task)
    data = _load_named(spec)
    if target is not None and target != data.target:
        raise UserError(
            f"--target {target}: the data set {data.name} has its own target "
            f"({data.target or 'the image labels'}); leave --target out"
        )
    if task is not None and task != data.task:
        raise UserError(
            f"--task {task}: the data set {data.name} is a {data.task} task; leave --task out"
        )
    return data


# -- the model file ------------------------------------------------------------------------------

_TASK_ALIASES = {"classification": "classify", "regression": "regress"}


def _load_model(spec: str) -> Any:
    from humblenet.serialize import load

    path = Path(spec).expanduser()
    if path.is_dir():
        raise UserError(f"{spec} is a folder; give a model file (e.g. model.safetensors)")
    if not path.is_file():
        raise UserError(f"no model file {spec}; train one first: humblenet train DATA --out {spec}")
    model: Any = load(path)
    metadata = dict(getattr(model, "metadata", None) or {})
    task = metadata.get("task")
    task = _TASK_ALIASES.get(task, task) if isinstance(task, str) else None
    if task not in ("classify", "regress"):
        task = _guess_task(model)
    metadata["task"] = task
    model.metadata = metadata
    return model


def _guess_task(model: Any) -> str:
    """For a model saved without a task: softmax at the end classifies, else it regresses."""
    last = model.layers[-1] if model.layers else None
    activation = getattr(last, "activation", None)
    return "classify" if activation == "softmax" or type(last).__name__ == "Softmax" else "regress"


def _input_size(model: Any) -> int:
    return int(np.prod(model.input_shape))


def _output_size(model: Any) -> int:
    from humblenet.nn.module import output_shape

    return int(output_shape(model, model.input_shape)[-1])


def _class_names(model: Any) -> list[str]:
    names = model.metadata.get("class_names")
    return list(names) if names else [str(i) for i in range(_output_size(model))]


def _target_column(model: Any) -> str | None:
    metadata = model.metadata
    target = metadata.get("target")
    if target is None and isinstance(metadata.get("preprocessing"), dict):
        target = metadata["preprocessing"].get("target")
    return target if isinstance(target, str) else None


def _standardize(model: Any, x: np.ndarray, where: str) -> np.ndarray:
    """Apply the standardization saved with the model (if any) to raw features ``x``."""
    from humblenet.data import Standardizer

    size = _input_size(model)
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
    scaler = Standardizer.from_dict(preprocessing)
    return scaler.transform(x)


def _compile_for(
    model: Any, task: str, optimizer: str = "adam", learning_rate: float | None = None
) -> None:
    if task == "classify":
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        loss, metrics = "mse", ["mae"]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, learning_rate=learning_rate)


# -- writing outputs -----------------------------------------------------------------------------


def _check_output(spec: str, flag: str) -> Path:
    """Refuse an output path whose folder is missing or that names a folder, before any work."""
    path = Path(spec).expanduser()
    if path.is_dir():
        raise UserError(f"{flag} {spec} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UserError(f"{flag} {spec}: the folder {path.parent} does not exist; create it first")
    return path


def _write_text(path: Path, text: str) -> None:
    from humblenet.serialize import write_atomically

    write_atomically(path, text.encode("utf-8"))


# -- train ---------------------------------------------------------------------------------------


def _build_network(hidden: list[int], activation: str, outputs: int, task: str, seed: int) -> Any:
    from humblenet.nn import Dense, Sequential

    seeds = [
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(len(hidden) + 1)
    ]
    layers = [Dense(units, activation=activation, seed=s) for units, s in zip(hidden, seeds)]
    last_activation = "softmax" if task == "classify" else None
    layers.append(Dense(outputs, activation=last_activation, seed=seeds[-1]))
    return Sequential(layers)


def _fold_target_scaling(model: Any, mean: float, std: float) -> None:
    """Make the last (linear) layer output ``std * z + mean``: predictions in the target's units."""
    last = model.layers[-1]
    weight = last.weight.data
    np.copyto(weight, weight.astype(np.float64) * std, casting="same_kind")
    if last.bias is not None:
        bias = last.bias.data
        np.copyto(bias, bias.astype(np.float64) * std + mean, casting="same_kind")


def _describe_network(model: Any) -> str:
    sizes = [str(_input_size(model))]
    for layer in model.layers:
        units = getattr(layer, "units", None)
        if units is not None:
            activation = getattr(layer, "activation", None)
            sizes.append(f"{units}" + (f" {activation}" if activation else ""))
    return " -> ".join(sizes)


def _format_metrics(logs: dict[str, float]) -> str:
    names = {"loss": "loss", "accuracy": "accuracy", "mae": "mean absolute error"}
    return ", ".join(f"{names.get(key, key)} {value:.4f}" for key, value in logs.items())


def _split_and_standardize(
    data: _Data, validation_split: float, seed: int
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], Any]:
    """The training, validation and test parts, standardized with the training part's numbers."""
    from humblenet.data import Standardizer, train_validation_split

    parts: dict[str, tuple[np.ndarray, np.ndarray]] = {"training": (data.x, data.y)}
    if validation_split > 0:
        training, validation = train_validation_split(data.x, data.y, validation_split, seed)
        parts = {"training": training, "validation": validation}
    if data.x_test is not None and data.y_test is not None:
        parts["test"] = (data.x_test, data.y_test)
    scaler = Standardizer().fit(parts["training"][0]) if data.is_table else None
    if scaler is not None:
        parts = {name: (scaler.transform(x), y) for name, (x, y) in parts.items()}
    return parts, scaler


def _save_outputs(
    model: Any,
    history: Any,
    data: _Data,
    scaler: Any,
    metrics: dict[str, float],
    out: Path,
    plot: Path | None,
) -> None:
    """Save the model (atomically) and the curves: the plot is renamed into place only after the
    model is saved, so a failure leaves neither."""
    preprocessing = None if scaler is None else {**scaler.to_dict(), "target": data.target}
    temporary_plot = None
    if plot is not None:
        from humblenet.plots import plot_history

        temporary_plot = plot.with_name(f".{plot.name}.humblenet-tmp{plot.suffix}")
        plot_history(history, temporary_plot, title=f"{data.name}: {_describe_network(model)}")
    try:
        model.save(
            out,
            class_names=list(data.class_names) if data.class_names else None,
            feature_names=list(data.feature_names) if data.feature_names else None,
            preprocessing=preprocessing,
            task=data.task,
            dataset=data.name,
            metrics=metrics,
        )
        if temporary_plot is not None and plot is not None:
            temporary_plot.replace(plot)
    finally:
        if temporary_plot is not None:
            temporary_plot.unlink(missing_ok=True)


def _cmd_train(args: argparse.Namespace) -> int:
    # 1. Check everything that can be checked before any work.
    hidden = parse_hidden(args.hidden)
    out = _check_output(args.out, "--out")
    plot = _check_output(args.plot, "--plot") if args.plot else None
    if plot is not None:
        if plot.resolve() == out.resolve():
            raise UserError("--plot and --out name the same file; give the plot its own name")
        from humblenet.plots import picture_format

        picture_format(plot)  # matplotlib is there and writes this format
    if importlib.util.find_spec("safetensors") is None:
        raise UserError('saving the model needs safetensors: pip install "humblenet[save]"')
    data = _load_training_data(args.data, args.target, args.task)
    if data.task == "classify" and data.class_names is not None and len(data.class_names) < 2:
        raise UserError(
            f"the target {data.target!r} has one class only ({data.class_names[0]!r}): there is "
            "nothing to learn; check --target"
        )
    classes = len(data.class_names or ())
    if data.task == "classify" and classes > 20 and classes > len(data.y) // 2:
        raise UserError(
            f"the target {data.target!r} has {classes} distinct values in {len(data.y)} rows: "
            "too many classes to learn; if it is a quantity, use --task regress"
        )
    large = data.name in LARGE_IMAGE_SETS or data.name.startswith("mnist:")
    epochs = args.epochs or (DEFAULT_EPOCHS_IMAGES if large else DEFAULT_EPOCHS_TABLE)

    # 2. Split, then standardize with the training part's statistics only.
    parts, scaler = _split_and_standardize(data, args.validation_split, args.seed)

    # 3. Regression: learn a standardized target, fold the scaling into the last layer later.
    y_mean, y_std = 0.0, 1.0
    if data.task == "regress":
        y64 = parts["training"][1].astype(np.float64)
        y_mean, y_std = float(y64.mean()), float(y64.std()) or 1.0

    def learned_target(y: np.ndarray) -> np.ndarray:
        if data.task != "regress":
            return y
        return ((y.astype(np.float64) - y_mean) / y_std).astype(np.float32)

    outputs = len(data.class_names or ()) if data.task == "classify" else 1
    model = _build_network(hidden, args.activation, outputs, data.task, args.seed)
    model.build(parts["training"][0].shape[1:])
    _compile_for(model, data.task, args.optimizer, args.learning_rate)
    what = (
        f"{len(data.class_names or ())} classes"
        if data.task == "classify"
        else f"regression of {data.target}"
    )
    counts = ", ".join(f"{len(x)} {name}" for name, (x, _) in parts.items())
    print(f"training {_describe_network(model)} on {data.name} ({what}; {counts} samples)")

    # 4. Train, then score every part with the final weights.
    validation = None
    if "validation" in parts:
        x_v, y_v = parts["validation"]
        validation = (x_v, learned_target(y_v))
    history = model.fit(
        parts["training"][0],
        learned_target(parts["training"][1]),
        batch_size=args.batch_size,
        epochs=epochs,
        verbose=1,
        validation_data=validation,
        seed=args.seed,
    )
    if data.task == "regress":
        _fold_target_scaling(model, y_mean, y_std)
    metrics: dict[str, float] = {}
    prefixes = {"training": "", "validation": "val_", "test": "test_"}
    for name, (x, y) in parts.items():
        logs = model.evaluate(x, y, return_dict=True)
        print(f"{name + ':':<12}{_format_metrics(logs)}")
        metrics.update({prefixes[name] + key: value for key, value in logs.items()})

    # 5. Write the outputs, only now that everything worked.
    _save_outputs(model, history, data, scaler, metrics, out, plot)
    print(f"saved the model to {out}" + (f" and the curves to {plot}" if plot else ""))
    return 0


# -- evaluate ------------------------------------------------------------------------------------


def _remap_classes(model: Any, data: _Data) -> np.ndarray:
    """The file's class indices (sorted labels of this file) as the model's class indices."""
    known = _class_names(model)
    lookup = {name: index for index, name in enumerate(known)}
    assert data.class_names is not None
    unknown = [name for name in data.class_names if name not in lookup]
    if unknown:
        raise UserError(
            f"{data.name}: the target {data.target!r} holds class(es) {unknown} that the model "
            f"does not know; it knows {known}"
        )
    mapping = np.array([lookup[name] for name in data.class_names], dtype=np.int64)
    return mapping[data.y]


def _cmd_evaluate(args: argparse.Namespace) -> int:
    plot = _check_output(args.plot, "--plot") if args.plot else None
    model = _load_model(args.model)
    task = model.metadata["task"]
    if plot is not None and task != "classify":
        raise UserError("--plot draws a confusion matrix, which needs a classifier")
    if plot is not None:
        from humblenet.plots import picture_format

        picture_format(plot)
    if _is_csv(args.data):
        target = args.target or _target_column(model)
        features = model.metadata.get("feature_names")
        if target is None:
            raise UserError(
                f"{args.model} does not record its target column; name it with --target COLUMN"
            )
        data = _load_csv(args.data, target, task, features)
        x, y = data.x, data.y
        if task == "classify":
            y = _remap_classes(model, data)
        x = _standardize(model, x, data.name)
        where = f"{data.name} ({len(x)} rows)"
    else:
        named = _load_named(args.data)
        if named.x_test is None or named.y_test is None:  # pragma: no cover - all sets have one
            raise UserError(f"{named.name} has no test part")
        x, y = _standardize(model, named.x_test, named.name), named.y_test
        where = f"the test part of {named.name} ({len(x)} samples)"
    _compile_for(model, task)
    logs = model.evaluate(x, y, return_dict=True)
    print(f"{where}: {_format_metrics(logs)}")
    if plot is not None:
        from humblenet.plots import plot_confusion_matrix

        names = _class_names(model)
        plot_confusion_matrix(y, model.predict(x), names, plot, title=f"{where}")
        print(f"saved the confusion matrix to {plot}")
    return 0


# -- predict -------------------------------------------------------------------------------------


def _parse_inputs(pairs: list[str], features: list[str]) -> np.ndarray:
    values: dict[str, float] = {}
    for pair in pairs:
        name, equals, text = pair.rpartition("=")
        name = name.strip()
        if not equals or not name:
            raise UserError(
                f"--input {pair!r}: give each feature as NAME=NUMBER, e.g. {features[0]}=1.5"
            )
        if name in values:
            raise UserError(f"--input gives {name!r} twice; give each feature once")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise UserError(f"--input {pair!r}: {text!r} is not a number; give {name}=NUMBER")
        values[name] = value
    unknown = [name for name in values if name not in features]
    missing = [name for name in features if name not in values]
    if unknown or missing:
        problems = []
        if unknown:
            problems.append(f"unknown feature(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        raise UserError(f"--input: {'; '.join(problems)}; the model takes {', '.join(features)}")
    return np.array([[values[name] for name in features]], dtype=np.float32)


def _read_feature_csv(spec: str, features: list[str] | None, size: int) -> np.ndarray:
    """The feature columns of a CSV file (by name, or every column for a model without names)."""
    path = Path(spec).expanduser()
    if not path.is_file():
        raise UserError(f"--csv {spec}: no such file; check the path")
    with open(path, newline="", encoding="utf-8-sig") as file:
        rows = [(number, cells) for number, cells in enumerate(csv.reader(file), start=1)]
    rows = [(n, cells) for n, cells in rows if any(cell.strip() for cell in cells)]
    if len(rows) < 2:
        raise UserError(f"{path.name}: expected a header row and at least one data row")
    header = [cell.strip() for cell in rows[0][1]]
    if features is None:
        if len(header) != size:
            raise UserError(
                f"{path.name}: {len(header)} columns, but the model takes {size} values per "
                "sample (one column each, in order); remove other columns such as a label"
            )
        indices = list(range(len(header)))
    else:
        missing = [name for name in features if name not in header]
        if missing:
            raise UserError(
                f"{path.name}: no column(s) {', '.join(missing)}; the model takes "
                f"{', '.join(features)}, the file has {', '.join(header)}"
            )
        indices = [header.index(name) for name in features]
    x = np.empty((len(rows) - 1, len(indices)), dtype=np.float32)
    for row, (line, cells) in enumerate(rows[1:]):
        if len(cells) != len(header):
            raise UserError(
                f"{path.name}: line {line} has {len(cells)} values, the header {len(header)}"
            )
        for column, index in enumerate(indices):
            text = cells[index].strip()
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise UserError(
                    f"{path.name}: line {line}, column {header[index]!r}: {text!r} is not a "
                    "number; fix or remove the row"
                )
            x[row, column] = value
    return x


def _number(value: float) -> str:
    """A float32 with every digit needed to read it back exactly."""
    return format(float(value), ".9g")


def _predictions_csv(model: Any, outputs: np.ndarray) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if model.metadata["task"] == "classify":
        names = _class_names(model)
        writer.writerow(["prediction", "probability", *(f"probability_{n}" for n in names)])
        for row in outputs:
            best = int(np.argmax(row))
            writer.writerow([names[best], _number(row[best]), *(_number(p) for p in row)])
    else:
        if outputs.shape[1] == 1:
            header = ["prediction"]
        else:
            header = [f"prediction_{i}" for i in range(outputs.shape[1])]
        writer.writerow(header)
        for row in outputs:
            writer.writerow([_number(v) for v in row])
    return buffer.getvalue()


def _cmd_predict(args: argparse.Namespace) -> int:
    output = _check_output(args.output, "--output") if args.output else None
    model = _load_model(args.model)
    features = model.metadata.get("feature_names")
    if args.input is not None:
        if not features:
            raise UserError(
                f"{args.model} has no feature names (it was trained on images or saved without "
                "them): give the samples with --csv FILE instead of --input"
            )
        x = _parse_inputs(args.input, list(features))
    else:
        x = _read_feature_csv(args.csv, list(features) if features else None, _input_size(model))
    where = "--input" if args.input is not None else args.csv
    outputs = model.predict(_standardize(model, x, where).reshape((len(x), *model.input_shape)))
    if args.input is not None and output is None:
        _print_one_prediction(model, outputs[0])
        return 0
    text = _predictions_csv(model, outputs)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_text(output, text)
        print(f"wrote {len(outputs)} prediction(s) to {output}")
    return 0


def _print_one_prediction(model: Any, scores: np.ndarray) -> None:
    target = _target_column(model) or "prediction"
    if model.metadata["task"] == "classify":
        names = _class_names(model)
        best = int(np.argmax(scores))
        print(f"{target}: {names[best]} (probability {scores[best]:.4f})")
        width = max(len(name) for name in names)
        for name, probability in zip(names, scores):
            print(f"  {name:<{width}}  {probability:.4f}")
    else:
        print(f"{target}: " + ", ".join(_number(v) for v in scores))


# -- info, export, datasets, tour ----------------------------------------------------------------


def _cmd_info(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    metadata = model.metadata
    print(model.summary(print_fn=None))
    task = {"classify": "classification", "regress": "regression"}[metadata["task"]]
    print(f"task: {task}")
    if metadata.get("dataset"):
        print(f"trained on: {metadata['dataset']}")
    target = _target_column(model)
    if target:
        print(f"target: {target}")
    if metadata.get("class_names"):
        print(f"classes ({len(metadata['class_names'])}): {', '.join(metadata['class_names'])}")
    if metadata.get("feature_names"):
        print(
            f"features ({len(metadata['feature_names'])}): {', '.join(metadata['feature_names'])}"
        )
    else:
        print(f"inputs: {_input_size(model)} values per sample")
    preprocessing = metadata.get("preprocessing")
    if isinstance(preprocessing, dict) and "mean" in preprocessing:
        print("standardized inputs: (x - mean) / std, applied by evaluate and predict")
        print("  mean: " + ", ".join(f"{v:.6g}" for v in preprocessing["mean"]))
        print("  std:  " + ", ".join(f"{v:.6g}" for v in preprocessing.get("std", [])))
    if metadata.get("metrics"):
        print("metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in metadata["metrics"].items()))
    version = metadata.get("humblenet_version") or metadata.get("version")
    if version:
        print(f"saved by humblenet {version}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    out = _check_output(args.out, "OUT.onnx")
    model = _load_model(args.model)
    from humblenet.onnx_export import export_onnx

    export_onnx(model, out)
    print(f"wrote {out}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from humblenet.data import describe_datasets

    print(describe_datasets())
    return 0


def _cmd_tour(args: argparse.Namespace) -> int:
    from humblenet.tour import run_tour

    run_tour(verbose=args.verbose, out=sys.stdout)
    return 0


# -- main ----------------------------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    """An exception's message on one line (an OSError as 'reason: file')."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        text = f"{error.strerror}: {error.filename}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"humblenet: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("humblenet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `humblenet tour | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (ValueError, TypeError, OSError) as exc:
        # The library's messages for bad input (a bad CSV, an unreadable model file, a data set
        # not found, ...) say what to do; the user needs them, not a traceback.
        print(f"humblenet: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:
        if "pip install" not in str(exc):
            raise
        print(f"humblenet: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
