"""Recurrent layers' time loops: one differentiable primitive per layer and direction.

``lstm_layer``, ``gru_layer`` and ``rnn_layer`` run one layer in one direction over a whole
sequence and return one graph node, whose backward is backpropagation through time written by
hand. Building the graph step by step (a dozen nodes per time step) would cost Python work per
step twice over; here the forward is a plain loop over NumPy calls and the backward another.

The layout is PyTorch's: ``x (T, B, I)`` time first; weights ``w_ih (G H, I)``, ``w_hh (G H,
H)``, biases ``(G H,)`` with the gates stacked in torch's order (LSTM ``i, f, g, o``; GRU ``r, z,
n``; ``G`` = 4, 3, 1). What makes it fast:

- the input projection of every time step is one matrix product, ``x @ w_ih.T`` over all
  ``T B`` rows at once, and the weight gradients are one product each after the loop
  (``dG.T @ x`` and ``dG.T @ h_prev`` over all steps);
- all gates of a step come from one product ``h @ w_hh.T`` of width ``G H``;
- every sigmoid is computed as ``0.5 tanh(x / 2) + 0.5``, so one ``tanh`` call covers all four
  LSTM gates; the halving is folded into the weights (multiplying by 0.5 is exact);
- the factors the backward multiplies by (gate derivatives and the like) are computed for all
  steps at once after the forward loop, so a backward step is about six array operations and one
  matrix product;
- arrays are preallocated and written with ``out=``; the dtype of ``x`` (float32 by default)
  is kept throughout.

The backward is iterative (a loop over time, no recursion), so any length is fine.

Each function returns ``(packed, ...)``: a Tensor holding the outputs of every step (``(T, B,
H)``; for the LSTM ``(T + 1, B, H)`` with the final cell state in the last row), from which the
layer takes its output and final states by indexing, so their gradients all reach the one node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet._recurrent_kernels import recurrent_kernels
from humblenet.tensor import Tensor

__all__ = ["gru_layer", "lstm_layer", "rnn_layer"]


def _check(owner: str, x: Tensor, w_ih: Tensor, w_hh: Tensor, gates: int) -> tuple[int, ...]:
    if x.ndim != 3:
        raise ValueError(f"{owner}: input must be (T, B, input_size), got shape {x.shape}")
    t, b, i = x.shape
    gh, h = w_hh.shape
    if gh != gates * h or w_ih.shape != (gates * h, i):
        raise ValueError(
            f"{owner}: input has {i} features, but the weights expect {w_ih.shape[1]} "
            f"(weight_ih {w_ih.shape}, weight_hh {w_hh.shape})"
        )
    if t < 1:
        raise ValueError(f"{owner}: the sequence is empty (length 0)")
    for name, tensor in (("weight_ih", w_ih), ("weight_hh", w_hh)):
        if tensor.dtype != x.dtype:
            raise TypeError(
                f"{owner}: input is {x.dtype} but {name} is {tensor.dtype}; convert one "
                "(model.double() or x.astype(...)) so both match"
            )
    return t, b, i, h


def _state(owner: str, name: str, state: Tensor | None, b: int, h: int, dtype: Any) -> np.ndarray:
    if state is None:
        return np.zeros((b, h), dtype=dtype)
    if state.shape != (b, h):
        raise ValueError(f"{owner}: {name} must be (batch={b}, hidden={h}), got {state.shape}")
    return np.asarray(state.data, dtype=dtype)


def _order(t: int, reverse: bool) -> range:
    return range(t - 1, -1, -1) if reverse else range(t)


def _projection(x: np.ndarray, w_ih: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """``x @ w_ih.T + bias`` for every time step in one product: ``(T, B, G H)``."""
    t, b, i = x.shape
    out = np.matmul(x.reshape(t * b, i), w_ih.T)
    if bias is not None:
        out += bias
    return out.reshape(t, b, -1)


def _previous(seq: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step started from: ``first`` then ``seq`` shifted by one step."""
    prev = np.empty_like(seq)
    if reverse:
        prev[-1] = first
        prev[:-1] = seq[1:]
    else:
        prev[0] = first
        prev[1:] = seq[:-1]
    return prev


def _bias_sum(b_ih: Tensor | None, b_hh: Tensor | None) -> np.ndarray | None:
    if b_ih is None:
        return None
    assert b_hh is not None
    return np.asarray(b_ih.data + b_hh.data)


def _parents(*tensors: Tensor | None) -> tuple[Tensor, ...]:
    return tuple(t for t in tensors if t is not None)


def _weight_grads(
    dg: np.ndarray,
    dgh: np.ndarray,
    x: np.ndarray,
    h_prev: np.ndarray,
    w_ih: np.ndarray,
    inputs: tuple[Tensor | None, ...],
) -> list[np.ndarray | None]:
    """Gradients of ``x, w_ih, w_hh, b_ih, b_hh`` (None where not needed) from the
    pre-activation gradients of every step: ``dg`` of the input projection and ``dgh`` of the
    recurrent product, ``(T, B, G H)``. Each weight's is one product over all ``T B`` rows."""
    t, b, i = x.shape
    needs = [p is not None and p.requires_grad for p in inputs]
    dg2 = dg.reshape(t * b, -1)
    dgh2 = dgh.reshape(t * b, -1)
    db_ih = dg2.sum(axis=0) if needs[3] else None
    db_hh = None
    if needs[4]:  # the LSTM and RNN pass one array for both: its sum once (a copy each)
        db_hh = db_ih.copy() if dgh is dg and db_ih is not None else dgh2.sum(axis=0)
    return [
        np.matmul(dg2, w_ih).reshape(t, b, i) if needs[0] else None,
        np.matmul(dg2.T, x.reshape(t * b, i)) if needs[1] else None,
        np.matmul(dgh2.T, h_prev.reshape(t * b, -1)) if needs[2] else None,
        db_ih,
        db_hh,
    ]


def _select(grads: list[np.ndarray | None], inputs: tuple[Tensor | None, ...]) -> list[Any]:
    """The gradients of the inputs that are there (a missing bias or state has none)."""
    return [g for g, p in zip(grads, inputs, strict=True) if p is not None]


def lstm_layer(
    x: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    h0: Tensor | None = None,
    c0: Tensor | None = None,
    reverse: bool = False,
) -> Tensor:
    """One LSTM layer in one direction, as torch's: gates ``i, f, g, o`` from
    ``x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh``; ``c = f c + i g``, ``h = o tanh(c)``.

    Returns the packed ``(T + 1, B, H)`` Tensor: rows ``0..T-1`` are ``h_t`` at their time
    positions, row ``T`` is the final cell state. ``reverse`` runs from the last step back.
    """
    t, b, _, h = _check("lstm", x, w_ih, w_hh, 4)
    dtype = x.dtype
    xd = np.ascontiguousarray(x.data)
    # sigmoid(v) = 0.5 tanh(v / 2) + 0.5: halve the i, f, o rows of the weights (exact)
    half = np.ones(4 * h, dtype=dtype)
    half[: 2 * h] = 0.5
    half[3 * h :] = 0.5
    shift = np.where(half == 0.5, dtype.type(0.5), dtype.type(0)).astype(dtype)
    bias = _bias_sum(b_ih, b_hh)
    w_ih_half = w_ih.data * half[:, None]
    bias_half = None if bias is None else bias * half
    w_hh_half = w_hh.data * half[:, None]
    h_init = _state("lstm", "h0", h0, b, h, dtype)
    c_init = _state("lstm", "c0", c0, b, h, dtype)
    kernels = _kernels()
    if kernels is not None:
        arrays = (xd, w_ih_half, bias_half, w_hh_half, w_ih.data, w_hh.data, h_init, c_init)
        return _lstm_fused(kernels, arrays, (x, w_ih, w_hh, b_ih, b_hh, h0, c0), reverse)

    parents = _parents(x, w_ih, w_hh, b_ih, b_hh, h0, c0)
    acts = _projection(xd, w_ih_half, bias_half)  # each step's gates, in place over it
    whh_t = w_hh_half.T
    packed = np.empty((t + 1, b, h), dtype=dtype)
    cells = np.empty((t, b, h), dtype=dtype)
    tanh_c = np.empty((t, b, h), dtype=dtype)
    h_prev, c_prev = h_init, c_init
    scratch = np.empty((b, 4 * h), dtype=dtype)
    for step in _order(t, reverse):
        a = acts[step]
        np.matmul(h_prev, whh_t, out=scratch)
        a += scratch
        np.tanh(a, out=a)
        a *= half
        a += shift
        c = cells[step]
        np.multiply(a[:, h : 2 * h], c_prev, out=c)
        c += a[:, :h] * a[:, 2 * h : 3 * h]
        np.tanh(c, out=tanh_c[step])
        np.multiply(a[:, 3 * h :], tanh_c[step], out=packed[step])
        h_prev, c_prev = packed[step], c
    packed[t] = c_prev
    if not any(p.requires_grad for p in parents):
        return Tensor._make(packed, parents, _no_backward, "lstm")

    # Factors for the backward, for all steps at once (vectorized, not per step):
    # dpre[i, f, g] = dc * m[:, :, 0:3], dpre[o] = dh * m[:, :, 3], dc += dh * o_factor.
    hs = packed[:t]
    c_before = _previous(cells, c_init, reverse)
    h_before = _previous(hs, h_init, reverse)
    a4 = acts.reshape(t, b, 4, h)
    gate_i, gate_f, gate_g, gate_o = a4[:, :, 0], a4[:, :, 1], a4[:, :, 2], a4[:, :, 3]
    m = np.empty((t, b, 4, h), dtype=dtype)
    np.multiply(gate_g, gate_i * (1 - gate_i), out=m[:, :, 0])
    np.multiply(c_before, gate_f * (1 - gate_f), out=m[:, :, 1])
    np.multiply(gate_i, 1 - gate_g * gate_g, out=m[:, :, 2])
    np.multiply(tanh_c, gate_o * (1 - gate_o), out=m[:, :, 3])
    o_factor = gate_o * (1 - tanh_c * tanh_c)
    forget = np.ascontiguousarray(gate_f)
    w_hh_data = w_hh.data

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        dpre = np.empty((t, b, 4 * h), dtype=dtype)
        d4 = dpre.reshape(t, b, 4, h)
        dh_next = np.zeros((b, h), dtype=dtype)
        dc_next = np.array(g[t], dtype=dtype)
        dh = np.empty((b, h), dtype=dtype)
        dc = np.empty((b, h), dtype=dtype)
        for step in reversed(_order(t, reverse)):
            np.add(g[step], dh_next, out=dh)
            np.multiply(dh, o_factor[step], out=dc)
            dc += dc_next
            np.multiply(m[step, :, :3], dc[:, None, :], out=d4[step, :, :3])
            np.multiply(m[step, :, 3], dh, out=d4[step, :, 3])
            np.multiply(dc, forget[step], out=dc_next)
            np.matmul(dpre[step], w_hh_data, out=dh_next)
        inputs = (x, w_ih, w_hh, b_ih, b_hh, h0, c0)
        grads = _weight_grads(dpre, dpre, xd, h_before, w_ih.data, inputs[:5])
        return _select([*grads, dh_next, dc_next], inputs)

    return Tensor._make(packed, parents, backward, "lstm")


def _kernels() -> Any:
    """The compiled step kernels, or None: the NumPy path (numba absent, turned off with
    ``HUMBLENET_FUSED=0``, or ``_use_kernels`` set False, as the tests do to compare)."""
    return recurrent_kernels() if _use_kernels else None


_use_kernels = True


def _tanh_in_place(a: np.ndarray) -> None:
    np.tanh(a, out=a)


def _lstm_fused(
    k: Any, arrays: tuple[Any, ...], inputs: tuple[Tensor | None, ...], reverse: bool
) -> Tensor:
    """``lstm_layer``'s loops with the compiled kernels, in a gates-first layout.

    The NumPy loops keep PyTorch's rows-first layout, ``(B, 4H)`` a step, and take the step's
    product as ``h @ w_hh.T``. OpenBLAS splits that product (64 rows, at the benchmark's size)
    poorly over two threads; its transpose, ``w_hh @ h.T`` with 512 rows, splits well: 50
    against 106 µs a step forward, 52 against 88 backward (B 64, H 128, two threads). So here
    every per-step array is gates first: the pre-activations ``(T, 4H, B)``, the states ``(T,
    H, B)``, each step a C-contiguous block with one unit per row over the batch (the kernels
    vectorize only over contiguous rows). The input projection and the bias are not a product
    of their own: each step's one product is ``[w_hh | w_ih | bias] @ [h_prev; x_t.T; 1]``,
    the right-hand side a slot of ``hx`` (``(T + 1, H + I + 1, B)``) into which the previous
    step wrote its ``h``. At the character model's size (T 32, I 32) that took 3.39 against
    3.97 ms a forward: the wider product costs 17 µs a step more, but the projection alone,
    inner size 32, took 0.6 ms, and its sum into each step another pass. The weight gradients
    are one product each over the step gradients, which the backward kernel writes side by
    side, ``(4H, T B)``, as in the NumPy path (each step's product reads its strided ``(4H,
    B)`` slice). The outputs go back to ``(T + 1, B, H)`` in one copy, the incoming gradient to
    gates first in one.

    A forward step is the product, ``tanh``, one kernel (gates and cell), ``tanh`` of the cell
    and the output's product. In float32 both ``tanh`` are the kernel ``tanh32`` (in place, a
    rational function in float32), which NumPy's float32 ``tanh`` was slower than on this
    project's machines: 15 against 85 µs a step for the gates (B 64, H 128). A backward step
    is one kernel and the product, and no factors are computed beforehand. A missing initial
    state is zero, so the first step leaves out its rows of the product, and the last backward
    step skips its product unless ``h0`` needs a gradient. The kernels' float operations are
    the NumPy path's, in the same order, but for that ``tanh`` (within 5.5 units in the last
    place of the exact value) and the products, which sum in another order; so the two paths
    agree to float rounding (``tests/test_recurrent_kernels.py``).
    """
    xd, w_ih_half, bias_half, w_hh_half, w_ih_data, w_hh_data, h_init, c_init = arrays
    h0 = inputs[5]
    t, b, i = xd.shape
    h = w_hh_data.shape[1]
    dtype = xd.dtype
    half = dtype.type(0.5)
    # each step's product [w_hh | w_ih | bias] @ [h_prev; x_t.T; 1], from the slots of ``hx``
    rows = h + i + (bias_half is not None)
    w_cat = np.empty((4 * h, rows), dtype=dtype)
    w_cat[:, :h] = w_hh_half
    w_cat[:, h : h + i] = w_ih_half
    if bias_half is not None:
        w_cat[:, h + i] = bias_half
    hx = np.empty((t + 1, rows, b), dtype=dtype)  # step s reads slot s + ahead, writes the next
    ahead, later = (1, -1) if reverse else (0, 1)
    xs = hx[ahead : ahead + t]
    xs[:, h : h + i] = xd.transpose(0, 2, 1)
    xs[:, h + i :] = 1
    acts = np.empty((t, 4 * h, b), dtype=dtype)  # (T, 4H, B): each step's gates
    cells = np.empty((t, h, b), dtype=dtype)
    tanh_c = np.empty((t, h, b), dtype=dtype)
    c_first = np.ascontiguousarray(c_init.T)
    order = _order(t, reverse)
    first = order[0]
    hx[first + ahead, :h] = h_init.T
    c_prev = c_first
    tanh = k.tanh32 if dtype == np.float32 else _tanh_in_place
    for step in order:
        a = acts[step]
        slot = hx[step + ahead]
        if step != first or h0 is not None:
            np.matmul(w_cat, slot, out=a)
        else:  # a missing initial state is zero: its rows of the product are skipped
            np.matmul(w_cat[:, h:], slot[h:], out=a)
        tanh(a)
        c = cells[step]
        k.lstm_gates(a, c_prev, c, tanh_c[step], half)
        tanh(tanh_c[step])
        np.multiply(a[3 * h :], tanh_c[step], out=hx[step + ahead + later, :h])
        c_prev = c
    hs = hx[1 - ahead : 1 - ahead + t, :h]  # step s's output, (T, H, B)
    packed = np.empty((t + 1, b, h), dtype=dtype)
    np.copyto(packed[:t], hs.transpose(0, 2, 1))
    packed[t] = c_prev.T
    parents = _parents(*inputs)
    if not any(p.requires_grad for p in parents):
        return Tensor._make(packed, parents, _no_backward, "lstm")

    def c_before(step: int) -> np.ndarray:  # the step before ``s`` in running order
        return c_first if step == first else cells[step - later]

    h0_grad = h0 is not None and h0.requires_grad
    w_hh_t = np.ascontiguousarray(w_hh_data.T)

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        g_first = np.empty((t, h, b), dtype=dtype)
        np.copyto(g_first, g[:t].transpose(0, 2, 1))
        dg = np.empty((4 * h, t, b), dtype=dtype)  # every step's gradient side by side
        dh_next = np.zeros((h, b), dtype=dtype)
        dc_next = np.array(g[t].T, dtype=dtype, order="C")
        one = dtype.type(1)
        for step in reversed(order):
            k.lstm_backward_step(
                g_first[step], dh_next, dc_next, acts[step], tanh_c[step], c_before(step), dg,
                step, one,
            )  # fmt: skip
            if step != first or h0_grad:
                np.matmul(w_hh_t, dg[:, step], out=dh_next)
        h_before = _previous(packed[:t], h_init, reverse)
        grads = _weight_grads_first(dg.reshape(4 * h, t * b), xd, h_before, w_ih_data, inputs)
        dh0 = np.ascontiguousarray(dh_next.T) if h0_grad else None
        return _select([*grads, dh0, np.ascontiguousarray(dc_next.T)], inputs)

    return Tensor._make(packed, parents, backward, "lstm")


def _weight_grads_first(
    dg: np.ndarray, x: np.ndarray, h_prev: np.ndarray, w_ih: np.ndarray, inputs: Any
) -> list[np.ndarray | None]:
    """:func:`_weight_grads` for gates-first gradients ``dg (G H, T B)`` (one array for the
    projection and the recurrent product, as the LSTM has): the same products, transposed."""
    t, b, i = x.shape
    needs = [p is not None and p.requires_grad for p in inputs[:5]]
    db_ih = _row_sums(dg) if needs[3] else None
    db_hh = None
    if needs[4]:  # both biases get the same sum: computed once, a copy each
        db_hh = _row_sums(dg) if db_ih is None else db_ih.copy()
    return [
        np.matmul(dg.T, w_ih).reshape(t, b, i) if needs[0] else None,
        np.matmul(dg, x.reshape(t * b, i)) if needs[1] else None,
        np.matmul(dg, h_prev.reshape(t * b, -1)) if needs[2] else None,
        db_ih,
        db_hh,
    ]


def _row_sums(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=1)`` as a matrix-vector product: BLAS's ``gemv`` reads the ``(4H, T B)``
    array once at memory speed, 36 against 213 µs at 512 x 2048 (NumPy sums each row pairwise
    on its own). The sums add in another order, so they agree with ``sum`` to float rounding."""
    return np.matmul(a, np.ones(a.shape[1], dtype=a.dtype))


def gru_layer(
    x: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    h0: Tensor | None = None,
    reverse: bool = False,
) -> Tensor:
    """One GRU layer in one direction, as torch's: ``r, z = sigmoid(x W_i + b_i + h W_h +
    b_h)`` (their rows), ``n = tanh(x W_in + b_in + r (h W_hn + b_hn))``, ``h = (1 - z) n + z h``.

    Returns the ``(T, B, H)`` Tensor of ``h_t`` at their time positions.
    """
    t, b, _, h = _check("gru", x, w_ih, w_hh, 3)
    dtype = x.dtype
    xd = np.ascontiguousarray(x.data)
    # r and z are sigmoids, computed as 0.5 tanh(v / 2) + 0.5: halve their rows (exact)
    half = np.ones(3 * h, dtype=dtype)
    half[: 2 * h] = 0.5
    gi = _projection(xd, w_ih.data * half[:, None], None if b_ih is None else b_ih.data * half)
    whh_t = (w_hh.data * half[:, None]).T
    bhh = None if b_hh is None else b_hh.data * half
    h_init = _state("gru", "h0", h0, b, h, dtype)

    out = np.empty((t, b, h), dtype=dtype)
    rz = np.empty((t, b, 2 * h), dtype=dtype)  # the gates r, z
    new = np.empty((t, b, h), dtype=dtype)  # n
    ghn = np.empty((t, b, h), dtype=dtype)  # h W_hn + b_hn, what r multiplies
    gh = np.empty((b, 3 * h), dtype=dtype)
    parents = _parents(x, w_ih, w_hh, b_ih, b_hh, h0)
    kernels = _kernels()
    if kernels is not None:
        arrays = (xd, gi, whh_t, w_ih.data, w_hh.data, bhh, h_init, out, rz, new, ghn, gh)
        return _gru_fused(kernels, arrays, (x, w_ih, w_hh, b_ih, b_hh, h0), reverse)
    h_prev = h_init
    for step in _order(t, reverse):
        np.matmul(h_prev, whh_t, out=gh)
        if bhh is not None:
            gh += bhh
        a = rz[step]
        np.add(gi[step, :, : 2 * h], gh[:, : 2 * h], out=a)
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
        ghn[step] = gh[:, 2 * h :]
        n = new[step]
        np.multiply(a[:, :h], gh[:, 2 * h :], out=n)
        n += gi[step, :, 2 * h :]
        np.tanh(n, out=n)
        hs = out[step]
        np.subtract(h_prev, n, out=hs)
        hs *= a[:, h:]
        hs += n
        h_prev = hs
    if not any(p.requires_grad for p in parents):
        return Tensor._make(out, parents, _no_backward, "gru")

    # Factors for all steps at once: dn_pre = dh * a_n, dz_pre = dh * a_z,
    # dr_pre = dn_pre * a_r, and dh_prev gets dh * z directly.
    h_before = _previous(out, h_init, reverse)
    r, z = rz[:, :, :h], rz[:, :, h:]
    a_n = (1 - z) * (1 - new * new)
    a_z = (h_before - new) * z * (1 - z)
    a_r = ghn * r * (1 - r)
    r_c = np.ascontiguousarray(r)
    z_c = np.ascontiguousarray(z)
    w_hh_data = w_hh.data

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        dgi = np.empty((t, b, 3 * h), dtype=dtype)
        dgh = np.empty((t, b, 3 * h), dtype=dtype)
        dh_next = np.zeros((b, h), dtype=dtype)
        dh = np.empty((b, h), dtype=dtype)
        for step in reversed(_order(t, reverse)):
            np.add(g[step], dh_next, out=dh)
            d_i, d_h = dgi[step], dgh[step]
            dn = d_i[:, 2 * h :]
            np.multiply(dh, a_n[step], out=dn)
            np.multiply(dh, a_z[step], out=d_i[:, h : 2 * h])
            np.multiply(dn, a_r[step], out=d_i[:, :h])
            d_h[:, : 2 * h] = d_i[:, : 2 * h]
            np.multiply(dn, r_c[step], out=d_h[:, 2 * h :])
            np.matmul(d_h, w_hh_data, out=dh_next)
            dh *= z_c[step]
            dh_next += dh
        inputs = (x, w_ih, w_hh, b_ih, b_hh, h0)
        grads = _weight_grads(dgi, dgh, xd, h_before, w_ih.data, inputs[:5])
        return _select([*grads, dh_next], inputs)

    return Tensor._make(out, parents, backward, "gru")


def _gru_fused(
    k: Any, arrays: tuple[Any, ...], inputs: tuple[Tensor | None, ...], reverse: bool
) -> Tensor:
    """``gru_layer``'s loops with the compiled kernels: the same numbers as the NumPy loops.
    A forward step is 6 calls (13 in the NumPy loop), a backward step 3 (8), with no factors
    computed beforehand; a missing initial state skips the first product, as for the LSTM."""
    xd, gi, whh_t, w_ih_data, w_hh_data, bhh, h_init, out, rz, new, ghn, gh = arrays
    h0 = inputs[5]
    t, b, h = out.shape
    dtype = out.dtype
    half = dtype.type(0.5)
    bias = np.empty(0, dtype=dtype) if bhh is None else np.ascontiguousarray(bhh)
    order = _order(t, reverse)
    first = order[0]
    h_prev = h_init
    for step in order:
        if step != first or h0 is not None:
            np.matmul(h_prev, whh_t, out=gh)
        else:
            gh.fill(0)
        k.gru_gates(gh, bias, gi[step], rz[step])
        np.tanh(rz[step], out=rz[step])
        k.gru_new(rz[step], gh, gi[step], ghn[step], new[step], half)
        np.tanh(new[step], out=new[step])
        k.gru_output(h_prev, new[step], rz[step], out[step])
        h_prev = out[step]
    parents = _parents(*inputs)
    if not any(p.requires_grad for p in parents):
        return Tensor._make(out, parents, _no_backward, "gru")
    h_before = _previous(out, h_init, reverse)
    h0_grad = h0 is not None and h0.requires_grad

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        g = np.ascontiguousarray(g, dtype=dtype)
        dgi = np.empty((t, b, 3 * h), dtype=dtype)
        dgh = np.empty((t, b, 3 * h), dtype=dtype)
        dh_next = np.zeros((b, h), dtype=dtype)
        carry = np.empty((b, h), dtype=dtype)
        one = dtype.type(1)
        for step in reversed(order):
            k.gru_backward_step(
                g[step], dh_next, rz[step], new[step], ghn[step], h_before[step], dgi[step],
                dgh[step], carry, one,
            )  # fmt: skip
            if step != first or h0_grad:
                np.matmul(dgh[step], w_hh_data, out=dh_next)
                dh_next += carry
        grads = _weight_grads(dgi, dgh, xd, h_before, w_ih_data, inputs[:5])
        return _select([*grads, dh_next if h0_grad else None], inputs)

    return Tensor._make(out, parents, backward, "gru")


def rnn_layer(
    x: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    h0: Tensor | None = None,
    reverse: bool = False,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One plain (Elman) RNN layer in one direction, as torch's:
    ``h = tanh(x W_ih.T + b_ih + h W_hh.T + b_hh)`` (or ``relu``).

    Returns the ``(T, B, H)`` Tensor of ``h_t`` at their time positions.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    t, b, _, h = _check("rnn", x, w_ih, w_hh, 1)
    dtype = x.dtype
    xd = np.ascontiguousarray(x.data)
    out = _projection(xd, w_ih.data, _bias_sum(b_ih, b_hh))  # each step computed in place
    whh_t = w_hh.data.T
    h_init = _state("rnn", "h0", h0, b, h, dtype)
    scratch = np.empty((b, h), dtype=dtype)
    h_prev = h_init
    for step in _order(t, reverse):
        a = out[step]
        np.matmul(h_prev, whh_t, out=scratch)
        a += scratch
        if nonlinearity == "tanh":
            np.tanh(a, out=a)
        else:
            np.maximum(a, 0, out=a)
        h_prev = a
    parents = _parents(x, w_ih, w_hh, b_ih, b_hh, h0)
    if not any(p.requires_grad for p in parents):
        return Tensor._make(out, parents, _no_backward, "rnn")
    h_before = _previous(out, h_init, reverse)
    slope = 1 - out * out if nonlinearity == "tanh" else (out > 0).astype(dtype)
    w_hh_data = w_hh.data

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        dpre = np.empty((t, b, h), dtype=dtype)
        dh_next = np.zeros((b, h), dtype=dtype)
        for step in reversed(_order(t, reverse)):
            d = dpre[step]
            np.add(g[step], dh_next, out=d)
            d *= slope[step]
            np.matmul(d, w_hh_data, out=dh_next)
        inputs = (x, w_ih, w_hh, b_ih, b_hh, h0)
        grads = _weight_grads(dpre, dpre, xd, h_before, w_ih.data, inputs[:5])
        return _select([*grads, dh_next], inputs)

    return Tensor._make(out, parents, backward, "rnn")


def _no_backward(g: np.ndarray) -> tuple[()]:
    raise AssertionError("a recurrent node made without gradients was differentiated")
