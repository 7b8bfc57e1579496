"""Shared set-up for the PyTorch oracle tests: the helper's import path and the error report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import oracle_helper  # noqa: E402


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the worst relative error against PyTorch seen in each dtype."""
    if not oracle_helper.WORST:
        return
    terminalreporter.section("humblenet vs PyTorch: worst relative error")
    for dtype, (error, where) in sorted(oracle_helper.WORST.items()):
        terminalreporter.write_line(f"{dtype}: {error:.3g} ({where})")
