"""Loading a hostile or mistaken model file costs what its header declares, no more: the 8-byte
length is read first and bounded, the metadata's size and nesting are bounded before parsing,
and the architecture's size is checked against the declared tensors before anything is built.

Memory is measured in this process with ``tracemalloc`` (NumPy's arrays are traced), never by
time. The refusals are also run through the command line: one line, exit 2."""

from __future__ import annotations

import json
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from humblenet import Sequential, keras, load
from humblenet.cli import main
from humblenet.io.safetensors import ModelFileError
from humblenet.nn import (
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Dense,
    Flatten,
    LayerNorm,
    Linear,
    ReLU,
)
from humblenet.nn.registry import layer_config

MB = 1 << 20


def _peak(function) -> tuple[BaseException | None, int]:
    """Call ``function``; return what it raised and the peak of traced memory meanwhile."""
    tracemalloc.start()
    try:
        function()
        raised = None
    except BaseException as error:  # noqa: BLE001 - returned to the test to check
        raised = error
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return raised, peak


def _header_and_body(path: Path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def _write(path: Path, header: dict | str, body: bytes = b"") -> None:
    text = (header if isinstance(header, str) else json.dumps(header)).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.safetensors"
    Sequential([Dense(4, activation="relu", input_shape=(3,), seed=0), Dense(2, seed=1)]).save(
        path, class_names=["a", "b"]
    )
    return path


@pytest.mark.parametrize(
    ("layers", "input_shape"),
    [
        ([Dense(5, activation="relu"), Dense(3, use_bias=False)], (7,)),
        ([Linear(4, 6), ReLU(), Linear(6, 2, bias=False)], (4,)),
        ([Conv2d(3, 8, 3, padding=1), BatchNorm2d(8), Flatten(), Dense(2)], (3, 5, 5)),
        ([Conv2d(4, 6, (3, 1), groups=2, bias=False), BatchNorm2d(6, affine=False)], (4, 6, 6)),
        ([Conv1d(2, 4, 3), BatchNorm1d(4, track_running_stats=False)], (2, 9)),
        ([LayerNorm(6), LayerNorm(6, elementwise_affine=False), LayerNorm(6, bias=False)], (6,)),
        (
            [
                keras.layers.Conv2D(5, 3, use_bias=False),
                keras.layers.BatchNormalization(scale=False),
                keras.layers.LayerNormalization(center=False),
                keras.layers.Flatten(),
                keras.layers.Dense(3),
            ],
            (6, 6, 2),
        ),
    ],
)
def test_each_layer_counts_its_state_without_building(layers, input_shape) -> None:
    """``state_elements`` from the configuration equals what the built layer holds."""
    model = Sequential(layers)
    model.build(input_shape)
    shape = tuple(input_shape)
    for layer in model.layers:
        item = layer_config(layer)
        planned = type(layer).state_elements(item["config"], shape)
        held = sum(t.data.size for t in layer._state_tensors().values())
        assert planned is None or planned == held, (type(layer).__name__, planned, held)
        if layer.count_params():
            assert planned is not None, type(layer).__name__
        shape = tuple(layer.compute_output_shape(shape))


def test_a_huge_architecture_in_a_small_file_is_refused_before_allocating(small: Path) -> None:
    """The issue's case: 11 KB whose metadata declares Dense(20000) on 20000 inputs (1.6 GB of
    float32 weights); refused with a traced peak under 2 MB."""
    header, body = _header_and_body(small)
    architecture = json.loads(header["__metadata__"]["architecture"])
    architecture["input_shape"] = [20000]
    architecture["layers"][0]["config"]["units"] = 20000
    header["__metadata__"]["architecture"] = json.dumps(architecture)
    _write(small, header, body)
    assert small.stat().st_size < 12_000
    raised, peak = _peak(lambda: load(small))
    assert isinstance(raised, ModelFileError), raised
    assert "needs at least 400020000 numbers up to layer 0 (Dense)" in str(raised)
    assert peak < 2 * MB


def test_a_header_length_beyond_the_file_reads_eight_bytes(tmp_path: Path) -> None:
    """A 1 GB file (sparse: no disk used) whose first 8 bytes announce more than it has."""
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", 5 << 30))
        file.truncate(1 << 30)
    raised, peak = _peak(lambda: load(path))
    assert isinstance(raised, ModelFileError)
    assert "announce a header of 5368709120 bytes" in str(raised)
    assert peak < 1 * MB


def test_a_3_gb_file_of_zeros_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "zeros.safetensors"
    with open(path, "wb") as file:
        file.truncate(3 << 30)
    raised, peak = _peak(lambda: load(path))
    assert isinstance(raised, ModelFileError)
    assert peak < 1 * MB


@pytest.mark.parametrize("where", ["architecture", "header"])
def test_deeply_nested_json_is_refused_without_recursion(small: Path, where: str) -> None:
    header, body = _header_and_body(small)
    deep = "[" * 100_000 + "]" * 100_000
    if where == "architecture":
        header["__metadata__"]["architecture"] = deep
        _write(small, header, body)
    else:
        text = json.dumps(header)
        _write(small, text[:-1] + ', "x": ' + deep + "}", body)
    with pytest.raises(ModelFileError, match="nests 10000[01] levels deep"):
        load(small)


def test_brackets_inside_strings_are_not_nesting(tmp_path: Path) -> None:
    """A class name full of brackets is text, not depth: the model loads."""
    path = tmp_path / "brackets.safetensors"
    model = Sequential([Dense(2, input_shape=(1,), seed=0)])
    model.save(path, class_names=["[[[[" * 40 + '\\"{', "]]}}" * 40])
    assert load(path).metadata["class_names"][0].startswith("[[[[")


def test_oversized_metadata_is_refused(small: Path) -> None:
    header, body = _header_and_body(small)
    header["__metadata__"]["dataset"] = json.dumps("x" * (17 * MB))
    _write(small, header, body)
    with pytest.raises(ModelFileError, match="metadata holds .* characters"):
        load(small)


def test_a_csv_given_as_a_model_says_so(tmp_path: Path, capsys) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("sepal_length,sepal_width,species\n5.1,3.5,setosa\n" * 20)
    with pytest.raises(ModelFileError, match=r"starts with the text 'sepal_le'.*a text file"):
        load(path)
    status = main(["predict", str(path), "--csv", str(path)])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1
    assert "a text file, such as a CSV, not a model file" in err
    assert "7308321214411335027" not in err.split("announce")[0]


@pytest.mark.parametrize("command", ["info", "predict", "export", "evaluate"])
def test_the_command_line_refuses_a_hostile_file_in_one_line(small: Path, capsys, command) -> None:
    header, body = _header_and_body(small)
    header["__metadata__"]["architecture"] = "[" * 50_000 + "]" * 50_000
    _write(small, header, body)
    args = {
        "info": ["info", str(small)],
        "predict": ["predict", str(small), "--input", "a=1"],
        "export": ["export", str(small), str(small.with_name("m.onnx"))],
        "evaluate": ["evaluate", str(small), "digits"],
    }[command]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "nests 50000 levels" in err
    assert not small.with_name("m.onnx").exists()


def test_a_good_file_still_loads_exactly(small: Path) -> None:
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    model = load(small)
    again = load(small)
    np.testing.assert_array_equal(model(x).data, again(x).data)
    assert model.metadata["class_names"] == ["a", "b"]
