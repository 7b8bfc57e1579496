"""``examples/tiny_transformer.py`` as a user runs it, on its ``--quick`` setting: the table's
rows, the parameter counts, and the issue's claim that the transformer does better than an LSTM
of the same size (validation nats per character).

The quick setting: 4,000 words of /usr/share/dict/american-english, context 16, width 32, two
heads, two layers, batch 32, 150 Adam steps for each model (about 20 s on two shared cores).
With ``HUMBLENET_REQUIRE_DATA=1`` a missing word list fails instead of skipping.
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


def test_tiny_transformer_beats_the_lstm_of_its_size() -> None:
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
    assert validation["transformer"] < validation["LSTM"] < uniform, completed.stdout
    for name in rows:
        invented = re.search(rf"^{name} invents: (.*)$", completed.stdout, re.M)
        assert invented is not None and len(invented[1].split(", ")) == 8
