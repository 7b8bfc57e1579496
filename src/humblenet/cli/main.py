"""The top of the ``humblenet`` command line: the parser, ``main(argv=None) -> int`` and the
error policy.

Each command is a module of this package (``train``, ``evaluate``, ``predict``, ``info``,
``export``, ``datasets``, ``tour``, ``train_text``, ``sample``) with ``register(commands)``,
which adds its sub-parser (help, description with an example, arguments), and
``run(args) -> int``.

The error policy: a user's mistake is a ``UserError``, raised where the input enters (see
``humblenet.cli._common``); ``main`` prints it as one line on stderr and returns 2. argparse
does the same for a bad flag or value. Ctrl-C returns 130. Any other exception is a bug and
propagates with its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from humblenet import __version__
from humblenet.cli import datasets, evaluate, export, info, predict, sample, tour, train, train_text
from humblenet.cli._common import UserError, one_line

COMMANDS = (train, evaluate, predict, info, export, datasets, tour, train_text, sample)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``humblenet`` argument parser with every sub-command."""
    parser = _Parser(
        prog="humblenet",
        description="Neural networks from scratch: the series, a library and a command line.",
    )
    parser.add_argument("--version", action="version", version=f"humblenet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for command in COMMANDS:
        command.register(commands)
    return parser


class _ReaderGone:
    """``sys.stdout`` for the length of a command: when the reader of a pipe goes away
    (``humblenet train-text words.txt | head -2``), the rest of the output goes nowhere and the
    command carries on, so a training run still saves its model (it used to stop at the next
    print, with status 0 and nothing saved). Everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        self.gone = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            # what is left in the stream's buffer would fail again when Python exits
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = build_parser().parse_args(argv)
    stdout = sys.stdout
    sys.stdout = _ReaderGone(stdout)
    try:
        return int(args.run(args))
    except UserError as error:
        print(f"humblenet: error: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("humblenet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away and a write went past the guard above (a library writing to
        # the file descriptor itself): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        return 0
    finally:
        sys.stdout = stdout
