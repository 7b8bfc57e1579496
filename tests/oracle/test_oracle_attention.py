"""Attention against PyTorch: ``scaled_dot_product_attention`` (functional) and
``nn.MultiheadAttention`` / ``nn.TransformerEncoderLayer`` / ``nn.TransformerEncoder`` (modules),
forward and backward of the outputs, the attention weights, the inputs and every parameter, in
float64 (1e-10) and float32 (1e-5); and gradcheck on small shapes.

The shapes are small (batch <= 3, length <= 6, width 8) so the whole file runs in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from oracle_helper import Case, assert_close, params, run_case, run_gradcheck

from humblenet import Tensor, nn
from humblenet.attention import scaled_dot_product_attention
from humblenet.gradient_check import gradcheck

DTYPES = [np.float64, np.float32]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}

# -- the functional ------------------------------------------------------------------------------


def _sdpa_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    bool_mask = rng.random((4, 6)) > 0.4
    bool_mask[:, 0] = True  # every query keeps a key: no all-masked row
    float_mask = rng.normal(size=(2, 1, 4, 6))
    cases = [
        Case(
            "sdpa plain",
            [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)],
            lambda q, k, v: scaled_dot_product_attention(q, k, v),
            lambda q, k, v: TF.scaled_dot_product_attention(q, k, v),
        ),
        Case(
            "sdpa causal",
            [(2, 5, 4), (2, 5, 4), (2, 5, 3)],
            lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
            lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True),
        ),
        Case(
            "sdpa causal L<S",
            [(1, 2, 3, 4), (1, 2, 6, 4), (1, 2, 6, 4)],
            lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
            lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True),
        ),
        Case(
            "sdpa bool mask",
            [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)],
            lambda q, k, v: scaled_dot_product_attention(q, k, v, attn_mask=bool_mask),
            lambda q, k, v: TF.scaled_dot_product_attention(
                q, k, v, attn_mask=torch.from_numpy(bool_mask)
            ),
        ),
        Case(
            "sdpa float mask scale",
            [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)],
            lambda q, k, v: scaled_dot_product_attention(
                q, k, v, attn_mask=float_mask.astype(q.dtype), scale=0.3
            ),
            lambda q, k, v: TF.scaled_dot_product_attention(
                q, k, v, attn_mask=torch.from_numpy(float_mask).to(q.dtype), scale=0.3
            ),
        ),
        Case(
            "sdpa length 1",
            [(1, 1, 1, 3), (1, 1, 1, 3), (1, 1, 1, 2)],
            lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
            lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True),
        ),
    ]
    return cases


SDPA_CASES = _sdpa_cases()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("case", params(SDPA_CASES))
def test_scaled_dot_product_attention_matches_torch(case: Case, dtype: Any) -> None:
    run_case(case, dtype)


@pytest.mark.parametrize("case", params(SDPA_CASES))
def test_scaled_dot_product_attention_gradcheck(case: Case) -> None:
    run_gradcheck(case)


def test_sdpa_refuses_a_mask_with_is_causal() -> None:
    q = Tensor(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 2), bool), is_causal=True)


# -- MultiheadAttention --------------------------------------------------------------------------


def _copy(ours: nn.Module, ref: torch.nn.Module) -> None:
    state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
    ref.load_state_dict(state, strict=True)


def _randomize(module: nn.Module, seed: int = 0) -> None:
    """Non-zero biases too, so that their gradients are tested on something."""
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = rng.normal(0, 0.5, p.shape)


def _close_grad(ours: np.ndarray, ref: np.ndarray, dtype: Any, where: str) -> None:
    """A gradient against torch's. In float32 the absolute part scales with the gradient's
    largest element: a weight's gradient sums batch x length x keys terms that cancel, and both
    libraries are that far from the float64 truth (measured: MHA in_proj_weight, largest
    element 16.5, humblenet float32 off by 4.0e-6, torch float32 by 3.1e-6). Some elements are
    zero in exact arithmetic (the key bias: a softmax does not change when every score moves
    by the same amount), and there only the rounding is left to compare."""
    if np.dtype(dtype) == np.float64:
        assert_close(ours, ref, dtype, where)
        return
    assert ours.shape == ref.shape, f"{where}: shape {ours.shape}, torch's {ref.shape}"
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6 * max(scale, 1.0), err_msg=where)


def _compare_grads(ours: nn.Module, ref: torch.nn.Module, dtype: Any, where: str) -> None:
    theirs = dict(ref.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert names == list(theirs), f"{where}: parameters {names}, torch's {list(theirs)}"
    for name, p in ours.named_parameters():
        assert p.grad is not None, f"{where}: no gradient for {name}"
        grad = theirs[name].grad
        assert grad is not None
        _close_grad(p.grad, grad.numpy(), dtype, f"{where} grad {name}")


def _causal(length: int) -> np.ndarray:
    return np.triu(np.ones((length, length), dtype=bool), 1)  # True: masked (torch's MHA)


# name -> (constructor options, query/key/value shapes (batch first), forward options)
# The masks are built from the rng in _mha_inputs; "kpm" / "attn" select which.
MHA_SETTINGS: dict[str, tuple[dict[str, Any], tuple[int, ...], dict[str, Any]]] = {
    "self": ({}, (2, 5, 5), {}),
    "causal bool": ({}, (2, 5, 5), {"attn": "causal", "is_causal": True}),
    "causal float": ({}, (2, 5, 5), {"attn": "causal float"}),
    "key padding bool": ({}, (3, 4, 6), {"kpm": "bool"}),
    "key padding float": ({}, (3, 4, 6), {"kpm": "float"}),
    "attn bool 3-d": ({}, (2, 4, 6), {"attn": "bool 3-d"}),
    "attn float + padding": ({}, (2, 4, 6), {"attn": "float", "kpm": "float"}),
    "attn bool + padding": ({}, (2, 4, 6), {"attn": "bool", "kpm": "bool"}),
    "seq first": ({"batch_first": False}, (2, 4, 6), {"attn": "bool"}),
    "kdim vdim": ({"kdim": 3, "vdim": 5}, (2, 4, 6), {}),
    "kdim vdim seq first": ({"kdim": 3, "vdim": 5, "batch_first": False}, (2, 4, 6), {}),
    "no bias": ({"bias": False}, (2, 4, 4), {}),
    "length 1": ({}, (2, 1, 1), {}),
    "batch 1": ({}, (1, 4, 4), {"attn": "causal"}),
    "per head": ({}, (2, 4, 6), {"average_attn_weights": False, "kpm": "bool"}),
    "no weights": ({}, (2, 4, 6), {"need_weights": False, "attn": "bool"}),
    "no weights causal": ({}, (2, 5, 5), {"need_weights": False, "attn": "causal"}),
    "unbatched": ({}, (0, 4, 6), {"attn": "bool"}),
}


def _mha_inputs(
    shapes: tuple[int, ...], options: dict[str, Any], kdim: int, vdim: int, dtype: Any, first: bool
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Query, key, value (batch first or not, unbatched when the batch is 0) and the masks."""
    n, length, source = shapes
    rng = np.random.default_rng(3)
    batch = max(n, 1)
    arrays = [
        rng.normal(size=(batch, length, 8)),
        rng.normal(size=(batch, source, kdim)),
        rng.normal(size=(batch, source, vdim)),
    ]
    if n == 0:
        arrays = [a[0] for a in arrays]
    elif not first:
        arrays = [a.transpose(1, 0, 2) for a in arrays]
    arrays = [np.ascontiguousarray(a, dtype=dtype) for a in arrays]
    masks: dict[str, Any] = {}
    allowed = rng.random((length, source)) > 0.4
    allowed[:, 0] = True  # no query loses every key (torch gives NaN there)
    attn = options.get("attn")
    if attn == "causal":
        masks["attn_mask"] = _causal(length)
    elif attn == "causal float":
        masks["attn_mask"] = nn.generate_square_subsequent_mask(length, dtype)
    elif attn == "bool":
        masks["attn_mask"] = ~allowed
    elif attn == "bool 3-d":
        blocked = rng.random((batch * 2, length, source)) > 0.6
        blocked[..., 0] = False
        masks["attn_mask"] = blocked
    elif attn == "float":
        masks["attn_mask"] = rng.normal(size=(length, source)).astype(dtype)
    kpm = options.get("kpm")
    if kpm:
        padded = rng.random((batch, source)) > 0.6
        padded[:, 0] = False
        masks["key_padding_mask"] = (
            padded if kpm == "bool" else np.where(padded, -2.5, 0.5).astype(dtype)
        )
    for key in ("is_causal", "need_weights", "average_attn_weights"):
        if key in options:
            masks[key] = options[key]
    return arrays, masks


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("setting", list(MHA_SETTINGS))
def test_multihead_attention_matches_torch(setting: str, dtype: Any) -> None:
    build, shapes, options = MHA_SETTINGS[setting]
    build = {"batch_first": True, **build}
    ours = nn.MultiheadAttention(8, 2, **build, dtype=np.dtype(dtype).name, seed=0)
    ref = torch.nn.MultiheadAttention(8, 2, **build, dtype=TORCH_DTYPE[dtype])
    _randomize(ours)
    _copy(ours, ref)
    arrays, forward = _mha_inputs(
        shapes, options, ours.kdim, ours.vdim, dtype, build["batch_first"]
    )
    ins = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    refs = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    torch_forward = {
        k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in forward.items()
    }
    out, weights = ours(*ins, **forward)
    ref_out, ref_weights = ref(*refs, **torch_forward)
    assert_close(out.data, ref_out.detach().numpy(), dtype, f"{setting} output")
    rng = np.random.default_rng(5)
    g = rng.normal(size=out.shape).astype(dtype)
    loss, ref_loss = (out * Tensor(g)).sum(), (ref_out * torch.from_numpy(g)).sum()
    if forward.get("need_weights", True):
        assert weights is not None and ref_weights is not None
        assert_close(weights.data, ref_weights.detach().numpy(), dtype, f"{setting} weights")
        gw = rng.normal(size=weights.shape).astype(dtype)
        loss = loss + (weights * Tensor(gw)).sum()
        ref_loss = ref_loss + (ref_weights * torch.from_numpy(gw)).sum()
    else:
        assert weights is None and ref_weights is None
    loss.backward()
    ref_loss.backward()
    for k, (o, r) in enumerate(zip(ins, refs)):
        assert o.grad is not None and r.grad is not None
        _close_grad(o.grad, r.grad.numpy(), dtype, f"{setting} grad of input {k}")
    _compare_grads(ours, ref, dtype, setting)


@pytest.mark.parametrize("setting", ["causal bool", "kdim vdim seq first", "key padding float"])
def test_multihead_attention_gradcheck(setting: str) -> None:
    build, shapes, options = MHA_SETTINGS[setting]
    build = {"batch_first": True, **build}
    layer = nn.MultiheadAttention(4, 2, **build, dtype="float64", seed=0)
    _randomize(layer)
    n, length, source = shapes
    arrays, forward = _mha_inputs(
        (n, min(length, 3), min(source, 3)),
        options,
        layer.kdim,
        layer.vdim,
        np.float64,
        build["batch_first"],
    )
    arrays[0] = arrays[0][..., :4].copy()  # embed_dim 4 here
    ins = [Tensor(a, requires_grad=True) for a in arrays]

    def fn(q: Tensor, k: Tensor, v: Tensor, *weights: Tensor) -> Tensor:
        out, attn = layer(q, k, v, **forward)
        return out.sum() * 0.7 + (attn * attn).sum()

    assert gradcheck(fn, *ins, *layer.parameters())


# -- TransformerEncoderLayer / TransformerEncoder ------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize(
    "options",
    [
        {"norm_first": False},
        {"norm_first": True},
        {"norm_first": False, "activation": "gelu", "batch_first": False},
        {"norm_first": True, "bias": False, "layer_norm_eps": 1e-3},
    ],
    ids=["post-norm", "pre-norm", "gelu seq first", "pre-norm no bias"],
)
@pytest.mark.parametrize("masks", ["causal", "padding", "none"])
def test_transformer_encoder_layer_matches_torch(
    options: dict[str, Any], masks: str, dtype: Any
) -> None:
    settings = {"batch_first": True, **options}
    ours = nn.TransformerEncoderLayer(
        8, 2, 12, dropout=0.1, **settings, dtype=np.dtype(dtype).name, seed=0
    )
    ref = torch.nn.TransformerEncoderLayer(
        8, 2, 12, dropout=0.1, **settings, dtype=TORCH_DTYPE[dtype]
    )
    _randomize(ours, 1)
    _copy(ours, ref)
    ours.eval()
    ref.eval()  # dropout off; torch's fast path stays off since inputs require grad
    rng = np.random.default_rng(2)
    shape = (3, 5, 8) if settings["batch_first"] else (5, 3, 8)
    x = rng.normal(size=shape).astype(dtype)
    forward: dict[str, Any] = {}
    if masks == "causal":
        forward = {"src_mask": nn.generate_square_subsequent_mask(5, dtype), "is_causal": True}
    elif masks == "padding":
        padded = np.zeros((3, 5), bool)
        padded[0, 3:] = padded[2, 1:] = True
        forward = {"src_key_padding_mask": padded}
    torch_forward = {
        k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in forward.items()
    }
    xs, xt = Tensor(x.copy(), requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    out, ref_out = ours(xs, **forward), ref(xt, **torch_forward)
    where = f"encoder layer {options} {masks}"
    assert_close(out.data, ref_out.detach().numpy(), dtype, f"{where} output")
    g = rng.normal(size=out.shape).astype(dtype)
    (out * Tensor(g)).sum().backward()
    (ref_out * torch.from_numpy(g)).sum().backward()
    assert xs.grad is not None and xt.grad is not None
    _close_grad(xs.grad, xt.grad.numpy(), dtype, f"{where} grad of input")
    _compare_grads(ours, ref, dtype, where)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_transformer_encoder_matches_torch(dtype: Any) -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 12, batch_first=True, dtype=np.dtype(dtype).name)
    ours = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8, dtype=np.dtype(dtype).name))
    ref_layer = torch.nn.TransformerEncoderLayer(
        8, 2, 12, batch_first=True, dtype=TORCH_DTYPE[dtype]
    )
    ref = torch.nn.TransformerEncoder(
        ref_layer,
        2,
        norm=torch.nn.LayerNorm(8, dtype=TORCH_DTYPE[dtype]),
        enable_nested_tensor=False,
    )
    _randomize(ours, 4)
    _copy(ours, ref)
    ours.eval()
    ref.eval()
    x = np.random.default_rng(0).normal(size=(2, 4, 8)).astype(dtype)
    mask = nn.generate_square_subsequent_mask(4, dtype)
    xs, xt = Tensor(x.copy(), requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    out = ours(xs, mask=mask, is_causal=True)
    ref_out = ref(xt, mask=torch.from_numpy(mask), is_causal=True)
    assert_close(out.data, ref_out.detach().numpy(), dtype, "encoder output")
    out.sum().backward()
    ref_out.sum().backward()
    assert xs.grad is not None and xt.grad is not None
    _close_grad(xs.grad, xt.grad.numpy(), dtype, "encoder grad of input")
    _compare_grads(ours, ref, dtype, "encoder")


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_layer_gradcheck(norm_first: bool) -> None:
    layer = nn.TransformerEncoderLayer(
        4, 2, 6, dropout=0.0, batch_first=True, norm_first=norm_first, dtype="float64", seed=0
    )
    _randomize(layer, 2)
    x = Tensor(np.random.default_rng(1).normal(size=(2, 3, 4)), requires_grad=True)
    mask = nn.generate_square_subsequent_mask(3, "float64")

    def fn(x: Tensor, *weights: Tensor) -> Tensor:
        return layer(x, src_mask=mask, is_causal=True)

    assert gradcheck(fn, x, *layer.parameters())
