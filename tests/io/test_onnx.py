"""ONNX export: ONNX Runtime, an independent engine, predicts what humblenet predicts."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest

from humblenet import Sequential, load
from humblenet.io import atomic
from humblenet.io import onnx as onnx_export
from humblenet.io.onnx import export_onnx
from humblenet.nn import (
    GELU,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from humblenet.tensor import Tensor


def randomize(model: Sequential, seed: int = 0) -> Sequential:
    """Give every parameter (biases included, which start at 0) distinct random values."""
    rng = np.random.default_rng(seed)
    for parameter in model.parameters():
        parameter.data[...] = rng.normal(0, 0.7, parameter.shape)
    return model


def every_layer_model() -> Sequential:
    """Every supported layer and every Dense activation, with a softmax over axis 1 at the end."""
    return randomize(
        Sequential(
            [
                Flatten(input_shape=(2, 3)),
                Dense(8, activation="relu"),
                Dropout(0.3),
                Dense(8, activation="leaky_relu"),
                Dense(7, activation="gelu"),
                Dense(7, activation="tanh"),
                Dense(6, activation="sigmoid"),
                Linear(6, 6),
                ReLU(),
                Linear(6, 6, bias=False),
                LeakyReLU(0.2),
                GELU(),
                GELU(approximate="tanh"),
                Dense(5),
                Tanh(),
                Dense(5),
                Sigmoid(),
                Dense(4, activation="softmax"),
                Dense(3),
                Softmax(axis=1),
            ]
        )
    )


def run(path: Path, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


@pytest.mark.parametrize("batch", [1, 7])
def test_onnx_runtime_predicts_what_humblenet_predicts(tmp_path: Path, batch: int) -> None:
    model = every_layer_model()
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    x = np.random.default_rng(batch).normal(0, 2, size=(batch, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(run(path, x), model.predict(x), rtol=0, atol=1e-5)


def test_logits_match_without_a_squashing_last_layer(tmp_path: Path) -> None:
    # Outputs in the tens: an error in a weight or bias shows, it is not hidden by a softmax.
    model = randomize(
        Sequential(
            [
                Dense(16, activation="gelu", input_shape=(5,)),
                Dense(16, activation="leaky_relu"),
                GELU(approximate="tanh"),
                Dense(4),
            ]
        ),
        seed=4,
    )
    export_onnx(model, tmp_path / "model.onnx")
    x = np.random.default_rng(0).normal(0, 3, size=(20, 5)).astype(np.float32)
    expected = model.predict(x)
    assert np.abs(expected).max() > 5
    np.testing.assert_allclose(run(tmp_path / "model.onnx", x), expected, rtol=1e-5, atol=1e-5)


def test_the_graph_has_a_dynamic_batch_and_passes_the_checker(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    export_onnx(every_layer_model(), path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    (graph_input,) = proto.graph.input
    (graph_output,) = proto.graph.output
    assert graph_input.name == "input" and graph_output.name == "output"
    input_dims = graph_input.type.tensor_type.shape.dim
    assert input_dims[0].dim_param == "batch"
    assert [d.dim_value for d in input_dims[1:]] == [2, 3]
    output_dims = graph_output.type.tensor_type.shape.dim
    assert output_dims[0].dim_param == "batch" and output_dims[1].dim_value == 3
    assert [o.version for o in proto.opset_import] == [onnx_export.OPSET]
    ops = {node.op_type for node in proto.graph.node}
    assert {"Gemm", "Relu", "LeakyRelu", "Erf", "Tanh", "Sigmoid", "Softmax", "Flatten"} <= ops
    assert "Identity" in ops  # the dropout


def test_weights_have_the_names_of_the_safetensors_file(tmp_path: Path) -> None:
    model = every_layer_model()
    export_onnx(model, tmp_path / "model.onnx")
    model.save(tmp_path / "model.safetensors")
    from safetensors.numpy import load_file

    saved = load_file(str(tmp_path / "model.safetensors"))
    proto = onnx.load(str(tmp_path / "model.onnx"))
    weights = {
        item.name: onnx.numpy_helper.to_array(item)
        for item in proto.graph.initializer
        if not item.name.startswith("constant_")
    }
    assert weights.keys() == saved.keys()
    for name in weights:
        assert np.array_equal(weights[name], saved[name])


def test_a_loaded_model_carries_its_metadata_into_the_onnx_file(tmp_path: Path) -> None:
    model = randomize(Sequential([Dense(3, activation="softmax", input_shape=(2,))]))
    model.save(tmp_path / "model.safetensors", class_names=["a", "b", "c"], task="classification")
    loaded = load(tmp_path / "model.safetensors")
    export_onnx(loaded, tmp_path / "model.onnx")
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "model.onnx")).metadata_props}
    assert json.loads(props["class_names"]) == ["a", "b", "c"]
    assert json.loads(props["task"]) == "classification"
    assert "feature_names" not in props  # not saved: not written


class Doubler(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * 2


def test_an_unsupported_layer_is_named(tmp_path: Path) -> None:
    model = Sequential([Dense(3, input_shape=(2,)), Doubler()])
    with pytest.raises(ValueError, match=r"layer 1 \(Doubler\) has no ONNX translation"):
        export_onnx(model, tmp_path / "model.onnx")
    assert os.listdir(tmp_path) == []


def test_an_unbuilt_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has no weights yet"):
        export_onnx(Sequential([Dense(3)]), tmp_path / "model.onnx")


def test_a_crash_while_writing_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the previous export")

    def crash_half_way(handle, data: bytes) -> None:
        handle.write(data[: len(data) // 2])
        raise OSError("simulated crash")

    monkeypatch.setattr(atomic, "_write_all", crash_half_way)
    with pytest.raises(OSError, match="simulated crash"):
        export_onnx(every_layer_model(), path)
    assert os.listdir(tmp_path) == ["model.onnx"]
    assert path.read_bytes() == b"the previous export"


def test_missing_onnx_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "humblenet\[onnx\]"'):
        export_onnx(every_layer_model(), tmp_path / "model.onnx")
