"""ONNX export of the sequence layers: ONNX Runtime computes what humblenet computes.

``nn.RNN`` (tanh, relu), ``nn.LSTM``, ``nn.GRU`` over one and two layers, one and two
directions, batch first or time first, with and without initial states and biases, sequences of
length 1 and 5 (batch 3, 4 inputs, hidden 5: small, so the whole grid runs in seconds); then
``nn.Embedding`` and the Keras layers inside exported ``Sequential`` models. Float32, compared
at 1e-5.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest

from humblenet import keras, nn
from humblenet.io.onnx import IR_VERSION, OPSET, Graph, export_onnx
from humblenet.training import Sequential

BATCH, FEATURES, HIDDEN = 3, 4, 5

KINDS = {
    "rnn_tanh": lambda **o: nn.RNN(FEATURES, HIDDEN, nonlinearity="tanh", **o),
    "rnn_relu": lambda **o: nn.RNN(FEATURES, HIDDEN, nonlinearity="relu", **o),
    "lstm": lambda **o: nn.LSTM(FEATURES, HIDDEN, **o),
    "gru": lambda **o: nn.GRU(FEATURES, HIDDEN, **o),
}


def _info(name: str, rank: int) -> Any:
    """A float tensor of ``rank`` dimensions, their sizes left free."""
    return onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [None] * rank)


def _session(path: Path) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _layer_model(layer: nn.Module, with_states: bool, path: Path) -> list[str]:
    """Write a graph of the layer alone with inputs ``input`` (and ``h0``, ``c0``) and every
    output of :meth:`onnx_outputs`; return the output names."""
    graph = Graph(onnx, np.dtype(np.float32))
    graph.enter(0, "0", layer)
    graph.inputs.append(_info("input", 3))
    x = "input"
    states = [None, None]
    if with_states:
        names = ["h0", "c0"] if isinstance(layer, nn.LSTM) else ["h0"]
        for k, name in enumerate(names):
            graph.inputs.append(_info(name, 3))
            states[k] = name
    outputs = layer.onnx_outputs(graph, x, *states)
    value_infos = [_info(name, 3) for name in outputs]
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(graph.nodes, "layer", graph.inputs, value_infos, graph.initializers),
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(proto, full_check=True)
    path.write_bytes(proto.SerializeToString())
    return outputs


GRID = list(itertools.product(KINDS, (1, 2), (False, True), (False, True), (False, True), (1, 5)))


@pytest.mark.parametrize(
    ("kind", "layers", "bidirectional", "batch_first", "with_states", "length"), GRID
)
def test_onnx_runtime_gives_the_outputs_and_final_states(
    tmp_path: Path,
    kind: str,
    layers: int,
    bidirectional: bool,
    batch_first: bool,
    with_states: bool,
    length: int,
) -> None:
    layer = KINDS[kind](
        num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, seed=1
    )
    layer.eval()
    rng = np.random.default_rng(2)
    shape = (BATCH, length, FEATURES) if batch_first else (length, BATCH, FEATURES)
    x = rng.normal(size=shape).astype(np.float32)
    state_shape = (layers * (2 if bidirectional else 1), BATCH, HIDDEN)
    feeds: dict[str, np.ndarray] = {"input": x}
    given: Any = None
    if with_states:
        feeds["h0"] = rng.normal(size=state_shape).astype(np.float32)
        given = feeds["h0"]
        if kind == "lstm":
            feeds["c0"] = rng.normal(size=state_shape).astype(np.float32)
            given = (feeds["h0"], feeds["c0"])
    output, finals = layer(x, given)
    expected = [output.data, *(f.data for f in (finals if kind == "lstm" else (finals,)))]
    path = tmp_path / "layer.onnx"
    names = _layer_model(layer, with_states, path)
    got = _session(path).run(names, feeds)
    assert len(got) == len(expected)
    for ours, theirs in zip(expected, got, strict=True):
        assert theirs.shape == ours.shape
        np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_layer_without_biases_exports(tmp_path: Path, kind: str) -> None:
    layer = KINDS[kind](bias=False, bidirectional=True, seed=3)
    x = np.random.default_rng(4).normal(size=(5, BATCH, FEATURES)).astype(np.float32)
    path = tmp_path / "layer.onnx"
    names = _layer_model(layer, False, path)
    output, _ = layer(x)
    (got,) = _session(path).run(names[:1], {"input": x})
    np.testing.assert_allclose(got, output.data, rtol=1e-5, atol=1e-5)


def _export_and_run(model: Sequential, x: np.ndarray, path: Path) -> np.ndarray:
    model.eval()
    export_onnx(model, path)
    (got,) = _session(path).run(["output"], {"input": x})
    return np.asarray(got)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("length", [1, 6])
def test_a_sequential_of_embedding_recurrent_and_linear_layers(
    tmp_path: Path, kind: str, length: int
) -> None:
    """Ids in, scores out: the Sequential passes the recurrent layer's output on (its final
    states are dropped, in the export as in forward), so Linear scores every step."""
    model = Sequential(
        [
            nn.Embedding(11, FEATURES, padding_idx=0, seed=0),
            KINDS[kind](num_layers=2, bidirectional=True, batch_first=True, seed=1),
            nn.Linear(2 * HIDDEN, 7, seed=2),
        ]
    )
    model.build((length,))
    ids = np.random.default_rng(5).integers(0, 11, size=(BATCH, length)).astype(np.int64)
    expected = model(ids).data
    got = _export_and_run(model, ids, tmp_path / "model.onnx")
    proto = onnx.load(str(tmp_path / "model.onnx"))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert "Gather" in [node.op_type for node in proto.graph.node]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_a_time_first_sequential(tmp_path: Path) -> None:
    """batch_first=False in a Sequential: its samples are the time steps; the batch axis of the
    data is the model's second axis, fixed when it was built."""
    model = Sequential([nn.LSTM(FEATURES, HIDDEN, seed=1), nn.Linear(HIDDEN, 2, seed=2)])
    model.build((BATCH, FEATURES))
    x = np.random.default_rng(6).normal(size=(7, BATCH, FEATURES)).astype(np.float32)
    got = _export_and_run(model, x, tmp_path / "model.onnx")
    np.testing.assert_allclose(got, model(x).data, rtol=1e-5, atol=1e-5)


KERAS = {
    "SimpleRNN": lambda **o: keras.layers.SimpleRNN(HIDDEN, **o),
    "SimpleRNN relu": lambda **o: keras.layers.SimpleRNN(HIDDEN, activation="relu", **o),
    "LSTM": lambda **o: keras.layers.LSTM(HIDDEN, **o),
    "GRU": lambda **o: keras.layers.GRU(HIDDEN, **o),
}

KERAS_GRID = list(itertools.product(KERAS, (False, True), (False, True), (False, True), (1, 5)))


@pytest.mark.parametrize(
    ("kind", "return_sequences", "return_state", "go_backwards", "length"), KERAS_GRID
)
def test_keras_layers_in_a_sequential(
    tmp_path: Path,
    kind: str,
    return_sequences: bool,
    return_state: bool,
    go_backwards: bool,
    length: int,
) -> None:
    """With ``return_state`` the layer returns ``[output, *states]`` and the Sequential passes
    the output on, so that is what the graph computes."""
    layer = KERAS[kind](
        return_sequences=return_sequences,
        return_state=return_state,
        go_backwards=go_backwards,
        seed=1,
    )
    model = Sequential([keras.layers.Embedding(9, FEATURES, seed=0), layer])
    model.build((length,))
    rng = np.random.default_rng(7)
    for parameter in model.parameters():  # Keras' zero biases would leave them untested
        parameter.data[...] = rng.normal(0, 0.5, parameter.shape)
    ids = rng.integers(0, 9, size=(BATCH, length)).astype(np.int64)
    expected = model(ids).data
    got = _export_and_run(model, ids, tmp_path / "model.onnx")
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", list(KERAS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_keras_final_states_and_initial_state(
    tmp_path: Path, kind: str, go_backwards: bool
) -> None:
    layer = KERAS[kind](return_sequences=True, return_state=True, go_backwards=go_backwards)
    rng = np.random.default_rng(8)
    x = rng.normal(size=(BATCH, 4, FEATURES)).astype(np.float32)
    layer.build(x.shape[1:])
    for parameter in layer.parameters():
        parameter.data[...] = rng.normal(0, 0.5, parameter.shape)
    count = 2 if kind == "LSTM" else 1
    states = [rng.normal(size=(BATCH, HIDDEN)).astype(np.float32) for _ in range(count)]
    expected = [t.data for t in layer(x, states)]

    graph = Graph(onnx, np.dtype(np.float32))
    graph.enter(0, "0", layer)
    names = ["input"] + [f"state_{k}" for k in range(count)]
    graph.input("input", "float", [4, FEATURES])
    for name in names[1:]:
        graph.inputs.append(_info(name, 2))
    outputs = layer.onnx_outputs(graph, "input", names[1:])
    infos = [_info(n, 3 if k == 0 else 2) for k, n in enumerate(outputs)]
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(graph.nodes, "keras", graph.inputs, infos, graph.initializers),
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(proto, full_check=True)
    path = tmp_path / "keras.onnx"
    path.write_bytes(proto.SerializeToString())
    got = _session(path).run(outputs, dict(zip(names, [x, *states], strict=True)))
    assert len(got) == len(expected) == 1 + count
    for ours, theirs in zip(expected, got, strict=True):
        np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)


def test_the_weights_keep_their_names(tmp_path: Path) -> None:
    """The gate reordering happens inside the graph, so the file's weights are the model's,
    under the model file's names, untouched."""
    model = Sequential([nn.GRU(FEATURES, HIDDEN, bidirectional=True, batch_first=True, seed=1)])
    model.build((3, FEATURES))
    export_onnx(model, tmp_path / "gru.onnx")
    weights = {
        t.name: onnx.numpy_helper.to_array(t)
        for t in onnx.load(str(tmp_path / "gru.onnx")).graph.initializer
    }
    for name, parameter in model.state_dict().items():
        np.testing.assert_array_equal(weights[name], parameter)
