"""The neuron of part 1, whole: an old name for :mod:`humblenet.series.neuron`.

The code lives in :mod:`humblenet.series.neuron` (the neuron model, the perceptron, XOR); this
module gives the same names, so that ``from humblenet.neuron import ...`` keeps working.

Example:
    >>> train_perceptron(AND_TABLE).converged
    True
"""

from __future__ import annotations

from humblenet.series.neuron import (
    AND_TABLE,
    CONDITIONS,
    NOT_TABLE,
    OR_TABLE,
    XOR_SEED,
    XOR_TABLE,
    Contribution,
    Neuron,
    NeuronGroup,
    PerceptronPass,
    PerceptronResult,
    XorNetworkResult,
    explain_float_product,
    tour_chapter,
    train_perceptron,
    train_xor_network,
)
from humblenet.series.neuron import TruthTable as TruthTable

# TruthTable (the type of a truth table) is reachable here, as before the split, though not in
# __all__.
__all__ = [
    "AND_TABLE",
    "CONDITIONS",
    "NOT_TABLE",
    "OR_TABLE",
    "XOR_TABLE",
    "XOR_SEED",
    "Contribution",
    "Neuron",
    "NeuronGroup",
    "PerceptronPass",
    "PerceptronResult",
    "XorNetworkResult",
    "explain_float_product",
    "tour_chapter",
    "train_perceptron",
    "train_xor_network",
]
