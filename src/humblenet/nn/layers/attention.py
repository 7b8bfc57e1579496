"""``MultiheadAttention`` with the arguments, parameter names and semantics of
``torch.nn.MultiheadAttention``.

The parameters are torch's: ``in_proj_weight`` ``(3E, E)`` holds the query, key and value
projections one above the other (or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when
``kdim``/``vdim`` differ from ``embed_dim``), ``in_proj_bias`` ``(3E,)``, and ``out_proj`` a
``Linear(E, E)``; so ``state_dict()`` loads into torch's module with ``strict=True``.

The computation is a few large products: one per projection over every sample and position at
once, then the heads as a ``(batch, heads, L, head_dim)`` stack through
:func:`humblenet.attention.attention_probabilities` (the scores and their softmax in one node with
a fused backward) and one batched product with the values.

>>> import numpy as np
>>> attention = MultiheadAttention(8, 2, batch_first=True, seed=0)
>>> x = np.ones((3, 5, 8), dtype=np.float32)
>>> out, weights = attention(x, x, x)
>>> out.shape, weights.shape
((3, 5, 8), (3, 5, 5))
>>> [name for name, _ in attention.named_parameters()]
['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet.attention import additive_mask, attention_probabilities
from humblenet.nn.layers.base import Layer, positive_size
from humblenet.nn.layers.linear import Linear
from humblenet.nn.module import Parameter
from humblenet.nn.registry import register
from humblenet.random import get_generator
from humblenet.tensor import Tensor, matmul, permute, reshape

__all__ = ["MultiheadAttention"]


def linear_onnx(graph: Any, x: str, prefix: str, bias: bool) -> str:
    """``x @ weight.T + bias`` for a ``Linear`` named ``prefix`` on ``(N, L, features)``."""
    w = graph.node("Transpose", [graph.parameter(prefix + "weight")], perm=[1, 0])
    out = graph.node("MatMul", [x, w])
    return graph.node("Add", [out, graph.parameter(prefix + "bias")]) if bias else out


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


@register
class MultiheadAttention(Layer):
    """Attention from ``num_heads`` heads in parallel, as ``torch.nn.MultiheadAttention``.

    ``out = concat(head_1 .. head_h) W_o^T + b_o`` with
    ``head_i = softmax(q_i k_i^T / sqrt(head_dim) + mask) v_i``, where ``q_i``, ``k_i``, ``v_i``
    are the query, key and value projected by the ``i``-th block of ``head_dim`` rows of the
    input projection.

    Args:
        embed_dim: the model's width ``E`` (the query's features); ``E / num_heads`` per head.
        num_heads: the number of heads (must divide ``embed_dim``).
        dropout: the probability of dropping an attention weight while training.
        bias: learn ``in_proj_bias`` and ``out_proj.bias``.
        add_bias_kv, add_zero_attn: torch's options; only False is supported.
        kdim, vdim: the key's and the value's features (``embed_dim`` by default).
        batch_first: inputs and output are ``(N, L, E)`` (else ``(L, N, E)``, torch's default).
        seed: seeds the initialisation and the dropout; None draws from the default generator
            (``humblenet.manual_seed``).

    Initialisation (torch's): the input projections Xavier-uniform, ``out_proj.weight`` as a
    ``Linear``'s, both biases zero.

    Shape:
        query ``(N, L, E)``, key ``(N, S, kdim)``, value ``(N, S, vdim)`` with ``batch_first``
        (else batch second), or unbatched ``(L, E)``, ``(S, kdim)``, ``(S, vdim)``; output like
        the query; weights ``(N, L, S)``, or ``(N, num_heads, L, S)`` when not averaged.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        seed: int | None = None,
        dtype: Any = "float32",
        name: str | None = None,
    ) -> None:
        super().__init__(None, name)
        owner = "MultiheadAttention"
        self.embed_dim = positive_size(owner, "embed_dim", embed_dim)
        self.num_heads = positive_size(owner, "num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"{owner}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        if not isinstance(dropout, int | float) or not 0 <= dropout < 1:
            raise ValueError(f"{owner}: dropout must be in [0, 1), got {dropout!r}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(
                f"{owner}: add_bias_kv=True and add_zero_attn=True are not supported; leave "
                "them False"
            )
        self.kdim = self.embed_dim if kdim is None else positive_size(owner, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else positive_size(owner, "vdim", vdim)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = float(dropout)
        self.use_bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        rng = get_generator(seed)
        e = self.embed_dim
        self._same_dims = self.kdim == e and self.vdim == e
        if self._same_dims:  # torch's fan: the whole (3E, E) matrix
            self.in_proj_weight = Parameter(self._xavier(rng, (3 * e, e)))
        else:
            self.q_proj_weight = Parameter(self._xavier(rng, (e, e)))
            self.k_proj_weight = Parameter(self._xavier(rng, (e, self.kdim)))
            self.v_proj_weight = Parameter(self._xavier(rng, (e, self.vdim)))
        if self.use_bias:
            self.in_proj_bias = Parameter(np.zeros(3 * e, self.dtype))
        out_seed = int(rng.integers(0, 2**31))
        self.out_proj = Linear(e, e, bias=self.use_bias, seed=out_seed, dtype=self.dtype)
        if self.use_bias:
            assert self.out_proj.bias is not None
            self.out_proj.bias.data[...] = 0
        self._rng = rng

    def _xavier(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        limit = math.sqrt(6.0 / (shape[0] + shape[1]))
        return rng.uniform(-limit, limit, size=shape).astype(self.dtype)

    def reseed(self) -> None:
        """Start the dropout's draws afresh from ``self.seed``."""
        self._rng = get_generator(self.seed)

    # -- the computation -----------------------------------------------------------------------

    def _project(self, x: Tensor, part: int) -> Tensor:
        """The query (0), key (1) or value (2) projection of ``x``, over its last axis."""
        e = self.embed_dim
        if self._same_dims:
            w = self.in_proj_weight[part * e : (part + 1) * e]
        else:
            w = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[part]
        b = self.in_proj_bias[part * e : (part + 1) * e] if self.use_bias else None
        return F.linear(x, w, b)

    def _heads(self, x: Tensor) -> Tensor:
        """``(N, L, E)`` -> ``(N, heads, L, head_dim)`` (a view when possible)."""
        n, length = x.shape[0], x.shape[1]
        return permute(reshape(x, (n, length, self.num_heads, self.head_dim)), (0, 2, 1, 3))

    def _mask(
        self, attn_mask: Any, key_padding_mask: Any, n: int, length: int, source: int
    ) -> np.ndarray | None:
        """The additive mask, broadcastable to ``(N, heads, L, S)``, of both masks together."""
        owner = "MultiheadAttention"
        dt = self.dtype
        mask = additive_mask(attn_mask, dt, "masked", owner)
        if mask is not None:
            if mask.shape == (length, source):
                mask = mask[None, None]
            elif mask.shape == (n * self.num_heads, length, source):
                mask = mask.reshape(n, self.num_heads, length, source)
            else:
                raise ValueError(
                    f"{owner}: attn_mask has shape {mask.shape}; expected (L, S) = "
                    f"{(length, source)} or (N * num_heads, L, S) = "
                    f"{(n * self.num_heads, length, source)}"
                )
        padding = additive_mask(key_padding_mask, dt, "masked", owner)
        if padding is not None:
            if padding.shape not in ((n, source), (source,)):
                raise ValueError(
                    f"{owner}: key_padding_mask has shape {padding.shape}; expected (N, S) = "
                    f"{(n, source)} (one row per sample, True for a key to ignore)"
                )
            padding = padding.reshape(-1, 1, 1, source)
            mask = padding if mask is None else mask + padding
        return mask

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``; return ``(output, weights)``.

        Args:
            key_padding_mask: ``(N, S)``; True (bool) marks a key to ignore, a float is added.
            need_weights: also return the attention weights (else None in their place).
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; True (bool) forbids attending,
                a float is added to the scores.
            average_attn_weights: average the weights over the heads (else one per head).
            is_causal: torch's hint that ``attn_mask`` is the causal mask; as in torch, it
                needs ``attn_mask`` (see ``nn.generate_square_subsequent_mask``), which is
                then applied as given.
        """
        owner = "MultiheadAttention"
        q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
        if is_causal and attn_mask is None:
            raise ValueError(
                f"{owner}: is_causal=True is a hint that attn_mask is the causal mask, so it "
                "needs attn_mask; pass attn_mask=nn.generate_square_subsequent_mask(L)"
            )
        batched = q.ndim == 3
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(
                f"{owner}: query, key and value must all be 3-D (batched) or all 2-D "
                f"(unbatched), got shapes {q.shape}, {k.shape} and {v.shape}"
            )
        if not batched:  # one sample: a batch of one, batch first
            q, k, v = (reshape(t, (1, *t.shape)) for t in (q, k, v))
        elif not self.batch_first:  # (L, N, E) -> (N, L, E), a view
            q, k, v = (permute(t, (1, 0, 2)) for t in (q, k, v))
        for tensor, size, what in [(q, self.embed_dim, "embed_dim"), (k, self.kdim, "kdim")]:
            if tensor.shape[-1] != size:
                raise ValueError(
                    f"{owner}: {'query' if what == 'embed_dim' else 'key'} has "
                    f"{tensor.shape[-1]} features (shape {tensor.shape}), expected {what} = {size}"
                )
        if v.shape[-1] != self.vdim:
            raise ValueError(
                f"{owner}: value has {v.shape[-1]} features, expected vdim = {self.vdim}"
            )
        n, length, source = q.shape[0], q.shape[1], k.shape[1]
        if k.shape[:2] != (n, source) or v.shape[:2] != (n, source):
            raise ValueError(
                f"{owner}: key and value must have the same batch and length, got shapes "
                f"{k.shape} and {v.shape} (batch first) for a query of {q.shape}"
            )
        mask = self._mask(attn_mask, key_padding_mask, n, length, source)
        qh = self._heads(self._project(q, 0))  # (N, H, L, d)
        kh = self._heads(self._project(k, 1))  # (N, H, S, d)
        vh = self._heads(self._project(v, 2))  # (N, H, S, d)
        p = attention_probabilities(qh, kh, mask)  # (N, H, L, S)
        if self.training and self.dropout > 0:
            p = F.dropout(p, self.dropout, training=True, rng=self._rng)
        heads = matmul(p, vh)  # (N, H, L, d)
        if batched and not self.batch_first:
            merged = reshape(permute(heads, (2, 0, 1, 3)), (length, n, self.embed_dim))
        else:
            merged = reshape(permute(heads, (0, 2, 1, 3)), (n, length, self.embed_dim))
        out = self.out_proj(merged if batched else reshape(merged, (length, self.embed_dim)))
        if not need_weights:
            return out, None
        weights = p.mean(axis=1) if average_attn_weights else p
        return out, weights if batched else reshape(weights, weights.shape[1:])

    # -- the layer protocol --------------------------------------------------------------------

    def to_onnx(self, graph: Any, x: str) -> str:
        """A MultiheadAttention returns two things, so it is not a layer of a Sequential; it
        is exported inside a ``TransformerEncoderLayer`` (see :meth:`self_attention_onnx`)."""
        raise NotImplementedError

    def self_attention_onnx(self, graph: Any, x: str, prefix: str) -> str:
        """Self-attention of ``x`` ``(N, L, E)`` with no mask, as ONNX operators (opset 17);
        ``prefix`` names this module inside the exported layer (``"self_attn."``)."""
        if not self._same_dims:
            raise NotImplementedError
        e, h, d = self.embed_dim, self.num_heads, self.head_dim
        w = graph.node("Transpose", [graph.parameter(prefix + "in_proj_weight")], perm=[1, 0])
        y = graph.node("MatMul", [x, w])  # (N, L, 3E): the three projections in one product
        if self.use_bias:
            y = graph.node("Add", [y, graph.parameter(prefix + "in_proj_bias")])
        y = graph.node("Reshape", [y, graph.integers([0, 0, 3, h, d])])
        y = graph.node("Transpose", [y], perm=[2, 0, 3, 1, 4])  # (3, N, H, L, d)
        q, k, v = (graph.node("Gather", [y, graph.integers(i)], axis=0) for i in range(3))
        scores = graph.node("MatMul", [q, graph.node("Transpose", [k], perm=[0, 1, 3, 2])])
        scores = graph.node("Mul", [scores, graph.constant(1.0 / math.sqrt(d))])
        heads = graph.node("MatMul", [graph.node("Softmax", [scores], axis=-1), v])
        merged = graph.node("Transpose", [heads], perm=[0, 2, 1, 3])
        merged = graph.node("Reshape", [merged, graph.integers([0, 0, e])])
        return linear_onnx(graph, merged, prefix + "out_proj.", self.use_bias)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "embed_dim": self.embed_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "bias": self.use_bias,
            "kdim": self.kdim,
            "vdim": self.vdim,
            "batch_first": self.batch_first,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
