"""Part 10: overfitting, and three ways the series narrows the gap.

Part 9's deep network, trained on only the first 450 training images, learns them by heart:
its training accuracy climbs towards 1 while its accuracy on images it has not seen (the
validation images, 40000 onward of the training set) stalls. The series' settings: the network
ends in Dense(10) without softmax (logits) and the loss takes logits (``from_logits=True``);
RMSprop (Keras' learning rate 0.001); batch 15; 30 epochs. Then three remedies:

1. stop early: the same network trained for 9 epochs only (``--early-stopping`` instead stops
   when the validation loss has not improved for 3 epochs and keeps the best weights);
2. a smaller network: one hidden layer of 32 units;
3. dropout: 0.2 after the input, 0.2 after the second hidden layer, 0.5 before the output.

Each run saves its curves (training against validation, accuracy and loss per epoch), and a
table compares the four runs. The table's accuracies are measured after training in evaluation
mode (dropout off), so the gap is the real one; the curves show the values logged while training
(for the dropout run, the training curve is taken with dropout on and sits lower).

Run:
    python3 examples/part10_overfitting.py                  # Fashion-MNIST
    python3 examples/part10_overfitting.py --mnist FOLDER   # MNIST's four IDX files in FOLDER
    python3 examples/part10_overfitting.py --quick          # 4 and 2 epochs, 2,000 validation
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import humblenet
from humblenet import nn
from humblenet.data import DatasetNotFoundError, load_dataset
from humblenet.training import EarlyStopping

HIDDEN_UNITS = (512, 216, 128, 64, 32, 16)  # part 9's network


def deep_network(seed: int) -> humblenet.Sequential:
    """Part 9's network ending in logits: 784 -> 512, 216, 128, 64, 32, 16 (ReLU) -> 10."""
    seeds = itertools.count(seed)  # seed, seed + 1, ...: one per layer
    layers: list[nn.Module] = [nn.Flatten(input_shape=(28, 28))]
    layers += [nn.Dense(units, activation="relu", seed=next(seeds)) for units in HIDDEN_UNITS]
    layers.append(nn.Dense(10, seed=next(seeds)))  # logits: the loss applies the softmax itself
    return humblenet.Sequential(layers, name="deep")


def smaller_network(seed: int) -> humblenet.Sequential:
    """Remedy 2: far fewer weights to memorise with: 784 -> 32 (ReLU) -> 10."""
    seeds = itertools.count(seed)  # seed, seed + 1, ...: one per layer
    layers = [nn.Flatten(input_shape=(28, 28)), nn.Dense(32, activation="relu", seed=next(seeds))]
    return humblenet.Sequential([*layers, nn.Dense(10, seed=next(seeds))], name="smaller")


def dropout_network(seed: int) -> humblenet.Sequential:
    """Remedy 3: the deep network with dropout, so no unit can rely on any other one."""
    seeds = itertools.count(seed)  # seed, seed + 1, ...: one per layer
    first, second, *rest = HIDDEN_UNITS
    layers: list[nn.Module] = [nn.Flatten(input_shape=(28, 28)), nn.Dropout(0.2, seed=next(seeds))]
    layers.append(nn.Dense(first, activation="relu", seed=next(seeds)))
    layers.append(nn.Dense(second, activation="relu", seed=next(seeds)))
    layers.append(nn.Dropout(0.2, seed=next(seeds)))  # after the second hidden layer
    layers += [nn.Dense(units, activation="relu", seed=next(seeds)) for units in rest]
    layers.append(nn.Dropout(0.5, seed=next(seeds)))  # before the output
    layers.append(nn.Dense(10, seed=next(seeds)))
    return humblenet.Sequential(layers, name="dropout")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", metavar="FOLDER", help="train on MNIST's IDX files in FOLDER")
    parser.add_argument("--epochs", type=int, help="epochs of the long runs (the series: 30)")
    parser.add_argument("--early-epochs", type=int, help="epochs when stopping early (series: 9)")
    parser.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop on the validation loss (patience 3, best weights kept) instead of a fixed count",
    )
    parser.add_argument("--train-images", type=int, default=450, help="the series: 450")
    parser.add_argument(
        "--validation-start", type=int, default=40000, help="first validation image (series: 40000)"
    )
    parser.add_argument("--validation-images", type=int, help="how many (default: all to the end)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights, shuffles, dropout")
    parser.add_argument("--out-dir", default="out", help="where the plots go (default ./out)")
    parser.add_argument(
        "--quick", action="store_true", help="a short check: 4 and 2 epochs, 2000 validation images"
    )
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 4 if args.quick else 30
    if args.early_epochs is None:
        args.early_epochs = 2 if args.quick else 9
    if args.validation_images is None and args.quick:
        args.validation_images = 2000
    numbers = (args.epochs, args.early_epochs, args.train_images)
    if min(numbers) < 1 or args.validation_start < 0:
        parser.error(f"epochs and image counts must be at least 1, got {numbers}")
    return args


def save_plot(history, title: str, path: Path) -> str:
    """One run's curves (training against validation); says where they went, or why not."""
    try:
        from humblenet.plots import plot_history

        path.parent.mkdir(parents=True, exist_ok=True)
        plot_history(history, path, title=title)
    except ImportError as error:  # matplotlib is an optional extra
        return f"plot skipped: {error}"
    return f"plot saved: {path}"


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    name = f"mnist:{args.mnist}" if args.mnist else "fashion-mnist"
    try:
        data = load_dataset(name)
    except DatasetNotFoundError as error:
        print(f"part10: {error}", file=sys.stderr)
        return 2
    count = len(data.x_train)
    if args.train_images > args.validation_start or args.validation_start >= count:
        print(
            f"part10: the training set has {count} images; the first {args.train_images} train "
            f"and images {args.validation_start} onward validate, which must not overlap or be "
            "empty: lower --train-images or --validation-start",
            file=sys.stderr,
        )
        return 2
    # 1. Few training images, many validation images the network never learns from.
    x_train, y_train = data.x_train[: args.train_images], data.y_train[: args.train_images]
    stop = (
        None if args.validation_images is None else args.validation_start + args.validation_images
    )
    x_val = data.x_train[args.validation_start : stop]
    y_val = data.y_train[args.validation_start : stop]
    print(f"data: {data.description}")
    print(
        f"training on {len(x_train)} images, validating on {len(x_val)} "
        f"(images {args.validation_start} to {args.validation_start + len(x_val) - 1})"
    )

    # (label, network, epochs, early-stopping callbacks, plot file)
    early_stopping = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    early = (
        ("stop early (early stopping)", deep_network, args.epochs, [early_stopping])
        if args.early_stopping  # a rule watching the validation loss instead of a fixed count
        else (f"stop early ({args.early_epochs} epochs)", deep_network, args.early_epochs, [])
    )
    runs = [
        ("deep network", deep_network, args.epochs, [], "deep"),
        (*early, "early"),
        ("smaller network (32)", smaller_network, args.epochs, [], "smaller"),
        ("dropout", dropout_network, args.epochs, [], "dropout"),
    ]
    rows = []
    for label, build, epochs, callbacks, plot_name in runs:
        print(f"\n== {label} ==")
        model = build(args.seed)
        # 2. Logits out, the loss applies the softmax: the series' from_logits=True.
        model.compile(
            optimizer="rmsprop",
            learning_rate=0.001,  # Keras' RMSprop default, which the series uses
            loss=nn.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        history = model.fit(
            x_train,
            y_train,
            batch_size=15,
            epochs=epochs,
            validation_data=(x_val, y_val),
            callbacks=callbacks,
            seed=args.seed,  # the shuffling: the same order of batches in every run
            verbose=1,
        )
        # 3. The real gap: both accuracies measured with dropout off, after training.
        train_accuracy = model.evaluate(x_train, y_train)[1]
        val_accuracy = model.evaluate(x_val, y_val)[1]
        ran = len(history.epoch)
        rows.append((label, ran, train_accuracy, val_accuracy))
        path = Path(args.out_dir) / f"part10_{plot_name}.png"
        print(save_plot(history, f"Part 10: {label}", path))

    print("\nrun                          epochs  train acc  val acc    gap")
    for label, ran, train_accuracy, val_accuracy in rows:
        gap = train_accuracy - val_accuracy
        print(f"{label:<28} {ran:>6}  {train_accuracy:>9.4f}  {val_accuracy:>7.4f}  {gap:>5.3f}")
    print("(accuracies measured after training, dropout off; gap = train - validation)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
