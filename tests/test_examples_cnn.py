"""The two CNN examples run as a user runs them, with ``--quick`` (2,000 training and 500 test
images of Fashion-MNIST, one epoch): what they print. Their full runs (four epochs: 0.9114 and
0.9124, measured 2026-12-07) are in README; ``tests/test_real_data_cnn.py`` holds the 0.91 test
of this network. With ``HUMBLENET_REQUIRE_DATA=1`` a missing Fashion-MNIST fails instead of
skipping.
"""

from __future__ import annotations

import importlib.util
import re
import sys

from test_examples_deep import EXAMPLES, require_fashion_mnist, run_example


def _printed(label: str, text: str) -> float:
    match = re.search(re.escape(label) + r" ([0-9.]+)", text)
    assert match, f"{label!r} missing from:\n{text}"
    return float(match.group(1))


def test_the_keras_cnn_example_quick():
    require_fashion_mnist()
    out = run_example("cnn_fashion_mnist.py", "--quick").stdout
    assert "Trainable params: 20,586" in out  # 160 + 32 + 4,640 + 64 + 15,690, by hand
    assert "Epoch 1/1" in out
    assert "test accuracy:" in out and "(500 images)" in out
    assert 0.3 < _printed("test accuracy:", out) <= 1.0  # chance is 0.1
    assert _printed("time:", out) > 0


def test_the_torch_cnn_example_quick():
    require_fashion_mnist()
    out = run_example("cnn_fashion_mnist_torch.py", "--quick").stdout
    assert "epoch 1, learning rate 0.002" in out and "epoch 2" not in out
    assert "(500 images)" in out
    assert 0.3 < _printed("test accuracy:", out) <= 1.0
    assert _printed("time:", out) > 0


def test_the_torch_twin_has_the_keras_networks_weights():
    """The same network both ways: 20,586 weights, PyTorch's names in the twin's state dict."""
    spec = importlib.util.spec_from_file_location(
        "cnn_twin", EXAMPLES / "cnn_fashion_mnist_torch.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cnn_twin"] = module
    try:
        spec.loader.exec_module(module)
        model = module.SmallCNN()
    finally:
        del sys.modules["cnn_twin"]
    assert sum(p.size for p in model.parameters()) == 160 + 32 + 4640 + 64 + 15690
    names = list(model.state_dict())
    assert names[:2] == ["features.0.weight", "features.0.bias"]
    assert "features.1.running_mean" in names and names[-1] == "classifier.bias"
