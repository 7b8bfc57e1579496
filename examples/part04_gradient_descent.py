"""Part 4: gradient descent on one weight, and what too big an alpha does.

Run: python3 examples/part04_gradient_descent.py
"""

import textwrap

from humblenet.basics import gradient_descent_one_weight

# derivative = input * (prediction - target); weight -= alpha * derivative
result = gradient_descent_one_weight(
    input_value=0.2, target=8, weight=10, alpha=24, round_prediction=2, max_steps=100
)
for step in result.steps:
    print(f"prediction {step.prediction!r}  error {step.error!r}  weight {step.weights!r}")
print("predictions:", ", ".join(repr(p) for p in result.predictions))
print(f"final weight {result.weights!r} ({result.stopped})")

# alpha x input² above 2 makes every step overshoot by more than it corrects.
too_big = gradient_descent_one_weight(0.2, 8, 10, alpha=60, max_steps=100)
print(f"alpha 60: {too_big.stopped}")
print(textwrap.fill(too_big.message, width=92))
