"""Tables from CSV files: ``read_csv``, ``read_csv_features``, ``Standardizer`` and
``train_validation_split``.

``read_csv`` turns a CSV file with a header row into float32 features and a target: class
indices (int64) for classification, float32 values for regression. ``read_csv_features`` reads
feature columns alone (new samples to predict, with no target). Every problem in the file
raises a ``ValueError`` that names the file, the line (as an editor counts them: the header is
line 1), the column and the value found.

(This module is ``humblenet.data.csv``; inside it ``import csv`` is the standard library's,
since imports are absolute.)
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = [
    "TabularDataset",
    "read_csv",
    "read_csv_features",
    "Standardizer",
    "train_validation_split",
    "MAX_CLASSES_GUESSED",
]

Task = Literal["classify", "regress"]

MAX_CLASSES_GUESSED = 20
"""A numeric target is guessed to be classes when its values are all integers and there are at
most this many distinct ones; otherwise it is guessed to be a regression target."""


@dataclass(frozen=True, eq=False)
class TabularDataset:
    """A table read by ``read_csv``.

    Attributes:
        x: the features, float32, shape ``(rows, len(feature_names))``.
        y: class indices (int64, ``0 .. len(class_names) - 1``) when ``task == "classify"``,
            float32 values when ``task == "regress"``; shape ``(rows,)``.
        feature_names: the feature columns' names, in the file's order.
        target: the target column's name.
        class_names: for classification, the name of each class index (sorted); ``None``
            for regression.
        task: ``"classify"`` or ``"regress"``.
        path: the file read.
    """

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target: str
    class_names: tuple[str, ...] | None
    task: Task
    path: Path

    @property
    def num_classes(self) -> int | None:
        """The number of classes, or ``None`` for regression."""
        return None if self.class_names is None else len(self.class_names)

    def __len__(self) -> int:
        return len(self.x)


def _number(
    text: str, line: int, column: str, name: str, advice: str = "features must be numeric"
) -> float:
    stripped = text.strip()
    if not stripped:
        raise ValueError(
            f"{name}: line {line}, column {column!r}: missing value (empty cell); fill it in "
            "or remove the row"
        )
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(
            f"{name}: line {line}, column {column!r}: {text!r} is not a number; {advice}"
        ) from None
    if not math.isfinite(value):
        raise ValueError(
            f"{name}: line {line}, column {column!r}: {text!r} is not a finite number; "
            "replace missing values (nan) and infinities"
        )
    return value


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows, each with its line number in the file."""
    name = path.name
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        try:
            for cells in reader:
                if not cells or all(not cell.strip() for cell in cells):
                    continue  # blank lines, often one at the end, are not rows
                if header is None:
                    header = [cell.strip() for cell in cells]
                else:
                    rows.append((reader.line_num, cells))
        except UnicodeDecodeError as error:
            byte = error.object[error.start]
            raise ValueError(
                f"{name}: not UTF-8 text (it holds the byte {byte:#04x}): is it a CSV file? "
                "Save it as CSV with UTF-8 encoding"
            ) from None
        except csv.Error as error:  # e.g. a field longer than csv.field_size_limit()
            raise ValueError(f"{name}: line {reader.line_num}: {error}") from None
    if header is None:
        raise ValueError(f"{name}: the file is empty; expected a header row and data rows")
    if not rows:
        raise ValueError(f"{name}: the file has a header row but no data rows")
    for position, column in enumerate(header, start=1):
        if not column:
            raise ValueError(f"{name}: line 1: column {position} of the header has no name")
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise ValueError(f"{name}: line 1: the header repeats column name(s) {duplicates}")
    for line, cells in rows:
        if len(cells) != len(header):
            raise ValueError(
                f"{name}: line {line}: expected {len(header)} values (one per header column), "
                f"got {len(cells)}"
            )
    return header, rows


def _features(
    rows: list[tuple[int, list[str]]],
    indices: list[int],
    header: list[str],
    name: str,
    advice: str = "features must be numeric",
) -> np.ndarray:
    """The columns ``indices`` of every row as float32, shape ``(rows, len(indices))``."""
    return np.array(
        [
            [_number(cells[i], line, header[i], name, advice) for i in indices]
            for line, cells in rows
        ],
        dtype=np.float32,
    )


def _guess_task(values: list[float]) -> Task:
    distinct = set(values)
    integers = all(value.is_integer() for value in distinct)
    return "classify" if integers and len(distinct) <= MAX_CLASSES_GUESSED else "regress"


def read_csv(
    path: str | os.PathLike[str],
    target: str | None = None,
    task: Task | None = None,
    features: Sequence[str] | None = None,
) -> TabularDataset:
    """Read a CSV file with a header row into features and a target.

    Args:
        path: the CSV file (UTF-8, comma-separated, a header row naming the columns; blank
            lines are skipped).
        target: the target column's name; ``None`` picks the last column.
        task: ``"classify"``, ``"regress"``, or ``None`` to decide from the target: text
            labels are classes; numbers are classes when they are all integers and there
            are at most ``MAX_CLASSES_GUESSED`` (20) distinct values, otherwise regression.
        features: the feature columns' names; ``None`` takes every column but the target.

    Returns:
        A ``TabularDataset``. For classification the classes are the distinct target values
        in sorted order (numerically for numbers, alphabetically for text), so the same
        labels give the same class indices whatever the rows' order.

    Raises:
        ValueError: an empty file, a header without data, a row with the wrong number of
            values, a missing or non-numeric feature value, a text target with
            ``task="regress"``, an unknown column (the message lists the columns), or a file
            that is not UTF-8 text.
        OSError: the file cannot be opened (``FileNotFoundError``, ``IsADirectoryError``,
            ``PermissionError``).

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "fruit.csv"
        ...     _ = path.write_text("weight,color,kind\\n150,1,apple\\n120,3,pear\\n")
        ...     table = read_csv(path, target="kind")
        >>> table.x.tolist(), table.y.tolist(), table.class_names, table.task
        ([[150.0, 1.0], [120.0, 3.0]], [0, 1], ('apple', 'pear'), 'classify')
    """
    path = Path(path)
    name = path.name
    if task not in (None, "classify", "regress"):
        raise ValueError(f"task must be None, 'classify' or 'regress', got {task!r}")
    header, rows = _read_rows(path)

    def check_column(column: str) -> int:
        if column not in header:
            raise ValueError(f"{name}: there is no column {column!r}; {column_list(header)}")
        return header.index(column)

    target = header[-1] if target is None else target
    target_index = check_column(target)
    if features is None:
        feature_indices = [i for i in range(len(header)) if i != target_index]
    else:
        feature_indices = [check_column(column) for column in features]
        if target_index in feature_indices:
            raise ValueError(f"{name}: the target {target!r} cannot also be a feature")
    if not feature_indices:
        raise ValueError(f"{name}: the file has only the target column {target!r}, no features")

    x = _features(rows, feature_indices, header, name)
    y, class_names, task = _target(rows, target_index, target, task, name)
    return TabularDataset(
        x=x,
        y=y,
        feature_names=tuple(header[i] for i in feature_indices),
        target=target,
        class_names=class_names,
        task=task,
        path=path,
    )


def read_csv_features(
    path: str | os.PathLike[str], columns: Sequence[str] | None = None
) -> np.ndarray:
    """Read numeric columns of a CSV file with a header row: samples without a target.

    The file is read as ``read_csv`` reads it (UTF-8, a header row, blank lines skipped) and
    every problem raises the same ``ValueError``, naming the line, the column and the value.

    Args:
        path: the CSV file.
        columns: the columns to take, by name and in this order (other columns are ignored);
            ``None`` takes every column in the file's order.

    Returns:
        float32 features, shape ``(rows, len(columns))`` (every column for ``None``).

    Raises:
        ValueError: an empty file, a header without data, a row with the wrong number of
            values, a missing or non-numeric value in a column taken, a column not in the
            file (the message lists those missing and those the file has), or a file that is
            not UTF-8 text.
        OSError: the file cannot be opened.

    Example:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "new.csv"
        ...     _ = path.write_text("note,color,weight\\nbig,1,150\\nsmall,3,120\\n")
        ...     read_csv_features(path, ["weight", "color"]).tolist()
        [[150.0, 1.0], [120.0, 3.0]]
    """
    path = Path(path)
    name = path.name
    header, rows = _read_rows(path)
    if columns is None:
        advice = "every column is read as a feature: remove other columns, such as a label"
        return _features(rows, list(range(len(header))), header, name, advice)
    missing = [column for column in columns if column not in header]
    if missing:
        raise ValueError(
            f"{name}: no column(s) {', '.join(missing)}; the columns needed are "
            f"{', '.join(columns)}, the file has {', '.join(header)}"
        )
    return _features(rows, [header.index(column) for column in columns], header, name)


def _target(
    rows: list[tuple[int, list[str]]], index: int, column: str, task: Task | None, name: str
) -> tuple[np.ndarray, tuple[str, ...] | None, Task]:
    texts = [(line, cells[index].strip()) for line, cells in rows]
    for line, text in texts:
        if not text:
            raise ValueError(f"{name}: line {line}, column {column!r}: missing target value")
    try:
        numbers: list[float] | None = [float(text) for _, text in texts]
    except ValueError:
        numbers = None
    if numbers is None:
        # Text labels: classes, never a regression target.
        line, text = next((line, t) for line, t in texts if not _is_number(t))
        if task == "regress":
            raise ValueError(
                f"{name}: line {line}, column {column!r}: {text!r} is not a number, but "
                "task='regress' needs a numeric target; use task='classify' or fix the value"
            )
        if task is None and any(_is_number(t) for _, t in texts):
            raise ValueError(
                f"{name}: line {line}, column {column!r}: {text!r} is text, but other target "
                "values are numbers (a typo?); fix the value, or pass task='classify' to "
                "treat every value as a class name"
            )
        class_names = tuple(sorted({text for _, text in texts}))
        lookup = {label: i for i, label in enumerate(class_names)}
        return np.array([lookup[t] for _, t in texts], dtype=np.int64), class_names, "classify"
    for (line, text), value in zip(texts, numbers, strict=True):
        if not math.isfinite(value):
            raise ValueError(f"{name}: line {line}, column {column!r}: {text!r} is not finite")
    task = task or _guess_task(numbers)
    if task == "regress":
        return np.array(numbers, dtype=np.float32), None, "regress"
    distinct = sorted(set(numbers))
    lookup_number = {value: i for i, value in enumerate(distinct)}
    class_names = tuple(_format_label(value) for value in distinct)
    labels = np.array([lookup_number[value] for value in numbers], dtype=np.int64)
    return labels, class_names, "classify"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _format_label(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


class Standardizer:
    """Scale each feature to mean 0 and standard deviation 1, with statistics fitted once.

    Fit it on the training split only, then transform every split with the same numbers (so
    no information leaks from validation or test data). A feature that is constant in the
    training data has standard deviation 0: it is divided by 1 instead.

    Example:
        >>> scaler = Standardizer().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
        >>> scaler.mean.tolist(), scaler.std.tolist()
        ([2.0, 5.0], [1.0, 1.0])
        >>> scaler.transform(np.array([[3.0, 7.0]])).tolist()
        [[1.0, 2.0]]
        >>> Standardizer.from_dict(scaler.to_dict()).mean.tolist()
        [2.0, 5.0]
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: Any) -> Standardizer:
        """Compute each feature's mean and standard deviation (axis 0) from ``x``; return self."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(
                f"Standardizer.fit needs a 2-D array (samples, features) with >= 1 sample, "
                f"got shape {x.shape}"
            )
        x64 = x.astype(np.float64)  # float64 sums: exact enough for any float32 data
        mean = x64.mean(axis=0)
        std = x64.std(axis=0)
        std[std == 0] = 1.0
        self.mean, self.std = mean.astype(np.float32), std.astype(np.float32)
        return self

    def _fitted(self, x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.mean is None or self.std is None:
            raise ValueError("this Standardizer is not fitted yet: call fit(x_train) first")
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != len(self.mean):
            raise ValueError(
                f"x has shape {x.shape}, but the Standardizer was fitted on "
                f"{len(self.mean)} features: expected shape (samples, {len(self.mean)})"
            )
        return x, self.mean, self.std

    def transform(self, x: Any) -> np.ndarray:
        """Return ``(x - mean) / std`` as float32."""
        x, mean, std = self._fitted(x)
        return ((x - mean) / std).astype(np.float32, copy=False)

    def fit_transform(self, x: Any) -> np.ndarray:
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        """Undo ``transform``: return ``x * std + mean`` as float32."""
        x, mean, std = self._fitted(x)
        return (x * std + mean).astype(np.float32, copy=False)

    def to_dict(self) -> dict[str, list[float]]:
        """The statistics as plain lists, to save as JSON metadata next to a model."""
        if self.mean is None or self.std is None:
            raise ValueError("this Standardizer is not fitted yet: call fit(x_train) first")
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Standardizer:
        """Rebuild a fitted Standardizer from ``to_dict()``'s output."""
        try:
            mean = np.asarray(data["mean"], dtype=np.float32)
            std = np.asarray(data["std"], dtype=np.float32)
        except (KeyError, TypeError) as error:
            raise ValueError(
                f"expected a dict with lists 'mean' and 'std' (from Standardizer.to_dict()), "
                f"got {data!r}"
            ) from error
        if mean.ndim != 1 or mean.shape != std.shape:
            raise ValueError(
                f"'mean' and 'std' must be lists of the same length, got {mean.shape} and "
                f"{std.shape}"
            )
        if not np.all(std > 0):
            raise ValueError(f"every 'std' must be > 0, got {std.tolist()}")
        scaler = cls()
        scaler.mean, scaler.std = mean, std
        return scaler

    def __repr__(self) -> str:
        features = "unfitted" if self.mean is None else f"{len(self.mean)} features"
        return f"Standardizer({features})"


def train_validation_split(
    x: Any, y: Any, validation_fraction: float = 0.2, seed: int | np.random.Generator = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split samples at random into a training part and a validation part.

    Args:
        x: inputs, one sample per entry of the first axis.
        y: targets, the same number of samples.
        validation_fraction: the share of samples for validation, strictly between 0 and 1.
            The validation part has ``round(fraction × samples)`` of them (Python's
            ``round``: halves go to the even number).
        seed: an integer or a ``numpy.random.Generator``: the same seed gives the same split.

    Returns:
        ``(x_train, y_train), (x_validation, y_validation)``, both parts non-empty.

    Example:
        >>> (x_train, y_train), (x_val, y_val) = train_validation_split(
        ...     np.arange(10), np.arange(10), validation_fraction=0.3, seed=0)
        >>> len(x_train), len(x_val), sorted(x_train.tolist() + x_val.tolist()) == list(range(10))
        (7, 3, True)
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"x and y must hold the same number of samples, got shapes {x.shape} and {y.shape}"
        )
    if isinstance(validation_fraction, bool) or not 0 < validation_fraction < 1:
        raise ValueError(
            f"validation_fraction must be strictly between 0 and 1, got {validation_fraction!r}"
        )
    count = len(x)
    validation_count = round(validation_fraction * count)
    if not 1 <= validation_count <= count - 1:
        raise ValueError(
            f"validation_fraction {validation_fraction} of {count} samples gives "
            f"{validation_count} validation and {count - validation_count} training samples; "
            "both parts need at least 1: change the fraction or use more data"
        )
    order = np.random.default_rng(seed).permutation(count)
    validation, train = order[:validation_count], order[validation_count:]
    return (x[train], y[train]), (x[validation], y[validation])


def column_list(header: list[str], shown: int = 12) -> str:
    """ "the columns are [...]" for an error message; a long header (an image's 784 pixel
    columns) shows its first and last few and how many there are."""
    if len(header) <= shown:
        return f"the columns are {list(header)}"
    half = shown // 2
    return f"the {len(header)} columns are {list(header[:half])} ... {list(header[-half:])}"
