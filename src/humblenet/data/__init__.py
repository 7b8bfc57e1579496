"""``humblenet.data``: everything that produces NumPy arrays for training.

- ``DataLoader``: mini-batches with seeded shuffling, gathered into reused buffers on request,
  and seeded augmentation of images on request (``ImageAugmentation``: shifts, flips);
- ``read_idx`` / ``write_idx``: the IDX files of MNIST and Fashion-MNIST;
- ``load_dataset`` / ``list_datasets``: named data sets (fashion-mnist, mnist, digits,
  jogging) and where each is found;
- ``read_csv``, ``Standardizer``, ``train_validation_split``: your own tables;
- ``text``: character-level text (the word list ``words``, any text file), ``CharVocab``,
  next-character windows and sampling (see :mod:`humblenet.data.text`).

Inputs come as float32 and class labels as int64; nothing here depends on ``humblenet.Tensor``.

Example:
    >>> from humblenet.data import DataLoader, load_dataset
    >>> (x_train, y_train), (x_test, y_test) = load_dataset("digits")
    >>> loader = DataLoader(x_train, y_train, batch_size=64, shuffle=True, seed=0)
    >>> x_batch, y_batch = next(iter(loader))
    >>> x_batch.shape, x_batch.dtype, y_batch.dtype
    ((64, 8, 8), dtype('float32'), dtype('int64'))
"""

from humblenet.data.catalog import (
    Dataset,
    DatasetInfo,
    DatasetNotFoundError,
    describe_datasets,
    list_datasets,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_jogging,
    load_mnist,
)
from humblenet.data.csv import Standardizer, TabularDataset, read_csv, train_validation_split
from humblenet.data.idx import read_idx, write_idx
from humblenet.data.images import ImageAugmentation, with_channels
from humblenet.data.jogging import generate_jogging, jogging_kcal
from humblenet.data.loader import DataLoader
from humblenet.data.text import CharVocab, load_words

__all__ = [
    "CharVocab",
    "DataLoader",
    "Dataset",
    "DatasetInfo",
    "DatasetNotFoundError",
    "ImageAugmentation",
    "Standardizer",
    "TabularDataset",
    "describe_datasets",
    "generate_jogging",
    "jogging_kcal",
    "list_datasets",
    "load_dataset",
    "load_digits",
    "load_fashion_mnist",
    "load_jogging",
    "load_mnist",
    "load_words",
    "read_csv",
    "read_idx",
    "train_validation_split",
    "with_channels",
    "write_idx",
]
