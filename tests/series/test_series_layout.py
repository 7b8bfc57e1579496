"""humblenet.series is split one module per part; the old names still reach the same objects.

``humblenet.basics``, ``humblenet.neuron``, ``humblenet.tour`` and ``humblenet.tour_deep`` were
the modules before the split: each now re-exports from :mod:`humblenet.series`, and must give
exactly the names it gave, as the very same objects (so an ``isinstance`` or an ``is`` keeps
working across old and new import paths).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from humblenet import basics, neuron, tour, tour_deep
from humblenet import series as series_package

SERIES = Path(series_package.__file__).parent

# humblenet.basics.__all__ before the split, and the part module that now holds each name.
BASICS_HOMES = {
    "predict_with_one_weight": "part01_simple_nn",
    "dot_product": "part02_several_inputs_outputs",
    "predict_with_several_inputs": "part02_several_inputs_outputs",
    "predict_several_outputs": "part02_several_inputs_outputs",
    "predict_one_input_several_outputs": "part02_several_inputs_outputs",
    "HotColdStep": "part03_hot_cold",
    "HotColdResult": "part03_hot_cold",
    "hot_cold_try": "part03_hot_cold",
    "hot_cold_learning": "part03_hot_cold",
    "GradientStep": "part04_gradient_descent",
    "GradientDescentResult": "part04_gradient_descent",
    "gradient_descent_one_weight": "part04_gradient_descent",
    "gradient_descent_several_inputs": "part05_several_weights",
    "gradient_descent_several_outputs": "part05_several_weights",
    "gradient_descent_weight_matrix": "part06_weight_matrix",
    "PatternStep": "part07_correlation",
    "SGDResult": "part07_correlation",
    "stochastic_gradient_descent": "part07_correlation",
    "BackpropResult": "part08_backpropagation",
    "backprop_one_hidden_layer": "part08_backpropagation",
    "StopReason": "_learning_loop",
}


def _series(name: str) -> object:
    return importlib.import_module(f"humblenet.series.{name}")


def test_basics_exports_the_same_names_as_before_the_split():
    assert sorted(basics.__all__) == sorted(BASICS_HOMES)
    assert basics.Numbers is _series("part04_gradient_descent").Numbers  # public, not in __all__


@pytest.mark.parametrize(("name", "home"), sorted(BASICS_HOMES.items()))
def test_basics_names_are_the_part_modules_objects(name, home):
    assert getattr(basics, name) is getattr(_series(home), name)


@pytest.mark.parametrize(
    ("old", "new", "also"),
    [
        (neuron, "neuron", ["TruthTable"]),
        (tour, "tour", []),
        (
            tour_deep,
            "tour_deep",
            ["PART9_EPOCHS", "PART9_HIDDEN", "PART10_EPOCHS", "PART10_HIDDEN"],
        ),
    ],
)
def test_old_modules_give_the_series_objects(old, new, also):
    module = _series(new)
    assert old.__all__ == module.__all__
    for name in [*old.__all__, *also]:
        assert getattr(old, name) is getattr(module, name), name


def test_every_part_is_its_own_module_and_lists_what_it_offers():
    parts = sorted(path.stem for path in SERIES.glob("part*.py"))
    assert [part[:6] for part in parts] == [f"part{n:02d}" for n in range(1, 9)]
    offered = [name for part in parts for name in _series(part).__all__]
    assert sorted(offered) == sorted(name for name in BASICS_HOMES if name != "StopReason")


def test_every_series_file_says_what_lives_there():
    for path in SERIES.glob("*.py"):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert docstring and len(docstring.splitlines()) >= 2, path.name
