"""Tests for the initializers: seeded, and with the bounds and standard deviations of their
formulas (checked on a large matrix, and against ``torch.nn.init`` on the same shape)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from humblenet.nn import init

FAN_OUT, FAN_IN = 300, 500  # a (300, 500) weight: 150000 draws
SHAPE = (FAN_OUT, FAN_IN)

# name: (uniform?, the bound or standard deviation written out by hand, torch's initializer)
CASES = {
    "glorot_uniform": (True, math.sqrt(6 / (FAN_IN + FAN_OUT)), torch.nn.init.xavier_uniform_),
    "glorot_normal": (False, math.sqrt(2 / (FAN_IN + FAN_OUT)), torch.nn.init.xavier_normal_),
    "he_uniform": (True, math.sqrt(6 / FAN_IN), torch.nn.init.kaiming_uniform_),
    "he_normal": (False, math.sqrt(2 / FAN_IN), torch.nn.init.kaiming_normal_),
}


def _draw(name: str, seed: int, dtype: type = np.float64) -> np.ndarray:
    return init.get(name)(SHAPE, FAN_IN, FAN_OUT, np.random.default_rng(seed), dtype)


@pytest.mark.parametrize("name", sorted(CASES))
def test_statistics_match_the_formula_and_torch(name: str) -> None:
    uniform, scale, torch_init = CASES[name]
    w = _draw(name, 0)
    assert w.shape == SHAPE and w.dtype == np.float64
    # torch fills (out, in) weights with fan_in = in; kaiming needs relu's gain, the default.
    reference = torch_init(torch.empty(SHAPE, dtype=torch.float64)).numpy()
    if uniform:
        expected_std = scale / math.sqrt(3)
        assert np.abs(w).max() <= scale and np.abs(w).max() > 0.999 * scale
        assert np.abs(reference).max() <= scale and np.abs(reference).max() > 0.999 * scale
    else:
        expected_std = scale
    assert abs(w.std() - expected_std) < 0.01 * expected_std
    assert abs(w.mean()) < 0.01 * expected_std
    assert abs(w.std() - reference.std()) < 0.015 * expected_std


@pytest.mark.parametrize("alias", ["xavier_uniform", "xavier_normal", "kaiming_uniform"])
def test_aliases_are_the_same_initializers(alias: str) -> None:
    original = alias.replace("xavier", "glorot").replace("kaiming", "he")
    np.testing.assert_array_equal(_draw(alias, 3), _draw(original, 3))


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_same_seed_same_weights(name: str) -> None:
    np.testing.assert_array_equal(_draw(name, 11), _draw(name, 11))
    if name not in ("zeros", "ones"):
        assert not np.array_equal(_draw(name, 11), _draw(name, 12))
    assert _draw(name, 1, np.float32).dtype == np.float32


def test_zeros_and_ones() -> None:
    assert not _draw("zeros", 0).any()
    assert (_draw("ones", 0) == 1).all()


def test_torch_linear_uniform_bound() -> None:
    w = _draw("torch_linear_uniform", 0)
    bound = 1 / math.sqrt(FAN_IN)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound


def test_unknown_initializer_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown initializer 'glorot'; known.*glorot_normal"):
        init.get("glorot")
