"""Tests of the synthetic jogging data set: the formula, the shipped file, a linear fit."""

import numpy as np
import pytest

from humblenet.data import generate_jogging, jogging_kcal, load_dataset, read_csv
from humblenet.data.jogging import JOGGING_CSV


def test_formula_by_hand():
    # 30 min at 3 m/s (180 m/min), 80 kg: VO2 = 0.2 * 180 + 3.5 = 39.5 mL/kg/min,
    # 39.5 * 80 * 30 / 1000 = 94.8 L of oxygen, * 5 kcal/L = 474.0 kcal.
    assert jogging_kcal(30, 3, 80) == pytest.approx(474.0, rel=1e-12)
    # 60 min at 2 m/s, 50 kg: VO2 = 0.2 * 120 + 3.5 = 27.5; 27.5 * 50 * 60 / 1000 * 5 = 412.5
    assert jogging_kcal(60, 2, 50) == pytest.approx(412.5, rel=1e-12)


def test_shipped_file_is_what_the_generator_makes():
    assert JOGGING_CSV.read_text(encoding="utf-8") == generate_jogging()


def test_shipped_file_columns_ranges_and_noise():
    table = read_csv(JOGGING_CSV, target="kcal", task="regress")
    assert table.feature_names == ("minutes", "speed_m_per_s", "mass_kg")
    assert table.x.shape == (1000, 3)
    minutes, speed, mass = table.x.astype(np.float64).T
    assert 10 <= minutes.min() and minutes.max() <= 60
    assert 2 <= speed.min() and speed.max() <= 4.5
    assert 50 <= mass.min() and mass.max() <= 100
    # kcal / formula is 1 + 3% noise: mean about 1, spread about 0.03.
    ratio = table.y / jogging_kcal(minutes, speed, mass)
    assert abs(ratio.mean() - 1) < 0.005
    assert 0.025 < ratio.std() < 0.035


def test_generator_is_seeded():
    assert generate_jogging(n=20, seed=5) == generate_jogging(n=20, seed=5)
    assert generate_jogging(n=20, seed=5) != generate_jogging(n=20, seed=6)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        generate_jogging(n=0)


def test_least_squares_weights_are_interpretable():
    table = read_csv(JOGGING_CSV, target="kcal", task="regress")
    x, y = table.x.astype(np.float64), table.y.astype(np.float64)
    # Like part 2's network, no bias: kcal ≈ w · (minutes, speed, mass).
    weights, *_ = np.linalg.lstsq(x, y, rcond=None)
    per_minute, per_speed, per_kg = weights
    # Part 2 invented 6.2 kcal/min, 8.1 per m/s, 0.31 per kg: same signs, and the
    # per-minute weight of the same order of magnitude.
    assert per_minute > 0 and per_speed > 0 and per_kg > 0
    assert 6.2 / 3 < per_minute < 6.2 * 3
    # With an intercept, the per-minute weight approaches the formula's slope at the average
    # run: d kcal / d minutes = 75 kg * (0.2 * 195 + 3.5) * 5 / 1000 = 15.9375.
    with_bias = np.c_[x, np.ones(len(x))]
    weights, *_ = np.linalg.lstsq(with_bias, y, rcond=None)
    assert weights[0] == pytest.approx(75 * (0.2 * 195 + 3.5) * 5 / 1000, rel=0.1)


def test_load_dataset_jogging_split():
    data = load_dataset("jogging")
    assert data.task == "regress" and data.class_names is None
    assert data.x_train.shape == (800, 3) and data.x_test.shape == (200, 3)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.float32
    assert "SYNTHETIC" in data.description
