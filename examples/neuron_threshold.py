"""Threshold neurons: AND, OR and NOT set by hand, then AND and OR learned by the perceptron.

Part 1 describes a neuron that fires only when the weighted sum of its inputs crosses a
threshold. With the right weights and threshold, one such neuron computes a logic gate
(McCulloch and Pitts, 1943). Rosenblatt's perceptron rule (1958) finds those numbers itself.

Run: python examples/neuron_threshold.py
"""

from humblenet.neuron import AND_TABLE, NOT_TABLE, OR_TABLE, Neuron, train_perceptron


def show_gate(title: str, neuron: Neuron, table: tuple) -> None:
    """Print the neuron's output for every row of a truth table, next to the expected label."""
    print(f"{title}: weights {neuron.weights}, threshold {neuron.threshold}")
    for pattern, label in table:
        output = neuron(list(pattern))
        print(f"  {pattern} -> {output}  (expected {label})")


# 1. Set by hand: the gate fires when enough inputs are on.
#    AND needs both inputs (sum 2), OR needs one (sum 1),
#    NOT fires when its single input is off (weight -1, so the sum is 0 only for input 0).
show_gate("AND by hand", Neuron({"a": 1, "b": 1}, condition="step", threshold=2), AND_TABLE)
show_gate("OR by hand", Neuron({"a": 1, "b": 1}, condition="step", threshold=1), OR_TABLE)
show_gate("NOT by hand", Neuron({"a": -1}, condition="step", threshold=0), NOT_TABLE)

# 2. Learned: weights and bias start at 0; each mistake nudges them toward the right answer.
for name, table in (("AND", AND_TABLE), ("OR", OR_TABLE)):
    result = train_perceptron(table, input_names=("a", "b"))
    print(f"{name} learned: {result.message}")
    show_gate(f"{name} learned", result.neuron(), table)
