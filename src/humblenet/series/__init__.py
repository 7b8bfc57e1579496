"""The series "Deep Learning Basics" as teaching code: one module per idea.

Each part of the series is one module, written with plain floats and lists (NumPy from part 7
on) in the same order of arithmetic as the series, so that it prints the same numbers, float for
float:

- :mod:`.part01_simple_nn`: one input, one weight, one output;
- :mod:`.part02_several_inputs_outputs`: the dot product; several inputs and outputs;
- :mod:`.part03_hot_cold`: hot/cold learning;
- :mod:`.part04_gradient_descent`: gradient descent on one weight, and the loop parts 5 and 6
  reuse;
- :mod:`.part05_several_weights`: gradient descent with several inputs, or several outputs;
- :mod:`.part06_weight_matrix`: gradient descent with a weight matrix;
- :mod:`.part07_correlation`: stochastic gradient descent over a data set (NumPy);
- :mod:`.part08_backpropagation`: backpropagation through one hidden layer;
- :mod:`.neuron`: the neuron of part 1, whole (threshold, perceptron, XOR);
- :mod:`.tour` and :mod:`.tour_deep`: ``humblenet tour``, the series run part by part.

What the parts share is in two private modules: :mod:`._checks` (every check of a learner's
input, in the series' teaching words) and :mod:`._learning_loop` (why a loop stopped, the
divergence rule, the wording of the messages). :mod:`humblenet.basics` gathers parts 1 to 8
under one name, as before the split.
"""
