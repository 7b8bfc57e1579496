"""``humblenet tour``: the series "Deep Learning Basics", part by part."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from humblenet.cli._common import add_command
from humblenet.tour import run_tour

DESCRIPTION = "Walk through the series 'Deep Learning Basics', part by part."

EPILOG = "example:\n  humblenet tour\n  humblenet tour --verbose"


def register(commands: Any) -> None:
    """Add ``tour`` and its flag to the sub-commands."""
    parser = add_command(
        commands, "tour", run, "walk through the series, part by part", DESCRIPTION, EPILOG
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show every step's trace")


def run(args: argparse.Namespace) -> int:
    """Print the tour (with every step's trace when --verbose)."""
    run_tour(verbose=args.verbose, out=sys.stdout)
    return 0
