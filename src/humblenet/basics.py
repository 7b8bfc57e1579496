"""The series "Deep Learning Basics", parts 1 to 8, under one name.

The code lives in :mod:`humblenet.series`, one module per part; this module gathers the public
names of parts 1 to 8 so that ``from humblenet.basics import ...`` keeps working:

- part 1: :func:`predict_with_one_weight` (:mod:`humblenet.series.part01_simple_nn`);
- part 2: :func:`dot_product`, :func:`predict_with_several_inputs`,
  :func:`predict_several_outputs`, :func:`predict_one_input_several_outputs`
  (:mod:`humblenet.series.part02_several_inputs_outputs`);
- part 3: :func:`hot_cold_try`, :func:`hot_cold_learning`
  (:mod:`humblenet.series.part03_hot_cold`);
- part 4: :func:`gradient_descent_one_weight` (:mod:`humblenet.series.part04_gradient_descent`);
- part 5: :func:`gradient_descent_several_inputs`, :func:`gradient_descent_several_outputs`
  (:mod:`humblenet.series.part05_several_weights`);
- part 6: :func:`gradient_descent_weight_matrix` (:mod:`humblenet.series.part06_weight_matrix`);
- part 7: :func:`stochastic_gradient_descent` (:mod:`humblenet.series.part07_correlation`);
- part 8: :func:`backprop_one_hidden_layer` (:mod:`humblenet.series.part08_backpropagation`).

Every learning loop takes a cap, keeps a trace and says why it stopped (``StopReason``:
:mod:`humblenet.series._learning_loop`); every input is checked with the series' own messages
(:mod:`humblenet.series._checks`).

Example:
    >>> predict_with_one_weight(30, 7.56)
    226.79999999999998
    >>> gradient_descent_one_weight(0.2, 8, 10, alpha=24).predictions
    [2.0, 7.76, 7.99, 8.0]
"""

from __future__ import annotations

from humblenet.series._learning_loop import StopReason
from humblenet.series.part01_simple_nn import predict_with_one_weight
from humblenet.series.part02_several_inputs_outputs import (
    dot_product,
    predict_one_input_several_outputs,
    predict_several_outputs,
    predict_with_several_inputs,
)
from humblenet.series.part03_hot_cold import (
    HotColdResult,
    HotColdStep,
    hot_cold_learning,
    hot_cold_try,
)
from humblenet.series.part04_gradient_descent import (
    GradientDescentResult,
    GradientStep,
    gradient_descent_one_weight,
)
from humblenet.series.part04_gradient_descent import Numbers as Numbers
from humblenet.series.part05_several_weights import (
    gradient_descent_several_inputs,
    gradient_descent_several_outputs,
)
from humblenet.series.part06_weight_matrix import gradient_descent_weight_matrix
from humblenet.series.part07_correlation import (
    PatternStep,
    SGDResult,
    stochastic_gradient_descent,
)
from humblenet.series.part08_backpropagation import BackpropResult, backprop_one_hidden_layer

# Numbers (the type of the weights in a trace) is reachable here, as before the split, though
# not in __all__.
__all__ = [
    "BackpropResult",
    "GradientDescentResult",
    "GradientStep",
    "HotColdResult",
    "HotColdStep",
    "PatternStep",
    "SGDResult",
    "StopReason",
    "backprop_one_hidden_layer",
    "dot_product",
    "gradient_descent_one_weight",
    "gradient_descent_several_inputs",
    "gradient_descent_several_outputs",
    "gradient_descent_weight_matrix",
    "hot_cold_learning",
    "hot_cold_try",
    "predict_one_input_several_outputs",
    "predict_several_outputs",
    "predict_with_one_weight",
    "predict_with_several_inputs",
    "stochastic_gradient_descent",
]
