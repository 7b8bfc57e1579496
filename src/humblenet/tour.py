"""``humblenet tour``: an old name for :mod:`humblenet.series.tour`.

The tour lives in :mod:`humblenet.series.tour`; this module gives the same names, so that
``from humblenet.tour import run_tour`` (the command line's import) keeps working. To change the
tour's chapters, for example in a test, change ``humblenet.series.tour.CHAPTERS``: that is the
list :func:`run_tour` reads.
"""

from __future__ import annotations

from humblenet.series.tour import CHAPTERS, FIGURES, Chapter, Figure, chapters, run_tour

__all__ = ["CHAPTERS", "FIGURES", "Chapter", "Figure", "chapters", "run_tour"]
