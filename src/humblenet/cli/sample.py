"""``humblenet sample MODEL``: invented words or lines from a character model made by
``humblenet train-text``, one per line."""

from __future__ import annotations

import argparse
from typing import Any

from humblenet import validation
from humblenet.cli._common import add_command, real_number, whole_number
from humblenet.cli._model import load_model
from humblenet.cli._text import TEXT_TASK, invent, text_settings

DESCRIPTION = """\
Invent words or lines with a character model made by humblenet train-text, one per line.

Each text starts with --prefix and grows one character at a time: the model scores every
possible next character, the scores are divided by --temperature (below 1: safer, more common
choices; above 1: wilder ones) and one character is drawn from their softmax, until the model
draws the end of the text or --max-length characters are reached. The same --seed gives the
same texts.

defaults: --n 10, --temperature 0.8, --seed 0, --max-length: the longest training text (at
  most 200 characters)

examples:
  humblenet sample model.safetensors
  humblenet sample model.safetensors --n 5 --temperature 1.2 --seed 3 --prefix qu"""


def register(commands: Any) -> None:
    """Add ``sample`` and its arguments to the sub-commands."""
    parser = add_command(
        commands, "sample", run, "invent text with a model made by train-text", DESCRIPTION, ""
    )
    parser.add_argument("model", metavar="MODEL", help="a model file made by humblenet train-text")
    parser.add_argument(
        "--n", type=whole_number("--n", minimum=1), default=10, metavar="N", help="texts (10)"
    )
    parser.add_argument(
        "--temperature",
        type=real_number("--temperature", validation.positive, "a finite number > 0, e.g. 0.8"),
        default=0.8,
        metavar="X",
        help="divides the scores before drawing (0.8)",
    )
    parser.add_argument(
        "--seed", type=whole_number("--seed", minimum=0), default=0, help="seeds the draws (0)"
    )
    parser.add_argument("--prefix", default="", help="text every sample starts with")
    parser.add_argument(
        "--max-length",
        type=whole_number("--max-length", minimum=1),
        metavar="N",
        help="the most characters of a text (the model file's: its longest training text)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the invented texts."""
    model = load_model(args.model, tasks=(TEXT_TASK,))
    vocab, context, max_length, _ = text_settings(model, args.model)
    for sample in invent(
        model,
        vocab,
        context,
        n=args.n,
        temperature=args.temperature,
        seed=args.seed,
        max_length=args.max_length or max_length,
        prefix=args.prefix,
    ):
        print(sample)
    return 0
