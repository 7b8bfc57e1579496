"""What every command shares: the ``UserError``, turning the library's errors for a user's input
into one, argument types, and checking and writing output files.

The error policy (``main`` applies it): a ``UserError`` is a mistake the user can fix and is
printed as one line, exit status 2. It is raised where the user's input enters: a value parsed,
a file or data set read, a model file loaded, an output written. There, and only there, the
library's documented errors for that input become a ``UserError`` (``user_input``); anywhere
else an exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from humblenet import validation
from humblenet.io.atomic import write_atomically

DATA_HELP = (
    "a CSV file with a header row, or a named data set: digits, jogging, fashion-mnist, "
    "mnist:FOLDER (see: humblenet datasets)"
)


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit status 2."""


def one_line(error: BaseException) -> str:
    """An exception's message on one line (an OSError as 'reason: file')."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        text = f"{error.strerror}: {error.filename}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


@contextlib.contextmanager
def user_input(*errors: type[Exception], about: str = "") -> Iterator[None]:
    """Turn ``errors`` raised inside the block into a ``UserError`` with the same message.

    Wrap only the call that reads the user's input (a file, a data set, a model, an output path)
    and list only the errors the library documents for that input, so that a bug elsewhere keeps
    its traceback. An ``ImportError`` is the user's to fix only when it says what to install.

    Args:
        errors: the exception classes to convert.
        about: put in front of the message, e.g. ``"the model's standardization"``.
    """
    try:
        yield
    except errors as error:
        if isinstance(error, ImportError) and "pip install" not in str(error):
            raise
        prefix = f"{about}: " if about else ""
        raise UserError(prefix + one_line(error)) from error


# -- argument types: argparse prints a bad value as one line, with the flag ---------------------


def whole_number(flag: str, minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (``validation.whole``'s rule)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        try:
            return validation.whole("humblenet", flag, value, minimum=minimum)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: give a whole number >= {minimum}"
            ) from None

    parse.__name__ = flag
    return parse


def real_number(
    flag: str, rule: Callable[[str, str, Any], float], hint: str
) -> Callable[[str], float]:
    """An argparse type: a number that passes ``rule`` (``validation.positive``, ``fraction``...);
    ``hint`` says what to give, e.g. ``"a finite number > 0, e.g. 0.001"``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        try:
            return rule("humblenet", flag, value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: give {hint}") from None

    parse.__name__ = flag
    return parse


def add_command(
    commands: Any,
    name: str,
    run: Callable[[argparse.Namespace], int],
    help_text: str,
    description: str,
    epilog: str,
) -> argparse.ArgumentParser:
    """Add the sub-command ``name`` (its help, description and epilog as written) that runs
    ``run(args)``; return its parser, for the command to add its arguments."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser


# -- outputs: checked before any work, written at the end ---------------------------------------


def check_output(
    spec: str,
    flag: str,
    *,
    suffixes: tuple[str, ...] = (),
    kind: str = "",
    inputs: Sequence[tuple[str, str | None]] = (),
    hint: str = "",
) -> Path:
    """Check an output path before any work, so that no file is lost and nothing is wasted.

    Refused: a folder, a folder that does not exist or cannot be written in, a name whose
    extension is not one of ``suffixes`` (``kind`` names the format, ``hint`` may add a fix), and
    a path that is the same file as one of ``inputs`` (``(flag, path)`` pairs), also through a
    symbolic or hard link.
    """
    path = Path(spec).expanduser()
    if path.is_dir():
        raise UserError(f"{flag} {spec} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UserError(f"{flag} {spec}: the folder {path.parent} does not exist; create it first")
    for input_flag, input_spec in inputs:
        if input_spec is not None and same_file(path, Path(input_spec).expanduser()):
            what = f"{input_flag} {input_spec}" if input_flag else input_spec
            raise UserError(
                f"{flag} {spec} is the same file as {what}: writing it would destroy that "
                "input; give the output another name"
            )
    if suffixes and path.suffix.lower() not in suffixes:
        wanted = " or ".join(suffixes)
        example = path.with_suffix(suffixes[0]).name if path.stem else f"model{suffixes[0]}"
        extra = f"; {hint}" if hint else ""
        raise UserError(
            f"{flag} {spec}: {kind} is written as a {wanted} file; give a name ending in "
            f"{wanted} (e.g. {example}){extra}"
        )
    _check_writable(path, spec, flag)
    return path


def same_file(one: Path, other: Path) -> bool:
    """Whether two paths name the same file: the same real path, or the same inode (a hard
    link, a symbolic link)."""
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(one) == os.path.realpath(other)


def _check_writable(path: Path, spec: str, flag: str) -> None:
    """Create and remove a file in the output's folder: the only test of writing that is true
    for every user and file system (``os.access`` says yes to root on a read-only mount)."""
    try:
        descriptor, probe = tempfile.mkstemp(dir=path.parent, prefix=".humblenet-probe-")
    except OSError as error:
        raise UserError(
            f"{flag} {spec}: cannot write in the folder {path.parent} ({error.strerror}); "
            "choose another folder or fix its permissions"
        ) from None
    os.close(descriptor)
    os.unlink(probe)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to the user's ``path`` atomically; a failed write is a ``UserError``."""
    with user_input(OSError):
        write_atomically(path, text.encode("utf-8"))


def format_metrics(logs: dict[str, float]) -> str:
    """``{"loss": 0.1, "mae": 2.0}`` as ``"loss 0.1000, mean absolute error 2.0000"``."""
    names = {"loss": "loss", "accuracy": "accuracy", "mae": "mean absolute error"}
    return ", ".join(f"{names.get(key, key)} {value:.4f}" for key, value in logs.items())
