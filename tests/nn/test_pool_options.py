"""``nn.MaxPool2d(ceil_mode=...)`` and ``nn.AvgPool2d(ceil_mode=..., count_include_pad=...,
divisor_override=...)``:
against torch.nn (float64, 1e-10, forward and input gradient), through the layer protocol
(config, output shape) and in ONNX Runtime (float32, 1e-5, where ONNX's own ``ceil_mode``
would keep a window that torch drops)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

import humblenet
from humblenet import Tensor, nn
from humblenet.io.onnx import export_onnx

# (kernel, stride, padding, ceil_mode, count_include_pad or None for max, sample shape)
SETTINGS = [
    (2, 2, 0, True, None, (2, 5, 7)),
    (3, 2, 1, True, None, (1, 7, 5)),
    ((2, 3), 2, 1, True, None, (2, 5, 7)),  # ONNX's ceil_mode would give 4 rows, torch 3
    (2, 2, 0, True, True, (2, 5, 7)),
    (2, 2, 0, True, False, (2, 5, 7)),
    (3, 2, 1, True, True, (1, 7, 5)),
    (3, 2, 1, False, False, (1, 7, 5)),
    ((2, 3), 2, 1, True, True, (2, 5, 7)),
    ((2, 3), 2, 1, True, False, (2, 5, 7)),
    (3, 3, 1, True, True, (2, 5, 5)),
    # with divisor_override (the last item)
    (2, 2, 0, False, True, (2, 4, 6), 3),
    (3, 2, 1, True, False, (1, 7, 5), 2),
    ((2, 3), 2, 1, True, True, (2, 5, 7), 7),
    (3, 3, 1, True, True, (2, 5, 5), -4),
]


def _pair(setting):
    k, s, p, ceil, include = setting[:5]
    if include is None:
        return nn.MaxPool2d(k, s, p, ceil_mode=ceil), torch.nn.MaxPool2d(k, s, p, ceil_mode=ceil)
    divisor = setting[6] if len(setting) > 6 else None
    return (
        nn.AvgPool2d(k, s, p, ceil, include, divisor_override=divisor),
        torch.nn.AvgPool2d(k, s, p, ceil, include, divisor_override=divisor),
    )


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_layer_matches_torch(setting):
    ours, ref = _pair(setting)
    sample = setting[5]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, *sample))
    ox, rx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(ox), ref(rx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert out.shape[1:] == ours.compute_output_shape(sample) == tuple(expected.shape[1:])
    v = rng.normal(size=out.shape)
    (out * Tensor(v)).sum().backward()
    (expected * torch.from_numpy(v)).sum().backward()
    np.testing.assert_allclose(ox.grad, rx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_config_round_trip_keeps_the_options(setting):
    layer, _ = _pair(setting)
    config = json.loads(json.dumps(nn.layer_config(layer)))
    rebuilt = nn.from_config(config)
    assert rebuilt.get_config() == layer.get_config()
    assert rebuilt.ceil_mode is setting[3]
    if setting[4] is not None:
        assert rebuilt.count_include_pad is setting[4]
        assert ("count_include_pad=False" in repr(rebuilt)) is (not setting[4])
        divisor = setting[6] if len(setting) > 6 else None
        assert rebuilt.divisor_override == divisor
        assert (f"divisor_override={divisor}" in repr(rebuilt)) is (divisor is not None)


def test_a_config_from_before_the_options_loads_with_torchs_defaults():
    config = {
        "class_name": "AvgPool2d",
        "config": {"kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0]},
    }
    layer = nn.from_config(config)
    assert layer.ceil_mode is False and layer.count_include_pad is True
    assert layer.divisor_override is None


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_onnx_runtime_matches(setting, tmp_path: Path):
    layer, _ = _pair(setting)
    model = humblenet.Sequential([layer])
    model.build(setting[5])
    x = np.random.default_rng(1).normal(size=(2, *setting[5])).astype(np.float32)
    path = tmp_path / "pool.onnx"
    export_onnx(model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x})
    with humblenet.no_grad():
        expected = model(Tensor(x)).data
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_onnx_dilated_max_pool_in_ceil_mode(tmp_path: Path):
    model = humblenet.Sequential([nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True)])
    model.build((2, 8, 7))
    x = np.random.default_rng(2).normal(size=(2, 2, 8, 7)).astype(np.float32)
    export_onnx(model, tmp_path / "m.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    (got,) = session.run(None, {"input": x})
    expected = torch.nn.functional.max_pool2d(
        torch.from_numpy(x), 3, 2, 1, dilation=2, ceil_mode=True
    ).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_option_errors_name_the_value():
    with pytest.raises(TypeError, match="ceil_mode must be True or False"):
        nn.MaxPool2d(2, ceil_mode="yes")
    with pytest.raises(TypeError, match="count_include_pad must be True or False"):
        nn.AvgPool2d(2, count_include_pad=1)
    with pytest.raises(ValueError, match="AvgPool2d: divisor_override must not be zero"):
        nn.AvgPool2d(2, divisor_override=0)
    with pytest.raises(TypeError, match="AvgPool2d: divisor_override must be an int or None"):
        nn.AvgPool2d(2, divisor_override=1.5)
