"""The tour's parts 9 and 10: an old name for :mod:`humblenet.series.tour_deep`.

The chapters live in :mod:`humblenet.series.tour_deep`; this module gives the same names, so
that ``from humblenet import tour_deep`` keeps working.
"""

from __future__ import annotations

from humblenet.series.tour_deep import PART9_EPOCHS as PART9_EPOCHS
from humblenet.series.tour_deep import PART9_HIDDEN as PART9_HIDDEN
from humblenet.series.tour_deep import (
    PART9_TITLE,
    PART10_TITLE,
    Part10Run,
    part9_chapter,
    part9_train,
    part10_chapter,
    part10_runs,
)
from humblenet.series.tour_deep import PART10_EPOCHS as PART10_EPOCHS
from humblenet.series.tour_deep import PART10_HIDDEN as PART10_HIDDEN
from humblenet.series.tour_deep import PART10_TRAIN_IMAGES as PART10_TRAIN_IMAGES

# The chapters' settings (PART9_EPOCHS ... PART10_TRAIN_IMAGES) are reachable here, as before the
# split, though not in __all__.
__all__ = [
    "PART9_TITLE",
    "PART10_TITLE",
    "Part10Run",
    "part9_chapter",
    "part9_train",
    "part10_chapter",
    "part10_runs",
]
