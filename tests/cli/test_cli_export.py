"""``humblenet export``: a saved model as ONNX, run in ONNX Runtime."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from cli_helper import CLASSES, FEATURES, check_mistake, humblenet_run, ok, write_flowers

import humblenet
from humblenet import nn
from humblenet.data import Standardizer


def test_export_runs_in_onnx_runtime_on_the_raw_columns(flowers, tmp_path):
    """The graph takes the CSV's raw columns (one input each) and equals ``predict``'s output."""
    onnxruntime = pytest.importorskip("onnxruntime")
    folder, x, _ = flowers
    model_path = str(folder / "model.safetensors")
    stdout = ok(humblenet_run("export", model_path, "model.onnx", cwd=tmp_path))
    assert "model.onnx" in stdout
    csv_path = str(folder / "flowers.csv")
    predicted = ok(humblenet_run("predict", model_path, "--csv", csv_path, cwd=tmp_path))
    rows = list(csv.reader(io.StringIO(predicted)))[1:]
    expected = np.array([[float(v) for v in row[2:]] for row in rows])
    session = onnxruntime.InferenceSession(
        str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [i.name for i in session.get_inputs()] == list(FEATURES)
    feeds = {name: x[:, i : i + 1].astype(np.float32) for i, name in enumerate(FEATURES)}
    (output,) = session.run(None, feeds)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)


def test_an_output_in_a_missing_folder_is_one_line(workspace, capsys):
    check_mistake(
        workspace, capsys, ["export", "model.safetensors", "no/model.onnx"], ["does not exist"]
    )


def test_a_model_saved_with_a_standardizer_exports_its_standardization(tmp_path):
    """A model file as ``train`` saved tables before TablePreprocessor (a Standardizer's mean
    and std in its preprocessing): ONNX Runtime on the raw features equals ``predict``, and
    differs from the network on unstandardized features (what the export gave before)."""
    onnxruntime = pytest.importorskip("onnxruntime")
    x = write_flowers(tmp_path / "flowers.csv").astype(np.float32)
    model = humblenet.Sequential(
        [nn.Dense(8, activation="relu", seed=0), nn.Dense(3, activation="softmax", seed=1)]
    )
    model.build((3,))
    scaler = Standardizer().fit(x)
    model.save(
        tmp_path / "old.safetensors",
        class_names=list(CLASSES),
        feature_names=list(FEATURES),
        preprocessing={**scaler.to_dict(), "target": "species"},
        task="classify",
    )
    ok(humblenet_run("export", "old.safetensors", "old.onnx", cwd=tmp_path))
    predicted = ok(humblenet_run("predict", "old.safetensors", "--csv", "flowers.csv",
                                 cwd=tmp_path))  # fmt: skip
    expected = np.array(
        [[float(v) for v in row[2:]] for row in list(csv.reader(io.StringIO(predicted)))[1:]]
    )
    session = onnxruntime.InferenceSession(
        str(tmp_path / "old.onnx"), providers=["CPUExecutionProvider"]
    )
    (output,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)
    unstandardized = model.predict(x)
    assert np.abs(unstandardized - expected).max() > 1e-2
    # Such a file's CSV files are read as comma-separated UTF-8: the flags are refused.
    result = humblenet_run("predict", "old.safetensors", "--csv", "flowers.csv",
                           "--delimiter", ";", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "older humblenet" in result.stderr
