"""``humblenet train DATA``: train a network on a CSV file or a named data set and save it."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from humblenet import distributed, validation
from humblenet.cli._common import (
    DATA_HELP,
    UserError,
    add_command,
    check_output,
    format_metrics,
    real_number,
    user_input,
    whole_number,
)
from humblenet.cli._data import (
    Data,
    add_table_format_arguments,
    is_csv,
    load_named,
    load_table,
)
from humblenet.cli._model import (
    _build_cnn,
    _build_network,
    _describe_network,
    _fold_target_scaling,
    compile_for,
)
from humblenet.data import ImageAugmentation, Standardizer, train_validation_split
from humblenet.data.table import TablePreprocessor
from humblenet.io.atomic import WriteError, stage
from humblenet.io.safetensors import ModelFileError
from humblenet.optim import OPTIMIZERS
from humblenet.plots import picture_bytes, picture_format, plot_history
from humblenet.training.callbacks import (
    BackupAndRestore,
    BackupMismatchError,
    Callback,
    EarlyStopping,
    LearningRateScheduler,
)

DEFAULT_HIDDEN = "64,32"
DEFAULT_HIDDEN_TABLE = "200"
"""A table's hidden layer. ``benchmarks/bench_tables.py --seeds 5`` (mean test accuracy of five
seeds; scikit-learn's MLPClassifier: iris 0.974, wine 1.000, breast cancer 0.951, digits 0.977,
penguins 0.981): 200 units 0.974, 0.991, 0.952, 0.979, 0.986; 100 (MLPClassifier's) 0.979,
0.987, 0.958, 0.976, 0.984. 200 was the best of the six variants tried (validation split 0.1,
patience 40, learning rate 0.002 beside it); 64,32 was one test row short on iris and wine."""
DEFAULT_EPOCHS_TABLE = 20
DEFAULT_EPOCHS_EARLY = 500
"""A table's epoch budget when early stopping ends the run (it stops far sooner: see
benchmarks/bench_tables.py)."""
DEFAULT_PATIENCE = 20
REFIT_MAX_ROWS = 10_000
"""A table of at most this many training rows is refit on all of them after early stopping
(``--refit``). ``benchmarks/bench_tables.py --seeds 5``, mean test accuracy without / with the
refit (scikit-learn's MLPClassifier): iris 0.974 / 0.979 (0.974), wine 0.991 / 1.000 (1.000),
breast cancer 0.952 / 0.954 (0.951), digits 0.979 / 0.980 (0.977), penguins 0.986 / 0.984
(0.981): the rows held out to stop early cost a small table a test row or two, as MLPClassifier
trains on every row. A larger table loses little by the held-out part and would train twice."""
DEFAULT_EPOCHS_IMAGES = 5
DEFAULT_EPOCHS_CNN = 3
"""--model cnn on fashion-mnist or mnist: two epochs at the learning rate and one at a tenth of
it reach 0.91 on Fashion-MNIST's test images (tests/test_real_data_cnn.py's recipe)."""
DEFAULT_BATCH_SIZE = 32
DEFAULT_BATCH_SIZE_CNN = 64
DEFAULT_LEARNING_RATE_CNN = 0.002
"""--model cnn with adam (its own 0.001 reached 0.905 in three epochs, 0.002 0.911)."""
FINAL_EPOCH_FACTOR_CNN = 0.1
MODELS = ("mlp", "cnn")
DEFAULT_VALIDATION_SPLIT = 0.2
DEFAULT_VALIDATION_SPLIT_CNN = 0.0
"""--model cnn trains on every training image: with 0.2 held out, the three epochs reached 0.904
on Fashion-MNIST's test images, not 0.91 (measured 2026-12-06)."""
LARGE_IMAGE_SETS = ("fashion-mnist", "mnist")
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "gelu", "tanh", "sigmoid", "linear")

DESCRIPTION = """\
Train a network on a CSV file or a named data set and save it to one file.

The network (--model mlp, the default): Dense layers of the --hidden sizes with --activation,
then a softmax layer with one unit per class (classification, loss sparse categorical
cross-entropy, metric accuracy) or one linear unit (regression, loss mean squared error, metric
mean absolute error).

--model cnn (image data sets only): humblenet.models.small_cnn, two blocks of Conv2d 3x3,
BatchNorm2d, ReLU and MaxPool2d 2, then Linear and softmax, on images (N, 1, H, W). Its
defaults: batch 64, adam at 0.002, and the last epoch at a tenth of the learning rate (with
--epochs >= 2); 3 epochs on fashion-mnist and mnist. --shift N and --flip augment the training
images at random (shifts of up to N pixels; mirror images, which suit clothes, not digits),
drawn from --seed, the epoch and the batch, so a resumed run equals an uninterrupted one.

A CSV file (delimiter and encoding detected, or --delimiter/--encoding; pandas' unnamed index
column left out): the target is --target (default: the last column), the features --features
(default: every other column) less --drop. Text labels make a classification; numbers are
classes when they are whole and at most 20 distinct, otherwise a regression (force it with
--task). Rows without a target are left out. The rows are split at random (--seed) into training
and validation parts (--validation-split). From the training part: a missing value (empty, NA,
?) is filled with its column's median, or its most frequent text (--missing drop leaves such
rows out instead); a text column becomes one 0/1 column per value; every column is then
standardized. These steps are saved with the model, applied again by evaluate and predict, shown
by info, and written into the ONNX export.

A table trains until val_loss has not improved for --patience epochs and keeps the best epoch's
weights. A small one (at most 10,000 training rows, without --checkpoint-dir) is then refit: a
fresh network, its preprocessing fitted on every row, trains on all rows (validation rows too)
for the best epoch's number of epochs, and that one is saved, with the first run's validation
metrics (--no-refit saves the first run's network instead).

A named data set: images are flattened for an MLP (8x8 = 64 or 28x28 = 784 values in [0, 1],
as loaded) and keep their shape for a CNN;
jogging (regression, target kcal) is standardized as a CSV file is. The validation part comes
out of the training images; the test images are kept apart and scored at the end.

Regression targets are standardized during training too (so the losses printed per epoch are in
those units); the scaling is then folded into the last layer, so the saved model predicts in the
target's own units, and the final metrics are in those units.

Prints one line per epoch (a progress bar in a terminal), then the loss and metrics of each part
and where the model was saved."""

EPILOG = f"""\
defaults: --hidden {DEFAULT_HIDDEN_TABLE} for a table, {DEFAULT_HIDDEN} for images, \
--activation relu, --epochs {DEFAULT_EPOCHS_EARLY} for a table (ended by --patience \
{DEFAULT_PATIENCE}; {DEFAULT_EPOCHS_TABLE} with --patience 0 or no validation part; \
{DEFAULT_EPOCHS_IMAGES} for fashion-mnist and mnist, {DEFAULT_EPOCHS_CNN} with --model cnn),
  --batch-size {DEFAULT_BATCH_SIZE} ({DEFAULT_BATCH_SIZE_CNN} with --model cnn), --optimizer adam,
  its own learning rate (adam: 0.001; {DEFAULT_LEARNING_RATE_CNN} with --model cnn),
  --validation-split 0.2 (0 with --model cnn: the image sets have a test part, scored at the
  end, and the CNN needs every training image to reach 0.91), --seed 0, --out model.safetensors

examples:
  humblenet train flowers.csv --target species --epochs 50 --plot curves.png
  humblenet train houses.csv --target price --task regress --hidden 32 --out houses.safetensors
  humblenet train digits --epochs 10
  humblenet train fashion-mnist --model cnn            (about 0.91 test accuracy)
  humblenet train fashion-mnist --model cnn --limit 2000 --epochs 1   (a quick trial)
  humblenet train mnist:~/data/mnist --hidden 128,64 --epochs 5
  humblenet train fashion-mnist --checkpoint-dir runs/fashion   (killed? add --resume)"""


def register(commands: Any) -> None:
    """Add ``train`` and its arguments to the sub-commands."""
    parser = add_command(
        commands,
        "train",
        run,
        "train a network on a CSV file or a named data set and save it",
        DESCRIPTION,
        EPILOG,
    )
    parser.add_argument("data", metavar="DATA", help=DATA_HELP)
    parser.add_argument(
        "--model",
        choices=MODELS,
        default="mlp",
        help="mlp: Dense layers (--hidden); cnn: a small convolutional network, for images (mlp)",
    )
    parser.add_argument("--target", metavar="COLUMN", help="the CSV column to predict (last)")
    parser.add_argument(
        "--task", choices=("classify", "regress"), help="classify or regress (guessed from DATA)"
    )
    parser.add_argument(
        "--features", metavar="COLUMNS", help="a CSV's feature columns, e.g. a,b (all others)"
    )
    parser.add_argument("--drop", metavar="COLUMNS", help="CSV columns to leave out, e.g. id,name")
    parser.add_argument(
        "--missing",
        choices=("impute", "drop"),
        default="impute",
        help="a missing CSV value: impute it (median / most frequent) or drop its row (impute)",
    )
    add_table_format_arguments(parser)
    parser.add_argument(
        "--hidden",
        metavar="SIZES",
        help=f"hidden layer sizes, comma-separated ({DEFAULT_HIDDEN_TABLE} for a table, "
        f'{DEFAULT_HIDDEN} for images); "" for none',
    )
    parser.add_argument(
        "--activation", choices=HIDDEN_ACTIVATIONS, help="the MLP's hidden layers' (relu)"
    )
    parser.add_argument(
        "--epochs",
        type=whole_number("--epochs", minimum=1),
        metavar="N",
        help=f"passes over the data (a table: at most {DEFAULT_EPOCHS_EARLY}, ended by "
        f"--patience; {DEFAULT_EPOCHS_TABLE} without it; {DEFAULT_EPOCHS_IMAGES} for "
        "fashion-mnist and mnist)",
    )
    parser.add_argument(
        "--patience",
        type=whole_number("--patience", minimum=0),
        metavar="N",
        help=f"a table with a validation part: stop when val_loss has not improved for N epochs "
        f"and keep the best epoch's weights ({DEFAULT_PATIENCE}; 0: off, train every epoch)",
    )
    parser.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        help="a table stopped early: train a fresh network on every row (validation rows too) "
        "for the best epoch's number of epochs, and save that one (default: on for tables of "
        f"at most {REFIT_MAX_ROWS:,} training rows without --checkpoint-dir)",
    )
    parser.add_argument(
        "--batch-size",
        type=whole_number("--batch-size", minimum=1),
        metavar="N",
        help=f"({DEFAULT_BATCH_SIZE}; {DEFAULT_BATCH_SIZE_CNN} with --model cnn)",
    )
    parser.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS), help="(adam)")
    parser.add_argument(
        "--learning-rate",
        type=real_number("--learning-rate", validation.positive, "a finite number > 0, e.g. 0.001"),
        metavar="X",
        help="the optimizer's step size (its own default: 0.001 for adam; "
        f"{DEFAULT_LEARNING_RATE_CNN} for adam with --model cnn)",
    )
    parser.add_argument(
        "--validation-split",
        type=real_number("--validation-split", validation.fraction, "a number in [0, 1), e.g. 0.2"),
        metavar="F",
        help="the share of training rows held out to validate on, in [0, 1) (0.2; 0 with "
        "--model cnn)",
    )
    parser.add_argument(
        "--seed",
        type=whole_number("--seed", minimum=0),
        default=0,
        help="seeds the split and weights (0)",
    )
    parser.add_argument(
        "--limit",
        type=whole_number("--limit", minimum=2),
        metavar="N",
        help="use only the first N training samples (before the validation split): a quick trial",
    )
    parser.add_argument(
        "--shift",
        type=whole_number("--shift", minimum=0),
        default=0,
        metavar="N",
        help="--model cnn: move each training image by up to N pixels at random (0)",
    )
    parser.add_argument(
        "--flip",
        action="store_true",
        help="--model cnn: mirror half the training images, left to right, at random",
    )
    parser.add_argument(
        "--out",
        default="model.safetensors",
        metavar="FILE",
        help="where to save the model (model.safetensors)",
    )
    parser.add_argument(
        "--plot", metavar="FILE", help="also save loss and accuracy curves, e.g. curves.png"
    )
    parser.add_argument(
        "--checkpoint-dir",
        metavar="DIR",
        help="back the run up to DIR after each epoch (and on Ctrl-C), removed when it ends",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=whole_number("--checkpoint-every", minimum=1),
        metavar="N",
        help="with --checkpoint-dir, back up every N batches too",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run backed up in --checkpoint-dir (give the same arguments)",
    )


def parse_hidden(text: str) -> list[int]:
    """Hidden layer sizes from ``"64,32"``; an empty text (or ``"none"``) means no hidden layer.

    >>> parse_hidden("64, 32")
    [64, 32]
    >>> parse_hidden("")
    []
    """
    cleaned = text.strip()
    if cleaned.lower() in ("", "none"):
        return []
    sizes = []
    for part in cleaned.split(","):
        try:
            sizes.append(validation.whole("humblenet", "--hidden", int(part), minimum=1))
        except ValueError:
            raise UserError(
                f"--hidden {text!r}: expected layer sizes (whole numbers >= 1) separated by "
                'commas, e.g. --hidden 64,32, or --hidden "" for no hidden layer'
            ) from None
    return sizes


# -- the steps -----------------------------------------------------------------------------------


def _load_training_data(args: argparse.Namespace) -> Data:
    spec, target, task = args.data, args.target, args.task
    if is_csv(spec) and args.model == "cnn":
        raise UserError(
            f"--model cnn trains on images, and {spec} is a table; give an image data set "
            "(digits, fashion-mnist, mnist:FOLDER) or leave --model out"
        )
    if is_csv(spec):
        return load_table(
            spec,
            target,
            task,
            features=_names(args.features),
            drop=_names(args.drop) or (),
            missing=args.missing,
            delimiter=args.delimiter,
            encoding=args.encoding,
        )
    for flag in ("features", "drop", "delimiter", "encoding"):
        if getattr(args, flag) is not None:
            raise UserError(f"--{flag} is for a CSV file; {spec} is a named data set")
    data = load_named(spec, channels="first" if args.model == "cnn" else None)
    if target is not None and target != data.target:
        raise UserError(
            f"--target {target}: the data set {data.name} has its own target "
            f"({data.target or 'the image labels'}); leave --target out"
        )
    if task is not None and task != data.task:
        raise UserError(
            f"--task {task}: the data set {data.name} is a {data.task} task; leave --task out"
        )
    return data


def _names(text: str | None) -> list[str] | None:
    """Column names from ``"a,b"`` (``None`` when the flag is not given)."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _check_classes(data: Data) -> None:
    """Refuse a classification target with one class, or with a class for almost every row."""
    if data.task == "classify" and data.class_names is not None and len(data.class_names) < 2:
        raise UserError(
            f"the target {data.target!r} has one class only ({data.class_names[0]!r}): there is "
            "nothing to learn; check --target"
        )
    classes = len(data.class_names or ())
    if data.task == "classify" and classes > 20 and classes > len(data.y) // 2:
        raise UserError(
            f"the target {data.target!r} has {classes} distinct values in {len(data.y)} rows: "
            "too many classes to learn; if it is a quantity, use --task regress"
        )


def _split_and_standardize(
    data: Data, validation_split: float, seed: int
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], Any]:
    """The training, validation and test parts, standardized with the training part's numbers."""
    parts: dict[str, tuple[np.ndarray, np.ndarray]] = {"training": (data.x, data.y)}
    if data.table is not None and data.columns is not None:
        # A CSV file: x holds row numbers; fill, encode and standardize with the training
        # rows' numbers only.
        if validation_split > 0:
            with user_input(ValueError, about="--validation-split"):
                training, validation = train_validation_split(
                    data.x, data.y, validation_split, seed
                )
            parts = {"training": training, "validation": validation}
        table, columns = data.table, data.columns
        preprocessor = TablePreprocessor.fit(table, columns, parts["training"][0])
        parts = {
            name: (preprocessor.transform(table, columns, rows), y)
            for name, (rows, y) in parts.items()
        }
        # The saved feature names are the network's inputs (``island=Dream``, ...); the raw
        # columns are in the preprocessing.
        data.feature_names = tuple(preprocessor.feature_names)
        return parts, preprocessor
    if validation_split > 0:
        # Too few rows to hold out any (or to keep any): the user's data and flag.
        with user_input(ValueError, about="--validation-split"):
            training, validation = train_validation_split(data.x, data.y, validation_split, seed)
        parts = {"training": training, "validation": validation}
    if data.x_test is not None and data.y_test is not None:
        parts["test"] = (data.x_test, data.y_test)
    scaler = Standardizer().fit(parts["training"][0]) if data.is_table else None
    if scaler is not None:
        parts = {name: (scaler.transform(x), y) for name, (x, y) in parts.items()}
    return parts, scaler


def _save_outputs(
    model: Any,
    history: Any,
    data: Data,
    scaler: Any,
    metrics: dict[str, float],
    out: Path,
    plot: Path | None,
) -> None:
    """Save the model (atomically) and the curves: the plot is written to its temporary file
    first and put in place only after the model is saved, so a failure leaves neither new file
    (the old ones as they were). A write that fails is a ``UserError``."""
    preprocessing = None if scaler is None else {**scaler.to_dict(), "target": data.target}
    with user_input(OSError, ImportError):
        staged_plot = None
        if plot is not None:
            title = f"{data.name}: {_describe_network(model)}"
            staged_plot = stage(plot, picture_bytes(plot_history(history, title=title), plot))
        try:
            model.save(
                out,
                class_names=list(data.class_names) if data.class_names else None,
                feature_names=list(data.feature_names) if data.feature_names else None,
                preprocessing=preprocessing,
                task=data.task,
                dataset=data.name,
                metrics=metrics,
            )
            if staged_plot is not None:
                staged_plot.commit()
        finally:
            if staged_plot is not None:
                staged_plot.discard()  # a no-op once committed


def _check_outputs(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """The model and plot paths, checked before any work (the folder, the picture format)."""
    inputs = [("DATA", args.data if is_csv(args.data) else None)]
    out = check_output(
        args.out,
        "--out",
        suffixes=(".safetensors",),
        kind="the model",
        inputs=inputs,
        hint="for ONNX, export the saved model: humblenet export MODEL OUT.onnx"
        if args.out.lower().endswith(".onnx")
        else "",
    )
    plot = check_output(args.plot, "--plot", inputs=inputs) if args.plot else None
    if plot is not None:
        if plot.resolve() == out.resolve():
            raise UserError("--plot and --out name the same file; give the plot its own name")
        with user_input(ValueError, ImportError):
            picture_format(plot)  # matplotlib is there and writes this format
    if importlib.util.find_spec("safetensors") is None:
        raise UserError('saving the model needs safetensors: pip install "humblenet[save]"')
    return out, plot


def _backup(args: argparse.Namespace) -> list[Callback]:
    """The BackupAndRestore callback that --checkpoint-dir and --resume ask for (or none)."""
    if args.checkpoint_dir is None:
        if args.resume or args.checkpoint_every is not None:
            flag = "--resume" if args.resume else "--checkpoint-every"
            raise UserError(f"{flag} needs --checkpoint-dir DIR, the folder of the backups")
        return []
    folder = Path(args.checkpoint_dir)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--checkpoint-dir {folder}: it is a file; give a folder")
    backup = BackupAndRestore(folder, save_freq=args.checkpoint_every or "epoch")
    found = backup.backups()
    if found and not args.resume:
        raise UserError(
            f"--checkpoint-dir {folder} holds the backup of an unfinished run ({found[-1].name}); "
            "add --resume to continue it (with the same arguments), or give another folder"
        )
    if args.resume and not found:
        raise UserError(f"--resume: there is no backup in {folder} to continue from")
    if not folder.exists():  # found now, before training, not after its first epoch
        missing = next(p for p in [folder, *folder.parents] if p.exists())
        if not missing.is_dir() or not os.access(missing, os.W_OK | os.X_OK):
            raise UserError(
                f"--checkpoint-dir {folder}: cannot make the folder ({missing} is not a "
                "writable folder); give a folder that can be created and written"
            )
    if found and distributed.rank() == 0:
        print(f"resuming from {found[-1]}")
    return [backup]


def _refuse_divergence(reason: str | None, args: argparse.Namespace) -> None:
    """A run whose loss became NaN or infinite saves nothing: say so and what to lower."""
    if reason is None:
        return
    rate = args.learning_rate
    now = f" (now {rate:g})" if rate is not None else ""
    fewer = "" if getattr(args, "model", None) == "cnn" else ", or use fewer --hidden units"
    raise UserError(
        f"training diverged: {reason.split(': training stopped')[0]}; nothing was saved. "
        f"Lower --learning-rate{now}, e.g. to 0.001 or less{fewer}"
    )


def _check_model_flags(args: argparse.Namespace) -> None:
    """Refuse the flags that the chosen --model does not take; fill in its defaults."""
    cnn = args.model == "cnn"
    if args.validation_split is None:
        args.validation_split = DEFAULT_VALIDATION_SPLIT_CNN if cnn else DEFAULT_VALIDATION_SPLIT
    if cnn:
        for flag, value in (("--hidden", args.hidden), ("--activation", args.activation)):
            if value is not None:
                raise UserError(
                    f"{flag} sets the MLP's layers; --model cnn is humblenet.models.small_cnn "
                    f"(leave {flag} out, or use --model mlp)"
                )
    elif args.shift or args.flip:
        flag = "--shift" if args.shift else "--flip"
        raise UserError(
            f"{flag} augments images for --model cnn; the MLP takes flattened pixels (add "
            "--model cnn)"
        )


def _check_shift(args: argparse.Namespace, data: Data) -> None:
    """Refuse a --shift of half the image's side or more: such shifts move most of the image
    out of its frame (the usual shift is a few pixels, 2 on 28x28 images)."""
    if not args.shift or np.ndim(data.x) < 3:
        return
    side = int(min(np.shape(data.x)[-2:]))
    most = side // 2 - 1
    if args.shift > most:
        raise UserError(
            f"--shift {args.shift} would move the {side}-pixel images of {data.name} mostly out "
            f"of their frame; give at most {most} (a few pixels is usual, e.g. --shift 2)"
        )


def _wants_refit(args: argparse.Namespace, early: bool, data: Data, rows: int) -> bool:
    """Whether to refit on every row after early stopping (see ``REFIT_MAX_ROWS``)."""
    if args.refit and not early:
        raise UserError(
            "--refit trains again on every row for the epochs that early stopping chose; it "
            "needs a table with a validation part and --patience above 0 (or leave --refit out)"
        )
    if args.refit and args.checkpoint_dir is not None:
        raise UserError(
            "--refit and --checkpoint-dir: the backups are of one run, and --refit trains a "
            "second; leave one of them out"
        )
    if args.refit is not None:
        return bool(args.refit)
    return early and rows <= REFIT_MAX_ROWS and args.checkpoint_dir is None


def _cnn_schedule(epochs: int, rate: float) -> list[Callback]:
    """--model cnn's learning rate: ``rate`` for every epoch but the last, a tenth of it then
    (a function of the epoch alone, so a resumed run gets the same rates)."""
    if epochs < 2:
        return []
    last = rate * FINAL_EPOCH_FACTOR_CNN
    return [LearningRateScheduler(lambda epoch, _: last if epoch == epochs - 1 else rate)]


def run(args: argparse.Namespace) -> int:
    """Train, print the metrics of each part, save the model (and the curves)."""
    # 1. Check everything that can be checked before any work.
    _check_model_flags(args)
    cnn = args.model == "cnn"
    if args.hidden is not None:
        hidden = parse_hidden(args.hidden)  # checked before any work
    out, plot = _check_outputs(args)
    callbacks = _backup(args)
    data = _load_training_data(args)
    _check_classes(data)
    _check_shift(args, data)
    if args.limit is not None and args.limit < len(data.x):
        data.x, data.y = data.x[: args.limit], data.y[: args.limit]
    if args.hidden is None:
        hidden = parse_hidden(DEFAULT_HIDDEN_TABLE if data.is_table else DEFAULT_HIDDEN)
    large = data.name in LARGE_IMAGE_SETS or data.name.startswith("mnist:")
    patience = DEFAULT_PATIENCE if args.patience is None else args.patience
    early = data.is_table and args.validation_split > 0 and patience > 0
    if early:
        # Validation-based early stopping, the best epoch's weights restored: small tables
        # underfit with a fixed 20 epochs (iris 0.76) and overfit with many.
        callbacks = [*callbacks, EarlyStopping("val_loss", patience, restore_best_weights=True)]
    table_epochs = DEFAULT_EPOCHS_EARLY if early else DEFAULT_EPOCHS_TABLE
    image_epochs = DEFAULT_EPOCHS_CNN if cnn else DEFAULT_EPOCHS_IMAGES
    epochs = args.epochs or (image_epochs if large else table_epochs)
    batch_size = args.batch_size or (DEFAULT_BATCH_SIZE_CNN if cnn else DEFAULT_BATCH_SIZE)
    learning_rate = args.learning_rate
    augment = None
    if cnn:
        if learning_rate is None and args.optimizer == "adam":
            learning_rate = DEFAULT_LEARNING_RATE_CNN
        augment = ImageAugmentation(shift=args.shift, flip=args.flip, channels="first")

    # 2. Split, then standardize with the training part's statistics only.
    parts, scaler = _split_and_standardize(data, args.validation_split, args.seed)
    refit = _wants_refit(args, early, data, len(parts["training"][0]))
    # Under `mpiexec -n N`, fit trains on all ranks together; only rank 0 prints and saves.
    root = distributed.rank() == 0

    def train_on(
        parts: dict[str, tuple[np.ndarray, np.ndarray]], epochs: int, callbacks: list[Callback]
    ) -> tuple[Any, Any]:
        """3-4. Build, compile and fit a fresh network (the same seed) on ``parts``; a
        regression's target scaling is folded into its last layer afterwards."""
        y_mean, y_std = 0.0, 1.0
        if data.task == "regress":  # learn a standardized target
            y64 = parts["training"][1].astype(np.float64)
            y_mean, y_std = float(y64.mean()), float(y64.std()) or 1.0

        def learned_target(y: np.ndarray) -> np.ndarray:
            if data.task != "regress":
                return y
            return ((y.astype(np.float64) - y_mean) / y_std).astype(np.float32)

        outputs = len(data.class_names or ()) if data.task == "classify" else 1
        image_shape = parts["training"][0].shape[1:]
        if cnn:
            model = _build_cnn(image_shape, outputs, args.seed)
        else:
            model = _build_network(hidden, args.activation or "relu", outputs, data.task, args.seed)
        model.build(image_shape)
        compile_for(model, data.task, args.optimizer, learning_rate)
        if cnn:
            callbacks = [*callbacks, *_cnn_schedule(epochs, float(model.optimizer.learning_rate))]
        what = (
            f"{len(data.class_names or ())} classes"
            if data.task == "classify"
            else f"regression of {data.target}"
        )
        counts = ", ".join(f"{len(x)} {name}" for name, (x, _) in parts.items())
        if root:
            print(f"training {_describe_network(model)} on {data.name} ({what}; {counts} samples)")
        validation_data = None
        if "validation" in parts:
            x_v, y_v = parts["validation"]
            validation_data = (x_v, learned_target(y_v))
        try:
            # A backup that cannot be written (the disk full) or read is the user's to fix.
            with user_input(
                WriteError, ModelFileError, BackupMismatchError, about="--checkpoint-dir"
            ):
                history = model.fit(
                    parts["training"][0],
                    learned_target(parts["training"][1]),
                    batch_size=batch_size,
                    epochs=epochs,
                    verbose=1,
                    validation_data=validation_data,
                    seed=args.seed,
                    callbacks=callbacks,
                    augment=augment,
                )
        except KeyboardInterrupt:
            if model.interrupted and args.checkpoint_dir is not None:  # fit backed up
                print(
                    f"{model.stop_reason}; backed up to {args.checkpoint_dir}: run the same "
                    "command with --resume to continue",
                    file=sys.stderr,
                )
            elif model.interrupted:
                print(
                    f"{model.stop_reason}; nothing was saved (--checkpoint-dir DIR keeps "
                    "backups of a run, and --resume continues it)",
                    file=sys.stderr,
                )
            raise  # the command line exits with 130
        stopper = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
        if root and stopper is not None and stopper.best_epoch is not None:
            where = (
                f"stopped after epoch {stopper.stopped_epoch + 1}; "
                if stopper.stopped_epoch
                else ""
            )
            print(
                f"{where}kept the weights of epoch {stopper.best_epoch + 1} "
                f"(best val_loss {stopper.best:.4f})"
            )
        _refuse_divergence(history.stop_reason if history.diverged else None, args)
        if data.task == "regress":
            _fold_target_scaling(model, y_mean, y_std)
        return model, history

    def score(model: Any, parts: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
        """Every part's loss and metrics with the model's final weights, printed."""
        metrics: dict[str, float] = {}
        prefixes = {"training": "", "validation": "val_", "test": "test_"}
        for name, (x, y) in parts.items():
            with np.errstate(over="ignore", invalid="ignore"):  # a diverged model: refused below
                logs = model.evaluate(x, y, return_dict=True)
            bad = [key for key, value in logs.items() if not np.isfinite(value)]
            if bad:
                _refuse_divergence(f"the {name} {bad[0]} is {logs[bad[0]]}", args)
            if root:
                print(f"{name + ':':<12}{format_metrics(logs)}")
            metrics.update({prefixes[name] + key: value for key, value in logs.items()})
        return metrics

    model, history = train_on(parts, epochs, callbacks)
    metrics = score(model, parts)
    stopper = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
    if refit and stopper is not None and stopper.best_epoch is not None:
        # The validation rows chose the epoch count; now a fresh network learns from every
        # row for that many epochs, its preprocessing fitted on every row too. The validation
        # figures saved are the first run's, the only honest ones.
        best = stopper.best_epoch + 1
        if root:
            print(
                f"refit: training a fresh network on all {len(data.x)} rows for {best} epochs "
                "(the best epoch on validation; --no-refit keeps the first run's weights)"
            )
        parts, scaler = _split_and_standardize(data, 0.0, args.seed)
        model, _ = train_on(parts, best, [])  # the plot shows the first run's curves
        kept = {key: value for key, value in metrics.items() if key.startswith("val_")}
        metrics = {**score(model, parts), **kept}

    # 5. Write the outputs, only now that everything worked.
    if root:
        _save_outputs(model, history, data, scaler, metrics, out, plot)
        print(f"saved the model to {out}" + (f" and the curves to {plot}" if plot else ""))
    return 0
