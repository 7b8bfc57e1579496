"""Scaled dot-product attention: the attention probabilities as one primitive with a fused
softmax backward, and ``scaled_dot_product_attention`` with the semantics of
``torch.nn.functional.scaled_dot_product_attention``.

Everything works on stacks of matrices ``(..., L, E)`` (the leading axes are usually
``(batch, heads)``), so a whole multi-head attention is a handful of batched ``np.matmul`` calls,
with no Python loop over heads or samples.

Masks come in two kinds, as in torch:

- *additive* (float): added to the scores before the softmax (``-inf`` removes a key);
- *boolean*: here, as in torch's ``scaled_dot_product_attention``, True means "may attend".
  (``torch.nn.MultiheadAttention`` reads a boolean mask the other way round, True meaning "masked";
  :func:`additive_mask` takes the convention as an argument.)

A row of scores whose every key is masked has no probabilities: it comes out NaN, as in torch's
``MultiheadAttention`` with ``need_weights=True``.

>>> import numpy as np
>>> q = Tensor(np.ones((1, 2, 4)), requires_grad=True)
>>> out = scaled_dot_product_attention(q, q, q, is_causal=True)
>>> out.shape
(1, 2, 4)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from humblenet.functional import dropout
from humblenet.tensor import Tensor, _lift, matmul, unbroadcast

__all__ = [
    "additive_mask",
    "attention_probabilities",
    "causal_mask",
    "scaled_dot_product_attention",
]


def causal_mask(target_length: int, source_length: int | None = None) -> np.ndarray:
    """A boolean ``(L, S)`` array, True where query ``i`` may attend key ``j`` (``j <= i``),
    aligned at the top left as torch's ``is_causal``."""
    s = target_length if source_length is None else source_length
    return np.tril(np.ones((target_length, s), dtype=bool))


def additive_mask(mask: Any, dtype: Any, true_means: str, owner: str) -> np.ndarray | None:
    """``mask`` as an array to add to the scores: ``-inf`` where a boolean mask forbids a key,
    0 where it allows one; a float mask as it is (in ``dtype``).

    Args:
        true_means: ``"attend"`` (torch's ``scaled_dot_product_attention``) or ``"masked"``
            (torch's ``MultiheadAttention``), what True stands for in a boolean mask.
        owner: the function named in errors.
    """
    if mask is None:
        return None
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.dtype == np.bool_:
        blocked = ~m if true_means == "attend" else m
        return np.where(blocked, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(
            f"{owner}: a mask must be boolean or floating point, got dtype {m.dtype}; use a bool "
            "array (which positions are masked) or a float array (added to the scores)"
        )
    return m.astype(dtype, copy=False)


def attention_probabilities(
    query: Tensor, key: Tensor, mask: np.ndarray | None = None, scale: float | None = None
) -> Tensor:
    """``softmax(query @ key^T * scale + mask)`` over the keys, as one node.

    Args:
        query: ``(..., L, E)``; key: ``(..., S, E)`` (leading axes broadcast).
        mask: an additive array broadcastable to ``(..., L, S)`` (see :func:`additive_mask`),
            or None. It is a constant: no gradient flows into it.
        scale: the factor on the scores, ``1 / sqrt(E)`` by default.

    The backward is the softmax's and the two products' in one: with ``P`` the probabilities
    and ``G`` the upstream gradient, ``dS = P * (G - sum(G * P))``, ``dq = scale dS k`` and
    ``dk = scale dS^T q``; no score-sized temporary is kept but ``P``.
    """
    q, k = query.data, key.data
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"attention: query {q.shape} and key {k.shape} must be (..., L, E) and (..., S, E) "
            "with the same E"
        )
    factor = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    dt = np.result_type(q.dtype, k.dtype)
    p = np.matmul(q, np.swapaxes(k, -1, -2))
    p *= dt.type(factor)
    if mask is not None:
        try:
            p += mask
        except ValueError:  # a mask with more leading axes than the scores: broadcast up
            p = p + mask
    # The softmax in place on the scores' own array: one array of size (..., L, S) in all.
    p -= p.max(axis=-1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ds = g * p
        ds -= p * ds.sum(axis=-1, keepdims=True)
        ds *= dt.type(factor)
        gq = unbroadcast(np.matmul(ds, k), q.shape) if query.requires_grad else None
        gk = None
        if key.requires_grad:
            gk = unbroadcast(np.matmul(np.swapaxes(ds, -1, -2), q), k.shape)
        return gq, gk

    return Tensor._make(p, (query, key), backward, "attention_probabilities")


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """``softmax(query key^T * scale + mask) @ value``, as
    ``torch.nn.functional.scaled_dot_product_attention``.

    Args:
        query: ``(..., L, E)``; key: ``(..., S, E)``; value: ``(..., S, Ev)``.
        attn_mask: a boolean mask (True: may attend) or a float mask (added to the scores),
            broadcastable to ``(..., L, S)``.
        dropout_p: the probability of dropping an attention probability (applied whenever it is
            above 0, as torch's function does; a layer passes 0 in evaluation).
        is_causal: each query attends only the keys at or before its position (top-left
            aligned); not together with ``attn_mask``.
        scale: the factor on the scores, ``1 / sqrt(E)`` by default.
        rng: the dropout's generator or seed.

    Returns:
        ``(..., L, Ev)``.
    """
    q, k, v = _lift(query), _lift(key), _lift(value)
    if is_causal and attn_mask is not None:
        raise ValueError(
            "scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both; "
            "combine a causal mask into attn_mask yourself if you need both"
        )
    if v.ndim < 2 or v.shape[-2] != k.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: value {v.shape} must be (..., S, Ev) with the key's "
            f"S = {k.shape[-2] if k.ndim >= 2 else '?'}"
        )
    mask = additive_mask(attn_mask, q.dtype, "attend", "scaled_dot_product_attention")
    if is_causal:
        mask = additive_mask(causal_mask(q.shape[-2], k.shape[-2]), q.dtype, "attend", "")
    p = attention_probabilities(q, k, mask, scale)
    if dropout_p > 0:
        p = dropout(p, dropout_p, training=True, rng=rng)
    return matmul(p, v)
