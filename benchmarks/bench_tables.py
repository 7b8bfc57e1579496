"""Test accuracy of ``humblenet train``'s defaults on small real tables, next to scikit-learn's
``MLPClassifier`` with its defaults, on the same stratified split.

For each table (scikit-learn's bundled iris, wine, breast cancer and digits; the Palmer penguins
shipped under tests/data/tables): a stratified 75/25 split (``train_test_split``,
``random_state=0``); the training part is written as a CSV file and given to
``humblenet train`` with no options but the target (its own 20% validation part, early stopping,
fills, one-hot and standardization); the test part is scored with the saved model. The
scikit-learn side standardizes (``StandardScaler``; penguins: median / most-frequent fills and
one-hot first, as humblenet does) and fits ``MLPClassifier(random_state=0)`` on the whole
training part. Run: ``python benchmarks/bench_tables.py [--seeds N] [TRAIN OPTIONS]`` (about
15 s per seed on 2 shared cores). With ``--seeds N`` each side trains N times (humblenet
``--seed 0..N-1``, scikit-learn ``random_state=0..N-1``) on the same split, and the mean
accuracy is shown: one seed moves a table's accuracy by one or two test rows either way.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.compose import make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from humblenet import cli, load
from humblenet.cli._model import table_inputs, table_preprocessor
from humblenet.data.table import read_table

SEEDS = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 1
EXTRA = [a for i, a in enumerate(sys.argv[1:]) if "--seeds" not in sys.argv[i : i + 2]]
"""Options passed on to ``humblenet train`` (none: its defaults), e.g. ``--patience 50``."""
PENGUINS = Path(__file__).parents[1] / "tests" / "data" / "tables" / "penguins.csv"


def tables() -> dict[str, pd.DataFrame]:
    found = {}
    for name, loader in [
        ("iris", datasets.load_iris),
        ("wine", datasets.load_wine),
        ("breast cancer", datasets.load_breast_cancer),
        ("digits", datasets.load_digits),
    ]:
        bunch = loader(as_frame=True)
        frame = bunch.frame.rename(columns={"target": "label"})
        frame.columns = [str(c).replace(",", " ") for c in frame.columns]
        found[name] = frame
    penguins = pd.read_csv(PENGUINS).drop(columns="year").rename(columns={"species": "label"})
    found["penguins"] = penguins
    return found


def sklearn_accuracy(train: pd.DataFrame, test: pd.DataFrame, seed: int = 0) -> float:
    x, y = train.drop(columns="label"), train["label"]
    text = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    numbers = [c for c in x.columns if c not in text]
    prepare = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(sparse_output=False),
                StandardScaler(),
            ),
            text,
        ),
    )
    model = make_pipeline(prepare, MLPClassifier(random_state=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # its default 200 iterations
        model.fit(x, y)
    return float(model.score(test.drop(columns="label"), test["label"]))


def humblenet_accuracy(
    train: pd.DataFrame, test: pd.DataFrame, folder: Path, seed: int = 0
) -> tuple[float, str]:
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["train", str(folder / "train.csv"), "--target", "label",
                           "--out", str(folder / "m.safetensors"), "--seed", str(seed),
                           *EXTRA])  # fmt: skip
    assert status == 0, out.getvalue()
    kept = next((line for line in out.getvalue().splitlines() if "kept the weights" in line), "")
    model = load(folder / "m.safetensors")
    preprocessor = table_preprocessor(model)
    assert preprocessor is not None
    table = read_table(folder / "test.csv")
    predicted = np.argmax(model.predict(table_inputs(preprocessor, table)), axis=1)
    names = model.metadata["class_names"]
    truth = [str(v) for v in test["label"]]
    accuracy = float(np.mean([names[i] == t for i, t in zip(predicted, truth)]))
    return accuracy, kept.split(";")[0]


def main() -> int:
    print("test accuracy, stratified 75/25 split (random_state=0); 2 cores shared with others"
          + (f"; mean of {SEEDS} seeds each" if SEEDS > 1 else ""))  # fmt: skip
    print(f"{'table':<14}{'rows':>6}{'humblenet':>11}{'sklearn MLP':>13}{'ratio':>7}  "
          "humblenet: epochs, seconds / sklearn seconds")  # fmt: skip
    with tempfile.TemporaryDirectory() as temporary:
        for name, frame in tables().items():
            train, test = train_test_split(
                frame, test_size=0.25, stratify=frame["label"], random_state=0
            )
            start = time.perf_counter()
            runs = [humblenet_accuracy(train, test, Path(temporary), s) for s in range(SEEDS)]
            ours, kept = float(np.mean([a for a, _ in runs])), runs[0][1]
            ours_s = (time.perf_counter() - start) / SEEDS
            start = time.perf_counter()
            theirs = float(np.mean([sklearn_accuracy(train, test, s) for s in range(SEEDS)]))
            theirs_s = (time.perf_counter() - start) / SEEDS
            print(f"{name:<14}{len(frame):>6}{ours:>11.3f}{theirs:>13.3f}{ours / theirs:>7.3f}  "
                  f"{kept}, {ours_s:.1f} s / {theirs_s:.1f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
