"""The recurrent primitives (``humblenet.recurrent``) and ``nn.Embedding`` against PyTorch.

Each primitive runs one layer in one direction; the reference is ``torch.nn.LSTM`` / ``GRU`` /
``RNN`` of one layer called with the same tensors (``torch.func.functional_call``), on the
flipped sequence for ``reverse``. Compared: every output step, the final states, the gradients of
every weight, bias, initial state and the input. Shapes are small (T <= 4, B <= 3, H <= 4).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from oracle_helper import assert_close

from humblenet import Tensor
from humblenet import recurrent as R
from humblenet.gradient_check import gradcheck
from humblenet.nn.layers.embedding import Embedding, embedding

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
# (T, B, I, H): ordinary, sequence length 1, batch 1
SHAPES = [(4, 3, 2, 3), (1, 2, 3, 2), (3, 1, 2, 4)]


def _torch_module(kind: str, i: int, h: int, bias: bool) -> torch.nn.Module:
    if kind == "lstm":
        return torch.nn.LSTM(i, h, bias=bias)
    if kind == "gru":
        return torch.nn.GRU(i, h, bias=bias)
    return torch.nn.RNN(i, h, bias=bias, nonlinearity=kind.split("_")[1])


def _ours(kind: str, reverse: bool, ins: list[Any]) -> Tensor:
    x, w_ih, w_hh, b_ih, b_hh, *state = ins
    if kind == "lstm":
        return R.lstm_layer(x, w_ih, w_hh, b_ih, b_hh, *state, reverse=reverse)
    if kind == "gru":
        return R.gru_layer(x, w_ih, w_hh, b_ih, b_hh, *state, reverse=reverse)
    nl = kind.split("_")[1]
    return R.rnn_layer(x, w_ih, w_hh, b_ih, b_hh, *state, reverse=reverse, nonlinearity=nl)


def _reference(kind: str, reverse: bool, bias: bool, ins: list[torch.Tensor]) -> torch.Tensor:
    """The same packed layout as ours, from torch's module."""
    x, w_ih, w_hh, b_ih, b_hh, *state = ins
    module = _torch_module(kind, x.shape[2], w_hh.shape[1], bias)
    names = {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh}
    if bias:
        names.update(bias_ih_l0=b_ih, bias_hh_l0=b_hh)
    xs = x.flip(0) if reverse else x
    if kind == "lstm":
        args: Any = (xs, (state[0][None], state[1][None])) if state else (xs,)
    else:
        args = (xs, state[0][None]) if state else (xs,)
    out, final = torch.func.functional_call(module, names, args)
    if reverse:
        out = out.flip(0)
    if kind == "lstm":
        return torch.cat([out, final[1]], dim=0)
    return out


def _arrays(kind: str, shape: tuple[int, ...], with_state: bool, dtype: Any) -> list[np.ndarray]:
    t, b, i, h = shape
    g = GATES[kind]
    rng = np.random.default_rng(sum(shape) + with_state)
    shapes = [(t, b, i), (g * h, i), (g * h, h), (g * h,), (g * h,)]
    if with_state:
        shapes += [(b, h)] * (2 if kind == "lstm" else 1)
    return [rng.uniform(-1, 1, size=s).astype(dtype) for s in shapes]


CASES = [
    pytest.param(
        kind,
        shape,
        reverse,
        bias,
        state,
        id=f"{kind}{shape}{'rev' if reverse else ''}"
        f"{'' if bias else 'nobias'}{'state' if state else ''}".replace(" ", ""),
    )
    for kind in GATES
    for shape in SHAPES
    for reverse, bias, state in [(False, True, False), (True, True, True), (False, False, True)]
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("kind", "shape", "reverse", "bias", "state"), CASES)
def test_primitive_matches_torch(kind, shape, reverse, bias, state, dtype) -> None:
    arrays = _arrays(kind, shape, state, dtype)
    ours_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    ref_in = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    if not bias:
        ours_in[3] = ours_in[4] = None  # type: ignore[call-overload]
    ours = _ours(kind, reverse, ours_in)
    ref = _reference(kind, reverse, bias, ref_in)
    where = f"{kind}{shape} reverse={reverse} bias={bias} state={state}"
    assert ours.dtype == dtype
    assert_close(ours.data, ref.detach().numpy(), dtype, f"{where} forward")
    v = np.random.default_rng(7).standard_normal(ours.shape).astype(dtype)
    (ours * Tensor(v)).sum().backward()
    (ref * torch.from_numpy(v)).sum().backward()
    names = ["x", "w_ih", "w_hh", "b_ih", "b_hh", "h0", "c0"]
    for name, o, r in zip(names, ours_in, ref_in):
        if o is None:
            continue
        assert o.grad is not None, f"{where}: no gradient for {name}"
        assert o.grad.dtype == dtype
        assert_close(o.grad, r.grad.numpy(), dtype, f"{where} grad {name}")


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", list(GATES))
def test_primitive_gradcheck(kind, reverse) -> None:
    arrays = _arrays(kind, (3, 2, 2, 2), True, np.float64)
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *ins: _ours(kind, reverse, list(ins)), *inputs)


def test_primitive_refuses_wrong_input_size() -> None:
    x, w_ih, w_hh, b_ih, b_hh = (Tensor(a) for a in _arrays("lstm", (2, 2, 3, 2), False, "f8"))
    with pytest.raises(ValueError, match="input has 2 features"):
        R.lstm_layer(Tensor(np.zeros((2, 2, 2))), w_ih, w_hh, b_ih, b_hh)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch(padding_idx, dtype) -> None:
    ids = np.array([[1, 0, 4, 1], [4, 4, 2, 0]])
    ours = Embedding(5, 3, padding_idx=padding_idx, seed=0, dtype=dtype)
    ref = torch.nn.Embedding(5, 3, padding_idx=padding_idx, dtype=torch.float64)
    if dtype == np.float32:
        ref = ref.float()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(ours.weight.data))
    out = ours(ids)
    expected = ref(torch.from_numpy(ids))
    assert_close(out.data, expected.detach().numpy(), dtype, "embedding forward")
    v = np.random.default_rng(3).standard_normal(out.shape).astype(dtype)
    (out * Tensor(v)).sum().backward()
    (expected * torch.from_numpy(v)).sum().backward()
    assert_close(ours.weight.grad, ref.weight.grad.numpy(), dtype, "embedding grad")
    if padding_idx is not None:
        assert not ours.weight.grad[padding_idx].any()
        assert not ours.weight.data[padding_idx].any()


def test_embedding_gradcheck() -> None:
    """Without padding (the padding row's zero gradient is by definition, not the derivative)."""
    weight = Tensor(np.random.default_rng(0).standard_normal((4, 2)), requires_grad=True)
    assert gradcheck(lambda w: embedding(np.array([[3, 1, 3]]), w), weight)


def test_embedding_refuses_out_of_range_id() -> None:
    with pytest.raises(IndexError, match="id 5 is outside 0..4"):
        Embedding(5, 2, seed=0)(np.array([5]))
