"""Part 1: the smallest neural network, one input times one weight.

Run: python3 examples/part01_simple_nn.py
"""

from humblenet.basics import predict_with_one_weight

calculated_weight = 7.56  # kcal burned per minute of jogging: the network's knowledge
minutes_jogging = 30  # the information we feed in

calories_burned = predict_with_one_weight(minutes_jogging, calculated_weight)
print(
    f"According to my neural network, after running {minutes_jogging} minutes, "
    f"I burned {calories_burned} calories"
)
