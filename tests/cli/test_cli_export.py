"""``humblenet export``: a saved model as ONNX, run in ONNX Runtime."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from cli_helper import FEATURES, check_mistake, humblenet_run, ok


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
