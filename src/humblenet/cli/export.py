"""``humblenet export MODEL OUT.onnx``: a saved model as an ONNX file."""

from __future__ import annotations

import argparse
from typing import Any

from humblenet.cli._common import add_command, check_output, user_input
from humblenet.cli._model import load_model
from humblenet.io.onnx import export_onnx

DESCRIPTION = (
    "Export a saved model to an ONNX file that ONNX Runtime (and other tools) can run.\n\n"
    "The ONNX model computes the network alone: standardize the inputs first with the mean "
    "and std that humblenet info prints."
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
        args.out, "OUT.onnx", suffixes=(".onnx",), kind="an ONNX model", inputs=[("", args.model)]
    )
    model = load_model(args.model)
    # No onnx installed (ImportError), a layer ONNX cannot express (ValueError), a failed write.
    with user_input(ImportError, ValueError, OSError):
        export_onnx(model, out)
    print(f"wrote {out}")
    return 0
