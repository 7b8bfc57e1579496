"""``humblenet train-text FILE``: train a character model on a text file or the word list, save
it with its vocabulary, and print a few invented words or lines."""

from __future__ import annotations

import argparse
import math
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from humblenet import functional as F
from humblenet import optim, validation
from humblenet.cli._common import (
    UserError,
    add_command,
    check_output,
    real_number,
    user_input,
    whole_number,
)
from humblenet.cli._model import _build_char_network
from humblenet.cli._text import TEXT_TASK, invent, text_metadata
from humblenet.data import text
from humblenet.tensor import no_grad

MODELS = ("lstm", "gru", "rnn")
CLIP = 1.0  # the gradient's norm is clipped to this: a recurrent network's steadies at once

DESCRIPTION = """\
Train a character model on a text file or on the word list, and save it to one file.

FILE is a UTF-8 text file, one document per line (a word list, names, lines of verse), or
`words`: the word list /usr/share/dict/american-english (see: humblenet datasets; a file
named words is ./words). Each line becomes <bos> its characters <eos>; the lines are joined
into one stream, cut into windows of --context characters, and the model learns to predict
each next character:
  ids -> Embedding(--embedding) -> --model (--hidden units, --layers) -> Linear -> scores.
--validation-split of the lines (chosen at random, --seed) are kept apart; their
cross-entropy in nats per character is printed after each epoch (lower is better; ln of the
vocabulary size is a uniform guess). Training is Adam with the gradient's norm clipped at 1.

The model file keeps the vocabulary and the settings sample needs; `humblenet sample MODEL`
invents text from it, `humblenet info MODEL` describes it.

defaults: --model lstm, --embedding 32, --hidden 128, --layers 1, --context 32, --epochs 3,
  --batch-size 64, --learning-rate 0.003, --validation-split 0.1, --seed 0,
  --out model.safetensors

examples:
  humblenet train-text words --epochs 3
  humblenet train-text names.txt --hidden 64 --epochs 20 --out names.safetensors
  humblenet sample model.safetensors --n 10 --temperature 0.8"""


def register(commands: Any) -> None:
    """Add ``train-text`` and its arguments to the sub-commands."""
    parser = add_command(
        commands,
        "train-text",
        run,
        "train a character model on a text file or the word list",
        DESCRIPTION,
        "",
    )
    parser.add_argument(
        "file", metavar="FILE", help="a UTF-8 text file (one document per line), or: words"
    )
    parser.add_argument("--model", choices=MODELS, default="lstm", help="the recurrent layer")
    for flag, default, what in [
        ("--embedding", 32, "the size of each character's vector"),
        ("--hidden", 128, "the recurrent layer's units"),
        ("--layers", 1, "recurrent layers stacked"),
        ("--context", 32, "characters per training window"),
        ("--epochs", 3, "passes over the training windows"),
        ("--batch-size", 64, "windows per step"),
    ]:
        parser.add_argument(
            flag,
            type=whole_number(flag, minimum=1),
            default=default,
            metavar="N",
            help=f"{what} ({default})",
        )
    parser.add_argument(
        "--learning-rate",
        type=real_number("--learning-rate", validation.positive, "a finite number > 0, e.g. 0.003"),
        default=3e-3,
        metavar="X",
        help="Adam's step size (0.003)",
    )
    parser.add_argument(
        "--validation-split",
        type=real_number("--validation-split", validation.fraction, "a number in [0, 1)"),
        default=0.1,
        metavar="F",
        help="the part of the lines kept for validation; 0: none (0.1)",
    )
    parser.add_argument(
        "--seed",
        type=whole_number("--seed", minimum=0),
        default=0,
        help="seeds the split, the weights, the batch order and the printed samples (0)",
    )
    parser.add_argument(
        "--out",
        default="model.safetensors",
        metavar="FILE",
        help="where to save the model (model.safetensors)",
    )


def _without_origin(error: Exception) -> str:
    """The message of an error from ``humblenet.data.text`` without the function's name in
    front (``"load_lines: ..."``), which means nothing on the command line."""
    return re.sub(r"^[A-Za-z_][A-Za-z0-9_.]*: ", "", str(error), count=1)


def _documents(spec: str) -> tuple[list[str], str]:
    """The documents of FILE and what one is (``"words"`` or ``"lines"``)."""
    if spec != "words":
        path = Path(spec).expanduser()
        if path.is_dir():
            raise UserError(f"FILE {spec} is a folder; give a text file, one document per line")
        if not path.is_file():
            raise UserError(
                f"no file {spec}; give a text file (one document per line) or `words` for the "
                "word list"
            )
    # Not installed (FileNotFoundError: says how), not UTF-8 or empty (ValueError).
    try:
        documents = text.load_documents(spec)
    except (FileNotFoundError, ValueError) as error:
        message = _without_origin(error)
        if "has no text" in message or "holds no words" in message:
            message += "; give a text file with one document per line"
        raise UserError(message) from error
    # NUL and other control characters do not occur in text: such a file is binary.
    control = sorted({c for document in documents for c in document if ord(c) < 32} - {"\t"})
    if control:
        raise UserError(
            f"{spec} holds control characters ({', '.join(f'U+{ord(c):04X}' for c in control)}): "
            "it looks like a binary file; give a UTF-8 text file, one document per line"
        )
    return documents, "words" if spec == "words" else "lines"


def _split(documents: list[str], args: argparse.Namespace) -> tuple[list[str], list[str] | None]:
    if args.validation_split == 0:
        return documents, None
    try:
        return text.split_documents(documents, args.validation_split, seed=args.seed)
    except ValueError as error:
        message = _without_origin(error)
        raise UserError(f"{message}; add lines or give --validation-split 0") from error


def _windows(
    documents: list[str], vocab: text.CharVocab, context: int, part: str
) -> tuple[np.ndarray, np.ndarray]:
    stream = text.encode_documents(documents, vocab)
    if stream.size <= context:
        raise UserError(
            f"the {part} lines hold {stream.size} characters and markers in all, too few for "
            f"one window of --context {context} (+1 to predict); give a smaller --context (at "
            f"most {stream.size - 1}) or more text"
        )
    return text.make_windows(stream, context)


def nats_per_char(model: Any, x: np.ndarray, y: np.ndarray, batch: int = 512) -> float:
    """The mean cross-entropy of the next character over every position of ``x``."""
    model.eval()
    total = 0.0
    with no_grad():
        for start in range(0, len(x), batch):
            scores = model(x[start : start + batch])
            loss = F.cross_entropy(
                scores.reshape(-1, scores.shape[-1]),
                y[start : start + batch].reshape(-1),
                reduction="sum",
            )
            total += float(loss.item())
    model.train()
    return total / y.size


def _epoch(
    model: Any, optimizer: Any, x: np.ndarray, y: np.ndarray, epoch: int, args: argparse.Namespace
) -> float:
    """One pass over the windows in a seeded order; the mean training loss, in nats/char."""
    order = np.random.default_rng([args.seed, epoch]).permutation(len(x))
    total = 0.0
    for start in range(0, len(x), args.batch_size):
        rows = order[start : start + args.batch_size]
        scores = model(x[rows])  # (B, T, V); each window starts from a zero state
        loss = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), y[rows].reshape(-1))
        value = float(loss.item())
        _refuse_divergence(value, epoch, args)
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm(model.parameters(), CLIP)
        optimizer.step()
        total += value * len(rows)
    weights = (float(np.abs(p.data).max()) for p in model.parameters())
    _refuse_divergence(max(weights), epoch, args)
    return total / len(x)


def _refuse_divergence(
    value: float, epoch: int, args: argparse.Namespace, limit: float = math.inf
) -> None:
    """A run whose loss or weights became NaN or infinite, or whose training loss ends an epoch
    above ``limit``, saves nothing: say what to lower."""
    if not math.isfinite(value) or value > limit:
        raise UserError(
            f"training diverged: the loss or a weight became {value:.4g} in epoch {epoch + 1}; "
            f"nothing was saved. Lower --learning-rate (now {args.learning_rate:g}), e.g. to "
            "0.001"
        )


def run(args: argparse.Namespace) -> int:
    """Train, print each epoch's losses and a few invented texts, save the model."""
    # 1. Check everything that can be checked before any work.
    inputs = [("FILE", args.file if args.file != "words" else None)]
    out = check_output(
        args.out, "--out", suffixes=(".safetensors",), kind="the model", inputs=inputs
    )
    documents, kind = _documents(args.file)
    vocab = text.CharVocab.from_texts(documents)
    train_docs, validation_docs = _split(documents, args)
    x, y = _windows(train_docs, vocab, args.context, "training")
    vx, vy = (None, None)
    if validation_docs is not None:
        vx, vy = _windows(validation_docs, vocab, args.context, "validation")

    # 2. Train.
    model = _build_char_network(
        args.model, len(vocab), args.embedding, args.hidden, args.layers, args.seed
    )
    model.build((args.context,))
    optimizer = optim.Adam(model.parameters(), learning_rate=args.learning_rate)
    noun = kind if len(documents) != 1 else kind[:-1]  # "1 line", "2 lines"
    print(
        f"training a character {args.model} ({model.count_params():,} parameters) on "
        f"{args.file}: {len(documents):,} {noun}, vocabulary {len(vocab)} (uniform guess "
        f"{math.log(len(vocab)):.3f} nats/char), {y.size:,} training characters"
    )
    metrics: dict[str, float] = {}
    for epoch in range(args.epochs):
        started = time.perf_counter()
        # A diverging run overflows float32 on its way to an infinite loss: that is checked
        # after every step and epoch and reported as a divergence, not as NumPy's warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            metrics["nats_per_char"] = _epoch(model, optimizer, x, y, epoch, args)
            # Training starts near the uniform guess, ln V: ten times that is no model at all
            # (a learning rate of 1e30 ends its first epoch at 1e31 nats/char, still finite).
            _refuse_divergence(metrics["nats_per_char"], epoch, args, 10 * math.log(len(vocab)))
            line = f"epoch {epoch + 1}/{args.epochs}: training {metrics['nats_per_char']:.4f}"
            if vx is not None and vy is not None:
                metrics["val_nats_per_char"] = nats_per_char(model, vx, vy)
                _refuse_divergence(metrics["val_nats_per_char"], epoch, args)
                line += f", validation {metrics['val_nats_per_char']:.4f}"
        print(f"{line} nats/char ({time.perf_counter() - started:.1f} s)")

    # 3. Draw a few texts (the same draws as `humblenet sample OUT` from the saved file), save.
    preprocessing = text_metadata(vocab, args.context, documents, kind)
    samples = invent(
        model,
        vocab,
        args.context,
        n=10,
        temperature=0.8,
        seed=0,
        max_length=preprocessing["max_length"],
    )
    with user_input(OSError, ImportError):
        model.save(
            out,
            preprocessing=preprocessing,
            task=TEXT_TASK,
            dataset=args.file if kind == "words" else Path(args.file).name,
            metrics=metrics,
        )
    print(f"saved the model to {out}")
    print(f"invented (humblenet sample {out} --n 10 --temperature 0.8 --seed 0):")
    for sample in samples:
        print(f"  {sample}")
    return 0
