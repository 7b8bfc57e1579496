"""Tests for humblenet.optim's optimizers: SGD, Adagrad, RMSprop, Adam, AdamW and the registry.

Each optimizer is checked four ways:

- one or two steps worked by hand: the update rule written out with plain Python floats;
- 20 steps on a small nonlinear least-squares problem against ``torch.optim`` from the same
  start, in float64 (gradients from humblenet's autograd on our side, torch's on theirs),
  agreeing to 1e-10 relative, over several hyperparameter combinations;
- float32 parameters stay float32, updated in the same arrays (no rebinding);
- convergence on Rosenbrock's function to within 1e-3 of its minimum (1, 1).

Every invalid hyperparameter is checked for its exception type and message. Most tests here
optimize two parameters at once, so they run the flat path (all parameters at once) while both
have gradients; test_optim_fast_path.py checks that it gives the reference path's numbers.
Schedules and gradient clipping have their own files.
"""

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from humblenet import Tensor, optim
from humblenet.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    CosineAnnealingLR,
    Optimizer,
    RMSprop,
)

RELATIVE_TOLERANCE = 1e-10

OURS = {"SGD": SGD, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW}
THEIRS = {
    "SGD": torch.optim.SGD,
    "Adagrad": torch.optim.Adagrad,
    "RMSprop": torch.optim.RMSprop,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
}
# torch's keyword names that humblenet spells out.
OUR_NAMES = {"lr": "learning_rate", "lr_decay": "learning_rate_decay"}


def ours_from_torch_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {OUR_NAMES.get(key, key): value for key, value in kwargs.items()}


def parameter(values: Any, dtype: Any = np.float64) -> Tensor:
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# --- one or two steps worked by hand ------------------------------------------------------------
W0 = [1.0, -2.0]
G1 = [0.5, -1.5]
G2 = [-0.25, 2.0]


def run_steps(optimizer_class: type, grads: list[list[float]], **kwargs: Any) -> list[float]:
    """Apply ``grads`` (set by hand, one per step) to W0; return the final weights."""
    w = parameter(W0)
    optimizer = optimizer_class([w], **kwargs)
    for g in grads:
        w.grad = np.array(g)
        optimizer.step()
    return w.data.tolist()


def test_sgd_one_step_by_hand() -> None:
    lr, decay = 0.1, 0.01
    expected = [w - lr * (g + decay * w) for w, g in zip(W0, G1)]
    assert run_steps(SGD, [G1], learning_rate=lr, weight_decay=decay) == pytest.approx(
        expected, rel=1e-15
    )
    # [1 - 0.1 * (0.5 + 0.01), -2 - 0.1 * (-1.5 - 0.02)] = [0.949, -1.848]
    assert expected == pytest.approx([0.949, -1.848], rel=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_two_steps_by_hand(nesterov: bool) -> None:
    lr, momentum = 0.1, 0.9
    expected = []
    for w, g1, g2 in zip(W0, G1, G2):
        buffer = g1  # the buffer starts at the first gradient
        w -= lr * (g1 + momentum * buffer if nesterov else buffer)
        buffer = momentum * buffer + g2
        w -= lr * (g2 + momentum * buffer if nesterov else buffer)
        expected.append(w)
    result = run_steps(SGD, [G1, G2], learning_rate=lr, momentum=momentum, nesterov=nesterov)
    assert result == pytest.approx(expected, rel=1e-14)


def test_sgd_dampening_two_steps_by_hand() -> None:
    lr, momentum, dampening = 0.1, 0.5, 0.25
    expected = []
    for w, g1, g2 in zip(W0, G1, G2):
        buffer = g1  # undampened on the first step, as in PyTorch
        w -= lr * buffer
        buffer = momentum * buffer + (1 - dampening) * g2
        w -= lr * buffer
        expected.append(w)
    result = run_steps(SGD, [G1, G2], learning_rate=lr, momentum=momentum, dampening=dampening)
    assert result == pytest.approx(expected, rel=1e-14)


def test_adagrad_two_steps_by_hand() -> None:
    lr, lr_decay, initial, eps = 0.5, 0.1, 0.2, 1e-10
    expected = []
    for w, g1, g2 in zip(W0, G1, G2):
        total = initial + g1 * g1
        w -= lr / (1 + 0 * lr_decay) * g1 / (math.sqrt(total) + eps)
        total += g2 * g2
        w -= lr / (1 + 1 * lr_decay) * g2 / (math.sqrt(total) + eps)
        expected.append(w)
    result = run_steps(
        Adagrad,
        [G1, G2],
        learning_rate=lr,
        learning_rate_decay=lr_decay,
        initial_accumulator_value=initial,
    )
    assert result == pytest.approx(expected, rel=1e-14)


def test_rmsprop_one_step_by_hand() -> None:
    lr, alpha, eps = 0.01, 0.99, 1e-8
    # v = (1 - alpha) g², so the step is lr * g / (|g| sqrt(0.01) + eps) = ±0.1 (nearly)
    expected = [w - lr * g / (math.sqrt((1 - alpha) * g * g) + eps) for w, g in zip(W0, G1)]
    assert run_steps(RMSprop, [G1]) == pytest.approx(expected, rel=1e-15)
    assert expected == pytest.approx([0.9, -1.9], rel=1e-7)


def test_rmsprop_centered_momentum_two_steps_by_hand() -> None:
    lr, alpha, eps, momentum = 0.01, 0.9, 1e-8, 0.5
    expected = []
    for w, g1, g2 in zip(W0, G1, G2):
        square, mean, buffer = 0.0, 0.0, 0.0
        for g in (g1, g2):
            square = alpha * square + (1 - alpha) * g * g
            mean = alpha * mean + (1 - alpha) * g
            buffer = momentum * buffer + g / (math.sqrt(square - mean * mean) + eps)
            w -= lr * buffer
        expected.append(w)
    result = run_steps(
        RMSprop, [G1, G2], learning_rate=lr, alpha=alpha, momentum=momentum, centered=True
    )
    assert result == pytest.approx(expected, rel=1e-13)


def test_rmsprop_centered_with_a_constant_gradient_stays_finite() -> None:
    # With a constant gradient, v − m² tends to 0 and rounding can make it a hair negative
    # (−5.6e-17 here): a square root would turn that into nan (with a warning); it is clipped at 0.
    w = parameter([0.0])
    optimizer = RMSprop([w], learning_rate=0.01, alpha=0.5, centered=True)
    for _ in range(100):
        w.grad = np.array([0.7])
        optimizer.step()
    assert np.isfinite(w.data).all()


def adam_by_hand(
    grads: list[list[float]], lr: float, beta1: float, beta2: float, eps: float, decoupled: float
) -> list[float]:
    expected = []
    for index, w in enumerate(W0):
        m = v = 0.0
        for t, step_grads in enumerate(grads, start=1):
            g = step_grads[index]
            w *= 1 - lr * decoupled
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            w -= lr * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(w)
    return expected


def test_adam_first_step_moves_each_weight_by_the_learning_rate() -> None:
    # After bias correction m̂ = g and v̂ = g², so the first step is lr * g / (|g| + eps).
    expected = [w - 0.001 * g / (abs(g) + 1e-8) for w, g in zip(W0, G1)]
    assert run_steps(Adam, [G1]) == pytest.approx(expected, rel=1e-14)


def test_adam_two_steps_by_hand() -> None:
    expected = adam_by_hand([G1, G2], 0.1, 0.8, 0.99, 1e-6, decoupled=0.0)
    result = run_steps(Adam, [G1, G2], learning_rate=0.1, betas=(0.8, 0.99), eps=1e-6)
    assert result == pytest.approx(expected, rel=1e-14)


def test_adamw_two_steps_by_hand() -> None:
    expected = adam_by_hand([G1, G2], 0.1, 0.9, 0.999, 1e-8, decoupled=0.05)
    result = run_steps(AdamW, [G1, G2], learning_rate=0.1, weight_decay=0.05)
    assert result == pytest.approx(expected, rel=1e-14)


def test_adam_l2_weight_decay_enters_the_gradient() -> None:
    decay = 0.3
    decayed = [[g + decay * w for g, w in zip(G1, W0)]]
    expected = adam_by_hand(decayed, 0.1, 0.9, 0.999, 1e-8, decoupled=0.0)
    assert run_steps(Adam, [G1], learning_rate=0.1, weight_decay=decay) == pytest.approx(
        expected, rel=1e-14
    )


# --- 20 steps against torch.optim ---------------------------------------------------------------
RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=(6, 2))
WEIGHT0 = RNG.normal(size=(3, 2))
BIAS0 = RNG.normal(size=2)


def loss_of(weight: Any, bias: Any, x: Any, y: Any) -> Any:
    """Mean squared error of a linear model plus a quartic penalty (not a quadratic)."""
    return ((x @ weight + bias - y) ** 2).mean() + (weight**4).sum() * 0.1


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1}),
    (
        "Adagrad",
        {"lr": 0.2, "lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.5},
    ),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.02, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "centered": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "amsgrad": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.2, "amsgrad": True}),
]


def run_ours(name: str, kwargs: dict[str, Any], steps: int, skip: Callable[[int], bool]) -> list:
    weight, bias = parameter(WEIGHT0), parameter(BIAS0)
    optimizer = OURS[name]([weight, bias], **ours_from_torch_kwargs(kwargs))
    x, y = Tensor(X), Tensor(Y)
    history = []
    for step in range(steps):
        optimizer.zero_grad()
        loss_of(weight, bias, x, y).backward()
        if skip(step):
            bias.grad = None
        optimizer.step()
        history.append((weight.data.copy(), bias.data.copy()))
    return history


def run_theirs(name: str, kwargs: dict[str, Any], steps: int, skip: Callable[[int], bool]) -> list:
    weight = torch.tensor(WEIGHT0, requires_grad=True)
    bias = torch.tensor(BIAS0, requires_grad=True)
    optimizer = THEIRS[name]([weight, bias], **kwargs)
    x, y = torch.tensor(X), torch.tensor(Y)
    history = []
    for step in range(steps):
        optimizer.zero_grad()
        loss_of(weight, bias, x, y).backward()
        if skip(step):
            bias.grad = None
        optimizer.step()
        history.append((weight.detach().numpy().copy(), bias.detach().numpy().copy()))
    return history


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_twenty_steps_match_torch(name: str, kwargs: dict[str, Any]) -> None:
    # The bias gets no gradient on every third step: skipped there, by both libraries.
    def skip(step: int) -> bool:
        return step % 3 == 2

    ours = run_ours(name, kwargs, 20, skip)
    theirs = run_theirs(name, kwargs, 20, skip)
    for step, ((w, b), (tw, tb)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(w, tw, rtol=RELATIVE_TOLERANCE, atol=0, err_msg=f"step {step}")
        np.testing.assert_allclose(b, tb, rtol=RELATIVE_TOLERANCE, atol=0, err_msg=f"step {step}")
    # The parameters did move (the comparison is not between two unchanged starts).
    assert np.abs(ours[-1][0] - WEIGHT0).max() > 1e-2


def test_schedule_inside_training_matches_torch() -> None:
    """Adam with a cosine schedule stepped after every update: the new rates are used."""
    weight, bias = parameter(WEIGHT0), parameter(BIAS0)
    optimizer = Adam([weight, bias], learning_rate=0.1)
    schedule = CosineAnnealingLR(optimizer, total_steps=8, minimum_learning_rate=0.01)
    torch_weight = torch.tensor(WEIGHT0, requires_grad=True)
    torch_bias = torch.tensor(BIAS0, requires_grad=True)
    torch_optimizer = torch.optim.Adam([torch_weight, torch_bias], lr=0.1)
    torch_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(torch_optimizer, 8, 0.01)
    for _ in range(12):
        optimizer.zero_grad()
        loss_of(weight, bias, Tensor(X), Tensor(Y)).backward()
        optimizer.step()
        schedule.step()
        torch_optimizer.zero_grad()
        loss_of(torch_weight, torch_bias, torch.tensor(X), torch.tensor(Y)).backward()
        torch_optimizer.step()
        torch_schedule.step()
    np.testing.assert_allclose(weight.data, torch_weight.detach().numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(bias.data, torch_bias.detach().numpy(), rtol=1e-10, atol=0)


# --- dtype and in-place updates -----------------------------------------------------------------
FULL_OPTIONS: list[tuple[type, dict[str, Any]]] = [
    (SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9, "dampening": 0.5}),
    (SGD, {"learning_rate": 0.05}),
    (Adagrad, {"learning_rate": 0.1, "learning_rate_decay": 0.01, "weight_decay": 0.1}),
    (RMSprop, {"momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    (RMSprop, {}),
    (Adam, {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (Adam, {}),
    (AdamW, {"learning_rate": 0.01, "amsgrad": True}),
]


@pytest.mark.parametrize(
    "optimizer_class, kwargs", FULL_OPTIONS, ids=[f"{c.__name__}-{k}" for c, k in FULL_OPTIONS]
)
def test_float32_stays_float32_and_updates_in_place(
    optimizer_class: type, kwargs: dict[str, Any]
) -> None:
    results = {}
    for dtype in (np.float32, np.float64):
        weight, bias = parameter(WEIGHT0, dtype), parameter(BIAS0, dtype)
        arrays = (weight.data, bias.data)
        optimizer = optimizer_class([weight, bias], **kwargs)
        x, y = Tensor(X.astype(dtype)), Tensor(Y.astype(dtype))
        for _ in range(5):
            optimizer.zero_grad()
            loss_of(weight, bias, x, y).backward()
            assert weight.grad is not None and weight.grad.dtype == dtype
            optimizer.step()
        assert weight.data is arrays[0] and bias.data is arrays[1]
        assert weight.dtype == dtype and bias.dtype == dtype
        for state in optimizer.state:
            for key, value in state.items():
                if isinstance(value, np.ndarray):
                    assert value.dtype == dtype, key
        results[dtype] = weight.data.copy()
    assert not np.array_equal(results[np.float64], WEIGHT0)
    np.testing.assert_allclose(results[np.float32], results[np.float64], rtol=1e-4, atol=1e-5)


def test_step_skips_parameters_without_gradient_and_keeps_their_state_empty() -> None:
    used, unused = parameter([1.0, 2.0]), parameter([3.0, 4.0])
    optimizer = Adam([used, unused], learning_rate=0.1)
    used.grad = np.array([1.0, 1.0])
    optimizer.step()
    assert unused.data.tolist() == [3.0, 4.0]
    assert optimizer.state[1] == {}
    assert optimizer.state[0]["step"] == 1
    assert used.data.tolist() != [1.0, 2.0]


def test_step_does_not_modify_the_gradient() -> None:
    w = parameter([1.0, -2.0])
    optimizer = SGD([w], learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.5)
    w.grad = np.array([0.5, 0.5])
    optimizer.step()
    optimizer.step()
    assert w.grad.tolist() == [0.5, 0.5]


def test_frozen_parameters_are_accepted_and_left_alone() -> None:
    trained, frozen = parameter([1.0]), Tensor(np.array([5.0]))
    optimizer = SGD([trained, frozen], learning_rate=0.5)
    (trained * frozen).sum().backward()
    optimizer.step()
    assert trained.data.tolist() == [1.0 - 0.5 * 5.0]
    assert frozen.data.tolist() == [5.0]


def test_zero_grad_sets_none_by_default_and_zeros_on_request() -> None:
    w = parameter([1.0, 2.0])
    optimizer = SGD([w])
    w.grad = np.array([3.0, 4.0])
    gradient = w.grad
    optimizer.zero_grad(set_to_none=False)
    assert w.grad is gradient and w.grad.tolist() == [0.0, 0.0]
    optimizer.zero_grad()
    assert w.grad is None


def test_lr_is_an_alias_of_learning_rate() -> None:
    w = parameter([1.0])
    assert SGD([w], lr=0.3).learning_rate == 0.3
    assert Adam([w], lr=0.02).learning_rate == 0.02
    assert AdamW([w], 0.04).learning_rate == 0.04


def test_defaults_follow_pytorch_except_sgd_learning_rate() -> None:
    w = parameter([1.0])
    for name, ours in OURS.items():
        theirs = THEIRS[name]([torch.zeros(1, requires_grad=True)]).defaults
        for key, value in ours([w]).hyperparameters.items():
            torch_key = {v: k for k, v in OUR_NAMES.items()}.get(key, key)
            if name == "SGD" and key == "learning_rate":
                assert value == 0.01  # Keras's default; torch 2.13 uses 0.001
                continue
            assert value == theirs[torch_key], (name, key)


def test_generator_of_parameters_is_accepted() -> None:
    tensors = [parameter([1.0]), parameter([2.0])]
    optimizer = SGD(t for t in tensors)
    assert optimizer.params == tensors


# --- convergence on Rosenbrock's function -------------------------------------------------------
def rosenbrock_gradient(w: np.ndarray) -> np.ndarray:
    """∇ of f(x, y) = (1 - x)² + 100 (y - x²)², worked out by hand."""
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def test_rosenbrock_gradient_agrees_with_autograd() -> None:
    for start in ([-1.5, 2.0], [0.3, -0.7]):
        w = parameter(start)
        x, y = w[0], w[1]
        ((1 - x) ** 2 + 100 * (y - x * x) ** 2).backward()
        np.testing.assert_allclose(w.grad, rosenbrock_gradient(w.data), rtol=1e-13)


ROSENBROCK: list[tuple[Callable[[list[Tensor]], Optimizer], int]] = [
    (lambda p: SGD(p, learning_rate=1e-3, momentum=0.9), 2500),
    (lambda p: SGD(p, learning_rate=1e-3, momentum=0.9, nesterov=True), 2500),
    (lambda p: Adagrad(p, learning_rate=1.0), 15000),
    (lambda p: RMSprop(p, learning_rate=1e-3, momentum=0.9), 2000),
    (lambda p: RMSprop(p, learning_rate=1e-3, momentum=0.9, centered=True), 2000),
    (lambda p: Adam(p, learning_rate=0.05), 2500),
    (lambda p: Adam(p, learning_rate=0.05, amsgrad=True), 2500),
    (lambda p: AdamW(p, learning_rate=0.05, weight_decay=1e-4), 2500),
]


@pytest.mark.parametrize("make, steps", ROSENBROCK, ids=[str(i) for i in range(len(ROSENBROCK))])
def test_converges_on_rosenbrock(make: Callable[[list[Tensor]], Optimizer], steps: int) -> None:
    w = parameter([-1.5, 2.0])
    optimizer = make([w])
    for _ in range(steps):
        w.grad = rosenbrock_gradient(w.data)
        optimizer.step()
    assert np.abs(w.data - 1.0).max() < 1e-3, f"{optimizer}: stopped at {w.data}"


# --- invalid hyperparameters --------------------------------------------------------------------
def fresh() -> list[Tensor]:
    return [parameter([1.0, 2.0])]


BAD: list[tuple[Callable[[], object], type, str]] = [
    (
        lambda: SGD(fresh(), -0.1),
        ValueError,
        "SGD: learning_rate must be positive and finite, got -0.1",
    ),
    (lambda: SGD(fresh(), 0), ValueError, "SGD: learning_rate must be positive and finite, got 0"),
    (
        lambda: SGD(fresh(), math.inf),
        ValueError,
        "SGD: learning_rate must be positive and finite, got inf",
    ),
    (lambda: SGD(fresh(), math.nan), ValueError, "SGD: learning_rate must be a number, got nan"),
    (lambda: SGD(fresh(), "0.1"), TypeError, "SGD: learning_rate must be a number, got str '0.1'"),
    (lambda: SGD(fresh(), True), TypeError, "SGD: learning_rate must be a number, got bool True"),
    (
        lambda: SGD(fresh(), lr=-1.0),
        ValueError,
        "SGD: learning_rate must be positive and finite, got -1.0",
    ),
    (lambda: SGD(fresh(), 0.5, lr=0.1), TypeError, "SGD: got both learning_rate=0.5 and lr=0.1"),
    (
        lambda: SGD(fresh(), momentum=-0.5),
        ValueError,
        "SGD: momentum must be >= 0 and finite, got -0.5",
    ),
    (lambda: SGD(fresh(), dampening=1.5), ValueError, "SGD: dampening must be in [0, 1], got 1.5"),
    (
        lambda: SGD(fresh(), weight_decay=-1),
        ValueError,
        "SGD: weight_decay must be >= 0 and finite, got -1",
    ),
    (
        lambda: SGD(fresh(), nesterov=True),
        ValueError,
        "SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0, dampening=0.0",
    ),
    (
        lambda: SGD(fresh(), momentum=0.9, dampening=0.1, nesterov=True),
        ValueError,
        "SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.9, dampening=0.1",
    ),
    (
        lambda: Adagrad(fresh(), -0.01),
        ValueError,
        "Adagrad: learning_rate must be positive and finite, got -0.01",
    ),
    (
        lambda: Adagrad(fresh(), learning_rate_decay=-0.1),
        ValueError,
        "Adagrad: learning_rate_decay must be >= 0 and finite, got -0.1",
    ),
    (
        lambda: Adagrad(fresh(), initial_accumulator_value=-1.0),
        ValueError,
        "Adagrad: initial_accumulator_value must be >= 0 and finite, got -1.0",
    ),
    (
        lambda: Adagrad(fresh(), eps=-1e-10),
        ValueError,
        "Adagrad: eps must be >= 0 and finite, got -1e-10",
    ),
    (
        lambda: Adagrad(fresh(), weight_decay=-0.1),
        ValueError,
        "Adagrad: weight_decay must be >= 0 and finite, got -0.1",
    ),
    (
        lambda: RMSprop(fresh(), 0.0),
        ValueError,
        "RMSprop: learning_rate must be positive and finite, got 0.0",
    ),
    (lambda: RMSprop(fresh(), alpha=1.0), ValueError, "RMSprop: alpha must be in [0, 1), got 1.0"),
    (
        lambda: RMSprop(fresh(), alpha=-0.1),
        ValueError,
        "RMSprop: alpha must be in [0, 1), got -0.1",
    ),
    (
        lambda: RMSprop(fresh(), eps=-1.0),
        ValueError,
        "RMSprop: eps must be >= 0 and finite, got -1.0",
    ),
    (
        lambda: RMSprop(fresh(), momentum=-0.9),
        ValueError,
        "RMSprop: momentum must be >= 0 and finite, got -0.9",
    ),
    (
        lambda: RMSprop(fresh(), weight_decay=-0.1),
        ValueError,
        "RMSprop: weight_decay must be >= 0 and finite, got -0.1",
    ),
    (
        lambda: Adam(fresh(), -1e-3),
        ValueError,
        "Adam: learning_rate must be positive and finite, got -0.001",
    ),
    (
        lambda: Adam(fresh(), betas=(1.0, 0.999)),
        ValueError,
        "Adam: betas[0] must be in [0, 1), got 1.0",
    ),
    (
        lambda: Adam(fresh(), betas=(0.9, -0.1)),
        ValueError,
        "Adam: betas[1] must be in [0, 1), got -0.1",
    ),
    (
        lambda: Adam(fresh(), betas=0.9),
        TypeError,
        "Adam: betas must be a pair (beta1, beta2), got float 0.9",
    ),
    (
        lambda: Adam(fresh(), betas=(0.9,)),
        ValueError,
        "Adam: betas must be a pair (beta1, beta2), got (0.9,)",
    ),
    (lambda: Adam(fresh(), eps=-1e-8), ValueError, "Adam: eps must be >= 0 and finite, got -1e-08"),
    (
        lambda: Adam(fresh(), weight_decay=-0.1),
        ValueError,
        "Adam: weight_decay must be >= 0 and finite, got -0.1",
    ),
    (
        lambda: AdamW(fresh(), betas=(0.9, 1.5)),
        ValueError,
        "AdamW: betas[1] must be in [0, 1), got 1.5",
    ),
    (
        lambda: AdamW(fresh(), weight_decay=-0.01),
        ValueError,
        "AdamW: weight_decay must be >= 0 and finite, got -0.01",
    ),
    # the parameter list
    (lambda: SGD([]), ValueError, "SGD: the parameter list is empty"),
    (lambda: Adam([1.0, 2.0]), TypeError, "Adam: parameter 0 is a float, not a Tensor"),
    (
        lambda: SGD(parameter([1.0])),
        TypeError,
        "SGD: params must be an iterable of Tensors, got a single Tensor",
    ),
    (
        lambda: SGD(3),
        TypeError,
        "SGD: params must be an iterable of Tensors (e.g. [w, b] or model.parameters()), got int",
    ),
    (
        lambda: SGD([{"params": fresh()}]),
        TypeError,
        "SGD: parameter 0 is a dict; parameter groups are not supported",
    ),
    (
        lambda: RMSprop([parameter([1.0]) * 2]),
        ValueError,
        "RMSprop: parameter 0 is not a leaf tensor",
    ),
    (
        lambda: Adagrad([Tensor([1.0]), Tensor([2.0])]),
        ValueError,
        "Adagrad: none of the 2 parameters requires a gradient",
    ),
]


@pytest.mark.parametrize("make, error, message", BAD, ids=[message[:60] for _, _, message in BAD])
def test_invalid_arguments_are_refused_with_a_clear_message(
    make: Callable[[], object], error: type, message: str
) -> None:
    with pytest.raises(error, match="^" + re.escape(message)):
        make()


def test_duplicate_parameters_are_refused() -> None:
    w = parameter([1.0])
    with pytest.raises(ValueError, match=r"^SGD: parameter 1 is the same Tensor as parameter 0"):
        SGD([w, w])


def test_gradient_of_the_wrong_shape_is_refused_at_step() -> None:
    w = parameter([1.0, 2.0])
    optimizer = SGD([w])
    w.grad = np.zeros(3)
    with pytest.raises(ValueError, match=re.escape("parameter 0 has shape (2,) but its grad")):
        optimizer.step()


# --- saving and restoring -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "optimizer_class, kwargs", FULL_OPTIONS, ids=[f"{c.__name__}-{k}" for c, k in FULL_OPTIONS]
)
def test_state_dict_resumes_training_exactly(optimizer_class: type, kwargs: dict[str, Any]) -> None:
    def train(optimizer: Optimizer, weight: Tensor, bias: Tensor, steps: int) -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            loss_of(weight, bias, Tensor(X), Tensor(Y)).backward()
            optimizer.step()

    weight, bias = parameter(WEIGHT0), parameter(BIAS0)
    optimizer = optimizer_class([weight, bias], **kwargs)
    train(optimizer, weight, bias, 4)
    saved = optimizer.state_dict()
    saved_weight, saved_bias = weight.data.copy(), bias.data.copy()
    train(optimizer, weight, bias, 4)  # the saved dict holds copies: these steps leave it alone

    resumed_weight, resumed_bias = parameter(saved_weight), parameter(saved_bias)
    resumed = optimizer_class([resumed_weight, resumed_bias], learning_rate=0.123)
    resumed.load_state_dict(saved)
    assert resumed.hyperparameters == optimizer.hyperparameters
    assert resumed.step_count == 4
    train(resumed, resumed_weight, resumed_bias, 4)
    assert np.array_equal(resumed_weight.data, weight.data)
    assert np.array_equal(resumed_bias.data, bias.data)


def test_state_dict_is_plain_data() -> None:
    w = parameter([1.0, 2.0])
    optimizer = Adam([w], amsgrad=True)
    w.grad = np.array([0.5, 0.5])
    optimizer.step()
    saved = optimizer.state_dict()
    assert saved["optimizer"] == "Adam" and saved["step_count"] == 1
    assert saved["hyperparameters"]["learning_rate"] == 0.001
    assert set(saved["state"][0]) == {
        "step",
        "exp_average",
        "exp_average_square",
        "max_exp_average_square",
    }
    assert saved["state"][0]["step"] == 1
    assert saved["state"][0]["exp_average"] == pytest.approx([0.05, 0.05], rel=1e-12)


def test_state_saved_at_the_end_of_a_cosine_schedule_loads() -> None:
    w = parameter([1.0])
    optimizer = SGD([w], learning_rate=0.1, momentum=0.9)
    schedule = CosineAnnealingLR(optimizer, total_steps=2)
    for _ in range(2):
        w.grad = np.array([1.0])
        optimizer.step()
        schedule.step()
    assert optimizer.learning_rate == 0.0
    restored = SGD([parameter([1.0])], momentum=0.9)
    restored.load_state_dict(optimizer.state_dict())
    assert restored.learning_rate == 0.0


def test_load_state_dict_refuses_a_mismatch() -> None:
    w = parameter([1.0, 2.0])
    sgd, adam = SGD([w], momentum=0.9), Adam([w])
    w.grad = np.array([1.0, 1.0])
    adam.step()
    with pytest.raises(ValueError, match="^SGD.load_state_dict: the state dict is from 'Adam'"):
        sgd.load_state_dict(adam.state_dict())
    other = Adam([parameter([1.0, 2.0, 3.0])])
    with pytest.raises(ValueError, match=re.escape("has shape (2,), but the parameter has shape")):
        other.load_state_dict(adam.state_dict())
    bad = adam.state_dict()
    bad["hyperparameters"]["betas"] = (0.9, 2.0)
    with pytest.raises(ValueError, match=re.escape("Adam: betas[1] must be in [0, 1), got 2.0")):
        adam.load_state_dict(bad)
    assert adam.betas == (0.9, 0.999)  # a refused load leaves the optimizer as it was


def test_load_state_dict_casts_to_the_parameter_dtype() -> None:
    source = parameter([1.0, 2.0])
    optimizer = RMSprop([source], momentum=0.9)
    source.grad = np.array([1.0, -1.0])
    optimizer.step()
    target = parameter([1.0, 2.0], np.float32)
    restored = RMSprop([target])
    restored.load_state_dict(optimizer.state_dict())
    assert restored.momentum == 0.9
    assert all(v.dtype == np.float32 for v in restored.state[0].values() if hasattr(v, "dtype"))


@pytest.mark.parametrize("count", [1, 2], ids=["one parameter", "two parameters"])
def test_adam_betas_changed_midway_and_learning_rate_zero_follow_torch(count: int) -> None:
    """Changing betas between steps needs nothing special (the state holds the averages m and
    v themselves, as torch's does), and a learning rate of 0 moves nothing; on the reference
    path (one parameter) and on the flat path (two)."""
    starts = [np.array([0.3, -0.7, 1.1]), np.array([[0.2], [-0.4]])][:count]
    mine_params = [Tensor(start.copy(), requires_grad=True) for start in starts]
    their_params = [torch.tensor(start, requires_grad=True) for start in starts]
    mine = Adam(mine_params, learning_rate=0.05, amsgrad=True)
    theirs = torch.optim.Adam(their_params, lr=0.05, amsgrad=True)
    rng = np.random.default_rng(3)
    for step in range(12):
        if step == 5:
            mine.betas = (0.5, 0.9)
            theirs.param_groups[0]["betas"] = (0.5, 0.9)
        if step == 9:
            mine.learning_rate = 0.0
            theirs.param_groups[0]["lr"] = 0.0
            before = [w.data.copy() for w in mine_params]
        for w, t in zip(mine_params, their_params):
            g = rng.standard_normal(w.shape)
            w.grad, t.grad = g.copy(), torch.tensor(g)
        mine.step()
        theirs.step()
        for w, t in zip(mine_params, their_params):
            np.testing.assert_allclose(w.data, t.detach().numpy(), rtol=1e-10, atol=1e-14)
    for w, start in zip(mine_params, before):
        np.testing.assert_array_equal(w.data, start)  # the last three steps had rate 0
    saved = mine.state_dict()["state"]
    for index, t in enumerate(their_params):
        their_state = theirs.state[t]
        for ours, their_name in [
            ("exp_average", "exp_avg"),
            ("exp_average_square", "exp_avg_sq"),
            ("max_exp_average_square", "max_exp_avg_sq"),
        ]:
            np.testing.assert_allclose(
                saved[index][ours], their_state[their_name].numpy(), rtol=1e-10
            )


# --- the registry -------------------------------------------------------------------------------
def test_get_finds_each_optimizer_by_name_in_any_case() -> None:
    assert dict(optim.OPTIMIZERS) == {
        "sgd": SGD,
        "adagrad": Adagrad,
        "rmsprop": RMSprop,
        "adam": Adam,
        "adamw": AdamW,
    }
    for name, cls in optim.OPTIMIZERS.items():
        assert optim.get(name) is cls
        assert optim.get(cls.__name__) is cls
        assert optim.get(name.upper()) is cls
    with pytest.raises(TypeError):
        optim.OPTIMIZERS["lion"] = SGD  # type: ignore[index]


def test_get_refuses_an_unknown_name_listing_the_known_ones() -> None:
    message = "unknown optimizer 'Adamax'; known optimizers: adagrad, adam, adamw, rmsprop, sgd"
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        optim.get("Adamax")
    with pytest.raises(TypeError, match="^optim.get: name must be a string .* got type"):
        optim.get(Adam)
