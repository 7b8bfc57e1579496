"""The ``humblenet`` command line: argparse sub-commands, ``main(argv=None) -> int``.

A user's mistake prints one line to stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit status 2."""


def _cmd_tour(args: argparse.Namespace) -> int:
    from humblenet.tour import run_tour

    run_tour(verbose=args.verbose, out=sys.stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="humblenet",
        description="Neural networks from scratch: the series, a library and a command line.",
    )
    from humblenet import __version__

    parser.add_argument("--version", action="version", version=f"humblenet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    tour = sub.add_parser(
        "tour",
        help="walk through the series, part by part",
        description="Walk through the series 'Deep Learning Basics', part by part.",
        epilog="example:\n  humblenet tour\n  humblenet tour --verbose",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tour.add_argument("--verbose", "-v", action="store_true", help="show every step's trace")
    tour.set_defaults(func=_cmd_tour)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"humblenet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("humblenet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
