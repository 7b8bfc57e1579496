"""``examples/tiny_transformer.py`` as a user runs it, on its ``--quick`` setting: the table's
rows, the parameter counts (the two models within 2% of each other) and that both learn (below
the uniform guess). The issue's claim that the transformer beats the LSTM of its size is NOT met
by the full run and not asserted: quick run 2.468 (transformer) vs 2.512 (LSTM) nats/char, full
run (4 layers of width 48, 64 words a step, 3000 steps, peak 6e-3) 1.957 vs 1.891, the LSTM
ahead (measured 2026-12-06, see the README).

The quick setting: 4,000 words of /usr/share/dict/american-english, one word a row (context
24), width 32, two heads, two layers, batch 32 words, 150 Adam steps at a peak of 3e-3 for each
model (about 20 s on two shared cores). With ``HUMBLENET_REQUIRE_DATA=1`` a missing word list
fails instead of skipping.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from humblenet.data import text

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny_transformer.py"
ROW = re.compile(r"^(transformer|LSTM)\s+([\d,]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", re.M)


def test_tiny_transformer_and_lstm_of_its_size_both_learn() -> None:
    if not text.WORDS_PATH.is_file():
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but {text.WORDS_PATH} is missing")
        pytest.skip(text.WORDS_HOW_TO_GET)
    # One BLAS thread: on a machine shared with other jobs, a second OpenBLAS thread waiting
    # for a busy core made small products many times slower (see benchmarks/bench_attention.py).
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLE), "--quick"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    rows = {m[0]: m for m in ROW.findall(completed.stdout)}
    assert set(rows) == {"transformer", "LSTM"}, completed.stdout
    params = {name: int(row[1].replace(",", "")) for name, row in rows.items()}
    validation = {name: float(row[3]) for name, row in rows.items()}
    assert abs(params["LSTM"] - params["transformer"]) <= 0.02 * params["transformer"]
    uniform = math.log(28)  # 26 letters and the two markers
    assert f"uniform guess: {uniform:.3f}" in completed.stdout
    assert max(validation.values()) < uniform - 0.5, completed.stdout
    for name in rows:
        invented = re.search(rf"^{name} invents: (.*)$", completed.stdout, re.M)
        assert invented is not None and len(invented[1].split(", ")) == 8
