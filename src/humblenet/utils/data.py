"""PyTorch's ``torch.utils.data`` names over :mod:`humblenet.data`: ``Dataset``,
``TensorDataset`` and ``DataLoader``.

The batching and shuffling are :class:`humblenet.data.DataLoader`'s (over the samples'
positions); this module only gathers each batch from a data set and hands it out as Tensors,
as a PyTorch program expects.

>>> import humblenet
>>> images, labels = humblenet.zeros(10, 1, 4, 4), humblenet.arange(10)
>>> loader = DataLoader(TensorDataset(images, labels), batch_size=4)
>>> len(loader), len(loader.dataset)
(3, 10)
>>> [(tuple(X.shape), y.tolist()) for X, y in loader][-1]
((2, 1, 4, 4), [8, 9])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from humblenet import data
from humblenet.random import get_generator
from humblenet.tensor import Tensor
from humblenet.validation import whole

__all__ = ["DataLoader", "Dataset", "TensorDataset"]


class Dataset:
    """A data set that gives its samples by position, as ``torch.utils.data.Dataset``:
    subclass it and define ``__len__`` and ``__getitem__(index)`` (a sample: a Tensor, an
    array, a number, or a tuple, list or dict of them)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")


class TensorDataset(Dataset):
    """Samples made of the same row of several tensors, as ``torch.utils.data.TensorDataset``:
    ``TensorDataset(images, labels)[i]`` is ``(images[i], labels[i])``.

    Args:
        *tensors: Tensors (or arrays) with the same length along the first axis.

    Attributes:
        tensors: the tensors, as given (arrays become Tensors sharing their memory).
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in tensors)
        if any(t.ndim == 0 for t in self.tensors):
            raise ValueError(
                "TensorDataset: every tensor needs a first axis (one entry per sample), got "
                f"shapes {[t.shape for t in self.tensors]}"
            )
        lengths = {len(t) for t in self.tensors}
        if len(lengths) > 1:
            raise ValueError(
                "TensorDataset: the tensors hold different numbers of samples, shapes "
                f"{[t.shape for t in self.tensors]}; their first axes must have one length"
            )

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class DataLoader:
    """Mini-batches of a data set, as ``torch.utils.data.DataLoader``.

    Each ``for`` loop over the loader is one epoch. A batch from a :class:`TensorDataset` is a
    tuple with one Tensor per tensor of the data set (each a copy of the rows, safe to keep);
    from another :class:`Dataset`, the samples are put together as PyTorch does (Tensors,
    arrays and numbers stacked into Tensors, tuples, lists and dicts field by field).

    Args:
        dataset: a data set (``len(dataset)`` and ``dataset[i]``).
        batch_size: samples per batch (default 1, as torch).
        shuffle: draw a new order for every epoch.
        drop_last: skip the last batch when it is incomplete.
        generator: the shuffling's ``numpy.random.Generator`` or seed; None draws from the
            default generator, which ``humblenet.manual_seed`` seeds (as in torch).
        num_workers, pin_memory: accepted for torch programs, with no effect: batches are
            gathered in this process, on the CPU.

    Attributes:
        dataset, batch_size, shuffle, drop_last: as given.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        self.dataset = dataset
        self.batch_size = whole("DataLoader", "batch_size", batch_size, minimum=1)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        whole("DataLoader", "num_workers", num_workers)
        try:
            count = len(dataset)
        except TypeError:
            raise TypeError(
                f"DataLoader: the data set must have a length (len(dataset)), got "
                f"{type(dataset).__name__}; wrap tensors in TensorDataset(x, y)"
            ) from None
        if count == 0:
            raise ValueError("DataLoader: the data set is empty; it needs at least one sample")
        seed = get_generator(generator) if self.shuffle else None
        self._positions = data.DataLoader(
            np.arange(count), batch_size=self.batch_size, shuffle=self.shuffle, seed=seed,
            drop_last=self.drop_last,
        )  # fmt: skip

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        return len(self._positions)

    @property
    def epoch(self) -> int:
        """The next epoch's number: its order depends on the loader's seed and this alone.
        A loop resumed from a checkpoint sets it to the epoch it starts with."""
        return self._positions.epoch

    @epoch.setter
    def epoch(self, value: int) -> None:
        self._positions.epoch = value

    def set_epoch(self, epoch: int) -> None:
        """``loader.epoch = epoch``, under the name torch's DistributedSampler uses."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[Any]:
        for positions in self._positions:
            yield self._batch(positions)

    def _batch(self, positions: np.ndarray) -> Any:
        if isinstance(self.dataset, TensorDataset):
            return tuple(Tensor(t.data[positions]) for t in self.dataset.tensors)
        return _collate([self.dataset[int(i)] for i in positions])

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)} samples, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


def _collate(samples: Sequence[Any]) -> Any:
    """Samples put together into one batch, field by field (PyTorch's default collation)."""
    first = samples[0]
    if isinstance(first, tuple | list):
        return tuple(_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _collate([s[key] for s in samples]) for key in first}
    if isinstance(first, Tensor):
        return Tensor(np.stack([s.data for s in samples]))
    if isinstance(first, float):  # Python floats: float64, as torch's collation
        return Tensor(np.asarray(samples, dtype=np.float64))
    if isinstance(first, str):
        return list(samples)
    return Tensor(np.asarray(samples))
