"""Keras' sequence layers: ``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU`` (batch first).

Inputs are Keras' ``(batch, time, features)``; the layers learn ``features`` on their first
input. ``return_sequences=True`` gives every step's output ``(batch, time, units)``, otherwise the
last one ``(batch, units)``; ``return_state=True`` returns a list ``[output, h]`` (LSTM: ``[output,
h, c]``), as Keras does. The time loop is :mod:`humblenet.recurrent`'s (one graph node).

The weights keep PyTorch's names, layout and gate order (``weight_ih (G units, features)``,
``weight_hh``, ``bias_ih``, ``bias_hh``; LSTM ``i, f, g, o``, GRU ``r, z, n`` with the reset gate
applied after the recurrent product, which is Keras' ``reset_after=True``), so they copy into
``torch.nn.LSTM(batch_first=True)``. The initialization is Keras': kernel ``glorot_uniform``,
recurrent kernel orthogonal, biases zero (the LSTM's forget gate bias one, Keras'
``unit_forget_bias``); Keras' single LSTM/RNN bias is ``bias_ih`` here, with ``bias_hh`` zero.

>>> import numpy as np
>>> layer = LSTM(4, return_sequences=True, return_state=True, seed=0)
>>> out, h, c = layer(np.zeros((2, 5, 3), dtype=np.float32))
>>> out.shape, h.shape, c.shape
((2, 5, 4), (2, 4), (2, 4))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet import recurrent as R
from humblenet.nn import init
from humblenet.nn.layers.base import Layer
from humblenet.nn.layers.embedding import Embedding as _Embedding
from humblenet.nn.layers.recurrent_onnx import recurrent_onnx
from humblenet.nn.module import Parameter
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor

__all__ = ["GRU", "LSTM", "Embedding", "SimpleRNN"]


@register(name="keras.Embedding")
class Embedding(_Embedding):
    """Keras' ``Embedding(input_dim, output_dim)``: ``nn.Embedding`` initialized uniform in
    ``±0.05`` (Keras' default) instead of standard normal.

    Args:
        input_dim: how many ids (the vocabulary size).
        output_dim: the size of each vector.
        seed, dtype, name, input_shape: as ``nn.Embedding``'s.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
        input_shape: Any = None,
    ) -> None:
        super().__init__(input_dim, output_dim, None, seed, dtype, name, input_shape)

    def reset_parameters(self) -> None:
        rng = get_generator(self.seed)
        table = rng.uniform(-0.05, 0.05, size=(self.num_embeddings, self.embedding_dim))
        self.weight = Parameter(table.astype(self.dtype))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["input_dim"] = config.pop("num_embeddings")
        config["output_dim"] = config.pop("embedding_dim")
        del config["padding_idx"]
        return config


def _orthogonal(rows: int, cols: int, rng: np.random.Generator, dtype: Any) -> np.ndarray:
    """A ``(rows, cols)`` matrix with orthonormal columns (or rows), as Keras' Orthogonal."""
    flat = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes the draw uniform over orthogonal matrices
    return np.asarray(q if rows >= cols else q.T, dtype=dtype)


class _KerasRecurrent(Layer):
    """What the three Keras recurrent layers share (arguments as Keras').

    Args:
        units: the size of the state and of each step's output.
        return_sequences: return every step's output, not only the last.
        return_state: also return the final state(s), as a list ``[output, *states]``.
        go_backwards: run over the sequence from its last step (the output is then in that
            reversed order, as Keras').
        use_bias: whether there are biases.
        seed: seeds the initialization; None draws from the default generator.
    """

    _gates = 1

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        use_bias: bool = True,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
        input_shape: Any = None,
    ) -> None:
        super().__init__(input_shape, name)
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units < 1:
            owner = type(self).__name__
            raise ValueError(f"{owner}: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.use_bias = bool(use_bias)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.weight_ih: Parameter | None = None
        self.weight_hh: Parameter | None = None
        self.bias_ih: Parameter | None = None
        self.bias_hh: Parameter | None = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects sequences (time, features) per sample, got "
                f"samples of shape {input_shape}; give inputs of shape (batch, time, features)"
            )
        features = int(input_shape[1])
        if self.weight_ih is not None:
            if self.weight_ih.shape[1] != features:
                raise ValueError(
                    f"{type(self).__name__}: built for {self.weight_ih.shape[1]} features, now "
                    f"receives {features}"
                )
            return
        rng = get_generator(self.seed)
        width = self._gates * self.units
        # Keras draws the kernel (features, G units) at once; its transpose is torch's layout
        kernel = init.get("glorot_uniform")((features, width), features, width, rng, self.dtype)
        self.weight_ih = Parameter(np.ascontiguousarray(kernel.T))
        blocks = [_orthogonal(self.units, self.units, rng, self.dtype) for _ in range(self._gates)]
        self.weight_hh = Parameter(np.concatenate(blocks, axis=0))
        if self.use_bias:
            self.bias_ih = Parameter(self._initial_bias())
            self.bias_hh = Parameter(np.zeros(width, dtype=self.dtype))

    def _initial_bias(self) -> np.ndarray:
        return np.zeros(self._gates * self.units, dtype=self.dtype)

    def _run(self, x: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor]]:
        raise NotImplementedError

    def forward(self, x: Tensor, initial_state: Any = None) -> Any:
        if x.ndim != 3:
            raise ValueError(
                f"{type(self).__name__}: input must be (batch, time, features), got shape {x.shape}"
            )
        if self.weight_ih is None:
            self.build(x.shape[1:])
        count = 2 if self._gates == 4 else 1
        if initial_state is None:
            states: list[Tensor | None] = [None] * count
        else:
            parts = initial_state if isinstance(initial_state, list | tuple) else [initial_state]
            states = [p if isinstance(p, Tensor) else Tensor(p) for p in parts]
            if len(states) != count:
                raise ValueError(
                    f"{type(self).__name__}: initial_state must be {count} tensor(s) of shape "
                    f"(batch, units), got {len(states)}"
                )
        seq, finals = self._run(x.transpose(0, 1), states)  # (T, B, units)
        last = seq.shape[0] - 1
        out = seq.transpose(0, 1) if self.return_sequences else seq[last]
        return [out, *finals] if self.return_state else out

    def _final_h(self, seq: Tensor) -> Tensor:
        return seq[0 if self.go_backwards else seq.shape[0] - 1]

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*input_shape[:-1], self.units) if self.return_sequences else (self.units,)

    _onnx_op = "RNN"

    def to_onnx(self, graph: Any, x: str) -> str:
        """The output alone: with ``return_state`` a ``Sequential`` passes on the first item of
        ``[output, *states]``, and so does the export."""
        return self.onnx_outputs(graph, x)[0]

    def onnx_outputs(self, graph: Any, x: str, initial_state: list[str] | None = None) -> list[str]:
        """This layer as one ONNX ``RNN``/``LSTM``/``GRU`` operator
        (:mod:`humblenet.nn.layers.recurrent_onnx`).

        Args:
            graph: the :class:`humblenet.io.onnx.Graph` being written.
            x: the input ``(batch, time, features)``.
            initial_state: the names of the initial states ``(batch, units)`` (the LSTM's
                ``h`` then ``c``); None: zeros.

        Returns:
            The names of the output (every step's or the last, as ``return_sequences`` says)
            and of the final states, as ``forward`` with ``return_state=True`` returns them.
        """
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.use_bias else [])
        states = [graph.node("Unsqueeze", [s, graph.integers([0])]) for s in initial_state or []]
        y, *finals = recurrent_onnx(
            graph,
            graph.node("Transpose", [x], perm=[1, 0, 2]),  # (T, B, F)
            self._onnx_op,
            self.units,
            [names],
            reverse=self.go_backwards,
            nonlinearity=getattr(self, "activation", "tanh"),
            initial_h=states[0] if states else None,
            initial_c=states[1] if len(states) > 1 else None,
        )
        finals = [graph.node("Squeeze", [f, graph.integers([0])]) for f in finals]  # (B, H)
        if not self.return_sequences:
            return [finals[0], *finals]  # the last step's output is the final h
        y = graph.node("Squeeze", [y, graph.integers([1])])  # (T, B, H)
        if self.go_backwards:  # Keras lists the steps in the order they were computed
            starts, ends = graph.integers([-1]), graph.integers([np.iinfo(np.int64).min])
            y = graph.node("Slice", [y, starts, ends, graph.integers([0]), graph.integers([-1])])
        return [graph.node("Transpose", [y], perm=[1, 0, 2]), *finals]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "use_bias": self.use_bias,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }


def _time_major(seq: Tensor, backwards: bool) -> Tensor:
    """The primitive keeps outputs at their time positions; Keras' go_backwards lists them in
    the order they were computed (last step first)."""
    return seq[::-1] if backwards else seq


@register(name="keras.SimpleRNN")
class SimpleRNN(_KerasRecurrent):
    """Keras' ``SimpleRNN``: ``h = activation(x W + h U + b)``, ``activation`` tanh or relu."""

    def __init__(self, units: int, activation: str = "tanh", **options: Any) -> None:
        if activation not in ("tanh", "relu"):
            raise ValueError(f"SimpleRNN: activation must be 'tanh' or 'relu', got {activation!r}")
        self.activation = activation
        super().__init__(units, **options)

    def _run(self, x: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor]]:
        assert self.weight_ih is not None and self.weight_hh is not None
        seq = R.rnn_layer(
            x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, states[0],
            reverse=self.go_backwards, nonlinearity=self.activation,
        )  # fmt: skip
        return _time_major(seq, self.go_backwards), [self._final_h(seq)]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation}


@register(name="keras.LSTM")
class LSTM(_KerasRecurrent):
    """Keras' ``LSTM``; ``return_state`` gives ``[output, h, c]``."""

    _gates = 4
    _onnx_op = "LSTM"

    def _initial_bias(self) -> np.ndarray:
        bias = np.zeros(4 * self.units, dtype=self.dtype)
        bias[self.units : 2 * self.units] = 1  # unit_forget_bias: the forget gate starts open
        return bias

    def _run(self, x: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor]]:
        assert self.weight_ih is not None and self.weight_hh is not None
        packed = R.lstm_layer(
            x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, states[0], states[1],
            reverse=self.go_backwards,
        )  # fmt: skip
        t = x.shape[0]
        seq = packed[:t]
        return _time_major(seq, self.go_backwards), [self._final_h(seq), packed[t]]


@register(name="keras.GRU")
class GRU(_KerasRecurrent):
    """Keras' ``GRU`` with ``reset_after=True`` (its default, and torch's formulation)."""

    _gates = 3
    _onnx_op = "GRU"

    def _run(self, x: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor]]:
        assert self.weight_ih is not None and self.weight_hh is not None
        seq = R.gru_layer(
            x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, states[0],
            reverse=self.go_backwards,
        )  # fmt: skip
        return _time_major(seq, self.go_backwards), [self._final_h(seq)]
