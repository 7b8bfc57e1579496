"""The tour's text layout, shared by its chapters (:mod:`.tour` and :mod:`.tour_deep`).

Every line of a chapter is a label (``"Idea:"``, ``"Setup:"``, ``"Result:"``) followed by its
text, wrapped to :data:`WIDTH` columns with the continuation lines aligned under the text.

Example:
    >>> wrap("Idea:", "a network scales its input by a weight.")
    ['Idea:   a network scales its input by a weight.']
"""

from __future__ import annotations

import textwrap

WIDTH = 92
"""Columns of a tour line (the tour indents each by 2 more; tests keep them within 100)."""


def wrap(label: str, text: str) -> list[str]:
    """``label`` then ``text`` wrapped to the terminal, continuation lines aligned."""
    prefix = f"{label:<8}" if len(label) < 8 else f"{label} "
    return textwrap.wrap(
        text, width=WIDTH, initial_indent=prefix, subsequent_indent=" " * len(prefix)
    )
