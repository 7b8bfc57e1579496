"""ONNX export of Keras' ``Conv2D(padding="same")`` and ``Reshape``, run in ONNX Runtime.

"same" follows TensorFlow: the output is ``ceil(size / strides)`` and the total padding
``max((out - 1) * strides + dilation * (kernel - 1) + 1 - size, 0)``, the odd one at the bottom
and right. Each case is checked twice: ONNX Runtime against humblenet's own forward, and against
torch's conv2d on an input padded by that formula (written here, apart from humblenet's), in
float32 within 1e-5. Even kernels and strides that make the padding uneven are included.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
import torch.nn.functional as TF

import humblenet
from humblenet import Tensor, keras
from humblenet.io.onnx import export_onnx

L = keras.layers


def _tf_same(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _run_onnx(model, x: np.ndarray, path: Path) -> np.ndarray:
    export_onnx(model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x})
    return got


@pytest.mark.parametrize(
    ("kernel", "strides", "dilation", "shape"),
    [
        (3, 1, 1, (7, 6, 2)),
        (2, 1, 1, (5, 5, 2)),  # even kernel: one pad, at the bottom and right
        (4, 1, 1, (6, 7, 1)),
        ((3, 2), 2, 1, (7, 6, 2)),
        (2, 2, 1, (5, 6, 3)),  # odd size, stride 2: one pad at the end
        (3, 2, 1, (6, 6, 1)),  # even size, stride 2, odd kernel: 0 before, 1 after
        (5, 3, 1, (8, 7, 2)),
        (3, 1, 2, (7, 7, 2)),  # dilated
        (1, 2, 1, (5, 5, 2)),  # no padding needed
    ],
)
def test_conv2d_same_matches_tensorflow_padding_in_onnx_runtime(
    kernel, strides, dilation, shape, tmp_path: Path
):
    layer = L.Conv2D(3, kernel, strides=strides, padding="same", dilation_rate=dilation, seed=0)
    model = humblenet.Sequential([layer])
    model.build(shape)
    rng = np.random.default_rng(0)
    layer.bias.data[...] = rng.normal(size=3)
    x = rng.normal(size=(2, *shape)).astype(np.float32)
    got = _run_onnx(model, x, tmp_path / "same.onnx")
    with humblenet.no_grad():
        ours = model(Tensor(x)).data
    np.testing.assert_allclose(got, ours, rtol=1e-5, atol=1e-5)
    k = layer.kernel_size
    s, d = layer.strides, layer.dilation_rate
    top, bottom = _tf_same(shape[0], k[0], s[0], d[0])
    left, right = _tf_same(shape[1], k[1], s[1], d[1])
    padded = TF.pad(torch.from_numpy(x).permute(0, 3, 1, 2), (left, right, top, bottom))
    w, b = (torch.from_numpy(layer.weight.data), torch.from_numpy(layer.bias.data))
    ref = TF.conv2d(padded, w, b, stride=s, dilation=d).permute(0, 2, 3, 1).numpy()
    assert got.shape == ref.shape == (2, -(-shape[0] // s[0]), -(-shape[1] // s[1]), 3)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_a_keras_cnn_with_same_padding_and_reshape_exports(tmp_path: Path):
    model = keras.Sequential(
        [
            L.Reshape((6, 6, 1), input_shape=(36,)),
            L.Conv2D(4, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(2, 2, strides=2, padding="same"),
            L.Reshape((-1,)),
            L.Dense(3),
        ],
        seed=0,
    )
    x = np.random.default_rng(1).normal(size=(4, 36)).astype(np.float32)
    got = _run_onnx(model, x, tmp_path / "cnn.onnx")
    assert got.shape == (4, 3)
    np.testing.assert_allclose(got, model.predict(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("sample", "target"), [((12,), (3, 4)), ((2, 3, 4), (-1, 4)), ((2, 3, 4), (4, -1, 3))]
)
def test_reshape_in_onnx_runtime_is_numpys(sample, target, tmp_path: Path):
    model = keras.Sequential([L.Reshape(target, input_shape=sample)])
    x = np.random.default_rng(2).normal(size=(3, *sample)).astype(np.float32)
    got = _run_onnx(model, x, tmp_path / "reshape.onnx")
    np.testing.assert_array_equal(got, x.reshape(3, *target))
