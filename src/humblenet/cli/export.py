"""``humblenet export MODEL OUT.onnx``: a saved model as an ONNX file."""

from __future__ import annotations

import argparse
from typing import Any

from humblenet.cli._common import add_command, check_output, user_input
from humblenet.cli._model import load_model, standardization, table_preprocessor
from humblenet.cli._text import TEXT_TASK
from humblenet.io.onnx import export_onnx

DESCRIPTION = (
    "Export a saved model to an ONNX file that ONNX Runtime (and other tools) can run.\n\n"
    "A model trained on a CSV file takes its raw columns, one input per column named after it "
    "(shape (batch, 1): a float, NaN where missing, or a string, empty where missing): the "
    "graph fills, one-hot encodes and standardizes them as predict does. A model trained on "
    "images takes one input: the flattened pixels (an MLP), or images (batch, channels, height, "
    "width) (--model cnn). A character model (train-text) takes the ids of a window of "
    "characters (batch, context) as int64 (the vocabulary in the model file says which id is "
    "which) and gives the scores of the next character at every position (batch, context, "
    "vocabulary). Any other model takes one input, its raw features, standardized in the graph "
    "when the model file holds a standardization."
)

EPILOG = "example:\n  humblenet export model.safetensors model.onnx"


def register(commands: Any) -> None:
    """Add ``export`` and its arguments to the sub-commands."""
    parser = add_command(
        commands, "export", run, "export a saved model to ONNX", DESCRIPTION, EPILOG
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by humblenet")
    parser.add_argument("out", metavar="OUT.onnx", help="the ONNX file to write")


def run(args: argparse.Namespace) -> int:
    """Write the ONNX file."""
    out = check_output(
        args.out, "the output", suffixes=(".onnx",), kind="an ONNX model", inputs=[("", args.model)]
    )
    model = load_model(args.model, tasks=("classify", "regress", TEXT_TASK))
    # No onnx installed (ImportError), a layer ONNX cannot express (ValueError), a failed write.
    preprocessor = table_preprocessor(model)
    preprocessing: dict[str, Any] | None
    if preprocessor is not None:  # a table model: one input per raw column, named after it
        preprocessing = preprocessor.to_dict()
    else:  # a Standardizer's mean and std (a named table, or a file from before tables)
        preprocessing = standardization(model)
    with user_input(ImportError, ValueError, OSError):
        export_onnx(model, out, preprocessing=preprocessing)
    print(f"wrote {out}")
    return 0
