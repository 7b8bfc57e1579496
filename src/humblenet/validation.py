"""Checking what a user passed: one rule, one place.

Every public function and constructor that takes a number from a user checks it here, so the
rule is the same everywhere:

- a value of the wrong *type* (text for a number, ``1.5`` for a count, ``True`` for either) is a
  ``TypeError``;
- a value of the right type but outside its range (a negative rate, a batch size of 0, NaN) is a
  ``ValueError``;
- the message starts with the owner (the class or function the user called), names the argument,
  says what was expected and shows the value received.

>>> whole("DataLoader", "batch_size", 32, minimum=1)
32
>>> whole("DataLoader", "batch_size", 1.5, minimum=1)
Traceback (most recent call last):
...
TypeError: DataLoader: batch_size must be a whole number >= 1, got float 1.5
>>> positive("SGD", "learning_rate", -0.1)
Traceback (most recent call last):
...
ValueError: SGD: learning_rate must be positive and finite, got -0.1
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

__all__ = ["fraction", "non_negative", "number", "one_of", "positive", "whole"]


def number(owner: str, name: str, value: Any) -> float:
    """``value`` as a Python float; a TypeError for what is not a real number (bools included),
    a ValueError for NaN."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    result = float(value)
    if math.isnan(result):
        raise ValueError(f"{owner}: {name} must be a number, got nan")
    return result


def positive(owner: str, name: str, value: Any) -> float:
    """A number in (0, inf)."""
    result = number(owner, name, value)
    if not 0.0 < result < math.inf:
        raise ValueError(f"{owner}: {name} must be positive and finite, got {value!r}")
    return result


def non_negative(owner: str, name: str, value: Any) -> float:
    """A number in [0, inf)."""
    result = number(owner, name, value)
    if not 0.0 <= result < math.inf:
        raise ValueError(f"{owner}: {name} must be >= 0 and finite, got {value!r}")
    return result


def fraction(owner: str, name: str, value: Any, *, one_allowed: bool = False) -> float:
    """A number in [0, 1) (or [0, 1] when ``one_allowed``)."""
    result = number(owner, name, value)
    if not (0.0 <= result <= 1.0 if one_allowed else 0.0 <= result < 1.0):
        interval = "[0, 1]" if one_allowed else "[0, 1)"
        raise ValueError(f"{owner}: {name} must be in {interval}, got {value!r}")
    return result


def whole(owner: str, name: str, value: Any, *, minimum: int = 0) -> int:
    """A whole number (a Python or NumPy integer, not a bool) that is at least ``minimum``."""
    expected = f"a whole number >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{owner}: {name} must be {expected}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}")
    return int(value)


def one_of(owner: str, name: str, value: Any, choices: Iterable[Any]) -> Any:
    """``value`` when it is one of ``choices``; a ValueError listing them otherwise."""
    options = tuple(choices)
    if isinstance(value, str | int | float | type(None)) and value in options:
        return value
    listed = ", ".join(repr(option) for option in options)
    raise ValueError(f"{owner}: {name} must be one of {listed}, got {value!r}")
