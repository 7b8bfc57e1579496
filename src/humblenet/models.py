"""Ready-made networks: the small CNN that the tests, the examples and ``humblenet train --model
cnn`` share.

>>> model = small_cnn(channels=1, image_size=28, num_classes=10, seed=0)
>>> model.build((1, 28, 28))
>>> [type(layer).__name__ for layer in model.layers][:4]
['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d']
>>> model.count_params()
20586
"""

from __future__ import annotations

from humblenet import nn
from humblenet.training import Sequential
from humblenet.validation import whole

__all__ = ["small_cnn"]


def small_cnn(
    channels: int = 1,
    image_size: int = 28,
    num_classes: int = 10,
    seed: int = 0,
    filters: tuple[int, int] = (16, 32),
    activation: str | None = "softmax",
) -> Sequential:
    """Two convolution blocks and a dense head, for images ``(N, channels, size, size)``.

    Each block is ``Conv2d(3×3, padding 1)``, ``BatchNorm2d``, ``ReLU``, ``MaxPool2d(2)`` (halving
    the image); the head flattens the ``filters[1] × (size // 4)²`` values and maps them to
    ``num_classes`` scores with one ``Linear``, then ``activation`` (``"softmax"``: probabilities,
    as the command line saves them; ``None``: logits). With the defaults on Fashion-MNIST that is
    20,586 trainable parameters; the test in ``tests/test_real_data_cnn.py`` trains it to 0.91.

    Args:
        channels: the image's channels (1 for grey).
        image_size: the image's height and width, at least 4.
        num_classes: the number of classes.
        seed: seeds the initial weights (the layers that learn take seed, seed + 1, seed + 2).
        filters: the two blocks' output channels.
        activation: the head's activation (``"softmax"`` or ``None``).
    """
    channels = whole("small_cnn", "channels", channels, minimum=1)
    num_classes = whole("small_cnn", "num_classes", num_classes, minimum=1)
    whole("small_cnn", "image_size", image_size, minimum=4)  # two 2×2 poolings
    first, second = (whole("small_cnn", "filters", f, minimum=1) for f in filters)
    seeds = (seed, seed + 1, seed + 2)
    flat = second * (image_size // 4) ** 2
    layers: list[nn.Module] = [
        nn.Conv2d(channels, first, 3, padding=1, seed=seeds[0]),  # (N, 16, s, s)
        nn.BatchNorm2d(first),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, s/2, s/2)
        nn.Conv2d(first, second, 3, padding=1, seed=seeds[1]),  # (N, 32, s/2, s/2)
        nn.BatchNorm2d(second),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 32, s/4, s/4)
        nn.Flatten(),
        nn.Linear(flat, num_classes, seed=seeds[2]),
    ]
    if activation is not None:
        layers.append(nn.Activation(activation))
    return Sequential(layers)
