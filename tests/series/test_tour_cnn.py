"""The tour's convolution chapter (edges and corners): its numbers against independent computations.

The filter it prints is the model's weight; the direction it names comes from the grid by hand
and from humblenet's conv2d on Prewitt's edge patches; the parameter counts are the formulas
``out × in × k × k + out`` and ``inputs × outputs + outputs``; the figure is a valid PNG of the
four filters and their outputs. Settings: the chapter's own (8 epochs on the 1,438 digits, about
a quarter of a second).
"""

from __future__ import annotations

import re
import struct
import zlib

import numpy as np
import pytest

from humblenet import conv, nn
from humblenet.series import tour_cnn
from humblenet.tensor import Tensor
from humblenet.training.summary import summary_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PREWITT_DOWN = np.array([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG file, each CRC checked (a truncated or damaged file fails)."""
    assert data[:8] == PNG_SIGNATURE
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        at += 12 + length
    return chunks


@pytest.fixture(scope="module")
def lines():
    return tour_cnn.chapter(verbose=False)


def _line(lines, start):
    return next(line for line in lines if line.startswith(start))


def test_the_filter_shown_is_the_models_weight(lines):
    run = tour_cnn.train()
    heading = _line(lines, "Filter ")
    index = int(re.match(r"Filter (\d+) of the first layer \(weight\[(\d+), 0\]\)", heading)[1])
    at = lines.index(heading)
    grid = [[float(v) for v in re.findall(r"[+-]\d+\.\d\d", row)] for row in lines[at + 1 : at + 4]]
    weight = run.model.layers[0].weight.data  # (4, 1, 3, 3)
    np.testing.assert_allclose(grid, weight[index, 0], atol=0.005 + 1e-9)
    # the clearest edge detector was chosen: no other filter's edge is larger for its size
    score = [
        max(abs((w[-1] - w[0]).sum()), abs((w[:, -1] - w[:, 0]).sum())) / abs(w).sum()
        for w in weight[:, 0]
    ]
    assert index == int(np.argmax(score))


def test_the_direction_named_matches_conv2d_on_edge_patches(lines):
    run = tour_cnn.train()
    index = int(re.match(r"Filter (\d+)", _line(lines, "Filter "))[1])
    weight = run.model.layers[0].weight
    patches = np.stack([PREWITT_DOWN, PREWITT_DOWN.T])[:, None].astype(np.float32)
    # the convolution's output on a 3x3 patch, without the bias, is its edge strength
    out = conv.conv2d(Tensor(patches), weight).data[:, index, 0, 0]
    down, right = (float(v) for v in out)
    seen = " ".join(" ".join(lines[lines.index(_line(lines, "It sees:")) :][:3]).split())
    assert f"bottom row − top row = {down:+.2f}" in seen
    assert f"right column − left column = {right:+.2f}" in seen
    if abs(down) >= abs(right):
        expected = "bright below" if down > 0 else "bright above"
    else:
        expected = "bright right" if right > 0 else "bright left"
    assert expected in seen


@pytest.mark.parametrize(
    ("weight", "strengths", "words"),
    [
        (PREWITT_DOWN, (6.0, 0.0), "bright below, dark above (a horizontal edge)"),
        (-PREWITT_DOWN, (-6.0, 0.0), "bright above, dark below (a horizontal edge)"),
        (PREWITT_DOWN.T, (0.0, 6.0), "bright right, dark left (a vertical edge)"),
        (-PREWITT_DOWN.T, (0.0, -6.0), "bright left, dark right (a vertical edge)"),
    ],
)
def test_describe_filter_on_the_four_edge_masks(weight, strengths, words):
    assert tour_cnn.describe_filter(weight) == words
    assert tour_cnn.edge_strengths(weight) == strengths


def test_parameter_counts_are_the_hand_formulas_and_summarys(lines):
    run = tour_cnn.train()
    out_channels, in_channels, k, side = 4, 1, 3, 8
    conv_params = out_channels * in_channels * k * k + out_channels  # 40
    outputs = out_channels * side * side  # the conv's 4 maps of 8x8
    dense_params = side * side * outputs + outputs  # 16,640
    sharing = " ".join(lines[lines.index(_line(lines, "Sharing:")) :][:4])
    sharing = " ".join(sharing.split())
    assert f"{outputs} values from {conv_params} parameters" in sharing
    assert f"= {dense_params:,}" in sharing
    assert f"{round(dense_params / conv_params)} times more" in sharing
    # the same counts as summary() shows them, for the conv layer and a dense twin
    assert re.search(r"conv2d \(Conv2d\)\s+\(None, 4, 8, 8\)\s+40\b", summary_text(run.model))
    from humblenet.training import Sequential

    twin = Sequential([nn.Flatten(), nn.Linear(64, outputs, seed=0)])
    twin.build((1, 8, 8))
    assert re.search(r"\(None, 256\)\s+16,640\b", summary_text(twin))
    total = run.model.count_params()
    assert f"with {total:,} parameters" in _line(lines, "Result:")
    assert total == conv_params + 4 * 4 * 4 * 10 + 10


def test_the_network_learns_the_digits(lines):
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", _line(lines, "Result:"))[1])
    assert accuracy == pytest.approx(tour_cnn.train().test_accuracy, abs=5e-5)
    assert accuracy > 0.9  # 10 classes: chance is 0.1


def test_the_figure_is_a_valid_png_of_filters_and_outputs(tmp_path):
    pytest.importorskip("matplotlib")
    written = tour_cnn.figure(tmp_path)
    assert written == [tmp_path / tour_cnn.FIGURE_NAME]
    chunks = png_chunks(written[0].read_bytes())
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert width > 2 * height > 0  # a row of filters above a row of outputs: wider than tall
    assert sorted(p.name for p in tmp_path.iterdir()) == [tour_cnn.FIGURE_NAME]


def test_the_figure_draws_the_models_filters(tmp_path):
    pytest.importorskip("matplotlib")
    from humblenet import plots

    run = tour_cnn.train()
    figure = plots.plot_filters(run.model.layers[0].weight.data)
    drawn = np.stack([axes.images[0].get_array() for axes in figure.axes])
    np.testing.assert_array_equal(drawn, run.model.layers[0].weight.data[:, 0])
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == [f"{v:.2f}" for v in run.model.layers[0].weight.data[0, 0].ravel()]
    with pytest.raises(ValueError, match="one input channel"):
        plots.plot_filters(np.zeros((4, 3, 3, 3)))
