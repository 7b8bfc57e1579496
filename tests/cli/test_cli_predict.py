"""``humblenet predict``: from a CSV file and from ``--input`` pairs, compared with the Python API
and with a forward pass written out in NumPy; and the mistakes a user makes with it."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helper import (
    CLASSES,
    FEATURES,
    FLOWER_INPUT,
    check_mistake,
    forward_by_hand,
    humblenet_run,
    ok,
    read_csv_text,
    run_main,
)

from humblenet import load
from humblenet.data import Standardizer


def test_predict_from_a_csv_equals_the_python_api(flowers):
    folder, x, _ = flowers
    stdout = ok(humblenet_run("predict", "model.safetensors", "--csv", "flowers.csv", cwd=folder))
    rows = read_csv_text(stdout)
    assert list(rows[0]) == [
        "prediction",
        "probability",
        *(f"probability_{name}" for name in CLASSES),
    ]
    # The Python API: load, standardize with the saved statistics, predict.
    model = load(folder / "model.safetensors")
    scaler = Standardizer.from_dict(model.metadata["preprocessing"])
    expected = model.predict(scaler.transform(x.astype(np.float32)))
    printed = np.array(
        [[float(row[f"probability_{name}"]) for name in CLASSES] for row in rows], dtype=np.float32
    )
    np.testing.assert_array_equal(printed, expected)  # 9 digits: every float32 read back exactly
    assert [row["prediction"] for row in rows] == [CLASSES[i] for i in expected.argmax(axis=1)]
    np.testing.assert_array_equal(
        np.array([row["probability"] for row in rows], dtype=np.float32), expected.max(axis=1)
    )
    # And a forward pass written out by hand from the saved weights.
    standardized = (x - np.array(model.metadata["preprocessing"]["mean"])) / np.array(
        model.metadata["preprocessing"]["std"]
    )
    np.testing.assert_allclose(printed, forward_by_hand(model, standardized), atol=1e-5)


def test_predict_csv_output_file_and_extra_columns(flowers, tmp_path):
    folder, x, _ = flowers
    # A file with the columns in another order, an extra column and no target: taken by name.
    lines = ["note,petal_width,petal_length,sepal_length"]
    lines += [f"row {i},{r[2]},{r[0]},{r[1]}" for i, r in enumerate(x[:5])]
    (tmp_path / "new.csv").write_text("\n".join(lines) + "\n")
    model_path = folder / "model.safetensors"
    stdout = ok(
        humblenet_run(
            "predict", str(model_path), "--csv", "new.csv", "--output", "out.csv", cwd=tmp_path
        )
    )
    assert "wrote 5 prediction(s) to out.csv" in stdout
    written = read_csv_text((tmp_path / "out.csv").read_text())
    model = load(model_path)
    scaler = Standardizer.from_dict(model.metadata["preprocessing"])
    expected = model.predict(scaler.transform(x[:5].astype(np.float32)))
    printed = np.array(
        [[row[f"probability_{name}"] for name in CLASSES] for row in written], dtype=np.float32
    )
    np.testing.assert_array_equal(printed, expected)
    assert [row["prediction"] for row in written] == [CLASSES[i] for i in expected.argmax(axis=1)]


def test_predict_with_input_pairs(flowers):
    folder, x, _ = flowers
    sample = x[1]  # a versicolor row
    pairs = [f"{name}={value}" for name, value in zip(FEATURES, sample)]
    stdout = ok(humblenet_run("predict", "model.safetensors", "--input", *pairs, cwd=folder))
    model = load(folder / "model.safetensors")
    scaler = Standardizer.from_dict(model.metadata["preprocessing"])
    probabilities = model.predict(scaler.transform(sample.reshape(1, -1).astype(np.float32)))[0]
    best = int(probabilities.argmax())
    lines = stdout.splitlines()
    assert lines[0] == f"species: {CLASSES[best]} (probability {probabilities[best]:.4f})"
    assert CLASSES[best] == "versicolor"
    for name, probability, line in zip(CLASSES, probabilities, lines[1:]):
        assert line.split() == [name, f"{probability:.4f}"]


def test_predict_on_an_image_model_asks_for_a_csv(tmp_path, monkeypatch, capsys):
    from humblenet import Sequential
    from humblenet.nn import Dense

    model = Sequential([Dense(3, activation="softmax", input_shape=(4,), seed=0)])
    model.save(tmp_path / "images.safetensors", task="classify")
    monkeypatch.chdir(tmp_path)
    status, _, err = run_main(["predict", "images.safetensors", "--input", "a=1"], capsys)
    assert status == 2
    assert "--csv" in err and len(err.splitlines()) == 1
    # Without feature names, --csv takes every column in order.
    (tmp_path / "pixels.csv").write_text("p0,p1,p2,p3\n0,0.5,1,0.25\n")
    status, out, _ = run_main(["predict", "images.safetensors", "--csv", "pixels.csv"], capsys)
    assert status == 0
    row = read_csv_text(out)[0]
    expected = model.predict(np.array([[0, 0.5, 1, 0.25]], dtype=np.float32))[0]
    printed = np.array([row[f"probability_{i}"] for i in range(3)], dtype=np.float32)
    np.testing.assert_array_equal(printed, expected)
    assert row["prediction"] == str(int(expected.argmax()))
    # A file with a column too many (a label kept by mistake) is refused, naming the counts.
    (tmp_path / "labelled.csv").write_text("p0,p1,p2,p3,label\n0,0.5,1,0.25,2\n")
    check_mistake(
        tmp_path,
        capsys,
        ["predict", "images.safetensors", "--csv", "labelled.csv"],
        ["labelled.csv: 5 columns", "takes 4 values"],
    )
    (tmp_path / "named.csv").write_text("p0,p1,p2,p3,label\n0,0.5,1,0.25,cat\n")
    check_mistake(
        tmp_path,
        capsys,
        ["predict", "images.safetensors", "--csv", "named.csv"],
        ["named.csv: line 2, column 'label'", "'cat' is not a number", "remove other columns"],
    )


MISTAKES = [
    (["predict", "absent.safetensors", "--csv", "flowers.csv"], ["no model file", "train"]),
    (
        ["predict", "notes.safetensors", "--csv", "flowers.csv"],
        ["notes.safetensors", "a text file"],
    ),
    (["predict", "flowers.csv", "--csv", "flowers.csv"], ["flowers.csv", "safetensors"]),
    (
        ["predict", "model.safetensors", "--input", "petal_length=abc", *FLOWER_INPUT[1:]],
        ["petal_length=abc", "'abc' is not a number"],
    ),
    (
        ["predict", "model.safetensors", "--input", "petal_length=1", "colour=2"],
        ["unknown feature(s) colour", "missing sepal_length, petal_width"],
    ),
    (
        ["predict", "model.safetensors", "--input", *FLOWER_INPUT, "petal_length=2"],
        ["petal_length", "twice"],
    ),
    (["predict", "model.safetensors", "--input", "4"], ["'4'", "NAME=NUMBER"]),
    (
        ["predict", "model.safetensors", "--csv", "runs.csv"],
        ["runs.csv", "no column(s) petal_length", "the file has minutes, speed, kcal"],
    ),
    (["predict", "model.safetensors", "--csv", "bad.csv"], ["line 5", "'tall' is not a number"]),
    (["predict", "model.safetensors", "--csv", "absent.csv"], ["--csv absent.csv", "no such file"]),
    (
        ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "no/p.csv"],
        ["--output", "does not exist"],
    ),
    (["predict", "model.safetensors"], ["one of the arguments --input --csv is required"]),
]


@pytest.mark.parametrize(("args", "words"), MISTAKES, ids=lambda v: " ".join(v)[:60])
def test_a_mistake_is_one_line_status_2_and_writes_nothing(workspace, capsys, args, words):
    check_mistake(workspace, capsys, args, words)


def test_an_output_that_cannot_be_written_is_one_line(workspace, capsys, monkeypatch):
    from humblenet.cli import _common

    def full_disk(path, data):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(_common, "write_atomically", full_disk)
    check_mistake(
        workspace,
        capsys,
        ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "p.csv"],
        ["No space left on device: p.csv"],
    )
