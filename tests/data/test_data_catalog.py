"""Tests of humblenet.data's named data sets: digits, fashion-mnist, mnist, the listing."""

import os

import numpy as np
import pytest

from humblenet.data import (
    DatasetNotFoundError,
    catalog,
    describe_datasets,
    list_datasets,
    load_dataset,
    write_idx,
)

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")  # fmt: skip
SYSTEM = catalog.SYSTEM_FASHION_MNIST_FOLDER
HAS_FASHION = all((SYSTEM / f"{name}.gz").is_file() for name in FILES)
# CI sets HUMBLENET_REQUIRE_DATA=1: there a missing data set fails these tests instead.
SKIP_WITHOUT_FASHION = not HAS_FASHION and os.environ.get("HUMBLENET_REQUIRE_DATA") != "1"


def fake_idx_folder(folder, train=5, test=3, suffix=".gz", seed=0):
    """Four tiny IDX files in ``folder``; returns the raw arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_idx(folder / (name + suffix), array)
    return arrays


@pytest.fixture
def no_fashion_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMBLENET_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(catalog, "SYSTEM_FASHION_MNIST_FOLDER", tmp_path / "system")
    return tmp_path


# --- digits -----------------------------------------------------------------------------------


def test_digits_shapes_range_and_labels():
    data = load_dataset("digits")
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    everything = np.concatenate([x_train, x_test])
    assert everything.min() == 0.0 and everything.max() == 1.0
    np.testing.assert_array_equal(everything * 16, np.round(everything * 16))  # counts 0..16
    labels = np.concatenate([y_train, y_test])
    # The UCI description's class counts for the test set (optdigits.tes), digit 0 to 9.
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert data.class_names == tuple("0123456789") and data.task == "classify"


def test_digits_split_is_seeded_and_flatten_works():
    first = load_dataset("digits", seed=1)
    again = load_dataset("digits", seed=1)
    other = load_dataset("digits", seed=2)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    assert not np.array_equal(first.y_train, other.y_train)
    flat = load_dataset("digits", seed=1, flatten=True, test_fraction=0.5)
    # round(0.5 * 1797) = round(898.5) = 898 (Python rounds halves to even)
    assert flat.x_train.shape == (899, 64) and flat.x_test.shape == (898, 64)


def test_digits_match_the_raw_shipped_rows():
    raw = np.loadtxt(catalog.DIGITS_CSV, delimiter=",")
    data = load_dataset("digits", flatten=True)
    order = np.random.default_rng(0).permutation(1797)  # the documented split
    np.testing.assert_array_equal(data.x_test * 16, raw[order[:359], :64])
    np.testing.assert_array_equal(data.y_test, raw[order[:359], 64])


def test_digits_attribution_ships_with_the_file():
    readme = (catalog.FILES_FOLDER / "README.md").read_text(encoding="utf-8")
    for fact in ("Alpaydin", "Kaynak", "UCI", "CC BY 4.0", "10.24432/C50P49", "scikit-learn"):
        assert fact in readme
    assert "Alpaydin" in (catalog.load_digits.__doc__ or "")


# --- fashion-mnist ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion():
    return load_dataset("fashion-mnist")


@pytest.mark.skipif(SKIP_WITHOUT_FASHION, reason=f"Fashion-MNIST is not installed in {SYSTEM}")
def test_real_fashion_mnist(fashion, monkeypatch):
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert fashion.x_train.dtype == np.float32 and fashion.y_train.dtype == np.int64
    assert fashion.x_train.min() == 0.0 and fashion.x_train.max() == 1.0
    # Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[9] == "Ankle boot"
    assert fashion.source == str(SYSTEM) or "HUMBLENET_DATA" in os.environ
    # The bytes, read independently of read_idx: pixel (0, 14, 14) of the first test image.
    import gzip

    raw = gzip.decompress((SYSTEM / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert fashion.x_test[0, 14, 14] == np.float32(raw[16 + 14 * 28 + 14]) / np.float32(255)


@pytest.mark.skipif(SKIP_WITHOUT_FASHION, reason=f"Fashion-MNIST is not installed in {SYSTEM}")
def test_real_fashion_mnist_flattened_from_the_cache(fashion):
    flat = load_dataset("fashion_mnist", flatten=True)
    assert flat.x_train.shape == (60000, 784)
    np.testing.assert_array_equal(flat.x_test[:5], fashion.x_test[:5].reshape(5, 784))


def test_fashion_missing_lists_every_place_and_the_package(no_fashion_anywhere):
    tmp_path = no_fashion_anywhere
    with pytest.raises(DatasetNotFoundError) as error:
        load_dataset("fashion-mnist")
    assert isinstance(error.value, FileNotFoundError)
    message = str(error.value)
    for place in (tmp_path / "data" / "fashion-mnist", tmp_path / "data", tmp_path / "system"):
        assert f"{place} (" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "HUMBLENET_DATA" in message


def test_fashion_missing_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("HUMBLENET_DATA", raising=False)
    monkeypatch.setattr(catalog, "SYSTEM_FASHION_MNIST_FOLDER", tmp_path / "system")
    with pytest.raises(DatasetNotFoundError, match=r"\$HUMBLENET_DATA is not set\)"):
        load_dataset("fashion-mnist")


def test_fashion_partial_folder_names_the_missing_files(no_fashion_anywhere):
    folder = no_fashion_anywhere / "data" / "fashion-mnist"
    fake_idx_folder(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"missing t10k-labels-idx1-ubyte\[\.gz\]"):
        load_dataset("fashion-mnist")


@pytest.mark.parametrize("subfolder", ["fashion-mnist", ""])
def test_fashion_found_through_the_environment_variable(no_fashion_anywhere, subfolder):
    folder = no_fashion_anywhere / "data" / subfolder
    arrays = fake_idx_folder(folder)
    data = load_dataset("fashion-mnist")
    assert data.source == str(folder)
    assert data.x_train.shape == (5, 28, 28) and data.x_test.shape == (3, 28, 28)
    np.testing.assert_allclose(data.x_train, arrays["train-images-idx3-ubyte"] / 255, rtol=1e-6)
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])


def test_images_and_labels_that_do_not_belong_together(no_fashion_anywhere):
    folder = no_fashion_anywhere / "data"
    fake_idx_folder(folder)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="has 5 images but train-labels-idx1-ubyte.gz has 4"):
        load_dataset("fashion-mnist")


# --- mnist ------------------------------------------------------------------------------------


def test_mnist_from_a_named_folder_raw_files(tmp_path):
    arrays = fake_idx_folder(tmp_path / "mnist", suffix="")
    for data in (
        load_dataset(f"mnist:{tmp_path / 'mnist'}"),
        load_dataset("mnist", folder=tmp_path / "mnist", flatten=True),
    ):
        assert data.name == "mnist" and data.class_names == tuple("0123456789")
        np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])
    assert data.x_train.shape == (5, 784)


def test_mnist_folder_without_files_names_the_expected_files(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError) as error:
        load_dataset("mnist", folder=tmp_path / "empty")
    message = str(error.value)
    assert str(tmp_path / "empty") in message
    for name in FILES:
        assert f"{name}[.gz]" in message


def test_mnist_without_folder_or_variable(monkeypatch):
    monkeypatch.delenv("HUMBLENET_DATA", raising=False)
    with pytest.raises(
        DatasetNotFoundError, match="no folder given and .HUMBLENET_DATA is not set"
    ):
        load_dataset("mnist")


# --- the catalog ------------------------------------------------------------------------------


def test_unknown_name_and_option():
    with pytest.raises(ValueError, match=r"unknown data set 'cifar'; the named data sets are \["):
        load_dataset("cifar")
    with pytest.raises(ValueError, match=r"data set 'digits' takes no option\(s\) \['folder'\]"):
        load_dataset("digits", folder="x")


def test_list_datasets_reports_where_each_is(no_fashion_anywhere):
    infos = {info.name: info for info in list_datasets()}
    assert list(infos) == ["fashion-mnist", "mnist", "digits", "jogging"]
    assert not infos["fashion-mnist"].available
    assert "apt-get install dataset-fashion-mnist" in infos["fashion-mnist"].how_to_get
    assert infos["digits"].available and infos["jogging"].available
    fake_idx_folder(no_fashion_anywhere / "data" / "fashion-mnist")
    fake_idx_folder(no_fashion_anywhere / "data" / "mnist")
    infos = {info.name: info for info in list_datasets()}
    assert infos["fashion-mnist"].location == str(no_fashion_anywhere / "data" / "fashion-mnist")
    assert infos["mnist"].location == str(no_fashion_anywhere / "data" / "mnist")
    text = describe_datasets()
    assert "jogging (regress)" in text and "SYNTHETIC" in text
