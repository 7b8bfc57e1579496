"""Part 8: backpropagation through one hidden layer (3 -> 4 -> 1, ReLU).

Run: python3 examples/part08_backpropagation.py [seed]
"""

import sys
import textwrap

from humblenet.basics import backprop_one_hidden_layer

patterns = [[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 1]]
targets = [1, 0, 1, 0]
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 3

result = backprop_one_hidden_layer(
    patterns, targets, hidden_size=4, alpha=0.1, seed=seed, max_passes=1000, round_prediction=1
)
for number in range(0, result.passes, 10):
    print(f"pass {number + 1}: error {result.pass_errors[number]!r}")
print(f"pass {result.passes}: error {result.pass_errors[-1]!r}")
print(f"seed {seed}: {result.stopped}")
print(textwrap.fill(result.message, width=92))
print("predictions:", result.predict(patterns).ravel().tolist(), "targets:", targets)
