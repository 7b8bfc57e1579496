"""Keras' image layers (channels last) against PyTorch's NCHW operations, through permutes."""

from __future__ import annotations

import json
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
RNG = np.random.default_rng(0)


def _nchw(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2)


def _nhwc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1)


def _compare(layer, ref_fn, shape, params=()):
    """Forward and input/parameter gradients of ``layer`` vs ``ref_fn(x, *params)`` in float64."""
    layer.zero_grad()
    x = RNG.normal(size=shape)
    ox, rx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = layer(ox)
    rparams = [torch.tensor(getattr(layer, p).data, requires_grad=True) for p in params]
    expected = ref_fn(rx, *rparams)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert out.shape[1:] == layer.compute_output_shape(shape[1:])
    v = RNG.normal(size=out.shape)
    (out * Tensor(v)).sum().backward()
    (expected * torch.from_numpy(v)).sum().backward()
    np.testing.assert_allclose(ox.grad, rx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, r in zip(params, rparams):
        np.testing.assert_allclose(
            getattr(layer, name).grad, r.grad.numpy(), rtol=1e-10, atol=1e-12
        )


@pytest.mark.parametrize(
    ("options", "pads"),
    [
        ({"kernel_size": 3}, (0, 0, 0, 0)),
        ({"kernel_size": 3, "padding": "same"}, (1, 1, 1, 1)),
        # TensorFlow's 'same' with stride 2 on 7 x 6: the odd pad goes at the end
        ({"kernel_size": (3, 2), "strides": 2, "padding": "same"}, (0, 0, 1, 1)),
        ({"kernel_size": 2, "dilation_rate": 2, "groups": 2}, (0, 0, 0, 0)),
    ],
)
def test_conv2d_matches_torch_channels_last(options, pads):
    layer = L.Conv2D(4, seed=0, dtype="float64", **options)
    layer.build((7, 6, 2))
    layer.bias.data[...] = RNG.normal(size=4)
    s, d, g = layer.strides, layer.dilation_rate, layer.groups

    def ref(x, w, b):
        padded = TF.pad(_nchw(x), pads)  # (left, right, top, bottom)
        return _nhwc(TF.conv2d(padded, w, b, stride=s, dilation=d, groups=g))

    _compare(layer, ref, (2, 7, 6, 2), ["weight", "bias"])


def test_conv2d_learns_its_channels_and_applies_the_activation():
    layer = L.Conv2D(3, 2, activation="relu", seed=0)
    out = layer(np.ones((1, 5, 5, 4), np.float32))
    assert out.shape == (1, 4, 4, 3) and layer.weight.shape == (3, 4, 2, 2)
    assert (out.data >= 0).all()


@pytest.mark.parametrize("pool", [2, (3, 2)])
def test_pooling_matches_torch(pool):
    _compare(L.MaxPooling2D(pool), lambda x: _nhwc(TF.max_pool2d(_nchw(x), pool)), (2, 6, 7, 3))
    _compare(
        L.AveragePooling2D(pool, strides=1),
        lambda x: _nhwc(TF.avg_pool2d(_nchw(x), pool, 1)),
        (2, 6, 7, 3),
    )
    _compare(L.GlobalAveragePooling2D(), lambda x: x.mean(dim=(1, 2)), (2, 5, 4, 3))
    _compare(
        L.GlobalAveragePooling2D(keepdims=True),
        lambda x: x.mean(dim=(1, 2), keepdim=True),
        (1, 2, 3, 2),
    )


def test_batch_normalization_keras_momentum_and_biased_moving_variance():
    layer = L.BatchNormalization(momentum=0.9, dtype="float64")
    layer.build((4, 3, 2))
    layer.weight.data[...] = RNG.normal(size=2)
    layer.bias.data[...] = RNG.normal(size=2)
    moving_mean, moving_var = np.zeros(2), np.ones(2)
    for _ in range(2):
        x = RNG.normal(1.0, 2.0, (3, 4, 3, 2))
        _compare(
            layer,
            lambda t, w, b: _nhwc(TF.batch_norm(_nchw(t), None, None, w, b, True, eps=1e-3)),
            x.shape,
            ["weight", "bias"],
        )
        # _compare drew its own x; check the moving statistics on a known one
        before_mean, before_var = layer.running_mean.data.copy(), layer.running_var.data.copy()
        layer(Tensor(x))
        moving_mean = 0.9 * before_mean + 0.1 * x.mean(axis=(0, 1, 2))
        moving_var = 0.9 * before_var + 0.1 * x.var(axis=(0, 1, 2))
        np.testing.assert_allclose(layer.running_mean.data, moving_mean, rtol=1e-12)
        np.testing.assert_allclose(layer.running_var.data, moving_var, rtol=1e-12)
    layer.eval()
    rm, rv = torch.tensor(moving_mean), torch.tensor(moving_var)
    _compare(
        layer,
        lambda t, w, b: _nhwc(TF.batch_norm(_nchw(t), rm, rv, w, b, False, eps=1e-3)),
        (2, 4, 3, 2),
        ["weight", "bias"],
    )


def test_layer_normalization_and_reshape():
    layer = L.LayerNormalization(dtype="float64")
    layer.build((3, 5))
    layer.weight.data[...] = RNG.normal(size=5)
    _compare(
        layer, lambda x, w, b: TF.layer_norm(x, (5,), w, b, eps=1e-3), (2, 3, 5), ["weight", "bias"]
    )
    _compare(L.Reshape((3, -1)), lambda x: x.reshape(2, 3, 4), (2, 12))
    with pytest.raises(ValueError, match="cannot become"):
        L.Reshape((5, -1)).compute_output_shape((12,))


def _cnn() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            L.Conv2D(4, 3, activation="relu"),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Conv2D(4, 2, padding="valid"),
            L.AveragePooling2D(pool_size=1),
            L.LayerNormalization(),
            L.GlobalAveragePooling2D(),
            L.Dense(3, activation="softmax"),
        ],
        seed=0,
    )


def test_a_keras_cnn_trains_saves_reloads_and_exports(tmp_path: Path):
    x = RNG.normal(size=(32, 8, 8, 1)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64) + (x[:, 0, 0, 0] > 1)
    model = _cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "cnn.safetensors"
    model.save(path)
    loaded = humblenet.load(path)
    np.testing.assert_array_equal(loaded.predict(x[:4]), model.predict(x[:4]))
    config = json.loads(json.dumps(model.get_config()))
    assert [layer["class_name"] for layer in config["layers"]][:3] == [
        "Conv2D",
        "BatchNormalization",
        "MaxPooling2D",
    ]
    onnx_path = tmp_path / "cnn.onnx"
    export_onnx(model, onnx_path)
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x[:5]})
    np.testing.assert_allclose(got, model.predict(x[:5]), rtol=1e-4, atol=1e-6)


def test_a_channels_first_image_gets_a_hint_to_move_its_channels() -> None:
    """Keras-style Conv2D takes (N, H, W, C): an MNIST batch as torch lays it out, (N, 1, 28,
    28), makes a kernel larger than its 1-pixel 'height', and the error says why."""
    layer = keras.layers.Conv2D(8, 3)
    with pytest.raises(ValueError, match=r"larger than.*looks channels first.*\(0, 2, 3, 1\)"):
        layer(Tensor(np.zeros((2, 1, 28, 28), np.float32)))
    with pytest.raises(ValueError, match="larger than") as error:  # channels last: no hint
        keras.layers.Conv2D(8, 5)(Tensor(np.zeros((2, 3, 3, 8), np.float32)))
    assert "channels first" not in str(error.value)


def test_a_channels_first_batch_gets_the_hint_when_the_model_builds_from_it() -> None:
    """A Sequential without ``Input`` works its shapes out from the first batch: an (N, 1, 28,
    28) batch makes the kernel larger than the 1-pixel 'height' there, and the error says so
    and how to move the channels (it used to give the next Dense a negative size, and
    ``math domain error`` from its initializer)."""
    model = keras.Sequential(
        [keras.layers.Conv2D(4, 3), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
         keras.layers.Dense(2)]
    )  # fmt: skip
    expected = r"Conv2D: the window \(span 3\) is larger.*\(0, 2, 3, 1\)"
    with pytest.raises(ValueError, match=expected):
        model.predict(np.ones((2, 1, 28, 28), np.float32))
    pool = keras.Sequential([keras.layers.MaxPooling2D(4), keras.layers.Flatten()])
    with pytest.raises(ValueError, match=r"MaxPooling2D: the window \(span 4\) is larger"):
        pool.predict(np.ones((2, 3, 9, 9), np.float32))
    # channels last, the same model builds and predicts
    assert model.predict(np.ones((2, 28, 28, 1), np.float32)).shape == (2, 2)


def test_a_channels_first_batch_into_a_built_conv_gets_the_hint() -> None:
    """A Conv2D built for (28, 28, 1) given (N, 1, 28, 28): the channel count mismatch says the
    input looks channels first, and how to move the channels."""
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(4, 3)])
    with pytest.raises(ValueError, match=r"has 28 channels.*looks channels first.*\(0, 2, 3, 1\)"):
        model(Tensor(np.ones((2, 1, 28, 28), np.float32)))


def test_a_keras_style_model_file_loads_where_keras_was_never_imported(tmp_path) -> None:
    """A file of Keras-style layers read by a program that never imported humblenet.keras (the
    command line, or ``humblenet.load`` in a fresh interpreter): the layers are found, and
    the model predicts what it did before it was saved."""
    import subprocess
    import sys

    model = keras.Sequential(
        [keras.Input(shape=(6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
         keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
         keras.layers.Dense(3, activation="softmax")]
    )  # fmt: skip
    x = np.random.default_rng(0).random((4, 6, 6, 1)).astype(np.float32)
    path = tmp_path / "k.safetensors"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", model.predict(x))
    script = (
        "import sys, numpy as np, humblenet\n"
        "m = humblenet.load(sys.argv[1] + '/k.safetensors')\n"
        "got = m.predict(np.load(sys.argv[1] + '/x.npy'))\n"
        "np.testing.assert_array_equal(got, np.load(sys.argv[1] + '/want.npy'))\n"
        "print(type(m.layers[0]).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Conv2D"
