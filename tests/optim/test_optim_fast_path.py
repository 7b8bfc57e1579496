"""The optimizers' two update paths give the same numbers.

``Optimizer.step`` runs either the reference update (the docstring's rule, one parameter at a
time) or the flat one (all parameters at once, on flat state arrays; humblenet.optim._flat).
Here:

- every optimizer, over the hyperparameter combinations that change its formula, steps the
  parameters of a small network (odd sizes, a scalar and an empty one among them) for
  2 · FLUSH_EVERY + 1 steps on each path (the reference one forced), in float64 and float32.
  SGD, Adagrad and RMSprop do the same operations in the same order on both paths, so weights
  and state agree bit for bit. Adam and AdamW's flat update keeps its averages divided by
  (1 − β) and divides step 6 through by a constant (three passes fewer), so they agree to
  rounding: after 33 steps, within 8 units in the last place of the array's largest value
  (measured: at most 3.2 for weights, 4.3 for state);
- a run that switches paths mid-way (a step where one parameter has no gradient, then another
  where the other has none, after which both have taken equally many steps and the flat path
  resumes) follows torch.optim;
- the state a user reads is the textbook state on both paths, though Adam's flat update keeps
  its averages divided by (1 − β) between reads;
- the flat path is taken exactly when it should be;
- a model's parameters step alike on both paths, whatever layout the model gave them;
- subnormal numbers in the decaying state are set to 0, on both paths.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from humblenet import Tensor, nn
from humblenet.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from humblenet.optim._flat import FLUSH_EVERY, flush_subnormals

SHAPES = [(7, 5), (7,), (3, 7), (3,), (), (0, 3), (2, 1, 3)]

# (class, hyperparameters, whether both paths run the same operations in the same order)
CASES: list[tuple[type[Optimizer], dict[str, Any], bool]] = [
    (SGD, {"learning_rate": 0.1}, True),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9}, True),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, True),
    (SGD, {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}, True),
    (Adagrad, {"learning_rate": 0.1}, True),
    (Adagrad, {"learning_rate": 0.2, "learning_rate_decay": 0.1, "weight_decay": 0.05,
               "initial_accumulator_value": 0.5}, True),
    (RMSprop, {"learning_rate": 0.01}, True),
    (RMSprop, {"learning_rate": 0.01, "centered": True}, True),
    (RMSprop, {"learning_rate": 0.01, "momentum": 0.9, "weight_decay": 0.1}, True),
    (RMSprop, {"learning_rate": 0.02, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5,
               "centered": True, "weight_decay": 0.01}, True),
    (Adam, {"learning_rate": 0.05}, False),
    (Adam, {"learning_rate": 0.05, "amsgrad": True}, False),
    (Adam, {"learning_rate": 0.05, "weight_decay": 0.1}, False),
    (Adam, {"learning_rate": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "amsgrad": True}, False),
    (AdamW, {"learning_rate": 0.05}, False),
    (AdamW, {"learning_rate": 0.05, "weight_decay": 0.2, "amsgrad": True}, False),
]  # fmt: skip
IDS = [f"{cls.__name__}-{kwargs}" for cls, kwargs, _ in CASES]


def assert_equal_to_rounding(actual: np.ndarray, desired: np.ndarray, what: str = "") -> None:
    """Equal to within 8 units in the last place of ``desired``'s largest magnitude."""
    largest = float(np.abs(desired).max(initial=0.0))
    ulp = np.finfo(desired.dtype).eps * largest
    np.testing.assert_allclose(actual, desired, rtol=0, atol=8 * ulp, err_msg=what)


def watch_paths(optimizer: Optimizer) -> list[str]:
    """The path each later step of ``optimizer`` takes, "flat" or "reference", appended."""
    paths: list[str] = []
    flat_update, update = optimizer._flat_update, optimizer._update

    def flat_spy(*args: Any) -> None:
        paths.append("flat")
        flat_update(*args)

    def reference_spy(*args: Any) -> None:
        if len(paths) < optimizer.step_count + 1:  # once per step, not once per parameter
            paths.append("reference")
        update(*args)

    optimizer._flat_update = flat_spy  # type: ignore[method-assign]
    optimizer._update = reference_spy  # type: ignore[method-assign]
    return paths


def parameters(dtype: Any, seed: int = 0) -> list[Tensor]:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    return [Tensor(array, requires_grad=True) for array in arrays]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer_class, kwargs, same_order", CASES, ids=IDS)
def test_flat_and_reference_paths_give_the_same_numbers(
    optimizer_class: type[Optimizer], kwargs: dict[str, Any], same_order: bool, dtype: Any
) -> None:
    fast_params, slow_params = parameters(dtype), parameters(dtype)
    fast, slow = optimizer_class(fast_params, **kwargs), optimizer_class(slow_params, **kwargs)
    slow._use_flat_path = False
    fast_paths, slow_paths = watch_paths(fast), watch_paths(slow)
    rng = np.random.default_rng(1)
    steps = 2 * FLUSH_EVERY + 1  # both paths flush subnormal state twice on the way
    for _ in range(steps):
        for p, q in zip(fast_params, slow_params):
            p.grad = rng.standard_normal(p.shape).astype(dtype)
            q.grad = p.grad.copy()
        fast.step()
        slow.step()
        for p, q in zip(fast_params, slow_params):
            assert p.data.dtype == dtype
            if same_order:
                np.testing.assert_array_equal(p.data, q.data)
            else:
                assert_equal_to_rounding(p.data, q.data)
    assert fast_paths == ["flat"] * steps and slow_paths == ["reference"] * steps
    assert not np.array_equal(fast_params[0].data, parameters(dtype)[0].data)
    fast_state, slow_state = fast.state_dict()["state"], slow.state_dict()["state"]
    assert fast_state.keys() == slow_state.keys() == set(range(len(SHAPES)))
    for index, theirs in slow_state.items():
        mine = fast_state[index]
        assert mine.keys() == theirs.keys() and mine["step"] == theirs["step"] == steps
        for name in theirs.keys() - {"step"}:
            assert mine[name].dtype == dtype, name
            if same_order:
                np.testing.assert_array_equal(mine[name], theirs[name], err_msg=name)
            else:
                assert_equal_to_rounding(mine[name], theirs[name], name)


def test_the_state_seen_per_parameter_is_the_flat_state_in_textbook_form() -> None:
    """On the flat path, optimizer.state[i] holds views of the flat arrays under the textbook
    names. Adam's kernel keeps its averages divided by (1 − β) between steps; reading
    optimizer.state multiplies them back in place, and the next step divides them again."""
    params = parameters(np.float64)
    optimizer = Adam(params, learning_rate=0.01, amsgrad=True)
    paths = watch_paths(optimizer)

    def step() -> None:
        for p in params:
            p.grad = np.ones(p.shape)
        optimizer.step()

    for _ in range(3):
        step()
    flat = optimizer._flat
    assert flat is not None and paths == ["flat"] * 3
    names = {"exp_average", "exp_average_square", "max_exp_average_square"}
    assert flat.divisors == {name: 1 - (0.9 if name == "exp_average" else 0.999) for name in names}
    # with g = 1 throughout, m = (1 − 0.9) · (1 + 0.9 + 0.81): kept as m / (1 − 0.9) inside
    m = 0.1 * (1 + 0.9 + 0.81)
    np.testing.assert_allclose(flat.arrays["exp_average"], m / 0.1, rtol=1e-15)
    for index, state in enumerate(optimizer.state):  # reading converts
        assert set(state) == {"step", *names} and state["step"] == 3
        for name, array in flat.arrays.items():
            assert state[name].base is array and state[name].shape == SHAPES[index]
        np.testing.assert_allclose(state["exp_average"], m, rtol=1e-15)
    assert flat.divisors == {}
    step()
    assert paths == ["flat"] * 4 and set(flat.divisors) == names
    m = 0.9 * m + 0.1
    np.testing.assert_allclose(optimizer.state_dict()["state"][0]["exp_average"], m, rtol=1e-15)


TORCH = {SGD: torch.optim.SGD, Adagrad: torch.optim.Adagrad, RMSprop: torch.optim.RMSprop,
         Adam: torch.optim.Adam, AdamW: torch.optim.AdamW}  # fmt: skip
TORCH_NAMES = {"learning_rate": "lr", "learning_rate_decay": "lr_decay"}


@pytest.mark.parametrize("optimizer_class, kwargs, same_order", CASES, ids=IDS)
def test_switching_paths_mid_run_follows_torch(
    optimizer_class: type[Optimizer], kwargs: dict[str, Any], same_order: bool
) -> None:
    """Steps 0 to 2 take the flat path. At step 3 the bias has no gradient and at step 4 the
    weight has none: those take the reference path (each skips a parameter, as torch does).
    After step 4 both parameters have taken 4 steps, and the flat path resumes from the state
    the reference path left."""
    rng = np.random.default_rng(2)
    starts = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    ours = [Tensor(start.copy(), requires_grad=True) for start in starts]
    theirs = [torch.tensor(start, requires_grad=True) for start in starts]
    optimizer = optimizer_class(ours, **kwargs)
    paths = watch_paths(optimizer)
    torch_kwargs = {TORCH_NAMES.get(key, key): value for key, value in kwargs.items()}
    reference = TORCH[optimizer_class](theirs, **torch_kwargs)
    for step in range(10):
        for index, (p, t) in enumerate(zip(ours, theirs)):
            if (step, index) in {(3, 1), (4, 0)}:
                p.grad, t.grad = None, None
            else:
                g = rng.standard_normal(p.shape)
                p.grad, t.grad = g, torch.tensor(g)
        optimizer.step()
        reference.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-14)
    assert paths == ["flat"] * 3 + ["reference"] * 2 + ["flat"] * 5
    assert [state["step"] for state in optimizer.state] == [9, 9]


def float32_pair() -> list[Tensor]:
    return [Tensor(np.ones((2, 3), np.float32), requires_grad=True),
            Tensor(np.ones(3, np.float32), requires_grad=True)]  # fmt: skip


def with_gradients(params: list[Tensor]) -> list[Tensor]:
    for p in params:
        p.grad = np.full(p.shape, 0.5, dtype=p.dtype)
    return params


def mixed_dtypes() -> list[Tensor]:
    params = float32_pair()
    params[1] = Tensor(np.ones(3), requires_grad=True)  # float64
    return with_gradients(params)


def one_gradient_missing() -> list[Tensor]:
    params = with_gradients(float32_pair())
    params[1].grad = None
    return params


def a_gradient_of_another_dtype() -> list[Tensor]:
    params = with_gradients(float32_pair())
    params[1].grad = np.full(3, 0.5)  # float64 for a float32 parameter
    return params


def a_frozen_parameter() -> list[Tensor]:
    return with_gradients(float32_pair())[:1] + [Tensor(np.ones(3, np.float32))]


PATH_CHOICES: list[tuple[Callable[[], list[Tensor]], str]] = [
    (lambda: with_gradients(float32_pair()), "flat"),
    (lambda: with_gradients(float32_pair())[:1], "reference"),
    (mixed_dtypes, "reference"),
    (one_gradient_missing, "reference"),
    (a_gradient_of_another_dtype, "reference"),
    (a_frozen_parameter, "reference"),
]


@pytest.mark.parametrize(
    "make, path",
    PATH_CHOICES,
    ids=["two float32 parameters", "one parameter", "mixed dtypes", "one gradient missing",
         "a gradient of another dtype", "a frozen parameter"],
)  # fmt: skip
def test_the_flat_path_is_taken_exactly_when_it_applies(
    make: Callable[[], list[Tensor]], path: str
) -> None:
    params = make()
    optimizer = SGD(params, learning_rate=0.1, momentum=0.9)
    paths = watch_paths(optimizer)
    optimizer.step()
    assert paths == [path]
    for p in params:
        if p.grad is not None:  # each updated parameter moved by learning_rate · g
            np.testing.assert_allclose(p.data, 1.0 - 0.1 * 0.5, rtol=1e-7)


def test_the_flat_path_resumes_once_step_counts_agree_and_after_load_state_dict() -> None:
    params = with_gradients(float32_pair())
    optimizer = Adam(params, learning_rate=0.01)
    paths = watch_paths(optimizer)
    optimizer.step()
    saved = optimizer.state_dict()
    optimizer._use_flat_path = False
    optimizer.step()
    optimizer._use_flat_path = True
    optimizer.step()
    optimizer.load_state_dict(saved)  # new state arrays: the flat path takes them in
    optimizer.step()
    assert paths == ["flat", "reference", "flat", "flat"]
    assert [state["step"] for state in optimizer.state] == [2, 2]
    assert optimizer._flat is not None
    for state in optimizer.state:
        assert state["exp_average"].base is optimizer._flat.arrays["exp_average"]


def test_a_new_layout_takes_the_state_over_in_textbook_form() -> None:
    """Parameters that change dtype mid-run (float32 to float64) need a new flat layout; the
    state carries over, read in textbook form from the old one, and both paths agree (to
    float32 rounding: the reference path keeps updating its float32 state arrays in place)."""
    runs = []
    for use_flat_path in (True, False):
        params = [Tensor(np.full((2, 3), 0.5, np.float32), requires_grad=True),
                  Tensor(np.full(3, -0.5, np.float32), requires_grad=True)]  # fmt: skip
        optimizer = Adam(params, learning_rate=0.1)
        optimizer._use_flat_path = use_flat_path
        paths = watch_paths(optimizer)
        for step in range(6):
            if step == 3:
                for p in params:
                    p.data = p.data.astype(np.float64)
            for index, p in enumerate(params):
                p.grad = np.full(p.shape, 0.25 * (index + 1) * (-1) ** step, dtype=p.dtype)
            optimizer.step()
        assert paths == ["flat" if use_flat_path else "reference"] * 6
        runs.append((params, optimizer.state_dict()["state"]))
    (fast_params, fast_state), (slow_params, slow_state) = runs
    for p, q in zip(fast_params, slow_params):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-6)
    for index in slow_state:
        for name in ("exp_average", "exp_average_square"):
            np.testing.assert_allclose(fast_state[index][name], slow_state[index][name], rtol=1e-6)


def test_the_flat_path_waits_until_every_parameter_has_the_same_state_arrays() -> None:
    """Momentum switched on at a step where only the bias has a gradient: the bias gets a
    momentum buffer, the weight does not. At the next step both have taken one step, but one
    flat buffer could not hold a started and an unstarted buffer, so the reference path runs
    (starting the weight's buffer at its gradient, as torch does); the step after, the flat
    path takes both buffers in. Every step matches torch.optim.SGD."""
    rng = np.random.default_rng(4)
    starts = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    ours = [Tensor(start.copy(), requires_grad=True) for start in starts]
    theirs = [torch.tensor(start, requires_grad=True) for start in starts]
    optimizer, reference = SGD(ours, learning_rate=0.1), torch.optim.SGD(theirs, lr=0.1)
    paths = watch_paths(optimizer)
    for step, has_gradient in enumerate([(True, False), (False, True), (True, True), (True, True)]):
        if step == 1:
            optimizer.momentum = reference.param_groups[0]["momentum"] = 0.9
        for p, t, given in zip(ours, theirs, has_gradient):
            g = rng.standard_normal(p.shape) if given else None
            p.grad, t.grad = g, None if g is None else torch.tensor(g)
        optimizer.step()
        reference.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert paths == ["reference", "reference", "reference", "flat"]
    assert [state["step"] for state in optimizer.state] == [3, 3]


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda ps: RMSprop(ps, learning_rate=0.01, centered=True, momentum=0.5),
        lambda ps: Adam(ps, learning_rate=0.01, amsgrad=True, weight_decay=0.01),
    ],
    ids=["SGD", "RMSprop", "Adam"],
)
def test_a_models_parameters_step_alike_on_both_paths(make: Callable) -> None:
    """Whatever layout a model gives its parameters' arrays (side by side in one array or
    not), the optimizer updates them in place and both paths agree: exactly for SGD and
    RMSprop, to float32 rounding for Adam."""

    def model() -> nn.Sequential:
        m = nn.Sequential([nn.Dense(30, activation="relu", seed=1), nn.Dense(4, seed=2)])
        m.build((12,))
        return m

    fast_model, slow_model = model(), model()
    fast, slow = make(fast_model.parameters()), make(slow_model.parameters())
    slow._use_flat_path = False
    paths = watch_paths(fast)
    arrays = [p.data for p in fast_model.parameters()]
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_normal((8, 12)).astype(np.float32)
        for m, optimizer in ((fast_model, fast), (slow_model, slow)):
            optimizer.zero_grad()
            (m(Tensor(x)) ** 2).mean().backward()
            optimizer.step()
    assert paths == ["flat"] * 5
    assert all(p.data is a for p, a in zip(fast_model.parameters(), arrays))
    for p, q in zip(fast_model.parameters(), slow_model.parameters()):
        assert p.data.dtype == np.float32
        if isinstance(fast, Adam):
            np.testing.assert_allclose(p.data, q.data, rtol=1e-5, atol=1e-7)
        else:
            np.testing.assert_array_equal(p.data, q.data)


# --- subnormal numbers --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_subnormals_zeroes_exactly_the_subnormal_numbers(dtype: Any) -> None:
    info = np.finfo(dtype)
    values = np.array(
        [0.0, -0.0, info.tiny, -info.tiny, info.tiny / 2, -info.tiny / 3, info.smallest_subnormal,
         1.5, -2.25, info.max, np.inf, -np.inf],
        dtype=dtype,
    )  # fmt: skip
    expected = np.where(np.abs(values) < info.tiny, 0, values).astype(dtype)
    for scratch in (np.empty_like(values), None):
        flushed = values.copy()
        flush_subnormals(flushed, scratch)
        np.testing.assert_array_equal(flushed, expected)
        assert flushed.tobytes() == expected.tobytes()  # bit for bit, signs of zeros included


@pytest.mark.parametrize("split", [False, True], ids=["reference path", "flat path"])
def test_adam_state_stays_normal_where_the_gradient_stops_and_matches_torch(split: bool) -> None:
    """A weight whose gradient becomes 0 has its running average shrink by 0.9 a step: after
    some 800 steps it would be subnormal (slow to compute with); the optimizer sets it to 0.
    The weights still follow Adam to float32 rounding: over 1000 float32 steps they stay as
    close to torch's float64 result as torch's own float32 run does. The two weights are one
    parameter (the reference path) or two (the flat path)."""

    def run(dtype: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any, list]:
        start = np.array([0.5, -0.5], dtype=dtype)
        parts = [start[:1], start[1:]] if split else [start]
        ours = [Tensor(part.copy(), requires_grad=True) for part in parts]
        t = torch.tensor([0.5, -0.5], dtype=torch.float64, requires_grad=True)
        t32 = torch.tensor([0.5, -0.5], dtype=torch.float32, requires_grad=True)
        mine = Adam(ours, learning_rate=1e-3)
        paths = watch_paths(mine)
        theirs = [torch.optim.Adam([t], lr=1e-3), torch.optim.Adam([t32], lr=1e-3)]
        for step in range(1000):
            g = np.array([1e-3 if step < 5 else 0.0, 1e-3])
            if split:
                ours[0].grad, ours[1].grad = g[:1].astype(dtype), g[1:].astype(dtype)
            else:
                ours[0].grad = g.astype(dtype)
            t.grad, t32.grad = torch.tensor(g), torch.tensor(g, dtype=torch.float32)
            mine.step()
            for o in theirs:
                o.step()
        w = np.concatenate([p.data for p in ours]).astype(np.float64)
        m = np.concatenate([s["exp_average"] for s in mine.state_dict()["state"].values()])
        return w, m, t.detach().numpy(), t32.detach().numpy().astype(np.float64), theirs[1], paths

    w, m, truth, torch32, theirs32, paths = run(np.float32)
    assert paths == ["flat" if split else "reference"] * 1000
    assert m[0] == 0.0 and theirs32.state[next(iter(theirs32.state))]["exp_avg"][0].item() != 0
    ours_error = np.abs(w - truth)
    assert np.all(ours_error <= 2 * np.abs(torch32 - truth) + 1e-7), (ours_error, torch32 - truth)
    w64, _, truth64, _, _, _ = run(np.float64)
    np.testing.assert_allclose(w64, truth64, rtol=1e-12)
