"""Convolutions, pooling, batch and layer norm and channel dropout against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from oracle_helper import Case, assert_close, params, run_case, run_gradcheck, separated

from humblenet import Tensor
from humblenet import conv as C
from humblenet.gradient_check import gradcheck


def _conv2d_cases() -> list[Case]:
    # (N, C, H, W), out channels, kernel, stride, padding, dilation, groups
    settings = [
        ((2, 3, 6, 6), 4, 3, 1, 0, 1, 1),
        ((2, 3, 6, 6), 4, 3, 1, 1, 1, 1),
        ((1, 3, 7, 5), 2, 3, 2, 1, 1, 1),
        ((2, 2, 5, 7), 3, (2, 3), (2, 1), (1, 0), 1, 1),
        ((2, 4, 7, 7), 6, 3, 1, 2, 2, 2),
        ((1, 4, 5, 5), 4, 3, 1, 1, 1, 4),
        ((2, 1, 4, 4), 1, 1, 1, 0, 1, 1),
        ((1, 2, 1, 5), 2, (1, 3), 1, 0, 1, 1),
        ((2, 3, 5, 6), 2, 3, 1, "same", 1, 1),
        ((2, 3, 6, 5), 2, 4, 1, "same", 2, 1),
        ((2, 3, 5, 5), 2, 3, 1, "valid", 1, 1),
        ((1, 2, 8, 8), 2, 3, 3, 0, 1, 1),
    ]
    cases = []
    for shape, out, k, s, p, d, g in settings:
        kh, kw = (k, k) if isinstance(k, int) else k
        wshape = (out, shape[1] // g, kh, kw)
        tag = f"{shape}o{out}k{k}s{s}p{p}d{d}g{g}".replace(" ", "")

        def ours(x, w, b, s=s, p=p, d=d, g=g):
            return C.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)

        def ref(x, w, b, s=s, p=p, d=d, g=g):
            return TF.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)

        def ours_nb(x, w, s=s, p=p, d=d, g=g):
            return C.conv2d(x, w, stride=s, padding=p, dilation=d, groups=g)

        def ref_nb(x, w, s=s, p=p, d=d, g=g):
            return TF.conv2d(x, w, stride=s, padding=p, dilation=d, groups=g)

        cases.append(Case(f"conv2d{tag}", [shape, wshape, (out,)], ours, ref))
        cases.append(Case(f"conv2d nobias{tag}", [shape, wshape], ours_nb, ref_nb))
    return cases


def _conv1d_cases() -> list[Case]:
    settings = [
        ((2, 3, 9), 4, 3, 1, 0, 1, 1),
        ((1, 4, 8), 2, 3, 2, 1, 2, 2),
        ((2, 2, 6), 3, 3, 1, "same", 2, 1),
        ((2, 1, 5), 1, 5, 1, 0, 1, 1),
    ]
    cases = []
    for shape, out, k, s, p, d, g in settings:
        tag = f"{shape}o{out}k{k}s{s}p{p}d{d}g{g}".replace(" ", "")

        def ours(x, w, b, s=s, p=p, d=d, g=g):
            return C.conv1d(x, w, b, stride=s, padding=p, dilation=d, groups=g)

        def ref(x, w, b, s=s, p=p, d=d, g=g):
            return TF.conv1d(x, w, b, stride=s, padding=p, dilation=d, groups=g)

        cases.append(Case(f"conv1d{tag}", [shape, (out, shape[1] // g, k), (out,)], ours, ref))
    return cases


def _pool_cases() -> list[Case]:
    cases = []
    for shape, k, s, p in [
        ((2, 3, 6, 6), 2, None, 0),
        ((1, 2, 7, 5), 3, 2, 1),
        ((2, 1, 5, 5), (2, 3), (1, 2), (1, 0)),
        ((1, 1, 3, 3), 3, 1, 0),
        ((2, 2, 1, 4), (1, 2), None, 0),
    ]:
        tag = f"{shape}k{k}s{s}p{p}".replace(" ", "")
        cases += [
            Case(
                f"max_pool2d{tag}",
                [shape],
                lambda x, k=k, s=s, p=p: C.max_pool2d(x, k, s, p),
                lambda x, k=k, s=s, p=p: TF.max_pool2d(x, k, s, p),
                make=separated,
            ),
            Case(
                f"avg_pool2d{tag}",
                [shape],
                lambda x, k=k, s=s, p=p: C.avg_pool2d(x, k, s, p),
                lambda x, k=k, s=s, p=p: TF.avg_pool2d(x, k, s, p),
            ),
        ]
    cases.append(
        Case(
            "max_pool2d dilation2",
            [(1, 2, 7, 7)],
            lambda x: C.max_pool2d(x, 3, 2, 1, dilation=2),
            lambda x: TF.max_pool2d(x, 3, 2, 1, dilation=2),
            make=separated,
        )
    )
    for shape, size in [((2, 3, 5, 4), 1), ((1, 2, 6, 6), 2), ((2, 2, 7, 5), (3, 2))]:
        tag = f"{shape}out{size}".replace(" ", "")
        cases.append(
            Case(
                f"adaptive_avg_pool2d{tag}",
                [shape],
                lambda x, size=size: C.adaptive_avg_pool2d(x, size),
                lambda x, size=size: TF.adaptive_avg_pool2d(x, size),
            )
        )
    return cases


def _norm_cases() -> list[Case]:
    cases = []
    for shape in [(4, 3), (2, 3, 5), (2, 3, 4, 5), (1, 2, 3, 3), (3, 1, 2, 2)]:
        tag = str(shape).replace(" ", "")
        c = shape[1]
        cases.append(
            Case(
                f"batch_norm train{tag}",
                [shape, (c,), (c,)],
                lambda x, w, b: C.batch_norm(x, None, None, w, b, training=True),
                lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
            )
        )
        cases.append(
            Case(
                f"batch_norm train noaffine{tag}",
                [shape],
                lambda x: C.batch_norm(x, None, None, training=True, eps=1e-3),
                lambda x: TF.batch_norm(x, None, None, training=True, eps=1e-3),
            )
        )
        # evaluation: running statistics as inputs (the variance drawn positive), no gradient
        cases.append(
            Case(
                f"batch_norm eval{tag}",
                [shape, (c,), (c,), (c,), (c,)],
                lambda x, m, v, w, b: C.batch_norm(x, m, v, w, b),
                lambda x, m, v, w, b: TF.batch_norm(x, m, v, w, b),
                grad=[True, False, False, True, True],
                make=lambda rng, dtype, shapes: [
                    rng.uniform(-2, 2, s).astype(dtype)
                    if k != 2
                    else rng.uniform(0.5, 2, s).astype(dtype)
                    for k, s in enumerate(shapes)
                ],
            )
        )
    for shape, normalized in [
        ((4, 5), (5,)),
        ((2, 3, 4), (3, 4)),
        ((2, 3, 4), (4,)),
        ((1, 4), (4,)),
    ]:
        tag = f"{shape}{normalized}".replace(" ", "")
        cases.append(
            Case(
                f"layer_norm{tag}",
                [shape, normalized, normalized],
                lambda x, w, b, n=normalized: C.layer_norm(x, n, w, b),
                lambda x, w, b, n=normalized: TF.layer_norm(x, n, w, b),
            )
        )
        cases.append(
            Case(
                f"layer_norm noaffine{tag}",
                [shape],
                lambda x, n=normalized: C.layer_norm(x, n, eps=1e-3),
                lambda x, n=normalized: TF.layer_norm(x, n, eps=1e-3),
            )
        )
    return cases


CASES = _conv2d_cases() + _conv1d_cases() + _pool_cases() + _norm_cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    run_gradcheck(case)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4, 5), (1, 2, 3, 3)])
def test_batch_norm_running_statistics_match_torch(shape, dtype):
    rng = np.random.default_rng(3)
    c = shape[1]
    ours_mean, ours_var = Tensor(np.zeros(c, dtype)), Tensor(np.ones(c, dtype))
    ref_mean, ref_var = torch.from_numpy(np.zeros(c, dtype)), torch.from_numpy(np.ones(c, dtype))
    for step in range(3):
        x = rng.uniform(-2, 3, shape).astype(dtype)
        C.batch_norm(Tensor(x), ours_mean, ours_var, training=True, momentum=0.3)
        TF.batch_norm(torch.from_numpy(x), ref_mean, ref_var, training=True, momentum=0.3)
        assert_close(ours_mean.data, ref_mean.numpy(), dtype, f"running_mean step {step}")
        assert_close(ours_var.data, ref_var.numpy(), dtype, f"running_var step {step}")
    assert ours_mean.dtype == dtype and ours_var.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout2d_drops_whole_channels_as_torch_would_with_that_mask(dtype):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, size=(6, 8, 3, 3)).astype(dtype)
    v = rng.standard_normal(x.shape).astype(dtype)
    ours_x = Tensor(x, requires_grad=True)
    out = C.dropout2d(ours_x, 0.4, rng=5)
    (out * Tensor(v)).sum().backward()
    keep = out.data[:, :, :1, :1] != 0
    assert np.all((out.data != 0) == keep)  # a channel is kept or dropped whole
    assert 0 < keep.sum() < keep.size
    ref_x = torch.from_numpy(x).requires_grad_(True)
    ref = ref_x * torch.from_numpy(keep.astype(dtype)) / (1 - 0.4)
    (ref * torch.from_numpy(v)).sum().backward()
    assert_close(out.data, ref.detach().numpy(), dtype, "dropout2d forward")
    assert_close(ours_x.grad, ref_x.grad.numpy(), dtype, "dropout2d grad")
    assert C.dropout2d(ours_x, 0.4, training=False) is ours_x
    assert gradcheck(
        lambda t: C.dropout2d(t, 0.5, rng=9), Tensor(x.astype(np.float64)[:2], requires_grad=True)
    )


def test_conv_errors_name_the_fix():
    x = Tensor(np.zeros((1, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match="channels"):
        C.conv2d(x, Tensor(np.zeros((2, 4, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="groups"):
        C.conv2d(x, Tensor(np.zeros((2, 1, 3, 3), np.float32)), groups=2)
    with pytest.raises(ValueError, match="stride 1"):
        C.conv2d(x, Tensor(np.zeros((2, 3, 3, 3), np.float32)), stride=2, padding="same")
    with pytest.raises(ValueError, match="larger than"):
        C.conv2d(x, Tensor(np.zeros((2, 3, 7, 7), np.float32)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        C.max_pool2d(Tensor(np.zeros((5, 5), np.float32)), 2)
    with pytest.raises(ValueError, match="half the kernel"):
        C.avg_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="more than one value"):
        C.batch_norm(Tensor(np.zeros((1, 3), np.float32)), None, None, training=True)


UNBATCHED = [
    ("conv2d", lambda f, x, w: f.conv2d(x, w, padding=1, stride=2), (2, 5, 6), (3, 2, 3, 3)),
    ("conv1d", lambda f, x, w: f.conv1d(x, w, padding=1), (2, 7), (3, 2, 3)),
    ("max_pool2d", lambda f, x, w: f.max_pool2d(x, 2), (2, 5, 6), None),
    ("avg_pool2d", lambda f, x, w: f.avg_pool2d(x, 2, padding=1), (2, 5, 6), None),
    ("adaptive_avg_pool2d", lambda f, x, w: f.adaptive_avg_pool2d(x, 1), (2, 5, 6), None),
]


@pytest.mark.parametrize(("name", "op", "x_shape", "w_shape"), UNBATCHED, ids=lambda v: str(v))
def test_one_sample_without_its_batch_axis_as_torch(name, op, x_shape, w_shape) -> None:
    """torch's functional ops take one unbatched sample ((C, H, W), or (C, L) for conv1d); so
    do humblenet's: same output shape and values, and the input gradient, in float64."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    w = None if w_shape is None else rng.standard_normal(w_shape)
    g = None
    ours_x = Tensor(x, requires_grad=True)
    ours = op(C, ours_x, None if w is None else Tensor(w))
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = op(TF, theirs_x, None if w is None else torch.tensor(w))
    assert ours.shape == tuple(theirs.shape) and ours.ndim == len(x_shape)
    g = rng.standard_normal(ours.shape)
    ours.backward(g)
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_channels_last_image_gets_a_hint_to_move_its_channels() -> None:
    x = Tensor(np.zeros((2, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match=r"28 channels.*channels come last.*permute\(0, 3, 1, 2\)"):
        C.conv2d(x, Tensor(np.zeros((8, 1, 3, 3), np.float32)))
    with pytest.raises(ValueError, match=r"channels come last.*permute\(0, 2, 1\)"):
        C.conv1d(Tensor(np.zeros((2, 10, 3), np.float32)), Tensor(np.zeros((4, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="channels") as error:  # no hint when nothing fits
        C.conv2d(Tensor(np.zeros((2, 5, 6, 6), np.float32)), Tensor(np.zeros((8, 1, 3, 3))))
    assert "come last" not in str(error.value)
