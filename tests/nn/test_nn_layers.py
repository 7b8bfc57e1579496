"""Tests for the layers: Dense and Linear against ``torch.nn.Linear``, Flatten, Dropout, the
activation layers against their ``torch.nn`` equivalents, ``get_config`` / ``from_config`` (also
through JSON) and Keras' parameter counts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from humblenet import Tensor, nn

RNG = np.random.default_rng(1234)


def _torch_linear(layer: nn.Dense) -> torch.nn.Linear:
    """A ``torch.nn.Linear`` holding ``layer``'s weights as they are (same layout)."""
    assert layer.weight is not None and layer.in_features is not None
    out = torch.nn.Linear(layer.in_features, layer.units, bias=layer.use_bias, dtype=torch.float64)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(layer.weight.data))
        if layer.bias is not None:
            out.bias.copy_(torch.from_numpy(layer.bias.data))
    return out


def test_dense_learns_its_input_size_from_the_first_input() -> None:
    layer = nn.Dense(3, seed=0)
    assert layer.weight is None and layer.count_params() == 0
    out = layer(np.ones((2, 7), dtype=np.float32))
    assert out.shape == (2, 3)
    assert layer.in_features == 7 and layer.weight is not None
    assert layer.weight.shape == (3, 7) and layer.bias is not None and layer.bias.shape == (3,)
    assert layer.count_params() == 7 * 3 + 3
    with pytest.raises(ValueError, match="7 features.*but the layer expects|expects 7"):
        layer(np.ones((2, 5), dtype=np.float32))


def test_dense_without_bias_and_seeded_weights() -> None:
    layer = nn.Dense(4, use_bias=False, seed=3)
    layer.build((6,))
    assert layer.bias is None and layer.count_params() == 24
    again = nn.Dense(4, use_bias=False, seed=3)
    again.build((6,))
    np.testing.assert_array_equal(layer.weight.data, again.weight.data)  # type: ignore[union-attr]
    other = nn.Dense(4, use_bias=False, seed=4)
    other.build((6,))
    assert not np.array_equal(layer.weight.data, other.weight.data)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("activation", "torch_fn"),
    [
        (None, lambda z: z),
        ("relu", torch.relu),
        ("leaky_relu", lambda z: torch.nn.functional.leaky_relu(z, 0.2)),  # Keras: slope 0.2
        ("sigmoid", torch.sigmoid),
        ("tanh", torch.tanh),
        ("gelu", torch.nn.functional.gelu),
        ("softmax", lambda z: torch.softmax(z, dim=-1)),
    ],
)
def test_dense_matches_torch_linear_then_activation(activation: str | None, torch_fn) -> None:
    layer = nn.Dense(5, activation=activation, dtype="float64", seed=7)
    x = RNG.normal(size=(6, 4))
    xt = torch.tensor(x, requires_grad=True)
    layer.build((4,))
    reference = _torch_linear(layer)
    expected = torch_fn(reference(xt))
    xh = Tensor(x, requires_grad=True)
    out = layer(xh)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    seed_grad = RNG.normal(size=(6, 5))
    out.backward(seed_grad)
    expected.backward(torch.tensor(seed_grad))
    np.testing.assert_allclose(xh.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, reference.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, reference.bias.grad.numpy(), rtol=1e-10)


def test_dense_unknown_activation_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown activation 'relux'.*gelu.*relu.*softmax"):
        nn.Dense(3, activation="relux")
    with pytest.raises(ValueError, match="units must be a positive integer, got 0"):
        nn.Dense(0)


def test_linear_weight_layout_is_out_by_in_and_matches_torch() -> None:
    layer = nn.Linear(6, 4, seed=0, dtype="float64")
    assert layer.weight.shape == (4, 6) and layer.bias.shape == (4,)
    x = RNG.normal(size=(3, 6))
    expected = _torch_linear(layer)(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12)
    assert layer.count_params() == 6 * 4 + 4


def test_linear_initialization_has_torch_bound_1_over_sqrt_in_features() -> None:
    in_features, out_features = 400, 600
    bound = 1 / math.sqrt(in_features)
    w = nn.Linear(in_features, out_features, seed=5).weight.data.astype(np.float64)
    torch.manual_seed(0)
    torch_w = torch.nn.Linear(in_features, out_features).weight.detach().numpy().astype(np.float64)
    for sample in (w, torch_w):  # ours and PyTorch's: the same uniform distribution
        assert np.abs(sample).max() <= bound * (1 + 1e-6)
        assert np.abs(sample).max() >= bound * 0.999
        assert abs(sample.std() - bound / math.sqrt(3)) < 0.01 * bound / math.sqrt(3)
        assert abs(sample.mean()) < 0.01 * bound
    assert abs(w.std() - torch_w.std()) < 0.01 * torch_w.std()
    bias = nn.Linear(in_features, 20000, seed=6).bias.data
    assert np.abs(bias).max() <= bound * (1 + 1e-6) and np.abs(bias).max() >= bound * 0.999


def test_flatten_matches_torch() -> None:
    x = RNG.normal(size=(2, 3, 4))
    out = nn.Flatten()(x)
    np.testing.assert_array_equal(out.data, torch.nn.Flatten()(torch.tensor(x)).numpy())
    assert nn.Flatten().compute_output_shape((28, 28)) == (784,)
    assert nn.Flatten().count_params() == 0


def test_dropout_is_the_identity_in_eval_mode() -> None:
    layer = nn.Dropout(0.5, seed=0)
    layer.eval()
    x = Tensor(RNG.normal(size=(10, 10)))
    np.testing.assert_array_equal(layer(x).data, x.data)


def test_dropout_in_train_mode_drops_at_rate_and_scales_the_rest() -> None:
    rate = 0.3
    x = np.ones((200, 500))
    out = nn.Dropout(rate, seed=1)(Tensor(x, requires_grad=True))
    kept = out.data != 0
    assert abs(1 - kept.mean() - rate) < 0.005  # 100000 draws: 4 standard deviations
    np.testing.assert_allclose(out.data[kept], 1 / (1 - rate))
    assert abs(out.data.mean() - 1) < 0.01  # the expected value is kept
    xt = Tensor(x, requires_grad=True)
    out = nn.Dropout(rate, seed=1)(xt)
    out.sum().backward()
    np.testing.assert_array_equal(xt.grad, out.data)  # gradient = the same mask, same scale


def test_dropout_is_seeded() -> None:
    x = Tensor(np.ones((8, 8)))
    first, second = nn.Dropout(0.5, seed=9), nn.Dropout(0.5, seed=9)
    for _ in range(3):  # the same sequence of masks
        np.testing.assert_array_equal(first(x).data, second(x).data)
    assert not np.array_equal(nn.Dropout(0.5, seed=9)(x).data, nn.Dropout(0.5, seed=10)(x).data)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1.5"):
        nn.Dropout(1.5)


@pytest.mark.parametrize(
    ("layer", "torch_layer"),
    [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.GELU(), torch.nn.GELU()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")),
        (nn.Softmax(), torch.nn.Softmax(dim=-1)),
        (nn.Softmax(axis=0), torch.nn.Softmax(dim=0)),
    ],
    ids=lambda v: repr(v),
)
def test_activation_layers_match_torch(layer: nn.Module, torch_layer: torch.nn.Module) -> None:
    x = RNG.normal(size=(5, 4)) * 3
    x[0, :] = [-30.0, 30.0, 0.0, 1e-3]
    xh = Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, expected = layer(xh), torch_layer(xt)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    g = RNG.normal(size=x.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(xh.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-14)


ALL_LAYERS = [
    nn.Dense(7, activation="relu", use_bias=False, kernel_initializer="he_normal", seed=3),
    nn.Dense(2, activation="softmax", input_shape=(5,), name="head", dtype="float64"),
    nn.Linear(3, 4, bias=False, seed=1),
    nn.Flatten(input_shape=(2, 3)),
    nn.Dropout(0.25, seed=2),
    nn.ReLU(),
    nn.LeakyReLU(0.3),
    nn.Sigmoid(),
    nn.Tanh(),
    nn.GELU("tanh"),
    nn.Softmax(axis=0),
]


@pytest.mark.parametrize("layer", ALL_LAYERS, ids=lambda v: type(v).__name__)
def test_every_layer_rebuilds_from_its_config_through_json(layer: nn.Module) -> None:
    config = layer.get_config()  # type: ignore[attr-defined]
    written = json.dumps(nn.layers.layer_config(layer))
    rebuilt = nn.from_config(json.loads(written))
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == config  # type: ignore[attr-defined]


def test_sequential_rebuilds_from_json_with_the_same_weights_when_seeded() -> None:
    model = nn.Sequential(
        [
            nn.Flatten(input_shape=(2, 2)),
            nn.Dense(5, activation="relu", seed=1),
            nn.Dropout(0.5, seed=2),
            nn.Dense(3, activation="softmax", seed=3),
        ],
        name="tiny",
    )
    rebuilt = nn.from_config(json.loads(json.dumps(model.get_config())))
    assert isinstance(rebuilt, nn.Sequential) and rebuilt.name == "tiny"
    assert rebuilt.get_config() == model.get_config()
    assert rebuilt.count_params() == model.count_params() == 4 * 5 + 5 + 5 * 3 + 3
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(rebuilt.state_dict()[key], value)


def test_from_config_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="unknown layer class 'Conv3D'; known layers: .*Dense"):
        nn.from_config({"class_name": "Conv3D", "config": {}})
    with pytest.raises(ValueError, match="bad configuration for Dense"):
        nn.from_config({"class_name": "Dense", "config": {"units": 3, "colour": "red"}})


def _keras_count(sizes: list[int]) -> int:
    """Keras' parameter count of a stack of Dense layers: in * out + out per layer."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def test_part9_network_has_keras_parameter_counts() -> None:
    model = nn.Sequential(
        [nn.Flatten(input_shape=(28, 28))]
        + [nn.Dense(n, activation="relu") for n in (512, 216, 128, 64, 32, 16)]
        + [nn.Dense(10, activation="softmax")]
    )
    sizes = [784, 512, 216, 128, 64, 32, 16, 10]
    assert model.count_params() == _keras_count(sizes)
    per_layer = [layer.count_params() for layer in model]
    assert per_layer == [0] + [a * b + b for a, b in zip(sizes[:-1], sizes[1:])]
    assert (
        [layer.weight.shape for layer in model.layers[1:]]
        == [  # type: ignore[attr-defined]
            (b, a) for a, b in zip(sizes[:-1], sizes[1:])
        ]
    )
