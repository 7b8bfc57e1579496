"""``humblenet info``: what a saved model is and how it was trained."""

from __future__ import annotations

import pytest
from cli_helper import check_mistake, humblenet_run, ok

from humblenet import load


def test_info_describes_the_model(flowers):
    folder, _, _ = flowers
    stdout = ok(humblenet_run("info", "model.safetensors", cwd=folder))
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


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["info", "missing.safetensors"], ["no model file"]),
        (["info", "notes.safetensors"], ["notes.safetensors", "a text file"]),
    ],
    ids=lambda v: " ".join(v)[:60],
)
def test_a_mistake_is_one_line_status_2(workspace, capsys, args, words):
    check_mistake(workspace, capsys, args, words)
