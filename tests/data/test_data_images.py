"""Images with a channel axis and seeded augmentation (humblenet.data.images): the data sets'
``channels=``, ``ImageAugmentation`` against a per-sample reference written with ``np.pad`` and
slices, the DataLoader's per-batch draws from ``(seed, epoch, batch)``, and a fit with
augmentation killed inside an epoch that resumes to the same bytes as an uninterrupted one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import humblenet
from humblenet import nn
from humblenet.data import (
    DataLoader,
    DatasetNotFoundError,
    ImageAugmentation,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    with_channels,
)
from humblenet.data.catalog import load_raw_images
from humblenet.keras.datasets import fashion_mnist
from humblenet.training import BackupAndRestore, Callback, LearningRateScheduler


def _reference(batch: np.ndarray, dy, dx, flips, shift: int, axis: int | None) -> np.ndarray:
    """Each sample moved by (dy, dx) and mirrored, one at a time: pad, slice, reverse."""
    images = batch[:, None] if axis is None else np.moveaxis(batch, axis, 1)
    out = np.empty_like(images)
    height, width = images.shape[2:]
    for n, image in enumerate(images):
        padded = np.pad(image, ((0, 0), (shift, shift), (shift, shift)))
        top, left = shift + dy[n], shift + dx[n]
        crop = padded[:, top : top + height, left : left + width]
        out[n] = crop[:, :, ::-1] if flips[n] else crop
    return out[:, 0] if axis is None else np.moveaxis(out, 1, axis)


def _draws(seed: int, count: int, shift: int, flip: bool):
    """The draws ImageAugmentation documents: dy and dx (with a shift), then the flips."""
    rng = np.random.default_rng(seed)
    dy = dx = np.zeros(count, dtype=int)
    if shift:
        dy, dx = rng.integers(-shift, shift + 1, size=(2, count))
    flips = rng.random(count) < 0.5 if flip else np.zeros(count, bool)
    return dy, dx, flips


# -- channels --------------------------------------------------------------------------------


def test_digits_with_channels_first_and_last() -> None:
    plain = load_digits()
    first, last = load_digits(channels="first"), load_digits(channels="last")
    assert first.x_train.shape == (1438, 1, 8, 8) and last.x_test.shape == (359, 8, 8, 1)
    np.testing.assert_array_equal(first.x_train[:, 0], plain.x_train)
    np.testing.assert_array_equal(last.x_test[..., 0], plain.x_test)
    np.testing.assert_array_equal(first.y_train, plain.y_train)  # the same split
    assert first.x_train.flags.c_contiguous and last.x_train.flags.c_contiguous
    via_catalog = load_dataset("digits", channels="last")
    np.testing.assert_array_equal(via_catalog.x_train, last.x_train)


def test_channels_refuses_a_bad_value_and_a_flattened_layout() -> None:
    with pytest.raises(ValueError, match="channels must be None .* got 'middle'"):
        load_digits(channels="middle")
    with pytest.raises(ValueError, match="flatten=True and channels='first'"):
        load_digits(flatten=True, channels="first")
    with pytest.raises(ValueError, match="needs grey images"):
        with_channels(np.zeros((2, 4)), "first")
    assert with_channels(np.zeros((2, 3, 3)), None).shape == (2, 3, 3)


def test_fashion_mnist_and_keras_load_data_with_channels() -> None:
    try:
        raw = load_raw_images("fashion-mnist")
    except DatasetNotFoundError as error:
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but Fashion-MNIST is missing: {error}")
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    first = load_fashion_mnist(channels="first")
    assert first.x_train.shape == (60000, 1, 28, 28)
    np.testing.assert_array_equal(first.x_test[:, 0], raw[1][0].astype(np.float32) / 255)
    (x_train, y_train), (x_test, _) = fashion_mnist.load_data(channels="last")
    assert x_train.shape == (60000, 28, 28, 1) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_test[..., 0], raw[1][0])
    np.testing.assert_array_equal(y_train, raw[0][1])


# -- ImageAugmentation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "channels", "axis"),
    [
        ((6, 5, 7), None, None),
        ((6, 2, 5, 7), None, 1),
        ((6, 5, 7, 3), None, 3),
        ((6, 3, 5, 3), "first", 1),
        ((6, 3, 5, 3), "last", 3),
    ],
)
@pytest.mark.parametrize(("shift", "flip"), [(2, False), (0, True), (1, True), (3, True)])
def test_augmentation_equals_the_per_sample_reference(shape, channels, axis, shift, flip) -> None:
    batch = np.random.default_rng(0).random(shape).astype(np.float32)
    kept = batch.copy()
    augmentation = ImageAugmentation(shift=shift, flip=flip, channels=channels)
    result = augmentation(batch, np.random.default_rng(5))
    expected = _reference(batch, *_draws(5, shape[0], shift, flip), shift, axis)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == batch.dtype and result.shape == batch.shape
    np.testing.assert_array_equal(batch, kept)  # the batch itself is not changed
    out = np.empty_like(batch)
    assert augmentation(batch, np.random.default_rng(5), out=out) is out
    np.testing.assert_array_equal(out, expected)


def test_a_shift_moves_pixels_and_brings_in_zeros() -> None:
    """Worked by hand: a 1×3 row moved right by one pixel is (0, a, b)."""
    image = np.array([[[1.0, 2.0, 3.0]]])  # (1, 1, 3)
    for seed in range(20):
        dy, dx, _ = _draws(seed, 1, 1, False)
        if dy[0] == 0 and dx[0] == -1:  # the crop starts one column left: content moves right
            result = ImageAugmentation(shift=1)(image, np.random.default_rng(seed))
            np.testing.assert_array_equal(result, [[[0.0, 1.0, 2.0]]])
            return
    pytest.fail("no seed drew dy = 0, dx = -1")


def test_augmentation_draws_differ_between_samples_and_repeat_by_seed() -> None:
    batch = np.random.default_rng(1).random((64, 8, 8))
    augmentation = ImageAugmentation(shift=2, flip=True)
    a = augmentation(batch, np.random.default_rng(3))
    np.testing.assert_array_equal(a, augmentation(batch, np.random.default_rng(3)))
    assert not np.array_equal(a, augmentation(batch, np.random.default_rng(4)))
    dy, dx, flips = _draws(3, 64, 2, True)
    assert len(set(zip(dy, dx, flips))) > 30  # each sample its own draw, of 50 possible
    moved = [not np.array_equal(a[n], batch[n]) for n in range(64)]
    assert moved == [(dy[n], dx[n], flips[n]) != (0, 0, False) for n in range(64)]


def test_augmentation_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="give images unflattened"):
        ImageAugmentation(shift=1)(np.zeros((4, 64)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="cannot tell the channel axis"):
        ImageAugmentation(flip=True)(np.zeros((2, 3, 5, 3)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="shift"):
        ImageAugmentation(shift=-1)
    with pytest.raises(TypeError, match="flip must be True or False"):
        ImageAugmentation(flip="yes")  # type: ignore[arg-type]


# -- DataLoader --------------------------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("reuse", [True, False])
def test_the_loader_augments_batch_b_of_epoch_e_with_seed_e_b(shuffle: bool, reuse: bool) -> None:
    x = np.random.default_rng(2).random((23, 1, 6, 6)).astype(np.float32)
    y = np.arange(23)
    kept = x.copy()
    augmentation = ImageAugmentation(shift=2, flip=True)
    loader = DataLoader(
        x, y, batch_size=5, shuffle=shuffle, seed=9, reuse_buffers=reuse, augment=augmentation
    )
    for epoch in range(2):
        order = loader.order(epoch) if shuffle else np.arange(23)
        for batch, (x_batch, y_batch) in enumerate(loader):
            indices = order[batch * 5 : batch * 5 + 5]
            np.testing.assert_array_equal(y_batch, y[indices])  # labels stay with their images
            expected = _reference(
                x[indices], *_draws_of(9, epoch, batch, len(indices)), 2, axis=1
            )
            np.testing.assert_array_equal(x_batch, expected)
    np.testing.assert_array_equal(x, kept)  # the data is never changed
    loader.epoch = 1  # a resumed loader: epoch 1 again gives the same pixels
    first = next(iter(loader))[0].copy()
    loader.epoch = 1
    np.testing.assert_array_equal(next(iter(loader))[0], first)


def _draws_of(seed: int, epoch: int, batch: int, count: int):
    rng = np.random.default_rng([seed, epoch, batch])
    dy, dx = rng.integers(-2, 3, size=(2, count))
    return dy, dx, rng.random(count) < 0.5


def test_the_loader_without_augmentation_is_unchanged() -> None:
    x = np.arange(40, dtype=np.float32).reshape(10, 2, 2)
    plain = [b.copy() for b in DataLoader(x, batch_size=4, shuffle=True, seed=0)]
    idle = DataLoader(x, batch_size=4, shuffle=True, seed=0, augment=ImageAugmentation())
    for a, b in zip(plain, idle):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="augment must be an ImageAugmentation"):
        DataLoader(x, augment=lambda batch: batch)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="DataLoader \\(augment\\)"):
        DataLoader(np.zeros((4, 9)), augment=ImageAugmentation(shift=1))


# -- fit: augmentation, schedules and resuming -------------------------------------------------


def _images() -> tuple[np.ndarray, np.ndarray]:
    """40 images 1×6×6 whose class is whether the bright bar is a row or a column."""
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 6, 6)).astype(np.float32) * 0.3
    y = np.arange(40) % 2
    for n in range(40):
        place = 1 + n % 4
        if y[n]:
            x[n, 0, :, place] = 1.0
        else:
            x[n, 0, place, :] = 1.0
    return x, y


def _cnn() -> humblenet.Sequential:
    model = humblenet.Sequential(
        [
            nn.Conv2d(1, 3, 3, padding=1, seed=0),
            nn.BatchNorm2d(3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(27, 2, seed=1),
            nn.Activation("softmax"),
        ]
    )
    model.build((1, 6, 6))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", learning_rate=0.02)
    return model


class _Crash(Callback):
    def __init__(self, after: int) -> None:
        self.after, self.seen = after, 0

    def on_batch_end(self, epoch: int, batch: int) -> None:
        self.seen += 1
        if self.seen == self.after:
            raise RuntimeError("crash")


def _fit(model, folder: Path | None, *extra: Callback, augment=None):
    """Three epochs of 5 batches, a rate that drops for the last, backed up every 2 batches."""
    x, y = _images()
    schedule = LearningRateScheduler(lambda epoch, rate: 0.02 if epoch < 2 else 0.002)
    backup = [] if folder is None else [BackupAndRestore(folder, save_freq=2)]
    callbacks = [*backup, schedule, *extra]
    return model.fit(
        x, y, epochs=3, batch_size=8, seed=4, verbose=0, callbacks=callbacks, augment=augment
    )


def _weights(model) -> list[bytes]:
    return [array.tobytes() for array in model.state_dict().values()]


def test_fit_with_augmentation_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    augment = ImageAugmentation(shift=1, flip=True)
    reference = _cnn()
    history = _fit(reference, None, augment=augment)
    plain = _cnn()
    _fit(plain, None)
    assert _weights(plain) != _weights(reference)  # the augmentation did change the batches
    assert reference.optimizer.learning_rate == 0.002  # the schedule ran
    with pytest.raises(RuntimeError, match="crash"):
        _fit(_cnn(), tmp_path / "b", _Crash(8), augment=augment)  # inside epoch 2, batch 3
    resumed = _cnn()
    resumed_history = _fit(resumed, tmp_path / "b", augment=augment)
    assert _weights(resumed) == _weights(reference)  # running statistics included
    assert resumed_history.history == history.history


def test_fit_refuses_augmentation_of_flat_inputs_before_building() -> None:
    model = humblenet.Sequential([nn.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="fit \\(augment\\)"):
        model.fit(np.zeros((4, 9)), np.zeros(4, int), augment=ImageAugmentation(shift=1))
    assert not model.built  # refused before any weight was made
    with pytest.raises(TypeError, match="augment must be an ImageAugmentation"):
        model.fit(np.zeros((4, 9)), np.zeros(4, int), augment="shift")  # type: ignore[arg-type]


def test_learning_rate_scheduler_sets_each_epochs_rate() -> None:
    seen: list[float] = []

    class Record(Callback):
        def on_epoch_begin(self, epoch: int) -> None:
            seen.append(self.model.optimizer.learning_rate)

    model = _cnn()
    x, y = _images()
    halve = LearningRateScheduler(lambda epoch, rate: 0.04 * 0.5**epoch)
    model.fit(x, y, epochs=3, batch_size=20, verbose=0, seed=0, callbacks=[halve, Record()])
    assert seen == [0.04, 0.02, 0.01]
    with pytest.raises(ValueError, match="the schedule gave -1.0 for epoch 0"):
        bad = LearningRateScheduler(lambda epoch, rate: -1.0)
        _cnn().fit(x, y, epochs=1, verbose=0, callbacks=[bad])
    with pytest.raises(TypeError, match="schedule must be a function"):
        LearningRateScheduler(0.1)
