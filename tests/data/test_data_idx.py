"""Tests of humblenet.data.read_idx / write_idx on tiny files built byte by byte."""

import gzip
import struct

import numpy as np
import pytest

from humblenet.data import read_idx, write_idx


def idx_bytes(magic, dims, payload):
    """An IDX file written by hand: big-endian magic, sizes, then the payload."""
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def test_reads_hand_built_images_raw_and_gzip(tmp_path):
    pixels = bytes(range(12))
    data = idx_bytes(2051, (3, 2, 2), pixels)
    raw = tmp_path / "images-idx3-ubyte"
    raw.write_bytes(data)
    packed = tmp_path / "images-idx3-ubyte.gz"
    packed.write_bytes(gzip.compress(data))
    expected = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    for path in (raw, packed):
        images = read_idx(path)
        assert images.dtype == np.uint8 and images.shape == (3, 2, 2)
        np.testing.assert_array_equal(images, expected)
        assert images.flags.writeable


def test_reads_hand_built_labels(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_bytes(2049, (4,), bytes([9, 0, 3, 255])))
    np.testing.assert_array_equal(read_idx(path), [9, 0, 3, 255])


def test_gzip_is_detected_by_content_not_name(tmp_path):
    path = tmp_path / "labels-without-suffix"
    path.write_bytes(gzip.compress(idx_bytes(2049, (2,), bytes([1, 2]))))
    np.testing.assert_array_equal(read_idx(path), [1, 2])


def test_reads_big_endian_int16_and_float32(tmp_path):
    path = tmp_path / "shorts"
    path.write_bytes(idx_bytes(0x00000B01, (3,), struct.pack(">3h", -2, 300, 7)))
    np.testing.assert_array_equal(read_idx(path), [-2, 300, 7])
    path = tmp_path / "floats"
    path.write_bytes(idx_bytes(0x00000D02, (1, 2), struct.pack(">2f", 1.5, -0.25)))
    values = read_idx(path)
    assert values.dtype == np.float32 and values.dtype.isnative
    np.testing.assert_array_equal(values, [[1.5, -0.25]])


@pytest.mark.parametrize("name", ["round-idx3-ubyte", "round-idx3-ubyte.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_write_then_read_round_trip(tmp_path, name, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_write_matches_the_hand_built_bytes(tmp_path):
    write_idx(tmp_path / "labels", np.array([9, 0, 3], dtype=np.uint8))
    assert (tmp_path / "labels").read_bytes() == idx_bytes(2049, (3,), bytes([9, 0, 3]))


def test_bad_magic_names_file_found_and_expected(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(1234, (1,), b"\x00")))
    with pytest.raises(ValueError) as error:
        read_idx(path)
    message = str(error.value)
    assert message.startswith("train-images-idx3-ubyte.gz: magic number 1234")
    assert "expected 2051 (images) or 2049 (labels)" in message


def test_unknown_type_code_is_a_bad_magic(tmp_path):
    path = tmp_path / "odd"
    path.write_bytes(idx_bytes(0x00000701, (1,), b"\x00"))
    with pytest.raises(ValueError, match=r"odd: magic number 1793 \(0x00000701\), expected 2051"):
        read_idx(path)


def test_truncated_payload(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(2051, (3, 2, 2), bytes(10)))
    with pytest.raises(ValueError) as error:
        read_idx(path)
    assert str(error.value).startswith(
        "t10k-images-idx3-ubyte: payload has 10 bytes, expected 12 for 3×2×2"
    )


def test_payload_longer_than_the_header_says(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(2049, (5,), bytes(7))))
    with pytest.raises(ValueError, match=r"^labels.gz: payload has 7 bytes, expected 5 for 5 "):
        read_idx(path)


def test_header_count_mismatch_mnist_sized(tmp_path):
    # A header claiming 60000 images of 28×28 over a 1000-byte payload.
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(2051, (60000, 28, 28), bytes(1000)))
    with pytest.raises(
        ValueError, match=r"payload has 1000 bytes, expected 47040000 for 60000×28×28"
    ):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "short-header"
    path.write_bytes(struct.pack(">III", 2051, 3, 2))  # 3 dimensions, only 2 sizes
    with pytest.raises(ValueError, match=r"short-header: header has 8 bytes .* expected 12"):
        read_idx(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty: file has 0 bytes, expected at least 4"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(2049, (100,), bytes(100)))[:30])
    with pytest.raises(ValueError, match="broken.gz: starts like gzip data but cannot be"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing-here")


def test_write_rejects_what_idx_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        write_idx(tmp_path / "x", np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x", np.uint8(3))
