"""Part 6: gradient descent with several inputs and several outputs: a weight matrix.

Run: python3 examples/part06_weight_matrix.py
"""

from humblenet.basics import gradient_descent_weight_matrix

weight_rows = [[7.1, 1.1, 4.4], [5.7, 3, 9.1], [2.2, 5.3, 7]]  # one row per output
result = gradient_descent_weight_matrix(
    inputs=[0.2, 2.3, 1.2], weight_rows=weight_rows, targets=[8, 46, 0.1], alpha=0.2
)
for step in result.steps:
    print(f"predictions {step.prediction!r}  total error {step.error!r}")
print(f"every prediction exact: {result.predictions[-1]!r} ({result.stopped})")
print("final rows:")
for row in result.weights:
    print("  ", [round(value, 4) for value in row], "exactly", row)
