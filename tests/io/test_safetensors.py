"""Saving and loading models: round trips, PyTorch reading our files, atomic writes, and every
kind of damaged or hostile file refused with its own message (and without running anything)."""

from __future__ import annotations

import json
import os
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import torch

import humblenet
from humblenet import Sequential, load
from humblenet.data.csv import Standardizer
from humblenet.io import atomic
from humblenet.io import safetensors as serialize
from humblenet.io.safetensors import ModelFileError, save
from humblenet.nn import (
    GELU,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)


def randomize(model: Sequential, seed: int = 0) -> Sequential:
    """Give every parameter (biases included, which start at 0) distinct random values."""
    rng = np.random.default_rng(seed)
    for parameter in model.parameters():
        parameter.data[...] = rng.normal(0, 0.7, parameter.shape)
    return model


def every_layer_model() -> Sequential:
    return randomize(
        Sequential(
            [
                Flatten(input_shape=(2, 3)),
                Dense(8, activation="relu"),
                Dropout(0.2),
                Dense(7, activation="leaky_relu"),
                Dense(6, activation="gelu"),
                Dense(6, activation="tanh"),
                Linear(6, 5),
                LeakyReLU(0.2),
                GELU(approximate="tanh"),
                Dense(5, activation="sigmoid", use_bias=False),
                ReLU(),
                Tanh(),
                Sigmoid(),
                Dense(4),
                Softmax(),
            ]
        )
    )


def logits_model(dtype: str = "float32") -> Sequential:
    return randomize(
        Sequential(
            [
                Dense(8, activation="relu", input_shape=(4,), dtype=dtype),
                Dense(6, activation="gelu", dtype=dtype),
                Dense(3, dtype=dtype),
            ]
        )
    )


def built_by_its_first_input() -> Sequential:
    model = Sequential([Dense(3, activation="relu"), Dense(2)])
    model(np.ones((1, 5), dtype=np.float32))  # no input_shape given: the first batch builds it
    return randomize(model)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model.safetensors"
    save(logits_model(), path, class_names=["a", "b", "c"], metrics={"accuracy": 0.5})
    return path


def inputs(shape: tuple[int, ...], dtype: str = "float32") -> np.ndarray:
    return np.random.default_rng(1).normal(size=(9, *shape)).astype(dtype)


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [every_layer_model, logits_model, lambda: logits_model("float64"), built_by_its_first_input],
)
def test_save_then_load_predicts_exactly_the_same(tmp_path: Path, make) -> None:
    model = make()
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = load(path)
    x = inputs(model.input_shape, model.parameters()[0].dtype.name)
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert loaded.get_config() == model.get_config()
    own, again = model.state_dict(), loaded.state_dict()
    assert own.keys() == again.keys()
    for key in own:
        assert own[key].dtype == again[key].dtype
        assert np.array_equal(own[key], again[key])


def test_metadata_round_trip(tmp_path: Path) -> None:
    model = logits_model()
    train = np.random.default_rng(2).normal(5, 3, size=(50, 4))
    scaler = Standardizer().fit(train)
    path = tmp_path / "model.safetensors"
    model.save(
        path,
        class_names=["setosa", "versicolor", "virginica"],
        feature_names=["sepal length", "sepal width", "petal length", "petal width"],
        preprocessing=scaler,
        task="classification",
        dataset="iris",
        metrics={"accuracy": np.float32(0.75), "loss": 0.5},
    )
    metadata = load(path).metadata
    assert metadata["class_names"] == ["setosa", "versicolor", "virginica"]
    assert metadata["feature_names"] == [
        "sepal length",
        "sepal width",
        "petal length",
        "petal width",
    ]
    assert metadata["task"] == "classification"
    assert metadata["dataset"] == "iris"
    assert metadata["metrics"] == {"accuracy": 0.75, "loss": 0.5}
    assert metadata["humblenet_version"] == humblenet.__version__
    assert metadata["architecture"] == model.get_config()
    rebuilt = Standardizer.from_dict(metadata["preprocessing"])
    assert np.array_equal(rebuilt.transform(train), scaler.transform(train))
    assert set(metadata) == set(serialize.METADATA_KEYS)


def test_metadata_not_given_is_none(saved: Path) -> None:
    metadata = load(saved).metadata
    assert metadata["feature_names"] is None
    assert metadata["preprocessing"] is None
    assert metadata["task"] is None


def test_the_file_is_plain_safetensors_with_json_metadata(saved: Path) -> None:
    # Read with the reference library only: names, and text metadata that parses as JSON.
    from safetensors import safe_open

    with safe_open(str(saved), framework="np") as handle:
        assert sorted(handle.keys()) == [
            "0.bias",
            "0.weight",
            "2.bias",
            "2.weight",
            "4.bias",
            "4.weight",
        ]
        metadata = handle.metadata()
    assert json.loads(metadata["class_names"]) == ["a", "b", "c"]
    assert json.loads(metadata["architecture"])["class_name"] == "Sequential"


# -- PyTorch reads the same file -----------------------------------------------------------------


def torch_every_layer_model() -> torch.nn.Sequential:
    """every_layer_model() as PyTorch writes it: each activation is a module of its own."""
    nn = torch.nn
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 8), nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(8, 7), nn.LeakyReLU(0.2),
        nn.Linear(7, 6), nn.GELU(),
        nn.Linear(6, 6), nn.Tanh(),
        nn.Linear(6, 5),
        nn.LeakyReLU(0.2),
        nn.GELU(approximate="tanh"),
        nn.Linear(5, 5, bias=False), nn.Sigmoid(),
        nn.ReLU(),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.Linear(5, 4),
        nn.Softmax(dim=-1),
    )  # fmt: skip


def torch_logits_model() -> torch.nn.Sequential:
    nn = torch.nn
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 6), nn.GELU(), nn.Linear(6, 3))


@pytest.mark.parametrize(
    "make, make_torch",
    [(every_layer_model, torch_every_layer_model), (logits_model, torch_logits_model)],
)
def test_pytorch_loads_the_file_and_predicts_the_same(tmp_path: Path, make, make_torch) -> None:
    import safetensors.torch

    model = make()
    path = tmp_path / "model.safetensors"
    model.save(path)
    torch_model = make_torch()
    torch_model.load_state_dict(safetensors.torch.load_file(str(path)), strict=True)
    torch_model.eval()
    x = inputs(model.input_shape)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(load(path).predict(x), expected, rtol=1e-6, atol=1e-6)


def test_separate_activation_layers_get_the_same_names_as_in_pytorch(tmp_path: Path) -> None:
    import safetensors.torch

    model = randomize(
        Sequential([Linear(4, 8), ReLU(), Linear(8, 6), GELU(), Linear(6, 3)]), seed=3
    )
    model.save(tmp_path / "model.safetensors")
    torch_model = torch_logits_model()
    state = safetensors.torch.load_file(str(tmp_path / "model.safetensors"))
    torch_model.load_state_dict(state, strict=True)
    x = inputs((4,))
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-6, atol=1e-6)


def test_tensor_names_count_dense_activations_as_pytorch_modules() -> None:
    model = Sequential(
        [Flatten(input_shape=(2, 2)), Dense(3, activation="tanh"), Dropout(0.5), Dense(2)]
    )
    # PyTorch: 0 Flatten, 1 Linear, 2 Tanh, 3 Dropout, 4 Linear; state_dict() names the same.
    assert serialize.tensor_names(model) == ["1.weight", "1.bias", "4.weight", "4.bias"]
    assert list(model.state_dict()) == serialize.tensor_names(model)


# -- atomic writes -------------------------------------------------------------------------------


def crash_half_way(handle, data: bytes) -> None:
    handle.write(data[: len(data) // 2])
    raise OSError("simulated crash: the disk is full")


@pytest.mark.parametrize("already_there", [False, True])
def test_a_crash_during_save_leaves_no_partial_or_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, already_there: bool
) -> None:
    path = tmp_path / "model.safetensors"
    old = logits_model()
    if already_there:
        old.save(path)
    before = path.read_bytes() if already_there else None
    new = randomize(logits_model(), seed=9)
    monkeypatch.setattr(atomic, "_write_all", crash_half_way)
    with pytest.raises(OSError, match="simulated crash"):
        new.save(path)
    assert sorted(os.listdir(tmp_path)) == (["model.safetensors"] if already_there else [])
    if already_there:
        assert path.read_bytes() == before
        x = inputs((4,))
        assert np.array_equal(load(path).predict(x), old.predict(x))


def test_a_failed_fsync_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"the previous model")

    def failing_fsync(descriptor: int) -> None:
        raise OSError("simulated I/O error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="simulated I/O error"):
        logits_model().save(path)
    assert os.listdir(tmp_path) == ["model.safetensors"]
    assert path.read_bytes() == b"the previous model"


def test_save_replaces_an_existing_file_and_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    logits_model().save(path)
    assert load(path).get_config() == logits_model().get_config()
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["model.safetensors"]


# -- refusing to save ----------------------------------------------------------------------------


def test_save_refuses_a_model_without_weights(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has no weights yet"):
        Sequential([Dense(3)]).save(tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_says_a_torch_style_model_needs_its_input_shape(tmp_path: Path) -> None:
    """A torch-style Sequential has its weights at once, but not its input shape until it is
    built or called: the error says that (not "no weights yet"), and its fix works."""
    from humblenet import nn

    model = Sequential([nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64, 2)])
    path = tmp_path / "model.safetensors"
    with pytest.raises(ValueError, match=r"does not know its input shape.*model\.build") as error:
        model.save(path)
    assert "no weights yet" not in str(error.value)
    assert os.listdir(tmp_path) == []
    model.build((1, 4, 4))
    model.save(path)
    x = np.random.default_rng(0).random((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(load(path).predict(x), model.predict(x))


def test_save_checks_the_metadata_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    with pytest.raises(ValueError, match="2 class_names given, but the model has 3 outputs"):
        logits_model().save(path, class_names=["a", "b"])
    with pytest.raises(ValueError, match="5 feature_names given, but the model takes 4"):
        logits_model().save(path, feature_names=list("abcde"))
    with pytest.raises(ValueError, match="metric 'loss' is nan"):
        logits_model().save(path, metrics={"loss": float("nan")})
    with pytest.raises(TypeError, match="class_names must be a list of strings"):
        logits_model().save(path, class_names="abc")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        logits_model().save(path, colour="blue")
    assert os.listdir(tmp_path) == []


def test_one_sigmoid_output_may_name_two_classes(tmp_path: Path) -> None:
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    model.save(tmp_path / "model.safetensors", class_names=["cat", "dog"])
    assert load(tmp_path / "model.safetensors").metadata["class_names"] == ["cat", "dog"]


def test_missing_safetensors_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = logits_model()
    model.save(tmp_path / "saved.safetensors")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "humblenet\[save\]"'):
        model.save(tmp_path / "model.safetensors")
    # Loading reads the file with humblenet's own bounded reader: no library needed.
    loaded = load(tmp_path / "saved.safetensors")
    x = np.ones((2, *model.input_shape), dtype=np.float32)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


# -- refusing damaged and hostile files ------------------------------------------------------------


def split(path: Path) -> tuple[dict, bytes]:
    """The header (as JSON) and the data of a safetensors file, read by hand."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def join(path: Path, header: dict, body: bytes) -> None:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


def refused(path: Path, pattern: str) -> ModelFileError:
    with pytest.raises(ModelFileError, match=pattern) as info:
        load(path)
    assert str(path) in str(info.value)
    return info.value


@pytest.mark.parametrize(
    "keep, pattern",
    [
        (0, "0 bytes, too few"),
        (5, "5 bytes, too few"),
        (40, "announce a header of .* bytes, but the file has 32"),
        (-1, "describes 460 bytes of tensor data but only 459 follow: the file is truncated"),
    ],
)
def test_a_truncated_file_is_refused(saved: Path, keep: int, pattern: str) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[:keep])
    refused(saved, pattern)


@pytest.mark.parametrize(
    "text, index, flip, pattern",
    [
        ("{", 0, 0xFF, "the header is not UTF-8 text"),
        ("{", 0, 0x01, "the header is not valid JSON"),  # "{" -> "z"
        ('"dtype"', 1, 0x01, "has an unknown dtype None"),  # "dtype" -> "etype"
        ('"F32"', 2, 0x01, "has an unknown dtype 'F22'"),
        (
            '"0.weight"',
            1,
            0x01,
            r"missing tensors \['0.weight'\].*unexpected tensors \['1.weight'\]",
        ),
        ("setosa", 0, 0x01, "do not match the checksum"),  # "setosa" -> "retosa"
        ("0.5}", 0, 0x01, "do not match the checksum"),  # the metric 0.5 -> 1.5
    ],
)
def test_a_flipped_byte_in_the_header_is_refused(
    tmp_path: Path, text: str, index: int, flip: int, pattern: str
) -> None:
    path = tmp_path / "model.safetensors"
    logits_model().save(path, class_names=["setosa", "b", "c"], metrics={"accuracy": 0.5})
    data = bytearray(path.read_bytes())
    data[data.index(text.encode(), 8) + index] ^= flip
    path.write_bytes(bytes(data))
    refused(path, pattern)


def test_a_changed_byte_in_the_weights_is_refused(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0x01  # a low bit of the last float's mantissa: still a finite number
    saved.write_bytes(bytes(data))
    refused(saved, "do not match the checksum written when it was saved")


def test_a_shape_edited_to_disagree_with_the_data_length_is_refused(saved: Path) -> None:
    header, body = split(saved)
    header["0.weight"]["shape"] = [8, 5]
    join(saved, header, body)
    refused(saved, r"'0.weight' has shape \[8, 5\] of F32, which needs 160 bytes, but .* hold 128")


def test_a_shape_that_disagrees_with_the_architecture_is_refused(saved: Path) -> None:
    header, body = split(saved)
    header["0.weight"]["shape"] = [4, 8]  # the same 32 numbers, transposed
    join(saved, header, body)
    refused(
        saved,
        r"tensor '0.weight' \(the weight of layer 0 \(Dense\)\) has shape \(4, 8\) in the file, "
        r"but the architecture needs \(8, 4\)",
    )


def rewrite(path: Path, change) -> None:
    """Rewrite a model file with the reference library after changing its tensors."""
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as handle:
        metadata = handle.metadata()
    tensors = safetensors.numpy.load_file(str(path))
    change(tensors)
    safetensors.numpy.save_file(tensors, str(path), metadata=metadata)


def test_a_nan_weight_is_refused(saved: Path) -> None:
    def poison(tensors: dict) -> None:
        tensors["2.weight"][1, 4] = np.nan

    rewrite(saved, poison)
    refused(saved, r"tensor '2.weight' holds 1 NaN value\(s\), the first at index \(1, 4\)")


def test_an_infinite_weight_is_refused(saved: Path) -> None:
    def poison(tensors: dict) -> None:
        tensors["4.bias"][2] = np.inf

    rewrite(saved, poison)
    refused(saved, r"tensor '4.bias' holds 1 infinite value\(s\)")


def test_a_weight_of_the_wrong_dtype_is_refused(saved: Path) -> None:
    def widen(tensors: dict) -> None:
        tensors["2.bias"] = tensors["2.bias"].astype(np.float64)

    rewrite(saved, widen)
    refused(saved, "tensor '2.bias' .* has dtype F64 in the file, but the architecture needs F32")


def test_missing_and_unexpected_tensors_are_named(saved: Path) -> None:
    def drop(tensors: dict) -> None:
        del tensors["4.bias"]

    rewrite(saved, drop)
    refused(saved, r"missing tensors \['4.bias'\] that the architecture needs")

    def add(tensors: dict) -> None:
        tensors["4.bias"] = np.zeros(3, np.float32)
        tensors["5.weight"] = np.zeros((2, 3), np.float32)

    rewrite(saved, add)
    refused(saved, r"unexpected tensors \['5.weight'\]")


def test_bytes_after_the_last_tensor_are_refused(saved: Path) -> None:
    saved.write_bytes(saved.read_bytes() + b"\0\0\0\0")
    refused(saved, "4 bytes follow the last tensor")


def test_a_safetensors_file_not_written_by_humblenet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "torch.safetensors"
    safetensors.numpy.save_file({"0.weight": np.ones((2, 2), np.float32)}, str(path))
    refused(path, "no humblenet architecture in its metadata")


def test_a_header_that_is_json_but_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", 2) + b"[]")
    refused(path, "the header is JSON but not an object")


class WritesAMarker:
    """Unpickling this calls ``open(marker, "w")``: a stand-in for any code a pickle could run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickle_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "the-pickle-ran"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps({"0.weight": WritesAMarker(marker)}))
    refused(path, "this is a Python pickle .* humblenet never loads pickles")
    assert not marker.exists()
    # The payload is real: unpickling it does create the marker.
    pickle.loads(path.read_bytes()).get("0.weight").close()
    assert marker.exists()


def test_a_header_length_that_starts_like_a_pickle_still_loads(tmp_path: Path) -> None:
    # A header of 0x10580 bytes: the file begins with 0x80 0x05, a pickle's first two bytes.
    path = tmp_path / "model.safetensors"
    model = logits_model()
    model.save(path)
    shortest = struct.unpack("<Q", path.read_bytes()[:8])[0]
    for size in range(0x10580 - shortest - 8, 0x10580 - shortest + 8):
        model.save(path, dataset="x" * size)
        if path.read_bytes()[:2] == b"\x80\x05":
            break
    else:
        pytest.fail("no dataset name gave a header length starting with 0x80 0x05")
    assert load(path).metadata["dataset"] == "x" * size


def test_a_pytorch_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(torch_logits_model().state_dict(), path)
    refused(path, "this is a zip archive .* torch.save")


def test_a_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing-here.safetensors")


def test_model_file_error_is_a_value_error() -> None:
    assert issubclass(ModelFileError, ValueError)


def test_a_newer_format_asks_for_an_upgrade(saved: Path) -> None:
    header, body = split(saved)
    header["__metadata__"]["format_version"] = "2"
    join(saved, header, body)
    refused(saved, "humblenet format 2, .* this humblenet reads format 1. Upgrade humblenet")


def test_a_torch_style_module_saves_and_loads_its_state_dict_as_torch_code_does(
    tmp_path: Path,
) -> None:
    """``humblenet.save(model.state_dict(), path)`` writes the weights alone (the torch idiom),
    a file torch's safetensors reader takes; ``humblenet.load(path, model=...)`` puts them back
    into a module of the user's own class, batch norm's statistics included. A file name
    given to ``load_state_dict`` gets a TypeError that names the fix (it used to read the
    string as a dict of its letters)."""
    import torch

    import humblenet
    from humblenet import Tensor, nn

    class Net(nn.Module):
        def __init__(self) -> None:
            self.body = nn.Sequential(
                nn.Conv2d(1, 3, 3, padding=1, seed=0), nn.BatchNorm2d(3), nn.ReLU(),
                nn.Flatten(), nn.Linear(48, 2, seed=1),
            )  # fmt: skip

        def forward(self, x: Tensor) -> Tensor:
            return self.body(x)

    x = Tensor(np.random.default_rng(0).random((4, 1, 4, 4)).astype(np.float32))
    model = Net()
    model(x)  # training mode: the running statistics move
    model.eval()
    expected = model(x).data
    path = tmp_path / "weights.safetensors"
    humblenet.save(model.state_dict(), path)
    from safetensors.torch import load_file

    stored = load_file(str(path))
    assert set(stored) == set(model.state_dict())
    assert stored["body.1.num_batches_tracked"].dtype == torch.int64
    again = humblenet.load(path, model=Net())
    again.eval()
    np.testing.assert_array_equal(again(x).data, expected)
    with pytest.raises(TypeError, match=r"not a file name.*humblenet\.load\(path, model=model\)"):
        Net().load_state_dict(str(path))
    with pytest.raises(TypeError, match="state dict maps names to arrays"):
        humblenet.save({"w": np.array(["a"])}, tmp_path / "bad.safetensors")
    assert sorted(os.listdir(tmp_path)) == ["weights.safetensors"]
