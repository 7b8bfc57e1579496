"""Recurrent layers with PyTorch's semantics, weight layout and names: ``RNN``, ``LSTM``, ``GRU``.

Parameters are ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and
``..._reverse`` for the second direction), gates stacked in torch's order (LSTM ``i, f, g, o``,
GRU ``r, z, n``), so ``state_dict()`` loads into ``torch.nn.LSTM`` etc. with ``strict=True``.
Each layer and direction is one graph node (:mod:`humblenet.recurrent`).

>>> import numpy as np
>>> lstm = LSTM(3, 4, num_layers=2, batch_first=True, seed=0)
>>> out, (h, c) = lstm(np.ones((2, 5, 3), dtype=np.float32))
>>> out.shape, h.shape, c.shape
((2, 5, 4), (2, 2, 4), (2, 2, 4))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet import recurrent as R
from humblenet.nn.layers.base import Layer, positive_size
from humblenet.nn.layers.recurrent_onnx import recurrent_onnx, slice_rows
from humblenet.nn.module import Parameter
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor, concatenate, stack

__all__ = ["GRU", "LSTM", "RNN"]


class _RNNBase(Layer):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: weights, the loop over layers and directions."""

    gates = 1
    kind = "rnn"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        owner = type(self).__name__
        super().__init__(None, name)
        self.input_size = positive_size(owner, "input_size", input_size)
        self.hidden_size = positive_size(owner, "hidden_size", hidden_size)
        self.num_layers = positive_size(owner, "num_layers", num_layers)
        if not isinstance(dropout, int | float) or not 0 <= dropout < 1:
            raise ValueError(f"{owner}: dropout must be in [0, 1), got {dropout!r}")
        self.use_bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _names(self, layer: int, direction: int) -> list[str]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = [f"weight_ih{suffix}", f"weight_hh{suffix}"]
        return names + ([f"bias_ih{suffix}", f"bias_hh{suffix}"] if self.use_bias else [])

    def reset_parameters(self) -> None:
        """torch's default: every weight and bias uniform in ``±1 / sqrt(hidden_size)``."""
        self._rng = get_generator(self.seed)
        limit = 1.0 / math.sqrt(self.hidden_size)
        gh = self.gates * self.hidden_size
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else self.hidden_size * self.directions
            for direction in range(self.directions):
                shapes = [(gh, width), (gh, self.hidden_size), (gh,), (gh,)]
                for name, shape in zip(self._names(layer, direction), shapes):
                    values = self._rng.uniform(-limit, limit, size=shape).astype(self.dtype)
                    setattr(self, name, Parameter(values))

    def reseed(self) -> None:
        self.reset_parameters()

    def _run(self, x: Tensor, weights: list[Any], h0: Any, c0: Any, reverse: bool) -> Tensor:
        w_ih, w_hh, b_ih, b_hh = weights
        if self.kind == "lstm":
            return R.lstm_layer(x, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse=reverse)
        if self.kind == "gru":
            return R.gru_layer(x, w_ih, w_hh, b_ih, b_hh, h0, reverse=reverse)
        return R.rnn_layer(x, w_ih, w_hh, b_ih, b_hh, h0, reverse, self.kind[4:])

    def forward(self, x: Tensor, hx: Any = None) -> Any:
        owner = type(self).__name__
        batched = x.ndim == 3
        if x.ndim not in (2, 3):
            layout = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
            raise ValueError(
                f"{owner}: input must be {layout} (batch_first={self.batch_first}) or one "
                f"unbatched sequence (L, H_in), got {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{owner}: expects input_size features={self.input_size} on the last axis, "
                f"got input of shape {x.shape}"
            )
        if not batched:
            x = x.unsqueeze(0 if self.batch_first else 1)
        if self.batch_first:
            x = x.transpose(0, 1)
        t, b = x.shape[0], x.shape[1]
        if (
            self.kind == "lstm"
            and hx is not None
            and (not isinstance(hx, tuple | list) or len(hx) != 2)
        ):
            raise ValueError(
                f"{owner}: the initial state must be a pair (h0, c0), as torch.nn.LSTM takes "
                f"it: lstm(x, (h0, c0)); got {type(hx).__name__}"
            )
        h0, c0 = (hx if hx is not None else (None, None)) if self.kind == "lstm" else (hx, None)
        states = [
            None if s is None else (s if isinstance(s, Tensor) else Tensor(s)) for s in (h0, c0)
        ]
        expected = (self.num_layers * self.directions, b, self.hidden_size)
        for k, s in enumerate(states):
            if s is not None and not batched:
                states[k] = s = s.unsqueeze(1)
            if s is not None and s.shape != expected:
                raise ValueError(
                    f"{owner}: {('h0', 'c0')[k]} must be (num_layers * directions, batch, "
                    f"hidden_size) = {expected}, got {s.shape}"
                )
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self.directions):
                k = layer * self.directions + direction
                weights = [getattr(self, n) for n in self._names(layer, direction)]
                if not self.use_bias:
                    weights += [None, None]
                h_init = None if states[0] is None else states[0][k]
                c_init = None if states[1] is None else states[1][k]
                packed = self._run(x, weights, h_init, c_init, bool(direction))
                outs.append(packed[:t] if self.kind == "lstm" else packed)
                finals_h.append(packed[0] if direction else packed[t - 1])
                if self.kind == "lstm":
                    finals_c.append(packed[t])
            x = outs[0] if len(outs) == 1 else concatenate(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, rng=self._rng)
        output = x.transpose(0, 1) if self.batch_first else x
        h_n = stack(finals_h, 0)
        c_n = stack(finals_c, 0) if finals_c else None
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return (output, (h_n, c_n)) if self.kind == "lstm" else (output, h_n)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*input_shape[:-1], self.hidden_size * self.directions)

    def to_onnx(self, graph: Any, x: str) -> str:
        """The output alone, what a ``Sequential`` passes on (it drops the final states); in
        evaluation: no dropout between layers."""
        return self.onnx_outputs(graph, x)[0]

    def onnx_outputs(
        self, graph: Any, x: str, h0: str | None = None, c0: str | None = None
    ) -> list[str]:
        """This layer as ONNX operators, one ``RNN``/``LSTM``/``GRU`` per layer
        (:mod:`humblenet.nn.layers.recurrent_onnx`).

        Args:
            graph: the :class:`humblenet.io.onnx.Graph` being written.
            x: the batched input, ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``).
            h0, c0: initial states ``(num_layers * D, N, H)`` already in the graph; None:
                zeros.

        Returns:
            The names of ``output``, ``h_n`` and, for an LSTM, ``c_n``, shaped as
            :meth:`forward` returns them.
        """
        op = {"lstm": "LSTM", "gru": "GRU"}.get(self.kind, "RNN")
        d = self.directions
        if self.batch_first:
            x = graph.node("Transpose", [x], perm=[1, 0, 2])
        finals: list[list[str]] = []
        for layer in range(self.num_layers):
            rows = (layer * d, (layer + 1) * d)
            y, *states = recurrent_onnx(
                graph,
                x,
                op,
                self.hidden_size,
                [self._names(layer, direction) for direction in range(d)],
                nonlinearity=self.kind[4:] or "tanh",
                initial_h=None if h0 is None else slice_rows(graph, h0, *rows),
                initial_c=None if c0 is None else slice_rows(graph, c0, *rows),
            )
            finals.append(states)
            y = graph.node("Transpose", [y], perm=[0, 2, 1, 3])  # (T, B, D, H)
            x = graph.node("Reshape", [y, graph.integers([0, 0, -1])])  # (T, B, D H)
        if self.batch_first:
            x = graph.node("Transpose", [x], perm=[1, 0, 2])
        outputs = [x]
        for k in range(len(finals[0])):  # h_n (and c_n): the layers' states one after another
            per_layer = [states[k] for states in finals]
            joined = (
                per_layer[0] if len(per_layer) == 1 else graph.node("Concat", per_layer, axis=0)
            )
            outputs.append(str(joined))
        return [str(name) for name in outputs]

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.use_bias,
            "batch_first": self.batch_first,
            "dropout": self.dropout,
            "bidirectional": self.bidirectional,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }
        if self.name is not None:
            config["name"] = self.name
        return config

    def extra_repr(self) -> str:
        """As torch's: the sizes, then each option that is not its default."""
        options = [
            (self.num_layers != 1, f"num_layers={self.num_layers}"),
            (not self.use_bias, "bias=False"),
            (self.batch_first, "batch_first=True"),
            (self.dropout != 0, f"dropout={self.dropout}"),
            (self.bidirectional, "bidirectional=True"),
        ]
        shown = [text for differs, text in options if differs]
        return ", ".join([f"{self.input_size}, {self.hidden_size}", *shown])


@register
class LSTM(_RNNBase):
    """A long short-term memory network, as ``torch.nn.LSTM`` (no ``proj_size``).

    ``forward(x, (h0, c0)=None)`` returns ``output, (h_n, c_n)``: ``output (L, N, D H)``
    (``(N, L, D H)`` with ``batch_first``), ``h_n, c_n (num_layers D, N, H)``.
    """

    gates = 4
    kind = "lstm"


@register
class GRU(_RNNBase):
    """A gated recurrent unit network, as ``torch.nn.GRU``; returns ``output, h_n``."""

    gates = 3
    kind = "gru"


@register
class RNN(_RNNBase):
    """A plain (Elman) RNN, as ``torch.nn.RNN`` with ``nonlinearity`` ``"tanh"`` or ``"relu"``;
    returns ``output, h_n``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.kind = f"rnn_{nonlinearity}"
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            seed,
            dtype,
            name,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "nonlinearity": self.nonlinearity}
