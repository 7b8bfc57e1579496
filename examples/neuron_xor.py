"""XOR: one neuron cannot learn it, a hidden layer can.

XOR is 1 when exactly one input is on. Plotted on a square, its 1s sit on one diagonal and its
0s on the other: no single straight line separates them, and a step neuron draws exactly one
line. The perceptron rule notices it is going round in circles and stops. A 2-2-1 network
trained with part 8's backpropagation draws two lines and combines them.

Run: python examples/neuron_xor.py
"""

import textwrap

from humblenet.neuron import XOR_SEED, XOR_TABLE, train_perceptron, train_xor_network

# 1. One neuron: the perceptron rule on XOR's truth table.
perceptron = train_perceptron(XOR_TABLE)
print(f"Perceptron on XOR: stopped ({perceptron.stop_reason}) after {perceptron.passes} passes")
print(textwrap.fill(perceptron.message, width=90, initial_indent="  ", subsequent_indent="  "))

# 2. A hidden layer: 2 inputs -> 2 ReLU neurons -> 1 output, each layer with a bias input.
#    Predictions are rounded to 1 decimal (part 8), then read as 1 when >= 0.5.
network = train_xor_network(XOR_SEED)
print(f"2-2-1 network on XOR: {network.message}")
for (pattern, label), prediction, output in zip(XOR_TABLE, network.predictions, network.outputs):
    print(f"  {pattern} -> {prediction} -> {output}  (expected {label})")
