"""``humblenet train DATA --model cnn``: a small CNN on images, saved in a file that ``info``,
``evaluate``, ``predict`` and ``export`` read, that loads into the same network built in PyTorch
(``strict=True``), and whose ONNX export ONNX Runtime runs to the same probabilities.

Settings (kept small): digits (8×8, shipped), 6 epochs of the CNN defaults (batch 64, Adam
0.002, the last epoch at 0.0002); Fashion-MNIST on its first 1,000 training images for one
epoch, scored on its 10,000 test images.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np
import pytest
from cli_helper import check_mistake, humblenet_run, ok, run_main

from humblenet import load
from humblenet.cli.train import _cnn_schedule
from humblenet.data import DatasetNotFoundError, load_digits, load_fashion_mnist


def _accuracy_in(line: str) -> float:
    return float(line.split("accuracy ")[1].split()[0].rstrip(","))


@pytest.fixture(scope="module")
def digits_cnn(tmp_path_factory):
    """A folder with cnn.safetensors, trained by ``humblenet train digits --model cnn``."""
    folder = tmp_path_factory.mktemp("cnn")
    result = humblenet_run(
        "train", "digits", "--model", "cnn", "--epochs", "6", "--out", "cnn.safetensors",
        cwd=folder,
    )  # fmt: skip
    return folder, ok(result)


def _torch_small_cnn(torch, size: int):
    """``humblenet.models.small_cnn`` written in PyTorch: the file's names must fit it."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, 10), nn.Softmax(dim=1),
    )  # fmt: skip


def test_train_digits_cnn_learns_and_says_what_it_trained(digits_cnn):
    folder, stdout = digits_cnn
    assert "training 1×8×8 -> 16×8×8 -> 32×4×4 -> 10 softmax on digits" in stdout
    assert "Epoch 6/6" in stdout
    model = load(folder / "cnn.safetensors")
    assert model.input_shape == (1, 8, 8)
    assert model.count_params() == 160 + 32 + 4640 + 64 + 1290  # conv, norm, conv, norm, linear
    test_line = next(line for line in stdout.splitlines() if line.startswith("test:"))
    accuracy = model.metadata["metrics"]["test_accuracy"]
    assert _accuracy_in(test_line) == pytest.approx(accuracy, abs=5e-5)
    assert accuracy > 0.85  # chance is 0.1; the MLP's default reaches about 0.95 in 20 epochs
    info = ok(humblenet_run("info", "cnn.safetensors", cwd=folder))
    assert "conv2d (Conv2d)" in info and "batch_norm2d (BatchNorm2d)" in info
    assert "inputs: images 1×8×8" in info
    scored = ok(humblenet_run("evaluate", "cnn.safetensors", "digits", cwd=folder))
    assert f"accuracy {accuracy:.4f}" in scored


def test_evaluate_on_a_missing_csv_says_the_file_is_missing(digits_cnn, capsys, monkeypatch):
    """The image model records no target column, but a typo in the file name must be named
    first: asking for --target would send the user after the wrong fix."""
    folder, _ = digits_cnn
    monkeypatch.chdir(folder)
    check_mistake(folder, capsys, ["evaluate", "cnn.safetensors", "nosuch.csv"],
                  ["no such file: nosuch.csv"])  # fmt: skip


def test_the_cnn_file_loads_into_pytorch_and_predict_agrees(digits_cnn, tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    folder, _ = digits_cnn
    x = load_digits(flatten=True).x_test[:20]
    header = ",".join(f"pixel{i}" for i in range(64))
    np.savetxt(tmp_path / "pixels.csv", x, delimiter=",", header=header, comments="", fmt="%.9g")
    stdout = ok(humblenet_run("predict", str(folder / "cnn.safetensors"), "--csv",
                              str(tmp_path / "pixels.csv"), cwd=tmp_path))  # fmt: skip
    rows = list(csv.reader(io.StringIO(stdout)))[1:]
    predicted = np.array([[float(v) for v in row[2:]] for row in rows])
    network = _torch_small_cnn(torch, 8)
    network.load_state_dict(safetensors_torch.load_file(folder / "cnn.safetensors"), strict=True)
    network.eval()
    with torch.no_grad():
        expected = network(torch.from_numpy(x.reshape(-1, 1, 8, 8))).numpy()
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)
    assert [row[0] for row in rows] == [str(int(i)) for i in expected.argmax(axis=1)]


def test_predict_refuses_pixels_outside_0_1_with_the_fix(digits_cnn, capsys, monkeypatch):
    """0-255 (here 0-16, the digits' own scale) pixels would give confident nonsense."""
    folder, _ = digits_cnn
    monkeypatch.chdir(folder)
    raw = load_digits(flatten=True).x_test[:3] * 16
    header = ",".join(f"pixel{i}" for i in range(64))
    np.savetxt(folder / "raw.csv", raw, delimiter=",", header=header, comments="", fmt="%.9g")
    check_mistake(
        folder, capsys, ["predict", "cnn.safetensors", "--csv", "raw.csv"],
        ["raw.csv: pixel values run from 0 to 16", "pixels in [0, 1]", "divide 0-255 pixels"],
    )  # fmt: skip
    # evaluate checks them the same way (it scored them, loss 60, without a word)
    labelled = np.column_stack([raw, load_digits(flatten=True).y_test[:3]])
    np.savetxt(folder / "raw_labelled.csv", labelled, delimiter=",", header=header + ",label",
               comments="", fmt="%.9g")  # fmt: skip
    check_mistake(
        folder, capsys, ["evaluate", "cnn.safetensors", "raw_labelled.csv", "--target", "label"],
        ["raw_labelled.csv: pixel values run from 0 to 16", "divide 0-255 pixels"],
    )  # fmt: skip
    (folder / "raw_labelled.csv").unlink()


def test_the_cnn_exports_to_onnx_and_onnx_runtime_agrees(digits_cnn, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    folder, _ = digits_cnn
    ok(humblenet_run("export", str(folder / "cnn.safetensors"), "cnn.onnx", cwd=tmp_path))
    session = onnxruntime.InferenceSession(
        str(tmp_path / "cnn.onnx"), providers=["CPUExecutionProvider"]
    )
    (given,) = session.get_inputs()
    assert given.shape[1:] == [1, 8, 8]
    x = load_digits(channels="first").x_test[:50]
    (output,) = session.run(None, {given.name: x})
    model = load(folder / "cnn.safetensors")
    np.testing.assert_allclose(output, model.predict(x), rtol=1e-5, atol=1e-6)
    # the ONNX file given back to a command that reads humblenet's files: said what it is
    result = humblenet_run("info", "cnn.onnx", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cnn.onnx is an ONNX file" in result.stderr and ".safetensors" in result.stderr


def test_augmentation_flags_change_the_training_batches(tmp_path):
    common = ["train", "digits", "--model", "cnn", "--epochs", "1", "--limit", "300"]
    ok(humblenet_run(*common, "--out", "plain.safetensors", cwd=tmp_path))
    ok(humblenet_run(*common, "--shift", "1", "--flip", "--out", "moved.safetensors",
                     cwd=tmp_path))  # fmt: skip
    again = ok(humblenet_run(*common, "--shift", "1", "--flip", "--out", "again.safetensors",
                             cwd=tmp_path))  # fmt: skip
    assert "(10 classes; 300 training, 359 test samples)" in again  # no validation by default
    plain, moved, repeated = (
        load(tmp_path / f"{name}.safetensors").state_dict() for name in ("plain", "moved", "again")
    )
    assert any(not np.array_equal(plain[k], moved[k]) for k in plain)
    assert all(np.array_equal(moved[k], repeated[k]) for k in moved)  # seeded: the same bytes


def test_the_cnn_schedule_lowers_the_last_epochs_rate():
    (schedule,) = _cnn_schedule(3, 0.002)
    assert [schedule.schedule(epoch, 1.0) for epoch in range(3)] == [0.002, 0.002, 0.002 * 0.1]
    assert _cnn_schedule(1, 0.002) == []  # one epoch: the rate as given


def test_train_fashion_mnist_cnn_on_a_subset(tmp_path):
    try:
        load_fashion_mnist()
    except DatasetNotFoundError as error:
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but Fashion-MNIST is missing: {error}")
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    stdout = ok(humblenet_run(
        "train", "fashion-mnist", "--model", "cnn", "--limit", "1000", "--epochs", "1",
        "--validation-split", "0", cwd=tmp_path,
    ))  # fmt: skip
    assert "training 1×28×28 -> 16×28×28 -> 32×14×14 -> 10 softmax on fashion-mnist" in stdout
    assert "(10 classes; 1000 training, 10000 test samples)" in stdout
    model = load(tmp_path / "model.safetensors")
    assert model.input_shape == (1, 28, 28) and model.count_params() == 160 + 32 + 4640 + 64 + 15690
    assert model.metadata["metrics"]["test_accuracy"] > 0.5  # chance is 0.1
    # evaluate on a CSV of pixels whose labels are the class numbers 0-9 (as Fashion-MNIST's
    # CSVs give them): read as the model's class indices, the score that names give
    fashion = load_fashion_mnist()
    pixels = fashion.x_test[:60].reshape(60, -1)
    header = ",".join([*(f"pixel{i}" for i in range(784)), "label"])
    names = np.array(model.metadata["class_names"])
    for name, labels in (("numbers", fashion.y_test[:60]), ("names", names[fashion.y_test[:60]])):
        with open(tmp_path / f"{name}.csv", "w", encoding="utf-8") as file:
            file.write(header + "\n")
            for row, label in zip(pixels, labels, strict=True):
                file.write(",".join(f"{v:.9g}" for v in row) + f",{label}\n")
    scores = {}
    for name in ("numbers", "names"):
        out = ok(humblenet_run(
            "evaluate", "model.safetensors", f"{name}.csv", "--target", "label", cwd=tmp_path
        ))  # fmt: skip
        scores[name] = out.strip().splitlines()[-1].split(": ", 1)[1]
        assert ("as the model's class indices (0 = 'T-shirt/top'" in out) == (name == "numbers")
    assert scores["numbers"] == scores["names"]


def test_train_help_names_the_cnn(capsys):
    _, out, _ = run_main(["train", "--help"], capsys)
    text = " ".join(out.split())
    for words in ("--model {mlp,cnn}", "3 with --model cnn", "64 with --model cnn", "--shift N",
                  "--validation-split 0.2 (0 with --model cnn"):  # fmt: skip
        assert words in text


CNN_MISTAKES = [
    (["train", "flowers.csv", "--model", "cnn"], ["--model cnn", "flowers.csv is a table"]),
    (["train", "jogging", "--model", "cnn"], ["jogging is a table, not images"]),
    (["train", "digits", "--model", "cnn", "--hidden", "32"], ["--hidden sets the MLP's"]),
    (["train", "digits", "--model", "cnn", "--activation", "tanh"], ["--activation"]),
    (["train", "digits", "--shift", "2"], ["--shift", "add --model cnn"]),
    (["train", "digits", "--flip"], ["--flip", "add --model cnn"]),
    (["train", "digits", "--model", "cnn", "--shift", "-1"], ["--shift", ">= 0"]),
    (["train", "digits", "--model", "cnn", "--shift", "4"], ["--shift 4", "8-pixel", "at most 3"]),
    (["train", "digits", "--limit", "1"], ["--limit", ">= 2"]),
    (["train", "digits", "--model", "resnet"], ["--model", "'resnet'", "cnn"]),
]


@pytest.mark.parametrize(("args", "words"), CNN_MISTAKES, ids=lambda v: " ".join(v)[:60])
def test_a_cnn_mistake_is_one_line_status_2_and_writes_nothing(workspace, capsys, args, words):
    check_mistake(workspace, capsys, args, words)


def test_a_diverged_cnn_run_says_what_to_lower_without_warnings(tmp_path):
    """``--learning-rate 1e30`` on the CNN: one line, status 2, nothing written; the advice
    names only what the CNN takes (not --hidden), and no NumPy warning from the threads that
    share the convolutions' batches leaks out (they take the run's error handling)."""
    result = humblenet_run(
        "train", "digits", "--model", "cnn", "--epochs", "1", "--learning-rate", "1e30",
        "--out", "new.safetensors", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "diverged" in result.stderr and "Lower --learning-rate (now 1e+30)" in result.stderr
    assert "--hidden" not in result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_evaluate_a_logits_model_saved_from_python_is_one_line(tmp_path):
    """A torch-style CNN saved whole from Python, ending in a Linear (scores, no softmax) and
    with no task recorded, is read as a regression: evaluating it on class labels is one line
    that says why and what to save instead (it was a traceback); with a softmax it scores."""
    import humblenet
    from humblenet import nn

    def network(*tail):  # type: ignore[no-untyped-def]
        model = nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1, seed=0), nn.ReLU(), nn.Flatten(),
            nn.Linear(2 * 8 * 8, 10, seed=1), *tail,
        )  # fmt: skip
        model.build((1, 8, 8))
        return model

    digits = load_digits(flatten=True)
    header = ",".join([*(f"pixel{i}" for i in range(64)), "label"])
    rows = np.column_stack([digits.x_test[:20], digits.y_test[:20]])
    np.savetxt(tmp_path / "d.csv", rows, delimiter=",", header=header, comments="", fmt="%.9g")
    humblenet.save(network(), tmp_path / "scores.safetensors")
    result = humblenet_run(
        "evaluate", "scores.safetensors", "d.csv", "--target", "label", cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "read as a regression with 10 outputs" in result.stderr
    assert "nn.Softmax(dim=1)" in result.stderr
    humblenet.save(network(nn.Softmax(dim=1)), tmp_path / "probabilities.safetensors")
    out = ok(humblenet_run(
        "evaluate", "probabilities.safetensors", "d.csv", "--target", "label", cwd=tmp_path
    ))  # fmt: skip
    assert "accuracy" in out
