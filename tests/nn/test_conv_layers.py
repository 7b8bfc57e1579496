"""The convolution, pooling and normalisation layers: against torch.nn, and through the layer
protocol (config, output shape, summary, save/load into torch, ONNX Runtime)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from safetensors.torch import load_file

import humblenet
from humblenet import Tensor, nn
from humblenet.io.onnx import export_onnx


def _copy_into_torch(ours: nn.Module, ref: torch.nn.Module) -> None:
    state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
    ref.load_state_dict(state, strict=True)


def _randomize(module: nn.Module, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = rng.normal(0, 0.5, p.shape)


# (ours, torch's twin, sample shape)
PAIRS = [
    (lambda: nn.Conv2d(3, 4, 3, seed=0), lambda: torch.nn.Conv2d(3, 4, 3), (3, 6, 5)),
    (
        lambda: nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 0), dilation=1, groups=2, seed=0),
        lambda: torch.nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 0), groups=2),
        (4, 7, 6),
    ),
    (
        lambda: nn.Conv2d(2, 3, 3, padding="same", dilation=2, bias=False, seed=0),
        lambda: torch.nn.Conv2d(2, 3, 3, padding="same", dilation=2, bias=False),
        (2, 6, 6),
    ),
    (
        lambda: nn.Conv1d(3, 2, 3, padding=1, seed=0),
        lambda: torch.nn.Conv1d(3, 2, 3, padding=1),
        (3, 7),
    ),
    (lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 5, 6)),
    (lambda: nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1), (2, 7, 7)),
    (lambda: nn.AvgPool2d(2, 1), lambda: torch.nn.AvgPool2d(2, 1), (2, 4, 5)),
    (lambda: nn.AdaptiveAvgPool2d(1), lambda: torch.nn.AdaptiveAvgPool2d(1), (3, 5, 4)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda: torch.nn.AdaptiveAvgPool2d((2, 3)), (2, 5, 7)),
    (lambda: nn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), (3, 4, 4)),
    (lambda: nn.BatchNorm1d(4, momentum=0.2), lambda: torch.nn.BatchNorm1d(4, momentum=0.2), (4,)),
    (
        lambda: nn.BatchNorm1d(2, affine=False),
        lambda: torch.nn.BatchNorm1d(2, affine=False),
        (2, 5),
    ),
    (lambda: nn.LayerNorm((3, 4)), lambda: torch.nn.LayerNorm((3, 4)), (2, 3, 4)),
    (lambda: nn.LayerNorm(5, bias=False), lambda: torch.nn.LayerNorm(5, bias=False), (5,)),
]


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: type(p[0]()).__name__)
def test_layer_matches_torch(pair, mode):
    make_ours, make_ref, sample = pair
    ours, ref = make_ours(), make_ref().double()
    ours.double()
    _randomize(ours)
    _copy_into_torch(ours, ref)
    ours.train(mode == "train")
    ref.train(mode == "train")
    rng = np.random.default_rng(1)
    for _ in range(2):  # twice: running statistics move, then are used
        x = rng.normal(1.0, 2.0, (3, *sample))
        ox, rx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(ox), ref(rx)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert out.shape[1:] == ours.compute_output_shape(sample)
        v = rng.normal(size=out.shape)
        (out * Tensor(v)).sum().backward()
        (expected * torch.from_numpy(v)).sum().backward()
        np.testing.assert_allclose(ox.grad, rx.grad.numpy(), rtol=1e-10, atol=1e-12)
        for (name, p), (_, rp) in zip(ours.named_parameters(), ref.named_parameters()):
            np.testing.assert_allclose(
                p.grad, rp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name
            )
        for name, value in ref.state_dict().items():
            np.testing.assert_allclose(
                ours.state_dict()[name], value.numpy(), rtol=1e-12, err_msg=name
            )
        ours.zero_grad()
        ref.zero_grad()


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: type(p[0]()).__name__)
def test_config_round_trip(pair):
    layer = pair[0]()
    config = json.loads(json.dumps(nn.layer_config(layer)))
    rebuilt = nn.from_config(config)
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == layer.get_config()
    assert [n for n, _ in rebuilt.named_parameters()] == [n for n, _ in layer.named_parameters()]


def test_dropout2d_layer_drops_channels_in_training_only():
    layer = nn.Dropout2d(0.5, seed=0)
    x = np.ones((4, 6, 3, 3), np.float32)
    out = layer(x).data
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert np.all(out == out[:, :, :1, :1])
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x)
    with pytest.raises(ValueError, match="p must be"):
        nn.Dropout2d(1.0)


def _cnn() -> humblenet.Sequential:
    model = humblenet.Sequential(
        [
            nn.Conv2d(1, 4, 3, padding=1, seed=0),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 4, 3, padding="same", groups=2, seed=1),
            nn.AvgPool2d(2, 1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4, 3, seed=2),
        ]
    )
    model.build((1, 8, 8))
    return model


def _trained_cnn() -> humblenet.Sequential:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 1, 8, 8)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64) + (x[:, 0, 0, 0] > 1)
    model = _cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", learning_rate=0.01)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0)
    return model


def test_summary_counts_running_statistics_as_non_trainable():
    text = _cnn().summary(print_fn=None)
    # conv 1*4*9 + 4, bn 4 + 4, conv 4*2*9 + 4, linear 4*3 + 3; buffers 4 + 4 + 1
    trainable = 40 + 8 + 76 + 15
    assert f"Trainable params: {trainable}" in text
    assert "Non-trainable params: 9" in text
    assert "BatchNorm2d" in text and "Conv2d" in text


def test_saved_batch_norm_model_loads_here_and_into_torch(tmp_path: Path):
    model = _trained_cnn()
    assert int(model[1].num_batches_tracked.data) == 8
    path = tmp_path / "cnn.safetensors"
    model.save(path)
    loaded = humblenet.load(path)
    x = np.random.default_rng(1).normal(size=(5, 1, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 4, 3, padding="same", groups=2),
        torch.nn.AvgPool2d(2, 1),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 3),
    )
    twin.load_state_dict(load_file(path), strict=True)
    twin.eval()
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    model.eval()
    with humblenet.no_grad():
        ours = model(Tensor(x)).data
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5)


def _onnx_matches(model: humblenet.Sequential, x: np.ndarray, path: Path) -> None:
    export_onnx(model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x})
    model.eval()
    with humblenet.no_grad():
        expected = model(Tensor(x)).data
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_onnx_runtime_predicts_what_the_cnn_predicts(tmp_path: Path):
    x = np.random.default_rng(2).normal(size=(3, 1, 8, 8)).astype(np.float32)
    _onnx_matches(_trained_cnn(), x, tmp_path / "cnn.onnx")


def test_onnx_layer_norm_conv1d_and_pools(tmp_path: Path):
    model = humblenet.Sequential(
        [
            nn.Conv2d(2, 3, (3, 2), stride=(2, 1), dilation=(1, 2), seed=0),
            nn.MaxPool2d(3, 1, 1),
            nn.AdaptiveAvgPool2d((2, 2)),
            nn.LayerNorm((3, 2, 2)),
            nn.Dropout2d(0.3),
        ]
    )
    model.build((2, 9, 8))
    _randomize(model)
    x = np.random.default_rng(3).normal(size=(2, 2, 9, 8)).astype(np.float32)
    _onnx_matches(model, x, tmp_path / "a.onnx")
    seq = humblenet.Sequential([nn.Conv1d(3, 4, 3, padding="same", seed=0), nn.BatchNorm1d(4)])
    seq.build((3, 7))
    _randomize(seq)
    x1 = np.random.default_rng(4).normal(size=(2, 3, 7)).astype(np.float32)
    _onnx_matches(seq, x1, tmp_path / "b.onnx")


def test_layer_errors_name_the_fix():
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride 1"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels=3"):
        humblenet.Sequential([nn.Conv2d(3, 4, 3)]).build((2, 8, 8))
    with pytest.raises(ValueError, match="rank"):
        nn.BatchNorm2d(3)(np.zeros((2, 3), np.float32))
    norm = nn.BatchNorm2d(8)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(8\): input has 4 channels.*expected 8"):
        norm(np.zeros((2, 4, 5, 5), np.float32))
    assert int(norm.num_batches_tracked.data) == 0  # refused before it counted the batch
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): input has 5 channels"):
        nn.BatchNorm1d(3)(np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match="half the kernel"):
        nn.MaxPool2d(2, padding=2)


def test_layers_take_one_unbatched_image_as_torch() -> None:
    """torch.nn.Conv2d and the pools take one (C, H, W) image; the same here, with torch's
    output (the layer loads torch's weights)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6)).astype(np.float32)
    ours = humblenet.Sequential([nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)])
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2))  # fmt: skip
    ours.build((2, 6, 6))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    out = ours(Tensor(x))
    want = theirs(torch.from_numpy(x)).detach().numpy()
    assert out.shape == want.shape == (3, 3, 3)
    np.testing.assert_allclose(out.data, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("first", ["conv", "pool"])
def test_an_unbuilt_sequential_takes_one_unbatched_image_on_its_first_call(first) -> None:  # type: ignore[no-untyped-def]
    """torch.nn.Sequential(Conv2d, ...) takes one (C, H, W) image on any call, the first too:
    the model builds for samples (C, H, W), not (H, W) (which its Conv2d refused), and gives
    torch's output; a batch goes through afterwards."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 6)).astype(np.float32)
    head = [nn.Conv2d(2, 3, 3, padding=1)] if first == "conv" else [nn.MaxPool2d(2)]
    ours = nn.Sequential(*head, nn.ReLU())
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3, padding=1) if first == "conv" else torch.nn.MaxPool2d(2),
        torch.nn.ReLU(),
    )
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    out = ours(Tensor(x))
    assert ours.input_shape == (2, 6, 6)
    want = theirs(torch.from_numpy(x)).detach().numpy()
    assert out.shape == want.shape
    np.testing.assert_allclose(out.data, want, rtol=1e-5, atol=1e-6)
    batch = ours(Tensor(np.stack([x, x])))
    np.testing.assert_array_equal(batch.data[1], out.data)
