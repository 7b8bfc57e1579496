"""Shared set-up for the command-line tests: the helper's import path, a classifier trained once
by ``humblenet train`` for the whole session, and a folder of files to make mistakes with."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cli_helper import SEED, humblenet_run, ok, write_flowers, write_runs  # noqa: E402


@pytest.fixture(scope="session")
def flowers(tmp_path_factory):
    """A folder with flowers.csv and the model `humblenet train` made from it (and its output)."""
    folder = tmp_path_factory.mktemp("flowers")
    x = write_flowers(folder / "flowers.csv")
    result = humblenet_run(
        "train", "flowers.csv", "--target", "species", "--epochs", "15",
        "--learning-rate", "0.01", "--seed", str(SEED), "--plot", "curves.png",
        "--no-refit", cwd=folder,
    )  # fmt: skip
    return folder, x, ok(result)


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
