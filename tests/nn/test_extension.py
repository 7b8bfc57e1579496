"""A layer defined outside humblenet joins every part of it once it is registered.

``Scale`` below is written the way a user would write it: a learnable per-feature factor
(a parameter) and a count of the batches it has seen while training (a buffer, state that is
kept but not learned, like a batch norm's ``num_batches_tracked``). Nothing in humblenet's own
files names it, yet summary, save/load, ``from_config`` and ONNX export all handle it, because
the layer answers for itself (the layer protocol) and the registry knows its name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest
import torch
from safetensors.torch import load_file

import humblenet
from humblenet import Tensor, nn
from humblenet.io.onnx import export_onnx


@nn.register
class Scale(nn.Layer):
    """``y = x * factor`` with one learned factor per feature; counts training batches."""

    def __init__(self, initial: float = 1.0, **options: Any) -> None:
        super().__init__(**options)
        self.initial = float(initial)
        self.factor: nn.Parameter | None = None
        self.register_buffer("batches_seen", np.zeros((), dtype=np.int64))

    def build(self, input_shape: tuple[int, ...]) -> None:
        if self.factor is None:
            self.factor = nn.Parameter(np.full(input_shape, self.initial, dtype=np.float32))

    def forward(self, x: Tensor) -> Tensor:
        if self.factor is None:
            self.build(x.shape[1:])
        if self.training:
            self.batches_seen.data += 1
        return x * self.factor

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "initial": self.initial}

    def to_onnx(self, graph: Any, x: str) -> str:
        return graph.node("Mul", [x, graph.parameter("factor")])


class TorchScale(torch.nn.Module):
    """The same layer in PyTorch, to load humblenet's file into."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.factor = torch.nn.Parameter(torch.ones(features))
        self.register_buffer("batches_seen", torch.zeros((), dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


def _trained_model() -> humblenet.Sequential:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = humblenet.Sequential(
        [Scale(0.5, input_shape=(3,)), nn.Dense(2, activation="softmax")], seed=0
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", learning_rate=0.05)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=0)
    return model


def test_the_registry_knows_the_outside_layer() -> None:
    assert nn.registry.get("Scale") is Scale
    assert "Scale" in nn.registry.registered()


def test_training_learns_the_parameter_and_updates_the_buffer() -> None:
    model = _trained_model()
    scale = model[0]
    assert int(scale.batches_seen.data) == 2 * 4  # 2 epochs of 4 batches, counted in training
    assert not np.allclose(scale.factor.data, 0.5)  # the factor was learned
    assert [name for name, _ in model.named_buffers()] == ["0.batches_seen"]
    assert "0.batches_seen" in model.state_dict()


def test_summary_counts_the_buffer_as_non_trainable() -> None:
    text = _trained_model().summary(print_fn=None)
    assert "scale (Scale)" in text
    # Scale holds 3 factors and 1 counter; Dense 3 * 2 + 2 = 8 weights.
    assert "Total params: 12" in text
    assert "Trainable params: 11" in text
    assert "Non-trainable params: 1" in text


def test_from_config_rebuilds_it_from_plain_json() -> None:
    model = _trained_model()
    written = json.loads(json.dumps(model.get_config()))
    assert written["layers"][0] == {
        "class_name": "Scale",
        "config": {"input_shape": [3], "initial": 0.5},
    }
    rebuilt = humblenet.Sequential.from_config(written)
    assert isinstance(rebuilt[0], Scale) and rebuilt[0].factor.shape == (3,)


def test_save_and_load_keep_weights_and_buffers(tmp_path: Path) -> None:
    model = _trained_model()
    path = tmp_path / "scale.safetensors"
    model.save(path)
    loaded = humblenet.load(path)
    assert isinstance(loaded[0], Scale)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_the_file_loads_into_the_same_pytorch_network(tmp_path: Path) -> None:
    model = _trained_model()
    path = tmp_path / "scale.safetensors"
    model.save(path)
    twin = torch.nn.Sequential(TorchScale(3), torch.nn.Linear(3, 2), torch.nn.Softmax(dim=-1))
    twin.load_state_dict(load_file(path), strict=True)
    assert int(twin[0].batches_seen) == 8
    x = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-7)


def test_onnx_export_uses_the_layers_own_lowering(tmp_path: Path) -> None:
    model = _trained_model()
    path = tmp_path / "scale.onnx"
    export_onnx(model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(3).normal(size=(7, 3)).astype(np.float32)
    (out,) = session.run(None, {"input": x})
    np.testing.assert_allclose(out, model.predict(x), rtol=1e-5, atol=1e-7)


def test_an_unregistered_layer_cannot_be_written_down() -> None:
    class Unnamed(nn.Layer):
        def forward(self, x: Tensor) -> Tensor:
            return x

    model = humblenet.Sequential([nn.Dense(2, input_shape=(3,)), Unnamed()])
    with pytest.raises(TypeError, match=r"Unnamed is not a registered layer.*nn.register"):
        model.get_config()


def test_a_name_is_taken_once() -> None:
    with pytest.raises(ValueError, match="the name 'Scale' is taken"):

        @nn.register(name="Scale")
        class Other(nn.Layer):
            pass
