"""``humblenet evaluate MODEL DATA``: a saved model's loss and metrics on a CSV file or on the
test part of a named data set."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from humblenet.cli._common import (
    DATA_HELP,
    UserError,
    add_command,
    check_output,
    format_metrics,
    user_input,
)
from humblenet.cli._data import (
    Data,
    add_table_format_arguments,
    csv_path,
    is_csv,
    load_csv,
    load_named,
    read_user_table,
    refuse_table_format,
)
from humblenet.cli._model import (
    check_pixels,
    class_names,
    compile_for,
    load_model,
    standardize,
    table_inputs,
    table_preprocessor,
    target_column,
)
from humblenet.data.table import table_target
from humblenet.nn.containers import output_shape
from humblenet.plots import picture_format, plot_confusion_matrix

DESCRIPTION = (
    "Score a saved model: its loss and metrics on DATA.\n\n"
    "A CSV file is scored whole; it needs the model's feature columns and its target column "
    "(other columns are ignored), and the model's saved standardization is applied. A named "
    "data set is scored on its test part."
)

EPILOG = (
    "example:\n  humblenet evaluate model.safetensors flowers_test.csv\n"
    "  humblenet evaluate digits.safetensors digits --plot confusion.png"
)

_TASKS = {"classify": ("classification", "a classifier"), "regress": ("regression", "a regression")}


def register(commands: Any) -> None:
    """Add ``evaluate`` and its arguments to the sub-commands."""
    parser = add_command(
        commands,
        "evaluate",
        run,
        "score a saved model on a CSV file or a named data set",
        DESCRIPTION,
        EPILOG,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by humblenet train")
    parser.add_argument("data", metavar="DATA", help=DATA_HELP)
    parser.add_argument(
        "--target", metavar="COLUMN", help="the CSV's target column (default: the model's)"
    )
    parser.add_argument(
        "--plot", metavar="FILE", help="a classifier: also save its confusion matrix, e.g. cm.png"
    )
    add_table_format_arguments(parser)


def _remap_classes(model: Any, data: Data, y: np.ndarray) -> np.ndarray:
    """The data's class indices (into ``data.class_names``) as the model's class indices."""
    known = class_names(model)
    lookup = {name: index for index, name in enumerate(known)}
    assert data.class_names is not None
    unknown = [name for name in data.class_names if name not in lookup]
    if unknown and all(_index_in(name, len(known)) for name in data.class_names):
        # numbers 0 .. k-1 for a model that knows names (Fashion-MNIST's CSVs label this way):
        # the model's class indices, in the order of its names
        print(
            f"reading the target's numbers as the model's class indices "
            f"(0 = {known[0]!r}, {len(known) - 1} = {known[-1]!r})"
        )
        mapping = np.array([int(name) for name in data.class_names], dtype=np.int64)
        return mapping[y]
    if unknown and all(_index_in(name, 10**18) for name in data.class_names):
        outside = [name for name in data.class_names if not _index_in(name, len(known))]
        holder = f"the target {data.target!r} holds" if data.target else "the labels hold"
        raise UserError(
            f"{data.name}: {holder} the class number(s) {outside}, outside 0..{len(known) - 1} "
            f"for the model's {len(known)} classes (0 = {known[0]!r}, {len(known) - 1} = "
            f"{known[-1]!r})"
        )
    if unknown:
        holder = f"the target {data.target!r} holds" if data.target else "the labels hold"
        raise UserError(
            f"{data.name}: {holder} class(es) {unknown} that the model does not know; "
            f"it knows {known}"
        )
    mapping = np.array([lookup[name] for name in data.class_names], dtype=np.int64)
    return mapping[y]


def _index_in(name: str, count: int) -> bool:
    """Whether a class label is a whole number from 0 to ``count - 1`` ("3", "3.0")."""
    try:
        value = float(name)
    except ValueError:
        return False
    return value.is_integer() and 0 <= value < count


def _from_csv(
    args: argparse.Namespace, model: Any, task: str
) -> tuple[np.ndarray, np.ndarray, str]:
    """The rows of the CSV file DATA, standardized, their targets as the model's, its name."""
    csv_path(args.data)  # a missing file first: its fix is not --target
    target = args.target or target_column(model)
    if target is None:
        raise UserError(
            f"{args.model} does not record its target column; name it with --target COLUMN"
        )
    preprocessor = table_preprocessor(model)
    if preprocessor is not None:
        table = read_user_table(args.data, args.delimiter, args.encoding)
        with user_input(ValueError):
            y, names, _, rows = table_target(table, target, task)
        data = Data(table.path.name, rows, y, task, names, None, target, True)
        y = _remap_classes(model, data, y) if task == "classify" else y
        return table_inputs(preprocessor, table, rows), y, data.name
    refuse_table_format(args, args.model)
    data = load_csv(args.data, target, task, model.metadata.get("feature_names"))
    y = _remap_classes(model, data, data.y) if task == "classify" else data.y
    return standardize(model, data.x, data.name), y, data.name


def _from_named(spec: str, model: Any, task: str) -> tuple[np.ndarray, np.ndarray, str]:
    """The test part of the named data set ``spec``, standardized, with its name."""
    data = load_named(spec)
    if data.x_test is None or data.y_test is None:  # pragma: no cover - all sets have one
        raise UserError(f"{data.name} has no test part")
    x = standardize(model, data.x_test, data.name)
    if data.task != task:
        raise UserError(
            f"{data.name} is a {_TASKS[data.task][0]} data set, but the model is "
            f"{_TASKS[task][1]}: score it on data like the data it was trained on"
        )
    y = _remap_classes(model, data, data.y_test) if task == "classify" else data.y_test
    return x, y, data.name


def run(args: argparse.Namespace) -> int:
    """Print the model's loss and metrics on DATA (and save the confusion matrix)."""
    inputs = [("", args.model), ("", args.data)]
    plot = check_output(args.plot, "--plot", inputs=inputs) if args.plot else None
    model = load_model(args.model)
    task = model.metadata["task"]
    if plot is not None and task != "classify":
        raise UserError("--plot draws a confusion matrix, which needs a classifier")
    if plot is not None:
        with user_input(ValueError, ImportError):
            picture_format(plot)
    if is_csv(args.data):
        x, y, name = _from_csv(args, model, task)
        check_pixels(model, x, name)  # an image model's pixels in [0, 1], as predict checks
        where = f"{name} ({len(x)} rows)"
    else:
        for flag in ("delimiter", "encoding"):
            if getattr(args, flag) is not None:
                raise UserError(f"--{flag} is for a CSV file; {args.data} is a named data set")
        x, y, name = _from_named(args.data, model, task)
        where = f"the test part of {name} ({len(x)} samples)"
    compile_for(model, task)
    x = x.reshape((len(x), *model.input_shape))  # a CNN's images: (N, 1, H, W) from the pixels
    outputs = int(np.prod(output_shape(model, model.input_shape)))
    if task == "regress" and outputs > 1 and y.ndim == 1:
        raise UserError(
            f"{args.model} records no task and does not end in a softmax, so it is read as a "
            f"regression with {outputs} outputs, but the target has one value per row. For a "
            "classifier, save it with a softmax as its last layer (nn.Softmax(dim=1), or "
            "activation='softmax' on the last Dense), so that its outputs are probabilities"
        )
    logs = model.evaluate(x, y, return_dict=True)
    print(f"{where}: {format_metrics(logs)}")
    if plot is not None:
        with user_input(OSError, ImportError):
            plot_confusion_matrix(y, model.predict(x), class_names(model), plot, title=where)
        print(f"saved the confusion matrix to {plot}")
    return 0
