"""``TransformerEncoderLayer`` and ``TransformerEncoder`` with the arguments, sub-module names
and computation of torch's, so ``state_dict()`` loads into ``torch.nn.TransformerEncoderLayer``
(``self_attn``, ``linear1``, ``linear2``, ``norm1``, ``norm2``) with ``strict=True``; and
``generate_square_subsequent_mask``, the causal mask torch's transformers take.

>>> import numpy as np
>>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, seed=0)
>>> x = np.ones((2, 4, 8), dtype=np.float32)
>>> layer(x, src_mask=generate_square_subsequent_mask(4), is_causal=True).shape
(2, 4, 8)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet.nn.containers import ModuleList
from humblenet.nn.layers.activation import activation_layer
from humblenet.nn.layers.attention import MultiheadAttention, linear_onnx
from humblenet.nn.layers.base import Layer
from humblenet.nn.layers.dropout import Dropout
from humblenet.nn.layers.linear import Linear
from humblenet.nn.layers.norm import LayerNorm
from humblenet.nn.module import Module
from humblenet.nn.registry import from_config, layer_config, register
from humblenet.random import get_generator
from humblenet.tensor import Tensor, relu

__all__ = ["TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask"]

_ACTIVATIONS = {"relu": relu, "gelu": F.gelu}


def generate_square_subsequent_mask(size: int, dtype: Any = "float32") -> np.ndarray:
    """The float causal mask of torch's transformers: ``-inf`` above the diagonal (a position
    may not attend a later one), 0 elsewhere, shape ``(size, size)``."""
    if not isinstance(size, int | np.integer) or isinstance(size, bool) or size < 1:
        raise ValueError(
            f"generate_square_subsequent_mask: size must be a positive integer, got {size!r}"
        )
    return np.triu(np.full((size, size), -np.inf, dtype=np.dtype(dtype)), k=1)


@register
class TransformerEncoderLayer(Layer):
    """Self-attention then a feed-forward block, each with a residual connection and a layer
    norm, as ``torch.nn.TransformerEncoderLayer``.

    Post-norm (default): ``x = norm1(x + sa(x)); x = norm2(x + ff(x))``; with ``norm_first``:
    ``x = x + sa(norm1(x)); x = x + ff(norm2(x))``, where ``sa`` is ``self_attn`` followed by
    ``dropout1`` and ``ff`` is ``linear2(dropout(activation(linear1(x))))`` then ``dropout2``.

    Args:
        d_model: the width of the input and output.
        nhead: the attention's heads.
        dim_feedforward: the hidden width of the feed-forward block.
        dropout: the dropout probability (attention weights, feed-forward, both residuals).
        activation: ``"relu"`` or ``"gelu"`` (exact, as torch's).
        layer_norm_eps: the layer norms' epsilon.
        batch_first: ``(N, L, E)`` inputs (else ``(L, N, E)``).
        norm_first: pre-norm instead of post-norm.
        bias: learn the biases of the linear layers and of the layer norms.
        seed: seeds the initialisation and the dropout masks.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"TransformerEncoderLayer: activation must be 'relu' or 'gelu', got {activation!r}"
            )
        self.d_model, self.nhead = d_model, nhead
        self.dim_feedforward = dim_feedforward
        self.dropout_p = float(dropout)
        self.activation = activation
        self.layer_norm_eps = float(layer_norm_eps)
        self.batch_first, self.norm_first = bool(batch_first), bool(norm_first)
        self.use_bias = bool(bias)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        rng = get_generator(seed)

        def draw() -> int:  # a seed of its own for each part, from the layer's generator
            return int(rng.integers(0, 2**31))

        options: dict[str, Any] = {"dtype": self.dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout, bias, batch_first=batch_first, seed=draw(), **options
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias, seed=draw(), **options)
        self.dropout = Dropout(dropout, seed=draw())
        self.linear2 = Linear(dim_feedforward, d_model, bias, seed=draw(), **options)
        norm = {"eps": layer_norm_eps, "bias": bias, **options}
        self.norm1 = LayerNorm(d_model, **norm)
        self.norm2 = LayerNorm(d_model, **norm)
        self.dropout1 = Dropout(dropout, seed=draw())
        self.dropout2 = Dropout(dropout, seed=draw())

    def _self_attention(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        out, _ = self.self_attn(
            x,
            x,
            x,
            attn_mask=mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=is_causal,
        )
        return self.dropout1(out)

    def _feed_forward(self, x: Tensor) -> Tensor:
        hidden = self.linear1(x)
        hidden = _ACTIVATIONS[self.activation](hidden)
        return self.dropout2(self.linear2(self.dropout(hidden)))

    def forward(
        self,
        src: Any,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Tensor:
        """``src`` ``(N, L, E)`` with ``batch_first`` (else ``(L, N, E)``) to the same shape.

        ``src_mask`` and ``src_key_padding_mask`` are the attention's ``attn_mask`` and
        ``key_padding_mask`` (see :class:`MultiheadAttention`); ``is_causal`` is torch's hint
        that ``src_mask`` is causal.
        """
        x = src if isinstance(src, Tensor) else Tensor(src)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward(x))

    def reseed(self) -> None:
        """Start every dropout's masks afresh from its seed."""
        for module in (self.self_attn, self.dropout, self.dropout1, self.dropout2):
            module.reseed()

    def to_onnx(self, graph: Any, x: str) -> str:
        """The layer in evaluation (dropout off), with no mask: what it computes as a layer
        of a ``Sequential``, which passes it one tensor."""
        return self.encoder_onnx(graph, x, "")

    def encoder_onnx(self, graph: Any, x: str, prefix: str) -> str:
        """The ONNX operators of this layer, its weights named under ``prefix``."""
        if not self.batch_first:  # (L, N, E) -> (N, L, E) and back at the end
            x = graph.node("Transpose", [x], perm=[1, 0, 2])

        def norm(name: str, y: str) -> str:
            inputs = [y, graph.parameter(f"{prefix}{name}.weight")]
            if self.use_bias:
                inputs.append(graph.parameter(f"{prefix}{name}.bias"))
            return str(
                graph.node("LayerNormalization", inputs, axis=-1, epsilon=self.layer_norm_eps)
            )

        def attention(y: str) -> str:
            return str(self.self_attn.self_attention_onnx(graph, y, f"{prefix}self_attn."))

        def feed_forward(y: str) -> str:
            hidden = linear_onnx(graph, y, f"{prefix}linear1.", self.use_bias)
            hidden = str(activation_layer(self.activation).to_onnx(graph, hidden))  # type: ignore[union-attr]
            return str(linear_onnx(graph, hidden, f"{prefix}linear2.", self.use_bias))

        if self.norm_first:
            x = graph.node("Add", [x, attention(norm("norm1", x))])
            x = graph.node("Add", [x, feed_forward(norm("norm2", x))])
        else:
            x = norm("norm1", graph.node("Add", [x, attention(x)]))
            x = norm("norm2", graph.node("Add", [x, feed_forward(x)]))
        if not self.batch_first:
            x = graph.node("Transpose", [x], perm=[1, 0, 2])
        return str(x)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "d_model": self.d_model,
            "nhead": self.nhead,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout_p,
            "activation": self.activation,
            "layer_norm_eps": self.layer_norm_eps,
            "batch_first": self.batch_first,
            "norm_first": self.norm_first,
            "bias": self.use_bias,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, nhead={self.nhead}, norm_first={self.norm_first}"


def _own_dropout(layer: Module, position: int) -> None:
    """A deep copy would hold a copy of each dropout's generator: the same masks in every
    layer, and a private copy of the default generator for unseeded ones. Unseeded dropouts
    draw from the default generator again; seeded ones get a seed derived from their position."""
    for module in layer.modules():
        reseed = getattr(module, "reseed", None)
        if reseed is None or "_rng" not in vars(module):
            continue
        seed = getattr(module, "seed", None)
        if seed is not None and position > 0:
            module.seed = int(np.random.SeedSequence([seed, position]).generate_state(1)[0])  # type: ignore[attr-defined]
        reseed()


@register
class TransformerEncoder(Layer):
    """``num_layers`` copies of ``encoder_layer`` one after the other, then ``norm`` if given,
    as ``torch.nn.TransformerEncoder`` (the copies start from the same weights, as torch's
    deep copies do; their parameters are named ``layers.0.self_attn.in_proj_weight``, ...).

    Args:
        encoder_layer: the layer to copy (a :class:`TransformerEncoderLayer`).
        num_layers: how many copies.
        norm: a final layer (usually a ``LayerNorm``), or None.
    """

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        if not isinstance(num_layers, int | np.integer) or num_layers < 1:
            raise ValueError(
                f"TransformerEncoder: num_layers must be a positive integer, got {num_layers!r}"
            )
        if not isinstance(encoder_layer, Module):
            raise TypeError(
                "TransformerEncoder: encoder_layer must be a layer such as "
                f"nn.TransformerEncoderLayer, got {type(encoder_layer).__name__}"
            )
        self.num_layers = int(num_layers)
        copies = [copy.deepcopy(encoder_layer) for _ in range(self.num_layers)]
        for position, layer in enumerate(copies):
            _own_dropout(layer, position)
        self.layers = ModuleList(copies)
        self.norm = norm

    def forward(
        self,
        src: Any,
        mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        """Each layer in turn with the same masks (see :class:`TransformerEncoderLayer`)."""
        x = src if isinstance(src, Tensor) else Tensor(src)
        causal = bool(is_causal)
        for layer in self.layers.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=causal)
        return x if self.norm is None else self.norm(x)

    def to_onnx(self, graph: Any, x: str) -> str:
        """Each layer's operators (no mask), then the final norm's."""
        for i, layer in enumerate(self.layers.layers):
            if not isinstance(layer, TransformerEncoderLayer):
                raise NotImplementedError
            x = layer.encoder_onnx(graph, x, f"layers.{i}.")
        if self.norm is None:
            return x
        if not isinstance(self.norm, LayerNorm) or self.norm.weight is None:
            raise NotImplementedError
        inputs = [x, graph.parameter("norm.weight")]
        if self.norm.bias is not None:
            inputs.append(graph.parameter("norm.bias"))
        axis = -len(self.norm.normalized_shape)
        return str(graph.node("LayerNormalization", inputs, axis=axis, epsilon=self.norm.eps))

    def get_config(self) -> dict[str, Any]:
        first = self.layers.layers[0]
        return {
            **super().get_config(),
            "encoder_layer": layer_config(first),
            "num_layers": self.num_layers,
            "norm": None if self.norm is None else layer_config(self.norm),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TransformerEncoder:
        settings = dict(config)
        settings["encoder_layer"] = from_config(settings["encoder_layer"])
        if settings.get("norm") is not None:
            settings["norm"] = from_config(settings["norm"])
        return cls(**settings)
