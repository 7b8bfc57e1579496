"""Checks of what a learner passes to the series' functions, in the series' own words.

Every check that parts 1 to 8 and the neuron make of a number, a list of numbers or a matrix
lives here, so that the messages a learner reads are in one place. The rule is the library's
(:mod:`humblenet.validation`): a ``TypeError`` for a value of the wrong type, a ``ValueError``
for a value of the right type that is out of range, and the message names the argument and the
value received. The wording is the series' own, though, and does not go through
:mod:`humblenet.validation`: it teaches ("write 1 or 0 if you mean a number", "the most to run"),
it refuses infinities where the library only refuses NaN, and the tests match it word for word.

Numbers are ``int`` or ``float`` (NumPy scalars too). Booleans are refused even though Python
counts ``True`` as 1: in this series a ``True`` where a number belongs is almost always a
mistake, so write 1 or 0. Strings, ``None``, NaN and infinities are refused as well.

Example:
    >>> vector((2, 3.5), "weights")
    [2, 3.5]
    >>> number(True, "weight")
    Traceback (most recent call last):
    ...
    TypeError: weight must be a number, got True (bool); write 1 or 0 if you mean a number
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------------
# Parts 1 to 8: numbers, lists of numbers, rows of numbers.
# ---------------------------------------------------------------------------------------------


def describe(value: object) -> str:
    """A received value for a message: its repr (cut at 60 characters) and its type."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def number(value: object, name: str) -> Any:
    """Return ``value`` as a plain Python number, or raise a TypeError/ValueError naming it."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be a number, got {value!r} (bool); write 1 or 0 if you mean a number"
        )
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number (int or float), got {describe(value)}")
    if isinstance(value, np.generic):
        value = value.item()  # NumPy scalar -> the same value as a Python int or float
    # Python ints are always finite (and math.isfinite fails on a huge one).
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def listed(values: object, name: str, expected: str) -> list[Any]:
    """``values`` as a list, or a TypeError when it is text or cannot be walked through."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be {expected}, got {describe(values)}")
    return list(values)


def vector(values: object, name: str) -> list[Any]:
    """Return ``values`` as a non-empty list of plain numbers."""
    # Checked before list(): a 2-D array would give rows, a 0-D one would not iterate at all.
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(
            f"{name} must be a flat list of numbers, got an array of shape {values.shape}"
        )
    items = listed(values, name, "a list of numbers")
    if not items:
        raise ValueError(f"{name} is empty: expected at least one number")
    return [number(item, f"{name}[{index}]") for index, item in enumerate(items)]


def same_length(first: list[Any], first_name: str, second: list[Any], second_name: str) -> None:
    """Raise a ValueError unless two lists pair up, one weight per input."""
    if len(first) != len(second):
        raise ValueError(
            f"{first_name} has {len(first)} numbers but {second_name} has {len(second)}: "
            "they must have the same length, one weight per input"
        )


def _row_list(rows: object, name: str, what: str) -> list[Any]:
    """``rows`` as a non-empty list (its rows not checked yet); ``what`` the rows hold."""
    row_list = listed(rows, name, "a list of rows of numbers")
    if not row_list:
        raise ValueError(f"{name} is empty: expected at least one row of {what}")
    return row_list


def matrix(rows: object, name: str, columns: int, columns_name: str) -> list[list[Any]]:
    """Return ``rows`` as a list of rows, each with ``columns`` numbers (one per input)."""
    checked = []
    # Row by row: the first bad row is the one named, whether its numbers or its length is wrong.
    for index, row in enumerate(_row_list(rows, name, "weights")):
        row_values = vector(row, f"{name}[{index}]")
        if len(row_values) != columns:
            raise ValueError(
                f"{name}[{index}] has {len(row_values)} weights but there are {columns} "
                f"{columns_name}: each row needs one weight per input"
            )
        checked.append(row_values)
    return checked


def pattern_matrix(patterns: object, name: str = "patterns") -> np.ndarray:
    """Check a list of patterns (rows of numbers, all the same length); return float64 rows."""
    rows = _row_list(patterns, name, "numbers")
    checked = [vector(row, f"{name}[{index}]") for index, row in enumerate(rows)]
    for index, row in enumerate(checked):
        if len(row) != len(checked[0]):
            raise ValueError(
                f"{name}[{index}] has {len(row)} numbers but {name}[0] has {len(checked[0])}: "
                "every pattern needs the same number of inputs"
            )
    return np.array(checked, dtype=np.float64)


def positive(value: object, name: str) -> Any:
    """A number above 0 (a step, a learning rate)."""
    checked = number(value, name)
    if checked <= 0:
        raise ValueError(f"{name} must be a positive number, got {checked!r}")
    return checked


def cap(value: object, name: str) -> int:
    """A whole number of at least 1: the most steps or passes a loop may run (or a size)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number (the most to run), got {describe(value)}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 (the most to run), got {value!r}")
    return int(value)


def decimals(value: object, name: str) -> int | None:
    """How many decimals to round to (0 or more), or None for no rounding."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a number of decimals (0, 1, 2, ...) or None, got {describe(value)}"
        )
    if value < 0:
        raise ValueError(f"{name} must be 0 or more decimals, or None, got {value!r}")
    return int(value)


def tolerance(value: object) -> Any:
    """The error a loop counts as converged: 0 (exactly right) or more."""
    checked = number(value, "tolerance")
    if checked < 0:
        raise ValueError(f"tolerance must be 0 or more, got {checked!r}")
    return checked


# ---------------------------------------------------------------------------------------------
# The neuron (humblenet.series.neuron): its own wording, kept as published.
# ---------------------------------------------------------------------------------------------


def neuron_number(value: object, what: str, *, finite: bool = True) -> float:
    """Return ``value`` if it is a real number (not a bool), else raise TypeError naming it.

    The neuron's wording of :func:`number`: the value is returned as given (a NumPy scalar stays
    one), and ``finite=False`` lets an input be infinite.

    bool is refused on purpose: ``True`` as a weight or threshold is almost always a mistake
    (a flag passed in the wrong place), and ``1``/``0`` say the same thing plainly.
    """
    if isinstance(value, bool) or isinstance(value, np.bool_):
        raise TypeError(
            f"{what} must be a number, got {value!r} of type bool; "
            f"write 1 or 0 instead of True or False"
        )
    if not isinstance(value, numbers.Real):
        raise TypeError(
            f"{what} must be a real number (int or float), got {value!r} of type "
            f"{type(value).__name__}"
        )
    if finite and not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return value  # type: ignore[return-value]
