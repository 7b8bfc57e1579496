"""ONNX's ``RNN``, ``LSTM`` and ``GRU`` operators for the recurrent layers (``nn`` and Keras').

ONNX runs one layer (one or both directions) per operator, time first: ``X (T, B, I)``;
weights ``W (D, G H, I)``, ``R (D, G H, H)``, ``B (D, 2 G H)`` (the input biases, then the
recurrent ones); outputs ``Y (T, D, B, H)``, ``Y_h (D, B, H)`` and, for the LSTM, ``Y_c``.
Where it differs from PyTorch's layout, which humblenet keeps:

- the gates are stacked in another order: an LSTM's ``i, o, f, c`` against torch's ``i, f, g,
  o``, a GRU's ``z, r, h`` against torch's ``r, z, n``; a ``Gather`` of the rows reorders each
  weight inside the graph, so the weights keep their names (those of the model's file) and
  ONNX Runtime folds the reordering away when it loads the model;
- a GRU applies its reset gate after the recurrent product: ``linear_before_reset=1`` is torch's
  formulation (and Keras' ``reset_after=True``);
- the directions are an axis of their own: ``Y`` is ``(T, D, B, H)``, which a ``Transpose``
  and a ``Reshape`` turn into torch's ``(T, B, D H)``, forward direction first.

>>> GATE_ORDER["LSTM"]  # ONNX's i, o, f, c are torch's blocks 0, 3, 1, 2
[0, 3, 1, 2]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["GATE_ORDER", "recurrent_onnx", "slice_rows"]

GATE_ORDER = {"RNN": [0], "LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2]}
"""For each ONNX operator, which of torch's gate blocks goes at each of ONNX's positions."""

_OUTPUTS = {"RNN": 2, "LSTM": 3, "GRU": 2}


def _reordered(graph: Any, name: str, op: str, hidden: int) -> str:
    """The weight ``name`` (torch's gate order along its rows) in ONNX's gate order."""
    weight = str(graph.parameter(name))
    order = GATE_ORDER[op]
    if order == list(range(len(order))):
        return weight
    rows = np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in order])
    return str(graph.node("Gather", [weight, graph.integers(rows.tolist())], axis=0))


def _stacked(graph: Any, parts: list[str]) -> str:
    """One tensor per direction, stacked along a new first axis ``D``."""
    unsqueezed = [str(graph.node("Unsqueeze", [p, graph.integers([0])])) for p in parts]
    return unsqueezed[0] if len(unsqueezed) == 1 else str(graph.node("Concat", unsqueezed, axis=0))


def slice_rows(graph: Any, x: str, start: int, stop: int) -> str:
    """Rows ``start:stop`` of ``x`` along its first axis (an initial state's layer)."""
    ends = graph.integers([stop])
    return str(graph.node("Slice", [x, graph.integers([start]), ends, graph.integers([0])]))


def recurrent_onnx(
    graph: Any,
    x: str,
    op: str,
    hidden_size: int,
    directions: list[list[str]],
    *,
    reverse: bool = False,
    nonlinearity: str = "tanh",
    initial_h: str | None = None,
    initial_c: str | None = None,
) -> list[str]:
    """One recurrent layer as ONNX's operator ``op`` (``"RNN"``, ``"LSTM"`` or ``"GRU"``).

    Args:
        graph: the :class:`humblenet.io.onnx.Graph` being written.
        x: the input, time first ``(T, B, I)``.
        op: the operator.
        hidden_size: ``H``.
        directions: for each direction (one, or forward then reverse), the names of the
            layer's parameters ``[weight_ih, weight_hh]`` and, with biases, ``[bias_ih,
            bias_hh]`` after them, in torch's layout and gate order.
        reverse: one direction run from the last step back (ONNX's ``"reverse"``).
        nonlinearity: the RNN's ``"tanh"`` or ``"relu"``.
        initial_h, initial_c: the initial states ``(D, B, H)``; None: zeros.

    Returns:
        The names of ``Y (T, D, B, H)`` and ``Y_h (D, B, H)`` (and ``Y_c`` for the LSTM).
    """
    w = _stacked(graph, [_reordered(graph, names[0], op, hidden_size) for names in directions])
    r = _stacked(graph, [_reordered(graph, names[1], op, hidden_size) for names in directions])
    inputs = [x, w, r, "", "", initial_h or "", initial_c or ""]
    if len(directions[0]) == 4:
        biases = []
        for names in directions:
            pair = [_reordered(graph, name, op, hidden_size) for name in names[2:]]
            biases.append(str(graph.node("Concat", pair, axis=0)))
        inputs[3] = _stacked(graph, biases)
    while inputs[-1] == "":  # trailing optional inputs left out are dropped
        inputs.pop()
    attributes: dict[str, Any] = {"hidden_size": hidden_size}
    if len(directions) == 2:
        attributes["direction"] = "bidirectional"
    elif reverse:
        attributes["direction"] = "reverse"
    if op == "RNN":
        attributes["activations"] = [nonlinearity.capitalize()] * len(directions)
    if op == "GRU":
        attributes["linear_before_reset"] = 1
    return [str(name) for name in graph.node_outputs(op, inputs, _OUTPUTS[op], **attributes)]
