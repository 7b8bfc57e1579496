"""``humblenet predict MODEL``: predictions from ``--input NAME=VALUE`` pairs or a ``--csv`` file,
as CSV (or, for one sample, a sentence)."""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from humblenet.cli._common import UserError, add_command, check_output, write_text
from humblenet.cli._data import (
    add_table_format_arguments,
    read_features,
    read_user_table,
    refuse_table_format,
)
from humblenet.cli._model import (
    check_pixels,
    class_names,
    input_size,
    load_model,
    standardize,
    table_inputs,
    table_preprocessor,
    target_column,
)
from humblenet.data.table import MISSING, table_from_cells

DESCRIPTION = (
    "Predict with a saved model.\n\n"
    "--input takes one value per feature, by name (humblenet info MODEL lists them); "
    "--csv takes a file with a header row naming the feature columns (other columns are "
    "ignored; a model trained on images takes every column, in order). The model's saved "
    "standardization is applied.\n\n"
    "The predictions come out as CSV: for a classifier the columns prediction (the class "
    "name), probability (of that class) and probability_CLASS for every class; for a "
    "regression one column, prediction. They are printed, or written to --output. With "
    "--input a classifier's answer is printed as a sentence with each class's probability."
)

EPILOG = (
    "example:\n"
    "  humblenet predict model.safetensors --input petal_length=1.4 petal_width=0.2\n"
    "  humblenet predict model.safetensors --csv new_flowers.csv --output predictions.csv"
)


def register(commands: Any) -> None:
    """Add ``predict`` and its arguments to the sub-commands."""
    parser = add_command(
        commands,
        "predict",
        run,
        "predict with a saved model, from name=value pairs or a CSV file",
        DESCRIPTION,
        EPILOG,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by humblenet train")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--input",
        nargs="+",
        action="extend",
        metavar="NAME=VALUE",
        help="one value per feature, e.g. minutes=30 speed_m_per_s=3 mass_kg=80",
    )
    source.add_argument("--csv", metavar="FILE", help="a CSV file of rows to predict")
    parser.add_argument("--output", metavar="FILE", help="write the predictions' CSV here")
    add_table_format_arguments(parser)


def _parse_inputs(pairs: list[str], features: list[str]) -> np.ndarray:
    """One sample from ``["name=1.5", ...]``: every feature once, by name, as a number."""
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


def _input_table(pairs: list[str], kinds: list[dict[str, Any]]) -> Any:
    """One row from ``["island=Dream", "mass=3.5", ...]`` for a model with table preprocessing
    (a text value, or a missing one left empty or NA, is fine)."""
    columns = [column["name"] for column in kinds]
    cells: dict[str, str] = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            raise UserError(
                f"--input {pair!r}: give each feature as NAME=NUMBER (NAME=TEXT for a text "
                f"column), e.g. {columns[0]}=1"
            )
        if name in cells:
            raise UserError(f"--input gives {name!r} twice; give each feature once")
        cells[name] = text
    for column in kinds:
        text = cells.get(column["name"], "").strip()
        if column["kind"] == "number" and text.lower() not in MISSING:
            try:
                float(text)
            except ValueError:
                raise UserError(
                    f"--input {column['name']}={text}: {text!r} is not a number; give "
                    f"{column['name']}=NUMBER (or {column['name']}= for a missing value)"
                ) from None
    unknown = [name for name in cells if name not in columns]
    missing = [name for name in columns if name not in cells]
    if unknown or missing:
        problems = [f"unknown feature(s) {', '.join(unknown)}"] if unknown else []
        if missing:
            problems.append(f"missing {', '.join(missing)} (give NAME= for a missing value)")
        raise UserError(f"--input: {'; '.join(problems)}; the model takes {', '.join(columns)}")
    try:
        return table_from_cells("--input", {name: cells[name] for name in columns})
    except ValueError as error:
        raise UserError(str(error)) from None


def _read_csv_samples(spec: str, features: list[str] | None, size: int) -> np.ndarray:
    """The feature columns of a CSV file (by name, or every column for a model without names)."""
    x = read_features(spec, features, "--csv")
    if features is None and x.shape[1] != size:
        raise UserError(
            f"{Path(spec).name}: {x.shape[1]} columns, but the model takes {size} values per "
            "sample (one column each, in order); remove other columns such as a label"
        )
    return x


def _number(value: float) -> str:
    """A float32 with every digit needed to read it back exactly."""
    return format(float(value), ".9g")


def _predictions_csv(model: Any, outputs: np.ndarray) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if model.metadata["task"] == "classify":
        names = class_names(model)
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


def _print_one_prediction(model: Any, scores: np.ndarray) -> None:
    target = target_column(model) or "prediction"
    if model.metadata["task"] == "classify":
        names = class_names(model)
        best = int(np.argmax(scores))
        print(f"{target}: {names[best]} (probability {scores[best]:.4f})")
        width = max(len(name) for name in names)
        for name, probability in zip(names, scores):
            print(f"  {name:<{width}}  {probability:.4f}")
    else:
        print(f"{target}: " + ", ".join(_number(v) for v in scores))


def run(args: argparse.Namespace) -> int:
    """Predict every sample given; print the predictions or write them to --output."""
    output = None
    if args.output:
        output = check_output(
            args.output,
            "--output",
            suffixes=(".csv",),
            kind="the predictions' table",
            inputs=[("", args.model), ("--csv", args.csv)],
        )
    model = load_model(args.model)
    features = model.metadata.get("feature_names")
    preprocessor = table_preprocessor(model)
    if preprocessor is not None:
        if args.input is not None:
            table = _input_table(args.input, preprocessor.columns)
        else:
            table = read_user_table(args.csv, args.delimiter, args.encoding, flag="--csv")
        x = table_inputs(preprocessor, table)
        outputs = model.predict(x)
    elif args.input is not None:
        if args.delimiter is not None or args.encoding is not None:
            raise UserError("--delimiter and --encoding are for --csv; --input takes no file")
        if not features:
            raise UserError(
                f"{args.model} has no feature names (it was trained on images or saved without "
                "them): give the samples with --csv FILE instead of --input"
            )
        x = _parse_inputs(args.input, list(features))
    else:
        refuse_table_format(args, args.model)
        names = list(features) if features else None
        x = _read_csv_samples(args.csv, names, input_size(model))
    if preprocessor is None:
        where = "--input" if args.input is not None else args.csv
        check_pixels(model, x, where)
        outputs = model.predict(standardize(model, x, where).reshape((len(x), *model.input_shape)))
    if args.input is not None and output is None:
        _print_one_prediction(model, outputs[0])
        return 0
    text = _predictions_csv(model, outputs)
    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)
        print(f"wrote {len(outputs)} prediction(s) to {output}")
    return 0
