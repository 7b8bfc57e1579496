"""Images with a channel axis, and seeded augmentation of image batches.

- ``with_channels(images, channels)``: grey images ``(N, H, W)`` as ``(N, 1, H, W)``
  (``"first"``, PyTorch's layout) or ``(N, H, W, 1)`` (``"last"``, Keras'); what the data sets'
  ``channels=`` argument calls.
- ``ImageAugmentation(shift, flip)``: random shifts (pad with zeros, crop back at a random
  offset) and horizontal flips, drawn per batch from a ``numpy.random.Generator``. The
  ``DataLoader`` (and ``fit(augment=...)``) seeds that generator with ``(seed, epoch, batch)``,
  so a run resumed inside an epoch augments its remaining batches exactly as an uninterrupted
  run does.

How a batch is augmented: the batch is padded once (``shift`` zeros on each side), and one
fancy-indexing gather picks every sample's rows ``dy + 0..H-1`` and columns ``dx + 0..W-1`` (read
backwards for a flipped sample) from it: no Python loop over samples.

>>> import numpy as np
>>> images = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
>>> with_channels(images, "first").shape, with_channels(images, "last").shape
((2, 1, 3, 3), (2, 3, 3, 1))
>>> flip = ImageAugmentation(flip=True)
>>> flip(images[:1], np.random.default_rng(2))[0]   # this draw flips it
array([[2., 1., 0.],
       [5., 4., 3.],
       [8., 7., 6.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.validation import whole

__all__ = ["CHANNELS", "ImageAugmentation", "check_augment", "check_channels", "with_channels"]

CHANNELS = (None, "first", "last")
"""The values ``channels=`` takes: no channel axis, channels first (N, C, H, W), channels last."""


def check_channels(owner: str, channels: Any) -> str | None:
    """``channels`` if it is one of ``None``, ``"first"``, ``"last"``; else a ValueError."""
    if channels not in CHANNELS:
        raise ValueError(
            f"{owner}: channels must be None (images (N, H, W)), 'first' ((N, 1, H, W), "
            f"PyTorch's layout) or 'last' ((N, H, W, 1), Keras'), got {channels!r}"
        )
    return channels


def with_channels(images: np.ndarray, channels: str | None, owner: str = "with_channels") -> Any:
    """Grey images ``(N, H, W)`` with a channel axis of size 1 added: ``"first"`` gives
    ``(N, 1, H, W)``, ``"last"`` ``(N, H, W, 1)``, ``None`` the images as they are. The result
    is a view (no copy)."""
    check_channels(owner, channels)
    if channels is None:
        return images
    if images.ndim != 3:
        raise ValueError(
            f"{owner}: channels={channels!r} needs grey images (N, H, W), got shape "
            f"{images.shape}; leave flatten off"
        )
    return images[:, None] if channels == "first" else images[..., None]


def _channel_axis(shape: tuple[int, ...], channels: str | None, owner: str) -> int | None:
    """Where the channel axis of a batch of ``shape`` is: 1, 3, or None (grey, (N, H, W))."""
    if len(shape) == 3 and channels is None:
        return None
    if len(shape) != 4:
        raise ValueError(
            f"{owner}: expected a batch of images (N, H, W), (N, C, H, W) or (N, H, W, C), "
            f"got shape {shape}; give images unflattened (flatten=False)"
        )
    if channels is not None:
        return 1 if channels == "first" else 3
    if shape[1] == shape[3]:
        raise ValueError(
            f"{owner}: cannot tell the channel axis of shape {shape} (axes 1 and 3 are both "
            f"{shape[1]}); give channels='first' or 'last'"
        )
    return 1 if shape[1] < shape[3] else 3


class ImageAugmentation:
    """Random shifts and horizontal flips of a batch of images, drawn from a generator.

    Each sample is moved by a random whole number of pixels ``dy``, ``dx`` in
    ``[-shift, shift]`` (the pixels that come in are 0: a pad of ``shift`` zeros, then a crop
    of the original size, torchvision's ``RandomCrop(size, padding=shift)``), and, with
    ``flip``, mirrored left to right with probability 1/2 (torchvision's
    ``RandomHorizontalFlip``). Flips suit pictures of things (Fashion-MNIST's clothes), not
    digits or letters, whose mirror image is another sign or none; so they are off unless asked.

    Args:
        shift: the largest move in pixels, a whole number >= 0 (0: no shifts).
        flip: mirror half the samples.
        channels: the batches' layout: ``None`` to tell from the shape ((N, H, W) has no channel
            axis; in a 4-D batch the smaller of axes 1 and 3 is the channel axis), ``"first"``
            for (N, C, H, W) or ``"last"`` for (N, H, W, C).

    Calling ``augmentation(batch, rng)`` returns a new array of the batch's shape and dtype (the
    batch itself is not changed; ``out=`` writes into an array of that shape instead). The draws
    from ``rng`` per call are fixed: ``dy`` and ``dx`` (when ``shift``), then the flips.
    """

    def __init__(self, shift: int = 0, flip: bool = False, channels: str | None = None) -> None:
        self.shift = whole("ImageAugmentation", "shift", shift)
        if not isinstance(flip, bool | np.bool_):
            raise TypeError(f"ImageAugmentation: flip must be True or False, got {flip!r}")
        self.flip = bool(flip)
        self.channels = check_channels("ImageAugmentation", channels)

    @property
    def active(self) -> bool:
        """Whether it changes anything (a shift or flips)."""
        return self.shift > 0 or self.flip

    def get_config(self) -> dict[str, Any]:
        """The arguments, as JSON data."""
        return {"shift": self.shift, "flip": self.flip, "channels": self.channels}

    def __repr__(self) -> str:
        return (
            f"ImageAugmentation(shift={self.shift}, flip={self.flip}, channels={self.channels!r})"
        )

    def check(self, shape: tuple[int, ...], owner: str = "ImageAugmentation") -> None:
        """Raise the ValueError that augmenting a batch of ``shape`` would raise."""
        _channel_axis(tuple(shape), self.channels, owner)

    def __call__(
        self, batch: np.ndarray, rng: np.random.Generator, out: np.ndarray | None = None
    ) -> np.ndarray:
        axis = _channel_axis(batch.shape, self.channels, "ImageAugmentation")
        # A (N, C, H, W) view of the batch (and of the output), whatever the layout.
        images = batch[:, None] if axis is None else np.moveaxis(batch, axis, 1)
        count, _, height, width = images.shape
        s = self.shift
        dy = dx = np.zeros(count, dtype=np.intp)
        if s:
            dy, dx = rng.integers(-s, s + 1, size=(2, count))
        rows = (s + dy)[:, None] + np.arange(height)  # (N, H) rows of the padded batch
        columns = np.broadcast_to(np.arange(width), (count, width))
        if self.flip:
            flipped = np.asarray(rng.random(count)) < 0.5
            columns = np.where(flipped[:, None], columns[:, ::-1], columns)
        columns = (s + dx)[:, None] + columns  # (N, W) columns of the padded batch
        padded = np.pad(images, ((0, 0), (0, 0), (s, s), (s, s))) if s else images
        result = np.empty(batch.shape, batch.dtype) if out is None else out
        target = result[:, None] if axis is None else np.moveaxis(result, axis, 1)
        # One gather: sample n, channel c, row rows[n, i], column columns[n, j].
        target[...] = padded[
            np.arange(count)[:, None, None, None],
            np.arange(images.shape[1])[None, :, None, None],
            rows[:, None, :, None],
            columns[:, None, None, :],
        ]
        return result


def check_augment(owner: str, augment: Any, shape: tuple[int, ...]) -> ImageAugmentation | None:
    """``augment`` if it is ``None`` or an :class:`ImageAugmentation` that can augment batches
    of images of ``shape``; else the TypeError or ValueError that says so, naming ``owner``."""
    if augment is None:
        return None
    if not isinstance(augment, ImageAugmentation):
        raise TypeError(
            f"{owner}: augment must be an ImageAugmentation (e.g. "
            f"ImageAugmentation(shift=2, flip=True)) or None, got {type(augment).__name__}"
        )
    augment.check(shape, f"{owner} (augment)")
    return augment
