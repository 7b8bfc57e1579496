"""``examples/char_lstm_words.py``: the issue's claim that humblenet's character LSTM reaches a
validation cross-entropy at most 1.02 x that of the same-size PyTorch LSTM trained with the same
settings, and the example as a user runs it (``--quick --compare-torch``).

The comparison (in this process, small settings): 1,500 words of
/usr/share/dict/american-english (every k-th word), embedding 8, hidden 16, context 12, batch 32,
3 epochs (108 Adam steps, learning rate 0.003, clipping at 1), seed 0. Both start from the
same weights (checked: the same scores within 1e-5 before training) and see the same batches.
The ``--quick`` run: 6,000 words, embedding 16, hidden 48, context 16, 2 epochs (214 steps).
Full run (README): 1.82912 against 1.82912 nats/char. With ``HUMBLENET_REQUIRE_DATA=1`` a missing
word list fails instead of skipping.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from humblenet import no_grad
from humblenet.data import text

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "char_lstm_words.py"
ROW = re.compile(r"^(humblenet|PyTorch)\s+([\d.]+)\s+([\d.]+)$", re.M)


def _need_words() -> None:
    if not text.WORDS_PATH.is_file():
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but {text.WORDS_PATH} is missing")
        pytest.skip(text.WORDS_HOW_TO_GET)


def _example():
    spec = importlib.util.spec_from_file_location("char_lstm_words", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_humblenet_lstm_matches_torchs_validation_cross_entropy_within_2_percent() -> None:
    _need_words()
    example = _example()
    settings = replace(
        example.QUICK, embedding=8, hidden=16, context=12, epochs=3, words=1500, invent=4
    )
    # The twin starts from humblenet's weights: the same scores before any step.
    data = example.load_data(settings)
    vx = data["validation"][0][:8]
    model = example.CharLSTM(len(data["vocab"]), settings)
    twin = example.torch_twin(model, settings)
    with no_grad():
        ours = model(vx)[0].data
    with torch.no_grad():
        theirs = twin(torch.from_numpy(vx)).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)

    # One torch thread: on the shared 2-core machine its thread pool made 108 small steps take
    # 5.5 s instead of 0.5 s. The numbers do not depend on it.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = example.run(settings, compare_torch=True)
    finally:
        torch.set_num_threads(threads)
    (_, humblenet_ce, _), (_, torch_ce, _) = results["rows"]
    assert results["steps"] == 108
    assert humblenet_ce < math.log(results["vocab"]) - 0.3  # both learned
    assert humblenet_ce <= 1.02 * torch_ce, (humblenet_ce, torch_ce)
    assert len(results["invented"]) == 4


def test_the_example_quick_run_prints_both_libraries_and_invented_words() -> None:
    _need_words()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLE), "--quick", "--compare-torch"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    rows = {name: float(ce) for name, ce, _ in ROW.findall(out)}
    assert set(rows) == {"humblenet", "PyTorch"}, out
    assert f"uniform guess: {math.log(28):.3f}" in out  # 26 letters and the two markers
    assert rows["humblenet"] < math.log(28) - 0.5, out
    assert rows["humblenet"] <= 1.02 * rows["PyTorch"], out
    ratio = re.search(r"^ratio humblenet / PyTorch: ([\d.]+)$", out, re.M)
    assert ratio is not None
    assert float(ratio[1]) == pytest.approx(rows["humblenet"] / rows["PyTorch"], abs=2e-5)
    invented = re.search(r"^invented \(temperature 0.8, seed 0; .*\): (.*)$", out, re.M)
    assert invented is not None and len(invented[1].split(", ")) == 12
