"""Part 5: gradient descent with several inputs (5a) and with several outputs (5b).

Run: python3 examples/part05_several_weights.py
"""

from humblenet.basics import gradient_descent_several_inputs, gradient_descent_several_outputs

# 5a: three inputs, one output; one shared correction alpha * (prediction - target).
several_inputs = gradient_descent_several_inputs(
    inputs=[0.2, 4, 0.1], weights=[10, 2, 11], target=8, alpha=0.04, round_prediction=2
)
for step in several_inputs.steps:
    print(f"5a prediction {step.prediction!r}  weights {step.weights!r}")
print(f"5a final weights {list(several_inputs.weights)!r} ({several_inputs.stopped})")

# 5b: one input, three outputs; each output moves its own weight.
several_outputs = gradient_descent_several_outputs(
    input_value=0.2, weights=[10, 20, 3], targets=[8, 46, 0.1], alpha=24, round_prediction=2
)
for step in several_outputs.steps:
    print(f"5b predictions {step.prediction!r}  weights {step.weights!r}")
print(f"5b final weights {list(several_outputs.weights)!r} ({several_outputs.stopped})")
