"""Export a ``Sequential`` model to ONNX, to run it in ONNX Runtime or any other ONNX engine.

Each layer writes its own operators (opset 17, readable by ONNX Runtime 1.13 and later) through
its ``to_onnx(graph, x)`` method, so this module names no layer class: a ``Dense`` writes a
``Gemm`` with ``transB=1`` (the weight keeps PyTorch's layout) and then its activation, an
activation layer its operator (GELU written out, since opset 17 has no ``Gelu``), ``Flatten`` a
``Flatten``, ``Dropout`` an ``Identity``. A layer from outside humblenet exports once it defines
``to_onnx``; one that does not is refused with its name.

The graph has one input named ``"input"`` of shape ``(batch, *input_shape)`` with a dynamic
batch dimension, and one output named ``"output"``. The weights are named as in the model's
safetensors file (PyTorch's numbering, see :mod:`humblenet.io.safetensors`). The graph computes in
the weights' dtype; note that ONNX Runtime has no float64 ``Erf``, so a float64 model with GELU
exports to a valid file that ONNX Runtime will not run (float32, the default, runs everywhere);
the same holds for the recurrent layers' ``RNN``, ``LSTM`` and ``GRU``, which ONNX Runtime runs
in float32 only. A model whose first layer takes ids (``Embedding``: its ``onnx_input`` is
``"int64"``) gets an int64 input instead. A layer that returns ``(output, state)`` (``nn.LSTM``)
exports its output, the one thing a ``Sequential`` passes on.

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
import os
from typing import Any

import numpy as np

from humblenet import __version__
from humblenet.data.csv import Standardizer
from humblenet.data.table import TablePreprocessor
from humblenet.io.atomic import write_atomically
from humblenet.io.safetensors import _check_flat, check_suffix
from humblenet.nn.containers import Sequential, output_shape
from humblenet.nn.module import Module

__all__ = ["IR_VERSION", "OPSET", "Graph", "export_onnx"]

OPSET = 17
"""The ONNX operator set the graph uses."""

IR_VERSION = 8
"""The ONNX file format version written: the one that goes with opset 17, for older readers."""

ML_OPSET = 3
"""The ai.onnx.ml operator set of the preprocessing's ``Imputer`` and ``OneHotEncoder``."""

_INSTALL_HINT = 'install the optional extra with: pip install "humblenet[onnx]"'


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(f"exporting to ONNX needs the onnx package; {_INSTALL_HINT}") from None
    return onnx


class Graph:
    """The nodes and weights of the graph being written, and fresh names for its values.

    A layer's ``to_onnx(graph, x)`` calls :meth:`node` for each operator, :meth:`parameter` for
    each of its weights and :meth:`constant` for each number; the graph names everything after
    the layer's position, and its weights as in the model's safetensors file. A layer whose
    operators depend on the size of its input (Keras' ``padding="same"``, ``ceil_mode``) reads
    :attr:`input_shape`: the shape of one sample entering it, without the batch.
    """

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.onnx = onnx
        self.dtype = dtype
        self.element_type = _element_type(onnx, dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._constants: dict[float, str] = {}
        self.inputs: list[Any] = []
        self.domains: set[str] = set()
        self._count = 0
        self._layer: Module | None = None
        self._prefix = ""
        self._name = ""
        self.input_shape: tuple[int, ...] = ()

    def enter(
        self, index: int, name: str, layer: Module, input_shape: tuple[int, ...] = ()
    ) -> None:
        """The layer whose operators come next: at position ``index`` in the model, named
        ``name`` there (its index in PyTorch's numbering, which names its weights), receiving
        samples of ``input_shape``."""
        self._layer, self._prefix, self._name = layer, str(index), name
        self.input_shape = tuple(input_shape)

    def node(self, op_type: str, inputs: list[str], domain: str = "", **attributes: Any) -> str:
        """Append one operator (of the ``domain`` operator set, e.g. ``"ai.onnx.ml"``); return
        the name of its output."""
        return self.node_outputs(op_type, inputs, 1, domain, **attributes)[0]

    def node_outputs(
        self, op_type: str, inputs: list[str], count: int, domain: str = "", **attributes: Any
    ) -> list[str]:
        """Append one operator with ``count`` outputs (an ``LSTM`` gives ``Y, Y_h, Y_c``);
        return their names. An optional input left out in the middle is ``""``."""
        self._count += 1
        prefix = self._prefix
        outputs = [f"{prefix}.{op_type.lower()}_{self._count}"]
        outputs += [f"{outputs[0]}.{k}" for k in range(1, count)]
        if domain:
            self.domains.add(domain)
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type,
                inputs,
                outputs,
                name=f"{prefix}.{op_type}_{self._count}",
                domain=domain or None,
                **attributes,
            )
        )
        return outputs

    def input(self, name: str, kind: str, shape: list[int]) -> str:
        """A graph input ``name`` of ``kind`` ``"float"`` (the model's dtype), ``"int64"``
        (ids, as an embedding takes) or ``"string"``, of shape ``(batch, *shape)``."""
        elements = {"int64": self.onnx.TensorProto.INT64, "string": self.onnx.TensorProto.STRING}
        element = self.element_type if kind == "float" else elements[kind]
        self.inputs.append(
            self.onnx.helper.make_tensor_value_info(name, element, ["batch", *shape])
        )
        return name

    def array(self, value: np.ndarray) -> str:
        """A constant array (numbers in the model's dtype unless integer, or text) as a weight
        of the graph; return its name."""
        if value.dtype.kind == "f":
            value = value.astype(self.dtype)
        name = f"{self._prefix or 'preprocessing'}.constant_{len(self.initializers)}"
        self.initializers.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def parameter(self, attribute: str) -> str:
        """The current layer's parameter or buffer ``attribute`` as a weight of the graph; a
        dotted name reaches into a sub-module (``"self_attn.in_proj_weight"``)."""
        name = f"{self._name}.{attribute}"
        assert self._layer is not None
        if "." in attribute:  # the names of the layer's own state_dict()
            layer = self._layer
            array = dict([*layer.named_parameters(), *layer.named_buffers()])[attribute].data
        else:
            array = getattr(self._layer, attribute).data
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def integers(self, values: list[int] | int) -> str:
        """An int64 constant: a list becomes a 1-D tensor (a ``Reshape``'s shape), an int a
        scalar (a ``Gather``'s index)."""
        name = f"integers_{self._count}_{len(self.initializers)}"
        array = np.array(values, dtype=np.int64)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def constant(self, value: float) -> str:
        """A scalar in the model's dtype, shared by every node that uses the same number."""
        if value not in self._constants:
            name = f"constant_{len(self._constants)}"
            self.initializers.append(
                self.onnx.numpy_helper.from_array(np.array(value, dtype=self.dtype), name)
            )
            self._constants[value] = name
        return self._constants[value]


def _element_type(onnx: Any, dtype: np.dtype) -> int:
    types = {
        "float16": onnx.TensorProto.FLOAT16,
        "float32": onnx.TensorProto.FLOAT,
        "float64": onnx.TensorProto.DOUBLE,
    }
    if dtype.name not in types:
        raise ValueError(f"export_onnx: weights of dtype {dtype} cannot be exported")
    return int(types[dtype.name])


def _preprocessing(graph: Graph, preprocessing: dict[str, Any] | None, model: Sequential) -> str:
    """The graph's inputs and the preprocessing nodes; return the network's input."""
    assert model.input_shape is not None
    if isinstance(preprocessing, dict) and "columns" in preprocessing:
        return TablePreprocessor.from_dict(preprocessing).to_onnx(graph)
    kind = model.layers[0].onnx_input if model.layers else "float"
    x = graph.input("input", kind, list(model.input_shape))
    if isinstance(preprocessing, dict) and "mean" in preprocessing:
        scaler = Standardizer.from_dict(preprocessing)
        assert scaler.mean is not None and scaler.std is not None
        centred = graph.node("Sub", [x, graph.array(scaler.mean)])
        x = graph.node("Div", [centred, graph.array(scaler.std)])
    return x


def export_onnx(
    model: Sequential,
    path: str | os.PathLike[str],
    *,
    metadata: dict[str, Any] | None = None,
    preprocessing: dict[str, Any] | None = None,
) -> None:
    """Write ``model`` as an ONNX file (opset 17), checked by ``onnx.checker``, atomically.

    Args:
        model: a built ``Sequential`` whose layers all define ``to_onnx``.
        path: the file to write (``.onnx`` by convention); replaced if it exists.
        metadata: text keys to JSON data, written as the ONNX model's ``metadata_props`` (e.g.
            ``class_names``); by default a loaded model's ``metadata``, if it has one.
        preprocessing: the model file's ``preprocessing`` (``metadata["preprocessing"]``) to
            put in front of the network, so the graph takes the raw columns: a
            ``TablePreprocessor``'s (one input per raw column, named after it; see
            :meth:`humblenet.data.table.TablePreprocessor.to_onnx`) or a ``Standardizer``'s
            (the one input, then ``(x - mean) / std``). ``None``: the network alone.

    Raises:
        ImportError: onnx is not installed.
        ValueError: the model is not built, has a layer with no ONNX translation (named), or
            ``path`` does not end in ``.onnx``.
    """
    onnx = _import_onnx()
    check_suffix(path, ".onnx", "export_onnx", "an ONNX model")
    model = _check_flat(model, "export_onnx")
    parameters = model.parameters()
    dtype = parameters[0].dtype if parameters else np.dtype(np.float32)
    element_type = _element_type(onnx, dtype)
    graph = Graph(onnx, dtype)
    x = _preprocessing(graph, preprocessing, model)
    assert model.input_shape is not None
    sample: tuple[int, ...] = tuple(model.input_shape)
    for index, (name, layer) in enumerate(model.named_children()):
        graph.enter(index, name, layer, sample)
        sample = output_shape(layer, sample)
        try:
            x = layer.to_onnx(graph, x)
        except NotImplementedError:
            raise ValueError(
                f"export_onnx: layer {index} ({type(layer).__name__}) has no ONNX translation; "
                "define to_onnx(graph, x) on its class (see humblenet.io.onnx)"
            ) from None
    if graph.nodes and list(graph.nodes[-1].output) == [x]:
        graph.nodes[-1].output[0] = "output"  # the last operator writes the graph's output
    else:  # no operator (an empty model) or the result is an earlier one's: pass it through
        graph.nodes.append(onnx.helper.make_node("Identity", [x], ["output"]))

    assert model.input_shape is not None
    shape = output_shape(model, model.input_shape)
    helper = onnx.helper
    onnx_graph = helper.make_graph(
        graph.nodes,
        model.name,
        graph.inputs,
        [helper.make_tensor_value_info("output", element_type, ["batch", *shape])],
        graph.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET)]
    opsets += [helper.make_opsetid(domain, ML_OPSET) for domain in sorted(graph.domains)]
    proto = helper.make_model(
        onnx_graph,
        opset_imports=opsets,
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
    write_atomically(path, proto.SerializeToString())
