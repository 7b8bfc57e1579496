"""House rules that a reviewer would otherwise check by hand: lint, types, from scratch, README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "humblenet"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_nothing_under_src_imports_a_deep_learning_framework() -> None:
    pattern = re.compile(r"^\s*(import|from)\s+(torch|jax|tensorflow|keras)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in SRC.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_nothing_under_src_unpickles() -> None:
    pattern = re.compile(r"allow_pickle\s*=\s*True|pickle\.loads?\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in SRC.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_ruff_lint_and_format_pass_on_src() -> None:
    lint = _run(sys.executable, "-m", "ruff", "check", "src", "tests", "examples", "benchmarks")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = _run(sys.executable, "-m", "ruff", "format", "--check", "src")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_mypy_passes_on_src() -> None:
    result = _run(sys.executable, "-m", "mypy", "src/humblenet")
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(.*?)```", readme, re.DOTALL)
    first = blocks[0].strip().splitlines()
    assert first == ["pip install -e . && humblenet tour", 'pip install -e ".[test]" && pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[test]" && pytest' in ci.splitlines()[-1]
