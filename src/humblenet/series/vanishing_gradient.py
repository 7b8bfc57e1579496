"""The tour's sequence chapter: why a plain RNN's gradient vanishes over a long sequence and an
LSTM's much less.

A recurrent network is the same layer applied once per time step. Backpropagation through time
sends the gradient of the loss at the last step back one step at a time, and every step
multiplies it by the same kind of factor:

- in a plain RNN, ``h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)``, going one step back multiplies
  the gradient by ``W_hh^T diag(tanh'(...))``. With PyTorch's initialization (entries uniform in
  ``±1/sqrt(hidden)``) ``W_hh`` shrinks vectors, and ``tanh' <= 1`` shrinks them again: the
  same shrinking factor, about 50 times over 50 steps, leaves next to nothing for the first
  steps;
- in an LSTM the cell state is updated by addition, ``c_t = f_t * c_{t-1} + i_t * g_t``, so
  going back one step along the cell multiplies the gradient by the forget gate ``f_t`` alone,
  with no weight matrix and no squashing derivative. Where ``f_t`` is near 1 the gradient
  passes almost unchanged. PyTorch initializes the forget gate's bias like every other bias, so
  ``f_t`` starts near ``sigmoid(0) = 0.5``; Keras (``unit_forget_bias``) and many papers start
  its bias at 1, ``f_t`` near 0.73, and the gradient lasts far longer.

The chapter measures it with humblenet's own autograd: a batch of random sequences (seeded) goes
through ``nn.RNN`` (tanh), ``nn.LSTM``, and the same LSTM with its forget-gate bias set to 1,
all of the same sizes; the loss is the sum of the last step's hidden state; ``x.grad[t]`` is the
gradient of that loss with respect to the input at step ``t``. Each layer and direction is one
node of the graph (:mod:`humblenet.recurrent`), so the gradients reachable from outside are the
inputs', not the hidden states'; the input's gradient at step ``t`` is the hidden state's sent
through that step's input weights, so it shows the same decay.

Run ``python -m humblenet.series.vanishing_gradient DIR`` to write the plot
(:func:`gradient_norms_figure`, needs matplotlib: ``pip install "humblenet[plots]"``).

Example:
    >>> runs = measure()
    >>> [run.label for run in runs]
    ['RNN (tanh)', 'LSTM', 'LSTM, forget bias 1']
    >>> runs[0].ratio < runs[1].ratio < runs[2].ratio
    True
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from humblenet import nn
from humblenet.plots import _new_figure, _save_atomically
from humblenet.series._tour_text import wrap as _wrap
from humblenet.tensor import Tensor

__all__ = [
    "FIGURE_NAME",
    "TITLE",
    "GradientNorms",
    "chapter",
    "figure",
    "gradient_norms",
    "gradient_norms_figure",
    "main",
    "measure",
    "networks",
    "sequences",
]

TITLE = "Sequences: why a plain RNN's gradient vanishes and an LSTM's lasts"
FIGURE_NAME = "vanishing_gradient.png"

SEQUENCE_LENGTH = 50
BATCH = 8
INPUT_SIZE = 8
HIDDEN_SIZE = 32
_SEED = 0
_SHOWN_STEPS = (1, 10, 20, 30, 40, 50)


@dataclass(frozen=True)
class GradientNorms:
    """The measured gradient of one network, step by step.

    Attributes:
        label: which network (``"RNN (tanh)"``, ``"LSTM"``, ``"LSTM, forget bias 1"``).
        norms: ``norms[t - 1]`` is ``|| d loss / d x_t ||`` over the batch, for ``t = 1..T``.
        factor: the mean factor the network multiplies by per step back (the RNN's mean
            ``tanh'``, the LSTM's mean forget gate), measured along the same sequences.
        spectral_radius: the RNN's ``W_hh``'s largest eigenvalue modulus (None for an LSTM).
    """

    label: str
    norms: np.ndarray
    factor: float
    spectral_radius: float | None = None

    @property
    def ratio(self) -> float:
        """``norms`` at the first step over ``norms`` at the last: how much of the gradient
        reaches step 1."""
        return float(self.norms[0] / self.norms[-1])

    @property
    def per_step(self) -> float:
        """The geometric mean of the shrinking per step back: ``ratio ** (1 / (T - 1))``."""
        return float(self.ratio ** (1.0 / (len(self.norms) - 1)))


def networks(seed: int = _SEED) -> dict[str, nn.Module]:
    """The three networks, float64, initialized as PyTorch's from ``seed``: an ``nn.RNN`` with
    tanh, an ``nn.LSTM``, and that same LSTM's weights with the forget gate's bias set to 1
    (``bias_ih`` 1, ``bias_hh`` 0 on the forget block)."""
    rnn = nn.RNN(INPUT_SIZE, HIDDEN_SIZE, seed=seed, dtype="float64")
    lstm = nn.LSTM(INPUT_SIZE, HIDDEN_SIZE, seed=seed, dtype="float64")
    opened = nn.LSTM(INPUT_SIZE, HIDDEN_SIZE, seed=seed, dtype="float64")
    forget = slice(HIDDEN_SIZE, 2 * HIDDEN_SIZE)  # torch's gate order is i, f, g, o
    weights = dict(opened.named_parameters())
    weights["bias_ih_l0"].data[forget] = 1.0
    weights["bias_hh_l0"].data[forget] = 0.0
    return {"RNN (tanh)": rnn, "LSTM": lstm, "LSTM, forget bias 1": opened}


def sequences(seed: int = _SEED) -> np.ndarray:
    """``BATCH`` random sequences, standard normal, float64, shape ``(T, B, INPUT_SIZE)``."""
    rng = np.random.default_rng([seed, 1])
    return rng.standard_normal((SEQUENCE_LENGTH, BATCH, INPUT_SIZE))


def gradient_norms(network: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``|| d loss / d x_t ||`` for every step ``t``, with loss = the sum of the last step's
    hidden state, by humblenet's autograd; also the hidden states ``(T, B, H)``."""
    inputs = Tensor(x, requires_grad=True)
    output, _ = network(inputs)  # (T, B, H), time first
    output[len(x) - 1].sum().backward()
    assert inputs.grad is not None
    norms = np.linalg.norm(inputs.grad.reshape(len(x), -1), axis=1)
    return norms, np.asarray(output.data)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * z) + 0.5


def _mean_factor(network: nn.Module, x: np.ndarray, hidden: np.ndarray) -> float:
    """The mean per-step factor along the run: an RNN's ``tanh' = 1 - h^2``, an LSTM's forget
    gate recomputed from its inputs and the previous hidden states."""
    if not isinstance(network, nn.LSTM):
        return float(np.mean(1.0 - hidden**2))
    h = HIDDEN_SIZE
    forget = slice(h, 2 * h)
    w = {name: p.data for name, p in network.named_parameters()}
    previous = np.concatenate([np.zeros_like(hidden[:1]), hidden[:-1]])
    pre = (
        x @ w["weight_ih_l0"][forget].T
        + w["bias_ih_l0"][forget]
        + previous @ w["weight_hh_l0"][forget].T
        + w["bias_hh_l0"][forget]
    )
    return float(np.mean(_sigmoid(pre)))


def measure(seed: int = _SEED) -> list[GradientNorms]:
    """The gradient norms per step of the three :func:`networks` on the same
    :func:`sequences` (a few milliseconds)."""
    x = sequences(seed)
    runs = []
    for label, network in networks(seed).items():
        norms, hidden = gradient_norms(network, x)
        radius = None
        if isinstance(network, nn.RNN):
            w_hh = dict(network.named_parameters())["weight_hh_l0"].data
            radius = float(np.max(np.abs(np.linalg.eigvals(w_hh))))
        runs.append(GradientNorms(label, norms, _mean_factor(network, x, hidden), radius))
    return runs


def _table(runs: list[GradientNorms]) -> list[str]:
    widths = [max(len(run.label), 9) for run in runs]
    head = "  step t  " + "  ".join(f"{run.label:>{w}}" for run, w in zip(runs, widths))
    lines = [head]
    for t in _SHOWN_STEPS:
        cells = "  ".join(f"{run.norms[t - 1]:>{w}.2e}" for run, w in zip(runs, widths))
        lines.append(f"  {t:>6}  {cells}")
    ratio = "  ".join(f"{run.ratio:>{w}.1e}" for run, w in zip(runs, widths))
    lines.append(f"  {'t1/t50':>6}  {ratio}")
    step = "  ".join(f"{run.per_step:>{w}.3f}" for run, w in zip(runs, widths))
    lines.append(f"  {'/step':>6}  {step}")
    return lines


def chapter(verbose: bool) -> list[str]:
    """The tour chapter: the measured table and what it shows."""
    runs = measure()
    rnn, lstm, opened = runs
    assert rnn.spectral_radius is not None
    lines = _wrap(
        "Idea:",
        "backpropagation through time multiplies the gradient by one factor per step back. A "
        "plain RNN's factor is W_hh times tanh' (both shrink it); an LSTM's cell adds instead "
        "of squashing, so along the cell the factor is the forget gate alone.",
    )
    lines += _wrap(
        "Setup:",
        f"{BATCH} random sequences of {SEQUENCE_LENGTH} steps, {INPUT_SIZE} inputs, hidden "
        f"size {HIDDEN_SIZE}, PyTorch's initialization (seeded); loss = sum of the last "
        "step's hidden state. Below: || d loss / d x_t ||, the gradient reaching step t.",
    )
    lines += _table(runs)
    lines += _wrap(
        "Result:",
        f"in the RNN only {rnn.ratio:.0e} of the last step's gradient reaches step 1: W_hh's "
        f"spectral radius is {rnn.spectral_radius:.2f} and the mean tanh' {rnn.factor:.2f}, so "
        f"each step back keeps about {rnn.per_step:.2f} of it. The LSTM keeps "
        f"{lstm.per_step:.2f} per step ({lstm.ratio:.0e} at step 1): PyTorch's initialization "
        f"gives the forget gate no lean towards 1, it averages {lstm.factor:.2f}. With the "
        f"forget bias at 1 (as Keras starts it) the gate averages {opened.factor:.2f}, each "
        f"step keeps {opened.per_step:.2f}, and {opened.ratio:.0e} reaches step 1, "
        f"{opened.ratio / rnn.ratio:.0e} times the RNN's share.",
    )
    lines += _wrap(
        "So:",
        "a plain RNN cannot learn what depends on inputs many steps back; an LSTM can, as "
        "long as its forget gates stay open (and it learns to keep them so).",
    )
    if verbose:
        lines.append("Every step's gradient norm, t = 1..50, ten per line:")
        for run in runs:
            lines.append(f"  {run.label}:")
            for start in range(0, SEQUENCE_LENGTH, 10):
                values = " ".join(f"{v:.2e}" for v in run.norms[start : start + 10])
                lines.append(f"    {values}")
    return lines


def gradient_norms_figure(directory: str | Path) -> Path:
    """Draw the gradient norms per time step (log scale) of the three networks and save the
    picture as ``directory / FIGURE_NAME`` (written atomically; the folder must exist).

    Args:
        directory: the folder to write ``vanishing_gradient.png`` into.

    Returns:
        The path of the written PNG.

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
        FileNotFoundError: ``directory`` does not exist.
    """
    runs = measure()
    drawing = _new_figure(7.0, 4.5)
    axes = drawing.subplots()
    steps = np.arange(1, SEQUENCE_LENGTH + 1)
    for run, style in zip(runs, ("-o", "-s", "-^")):
        axes.semilogy(steps, run.norms, style, markersize=3, label=run.label)
    axes.set_xlabel("time step t (the loss is at the last step)")
    axes.set_ylabel("|| d loss / d x_t ||")
    axes.set_title("How much gradient reaches each time step")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return _save_atomically(drawing, Path(directory) / FIGURE_NAME)


def figure(folder: str | Path) -> list[Path]:
    """The tour's figure hook (``humblenet tour --plots DIR``): :func:`gradient_norms_figure`.

    Returns:
        The files written: ``[folder / FIGURE_NAME]``.
    """
    return [gradient_norms_figure(folder)]


def main(argv: list[str] | None = None) -> int:
    """``python -m humblenet.series.vanishing_gradient DIR``: write the figure into DIR."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print(
            "usage: python -m humblenet.series.vanishing_gradient DIR (an existing folder for "
            f"{FIGURE_NAME})",
            file=sys.stderr,
        )
        return 2
    try:
        path = gradient_norms_figure(arguments[0])
    except (ImportError, OSError) as error:  # matplotlib missing, the folder not there
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
