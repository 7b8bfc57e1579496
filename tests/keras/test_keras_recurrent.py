"""Keras' ``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU`` against ``torch.nn`` (batch first).

The Keras layers keep torch's weight layout, so the reference is ``torch.nn.LSTM`` etc. with
``batch_first=True`` and the same weights copied in: the last step (``return_sequences=False``),
every step, the final states (``return_state``), ``go_backwards`` (torch on the flipped
sequence), and the gradients of every weight and the input, in float64 (1e-10) and float32
(1e-5). Shapes are small (B 2, T 4, features 3, units 2).
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

from humblenet import Tensor, keras, nn  # noqa: E402

L = keras.layers
KINDS = {
    "lstm": (L.LSTM, torch.nn.LSTM, {}, {}),
    "gru": (L.GRU, torch.nn.GRU, {}, {}),
    "simple_rnn": (L.SimpleRNN, torch.nn.RNN, {}, {}),
    "simple_rnn_relu": (
        L.SimpleRNN,
        torch.nn.RNN,
        {"activation": "relu"},
        {"nonlinearity": "relu"},
    ),
}


def _torch_output(ref: Any, x: torch.Tensor, backwards: bool, state: Any) -> list[torch.Tensor]:
    xs = x.flip(1) if backwards else x
    out, final = ref(xs) if state is None else ref(xs, state)
    finals = list(final) if isinstance(final, tuple) else [final]
    return [out, *(f[0] for f in finals)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("sequences", [False, True])
@pytest.mark.parametrize("kind", list(KINDS))
def test_keras_layer_matches_torch(kind, sequences, backwards, dtype) -> None:
    ours_class, torch_class, options, torch_options = KINDS[kind]
    layer = ours_class(
        2, return_sequences=sequences, return_state=True, go_backwards=backwards,
        seed=0, dtype=dtype, **options,
    )  # fmt: skip
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, size=(2, 4, 3)).astype(dtype)
    x_ours = Tensor(x.copy(), requires_grad=True)
    got = layer(x_ours)
    ref = torch_class(3, 2, batch_first=True, **torch_options)
    ref = ref.double() if dtype == "float64" else ref
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(getattr(layer, name.removesuffix("_l0")).data))
    x_ref = torch.from_numpy(x.copy()).requires_grad_(True)
    out, *finals = _torch_output(ref, x_ref, backwards, None)
    want = [out if sequences else out[:, -1], *finals]
    assert len(got) == len(want)
    total_ours: Any = 0
    total_ref: Any = 0
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_close(g.data, w.detach().numpy(), dtype, f"keras {kind} result {k}")
        v = rng.standard_normal(g.shape).astype(dtype)
        total_ours = total_ours + (g * Tensor(v)).sum()
        total_ref = total_ref + (w * torch.from_numpy(v)).sum()
    total_ours.backward()
    total_ref.backward()
    for name, p in ref.named_parameters():
        assert_close(
            getattr(layer, name.removesuffix("_l0")).grad,
            p.grad.numpy(),
            dtype,
            f"keras {kind} {name}",
        )
    assert_close(x_ours.grad, x_ref.grad.numpy(), dtype, f"keras {kind} input grad")


def test_keras_lstm_initial_state_and_keras_init() -> None:
    layer = L.LSTM(3, return_state=True, seed=1, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, 4, 5))
    h0, c0 = np.full((2, 3), 0.5), np.full((2, 3), -0.25)
    out, h, c = layer(x, initial_state=[h0, c0])
    ref = torch.nn.LSTM(5, 3, batch_first=True).double()
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(getattr(layer, name.removesuffix("_l0")).data))
    want, (h_want, c_want) = ref(
        torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None])
    )
    assert_close(out.data, want[:, -1].detach().numpy(), np.float64, "initial state out")
    assert_close(c.data, c_want[0].detach().numpy(), np.float64, "initial state c")
    # Keras' initialization: the recurrent kernel of each gate orthogonal, forget bias one
    block = layer.weight_hh.data[:3]
    np.testing.assert_allclose(block @ block.T, np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(layer.bias_ih.data, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


def test_keras_embedding_and_sequential_text_model() -> None:
    """Embedding -> LSTM(return_sequences) -> Dense per step, as a Keras model of characters."""
    model = keras.Sequential(
        [L.Embedding(7, 4, seed=0), L.LSTM(5, return_sequences=True, seed=1), L.Dense(7, seed=2)]
    )
    ids = np.array([[1, 2, 3], [4, 5, 6]])
    logits = model(ids)
    assert logits.shape == (2, 3, 7)
    table = model.layers[0].weight.data
    assert np.abs(table).max() <= 0.05
    rebuilt = nn.from_config(nn.layer_config(model.layers[1]))
    assert rebuilt.get_config() == model.layers[1].get_config()


def test_keras_recurrent_refuses_flat_input() -> None:
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        L.GRU(3)(np.zeros((2, 5), dtype=np.float32))


def test_keras_text_model_saves_and_loads(tmp_path) -> None:
    """A Keras character model written with safetensors and read back gives the same logits."""
    from humblenet.io import safetensors

    model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            L.Embedding(7, 4, seed=0),
            L.GRU(5, return_sequences=True, seed=1),
            L.Dense(7, seed=2),
        ]
    )
    ids = np.array([[1, 2, 3], [4, 5, 6]])
    path = tmp_path / "chars.safetensors"
    safetensors.save(model, path)
    loaded = safetensors.load(path, keras.Sequential)
    assert type(loaded.layers[1]) is L.GRU
    np.testing.assert_array_equal(loaded(ids).data, model(ids).data)
