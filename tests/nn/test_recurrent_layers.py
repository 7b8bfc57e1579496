"""``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` against ``torch.nn`` with the same weights copied in.

Compared over two layers, both directions, batch first or not, with or without initial state,
sequence length 1 and batch 1, in float64 (1e-10) and float32 (1e-5): the output, the final
states, and the gradients of every parameter, the input and the initial states for a random
upstream gradient. Shapes are small (T <= 4, B <= 3, input 3, hidden 2 or 3).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "oracle"))
from oracle_helper import assert_close  # noqa: E402

from humblenet import Tensor, nn  # noqa: E402
from humblenet.gradient_check import gradcheck  # noqa: E402
from humblenet.io.safetensors import save_state_dict  # noqa: E402

KINDS = {
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
}
# (T, B, num_layers, bidirectional, batch_first, initial state, bias, hidden)
SETTINGS = [
    (4, 3, 1, False, False, False, True, 3),
    (3, 2, 2, True, True, True, True, 2),
    (3, 2, 2, False, False, True, True, 3),
    (4, 2, 1, True, False, False, True, 2),
    (2, 3, 2, True, False, True, False, 2),
    (1, 2, 2, True, True, False, True, 3),
    (3, 1, 2, True, False, True, True, 2),
]


def _pair(kind: str, setting: tuple[Any, ...], dtype: Any, seed: int = 0) -> tuple[Any, Any]:
    _, _, layers, bidi, batch_first, _, bias, hidden = setting
    ours_class, torch_class, extra = KINDS[kind]
    options = dict(num_layers=layers, bidirectional=bidi, batch_first=batch_first, bias=bias)
    ours = ours_class(3, hidden, **options, **extra, seed=seed, dtype=dtype)
    ref = torch_class(3, hidden, **options, **extra).to(
        torch.float64 if dtype == "float64" else torch.float32
    )
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(getattr(ours, name).data))
    return ours, ref


def _as_list(result: Any) -> list[Any]:
    out, state = result
    return [out, *(state if isinstance(state, tuple) else (state,))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "T{}B{}L{}{}{}{}{}H{}".format(*s))
@pytest.mark.parametrize("kind", list(KINDS))
def test_layer_matches_torch(kind, setting, dtype) -> None:
    t, b, layers, bidi, batch_first, with_state, _, hidden = setting
    ours, ref = _pair(kind, setting, dtype)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(b, t, 3) if batch_first else (t, b, 3)).astype(dtype)
    count = layers * (2 if bidi else 1)
    states = [rng.uniform(-1, 1, size=(count, b, hidden)).astype(dtype) for _ in range(2)]
    states = states if kind == "lstm" else states[:1]
    ours_in = [Tensor(a.copy(), requires_grad=True) for a in [x, *states]]
    ref_in = [torch.from_numpy(a.copy()).requires_grad_(True) for a in [x, *states]]
    if with_state:
        got = _as_list(ours(ours_in[0], tuple(ours_in[1:]) if kind == "lstm" else ours_in[1]))
        want = _as_list(ref(ref_in[0], tuple(ref_in[1:]) if kind == "lstm" else ref_in[1]))
    else:
        got, want = _as_list(ours(ours_in[0])), _as_list(ref(ref_in[0]))
    labels = ["output", "h_n", "c_n"]
    total_ours: Any = 0
    total_ref: Any = 0
    for label, g, w in zip(labels[: len(want)], got, want, strict=True):
        assert_close(g.data, w.detach().numpy(), dtype, f"{kind} {setting} {label}")
        v = rng.standard_normal(g.shape).astype(dtype)
        total_ours = total_ours + (g * Tensor(v)).sum()
        total_ref = total_ref + (w * torch.from_numpy(v)).sum()
    total_ours.backward()
    total_ref.backward()
    for name, p in ref.named_parameters():
        grad = getattr(ours, name).grad
        assert grad is not None and grad.dtype == dtype, f"{name}: no {dtype} gradient"
        assert_close(grad, p.grad.numpy(), dtype, f"{kind} {setting} grad {name}")
    used = ours_in if with_state else ours_in[:1]
    for k, (o, r) in enumerate(zip(used, ref_in)):
        assert_close(o.grad, r.grad.numpy(), dtype, f"{kind} {setting} grad of input {k}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_layer_gradcheck(kind) -> None:
    """Finite differences through two bidirectional layers, every parameter and the input."""
    ours, _ = _pair(kind, (3, 2, 2, True, True, True, True, 2), "float64")
    x = Tensor(np.random.default_rng(2).uniform(-1, 1, size=(2, 3, 3)), requires_grad=True)
    params = list(ours.parameters())
    assert gradcheck(lambda x, *_: _as_list(ours(x))[0] * 1.0 + 0.0, x, *params)


def test_parameter_names_and_init_as_torch() -> None:
    ours = nn.LSTM(3, 4, num_layers=2, bidirectional=True, seed=0)
    ref = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours_state = ours.state_dict()
    assert list(ours_state) == list(ref.state_dict())
    for name, value in ref.state_dict().items():
        assert ours_state[name].shape == tuple(value.shape)
        assert ours_state[name].dtype == np.float32
    bound = 1 / np.sqrt(4)
    values = np.concatenate([v.ravel() for v in ours_state.values()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound  # spread over the range


def test_saved_lstm_loads_into_torch_strict(tmp_path) -> None:
    ours = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, seed=3)
    path = tmp_path / "lstm.safetensors"
    save_state_dict(ours, path)
    from safetensors.torch import load_file

    ref = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    ref.load_state_dict(load_file(str(path)), strict=True)
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    out, (h_n, c_n) = ours(x)
    want, (h_want, c_want) = ref(torch.from_numpy(x))
    for got, expected, label in [(out, want, "output"), (h_n, h_want, "h_n"), (c_n, c_want, "c_n")]:
        assert_close(got.data, expected.detach().numpy(), np.float32, f"loaded LSTM {label}")


def test_dropout_between_layers_only_while_training() -> None:
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    plain = nn.GRU(3, 5, num_layers=2, seed=1, dtype="float64")
    dropped = nn.GRU(3, 5, num_layers=2, dropout=0.5, seed=1, dtype="float64")
    one_layer = nn.GRU(3, 5, dropout=0.5, seed=1, dtype="float64")
    np.testing.assert_array_equal(
        one_layer(x)[0].data, nn.GRU(3, 5, seed=1, dtype="float64")(x)[0].data
    )
    assert not np.allclose(dropped(x)[0].data, plain(x)[0].data)
    dropped.eval()
    np.testing.assert_array_equal(dropped(x)[0].data, plain(x)[0].data)


def test_unbatched_input_as_torch() -> None:
    ours, ref = _pair("lstm", (3, 1, 2, True, False, False, True, 2), "float64")
    x = np.random.default_rng(0).standard_normal((3, 3))
    got = _as_list(ours(x))
    want = _as_list(ref(torch.from_numpy(x)))
    for g, w in zip(got, want, strict=True):
        assert_close(g.data, w.detach().numpy(), np.float64, "unbatched LSTM")


def test_config_round_trip_and_errors() -> None:
    layer = nn.RNN(3, 4, num_layers=2, nonlinearity="relu", dropout=0.25, seed=0)
    rebuilt = nn.from_config(nn.layer_config(layer))
    assert rebuilt.get_config() == layer.get_config()
    np.testing.assert_array_equal(rebuilt.weight_hh_l1.data, layer.weight_hh_l1.data)
    with pytest.raises(ValueError, match="features"):
        layer(np.zeros((2, 2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"h0 must be .* = \(2, 2, 4\)"):
        layer(np.zeros((2, 2, 3), dtype=np.float32), np.zeros((1, 2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    lstm = nn.LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"a pair \(h0, c0\).*lstm\(x, \(h0, c0\)\)"):
        lstm(np.zeros((2, 5, 3), np.float32), np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"\(N, L, H_in\) \(batch_first=True\)"):
        lstm(np.zeros((2, 5, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"\(L, N, H_in\) \(batch_first=False\)"):
        nn.GRU(3, 4)(np.zeros((2, 5, 3, 1), np.float32))
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(3, 4, dropout=1.0)


def test_truncated_bptt_and_clipping_as_torch() -> None:
    """Two chunks of 3 steps, the state carried over detached (truncated backpropagation
    through time), gradients summed over both chunks then clipped to norm 0.1: as torch does."""
    from humblenet.optim import clip_grad_norm

    ours, ref = _pair("lstm", (6, 2, 2, False, False, False, True, 3), "float64")
    x = np.random.default_rng(5).standard_normal((6, 2, 3))
    state: Any = None
    ref_state: Any = None
    for chunk in (slice(0, 3), slice(3, 6)):
        out, state = ours(x[chunk], state)
        want, ref_state = ref(torch.from_numpy(x[chunk]), ref_state)
        (out * out).sum().backward()
        (want * want).sum().backward()
        state = (state[0].detach(), state[1].detach())
        ref_state = (ref_state[0].detach(), ref_state[1].detach())
    norm = clip_grad_norm(list(ours.parameters()), 0.1)
    ref_norm = torch.nn.utils.clip_grad_norm_(list(ref.parameters()), 0.1)
    assert abs(norm - float(ref_norm)) <= 1e-10 * float(ref_norm)
    for name, p in ref.named_parameters():
        assert_close(getattr(ours, name).grad, p.grad.numpy(), np.float64, f"tbptt grad {name}")
