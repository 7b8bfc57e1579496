"""The compiled step kernels of the LSTM and GRU (``humblenet._recurrent_kernels``) give the
numbers of the NumPy loops in ``humblenet.recurrent``.

The GRU's kernels run the NumPy path's float operations in the same order and dtype, so its
outputs and every gradient (input, weights, biases, initial states) are equal, in float32 and
float64, both directions, with and without biases and initial states, for sequences of 1 and 6
steps and through a two-layer bidirectional ``nn.GRU``. ``assert_array_equal`` counts -0.0
equal to 0.0: where the NumPy path adds a zero product for a missing initial state, the kernel
path skips it, which can only change the sign of a zero.

The LSTM's kernel path runs gates first (``w_hh @ h.T``, which OpenBLAS splits better over two
threads than ``h @ w_hh.T``): its elementwise operations are the NumPy path's, in the same
order, but the matrix products and the bias sums add their terms in another order. So the
LSTM's two paths agree to the rounding of those sums: a few units in the last place of
float32 (``rtol`` 2e-6 here) and of float64 (1e-13), checked over the same options. The oracle
tests against torch (tests/oracle/test_oracle_recurrent.py) and gradcheck run the kernel path,
which is the default when numba is installed (the test extra installs it).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from humblenet import Tensor, _recurrent_kernels, nn
from humblenet import recurrent as R

LAYERS = {"lstm": (R.lstm_layer, 4), "gru": (R.gru_layer, 3)}
OPTIONS = list(itertools.product(["lstm", "gru"], [np.float32, np.float64], [1, 6]))


def run_layer(
    kind: str, dtype: type, steps: int, reverse: bool, bias: bool, state: bool
) -> list[np.ndarray]:
    """Output and every gradient of one primitive on seeded inputs (batch 3, input 4, hidden 5)."""
    function, gates = LAYERS[kind]
    rng = np.random.default_rng(0)

    def tensor(*shape: int) -> Tensor:
        return Tensor((rng.standard_normal(shape) * 0.6).astype(dtype), requires_grad=True)

    x, w_ih, w_hh = tensor(steps, 3, 4), tensor(gates * 5, 4), tensor(gates * 5, 5)
    biases = [tensor(gates * 5), tensor(gates * 5)] if bias else [None, None]
    states = [tensor(3, 5) if state else None for _ in range(2 if kind == "lstm" else 1)]
    inputs = [x, w_ih, w_hh, *biases, *states]
    out = function(*inputs, reverse=reverse)
    out.backward(rng.standard_normal(out.shape).astype(dtype))
    return [out.data] + [p.grad for p in inputs if p is not None]


def both_paths(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[Any, Any]:
    monkeypatch.setattr(R, "_use_kernels", True)
    fused = run()
    monkeypatch.setattr(R, "_use_kernels", False)
    plain = run()
    return fused, plain


def assert_equal(fused: list[np.ndarray], plain: list[np.ndarray], kind: str = "gru") -> None:
    """Equal for the GRU; for the LSTM, equal to the rounding of sums taken in another order
    (relative to the largest value of each array, as a sum's rounding error scales)."""
    assert len(fused) == len(plain)
    for a, b in zip(fused, plain, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        if kind == "gru":
            np.testing.assert_array_equal(a, b)
        else:
            rtol = 2e-6 if a.dtype == np.float32 else 1e-13
            scale = max(float(np.abs(b).max()), 1.0)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def test_the_kernels_are_available() -> None:
    """The test extra installs numba; without it the tests below would compare NumPy to NumPy."""
    assert _recurrent_kernels.recurrent_kernels() is not None


@pytest.mark.parametrize(("kind", "dtype", "steps"), OPTIONS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(("bias", "state"), [(True, False), (True, True), (False, True)])
def test_kernels_give_the_numbers_of_the_numpy_loops(
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    dtype: type,
    steps: int,
    reverse: bool,
    bias: bool,
    state: bool,
) -> None:
    fused, plain = both_paths(
        monkeypatch, lambda: run_layer(kind, dtype, steps, reverse, bias, state)
    )
    assert_equal(fused, plain, kind)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_two_bidirectional_layers_agree_end_to_end(
    monkeypatch: pytest.MonkeyPatch, cls: type
) -> None:
    def run() -> list[np.ndarray]:
        layer = cls(4, 5, num_layers=2, bidirectional=True, batch_first=True, seed=0)
        x = Tensor(np.random.default_rng(1).standard_normal((3, 7, 4)).astype(np.float32))
        x.requires_grad = True
        out, state = layer(x)
        finals = state if isinstance(state, tuple) else (state,)
        total = (out * out).sum()
        for s in finals:
            total = total + (s * s).sum()
        total.backward()
        return [out.data, *(s.data for s in finals), x.grad] + [p.grad for p in layer.parameters()]

    fused, plain = both_paths(monkeypatch, run)
    assert_equal(fused, plain, cls.__name__.lower())


def test_an_initial_state_that_needs_no_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel path skips the last backward product when h0 needs no gradient; the other
    gradients must not change."""

    def run() -> list[np.ndarray]:
        rng = np.random.default_rng(2)
        x = Tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
        w_ih = Tensor(rng.standard_normal((16, 3)) * 0.5, requires_grad=True)
        w_hh = Tensor(rng.standard_normal((16, 4)) * 0.5, requires_grad=True)
        h0, c0 = Tensor(rng.standard_normal((2, 4))), Tensor(rng.standard_normal((2, 4)))
        out = R.lstm_layer(x, w_ih, w_hh, None, None, h0, c0)
        out.sum().backward()
        assert h0.grad is None and c0.grad is None
        return [out.data, x.grad, w_ih.grad, w_hh.grad]

    fused, plain = both_paths(monkeypatch, run)
    assert_equal(fused, plain, "lstm")


def test_the_environment_can_turn_the_kernels_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_recurrent_kernels, "_kernels", {})
    monkeypatch.setenv("HUMBLENET_FUSED", "0")
    assert _recurrent_kernels.recurrent_kernels() is None
    monkeypatch.setattr(_recurrent_kernels, "_kernels", {})
    monkeypatch.delenv("HUMBLENET_FUSED")
    assert _recurrent_kernels.recurrent_kernels() is not None


def test_the_float32_tanh_kernel_is_within_a_few_units_in_the_last_place() -> None:
    """``tanh32`` against float64's tanh on 3 million float32 inputs (uniform over ±11, so past
    the clamp at 9.1, and log-uniform down to 1e-40, subnormals included): within 5.5 units in
    the last place of the exact value (an exhaustive run over every positive float32 below 10.5
    found 5.44 at worst), within one unit on average, never above 1 in size, odd, and the
    special values as NumPy's."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-11, 11, 2_000_000), 10 ** rng.uniform(-40, 0, 1_000_000)])
    x = x.astype(np.float32).reshape(-1, 1000)
    got = x.copy()
    kernels = _recurrent_kernels.recurrent_kernels()
    assert kernels is not None
    kernels.tanh32(got)
    exact = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    error = np.abs(got - exact) / ulp
    assert error.max() < 5.5
    assert error.mean() < 1.0
    assert np.abs(got).max() <= 1.0
    minus = -x
    kernels.tanh32(minus)
    np.testing.assert_array_equal(minus, -got)
    special = np.array([[np.nan, np.inf, -np.inf, 0.0, -0.0, 10.0, -10.0, 3e38]], np.float32)
    expected = np.tanh(special)
    kernels.tanh32(special)
    np.testing.assert_array_equal(special, expected)
    assert np.signbit(special[0, 4]) and not np.signbit(special[0, 3])


def test_the_lstm_uses_the_tanh_kernel_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    """The float32 LSTM's forward goes through ``tanh32`` (twice a step) and float64's does not;
    with NumPy's tanh put in its place, the outputs agree to a few units in the last place of
    float32 (the kernel's own error is up to 5.5 of them, and carries over six steps)."""
    kernels = _recurrent_kernels.recurrent_kernels()
    assert kernels is not None
    calls = {"n": 0}
    real = kernels.tanh32

    def counted(a: np.ndarray) -> None:
        calls["n"] += 1
        real(a)

    def numpy_tanh(a: np.ndarray) -> None:
        np.tanh(a, out=a)

    outputs = []
    for tanh in (counted, numpy_tanh):
        monkeypatch.setattr(kernels, "tanh32", tanh)
        outputs.append(run_layer("lstm", np.float32, 6, False, True, True)[0])
    assert calls["n"] == 12
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=2e-6, atol=1e-6)
    calls["n"] = 0
    monkeypatch.setattr(kernels, "tanh32", counted)
    run_layer("lstm", np.float64, 6, False, True, True)
    assert calls["n"] == 0
