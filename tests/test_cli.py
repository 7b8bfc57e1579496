"""The ``humblenet`` command line, run as a user runs it.

The main flows run ``python -m humblenet ...`` in a subprocess, in a temporary folder: train on a
CSV file the test writes (a classifier with text labels and a regression), predict from the saved
model with ``--input`` and ``--csv``, and compare with the Python API and with a forward pass
written out in NumPy from the saved weights. The mistakes a user makes are checked in-process (for
speed) and a few in a subprocess: each must print exactly one line, exit with status 2, show no
traceback and leave no file behind.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from humblenet import cli, load
from humblenet.data import Standardizer, list_datasets

CLASSES = ("setosa", "versicolor", "virginica")  # sorted: the class order read_csv gives
CENTERS = np.array([[1.5, 5.0, 0.3], [4.3, 6.0, 1.3], [5.6, 6.6, 2.1]])
FEATURES = ("petal_length", "sepal_length", "petal_width")
ROWS = 150
SEED = 0


def write_flowers(path: Path, rows: int = ROWS, seed: int = 1) -> np.ndarray:
    """A learnable 3-class table with text labels: three clusters, one per class."""
    rng = np.random.default_rng(seed)
    classes = np.arange(rows) % 3
    x = CENTERS[classes] + rng.normal(0, 0.25, size=(rows, 3))
    lines = [",".join([*FEATURES, "species"])]
    lines += [",".join([*(f"{v:.2f}" for v in row), CLASSES[c]]) for row, c in zip(x, classes)]
    path.write_text("\n".join(lines) + "\n")
    return np.round(x, 2)


def kcal(minutes, speed):
    return minutes * (12 * speed + 3.5) * 0.4


def write_runs(path: Path, rows: int = ROWS, seed: int = 2) -> None:
    """A regression table: kcal from minutes and speed (a smooth formula, no noise)."""
    rng = np.random.default_rng(seed)
    minutes, speed = rng.uniform(10, 60, rows), rng.uniform(2, 4.5, rows)
    lines = ["minutes,speed,kcal"]
    lines += [
        f"{m:.1f},{s:.2f},{kcal(round(m, 1), round(s, 2)):.1f}" for m, s in zip(minutes, speed)
    ]
    path.write_text("\n".join(lines) + "\n")


def humblenet(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m humblenet ARGS`` in ``cwd``, with warnings as errors."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "humblenet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def read_csv_text(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def forward_by_hand(model, x: np.ndarray) -> np.ndarray:
    """The network's output computed in float64 from its weights, layer by layer."""
    h = x.astype(np.float64)
    for layer in model.layers:
        h = h @ layer.weight.data.astype(np.float64).T + layer.bias.data
        if layer.activation == "relu":
            h = np.maximum(h, 0)
        elif layer.activation == "softmax":
            e = np.exp(h - h.max(axis=1, keepdims=True))
            h = e / e.sum(axis=1, keepdims=True)
        else:
            assert layer.activation is None
    return h


# -- the classifier, trained once for the module ---------------------------------------------


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    """A folder with flowers.csv and the model `humblenet train` made from it (and its output)."""
    folder = tmp_path_factory.mktemp("flowers")
    x = write_flowers(folder / "flowers.csv")
    result = humblenet(
        "train", "flowers.csv", "--target", "species", "--epochs", "15",
        "--learning-rate", "0.01", "--seed", str(SEED), "--plot", "curves.png",
        cwd=folder,
    )  # fmt: skip
    return folder, x, ok(result)


def test_train_on_a_csv_saves_a_model_that_learned(flowers):
    folder, x, stdout = flowers
    assert sorted(p.name for p in folder.iterdir()) == [
        "curves.png",
        "flowers.csv",
        "model.safetensors",
    ]
    assert (folder / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Epoch 15/15" in stdout  # one line per epoch when not in a terminal
    assert "saved the model to model.safetensors" in stdout
    model = load(folder / "model.safetensors")
    metadata = model.metadata
    assert metadata["class_names"] == list(CLASSES)
    assert metadata["feature_names"] == list(FEATURES)
    assert metadata["task"] == "classify"
    assert metadata["dataset"] == "flowers.csv"
    assert metadata["metrics"]["val_accuracy"] >= 0.9  # three well separated clusters
    validation_line = next(line for line in stdout.splitlines() if line.startswith("validation:"))
    assert f"accuracy {metadata['metrics']['val_accuracy']:.4f}" in validation_line
    # The standardization was fitted on the training rows only: the split is the documented one
    # (a seeded permutation, the first 20% validate), recomputed here.
    order = np.random.default_rng(SEED).permutation(ROWS)
    training_rows = x[order[round(0.2 * ROWS) :]].astype(np.float32).astype(np.float64)
    preprocessing = metadata["preprocessing"]
    assert preprocessing["target"] == "species"
    np.testing.assert_allclose(preprocessing["mean"], training_rows.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(preprocessing["std"], training_rows.std(axis=0), rtol=1e-5)
    assert not np.allclose(preprocessing["mean"], x.mean(axis=0), rtol=1e-6)


def test_predict_from_a_csv_equals_the_python_api(flowers):
    folder, x, _ = flowers
    stdout = ok(humblenet("predict", "model.safetensors", "--csv", "flowers.csv", cwd=folder))
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
        humblenet(
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
    stdout = ok(humblenet("predict", "model.safetensors", "--input", *pairs, cwd=folder))
    model = load(folder / "model.safetensors")
    scaler = Standardizer.from_dict(model.metadata["preprocessing"])
    probabilities = model.predict(scaler.transform(sample.reshape(1, -1).astype(np.float32)))[0]
    best = int(probabilities.argmax())
    lines = stdout.splitlines()
    assert lines[0] == f"species: {CLASSES[best]} (probability {probabilities[best]:.4f})"
    assert CLASSES[best] == "versicolor"
    for name, probability, line in zip(CLASSES, probabilities, lines[1:]):
        assert line.split() == [name, f"{probability:.4f}"]


def test_info_describes_the_model(flowers):
    folder, _, _ = flowers
    stdout = ok(humblenet("info", "model.safetensors", cwd=folder))
    model = load(folder / "model.safetensors")
    from humblenet import __version__

    assert "Total params: " + f"{model.count_params():,}" in stdout
    assert "task: classification" in stdout
    assert "trained on: flowers.csv" in stdout
    assert "target: species" in stdout
    assert "classes (3): setosa, versicolor, virginica" in stdout
    assert "features (3): petal_length, sepal_length, petal_width" in stdout
    assert f"val_accuracy {model.metadata['metrics']['val_accuracy']:.4f}" in stdout
    assert f"humblenet {__version__}" in stdout


def test_evaluate_a_csv_with_fewer_classes(flowers, tmp_path):
    """A file with only two of the three classes: labels are matched to the model's by name."""
    folder, x, _ = flowers
    chosen = [i for i in range(ROWS) if i % 3 != 0][:40]  # versicolor and virginica only
    lines = ["species,petal_length,sepal_length,petal_width"]
    lines += [f"{CLASSES[i % 3]},{x[i, 0]},{x[i, 1]},{x[i, 2]}" for i in chosen]
    (tmp_path / "test.csv").write_text("\n".join(lines) + "\n")
    model_path = str(folder / "model.safetensors")
    stdout = ok(humblenet("evaluate", model_path, "test.csv", cwd=tmp_path))
    model = load(folder / "model.safetensors")
    scaler = Standardizer.from_dict(model.metadata["preprocessing"])
    probabilities = model.predict(scaler.transform(x[chosen].astype(np.float32))).astype(np.float64)
    labels = np.array([i % 3 for i in chosen])
    accuracy = np.mean(probabilities.argmax(axis=1) == labels)
    loss = -np.mean(np.log(probabilities[np.arange(len(labels)), labels]))
    assert stdout.startswith("test.csv (40 rows): ")
    printed = dict(part.rsplit(" ", 1) for part in stdout.split(": ", 1)[1].strip().split(", "))
    assert float(printed["accuracy"]) == pytest.approx(accuracy, abs=5e-5)
    assert float(printed["loss"]) == pytest.approx(loss, abs=1e-4)


def test_export_runs_in_onnx_runtime(flowers, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    folder, x, _ = flowers
    model_path = str(folder / "model.safetensors")
    stdout = ok(humblenet("export", model_path, "model.onnx", cwd=tmp_path))
    assert "model.onnx" in stdout
    model = load(folder / "model.safetensors")
    standardized = Standardizer.from_dict(model.metadata["preprocessing"]).transform(
        x.astype(np.float32)
    )
    session = onnxruntime.InferenceSession(
        str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    (output,) = session.run(None, {session.get_inputs()[0].name: standardized})
    np.testing.assert_allclose(output, model.predict(standardized), rtol=1e-5, atol=1e-6)


# -- regression and the named data sets ------------------------------------------------------


def test_regression_on_a_csv_predicts_in_the_targets_units(tmp_path):
    write_runs(tmp_path / "runs.csv")
    stdout = ok(
        humblenet(
            "train",
            "runs.csv",
            "--epochs",
            "40",
            "--learning-rate",
            "0.01",
            "--out",
            "runs.safetensors",
            cwd=tmp_path,
        )  # fmt: skip
    )
    assert "regression of kcal" in stdout
    model = load(tmp_path / "runs.safetensors")
    assert model.metadata["task"] == "regress"
    assert model.metadata["class_names"] is None
    assert model.layers[-1].units == 1 and model.layers[-1].activation is None
    assert set(model.metadata["metrics"]) == {"loss", "mae", "val_loss", "val_mae"}
    # 30 minutes at 3 m/s: the formula says 474 kcal; the network, trained briefly on 120 rows,
    # must be close in kcal (the target's standardization is folded into the last layer).
    stdout = ok(
        humblenet("predict", "runs.safetensors", "--input", "minutes=30", "speed=3", cwd=tmp_path)
    )
    assert stdout.startswith("kcal: ")
    predicted = float(stdout.split()[1])
    assert predicted == pytest.approx(kcal(30, 3), rel=0.1)
    scaler = Standardizer.from_dict(model.metadata["preprocessing"])
    expected = model.predict(scaler.transform(np.array([[30, 3]], dtype=np.float32)))
    assert np.float32(predicted) == expected[0, 0]
    # evaluate prints the mean squared and absolute errors in kcal.
    table = np.loadtxt(tmp_path / "runs.csv", delimiter=",", skiprows=1, dtype=np.float32)
    outputs = model.predict(scaler.transform(table[:, :2]))[:, 0].astype(np.float64)
    errors = outputs - table[:, 2]
    stdout = ok(humblenet("evaluate", "runs.safetensors", "runs.csv", cwd=tmp_path))
    printed = dict(part.rsplit(" ", 1) for part in stdout.split(": ", 1)[1].strip().split(", "))
    assert float(printed["loss"]) == pytest.approx(np.mean(errors**2), rel=1e-4)
    assert float(printed["mean absolute error"]) == pytest.approx(np.mean(abs(errors)), rel=1e-4)


def test_train_digits_for_two_epochs(tmp_path):
    stdout = ok(humblenet("train", "digits", "--epochs", "2", cwd=tmp_path))
    assert "Epoch 2/2" in stdout
    assert "64 -> 64 relu -> 32 relu -> 10 softmax" in stdout
    test_line = next(line for line in stdout.splitlines() if line.startswith("test:"))
    model = load(tmp_path / "model.safetensors")
    assert model.input_shape == (64,)
    assert model.metadata["class_names"] == [str(d) for d in range(10)]
    assert model.metadata["dataset"] == "digits"
    assert model.metadata["preprocessing"] is None  # images are already in [0, 1]
    assert f"accuracy {model.metadata['metrics']['test_accuracy']:.4f}" in test_line
    assert model.metadata["metrics"]["test_accuracy"] > 0.3  # far above chance (0.1)
    stdout = ok(humblenet("evaluate", "model.safetensors", "digits", cwd=tmp_path))
    assert f"accuracy {model.metadata['metrics']['test_accuracy']:.4f}" in stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_datasets_lists_every_named_set(tmp_path):
    stdout = ok(humblenet("datasets", cwd=tmp_path))
    for info in list_datasets():
        lines = [line for line in stdout.splitlines() if line.startswith(f"{info.name} (")]
        assert lines == [f"{info.name} ({info.task}): {info.description}"]
        assert (info.location or info.how_to_get) in stdout


# -- in-process: help, errors and exit statuses ----------------------------------------------


def run_main(args, capsys):
    """``cli.main(args)`` → (status, stdout, stderr), argparse's exits included."""
    try:
        status = cli.main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    "command", ["train", "evaluate", "predict", "info", "export", "datasets", "tour"]
)
def test_every_command_has_help_with_an_example(command, capsys):
    status, out, _ = run_main([command, "--help"], capsys)
    assert status == 0
    assert "example" in out
    assert f"humblenet {command}" in out


def test_train_help_states_the_defaults(capsys):
    _, out, _ = run_main(["train", "--help"], capsys)
    for default in ("--hidden 64,32", "--epochs 20", "5 for fashion-mnist", "model.safetensors"):
        assert default in " ".join(out.split())


@pytest.fixture
def workspace(tmp_path, monkeypatch, flowers):
    """A folder holding flowers.csv, runs.csv, a trained model and a non-model file."""
    folder, _, _ = flowers
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flowers.csv").write_bytes((folder / "flowers.csv").read_bytes())
    (tmp_path / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    write_runs(tmp_path / "runs.csv")
    (tmp_path / "notes.safetensors").write_text("not a model\n")
    bad = (folder / "flowers.csv").read_text().splitlines()
    bad[4] = bad[4].replace(bad[4].split(",")[1], "tall", 1)
    (tmp_path / "bad.csv").write_text("\n".join(bad) + "\n")
    (tmp_path / "two_classes.csv").write_text(
        "species,petal_length,sepal_length,petal_width\nrose,1,2,3\nsetosa,1,5,0.3\n"
    )
    return tmp_path


FLOWER_INPUT = ["petal_length=4", "sepal_length=6", "petal_width=1.3"]

USER_MISTAKES = [
    (["train", "missing.csv"], ["no such file", "missing.csv"]),
    (["train", "flowerz"], ["'flowerz'", "neither a file nor a named data set", "digits"]),
    (["train", "flowers.csv", "--target", "colour"], ["no column 'colour'", "species"]),
    (["train", "flowers.csv", "--hidden", "64,x"], ["--hidden", "e.g. --hidden 64,32"]),
    (["train", "flowers.csv", "--hidden", "0"], ["--hidden", ">= 1"]),
    (["train", "flowers.csv", "--epochs", "abc"], ["--epochs", "'abc' is not a whole number"]),
    (["train", "flowers.csv", "--epochs", "0"], ["--epochs", ">= 1"]),
    (["train", "flowers.csv", "--learning-rate", "nan"], ["--learning-rate", "finite"]),
    (["train", "flowers.csv", "--learning-rate", "-1"], ["--learning-rate", "> 0"]),
    (["train", "flowers.csv", "--validation-split", "1.5"], ["--validation-split", "[0, 1)"]),
    (["train", "flowers.csv", "--activation", "swish"], ["--activation", "swish", "relu"]),
    (["train", "bad.csv"], ["bad.csv", "line 5", "'tall' is not a number"]),
    (["train", "runs.csv", "--task", "classify"], ["kcal", "--task regress"]),
    (["train", "jogging", "--target", "minutes"], ["--target", "kcal"]),
    (["train", "flowers.csv", "--out", "no/model.safetensors"], ["--out", "does not exist"]),
    (["train", "flowers.csv", "--plot", "curves.xyz"], ["curves.xyz", ".png"]),
    (["train", "mnist:no-such-folder"], ["MNIST not found", "no-such-folder"]),
    (["predict", "absent.safetensors", "--csv", "flowers.csv"], ["no model file", "train"]),
    (["predict", "notes.safetensors", "--csv", "flowers.csv"], ["notes.safetensors", "damaged"]),
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
    (["predict", "model.safetensors", "--csv", "runs.csv"], ["no column(s) petal_length"]),
    (["predict", "model.safetensors", "--csv", "bad.csv"], ["line 5", "'tall' is not a number"]),
    (
        ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "no/p.csv"],
        ["--output", "does not exist"],
    ),
    (["predict", "model.safetensors"], ["one of the arguments --input --csv is required"]),
    (["evaluate", "model.safetensors", "two_classes.csv"], ["'rose'", "does not know"]),
    (["evaluate", "model.safetensors", "runs.csv"], ["no column 'species'"]),
    (["evaluate", "model.safetensors", "fashion"], ["'fashion'", "named data set"]),
    (["evaluate", "model.safetensors", "digits"], ["64 features", "expects 3"]),
    (["info", "missing.safetensors"], ["no model file"]),
    (["export", "model.safetensors", "no/model.onnx"], ["does not exist"]),
    (["unknown-command"], ["invalid choice", "unknown-command"]),
]


@pytest.mark.parametrize(("args", "words"), USER_MISTAKES, ids=lambda v: " ".join(v)[:60])
def test_a_user_mistake_is_one_line_status_2_and_writes_nothing(workspace, capsys, args, words):
    before = sorted(p.name for p in workspace.iterdir())
    status, _, err = run_main(args, capsys)
    assert status == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("humblenet")
    assert "Traceback" not in err
    for word in words:
        assert word in err
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_mistakes_in_a_subprocess_are_one_line_too(workspace):
    before = sorted(p.name for p in workspace.iterdir())
    for args, words in [
        (["train", "flowers.csv", "--epochs", "abc"], ["'abc' is not a whole number"]),
        (["predict", "model.safetensors", "--input", "petal_length=x"], ["'x' is not a number"]),
    ]:
        result = humblenet(*args, cwd=workspace)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert all(word in result.stderr for word in words)
        assert result.stdout == ""
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_a_failed_save_after_training_leaves_no_plot(workspace, capsys, monkeypatch):
    from humblenet.nn import Sequential

    def failing_save(self, path, **metadata):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(Sequential, "save", failing_save)
    before = sorted(p.name for p in workspace.iterdir())
    status, _, err = run_main(
        ["train", "flowers.csv", "--epochs", "1", "--plot", "curves.png", "--out", "m.st"], capsys
    )
    assert status == 2
    assert err == "humblenet: error: No space left on device: m.st\n"
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_ctrl_c_exits_130_with_one_line(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_datasets", interrupted)
    status, _, err = run_main(["datasets"], capsys)
    assert status == 130
    assert err == "humblenet: interrupted\n"


def test_a_bug_keeps_its_traceback(monkeypatch):
    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "_cmd_datasets", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["datasets"])


def test_predict_on_an_image_model_asks_for_a_csv(tmp_path, monkeypatch, capsys):
    from humblenet.nn import Dense, Sequential

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


def test_parse_hidden():
    assert cli.parse_hidden("128, 64,32") == [128, 64, 32]
    assert cli.parse_hidden("none") == []
    with pytest.raises(cli.UserError, match="--hidden"):
        cli.parse_hidden("64,-1")


def test_no_hidden_layer_and_no_validation(workspace, capsys):
    status, out, err = run_main(
        ["train", "flowers.csv", "--hidden", "", "--validation-split", "0", "--epochs", "2",
         "--optimizer", "sgd", "--learning-rate", "0.1", "--out", "linear.safetensors"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert "training 3 -> 3 softmax on flowers.csv (3 classes; 150 training samples)" in out
    assert "validation:" not in out
    model = load(workspace / "linear.safetensors")
    assert len(model.layers) == 1
    assert set(model.metadata["metrics"]) == {"loss", "accuracy"}
    # Standardized with all 150 rows, since none were held out.
    x = np.loadtxt(workspace / "flowers.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2))
    np.testing.assert_allclose(
        model.metadata["preprocessing"]["mean"], x.astype(np.float32).mean(axis=0), rtol=1e-6
    )
