"""Mini-batches of NumPy arrays: ``DataLoader``, with seeded shuffling and reused buffers.

The order of epoch ``e`` depends on the loader's seed and ``e`` alone (a permutation drawn from
``numpy.random.default_rng([seed, e])``, as :func:`humblenet.distributed.shard` draws it), not
on how many epochs ran before in this process: a run resumed inside epoch ``e`` sets
``loader.epoch = e`` and skips exactly the batches already done.

A training step should spend its time in matrix products, not in building batches. So a
shuffled batch is gathered with one ``numpy.take`` call, and with ``reuse_buffers=True`` it is
gathered into the same preallocated arrays every time (no allocation, no page faults). Without
shuffling, a batch is a slice of the data: a view, nothing is copied.

With ``augment=ImageAugmentation(...)`` each batch of images is shifted and flipped at random,
with a generator seeded by ``(seed, epoch, batch)``: like the order, the augmentation of a
batch does not depend on what ran before it, so a resumed run sees the same pixels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from humblenet.data.images import ImageAugmentation, check_augment
from humblenet.random import default_generator
from humblenet.validation import whole

__all__ = ["DataLoader"]


def _check_batch_size(batch_size: object) -> int:
    return whole("DataLoader", "batch_size", batch_size, minimum=1)


def _as_samples(array: Any, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 0:
        raise ValueError(
            f"{name} must have at least 1 dimension (one entry per sample), got a scalar "
            f"{array!r}; wrap it in a list or reshape it"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}): a DataLoader needs >= 1 sample")
    # np.take into a buffer is fastest on C-contiguous rows; copy once here if needed.
    return np.ascontiguousarray(array)


def _shuffle_seed(seed: object) -> int:
    """The loader's integer seed: the one given, or one drawn from a Generator (for None,
    humblenet's default one: ``humblenet.manual_seed`` makes an unseeded shuffle repeatable,
    as ``torch.manual_seed`` does torch's, and ``keras.utils.set_random_seed`` Keras')."""
    if seed is None:
        seed = default_generator()
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    return whole("DataLoader", "seed", seed)


class DataLoader:
    """Iterate over ``(x_batch, y_batch)`` mini-batches of NumPy arrays.

    Each ``for`` loop over the loader is one epoch. With ``shuffle=True``, epoch ``e`` (counted
    from 0, the attribute ``epoch``) visits the samples in the order
    ``numpy.random.default_rng([seed, e]).permutation(num_samples)``: the same for the same seed
    and epoch, whatever ran before, and every sample once.

    Args:
        x: the inputs, one sample per entry of the first axis (at least 1-D, non-empty).
        y: the targets, same first-axis length as ``x``; ``None`` for inputs only, in which
            case the loader yields ``x_batch`` alone instead of a pair.
        batch_size: samples per batch (an integer >= 1). The last batch is smaller when the
            length is not a multiple of it, unless ``drop_last``.
        shuffle: draw a new order for every epoch.
        seed: an integer >= 0, a ``numpy.random.Generator`` (one integer seed is drawn from
            it, here), or ``None`` (one drawn from fresh entropy). The attribute ``seed`` is the
            integer used, so even an unseeded loader's order can be repeated.
        drop_last: skip the last, incomplete batch.
        reuse_buffers: the fast path (used by humblenet's training loop). Shuffled batches are
            gathered into the same preallocated arrays each time, so a yielded batch is valid
            only until the next one is requested: copy it (``x_batch.copy()``) to keep it.
            The default ``False`` gives each shuffled batch its own new arrays, safe to keep,
            as PyTorch's loader does. Unshuffled batches are views of ``x`` and ``y`` in both
            cases (valid as long as the data is not modified).
        augment: an :class:`~humblenet.data.images.ImageAugmentation` applied to every batch of
            ``x`` (``y`` is left alone), or ``None`` (the default): no augmentation. Batch ``b``
            of epoch ``e`` is augmented with ``numpy.random.default_rng([seed, e, b])``. The
            data itself is never changed: an augmented batch is a new array (a reused one
            with ``reuse_buffers``).

    Attributes:
        seed: the integer the shuffling is drawn from.
        epoch: the number of the next epoch (its order); each ``for`` loop adds one. Set it to
            start (or resume) at another epoch.

    Example:
        >>> import numpy as np
        >>> loader = DataLoader(np.arange(10), np.arange(10) * 2, batch_size=4)
        >>> len(loader)
        3
        >>> [xb.tolist() for xb, yb in loader]
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        >>> shuffled = DataLoader(np.arange(10), batch_size=4, shuffle=True, seed=0)
        >>> sorted(np.concatenate(list(shuffled)).tolist()) == list(range(10))
        True
    """

    def __init__(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | np.random.Generator | None = None,
        drop_last: bool = False,
        reuse_buffers: bool = False,
        augment: ImageAugmentation | None = None,
    ) -> None:
        self.batch_size = _check_batch_size(batch_size)
        self.x = _as_samples(x, "x")
        self.y = None if y is None else _as_samples(y, "y")
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(
                f"x and y must have the same number of samples, got x with {len(self.x)} "
                f"(shape {self.x.shape}) and y with {len(self.y)} (shape {self.y.shape})"
            )
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.reuse_buffers = bool(reuse_buffers)
        self.seed = _shuffle_seed(seed)
        self.epoch = 0
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        self.augment = check_augment("DataLoader", augment, self.x.shape)
        self._augmented: dict[int, np.ndarray] = {}

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices of epoch ``epoch`` in the order it visits them (shuffled)."""
        return np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)

    @property
    def num_samples(self) -> int:
        """The number of samples (the length of the first axis of ``x``)."""
        return len(self.x)

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full if (self.drop_last or rest == 0) else full + 1

    def _new_buffers(self, size: int) -> tuple[np.ndarray, np.ndarray | None]:
        x_buffer = np.empty((size, *self.x.shape[1:]), dtype=self.x.dtype)
        if self.y is None:
            return x_buffer, None
        return x_buffer, np.empty((size, *self.y.shape[1:]), dtype=self.y.dtype)

    def _buffers_for(self, size: int) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.reuse_buffers:
            return self._new_buffers(size)
        if size not in self._buffers:
            self._buffers[size] = self._new_buffers(size)
        return self._buffers[size]

    def _augmented_batch(
        self, x_batch: np.ndarray, epoch: int, batch: int, owned: bool
    ) -> np.ndarray:
        """``x_batch`` augmented with the generator of ``(seed, epoch, batch)``: in place when
        the loader ``owned`` the array (a gathered batch), else into a new (or reused) one."""
        assert self.augment is not None
        rng = np.random.default_rng([self.seed, epoch, batch])
        out = x_batch if owned else None  # the gather reads a copy: writing over it is safe
        if out is None and self.reuse_buffers:
            out = self._augmented.get(len(x_batch))
            if out is None:
                out = self._augmented[len(x_batch)] = np.empty_like(x_batch)
        return self.augment(x_batch, rng, out=out)

    def __iter__(self) -> Iterator[Any]:
        """One epoch: yields ``(x_batch, y_batch)``, or ``x_batch`` alone when ``y`` is None."""
        x, y, batch_size = self.x, self.y, self.batch_size
        stop_all = min(len(self) * batch_size, len(x))
        epoch = self.epoch
        self.epoch += 1
        order = self.order(epoch) if self.shuffle else None
        augment = self.augment is not None and self.augment.active
        for batch, start in enumerate(range(0, stop_all, batch_size)):
            if order is None:
                stop = start + batch_size
                x_batch, y_batch = x[start:stop], None if y is None else y[start:stop]
            else:
                indices = order[start : start + batch_size]
                x_batch, y_batch = self._buffers_for(len(indices))
                # mode="clip" lets NumPy write straight into `out` (measured 3x faster than the
                # default mode="raise", which buffers); a permutation's indices are in range.
                np.take(x, indices, axis=0, out=x_batch, mode="clip")
                if y is not None and y_batch is not None:
                    np.take(y, indices, axis=0, out=y_batch, mode="clip")
            if augment:
                x_batch = self._augmented_batch(x_batch, epoch, batch, order is not None)
            yield x_batch if y is None else (x_batch, y_batch)

    def __repr__(self) -> str:
        return (
            f"DataLoader(num_samples={self.num_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
            f"reuse_buffers={self.reuse_buffers}, batches={len(self)}"
            + (f", augment={self.augment!r})" if self.augment is not None else ")")
        )
