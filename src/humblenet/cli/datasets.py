"""``humblenet datasets``: the named data sets DATA can name, and where each is found."""

from __future__ import annotations

import argparse
from typing import Any

from humblenet.cli._common import add_command
from humblenet.data import describe_datasets

DESCRIPTION = (
    "List the named data sets DATA can name: what each is, its size, and where it was found "
    "or how to get it."
)

EPILOG = "example:\n  humblenet datasets"


def register(commands: Any) -> None:
    """Add ``datasets`` to the sub-commands."""
    add_command(
        commands,
        "datasets",
        run,
        "list the named data sets, where each is found and how to get it",
        DESCRIPTION,
        EPILOG,
    )


def run(args: argparse.Namespace) -> int:
    """Print the catalog."""
    print(describe_datasets())
    return 0
