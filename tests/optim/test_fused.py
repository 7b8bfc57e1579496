"""Adam's compiled single-pass kernel (``humblenet.optim._fused``) equals its NumPy passes.

The kernel runs the same float operations in the same order and dtype as ``Adam._flat_update``'s
NumPy passes, so both give the same bits: weights and state after 2 · FLUSH_EVERY + 1 steps of
random gradients on a small network's parameters (odd sizes, a scalar and an empty one), in
float32 and float64, for every weight-decay mode and a change of hyperparameters mid-run. The
flat path's agreement with the reference path and with torch is tested, through the same
``step()``, in test_optim_fast_path.py and test_optim_optimizers.py, which run the kernel too
when numba is installed (the test extra installs it).
"""

from typing import Any

import numpy as np
import pytest

from humblenet import Tensor
from humblenet.optim import Adam, AdamW, _fused
from humblenet.optim._flat import FLUSH_EVERY

SHAPES = [(7, 5), (7,), (3, 7), (3,), (), (0, 3), (2, 1, 3)]
STEPS = 2 * FLUSH_EVERY + 1

CASES: list[tuple[type[Adam], dict[str, Any]]] = [
    (Adam, {"learning_rate": 0.05}),
    (Adam, {"learning_rate": 0.05, "weight_decay": 0.1}),
    (Adam, {"learning_rate": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    (AdamW, {"learning_rate": 0.05}),
    (AdamW, {"learning_rate": 0.05, "weight_decay": 0.2, "eps": 1e-3}),
]
IDS = [f"{cls.__name__}-{kwargs}" for cls, kwargs in CASES]


def parameters(dtype: type) -> list[Tensor]:
    rng = np.random.default_rng(0)
    return [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]


def run(
    cls: type[Adam], kwargs: dict[str, Any], dtype: type, fused: bool, change_at: int = -1
) -> tuple[list[Tensor], Adam]:
    """STEPS steps of seeded random gradients (with one exact 0, the dead-unit case)."""
    params = parameters(dtype)
    optimizer = cls(params, **kwargs)
    optimizer._use_fused_kernel = fused
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        if step == change_at:  # a schedule or the user changes hyperparameters mid-run
            optimizer.learning_rate *= 0.5
            optimizer.betas = (0.85, 0.995)
        for p in params:
            p.grad = (rng.standard_normal(p.shape) * 0.1).astype(dtype)
            if p.grad.size:
                p.grad.flat[0] = 0.0
        optimizer.step()
    return params, optimizer


def assert_same_bits(a: tuple[list[Tensor], Adam], b: tuple[list[Tensor], Adam]) -> None:
    for p, q in zip(a[0], b[0], strict=True):
        assert p.data.dtype == q.data.dtype
        np.testing.assert_array_equal(p.data, q.data, strict=True)
    for s, t in zip(a[1].state, b[1].state, strict=True):
        assert s.keys() == t.keys()
        for name in s:
            np.testing.assert_array_equal(s[name], t[name], strict=True)


def test_the_kernel_is_available() -> None:
    """The test extra installs numba; without it the tests below would compare NumPy to NumPy."""
    assert _fused.adam_kernel() is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=IDS)
def test_kernel_equals_the_numpy_passes_bit_for_bit(
    cls: type[Adam], kwargs: dict[str, Any], dtype: type
) -> None:
    assert_same_bits(run(cls, kwargs, dtype, fused=True), run(cls, kwargs, dtype, fused=False))


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=IDS)
def test_kernel_equals_the_numpy_passes_across_a_change_of_hyperparameters(
    cls: type[Adam], kwargs: dict[str, Any]
) -> None:
    fused = run(cls, kwargs, np.float32, fused=True, change_at=10)
    assert_same_bits(fused, run(cls, kwargs, np.float32, fused=False, change_at=10))


def count_kernel_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    kernel = _fused.adam_kernel()
    assert kernel is not None
    calls = [0]

    def counted(*args: Any) -> None:
        calls[0] += 1
        kernel(*args)

    monkeypatch.setattr(_fused, "adam_kernel", lambda: counted)
    return calls


def test_the_kernel_runs_once_per_parameter_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_kernel_calls(monkeypatch)
    fused = run(Adam, {"learning_rate": 0.05}, np.float32, fused=True)
    assert calls[0] == STEPS * len(SHAPES)
    assert_same_bits(fused, run(Adam, {"learning_rate": 0.05}, np.float32, fused=False))


@pytest.mark.parametrize(
    "case",
    ["amsgrad", "learning rate 0", "a transposed parameter", "float16"],
)
def test_numpy_passes_where_the_kernel_cannot_run(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """amsgrad, a learning rate of 0, a non-contiguous array or another dtype: no kernel call,
    and the step still moves the weights as the NumPy passes do."""
    calls = count_kernel_calls(monkeypatch)
    dtype = np.float16 if case == "float16" else np.float32
    results = []
    for fused in (True, False):
        rng = np.random.default_rng(2)
        params = [Tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True)]
        params.append(Tensor(np.ones(3, dtype=dtype), requires_grad=True))
        if case == "a transposed parameter":
            params[0].data = np.ascontiguousarray(params[0].data).T
        optimizer = Adam(params, learning_rate=0.1, amsgrad=case == "amsgrad")
        optimizer._use_fused_kernel = fused
        if case == "learning rate 0":
            optimizer.learning_rate = 0.0
        grads = [np.full(p.shape, 0.5, dtype=dtype) for p in params]
        for _ in range(3):
            for p, g in zip(params, grads):
                p.grad = g.copy()
            optimizer.step()
        results.append((params, optimizer))
    assert calls[0] == 0
    assert_same_bits(results[0], results[1])
    moved = not np.array_equal(results[0][0][1].data, np.ones(3, dtype=dtype))
    assert moved == (case != "learning rate 0")


def test_the_environment_can_turn_the_kernel_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fused, "_kernels", {})
    monkeypatch.setenv("HUMBLENET_FUSED", "0")
    assert _fused.adam_kernel() is None
    monkeypatch.setattr(_fused, "_kernels", {})
    monkeypatch.delenv("HUMBLENET_FUSED")
    assert _fused.adam_kernel() is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_kernels_flush_of_subnormal_state_equals_the_flush_pass(dtype: type) -> None:
    """On every FLUSH_EVERY-th step the kernel stores subnormal averages as +0 itself; the
    numbers equal those of the NumPy passes followed by ``flush_subnormals``, bit for bit.
    Gradients of about sqrt(tiny) make ṽ subnormal within a step (and some exact zeros, -0 and
    a gradient that stops, m̃ decaying towards the subnormals)."""
    tiny = np.finfo(dtype).tiny
    results, subnormal_before = [], []
    for fused in (True, False):
        rng = np.random.default_rng(5)
        params = [Tensor(rng.standard_normal(64).astype(dtype), requires_grad=True)]
        params.append(Tensor(rng.standard_normal((4, 8)).astype(dtype), requires_grad=True))
        optimizer = Adam(params, learning_rate=0.01)
        optimizer._use_fused_kernel = fused
        for step in range(1, STEPS + 1):
            for p in params:
                g = (rng.standard_normal(p.shape) * np.sqrt(tiny) * 0.3).astype(dtype)
                g.reshape(-1)[:3] = (0.0, -0.0, 1.0)
                if step > 3:
                    g.reshape(-1)[3:6] = 0.0  # a unit that died: its m̃ decays
                p.grad = g
            optimizer.step()
            if step == FLUSH_EVERY - 1:
                v = optimizer._flat.arrays["exp_average_square"]
                subnormal_before.append(int(np.sum((v != 0) & (np.abs(v) < tiny))))
        results.append((params, optimizer))
        for array in optimizer._flat.arrays.values():  # the last flush was at step 2 * 16
            assert array.dtype == dtype
    assert subnormal_before[0] > 10 and subnormal_before[0] == subnormal_before[1]
    assert_same_bits(results[0], results[1])
