"""``humblenet export``: a saved model as ONNX, run in ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helper import check_mistake, humblenet_run, ok

from humblenet import load
from humblenet.data import Standardizer


def test_export_runs_in_onnx_runtime(flowers, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    folder, x, _ = flowers
    model_path = str(folder / "model.safetensors")
    stdout = ok(humblenet_run("export", model_path, "model.onnx", cwd=tmp_path))
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


def test_an_output_in_a_missing_folder_is_one_line(workspace, capsys):
    check_mistake(
        workspace, capsys, ["export", "model.safetensors", "no/model.onnx"], ["does not exist"]
    )
