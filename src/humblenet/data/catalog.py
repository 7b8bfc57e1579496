"""Named data sets: ``load_dataset(name)``, ``list_datasets()`` and where each is found.

============= ============================================================================
name          what and where
============= ============================================================================
fashion-mnist 70,000 grey 28×28 images of clothes, 10 classes (IDX files): searched in
              ``$HUMBLENET_DATA/fashion-mnist``, ``$HUMBLENET_DATA``, then
              ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).
mnist         70,000 grey 28×28 images of handwritten digits (IDX files): in a folder you
              name (``load_dataset("mnist", folder=...)``, ``mnist:FOLDER`` on the command
              line), else ``$HUMBLENET_DATA/mnist``.
digits        1,797 8×8 handwritten digits, shipped with humblenet (from the UCI data set
              "Optical Recognition of Handwritten Digits", see ``load_digits``).
jogging       1,000 synthetic runs, minutes, speed and mass → kcal (regression), shipped.
============= ============================================================================

Images come as float32 in [0, 1] and class labels as int64, ready for a ``DataLoader``:
``(N, H, W)`` by default, ``(N, 1, H, W)`` with ``channels="first"`` (PyTorch's layout, what
``nn.Conv2d`` takes) or ``(N, H, W, 1)`` with ``channels="last"`` (Keras' ``Conv2D``).
Decoded IDX files are cached in memory for the life of the process, so loading Fashion-MNIST a
second time costs only the conversion to float32.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from humblenet.data.csv import read_csv, train_validation_split
from humblenet.data.idx import read_idx
from humblenet.data.images import check_channels, with_channels
from humblenet.data.jogging import JOGGING_CSV
from humblenet.data.text import WORDS_HOW_TO_GET, WORDS_PATH

__all__ = [
    "DATA_ENVIRONMENT_VARIABLE",
    "Dataset",
    "DatasetInfo",
    "DatasetNotFoundError",
    "FASHION_MNIST_CLASSES",
    "SHIPPED_TABLES",
    "describe_datasets",
    "fashion_mnist_search_folders",
    "list_datasets",
    "load_dataset",
    "load_digits",
    "load_fashion_mnist",
    "load_jogging",
    "load_mnist",
    "load_raw_images",
]

DATA_ENVIRONMENT_VARIABLE = "HUMBLENET_DATA"
SYSTEM_FASHION_MNIST_FOLDER = Path("/usr/share/datasets/fashion-mnist")
FILES_FOLDER = Path(__file__).parent / "files"
DIGITS_CSV = FILES_FOLDER / "digits.csv.gz"
IRIS_CSV = FILES_FOLDER / "iris.csv"
SHIPPED_TABLES = {"iris": IRIS_CSV, "jogging": JOGGING_CSV}
"""The CSV files shipped in the package, with a header row, that ``humblenet datasets --copy
NAME FILE`` writes out (sources and licences in ``files/README.md``)."""

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))

# The four IDX files of MNIST and Fashion-MNIST (each raw or .gz).
_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_EXPECTED_NAMES = ", ".join(f"{base}[.gz]" for base in _IDX_FILES.values())


class DatasetNotFoundError(FileNotFoundError):
    """A named data set's files are in none of the places searched (the message lists them)."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded data set: training and test arrays plus what they mean.

    Unpacks like Keras' ``load_data()``:
    ``(x_train, y_train), (x_test, y_test) = load_dataset("digits")``.

    Attributes:
        name: the catalog name.
        x_train, y_train, x_test, y_test: float32 inputs; int64 class labels for
            classification, float32 targets for regression.
        class_names: the name of each class index; ``None`` for regression.
        feature_names: the input columns' names for tables; ``None`` for images.
        task: ``"classify"`` or ``"regress"``.
        source: where the data was read from.
        description: one line saying what the data is.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] | None
    feature_names: tuple[str, ...] | None
    task: str
    source: str
    description: str

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield self.x_train, self.y_train
        yield self.x_test, self.y_test

    @property
    def num_classes(self) -> int | None:
        """The number of classes, or ``None`` for regression."""
        return None if self.class_names is None else len(self.class_names)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train {self.x_train.shape}, test {self.x_test.shape}, "
            f"task={self.task!r}, source={self.source!r})"
        )


@dataclass(frozen=True)
class DatasetInfo:
    """What ``list_datasets`` says about one named data set.

    Attributes:
        name: the name ``load_dataset`` takes.
        task: ``"classify"`` or ``"regress"``.
        description: what the data is.
        size: the sizes of its parts.
        location: the folder or file it would be loaded from now; ``None`` when not found.
        how_to_get: what to do when it is not found (or where it comes from).
    """

    name: str
    task: str
    description: str
    size: str
    location: str | None
    how_to_get: str

    @property
    def available(self) -> bool:
        """Whether ``load_dataset(name)`` would find the data now."""
        return self.location is not None


# --- IDX data sets: Fashion-MNIST and MNIST --------------------------------------------------


def _find_idx_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The four files found in ``folder`` (raw or .gz), and the names of those missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, base in _IDX_FILES.items():
        # Also accept the "train-images.idx3-ubyte" spelling of some unpacked copies.
        bases = (base, base.replace("-idx", ".idx"))
        candidates = [folder / (b + suffix) for b in bases for suffix in (".gz", "")]
        path = next((candidate for candidate in candidates if candidate.is_file()), None)
        if path is None:
            missing.append(base + "[.gz]")
        else:
            found[key] = path
    return found, missing


def _why_not(folder: Path, missing: list[str]) -> str:
    if not folder.is_dir():
        return "no such folder"
    return "missing " + ", ".join(missing)


def fashion_mnist_search_folders() -> list[tuple[str, Path]]:
    """The folders searched for Fashion-MNIST, in order, each with how it was named."""
    folders: list[tuple[str, Path]] = []
    root = os.environ.get(DATA_ENVIRONMENT_VARIABLE)
    if root:
        variable = f"${DATA_ENVIRONMENT_VARIABLE}"
        folders.append((f"{variable}/fashion-mnist", Path(root) / "fashion-mnist"))
        folders.append((variable, Path(root)))
    folders.append(("Debian's dataset-fashion-mnist", SYSTEM_FASHION_MNIST_FOLDER))
    return folders


def _mnist_search_folders(folder: str | os.PathLike[str] | None) -> list[tuple[str, Path]]:
    if folder is not None:
        return [("the folder given", Path(folder))]
    root = os.environ.get(DATA_ENVIRONMENT_VARIABLE)
    return [(f"${DATA_ENVIRONMENT_VARIABLE}/mnist", Path(root) / "mnist")] if root else []


def _locate(folders: list[tuple[str, Path]]) -> tuple[dict[str, Path] | None, list[str]]:
    """The first folder holding all four files, or None and why each folder failed."""
    reasons = []
    for label, folder in folders:
        found, missing = _find_idx_files(folder)
        if not missing:
            return found, []
        reasons.append(f"{folder} ({label}): {_why_not(folder, missing)}")
    return None, reasons


@functools.lru_cache(maxsize=8)
def _read_idx_cached(path: str, modified_ns: int, size: int) -> np.ndarray:
    del modified_ns, size  # part of the cache key only: a changed file is read again
    array = read_idx(path)
    array.setflags(write=False)  # shared by every caller: never modified
    return array


def _read_checked_idx(path: Path, ndim: int) -> np.ndarray:
    status = path.stat()
    array = _read_idx_cached(str(path.resolve()), status.st_mtime_ns, status.st_size)
    if array.ndim != ndim or array.dtype != np.uint8:
        what = "images (count × 28 × 28)" if ndim == 3 else "labels (count)"
        raise ValueError(
            f"{path.name}: holds {array.dtype} values of shape {array.shape}, expected "
            f"unsigned bytes of {ndim} dimension(s) for {what}"
        )
    return array


def _raw_idx_split(found: dict[str, Path], part: str) -> tuple[np.ndarray, np.ndarray]:
    """One part's images and labels as the files hold them (uint8), checked to belong together."""
    images_path, labels_path = found[f"{part}_images"], found[f"{part}_labels"]
    images = _read_checked_idx(images_path, 3)
    labels = _read_checked_idx(labels_path, 1)
    if images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path.name}: images of {images.shape[1]}×{images.shape[2]} pixels, "
            "expected 28×28"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path.name} has {len(images)} images but {labels_path.name} has "
            f"{len(labels)} labels: the files do not belong together"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path.name}: label {labels.max()} found, expected 0 to 9")
    return images, labels


def _image_layout(owner: str, flatten: bool, channels: str | None) -> str | None:
    """``channels``, checked, and not given together with ``flatten``."""
    check_channels(owner, channels)
    if flatten and channels is not None:
        raise ValueError(
            f"{owner}: flatten=True and channels={channels!r} ask for two shapes; give one"
        )
    return channels


def _shaped(images: np.ndarray, flatten: bool, channels: str | None) -> np.ndarray:
    """Images (N, H, W) flattened to (N, H·W), with a channel axis, or as they are."""
    if flatten:
        return images.reshape(len(images), -1)
    return np.ascontiguousarray(with_channels(images, channels))


def _load_idx_split(
    found: dict[str, Path], part: str, flatten: bool, channels: str | None
) -> tuple[np.ndarray, np.ndarray]:
    images, labels = _raw_idx_split(found, part)
    x = images.astype(np.float32)
    x /= 255  # float32 in [0, 1], as torchvision's ToTensor and the series' x / 255
    return _shaped(x, flatten, channels), labels.astype(np.int64)


def _idx_dataset(
    name: str,
    found: dict[str, Path],
    flatten: bool,
    classes: tuple[str, ...],
    about: str,
    channels: str | None = None,
) -> Dataset:
    x_train, y_train = _load_idx_split(found, "train", flatten, channels)
    x_test, y_test = _load_idx_split(found, "test", flatten, channels)
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=classes,
        feature_names=None,
        task="classify",
        source=str(found["train_images"].parent),
        description=about,
    )


_FASHION_ABOUT = "Zalando's Fashion-MNIST: grey 28×28 images of clothes, 10 classes"
_MNIST_ABOUT = "MNIST: grey 28×28 images of handwritten digits, 10 classes"
_FASHION_HOW = (
    "install it with `apt-get install dataset-fashion-mnist` (Debian, Ubuntu), or put its four "
    f"files ({_EXPECTED_NAMES}) in a folder and set {DATA_ENVIRONMENT_VARIABLE} to it"
)
_MNIST_HOW = (
    f"download MNIST's four files ({_EXPECTED_NAMES}) into a folder and pass it: "
    f'load_dataset("mnist", folder=FOLDER) or `mnist:FOLDER` on the command line, or put them '
    f"in ${DATA_ENVIRONMENT_VARIABLE}/mnist"
)


def _found_files(name: str, folder: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The four IDX files of ``"fashion-mnist"`` or ``"mnist"``; DatasetNotFoundError if absent,
    listing every place searched and how to get the data."""
    if name == "fashion-mnist":
        found, reasons = _locate(fashion_mnist_search_folders())
        if found is None:
            unset = (
                ""
                if os.environ.get(DATA_ENVIRONMENT_VARIABLE)
                else f" (${DATA_ENVIRONMENT_VARIABLE} is not set)"
            )
            raise DatasetNotFoundError(
                f"Fashion-MNIST not found; searched{unset}: {'; '.join(reasons)}. To get it, "
                f"{_FASHION_HOW}"
            )
        return found
    found, reasons = _locate(_mnist_search_folders(folder))
    if found is None:
        searched = (
            "; ".join(reasons)
            if reasons
            else f"no folder given and ${DATA_ENVIRONMENT_VARIABLE} is not set"
        )
        raise DatasetNotFoundError(
            f"MNIST not found; searched: {searched}. To get it, {_MNIST_HOW}"
        )
    return found


def load_raw_images(
    name: str, folder: str | os.PathLike[str] | None = None, channels: str | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))`` of ``"fashion-mnist"`` or ``"mnist"`` exactly as
    the IDX files hold them: uint8 images of shape (N, 28, 28) with values 0 to 255, and uint8
    labels of shape (N,) (what Keras' ``load_data()`` returns). Arrays are fresh copies.
    ``channels="last"`` gives the images as (N, 28, 28, 1), ``"first"`` as (N, 1, 28, 28).

    Raises:
        DatasetNotFoundError: the files are not found (the message says where it looked and how
            to get them).
    """
    if name not in ("fashion-mnist", "mnist"):
        raise ValueError(f"load_raw_images: name must be 'fashion-mnist' or 'mnist', got {name!r}")
    _image_layout("load_raw_images", False, channels)
    found = _found_files(name, folder)
    parts = [_raw_idx_split(found, part) for part in ("train", "test")]
    return tuple(  # type: ignore[return-value]
        (_shaped(images, False, channels).copy(), labels.copy()) for images, labels in parts
    )


def load_fashion_mnist(flatten: bool = False, channels: str | None = None) -> Dataset:
    """Load Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 10 classes.

    Searched, in order: ``$HUMBLENET_DATA/fashion-mnist``, ``$HUMBLENET_DATA``, then
    ``/usr/share/datasets/fashion-mnist`` (Debian's package ``dataset-fashion-mnist``). A
    folder must hold the four IDX files, raw or ``.gz``.

    Args:
        flatten: give each image as 784 values instead of 28×28.
        channels: ``None`` for images ``(count, 28, 28)``, ``"first"`` for
            ``(count, 1, 28, 28)`` (``nn.Conv2d``'s layout), ``"last"`` for ``(count, 28, 28,
            1)`` (Keras' ``Conv2D``).

    Returns:
        A ``Dataset`` with float32 images in [0, 1] of shape ``(count, 28, 28)`` (or
        ``(count, 784)``, or with a channel axis), int64 labels 0 to 9 and
        ``FASHION_MNIST_CLASSES``.

    Raises:
        DatasetNotFoundError: no folder holds the files; the message lists every place
            searched and how to install the data.
        ValueError: a file is damaged or does not match the others.
    """
    _image_layout("load_fashion_mnist", flatten, channels)
    found = _found_files("fashion-mnist")
    return _idx_dataset(
        "fashion-mnist", found, flatten, FASHION_MNIST_CLASSES, _FASHION_ABOUT, channels
    )


def load_mnist(
    folder: str | os.PathLike[str] | None = None,
    flatten: bool = False,
    channels: str | None = None,
) -> Dataset:
    """Load MNIST's handwritten digits from a folder holding its four IDX files (raw or .gz).

    Args:
        folder: the folder; ``None`` looks in ``$HUMBLENET_DATA/mnist``.
        flatten: give each image as 784 values instead of 28×28.
        channels: ``None``, ``"first"`` or ``"last"``, as in :func:`load_fashion_mnist`.

    Returns:
        A ``Dataset`` like ``load_fashion_mnist``'s, with class names "0" to "9".

    Raises:
        DatasetNotFoundError: the folder lacks files (the message names the files expected).
        ValueError: a file is damaged or does not match the others.
    """
    _image_layout("load_mnist", flatten, channels)
    found = _found_files("mnist", folder)
    return _idx_dataset("mnist", found, flatten, DIGIT_CLASSES, _MNIST_ABOUT, channels)


# --- Embedded data sets: digits and jogging ---------------------------------------------------


@functools.lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    table = np.loadtxt(DIGITS_CSV, delimiter=",", dtype=np.int64)  # 1797 × (64 pixels + digit)
    table.setflags(write=False)
    return table


def load_digits(
    flatten: bool = False,
    test_fraction: float = 0.2,
    seed: int = 0,
    channels: str | None = None,
) -> Dataset:
    """Load the 1,797 8×8 handwritten digits shipped with humblenet, split at random.

    The data is the test set of "Optical Recognition of Handwritten Digits" by E. Alpaydin and
    C. Kaynak (1998), UCI Machine Learning Repository, https://doi.org/10.24432/C50P49,
    licensed CC BY 4.0 by the repository; the file is the copy scikit-learn ships
    (``digits.csv.gz``). Each pixel counts the set pixels of a 4×4 block of a 32×32 bitmap
    (0 to 16); here it is divided by 16. See ``humblenet/data/files/README.md``.

    The data set has no test split of its own: ``train_validation_split`` with ``seed`` makes
    one (the same seed, the same split).

    Args:
        flatten: give each image as 64 values instead of 8×8.
        test_fraction: the share of images held out for testing, in (0, 1).
        seed: the seed of the split.
        channels: ``None`` for ``(count, 8, 8)``, ``"first"`` for ``(count, 1, 8, 8)``,
            ``"last"`` for ``(count, 8, 8, 1)``.

    Returns:
        A ``Dataset`` with float32 images in [0, 1] and int64 labels 0 to 9.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_digits()
        >>> x_train.shape, x_test.shape, float(x_train.max())
        ((1438, 8, 8), (359, 8, 8), 1.0)
        >>> load_digits(channels="first").x_train.shape
        (1438, 1, 8, 8)
    """
    _image_layout("load_digits", flatten, channels)
    table = _digits_table()
    images = (table[:, :64] / 16).astype(np.float32)  # / 16: exact in float32
    images = _shaped(images.reshape(-1, 8, 8), flatten, channels)
    (x_train, y_train), (x_test, y_test) = train_validation_split(
        images, table[:, 64], test_fraction, seed
    )
    return Dataset(
        name="digits",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=DIGIT_CLASSES,
        feature_names=None,
        task="classify",
        source=str(DIGITS_CSV),
        description="handwritten digits, 8×8 pixels of 0 to 16 scaled to [0, 1] (UCI optdigits)",
    )


def load_jogging(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load the synthetic jogging table: minutes, speed (m/s), mass (kg) → kcal burned.

    SYNTHETIC data computed from the ACSM running equation with 3% noise (see
    ``humblenet.data.jogging``), shipped as ``files/jogging.csv`` and split at random.

    Args:
        test_fraction: the share of rows held out for testing, in (0, 1).
        seed: the seed of the split.

    Returns:
        A regression ``Dataset``: float32 features of shape ``(rows, 3)`` and float32 kcal.

    Example:
        >>> data = load_jogging()
        >>> data.feature_names, data.x_train.shape, data.x_test.shape
        (('minutes', 'speed_m_per_s', 'mass_kg'), (800, 3), (200, 3))
    """
    table = read_csv(JOGGING_CSV, target="kcal", task="regress")
    (x_train, y_train), (x_test, y_test) = train_validation_split(
        table.x, table.y, test_fraction, seed
    )
    return Dataset(
        name="jogging",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=None,
        feature_names=table.feature_names,
        task="regress",
        source=str(JOGGING_CSV),
        description="SYNTHETIC runs from the ACSM running equation: minutes, m/s, kg -> kcal",
    )


# --- The catalog -------------------------------------------------------------------------------

_LOADERS: dict[str, Callable[..., Dataset]] = {
    "fashion-mnist": load_fashion_mnist,
    "mnist": load_mnist,
    "digits": load_digits,
    "jogging": load_jogging,
}
_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist"}


def load_dataset(name: str, **options: Any) -> Dataset:
    """Load a named data set (see ``list_datasets()``).

    Args:
        name: ``"fashion-mnist"``, ``"mnist"`` (or ``"mnist:FOLDER"``), ``"digits"`` or
            ``"jogging"``.
        **options: passed to the data set's loader: ``flatten`` and ``channels`` (the image
            sets: ``None``, ``"first"`` for (N, 1, H, W), ``"last"`` for (N, H, W, 1)),
            ``folder`` (mnist), ``test_fraction`` and ``seed`` (digits, jogging).

    Returns:
        A ``Dataset``; ``(x_train, y_train), (x_test, y_test) = load_dataset(...)`` works.

    Raises:
        ValueError: an unknown name (the message lists the names) or an option the data set
            does not take (the message lists those it takes).
        DatasetNotFoundError: the data's files are not found (the message says where it
            looked and how to get them).

    Example:
        >>> digits = load_dataset("digits", flatten=True)
        >>> digits.x_train.shape, digits.num_classes
        ((1438, 64), 10)
    """
    key = name.strip().lower()
    if key.startswith("mnist:"):
        if "folder" in options:
            raise ValueError(f"{name!r} names a folder and folder= names another: give one")
        key, options = "mnist", {**options, "folder": name.split(":", 1)[1]}
    key = _ALIASES.get(key, key)
    loader = _LOADERS.get(key)
    if loader is None:
        raise ValueError(
            f"unknown data set {name!r}; the named data sets are {sorted(_LOADERS)} "
            "(or read your own table with read_csv)"
        )
    accepted = list(inspect.signature(loader).parameters)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"data set {key!r} takes no option(s) {unknown}; it takes {accepted}")
    return loader(**options)


def list_datasets() -> list[DatasetInfo]:
    """Describe every named data set: what it is, its size, where it is found or how to get it.

    Only checks which files exist; reads nothing.

    Example:
        >>> [info.name for info in list_datasets()]
        ['fashion-mnist', 'mnist', 'digits', 'jogging']
    """
    fashion, _ = _locate(fashion_mnist_search_folders())
    mnist, _ = _locate(_mnist_search_folders(None))
    return [
        DatasetInfo(
            name="fashion-mnist",
            task="classify",
            description=_FASHION_ABOUT,
            size="60000 training + 10000 test images",
            location=None if fashion is None else str(fashion["train_images"].parent),
            how_to_get=_FASHION_HOW,
        ),
        DatasetInfo(
            name="mnist",
            task="classify",
            description=_MNIST_ABOUT,
            size="60000 training + 10000 test images",
            location=None if mnist is None else str(mnist["train_images"].parent),
            how_to_get=_MNIST_HOW,
        ),
        DatasetInfo(
            name="digits",
            task="classify",
            description="handwritten digits, 8×8 pixels (UCI optdigits, CC BY 4.0), 10 classes",
            size="1797 images, split 1438 training + 359 test (seeded)",
            location=str(DIGITS_CSV),
            how_to_get="shipped with humblenet",
        ),
        DatasetInfo(
            name="jogging",
            task="regress",
            description="SYNTHETIC runs (ACSM running equation): minutes, m/s, kg -> kcal",
            size="1000 rows, 3 features, split 800 training + 200 test (seeded)",
            location=str(JOGGING_CSV),
            how_to_get="shipped with humblenet; regenerate: python -m humblenet.data.jogging",
        ),
    ]


def words_info() -> DatasetInfo:
    """What ``humblenet datasets`` says of the word list ``words`` (text, not a table: it is
    read by :func:`humblenet.data.text.load_words`, not by ``load_dataset``)."""
    return DatasetInfo(
        name="words",
        task="text",
        description="English words, one per line (Debian's wamerican), for character models",
        size="73445 lowercase words of letters a-z",
        location=str(WORDS_PATH) if WORDS_PATH.is_file() else None,
        how_to_get=WORDS_HOW_TO_GET,
    )


def describe_datasets() -> str:
    """``list_datasets()`` as text, one block per data set (what ``humblenet datasets`` prints),
    then the text data set ``words`` (see :mod:`humblenet.data.text`)."""
    blocks = []
    for info in [*list_datasets(), words_info()]:
        where = f"found in {info.location}" if info.available else f"not found: {info.how_to_get}"
        blocks.append(
            f"{info.name} ({info.task}): {info.description}\n  size: {info.size}\n  {where}"
        )
    blocks.append(
        "CSV tables shipped in the package (humblenet datasets --copy NAME FILE writes one out): "
        + ", ".join(SHIPPED_TABLES)
        + "\n  iris: Fisher's 150 iris flowers (4 measurements in cm, species), CC BY 4.0"
    )
    return "\n".join(blocks)
