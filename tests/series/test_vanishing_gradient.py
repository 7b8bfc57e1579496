"""The sequence chapter of the tour: its gradient norms are torch's, the vanishing it tells of
is what was measured, and its figure is a PNG.

Sizes are the chapter's own (50 steps, batch 8, 8 inputs, hidden 32; a few milliseconds).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from humblenet import nn
from humblenet.series import tour
from humblenet.series import vanishing_gradient as vg


def _torch_norms(network: nn.Module, x: np.ndarray) -> np.ndarray:
    """The same gradient norms from torch's autograd, float64, with the same weights."""
    size = (vg.INPUT_SIZE, vg.HIDDEN_SIZE)
    reference = torch.nn.LSTM(*size) if isinstance(network, nn.LSTM) else torch.nn.RNN(*size)
    reference = reference.double()
    state = {name: torch.tensor(p.data) for name, p in network.named_parameters()}
    reference.load_state_dict(state, strict=True)
    inputs = torch.tensor(x, requires_grad=True)
    output, _ = reference(inputs)
    output[-1].sum().backward()
    assert inputs.grad is not None
    return torch.linalg.vector_norm(inputs.grad.reshape(len(x), -1), dim=1).numpy()


def test_the_gradient_norms_are_torchs() -> None:
    x = vg.sequences()
    for label, network in vg.networks().items():
        ours, _ = vg.gradient_norms(network, x)
        np.testing.assert_allclose(ours, _torch_norms(network, x), rtol=1e-10, err_msg=label)


def test_measure_reports_those_norms() -> None:
    runs = vg.measure()
    x = vg.sequences()
    for run, network in zip(runs, vg.networks().values(), strict=True):
        np.testing.assert_allclose(run.norms, _torch_norms(network, x), rtol=1e-10)
        assert run.ratio == pytest.approx(run.norms[0] / run.norms[-1], rel=1e-12)
        assert run.per_step ** (len(run.norms) - 1) == pytest.approx(run.ratio, rel=1e-9)


def test_the_rnns_gradient_is_one_factor_per_step_back() -> None:
    """The chapter's explanation, computed by hand in NumPy: starting from d loss / d h_T (all
    ones), each step back multiplies by diag(tanh'(a_t)) then W_hh; the input's gradient at t is
    that times W_ih. It equals the autograd's norms."""
    rnn = vg.networks()["RNN (tanh)"]
    x = vg.sequences()
    norms, hidden = vg.gradient_norms(rnn, x)
    w_ih, w_hh = rnn.weight_ih_l0.data, rnn.weight_hh_l0.data
    grad_h = np.ones((vg.BATCH, vg.HIDDEN_SIZE))
    expected = np.empty(vg.SEQUENCE_LENGTH)
    for t in range(vg.SEQUENCE_LENGTH - 1, -1, -1):
        grad_a = grad_h * (1.0 - hidden[t] ** 2)  # through tanh: tanh' = 1 - h^2 < 1
        expected[t] = np.linalg.norm(grad_a @ w_ih)
        grad_h = grad_a @ w_hh  # one step back through W_hh
    np.testing.assert_allclose(norms, expected, rtol=1e-10)


def test_the_rnns_gradient_vanishes_far_faster_than_the_lstms() -> None:
    rnn, lstm, opened = vg.measure()
    # The RNN's gradient shrinks at every step back; the share reaching step 1 orders the three.
    assert np.all(np.diff(rnn.norms) > 0)
    assert rnn.ratio < 1e-6  # vanished: not a millionth of the gradient reaches step 1
    assert rnn.ratio < lstm.ratio < opened.ratio
    assert opened.ratio > 1e3 * rnn.ratio  # "much larger": orders of magnitude
    # The explanation's numbers: the RNN's step factor is about radius × mean tanh', the
    # opened forget gate leans towards 1 and PyTorch's sits near one half.
    assert rnn.spectral_radius is not None
    assert rnn.per_step <= rnn.spectral_radius * 1.05
    assert lstm.factor < opened.factor
    assert abs(lstm.factor - 0.5) < abs(opened.factor - 0.5)


def test_the_forget_gate_factor_is_the_gate_the_lstm_computes() -> None:
    """The chapter's mean forget gate, recomputed independently by torch's LSTM cell."""
    network = vg.networks()["LSTM, forget bias 1"]
    x = vg.sequences()
    _, hidden = vg.gradient_norms(network, x)
    state = {name: torch.tensor(p.data) for name, p in network.named_parameters()}
    h = vg.HIDDEN_SIZE
    previous = torch.tensor(np.concatenate([np.zeros_like(hidden[:1]), hidden[:-1]]))
    gates = (
        torch.tensor(x) @ state["weight_ih_l0"].T
        + state["bias_ih_l0"]
        + previous @ state["weight_hh_l0"].T
        + state["bias_hh_l0"]
    )
    forget = torch.sigmoid(gates[..., h : 2 * h]).mean().item()
    run = vg.measure()[2]
    assert run.factor == pytest.approx(forget, rel=1e-12)


def test_the_chapter_shows_the_measured_table() -> None:
    rnn, lstm, opened = vg.measure()
    text = "\n".join(vg.chapter(verbose=False))
    assert f"{rnn.norms[0]:.2e}" in text and f"{opened.norms[0]:.2e}" in text
    assert f"{lstm.ratio:.1e}" in text
    assert max(len(line) for line in vg.chapter(verbose=True)) <= 98


def test_the_chapter_closes_the_tour() -> None:
    assert tour.CHAPTERS[-1] == (vg.TITLE, vg.chapter)


def test_the_figure_is_a_png(tmp_path: Path) -> None:
    import matplotlib.image  # the test extra has matplotlib

    path = vg.gradient_norms_figure(tmp_path)
    assert path == tmp_path / vg.FIGURE_NAME
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture = matplotlib.image.imread(path)
    assert picture.shape[0] > 100 and picture.shape[1] > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == [vg.FIGURE_NAME]  # no temporary left


def test_python_dash_m_writes_the_figure(tmp_path: Path) -> None:
    command = [sys.executable, "-W", "error", "-m", "humblenet.series.vanishing_gradient"]
    done = subprocess.run([*command, str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == tmp_path / vg.FIGURE_NAME
    assert (tmp_path / vg.FIGURE_NAME).read_bytes()[:4] == b"\x89PNG"
    missing = tmp_path / "not-there"
    done = subprocess.run([*command, str(missing)], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr and not missing.exists()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "usage:" in done.stderr


def test_missing_matplotlib_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r"humblenet\[plots\]"):
        vg.gradient_norms_figure(tmp_path)
    assert list(tmp_path.iterdir()) == []
