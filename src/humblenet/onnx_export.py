"""Export a ``Sequential`` model to ONNX, to run it in ONNX Runtime or any other ONNX engine.

Each humblenet layer becomes one or a few ONNX operators (opset 17, readable by ONNX Runtime 1.13
and later):

============================ =====================================================================
humblenet                    ONNX
============================ =====================================================================
``Dense`` / ``Linear``       ``Gemm`` with ``transB=1`` (the weight keeps PyTorch's layout
                             ``(out_features, in_features)``), then the activation if it has one
``ReLU``, ``Sigmoid``,       ``Relu``, ``Sigmoid``, ``Tanh``
``Tanh``
``LeakyReLU``                ``LeakyRelu`` with ``alpha`` = the negative slope
``GELU``                     opset 17 has no ``Gelu`` (it came in opset 20), so it is written out:
                             ``x * 0.5 * (1 + Erf(x / sqrt(2)))``, or with ``Tanh`` for
                             ``approximate="tanh"``
``Softmax``                  ``Softmax`` on the same axis
``Flatten``                  ``Flatten`` with ``axis=1``
``Dropout``                  ``Identity`` (an exported model only predicts)
============================ =====================================================================

The graph has one input named ``"input"`` of shape ``(batch, *input_shape)`` with a dynamic
batch dimension, and one output named ``"output"``. The weights are named as in the model's
safetensors file (PyTorch's numbering, see :mod:`humblenet.serialize`). The graph computes in
the weights' dtype; note that ONNX Runtime has no float64 ``Erf``, so a float64 model with GELU
exports to a valid file that ONNX Runtime will not run (float32, the default, runs everywhere).

>>> import tempfile, pathlib
>>> from humblenet.nn import Dense, Sequential
>>> model = Sequential([Dense(3, activation="gelu", input_shape=(2,), seed=0), Dense(2)])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.onnx"
>>> export_onnx(model, path)
>>> import onnx
>>> [node.op_type for node in onnx.load(str(path)).graph.node]
['Gemm', 'Div', 'Erf', 'Add', 'Mul', 'Mul', 'Gemm']
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from humblenet import serialize
from humblenet.nn.layers import (
    GELU,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from humblenet.nn.module import Module, Sequential, output_shape

__all__ = ["IR_VERSION", "OPSET", "SUPPORTED_LAYERS", "export_onnx"]

OPSET = 17
"""The ONNX operator set the graph uses."""

IR_VERSION = 8
"""The ONNX file format version written: the one that goes with opset 17, for older readers."""

SUPPORTED_LAYERS = (
    "Dense",
    "Linear",
    "Flatten",
    "Dropout",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Softmax",
)

_INSTALL_HINT = 'install the optional extra with: pip install "humblenet[onnx]"'


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(f"exporting to ONNX needs the onnx package; {_INSTALL_HINT}") from None
    return onnx


class _Graph:
    """The nodes and weights of the graph being written, and fresh names for its values."""

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.onnx = onnx
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._constants: dict[float, str] = {}
        self._count = 0

    def node(self, op_type: str, inputs: list[str], prefix: str, **attributes: Any) -> str:
        """Append one operator; return the name of its output."""
        self._count += 1
        output = f"{prefix}.{op_type.lower()}_{self._count}"
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, inputs, [output], name=f"{prefix}.{op_type}_{self._count}", **attributes
            )
        )
        return output

    def weight(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def constant(self, value: float) -> str:
        """A scalar in the model's dtype, shared by every node that uses the same number."""
        if value not in self._constants:
            name = f"constant_{len(self._constants)}"
            self.weight(name, np.array(value, dtype=self.dtype))
            self._constants[value] = name
        return self._constants[value]


def _gelu(graph: _Graph, x: str, prefix: str, approximate: str) -> str:
    """``x * Phi(x)`` from opset-17 operators, computed in humblenet's order."""
    if approximate == "tanh":
        cube = graph.node("Mul", [graph.node("Mul", [x, x], prefix), x], prefix)
        inner = graph.node(
            "Add", [x, graph.node("Mul", [cube, graph.constant(0.044715)], prefix)], prefix
        )
        scaled = graph.node("Mul", [graph.constant(math.sqrt(2.0 / math.pi)), inner], prefix)
        one_plus = graph.node(
            "Add", [graph.constant(1.0), graph.node("Tanh", [scaled], prefix)], prefix
        )
        half_x = graph.node("Mul", [graph.constant(0.5), x], prefix)
        return graph.node("Mul", [half_x, one_plus], prefix)
    scaled = graph.node("Div", [x, graph.constant(math.sqrt(2.0))], prefix)
    one_plus = graph.node("Add", [graph.constant(1.0), graph.node("Erf", [scaled], prefix)], prefix)
    cdf = graph.node("Mul", [graph.constant(0.5), one_plus], prefix)
    return graph.node("Mul", [x, cdf], prefix)


def _activation(graph: _Graph, name: str, x: str, prefix: str) -> str:
    """The activation a ``Dense`` layer names with a string."""
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}
    if name in simple:
        return graph.node(simple[name], [x], prefix)
    if name == "leaky_relu":
        return graph.node("LeakyRelu", [x], prefix, alpha=0.01)
    if name == "gelu":
        return _gelu(graph, x, prefix, "none")
    if name == "softmax":
        return graph.node("Softmax", [x], prefix, axis=-1)
    raise ValueError(f"export_onnx: the activation {name!r} has no ONNX translation")


def _layer(graph: _Graph, index: int, layer: Module, x: str, names: dict[str, str]) -> str:
    """Append the operators of one layer; return the name of its output."""
    prefix = str(index)
    if isinstance(layer, Dense):
        assert layer.weight is not None
        inputs = [x, graph.weight(names[f"{index}.weight"], layer.weight.data)]
        if layer.bias is not None:
            inputs.append(graph.weight(names[f"{index}.bias"], layer.bias.data))
        out = graph.node("Gemm", inputs, prefix, transB=1)
        return (
            out if layer.activation is None else _activation(graph, layer.activation, out, prefix)
        )
    if isinstance(layer, Flatten):
        return graph.node("Flatten", [x], prefix, axis=1)
    if isinstance(layer, Dropout):
        return graph.node("Identity", [x], prefix)
    if isinstance(layer, LeakyReLU):
        return graph.node("LeakyRelu", [x], prefix, alpha=layer.negative_slope)
    if isinstance(layer, GELU):
        return _gelu(graph, x, prefix, layer.approximate)
    if isinstance(layer, Softmax):
        return graph.node("Softmax", [x], prefix, axis=layer.axis)
    simple = {ReLU: "Relu", Sigmoid: "Sigmoid", Tanh: "Tanh"}
    for cls, op_type in simple.items():
        if type(layer) is cls:
            return graph.node(op_type, [x], prefix)
    raise ValueError(
        f"export_onnx: layer {index} ({type(layer).__name__}) has no ONNX translation; "
        f"supported layers: {', '.join(SUPPORTED_LAYERS)}"
    )


def _element_type(onnx: Any, dtype: np.dtype) -> int:
    types = {
        "float16": onnx.TensorProto.FLOAT16,
        "float32": onnx.TensorProto.FLOAT,
        "float64": onnx.TensorProto.DOUBLE,
    }
    if dtype.name not in types:
        raise ValueError(f"export_onnx: weights of dtype {dtype} cannot be exported")
    return int(types[dtype.name])


def export_onnx(
    model: Sequential, path: str | os.PathLike[str], *, metadata: dict[str, Any] | None = None
) -> None:
    """Write ``model`` as an ONNX file (opset 17), checked by ``onnx.checker``, atomically.

    Args:
        model: a built ``Sequential`` of the layers in :data:`SUPPORTED_LAYERS`.
        path: the file to write (``.onnx`` by convention); replaced if it exists.
        metadata: text keys to JSON data, written as the ONNX model's ``metadata_props`` (e.g.
            ``class_names``); by default a loaded model's ``metadata``, if it has one.

    Raises:
        ImportError: onnx is not installed.
        ValueError: the model is not built, or has a layer with no ONNX translation (named).
    """
    onnx = _import_onnx()
    model = serialize._check_flat(model, "export_onnx")
    parameters = model.parameters()
    dtype = parameters[0].dtype if parameters else np.dtype(np.float32)
    element_type = _element_type(onnx, dtype)
    graph = _Graph(onnx, dtype)
    names = serialize.tensor_names(model)
    x = "input"
    for index, layer in enumerate(model.layers):
        x = _layer(graph, index, layer, x, names)
    if graph.nodes:
        graph.nodes[-1].output[0] = "output"
    else:
        graph.nodes.append(onnx.helper.make_node("Identity", ["input"], ["output"]))

    assert model.input_shape is not None
    shape = model.input_shape
    for layer in model.layers:
        shape = output_shape(layer, shape)
    helper = onnx.helper
    onnx_graph = helper.make_graph(
        graph.nodes,
        model.name,
        [helper.make_tensor_value_info("input", element_type, ["batch", *model.input_shape])],
        [helper.make_tensor_value_info("output", element_type, ["batch", *shape])],
        graph.initializers,
    )
    from humblenet import __version__

    proto = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="humblenet",
        producer_version=__version__,
        ir_version=IR_VERSION,
    )
    if metadata is None:
        metadata = getattr(model, "metadata", None)
    for key, value in (metadata or {}).items():
        if value is not None:
            entry = proto.metadata_props.add()
            entry.key, entry.value = str(key), json.dumps(value, ensure_ascii=False)
    onnx.checker.check_model(proto, full_check=True)
    serialize.write_atomically(path, proto.SerializeToString())
