"""What the series' learning loops share: why a loop stopped, when it diverged, how to say so.

The series' loops run ``while True`` until the error is exactly 0. Ours (parts 3 to 8) take a cap
(``max_steps`` or ``max_passes``), keep a trace of every step, and say why they stopped:

- ``"converged"``: the error reached the tolerance;
- ``"cap"``: the cap was reached first;
- ``"diverged"``: the error kept growing (see :func:`is_diverging`), or the numbers grew past
  what a float holds;

with a message that names the knob to change. This module holds the stop reason, the divergence
rule, the wording the messages share, and the properties every result offers.

Example:
    >>> is_diverging([1, 2, 4, 8, 16, 32])
    True
    >>> diverged_after(6, "pass", 1041.2, "pass")
    'Diverged after 6 passes: the error grew at each of the last 5 or more passes, to 1041. '
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal

StopReason = Literal["converged", "cap", "diverged"]

# Divergence: the error grew at each of this many steps in a row, to more than 10 times what it
# was before the growth began. (Rounding can make an error grow once or twice near the end of a
# run that converges; five times in a row and tenfold is a trend.)
GROWTH_STEPS = 5
GROWTH_FACTOR = 10


def finite(value: Any) -> bool:
    """True unless ``value`` is an infinite or NaN float."""
    # Python ints never overflow; math.isfinite would fail on a huge one.
    return isinstance(value, numbers.Integral) or math.isfinite(value)


def is_diverging(errors: Sequence[Any]) -> bool:
    """True when the last error is not finite, or has grown steadily (see GROWTH_STEPS)."""
    if not finite(errors[-1]):
        return True
    # Walk back over the run of growing errors that ends at the last one.
    start = len(errors) - 1
    while start > 0 and errors[start] > errors[start - 1]:
        start -= 1
    grew = len(errors) - 1 - start
    return grew >= GROWTH_STEPS and errors[-1] > GROWTH_FACTOR * errors[start]


# ---------------------------------------------------------------------------------------------
# Words for the messages.
# ---------------------------------------------------------------------------------------------


def short(value: float) -> str:
    """A number for a message: readable, not every digit."""
    return f"{value:.4g}"


def plural(noun: str) -> str:
    """``"step"`` -> ``"steps"``, ``"pass"`` -> ``"passes"``."""
    return noun + ("es" if noun.endswith("s") else "s")


def count(number: int, noun: str) -> str:
    """``"1 pass"``, ``"5 passes"``."""
    return f"{number} {noun if number == 1 else plural(noun)}"


def growth(last_error: Any, unit: str) -> str:
    """How the error diverged, in words; ``unit`` is what the loop counts (step, pass)."""
    if not finite(last_error):
        return "the numbers grew past what a float can hold (inf or nan)"
    return (
        f"the error grew at each of the last {GROWTH_STEPS} or more {plural(unit)}, "
        f"to {short(last_error)}"
    )


def diverged_after(done: int, noun: str, last_error: Any, unit: str) -> str:
    """The start of every divergence message: after how many ``noun``s, and how it grew."""
    return f"Diverged after {count(done, noun)}: {growth(last_error, unit)}. "


def lower_rate(rate_name: str, rate: Any) -> str:
    """The advice when a learning rate is too big: a tenth of it."""
    return f"Lower {rate_name} (now {rate!r}), for example to {short(rate / 10)}."


# ---------------------------------------------------------------------------------------------
# What every result offers.
# ---------------------------------------------------------------------------------------------


class Outcome:
    """The ``converged`` property of a result that records why its loop stopped."""

    stopped: StopReason

    @property
    def converged(self) -> bool:
        """True when the loop stopped because the error reached the tolerance."""
        return self.stopped == "converged"


class TracedOutcome(Outcome):
    """A result that also keeps every step, each with its ``prediction`` and ``error``."""

    steps: tuple[Any, ...]

    @property
    def predictions(self) -> list[Any]:
        """The prediction made at each step."""
        return [step.prediction for step in self.steps]

    @property
    def errors(self) -> list[float]:
        """The squared error at each step."""
        return [step.error for step in self.steps]
