"""``humblenet info MODEL``: what a saved model is, what it was trained on, how it scored."""

from __future__ import annotations

import argparse
from typing import Any

from humblenet.cli._common import add_command
from humblenet.cli._model import input_size, load_model, table_preprocessor, target_column
from humblenet.cli._text import TEXT_TASK, text_settings

DESCRIPTION = (
    "Describe a saved model: its layers, what it was trained on, its task, classes and "
    "features, its metrics and the humblenet version that saved it."
)

EPILOG = "example:\n  humblenet info model.safetensors"


def register(commands: Any) -> None:
    """Add ``info`` and its argument to the sub-commands."""
    parser = add_command(commands, "info", run, "describe a saved model", DESCRIPTION, EPILOG)
    parser.add_argument("model", metavar="MODEL", help="a model file saved by humblenet")


def run(args: argparse.Namespace) -> int:
    """Print the model's summary and its metadata."""
    model = load_model(args.model, tasks=("classify", "regress", TEXT_TASK))
    metadata = model.metadata
    print(model.summary(print_fn=None))
    if metadata["task"] == TEXT_TASK:
        return _describe_text_model(model, args.model)
    task = {"classify": "classification", "regress": "regression"}[metadata["task"]]
    print(f"task: {task}")
    if metadata.get("dataset"):
        print(f"trained on: {metadata['dataset']}")
    target = target_column(model)
    if target:
        print(f"target: {target}")
    if metadata.get("class_names"):
        print(f"classes ({len(metadata['class_names'])}): {', '.join(metadata['class_names'])}")
    if metadata.get("feature_names"):
        print(
            f"features ({len(metadata['feature_names'])}): {', '.join(metadata['feature_names'])}"
        )
    else:
        print(f"inputs: {input_size(model)} values per sample")
    preprocessing = metadata.get("preprocessing")
    preprocessor = table_preprocessor(model)
    if preprocessor is not None:
        print("preprocessing (applied by evaluate, predict and the ONNX export):")
        for line in preprocessor.describe():
            print(f"  {line}")
        names = preprocessor.feature_names
        print(f"  then {len(names)} inputs ({', '.join(names)}) standardized: (x - mean) / std")
    elif isinstance(preprocessing, dict) and "mean" in preprocessing:
        print("standardized inputs: (x - mean) / std, applied by evaluate and predict")
        print("  mean: " + ", ".join(f"{v:.6g}" for v in preprocessing["mean"]))
        print("  std:  " + ", ".join(f"{v:.6g}" for v in preprocessing.get("std", [])))
    if metadata.get("metrics"):
        print("metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in metadata["metrics"].items()))
    version = metadata.get("humblenet_version") or metadata.get("version")
    if version:
        print(f"saved by humblenet {version}")
    return 0


def _describe_text_model(model: Any, spec: str) -> int:
    """What a character model of ``train-text`` knows: its vocabulary and sampling settings."""
    vocab, context, max_length, documents = text_settings(model, spec)
    metadata = model.metadata
    print("task: text (a character model: humblenet sample invents text with it)")
    if metadata.get("dataset"):
        print(f"trained on: {metadata['dataset']} ({documents})")
    shown = "".join(vocab.chars)
    print(
        f"vocabulary: {len(vocab)} symbols, {len(vocab.chars)} characters and the markers "
        f"{' '.join(vocab.markers)}: {shown!r}"
    )
    print(f"context: {context} characters; samples of at most {max_length} characters")
    if metadata.get("metrics"):
        print("metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in metadata["metrics"].items()))
    version = metadata.get("humblenet_version")
    if version:
        print(f"saved by humblenet {version}")
    return 0
