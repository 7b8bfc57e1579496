"""PyTorch's quickstart, as written, on humblenet and on PyTorch: the same numbers.

``quickstart_torch.py`` is a PyTorch program whose only humblenet lines are its imports. Here it
runs three ways:

1. as written, as a script (``python quickstart_torch.py``), with a small run;
2. as written, imported, on a reduced run: 1 epoch over the first 12,800 Fashion-MNIST training
   images (200 batches of 64, in order, as the tutorial's unshuffled DataLoader gives them),
   then the test loop over the first 2,000 test images;
3. the same file with its imports replaced by ``import torch``, ``from torch import nn`` and
   ``from torch.utils.data import DataLoader, TensorDataset`` (real PyTorch), on the same run,
   starting from the same weights (humblenet's first weights, copied into PyTorch's model).

Then (a) the two test accuracies are within one point, and (b) both runs end the epoch with the
same training loss to float32 rounding, and with the same weights. (Measured: both reach 27.1%
test accuracy, as the tutorial's slow learning rate gives after 200 steps, with the last training
loss equal to 6 digits; the whole comparison takes about 2 s on 2 cores.)

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist``; without it these tests skip, saying
why, and with ``HUMBLENET_REQUIRE_DATA=1`` (set in CI) a missing data set fails.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from humblenet.data import DatasetNotFoundError, load_fashion_mnist

PROGRAM = Path(__file__).with_name("quickstart_torch.py")
SRC = Path(__file__).resolve().parents[2] / "src"

# The three lines that make the program a humblenet program, and PyTorch's.
TO_TORCH = {
    "import humblenet as torch\n": "import torch\n",
    "from humblenet import nn\n": "from torch import nn\n",
    "from humblenet.utils.data import DataLoader, TensorDataset\n": (
        "from torch.utils.data import DataLoader, TensorDataset\n"
    ),
}

TRAIN_SIZE, TEST_SIZE, EPOCHS = 12_800, 2_000, 1


@pytest.fixture(scope="module")
def data_available() -> None:
    try:
        load_fashion_mnist()
    except DatasetNotFoundError as error:
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but Fashion-MNIST is missing: {error}")
        pytest.skip(
            f"Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): {error}"
        )


def load_program(library: str) -> types.ModuleType:
    """The quickstart program as a module, written for humblenet or rewritten for PyTorch."""
    source = PROGRAM.read_text(encoding="utf-8")
    if library == "torch":
        for ours, theirs in TO_TORCH.items():
            assert source.count(ours) == 1, f"the program lost its line {ours!r}"
            source = source.replace(ours, theirs)
        assert _imported(source) == {"argparse", "torch", "torch.utils.data", "humblenet.data"}
    module = types.ModuleType(f"quickstart_{library}")
    module.__file__ = str(PROGRAM)
    exec(compile(source, str(PROGRAM), "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def both_runs(data_available):
    """The reduced run in both libraries from the same first weights: each program's
    ``(last training loss, test accuracy, test loss)`` and final weights."""
    ours, theirs = load_program("humblenet"), load_program("torch")
    ours.torch.manual_seed(0)
    model = ours.NeuralNetwork()
    torch_model = theirs.NeuralNetwork()
    first_weights = {name: torch.from_numpy(w.copy()) for name, w in model.state_dict().items()}
    torch_model.load_state_dict(first_weights, strict=True)  # the same names in both

    results = {}
    for program, net in ((ours, model), (theirs, torch_model)):
        training_data, test_data = program.fashion_mnist(TRAIN_SIZE, TEST_SIZE)
        results[program] = program.run(net, training_data, test_data, epochs=EPOCHS)
    weights = {name: w.detach().numpy() for name, w in torch_model.state_dict().items()}
    return results[ours], results[theirs], model.state_dict(), weights


def test_the_program_runs_as_written_as_a_script(data_available):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    arguments = ["--epochs", "1", "--train-size", "640", "--test-size", "320"]
    result = subprocess.run(
        [sys.executable, str(PROGRAM), *arguments],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Shape of X [N, C, H, W]: (64, 1, 28, 28)" in out
    assert "Shape of y: (64,) int64" in out
    assert "Using cpu device" in out
    assert "(0): Linear(784 -> 512)" in out
    assert "loss: " in out and "[   64/  640]" in out
    assert "Accuracy: " in out and "Done!" in out


def test_accuracy_is_within_one_point_of_pytorch(both_runs):
    (_, accuracy, test_loss), (_, torch_accuracy, torch_test_loss), _, _ = both_runs
    assert abs(accuracy - torch_accuracy) <= 0.01, (accuracy, torch_accuracy)
    assert accuracy > 0.2  # it learned something: 10 classes give 0.1 by chance
    np.testing.assert_allclose(test_loss, torch_test_loss, rtol=1e-5)


def test_the_epoch_ends_with_pytorchs_loss_and_weights(both_runs):
    (loss, _, _), (torch_loss, _, _), weights, torch_weights = both_runs
    np.testing.assert_allclose(loss, torch_loss, rtol=1e-5)
    assert weights.keys() == torch_weights.keys()
    for name, w in weights.items():
        assert w.dtype == torch_weights[name].dtype == np.float32
        np.testing.assert_allclose(w, torch_weights[name], rtol=1e-4, atol=1e-6, err_msg=name)


def test_the_program_imports_humblenet_in_place_of_torch_and_nothing_else():
    source = PROGRAM.read_text(encoding="utf-8")
    assert _imported(source) == {
        "argparse",
        "humblenet",
        "humblenet.data",
        "humblenet.utils.data",
    }


def _imported(source: str) -> set[str]:
    """The modules a program imports from (``from __future__`` aside)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            found.add(node.module or "")
    return found
