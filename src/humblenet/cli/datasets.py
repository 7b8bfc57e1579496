"""``humblenet datasets``: the named data sets DATA can name, and where each is found; with
``--copy NAME FILE``, one of the CSV tables shipped in the package written out to try the
commands on (``iris``: README's ``flowers.csv``)."""

from __future__ import annotations

import argparse
from typing import Any

from humblenet.cli._common import UserError, add_command, check_output, user_input, write_text
from humblenet.data import describe_datasets
from humblenet.data.catalog import SHIPPED_TABLES

DESCRIPTION = (
    "List the named data sets DATA can name: what each is, its size, and where it was found "
    "or how to get it.\n\n"
    "--copy NAME FILE writes one of the CSV tables shipped in the package to FILE (a new "
    f"file): {', '.join(SHIPPED_TABLES)}. iris is Fisher's 150 iris flowers, four "
    "measurements in cm and the species (CC BY 4.0, UCI Machine Learning Repository)."
)

EPILOG = "example:\n  humblenet datasets\n  humblenet datasets --copy iris flowers.csv"


def register(commands: Any) -> None:
    """Add ``datasets`` to the sub-commands."""
    parser = add_command(
        commands,
        "datasets",
        run,
        "list the named data sets, where each is found and how to get it",
        DESCRIPTION,
        EPILOG,
    )
    parser.add_argument(
        "--copy",
        nargs=2,
        metavar=("NAME", "FILE"),
        help=f"write the shipped table NAME ({', '.join(SHIPPED_TABLES)}) to the new file FILE",
    )


def run(args: argparse.Namespace) -> int:
    """Print the catalog, or write out a shipped table."""
    if args.copy is None:
        print(describe_datasets())
        return 0
    name, spec = args.copy
    key = name.strip().lower()
    if key not in SHIPPED_TABLES:
        raise UserError(
            f"--copy {name}: no such shipped table; give one of {', '.join(SHIPPED_TABLES)}"
        )
    out = check_output(spec, "--copy", suffixes=(".csv",), kind="a table")
    if out.exists():
        raise UserError(f"--copy {spec} exists already; give a new file name (nothing written)")
    with user_input(OSError):
        text = SHIPPED_TABLES[key].read_text(encoding="utf-8")
    write_text(out, text)
    rows = text.count("\n") - 1
    print(f"wrote {out} ({rows} rows of {key}; columns {text.splitlines()[0]})")
    return 0
