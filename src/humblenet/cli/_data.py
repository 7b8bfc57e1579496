"""DATA as the commands take it: a CSV file (read by ``humblenet.data.csv``) or a named data set
(loaded by ``humblenet.data.load_dataset``), as arrays with what they mean.

Each reader turns the library's errors for the user's file or data set into a ``UserError``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from humblenet.cli._common import UserError, user_input
from humblenet.data import list_datasets, load_dataset
from humblenet.data.csv import MAX_CLASSES_GUESSED, read_csv, read_csv_features
from humblenet.data.table import RawTable, read_table, table_target

_PROGRESS_BYTES = 16 << 20


@dataclass
class Data:
    """Training (and maybe test) arrays with what they mean, from a CSV file or a named set."""

    name: str
    x: np.ndarray
    y: np.ndarray
    task: str
    class_names: tuple[str, ...] | None
    feature_names: tuple[str, ...] | None
    target: str | None
    is_table: bool
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    table: RawTable | None = None
    """A CSV file's columns as read (then ``x`` holds row numbers into it, one per sample)."""
    columns: list[int] | None = None
    """The table's feature columns."""


_NAMED_TARGETS = {"jogging": "kcal"}


def is_csv(spec: str) -> bool:
    """Whether DATA names a file (or a folder, refused later) rather than a named data set."""
    path = Path(spec).expanduser()
    return path.is_file() or spec.lower().endswith(".csv") or path.is_dir()


def _named_key(spec: str) -> str:
    """The catalog name of ``spec``, or a UserError saying it is neither a file nor a name."""
    key = spec.strip().lower()
    if key.startswith("mnist:"):
        if not spec.split(":", 1)[1].strip():
            raise UserError("mnist: give the folder holding MNIST's files, e.g. mnist:~/data/mnist")
        return "mnist"
    key = key.replace("_", "-").replace("fashionmnist", "fashion-mnist")
    names = [info.name for info in list_datasets()]
    if key not in names:
        raise UserError(
            f"{spec!r} is neither a file nor a named data set; give a CSV file's path or one "
            f"of: {', '.join(n if n != 'mnist' else 'mnist:FOLDER' for n in names)} "
            "(see: humblenet datasets)"
        )
    return key


def load_named(spec: str, channels: str | None = None) -> Data:
    """A named data set (``digits``, ``mnist:FOLDER``, ...), images flattened, or with a channel
    axis (``channels="first"``: (N, 1, H, W), for a CNN). A table asked for with ``channels``
    is a UserError (it has no pixels)."""
    key = _named_key(spec)
    options: dict[str, Any] = {} if key == "jogging" else {"flatten": True}
    if channels is not None:
        if key == "jogging":
            raise UserError(
                f"{spec} is a table, not images: a CNN needs images (digits, fashion-mnist, "
                "mnist:FOLDER); leave --model out for a table"
            )
        options = {"channels": channels}
    if key == "mnist" and ":" in spec:
        options["folder"] = str(Path(spec.split(":", 1)[1].strip()).expanduser())
    # Files not found (DatasetNotFoundError, an OSError) or damaged (ValueError): the user's.
    with user_input(ValueError, OSError):
        dataset = load_dataset(key, **options)
    is_table = dataset.feature_names is not None
    return Data(
        name=dataset.name if key != "mnist" else spec.strip(),
        x=dataset.x_train,
        y=dataset.y_train,
        task=dataset.task,
        class_names=dataset.class_names,
        feature_names=dataset.feature_names,
        target=_NAMED_TARGETS.get(key, "label") if is_table else None,
        is_table=is_table,
        x_test=dataset.x_test,
        y_test=dataset.y_test,
    )


def csv_path(spec: str, flag: str = "") -> Path:
    """The path of the CSV file ``spec``, or a UserError if it is a folder or missing."""
    path = Path(spec).expanduser()
    if path.is_dir():
        hint = "" if flag else f" (for MNIST's files: mnist:{spec})"
        raise UserError(f"{flag} {spec} is a folder; give a CSV file{hint}".lstrip())
    if not path.is_file():
        if flag:
            raise UserError(f"{flag} {spec}: no such file; check the path")
        raise UserError(
            f"no such file: {spec}; check the path, or name a data set (see: humblenet datasets)"
        )
    return path


def load_csv(
    spec: str,
    target: str | None,
    task: str | None,
    features: Sequence[str] | None = None,
) -> Data:
    """A CSV file read by ``read_csv``: its rows, the ``target`` column and ``features``."""
    path = csv_path(spec)
    with user_input(ValueError, OSError):
        table = read_csv(path, target=target, task=task, features=features)  # type: ignore[arg-type]
    return Data(
        name=path.name,
        x=table.x,
        y=table.y,
        task=table.task,
        class_names=table.class_names,
        feature_names=table.feature_names,
        target=table.target,
        is_table=True,
    )


def read_features(spec: str, columns: Sequence[str] | None, flag: str) -> np.ndarray:
    """The ``columns`` of the CSV file ``spec`` (every column for ``None``), float32."""
    path = csv_path(spec, flag)
    with user_input(ValueError, OSError):
        return read_csv_features(path, columns)


def add_table_format_arguments(parser: Any) -> None:
    """``--delimiter`` and ``--encoding``: how a CSV file is written, when detection is wrong."""
    parser.add_argument(
        "--delimiter", metavar="CHAR", help="the CSV's field separator, e.g. ';' or tab (detected)"
    )
    parser.add_argument(
        "--encoding", metavar="NAME", help="the CSV's text encoding, e.g. latin-1 (detected)"
    )


def refuse_table_format(args: Any, model: str) -> None:
    """A UserError when ``--delimiter``/``--encoding`` are given for a model file from before
    table preprocessing (its CSV files are read as comma-separated UTF-8)."""
    for flag in ("delimiter", "encoding"):
        if getattr(args, flag, None) is not None:
            raise UserError(
                f"--{flag}: {model} was saved by an older humblenet without table "
                "preprocessing, and its CSV files are read as comma-separated UTF-8; convert "
                "the file, or train the model again"
            )


def read_user_table(
    spec: str, delimiter: str | None = None, encoding: str | None = None, flag: str = ""
) -> RawTable:
    """The CSV file ``spec`` (given with ``flag``) read by ``read_table`` (progress shown in a
    terminal)."""
    path = csv_path(spec, flag)
    with user_input(ValueError, OSError):
        # A bar only where reading takes a while (16 MB: about a second) and a person watches.
        show = path.stat().st_size >= _PROGRESS_BYTES and sys.stderr.isatty()
        return read_table(path, delimiter=delimiter, encoding=encoding, progress=show)


def load_table(
    spec: str,
    target: str | None,
    task: str | None,
    *,
    features: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    missing: str = "impute",
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Data:
    """A CSV file for training: its target (``--target``, else the last column), its feature
    columns (``--features``, else all others less ``--drop``), the rows with a target (and,
    for ``missing == "drop"``, a value in every feature column)."""
    table = read_user_table(spec, delimiter, encoding)
    name = table.path.name
    with user_input(ValueError):
        target = target if target is not None else table.header[-1]
        for column in [target, *(features or ()), *drop]:
            table.index(column)
        if target in (features or ()) or target in drop:
            raise ValueError(f"{target!r} is the target; it cannot be a feature or be dropped")
        chosen = list(features) if features else [c for c in table.header if c != target]
        chosen = [c for c in chosen if c not in drop]
        if not chosen:
            raise ValueError(f"{name}: no feature columns are left; check --features and --drop")
        columns = [table.index(c) for c in chosen]
        y, names, task, rows = table_target(table, target, task, MAX_CLASSES_GUESSED)
    if len(rows) < len(table):
        print(f"{name}: left out {len(table) - len(rows)} row(s) without a {target!r} value")
    if missing == "drop":
        complete = ~np.isnan(table.values[np.ix_(rows, np.asarray(columns))]).any(axis=1)
        if not complete.all():
            print(f"{name}: --missing drop left out {int((~complete).sum())} row(s) with a gap")
        rows, y = rows[complete], y[complete]
        if len(rows) == 0:
            raise UserError(f"{name}: every row misses a value; use --missing impute")
    return Data(
        name=name,
        x=rows,
        y=y,
        task=task,
        class_names=names,
        feature_names=tuple(chosen),
        target=target,
        is_table=True,
        table=table,
        columns=columns,
    )
