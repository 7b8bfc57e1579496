"""The tour's parts 9 and 10, scaled down to the 1,797 8×8 digits shipped with humblenet.

The series runs parts 9 and 10 on 28×28 images with Keras; the tour runs the same ideas with
humblenet's own Keras-like API on the embedded digits, so that each chapter takes a second or two
(the full-size runs are ``examples/part09_fashion_mnist.py`` and
``examples/part10_overfitting.py``):

- part 9: a Flatten → Dense network, Adam, sparse categorical cross-entropy, batch 15, a few
  epochs; the test accuracy;
- part 10: the first 100 training digits to learn from and the other 1,338 to validate on; a
  deep network ending in logits with RMSprop overfits; a smaller network and dropout are tried.

Each chapter is ``chapter(verbose) -> list[str]``, as :mod:`humblenet.series.tour` expects; with
``verbose`` it also shows the numbers of every epoch.

Example:
    >>> lines = part9_chapter(verbose=False)
    >>> any(line.startswith("Result:") for line in lines)
    True
"""

from __future__ import annotations

from humblenet import nn
from humblenet.data import load_digits
from humblenet.series._tour_text import wrap as _wrap
from humblenet.training import History, Sequential

__all__ = [
    "PART9_TITLE",
    "PART10_TITLE",
    "Part10Run",
    "part9_chapter",
    "part9_train",
    "part10_chapter",
    "part10_runs",
]

PART9_TITLE = "Part 9: a deep network on real images, with a high-level API"
PART10_TITLE = "Part 10: overfitting, and how to narrow the gap"

_SEED = 0
PART9_HIDDEN = (64, 32, 16)
PART9_EPOCHS = 5
PART10_TRAIN_IMAGES = 100
PART10_HIDDEN = (128, 64, 32, 16)
PART10_EPOCHS = 60


def _epoch_lines(history: History, keys: tuple[str, ...]) -> list[str]:
    """One line per epoch with the values named by ``keys``."""
    lines = []
    for index, epoch in enumerate(history.epoch):
        values = ", ".join(f"{key} {history.history[key][index]:.4f}" for key in keys)
        lines.append(f"  epoch {epoch + 1}: {values}")
    return lines


# -- part 9 --------------------------------------------------------------------------------------


def part9_train(epochs: int = PART9_EPOCHS, seed: int = _SEED) -> tuple[History, float]:
    """Train part 9's scaled-down network on the digits; return its history and test accuracy.

    The network: 8×8 pixels flattened to 64, Dense 64, 32, 16 with ReLU, Dense 10 with softmax;
    Adam, sparse categorical cross-entropy, batch 15 (the series' settings), seeded.

    Args:
        epochs: passes over the 1,438 training digits.
        seed: seeds the first weights and the shuffling.

    Returns:
        The ``History`` of ``fit`` and the accuracy on the 359 test digits.
    """
    (x_train, y_train), (x_test, y_test) = load_digits()
    # The model is built as soon as its first layer knows the input shape, before fit sees the
    # seed: each layer gets its own seed here.
    layers: list[nn.Module] = [nn.Flatten(input_shape=(8, 8))]
    layers += [
        nn.Dense(units, activation="relu", seed=seed + index)
        for index, units in enumerate(PART9_HIDDEN)
    ]
    layers.append(nn.Dense(10, activation="softmax", seed=seed + len(PART9_HIDDEN)))
    model = Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=15, epochs=epochs, seed=seed, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test)
    return history, float(accuracy)


def part9_chapter(verbose: bool) -> list[str]:
    """Part 9 of the tour: a Flatten → Dense network learns the 8×8 digits in a few epochs."""
    history, accuracy = part9_train()
    hidden = ", ".join(str(units) for units in PART9_HIDDEN)
    lines = _wrap(
        "Idea:",
        "on real images, layers are declared and the library trains them: "
        "model.compile(optimizer, loss) then model.fit(images, labels). The series uses Keras; "
        "humblenet builds the same API on its own autograd.",
    )
    lines += _wrap(
        "Setup:",
        f"1,438 training and 359 test digits of 8×8 pixels in [0, 1]; Flatten → Dense {hidden} "
        f"(ReLU) → Dense 10 (softmax); Adam, sparse categorical cross-entropy, batch 15, "
        f"{PART9_EPOCHS} epochs.",
    )
    lines += _wrap(
        "Result:",
        f"test accuracy {accuracy:.4f} after {len(history.epoch)} epochs (training accuracy "
        f"{history.history['accuracy'][-1]:.4f}). The series' 28×28 network reaches 0.9822 on "
        "MNIST: examples/part09_fashion_mnist.py runs it on Fashion-MNIST.",
    )
    if verbose:
        lines += _epoch_lines(history, ("loss", "accuracy"))
    return lines


# -- part 10 -------------------------------------------------------------------------------------


class Part10Run:
    """One network of the part 10 chapter, trained, with its accuracies after training.

    Attributes:
        label: what was tried (``"deep"``, ``"smaller (32)"``, ``"dropout"``).
        history: what ``fit`` logged per epoch (training and validation).
        train_accuracy, validation_accuracy: measured after training, dropout off.
    """

    def __init__(
        self, label: str, history: History, train_accuracy: float, validation_accuracy: float
    ) -> None:
        self.label = label
        self.history = history
        self.train_accuracy = train_accuracy
        self.validation_accuracy = validation_accuracy

    @property
    def gap(self) -> float:
        """Training accuracy minus validation accuracy: how much was learned by heart."""
        return self.train_accuracy - self.validation_accuracy

    @property
    def best_validation_loss(self) -> tuple[float, int]:
        """The lowest validation loss and its epoch (from 1)."""
        losses = self.history.history["val_loss"]
        index = min(range(len(losses)), key=losses.__getitem__)
        return losses[index], index + 1


def _part10_network(kind: str, seed: int) -> Sequential:
    """The network called ``kind``; layer i is seeded with ``seed + i``."""
    seeds = iter(range(seed, seed + 16))

    def dense(units: int) -> nn.Dense:
        return nn.Dense(units, activation="relu", seed=next(seeds))

    layers: list[nn.Module] = [nn.Flatten(input_shape=(8, 8))]
    if kind == "smaller (32)":
        layers.append(dense(32))
    elif kind == "dropout":  # 0.2 after the input, 0.2 after the second layer, 0.5 at the end
        first, second, *rest = PART10_HIDDEN
        layers += [nn.Dropout(0.2, seed=next(seeds)), dense(first), dense(second)]
        layers.append(nn.Dropout(0.2, seed=next(seeds)))
        layers += [dense(units) for units in rest]
        layers.append(nn.Dropout(0.5, seed=next(seeds)))
    else:
        layers += [dense(units) for units in PART10_HIDDEN]
    layers.append(nn.Dense(10, seed=next(seeds)))  # logits
    return Sequential(layers)


def part10_runs(
    epochs: int = PART10_EPOCHS,
    train_images: int = PART10_TRAIN_IMAGES,
    seed: int = _SEED,
    kinds: tuple[str, ...] = ("deep", "smaller (32)", "dropout"),
) -> list[Part10Run]:
    """Train each network of part 10's chapter on a few digits, validating on the rest.

    The first ``train_images`` of the 1,438 training digits train, the others validate (as the
    series trains on the first 450 images and validates on images 40000 onward). Every network
    ends in logits with ``from_logits=True``, RMSprop at Keras' 0.001, batch 15, seeded.

    Args:
        epochs: passes over the training digits.
        train_images: how many digits to learn from.
        seed: seeds the weights, the shuffling and the dropout masks.
        kinds: which networks: ``"deep"`` (64 → 128, 64, 32, 16 → 10), ``"smaller (32)"``
            (64 → 32 → 10), ``"dropout"`` (the deep one with dropout 0.2, 0.2, 0.5).

    Returns:
        One :class:`Part10Run` per kind, in order.
    """
    (x_all, y_all), _ = load_digits()
    x_train, y_train = x_all[:train_images], y_all[:train_images]
    x_val, y_val = x_all[train_images:], y_all[train_images:]
    runs = []
    for kind in kinds:
        model = _part10_network(kind, seed)
        model.compile(
            optimizer="rmsprop",
            learning_rate=0.001,
            loss=nn.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        history = model.fit(
            x_train,
            y_train,
            batch_size=15,
            epochs=epochs,
            validation_data=(x_val, y_val),
            seed=seed,
            verbose=0,
        )
        train_accuracy = float(model.evaluate(x_train, y_train)[1])
        validation_accuracy = float(model.evaluate(x_val, y_val)[1])
        runs.append(Part10Run(kind, history, train_accuracy, validation_accuracy))
    return runs


def _part10_verdict(runs: list[Part10Run]) -> str:
    """What the numbers say, worded from the numbers (so it stays true whatever they are)."""
    deep, *remedies = runs
    best, epoch = deep.best_validation_loss
    last = deep.history.history["val_loss"][-1]
    turned = (
        f"turned up after epoch {epoch} ({best:.3f} → {last:.3f})"
        if last > best
        else f"kept falling ({last:.3f} at the end)"
    )
    parts = [f"the deep network's validation loss {turned}"]
    for run in remedies:
        verb = "narrows" if run.gap < deep.gap else "does not narrow"
        better = "higher" if run.validation_accuracy > deep.validation_accuracy else "lower"
        parts.append(
            f"the {run.label.split()[0]} network {verb} the gap ({deep.gap:.3f} → {run.gap:.3f}) "
            f"with {better} validation accuracy ({run.validation_accuracy:.3f})"
        )
    _, last_best = runs[-1].best_validation_loss
    if runs[-1].label == "dropout" and last_best >= len(runs[-1].history.epoch) - 1:
        parts[-1] += (
            f"; its validation loss is lowest at epoch {last_best} of "
            f"{len(runs[-1].history.epoch)}: it learns slower and has not turned up yet"
        )
    return "; ".join(parts) + "."


def part10_chapter(verbose: bool) -> list[str]:
    """Part 10 of the tour: a deep network overfits 100 digits; a smaller one and dropout."""
    runs = part10_runs()
    hidden = ", ".join(str(units) for units in PART10_HIDDEN)
    lines = _wrap(
        "Idea:",
        "given few examples, a big network learns them by heart: its training accuracy "
        "climbs while the validation accuracy stalls and the validation loss turns back up. "
        "Fewer weights or dropout leave it less room to memorise.",
    )
    lines += _wrap(
        "Setup:",
        f"the first {PART10_TRAIN_IMAGES} training digits train, the other "
        f"{1438 - PART10_TRAIN_IMAGES} validate; deep: 64 → {hidden} (ReLU) → 10 logits; "
        "smaller: 64 → 32 → 10; dropout: the deep one with 0.2 after the input, 0.2 after the "
        f"second layer, 0.5 before the output; RMSprop 0.001, batch 15, {PART10_EPOCHS} epochs.",
    )
    lines.append("Result: network        train  valid.   gap   validation loss: best (epoch), last")
    for run in runs:
        best, epoch = run.best_validation_loss
        last = run.history.history["val_loss"][-1]
        lines.append(
            f"        {run.label:<13} {run.train_accuracy:.3f}  {run.validation_accuracy:.3f}  "
            f"{run.gap:.3f}   {best:.3f} ({epoch}), {last:.3f}"
        )
    lines += _wrap("Seen:", _part10_verdict(runs))
    lines += _wrap(
        "Note:",
        "accuracies measured after training, dropout off; gap = train − validation. A last "
        "validation loss above its best is overfitting, and stopping at the best epoch is the "
        "series' third remedy. examples/part10_overfitting.py runs all three on 28×28 images.",
    )
    if verbose:
        for run in runs:
            lines.append(f"  {run.label}:")
            lines += _epoch_lines(run.history, ("loss", "accuracy", "val_loss", "val_accuracy"))
    return lines
