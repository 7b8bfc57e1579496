"""Part 2: a dot product, several inputs, several outputs.

Run: python3 examples/part02_several_inputs_outputs.py
"""

from humblenet.basics import dot_product, predict_several_outputs, predict_with_several_inputs

# 2a: a dot product multiplies pairs and adds the products.
print("2a: [2, 3, 4] . [5, 6, 7] =", dot_product([2, 3, 4], [5, 6, 7]))

# 2b: three inputs about a run, one weight each, one output (kcal).
inputs = [30, 3, 80]  # minutes jogging, speed in m/s, runner's mass in kg
calorie_weights = [6.2, 8.1, 0.31]
calories = predict_with_several_inputs(inputs, calorie_weights)
print(f"2b: {inputs} . {calorie_weights} = {calories!r} kcal")

# 2c: several outputs: one row of weights per output, each a dot product with the same inputs.
weight_rows = [
    calorie_weights,  # kcal burned
    [0.00407, 0.00618, 0.00303],  # extra days of life
    [0.11, 0.23, 0.06],  # money saved on heart medication
]
kcal, extra_days, money = predict_several_outputs(inputs, weight_rows)
print(f"2c: calories burned {kcal!r}")
print(f"    extra days of life {extra_days!r}")
print(f"    money saved on heart medication {money!r}")
