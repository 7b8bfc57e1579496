"""``humblenet train``: on a CSV file (a classifier, a regression) and a named data set, and the
mistakes a user makes with it."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helper import (
    CLASSES,
    FEATURES,
    ROWS,
    SEED,
    check_mistake,
    humblenet_run,
    kcal,
    ok,
    run_main,
    write_runs,
)

from humblenet import load
from humblenet.cli import UserError
from humblenet.cli.train import parse_hidden
from humblenet.data import Standardizer


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


def test_regression_on_a_csv_predicts_in_the_targets_units(tmp_path):
    write_runs(tmp_path / "runs.csv")
    stdout = ok(
        humblenet_run(
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
        humblenet_run(
            "predict", "runs.safetensors", "--input", "minutes=30", "speed=3", cwd=tmp_path
        )
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
    stdout = ok(humblenet_run("evaluate", "runs.safetensors", "runs.csv", cwd=tmp_path))
    printed = dict(part.rsplit(" ", 1) for part in stdout.split(": ", 1)[1].strip().split(", "))
    assert float(printed["loss"]) == pytest.approx(np.mean(errors**2), rel=1e-4)
    assert float(printed["mean absolute error"]) == pytest.approx(np.mean(abs(errors)), rel=1e-4)


def test_train_digits_for_two_epochs(tmp_path):
    stdout = ok(humblenet_run("train", "digits", "--epochs", "2", cwd=tmp_path))
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
    stdout = ok(humblenet_run("evaluate", "model.safetensors", "digits", cwd=tmp_path))
    assert f"accuracy {model.metadata['metrics']['test_accuracy']:.4f}" in stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_train_help_states_the_defaults(capsys):
    _, out, _ = run_main(["train", "--help"], capsys)
    for default in (
        "--hidden 200 for a table, 64,32 for images",
        "--epochs 500 for a table",
        "--patience 20",
        "5 for fashion-mnist",
        "model.safetensors",
    ):
        assert default in " ".join(out.split())


def test_parse_hidden():
    assert parse_hidden("128, 64,32") == [128, 64, 32]
    assert parse_hidden("none") == []
    with pytest.raises(UserError, match="--hidden"):
        parse_hidden("64,-1")


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


# -- a user's mistakes: one line, status 2, nothing written ----------------------------------

MISTAKES = [
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
    (["train", "flowers.csv", "--seed", "-1"], ["--seed", ">= 0"]),
    (["train", "flowers.csv", "--activation", "swish"], ["--activation", "swish", "relu"]),
    (["train", "bad.csv"], ["bad.csv", "line 5", "'tall' is not a number"]),
    (["train", "binary.csv"], ["binary.csv", "not UTF-8"]),
    (["train", "tiny.csv"], ["--validation-split", "1 samples"]),
    (["train", "runs.csv", "--task", "classify"], ["kcal", "--task regress"]),
    (["train", "jogging", "--target", "minutes"], ["--target", "kcal"]),
    (["train", "flowers.csv", "--out", "no/model.safetensors"], ["--out", "does not exist"]),
    (["train", "flowers.csv", "--plot", "curves.xyz"], ["curves.xyz", ".png"]),
    (["train", "mnist:no-such-folder"], ["MNIST not found", "no-such-folder"]),
]


@pytest.mark.parametrize(("args", "words"), MISTAKES, ids=lambda v: " ".join(v)[:60])
def test_a_mistake_is_one_line_status_2_and_writes_nothing(workspace, capsys, args, words):
    (workspace / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (workspace / "tiny.csv").write_text("a,b,y\n1,2,3.5\n")
    check_mistake(workspace, capsys, args, words)


def test_a_failed_save_after_training_leaves_no_plot(workspace, capsys, monkeypatch):
    from humblenet import Sequential

    def failing_save(self, path, **metadata):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(Sequential, "save", failing_save)
    before = sorted(p.name for p in workspace.iterdir())
    status, _, err = run_main(
        ["train", "flowers.csv", "--epochs", "1", "--plot", "curves.png", "--out", "m.safetensors"],
        capsys,
    )
    assert status == 2
    assert err == "humblenet: error: No space left on device: m.safetensors\n"
    assert sorted(p.name for p in workspace.iterdir()) == before
