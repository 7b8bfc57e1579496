"""Tests of humblenet.data.DataLoader: batch counts, seeded shuffles, buffers, errors."""

import numpy as np
import pytest

from humblenet.data import DataLoader


def epoch(loader):
    """One epoch as a list of (x, y) copies (safe even with reused buffers)."""
    return [(xb.copy(), yb.copy()) for xb, yb in loader]


@pytest.mark.parametrize(
    ("samples", "batch_size", "drop_last", "sizes"),
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (8, 4, False, [4, 4]),
        (8, 4, True, [4, 4]),
        (3, 5, False, [3]),
        (3, 5, True, []),
        (1, 1, False, [1]),
    ],
)
@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_count_and_sizes(samples, batch_size, drop_last, sizes, shuffle):
    x = np.arange(samples, dtype=np.float32)
    loader = DataLoader(x, x, batch_size=batch_size, shuffle=shuffle, seed=0, drop_last=drop_last)
    assert len(loader) == len(sizes)
    assert [len(xb) for xb, _ in loader] == sizes


def test_unshuffled_batches_are_views_in_order():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    batches = list(DataLoader(x, y, batch_size=4))
    assert all(np.shares_memory(xb, x) and np.shares_memory(yb, y) for xb, yb in batches)
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), x)
    np.testing.assert_array_equal(batches[2][1], [8, 9])


def test_shuffled_epoch_follows_default_rng_permutation_of_seed_and_epoch():
    x = np.arange(10)
    loader = DataLoader(x, x * 2, batch_size=3, shuffle=True, seed=42)
    for number in range(3):
        order = np.random.default_rng([42, number]).permutation(10)
        np.testing.assert_array_equal(np.concatenate([xb for xb, _ in epoch(loader)]), order)


def test_an_epoch_order_depends_on_seed_and_epoch_only():
    """Epoch 5 of a loader that ran 5 epochs is epoch 5 of a new loader set to start there."""
    x = np.arange(30)
    ran = DataLoader(x, x, batch_size=7, shuffle=True, seed=4)
    for _ in range(5):
        epoch(ran)
    fresh = DataLoader(x, x, batch_size=7, shuffle=True, seed=4)
    fresh.epoch = 5
    a = np.concatenate([xb for xb, _ in epoch(ran)])
    b = np.concatenate([xb for xb, _ in epoch(fresh)])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.random.default_rng([4, 5]).permutation(30))
    assert ran.epoch == fresh.epoch == 6


def test_an_unseeded_loader_keeps_the_seed_it_drew():
    x = np.arange(40)
    loader = DataLoader(x, batch_size=40, shuffle=True)
    again = DataLoader(x, batch_size=40, shuffle=True, seed=loader.seed)
    np.testing.assert_array_equal(next(iter(loader)), next(iter(again)))
    with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
        DataLoader(x, shuffle=True, seed=-1)


def test_every_sample_once_per_epoch_and_pairs_stay_together():
    x = np.arange(103, dtype=np.float32).reshape(103, 1) * np.ones((1, 3), dtype=np.float32)
    y = np.arange(103) * 7
    loader = DataLoader(x, y, batch_size=10, shuffle=True, seed=1, reuse_buffers=True)
    for _ in range(3):
        batches = epoch(loader)
        xs = np.concatenate([xb for xb, _ in batches])
        ys = np.concatenate([yb for _, yb in batches])
        assert sorted(xs[:, 0].tolist()) == list(range(103))
        np.testing.assert_array_equal(ys, xs[:, 0].astype(np.int64) * 7)
        np.testing.assert_array_equal(xs[:, 0], xs[:, 2])


def test_same_seed_same_epochs_and_epochs_differ():
    x = np.arange(50)
    first = DataLoader(x, x, batch_size=8, shuffle=True, seed=7)
    second = DataLoader(x, x, batch_size=8, shuffle=True, seed=7)
    epochs_a = [np.concatenate([xb for xb, _ in epoch(first)]) for _ in range(3)]
    epochs_b = [np.concatenate([xb for xb, _ in epoch(second)]) for _ in range(3)]
    for a, b in zip(epochs_a, epochs_b, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    other = DataLoader(x, x, batch_size=8, shuffle=True, seed=8)
    assert not np.array_equal(np.concatenate([xb for xb, _ in epoch(other)]), epochs_a[0])


def test_generator_as_seed():
    x = np.arange(12)
    from_generator = DataLoader(x, batch_size=12, shuffle=True, seed=np.random.default_rng(3))
    drawn = int(np.random.default_rng(3).integers(2**63))  # one seed, drawn at construction
    assert from_generator.seed == drawn
    np.testing.assert_array_equal(
        next(iter(from_generator)), np.random.default_rng([drawn, 0]).permutation(12)
    )


def test_drop_last_with_shuffle_sees_distinct_full_batches():
    x = np.arange(23)
    loader = DataLoader(x, x, batch_size=5, shuffle=True, seed=0, drop_last=True)
    seen = np.concatenate([xb for xb, _ in epoch(loader)])
    assert len(seen) == 20 and len(set(seen.tolist())) == 20


def test_reused_buffers_are_overwritten_by_the_next_batch():
    x = np.arange(12, dtype=np.float32)
    loader = DataLoader(x, x, batch_size=4, shuffle=True, seed=0, reuse_buffers=True)
    iterator = iter(loader)
    first_x, first_y = next(iterator)
    kept = first_x.copy()
    second_x, second_y = next(iterator)
    assert second_x is first_x and second_y is first_y  # the same buffer, refilled
    assert not np.array_equal(first_x, kept)  # so a kept batch changes: copy it to keep it


def test_default_batches_are_independent_arrays():
    x = np.arange(12, dtype=np.float32)
    batches = list(DataLoader(x, x, batch_size=4, shuffle=True, seed=0))
    assert len({id(xb) for xb, _ in batches}) == 3
    assert sorted(np.concatenate([xb for xb, _ in batches]).tolist()) == list(range(12))


def test_shapes_and_dtypes_are_kept():
    x = np.zeros((7, 28, 28), dtype=np.float32)
    y = np.zeros(7, dtype=np.int64)
    for shuffle in (False, True):
        xb, yb = next(iter(DataLoader(x, y, batch_size=4, shuffle=shuffle, seed=0)))
        assert xb.shape == (4, 28, 28) and xb.dtype == np.float32
        assert yb.shape == (4,) and yb.dtype == np.int64


def test_inputs_only_yield_arrays():
    x = np.arange(5)
    assert [b.tolist() for b in DataLoader(x, batch_size=2)] == [[0, 1], [2, 3], [4]]
    shuffled = list(DataLoader(x, batch_size=2, shuffle=True, seed=0))
    assert sorted(np.concatenate(shuffled).tolist()) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("batch_size", [0, -3])
def test_batch_size_below_one(batch_size):
    with pytest.raises(
        ValueError, match=f"DataLoader: batch_size must be .* >= 1, got {batch_size}"
    ):
        DataLoader(np.arange(4), batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [2.5, "4", True, None])
def test_batch_size_not_an_integer(batch_size):
    with pytest.raises(TypeError, match="DataLoader: batch_size must be a whole number"):
        DataLoader(np.arange(4), batch_size=batch_size)


def test_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match=r"x with 5 .* y with 4"):
        DataLoader(np.zeros((5, 2)), np.zeros(4))


def test_scalar_and_empty_inputs():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        DataLoader(np.float32(3.0))
    with pytest.raises(ValueError, match="x is empty"):
        DataLoader(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="y is empty"):
        DataLoader(np.zeros((2, 3)), np.zeros(0))
