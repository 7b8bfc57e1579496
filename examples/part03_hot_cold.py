"""Part 3: hot/cold learning, one step and then until the error is 0.

Run: python3 examples/part03_hot_cold.py
"""

from humblenet.basics import hot_cold_learning, hot_cold_try

# One step of 0.1: try the weight a bit higher and a bit lower, keep the better.
step = hot_cold_try(input_value=20, target=180, weight=7, step=0.1)
print(f"prediction {step.prediction!r}, squared error {step.error!r}")
print(f"weight 7.1 gives error {step.up_error!r}; weight 6.9 gives error {step.down_error!r}")
print(f"kept weight {step.new_weight!r}")

# Repeat with steps of 0.4, rounding the kept weight to 2 decimals, until the error is 0.
result = hot_cold_learning(20, 180, 7, step=0.4, round_weight=2, max_steps=100)
for taken in result.steps:
    print(f"  weight {taken.weight!r}: prediction {taken.prediction!r}, error {taken.error!r}")
print(f"final weight {result.weight!r}, prediction {result.predictions[-1]!r}")
print(result.message)
