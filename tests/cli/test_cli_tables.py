"""``humblenet train / info / evaluate / predict / export`` on a real table as a user runs them:
the Palmer penguins (tests/data/tables/penguins.csv: text feature columns, missing values).

Settings: --epochs 20, --hidden 16, the default split (0.2, seed 0); a few seconds each."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helper import check_mistake, humblenet_run, ok
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from humblenet import load

PENGUINS = Path(__file__).parents[1] / "data" / "tables" / "penguins.csv"
FEATURES = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"]
TEXT = ["island", "sex"]


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("penguins")
    (folder / "penguins.csv").write_bytes(PENGUINS.read_bytes())
    stdout = ok(
        humblenet_run(
            "train", "penguins.csv", "--target", "species", "--drop", "year",
            "--epochs", "20", "--hidden", "16", cwd=folder,
        )
    )  # fmt: skip
    return folder, stdout


def test_the_shipped_table_is_the_packages():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    packaged = Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"
    assert PENGUINS.read_bytes() == packaged.read_bytes()


def test_train_learns_and_saves_what_scikit_learn_fits(penguins):
    folder, stdout = penguins
    assert "275 training, 69 validation" in stdout
    model = load(folder / "model.safetensors")
    assert model.metadata["metrics"]["val_accuracy"] >= 0.95
    assert model.metadata["class_names"] == ["Adelie", "Chinstrap", "Gentoo"]
    # A small table is refit on every row after early stopping (the validation rows chose the
    # epochs), its preprocessing too: the fills, categories and standardization are those of
    # scikit-learn fitted on all 344 rows.
    assert "refit: training a fresh network on all 344 rows" in stdout
    frame = pd.read_csv(PENGUINS)
    part = frame
    numbers = [c for c in FEATURES if c not in TEXT]
    median = SimpleImputer(strategy="median").fit(part[numbers])
    frequent = SimpleImputer(strategy="most_frequent").fit(part[TEXT])
    columns = {c["name"]: c for c in model.metadata["preprocessing"]["columns"]}
    assert list(columns) == FEATURES
    np.testing.assert_allclose([columns[c]["fill"] for c in numbers], median.statistics_)
    assert [columns[c]["fill"] for c in TEXT] == list(frequent.statistics_)
    hot = OneHotEncoder(sparse_output=False).fit(frequent.transform(frame[TEXT]))
    assert [columns[c]["categories"] for c in TEXT] == [list(c) for c in hot.categories_]
    island, sex = np.hsplit(hot.transform(frequent.transform(part[TEXT])), [3])
    filled = median.transform(part[numbers])
    encoded = np.hstack([island, filled, sex])
    scaler = StandardScaler().fit(encoded)
    preprocessing = model.metadata["preprocessing"]
    np.testing.assert_allclose(preprocessing["mean"], scaler.mean_, rtol=1e-5)
    np.testing.assert_allclose(preprocessing["std"], scaler.scale_, rtol=1e-5)


def test_info_shows_the_preprocessing(penguins):
    folder, _ = penguins
    stdout = ok(humblenet_run("info", "model.safetensors", cwd=folder))
    assert "island: text, one-hot over 3 categories (Biscoe, Dream, Torgersen)" in stdout
    assert "sex: text, one-hot over 2 categories (female, male), missing -> " in stdout
    assert "bill_length_mm: number, missing -> " in stdout


def test_evaluate_and_predict_agree_with_onnx_runtime_on_the_raw_columns(penguins):
    onnxruntime = pytest.importorskip("onnxruntime")
    folder, _ = penguins
    predicted = ok(
        humblenet_run("predict", "model.safetensors", "--csv", "penguins.csv", cwd=folder)
    )
    rows = list(csv.reader(io.StringIO(predicted)))[1:]
    assert len(rows) == 344
    probabilities = np.array([[float(v) for v in row[2:]] for row in rows])
    frame = pd.read_csv(PENGUINS)
    accuracy = np.mean([row[0] for row in rows] == frame["species"].to_numpy())
    scored = ok(humblenet_run("evaluate", "model.safetensors", "penguins.csv", cwd=folder))
    assert f"accuracy {accuracy:.4f}" in scored
    ok(humblenet_run("export", "model.safetensors", "model.onnx", cwd=folder))
    session = onnxruntime.InferenceSession(
        str(folder / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [i.name for i in session.get_inputs()] == FEATURES
    feeds = {}
    for name in FEATURES:
        column = frame[name]
        if name in TEXT:
            feeds[name] = column.fillna("").to_numpy(dtype=object).reshape(-1, 1)
        else:
            feeds[name] = column.to_numpy(dtype=np.float32).reshape(-1, 1)
    (output,) = session.run(None, feeds)
    np.testing.assert_allclose(output, probabilities, rtol=1e-5, atol=1e-6)


def test_one_row_with_text_and_a_gap(penguins):
    folder, _ = penguins
    stdout = ok(
        humblenet_run(
            "predict", "model.safetensors", "--input", "island=Biscoe", "bill_length_mm=48",
            "bill_depth_mm=15", "flipper_length_mm=220", "body_mass_g=5200", "sex=",
            cwd=folder,
        )
    )  # fmt: skip
    assert stdout.startswith("species: Gentoo")


def test_a_pandas_export_with_semicolons_in_latin1_and_missing_drop(tmp_path):
    frame = pd.read_csv(PENGUINS)
    frame["island"] = frame["island"].str.replace("Torgersen", "Tørgersen")
    frame.to_csv(tmp_path / "p.csv", sep=";", encoding="latin-1")  # an unnamed index column
    stdout = ok(
        humblenet_run(
            "train", "p.csv", "--target", "species", "--features", "island,bill_length_mm,sex",
            "--missing", "drop", "--epochs", "2", "--hidden", "4", cwd=tmp_path,
        )
    )  # fmt: skip
    assert "--missing drop left out 11 row(s)" in stdout
    assert "266 training, 67 validation" in stdout
    model = load(tmp_path / "model.safetensors")
    names = model.metadata["feature_names"]
    assert names == ["island=Biscoe", "island=Dream", "island=Tørgersen", "bill_length_mm",
                     "sex=female", "sex=male"]  # fmt: skip


def test_a_table_stops_early_and_keeps_its_best_epoch(tmp_path):
    """Defaults on penguins (--hidden 16 to keep it short): val_loss watched with patience 20,
    the saved weights are those of the epoch with the lowest val_loss printed."""
    (tmp_path / "penguins.csv").write_bytes(PENGUINS.read_bytes())
    stdout = ok(
        humblenet_run("train", "penguins.csv", "--target", "species", "--hidden", "16",
                      "--no-refit", cwd=tmp_path)
    )  # fmt: skip
    losses = [
        float(line.split("val_loss: ")[1].split()[0])
        for line in stdout.splitlines()
        if line.startswith("Epoch ")
    ]
    best = int(np.argmin(losses))
    assert len(losses) == best + 1 + 20 < 500  # stopped 20 epochs after the best
    assert f"kept the weights of epoch {best + 1} " in stdout
    model = load(tmp_path / "model.safetensors")
    assert round(model.metadata["metrics"]["val_loss"], 4) == losses[best]
    stdout = ok(
        humblenet_run("train", "penguins.csv", "--target", "species", "--hidden", "4",
                      "--patience", "0", "--out", "fixed.safetensors", cwd=tmp_path)
    )  # fmt: skip
    assert "Epoch 20/20" in stdout and "kept the weights" not in stdout


def test_a_small_table_is_refit_on_every_row_for_the_best_epochs(tmp_path):
    """After early stopping on penguins (--hidden 8, --learning-rate 0.01 and --patience 5 to
    keep it short), the saved
    model is the one `--validation-split 0 --epochs BEST` trains (the same bytes), and its
    val_ metrics are the first run's: the refit's own rows include the validation rows."""
    (tmp_path / "penguins.csv").write_bytes(PENGUINS.read_bytes())
    common = ["train", "penguins.csv", "--target", "species", "--hidden", "8", "--seed", "3",
              "--learning-rate", "0.01"]  # fmt: skip
    stdout = ok(humblenet_run(*common, "--patience", "5", cwd=tmp_path))
    best = int(stdout.split("kept the weights of epoch ")[1].split()[0])
    assert best < 100  # stopped early
    assert f"refit: training a fresh network on all 344 rows for {best} epochs" in stdout
    validation = next(line for line in stdout.splitlines() if line.startswith("validation:"))
    ok(humblenet_run(*common, "--validation-split", "0", "--epochs", str(best),
                     "--out", "all.safetensors", cwd=tmp_path))  # fmt: skip
    refit, direct = load(tmp_path / "model.safetensors"), load(tmp_path / "all.safetensors")
    for (name, ours), (_, theirs) in zip(
        refit.state_dict().items(), direct.state_dict().items(), strict=True
    ):
        assert np.array_equal(np.asarray(ours), np.asarray(theirs)), name
    assert refit.metadata["preprocessing"] == direct.metadata["preprocessing"]
    metrics = refit.metadata["metrics"]
    assert f"loss {metrics['val_loss']:.4f}" in validation
    assert metrics["loss"] == direct.metadata["metrics"]["loss"]
    # --no-refit keeps the first run's weights, fitted on the training part.
    ok(humblenet_run(*common, "--patience", "5", "--no-refit", "--out", "kept.safetensors",
                     cwd=tmp_path))  # fmt: skip
    kept = load(tmp_path / "kept.safetensors")
    assert kept.metadata["metrics"]["val_loss"] == metrics["val_loss"]
    assert kept.metadata["preprocessing"] != refit.metadata["preprocessing"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--patience", "0"], ["--refit", "--patience above 0"]),
        (["--validation-split", "0"], ["--refit", "validation part"]),
        (["--checkpoint-dir", "backups"], ["--refit and --checkpoint-dir"]),
    ],
)
def test_refit_without_early_stopping_is_one_line(tmp_path, capsys, monkeypatch, extra, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "penguins.csv").write_bytes(PENGUINS.read_bytes())
    args = ["train", "penguins.csv", "--target", "species", "--refit", *extra]
    check_mistake(tmp_path, capsys, args, words)


def test_predict_and_evaluate_take_delimiter_and_encoding(penguins):
    """The same rows as penguins.csv, written with ';' in Latin-1 (with a column of accented
    text the model ignores): predict and evaluate with --delimiter/--encoding give what they
    give on the original file; a wrong encoding or delimiter is one line, exit 2."""
    folder, _ = penguins
    frame = pd.read_csv(PENGUINS)
    frame["note"] = "café"
    frame.to_csv(folder / "latin.csv", sep=";", encoding="latin-1", index=False)
    given = ["--delimiter", ";", "--encoding", "latin-1"]
    expected = ok(humblenet_run("predict", "model.safetensors", "--csv", "penguins.csv",
                                cwd=folder))  # fmt: skip
    predicted = ok(humblenet_run("predict", "model.safetensors", "--csv", "latin.csv", *given,
                                 cwd=folder))  # fmt: skip
    assert predicted == expected
    scored = ok(humblenet_run("evaluate", "model.safetensors", "penguins.csv", cwd=folder))
    scored_latin = ok(humblenet_run("evaluate", "model.safetensors", "latin.csv", *given,
                                    cwd=folder))  # fmt: skip
    assert scored_latin.replace("latin.csv", "penguins.csv") == scored
    for command, wrong, words in [
        (["predict", "model.safetensors", "--csv", "latin.csv"], ["--encoding", "utf-8"],
         "cannot be read as utf-8"),
        (["evaluate", "model.safetensors", "latin.csv"], ["--encoding", "utf-8"],
         "cannot be read as utf-8"),
        (["predict", "model.safetensors", "--csv", "latin.csv"], ["--delimiter", ","],
         "no column(s)"),
        (["evaluate", "model.safetensors", "latin.csv"], ["--delimiter", "|"],
         "there is no column"),
    ]:  # fmt: skip
        result = humblenet_run(*command, *wrong, cwd=folder)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and words in result.stderr, result.stderr
