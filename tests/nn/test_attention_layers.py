"""The attention layers through the layer protocol: saved files that load into torch's modules
with ``strict=True`` and give the same outputs, config round trips, dropout, errors, ONNX's
refusal; and Keras' ``MultiHeadAttention`` against a NumPy einsum computation written from
Keras' definition and against torch with the weights mapped.

(The numerical comparisons with torch over every option are in
``tests/oracle/test_oracle_attention.py``.) Shapes are small: width 8, length <= 6.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import humblenet
from humblenet import Tensor, keras, nn
from humblenet.gradient_check import gradcheck
from humblenet.io.onnx import export_onnx
from humblenet.io.safetensors import save_state_dict


def _randomize(module: nn.Module, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = rng.normal(0, 0.5, p.shape)


# -- files into torch ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda: nn.MultiheadAttention(8, 2, batch_first=True, seed=0),
            lambda: torch.nn.MultiheadAttention(8, 2, batch_first=True),
        ),
        (
            lambda: nn.MultiheadAttention(8, 4, kdim=3, vdim=5, bias=False, seed=0),
            lambda: torch.nn.MultiheadAttention(8, 4, kdim=3, vdim=5, bias=False),
        ),
    ],
    ids=["in_proj", "kdim vdim"],
)
def test_saved_attention_loads_into_torch(ours: Any, theirs: Any, tmp_path: Path) -> None:
    layer, twin = ours(), theirs()
    _randomize(layer)
    path = tmp_path / "attention.safetensors"
    save_state_dict(layer, path)
    twin.load_state_dict(load_file(path), strict=True)
    rng = np.random.default_rng(1)
    shape = (2, 4) if layer.batch_first else (4, 2)
    q = rng.normal(size=(*shape, 8)).astype(np.float32)
    k = rng.normal(size=(*shape, layer.kdim)).astype(np.float32)
    v = rng.normal(size=(*shape, layer.vdim)).astype(np.float32)
    out, weights = layer(q, k, v)
    with torch.no_grad():
        ref, ref_weights = twin(*(torch.from_numpy(a) for a in (q, k, v)))
    np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights.data, ref_weights.numpy(), rtol=1e-5, atol=1e-6)


def test_saved_encoder_loads_into_torch(tmp_path: Path) -> None:
    """A TransformerEncoder of two layers and a final norm: torch's names, layers.0...."""
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True, seed=0)
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)).eval()
    _randomize(encoder)
    path = tmp_path / "encoder.safetensors"
    save_state_dict(encoder, path)
    twin_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True)
    twin = torch.nn.TransformerEncoder(
        twin_layer, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False
    ).eval()
    twin.load_state_dict(load_file(path), strict=True)
    x = np.random.default_rng(0).normal(size=(3, 5, 8)).astype(np.float32)
    mask = nn.generate_square_subsequent_mask(5)
    with torch.no_grad():
        ref = twin(torch.from_numpy(x), mask=torch.from_numpy(mask), is_causal=True)
    out = encoder(x, mask=mask, is_causal=True)
    np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-5, atol=1e-5)


def test_model_file_with_an_encoder_layer_loads_here_and_into_torch(tmp_path: Path) -> None:
    """A humblenet.Sequential holding an encoder layer (one tensor in, one out) saves as any
    model: the file rebuilds here and its names are torch.nn.Sequential's (0.self_attn...)."""
    model = humblenet.Sequential(
        [nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, seed=0), nn.Linear(8, 3, seed=1)]
    )
    model.build((4, 8))
    model.eval()
    _randomize(model)
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = humblenet.load(path).eval()
    x = np.random.default_rng(0).normal(size=(2, 4, 8)).astype(np.float32)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    twin = torch.nn.Sequential(
        torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), torch.nn.Linear(8, 3)
    ).eval()
    twin.load_state_dict(load_file(path), strict=True)
    with torch.no_grad():
        ref = twin(torch.from_numpy(x))
    np.testing.assert_allclose(model(x).data, ref.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, seed=0),
        lambda: nn.TransformerEncoderLayer(
            8, 2, 16, batch_first=True, norm_first=True, activation="gelu", seed=0
        ),
        lambda: nn.TransformerEncoderLayer(8, 4, 16, bias=False, seed=0),
        lambda: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True, seed=0),
            2,
            norm=nn.LayerNorm(8),
        ),
    ],
    ids=["post-norm", "pre-norm gelu", "seq first no bias", "encoder"],
)
def test_onnx_runtime_computes_what_the_encoder_computes(make: Any, tmp_path: Path) -> None:
    """In a Sequential the layer gets one tensor, so no mask: the export is that computation,
    in evaluation (dropout off)."""
    import onnxruntime

    model = humblenet.Sequential([make(), nn.Linear(8, 3, seed=1)])
    model.build((5, 8))
    _randomize(model, 3)
    model.eval()
    path = tmp_path / "encoder.onnx"
    export_onnx(model, path)
    x = np.random.default_rng(0).normal(size=(4, 5, 8)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": x})
    np.testing.assert_allclose(out, model(x).data, rtol=1e-4, atol=1e-5)


# -- configs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.MultiheadAttention(8, 2, dropout=0.1, kdim=3, batch_first=True, seed=3),
        lambda: nn.TransformerEncoderLayer(8, 2, 12, activation="gelu", norm_first=True, seed=3),
        lambda: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 12, seed=3), 2, norm=nn.LayerNorm(8)
        ),
        lambda: keras.layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=5, seed=3),
    ],
    ids=["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "keras MHA"],
)
def test_config_round_trip(make: Any) -> None:
    layer = make()
    config = nn.layer_config(layer)
    rebuilt = nn.from_config(config)
    assert nn.layer_config(rebuilt) == config
    if not isinstance(layer, keras.layers.MultiHeadAttention):  # built on its first call
        assert list(rebuilt.state_dict()) == list(layer.state_dict())
        rebuilt.load_state_dict(layer.state_dict())


# -- behaviour -----------------------------------------------------------------------------------


def test_dropout_acts_in_training_only_and_follows_the_seed() -> None:
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    layer = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True, seed=0)
    _, dropped = layer(x, x, x, average_attn_weights=False)
    kept = dropped.data[dropped.data > 0]
    # Kept weights are scaled by 1 / (1 - p): every row of probabilities summed to 1 before.
    assert 0 < kept.size < dropped.data.size
    assert np.all(dropped.data.sum(-1) <= 2.0 + 1e-5)
    twin = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True, seed=0)
    np.testing.assert_array_equal(twin(x, x, x, average_attn_weights=False)[1].data, dropped.data)
    layer.eval()
    _, weights = layer(x, x, x)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0, rtol=1e-6)


def test_initialisation_is_torchs() -> None:
    """Xavier-uniform input projection over the whole (3E, E) matrix, zero biases, out_proj as
    a Linear: the bounds torch uses."""
    layer = nn.MultiheadAttention(64, 4, seed=0)
    bound = np.sqrt(6 / (64 + 192))
    w = layer.in_proj_weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert not layer.in_proj_bias.data.any() and not layer.out_proj.bias.data.any()
    out_bound = 1 / np.sqrt(64)
    assert 0.95 * out_bound < np.abs(layer.out_proj.weight.data).max() <= out_bound


def test_unbatched_input_gives_unbatched_output() -> None:
    layer = nn.MultiheadAttention(8, 2, seed=0)
    x = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    out, weights = layer(x, x, x)
    assert out.shape == (4, 8) and weights.shape == (4, 4)
    batched, batched_weights = layer(x[:, None], x[:, None], x[:, None])
    np.testing.assert_allclose(out.data, batched.data[:, 0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(weights.data, batched_weights.data[0], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: nn.MultiheadAttention(8, 3), "divisible by num_heads"),
        (lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True), "add_bias_kv"),
        (lambda: nn.MultiheadAttention(8, 2, dropout=1.0), "dropout must be in"),
        (lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh"), "'relu' or 'gelu'"),
        (lambda: nn.generate_square_subsequent_mask(0), "positive integer"),
    ],
)
def test_bad_arguments_are_refused(call: Any, message: str) -> None:
    with pytest.raises((ValueError, NotImplementedError), match=message):
        call()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"is_causal": True}, "needs attn_mask"),
        ({"attn_mask": np.zeros((3, 3), bool)}, r"attn_mask has shape \(3, 3\)"),
        ({"attn_mask": np.zeros((5, 5), np.int64)}, "boolean or floating point"),
        ({"key_padding_mask": np.zeros((5, 2), bool)}, "key_padding_mask has shape"),
    ],
)
def test_bad_masks_are_refused(options: dict[str, Any], message: str) -> None:
    layer = nn.MultiheadAttention(8, 2, batch_first=True)
    x = np.zeros((2, 5, 8), np.float32)
    with pytest.raises((ValueError, TypeError), match=message):
        layer(x, x, x, **options)


def test_wrong_feature_size_is_named() -> None:
    layer = nn.MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(ValueError, match="query has 6 features.*embed_dim = 8"):
        layer(
            np.zeros((2, 5, 6), np.float32),
            np.zeros((2, 5, 8), np.float32),
            np.zeros((2, 5, 8), np.float32),
        )


# -- Keras' MultiHeadAttention -------------------------------------------------------------------


def _keras_by_hand(
    layer: Any, q: np.ndarray, v: np.ndarray, k: np.ndarray, allowed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Keras' definition written with einsum (its equations), in float64."""
    w = {name: p.data.astype(np.float64) for name, p in layer.named_parameters()}
    query = np.einsum("btf,fhd->bthd", q, w["query.kernel"]) + w["query.bias"]
    key = np.einsum("bsf,fhd->bshd", k, w["key.kernel"]) + w["key.bias"]
    value = np.einsum("bsf,fhd->bshd", v, w["value.kernel"]) + w["value.bias"]
    scores = np.einsum("bshd,bthd->bhts", key, query / np.sqrt(layer.key_dim))
    if allowed is not None:
        scores = scores + (1.0 - allowed[:, None]) * -1e9
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    heads = np.einsum("bhts,bshd->bthd", p, value)
    out = np.einsum("bthd,hdo->bto", heads, w["attention_output.kernel"])
    return out + w["attention_output.bias"], p


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_keras_multi_head_attention_matches_its_definition(causal: bool, masked: bool) -> None:
    layer = keras.layers.MultiHeadAttention(
        num_heads=3, key_dim=2, value_dim=4, output_shape=5, dtype="float64", seed=0
    )
    rng = np.random.default_rng(0)
    q, v, k = rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 5, 7)), rng.normal(size=(2, 5, 3))
    layer(q, v, k)  # build
    _randomize(layer)
    mask = rng.random((2, 4, 5)) > 0.3 if masked else None
    out, scores = layer(
        q, v, k, attention_mask=mask, return_attention_scores=True, use_causal_mask=causal
    )
    allowed = np.ones((2, 4, 5), bool) if mask is None else mask.copy()
    if causal:
        allowed &= np.tril(np.ones((4, 5), bool))
    ref_out, ref_scores = _keras_by_hand(layer, q, v, k, allowed if (masked or causal) else None)
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.data, ref_scores, rtol=1e-10, atol=1e-12)
    assert out.shape == (2, 4, 5) and scores.shape == (2, 3, 4, 5)


def test_keras_multi_head_attention_equals_torch_with_mapped_weights() -> None:
    """query.kernel (E, H, d) flattened to (E, H * d) and transposed is torch's query block of
    in_proj_weight; attention_output.kernel (H, d, E) flattened and transposed is
    out_proj.weight. Keras' True-means-attend mask is torch's True-means-masked negated."""
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, dtype="float64", seed=0)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 5, 8)), rng.normal(size=(3, 6, 8))
    layer(x, y)
    _randomize(layer)
    w = {name: p.data for name, p in layer.named_parameters()}
    parts = ("query", "key", "value")
    state = {
        "in_proj_weight": np.concatenate([w[f"{n}.kernel"].reshape(8, 8).T for n in parts]),
        "in_proj_bias": np.concatenate([w[f"{n}.bias"].reshape(-1) for n in parts]),
        "out_proj.weight": w["attention_output.kernel"].reshape(8, 8).T,
        "out_proj.bias": w["attention_output.bias"],
    }
    twin = torch.nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    mask = rng.random((3, 5, 6)) > 0.3
    mask[..., 0] = True
    out, scores = layer(x, y, attention_mask=mask, return_attention_scores=True)
    with torch.no_grad():
        ref, ref_scores = twin(
            torch.from_numpy(x),
            torch.from_numpy(y),
            torch.from_numpy(y),
            attn_mask=torch.from_numpy(~mask).repeat_interleave(2, 0),
            average_attn_weights=False,
        )
    np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.data, ref_scores.numpy(), rtol=1e-10, atol=1e-12)


def test_keras_multi_head_attention_gradcheck() -> None:
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2, dtype="float64", seed=0)
    rng = np.random.default_rng(2)
    q = Tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    v = Tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    layer(q, v)

    def fn(q: Tensor, v: Tensor, *weights: Tensor) -> Tensor:
        out, scores = layer(q, v, return_attention_scores=True, use_causal_mask=True)
        return out.sum() + (scores * scores).sum()

    assert gradcheck(fn, q, v, *layer.parameters())


def test_keras_multi_head_attention_weights_and_errors() -> None:
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False)
    x = np.zeros((1, 4, 5), np.float32)
    assert layer(x, x).shape == (1, 4, 5)
    assert [name for name, _ in layer.named_parameters()] == [
        "query.kernel",
        "key.kernel",
        "value.kernel",
        "attention_output.kernel",
    ]
    with pytest.raises(ValueError, match="attention_mask has shape"):
        layer(x, x, attention_mask=np.ones((1, 4, 3), bool))
    with pytest.raises(ValueError, match="built for"):
        layer(np.zeros((1, 4, 6), np.float32), x)
    with pytest.raises(ValueError, match="key_dim must be a positive integer"):
        keras.layers.MultiHeadAttention(num_heads=2, key_dim=0)


# -- Dense on sequences --------------------------------------------------------------------------


def test_dense_maps_over_the_last_axis_of_a_sequence(tmp_path: Path) -> None:
    """As Keras' Dense and torch's Linear: (N, T, F) -> (N, T, units), here and in ONNX Runtime
    (where the 3-D case is MatMul + Add, Gemm taking matrices only)."""
    import onnxruntime

    model = humblenet.Sequential([nn.Dense(4, activation="tanh", input_shape=(5, 3), seed=0)])
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    twin = torch.nn.Linear(3, 4)
    twin.load_state_dict({k[2:]: torch.from_numpy(v) for k, v in model.state_dict().items()})
    with torch.no_grad():
        ref = torch.tanh(twin(torch.from_numpy(x))).numpy()
    np.testing.assert_allclose(model(x).data, ref, rtol=1e-5, atol=1e-6)
    path = tmp_path / "dense.onnx"
    export_onnx(model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {"input": x})
    np.testing.assert_allclose(onnx_out, ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="input has 2 features.*expects 3"):
        model(np.zeros((2, 5, 2), np.float32))


def test_encoder_copies_draw_their_own_dropout_masks() -> None:
    """The copies start from the same weights (as torch's deep copies) but not from the same
    dropout generator, which would drop the same places in every layer."""
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True, seed=1)
    first, second = nn.TransformerEncoder(layer, 2).layers.layers
    np.testing.assert_array_equal(first.linear1.weight.data, second.linear1.weight.data)
    x = np.ones((2, 3, 8), np.float32)
    assert not np.array_equal(first.dropout(x).data, second.dropout(x).data)
    # and the derivation is repeatable: a second encoder's second layer drops the same places
    again = nn.TransformerEncoder(layer, 2).layers.layers[1]
    second.dropout.reseed()
    np.testing.assert_array_equal(again.dropout(x).data, second.dropout(x).data)
