"""Tests for ``Module``, ``Parameter`` and ``Sequential``: finding parameters, state dicts, modes,
gradients and the repr."""

from __future__ import annotations

import numpy as np
import pytest

from humblenet import Tensor, nn


class TwoLayers(nn.Module):
    """A PyTorch-style network: parameters found through attributes and a list of layers."""

    def __init__(self) -> None:
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.first = nn.Linear(4, 3, seed=0)
        self.blocks = [nn.Linear(3, 3, seed=1), nn.ReLU(), nn.Linear(3, 2, seed=2)]

    def forward(self, x: Tensor) -> Tensor:
        h = self.first(x) * self.scale
        for block in self.blocks:
            h = block(h)
        return h


def test_parameters_found_by_walking_attributes_in_assignment_order() -> None:
    model = TwoLayers()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "scale",
        "first.weight",
        "first.bias",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.2.weight",
        "blocks.2.bias",
    ]
    params = model.parameters()
    assert params[1] is model.first.weight and params[-1] is model.blocks[2].bias
    assert all(p.requires_grad for p in params)
    assert model.count_params() == 3 + (4 * 3 + 3) + (3 * 3 + 3) + (3 * 2 + 2)


def test_a_shared_parameter_is_listed_once() -> None:
    layer = nn.Dense(4, input_shape=(4,), seed=0)
    model = nn.Sequential([layer, nn.ReLU(), layer])
    assert len(model.parameters()) == 2
    assert model.count_params() == 4 * 4 + 4


def test_sequential_names_indexing_and_add() -> None:
    model = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,))])
    model.add(nn.Dense(2))
    assert len(model) == 2 and isinstance(model[1], nn.Dense)
    assert [type(layer) for layer in model] == [nn.Dense, nn.Dense]
    # Named as PyTorch names the same network: Linear, ReLU, Linear (indexing is by position).
    assert [n for n, _ in model.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]
    assert model[1].weight.shape == (2, 4)  # built by add, from the previous layer's units
    with pytest.raises(TypeError, match="expected a layer.*int"):
        model.add(3)  # type: ignore[arg-type]


def test_add_refuses_a_linear_of_the_wrong_size_and_keeps_the_model_as_it_was() -> None:
    model = nn.Sequential([nn.Dense(5, input_shape=(3,))])
    with pytest.raises(ValueError, match="built for 4 input features.*receives 5"):
        model.add(nn.Linear(4, 2))
    assert len(model) == 1


def test_state_dict_is_a_copy_and_round_trips() -> None:
    source = nn.Sequential([nn.Dense(5, activation="tanh", input_shape=(3,), seed=1), nn.Dense(2)])
    target = nn.Sequential([nn.Dense(5, activation="tanh", input_shape=(3,), seed=2), nn.Dense(2)])
    state = source.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # Linear, Tanh, Linear
    state["0.weight"][:] = 0  # a copy: the model is unchanged
    assert np.any(source[0].weight.data != 0)
    state = source.state_dict()
    weight_object = target[0].weight
    target.load_state_dict(state)
    assert target[0].weight is weight_object  # loaded in place (an optimizer keeps working)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_array_equal(target(x).data, source(x).data)


def _pair() -> tuple[nn.Sequential, dict[str, np.ndarray]]:
    model = nn.Sequential([nn.Dense(4, input_shape=(3,), seed=0), nn.Dense(2, seed=1)])
    return model, model.state_dict()


def _assert_unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> None:
    after = model.state_dict()
    assert list(after) == list(before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_load_state_dict_missing_key_names_it_and_changes_nothing() -> None:
    model, before = _pair()
    state = {k: v + 1 for k, v in before.items() if k != "1.bias"}
    with pytest.raises(ValueError, match=r"missing keys \['1.bias'\]"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)
    model.load_state_dict(state, strict=False)  # without strict, the others load
    np.testing.assert_array_equal(model[0].weight.data, before["0.weight"] + 1)
    np.testing.assert_array_equal(model[1].bias.data, before["1.bias"])


def test_load_state_dict_unexpected_key_names_it_and_changes_nothing() -> None:
    model, before = _pair()
    state = {k: v + 1 for k, v in before.items()}
    state["2.weight"] = np.zeros((1, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"unexpected keys \['2.weight'\]"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_load_state_dict_wrong_shape_names_both_shapes_and_changes_nothing() -> None:
    model, before = _pair()
    state = {k: v + 1 for k, v in before.items()}  # every other key would load
    state["1.weight"] = np.zeros((3, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"1\.weight: shape \(3, 4\) in the state, \(2, 4\)"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_train_eval_reach_every_nested_module() -> None:
    inner = nn.Sequential([nn.Dense(3, input_shape=(2,)), nn.Dropout(0.5, seed=0)])
    model = nn.Sequential([inner, nn.Dense(1)])
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not inner[1].training


def test_zero_grad_forgets_gradients() -> None:
    model = TwoLayers()
    x = Tensor(np.ones((2, 4), dtype=np.float32))
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_repr_shows_layers_sizes_and_options() -> None:
    model = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)), nn.Dropout(0.25)])
    text = repr(model)
    assert text.splitlines() == [
        "Sequential(",
        "  (0): Dense(3 -> 4, activation='relu')",
        "  (2): Dropout(rate=0.25)",  # numbered as in PyTorch: the ReLU is module 1
        ")",
    ]
    nested = repr(nn.Sequential([model]))
    assert "  (0): Sequential(\n    (0): Dense(3 -> 4" in nested
    assert repr(nn.Dense(2)) == "Dense(? -> 2)"


def test_parameter_requires_grad_and_keeps_its_dtype() -> None:
    p = nn.Parameter(np.zeros(3))
    assert p.requires_grad and p.dtype == np.float64
    assert repr(p).startswith("Parameter(")


def test_loading_into_an_unbuilt_model_says_to_build_it_first():
    import numpy as np
    import pytest

    from humblenet import nn

    built = nn.Sequential([nn.Dense(2, input_shape=(3,))])
    empty = nn.Sequential([nn.Dense(2)])
    with pytest.raises(ValueError, match=r"no weights yet: build it first"):
        empty.load_state_dict(built.state_dict())
    empty.build((3,))
    empty.load_state_dict(built.state_dict())
    np.testing.assert_array_equal(empty.layers[0].weight.data, built.layers[0].weight.data)


def test_linear_refuses_a_bool_size():
    import pytest

    from humblenet import nn

    with pytest.raises(ValueError, match="in_features must be a positive integer, got True"):
        nn.Linear(True, 3)
