"""Part 7: correlation: stochastic gradient descent over a whole data set, in NumPy.

Run: python3 examples/part07_correlation.py
"""

from humblenet.basics import stochastic_gradient_descent

# 8 patterns of 3 binary features; the target is the second feature.
patterns = [[0, 0, 1], [0, 1, 0], [1, 1, 1], [0, 1, 1], [1, 0, 0], [1, 0, 1], [0, 0, 0], [1, 1, 0]]
targets = [0, 1, 1, 1, 0, 0, 0, 1]

result = stochastic_gradient_descent(
    patterns, targets, weights=[0.5, 0.5, 0.5], alpha=0.1, max_passes=15, round_prediction=1
)
for number, error in enumerate(result.pass_errors, start=1):
    print(f"pass {number:2d}: error {error!r}")
print(result.message)
# The second weight grows towards 1, the others shrink towards 0: the network found that only
# the second feature correlates with the target.
print("final weights:", [round(weight, 2) for weight in result.weights])
