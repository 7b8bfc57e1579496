"""``humblenet tour``: the series "Deep Learning Basics", part by part."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from humblenet.cli._common import UserError, _check_writable, add_command, user_input
from humblenet.plots import picture_format
from humblenet.tour import run_tour

DESCRIPTION = "Walk through the series 'Deep Learning Basics', part by part."

EPILOG = (
    "example:\n  humblenet tour\n  humblenet tour --verbose\n"
    "  humblenet tour --plots figures   (also draws the chapters' pictures; needs matplotlib)"
)


def register(commands: Any) -> None:
    """Add ``tour`` and its flags to the sub-commands."""
    parser = add_command(
        commands, "tour", run, "walk through the series, part by part", DESCRIPTION, EPILOG
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show every step's trace")
    parser.add_argument(
        "--plots",
        metavar="DIR",
        help="also write the chapters' pictures (PNG) into this folder (made if missing)",
    )


def _plots_folder(spec: str) -> Path:
    """The folder for the pictures, checked before the tour starts: it is a folder (or can be
    one), it can be written in, and matplotlib is installed."""
    folder = Path(spec).expanduser()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--plots {spec} is a file; give a folder for the pictures")
    if not folder.exists() and not folder.parent.is_dir():
        raise UserError(
            f"--plots {spec}: the folder {folder.parent} does not exist; create it first"
        )
    with user_input(ImportError):
        picture_format(folder / "figure.png")  # matplotlib is there
    if folder.is_dir():
        _check_writable(folder / "figure.png", spec, "--plots")
    else:
        _check_writable(folder, spec, "--plots")  # its parent, where it will be made
        with user_input(OSError):
            folder.mkdir()
    return folder


def run(args: argparse.Namespace) -> int:
    """Print the tour (with every step's trace when --verbose; the pictures with --plots)."""
    plots = _plots_folder(args.plots) if args.plots else None
    run_tour(verbose=args.verbose, out=sys.stdout, plots=plots)
    return 0
