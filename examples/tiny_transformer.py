"""The smallest GPT: a four-layer causal transformer that learns to spell English words, one
character at a time, compared with an LSTM of about the same number of weights.

    python examples/tiny_transformer.py            # the full run (a few minutes on 2 cores)
    python examples/tiny_transformer.py --quick    # a small, fast setting (what the test runs)

The data is the word list /usr/share/dict/american-english (Debian's ``wamerican``): each word
is one row, ``<bos> c h a r s`` in and ``c h a r s <eos>`` out, padded to ``--context``
positions (the longest word has 22 letters); a model reads a row and predicts, at every
position, the character that comes next, and the padding is left out of the loss. 10% of the
words are kept apart for validation. (Cutting one stream of all words into windows, the way
to train on running text, mixes the end of one word with the start of an unrelated one; a
learned position embedding then has to find where the word starts, which the LSTM's state
does for free. One word a row gives both models the same clean start.)

The transformer (nanoGPT's shape, shrunk):
    ids (B, T) -> token embedding + learned position embedding (B, T, d)
    -> 4 x TransformerEncoderLayer(d, heads, 4d, pre-norm) with a causal mask
    -> LayerNorm -> Linear(d, vocabulary): the next character's scores (B, T, V).
The LSTM: ids -> embedding -> one LSTM layer -> Linear(hidden, vocabulary), its hidden size
chosen so that both models have about as many parameters. Both train with Adam on the same
batches for the same number of steps and the same learning-rate schedule (a linear warm-up,
then a cosine decay to a tenth); the table at the end gives each model's validation
cross-entropy in nats per character (lower is better; ln V is what a uniform guess scores),
and then each invents a few words.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

import humblenet
from humblenet import Tensor, nn, no_grad, optim, recurrent
from humblenet import functional as F
from humblenet.data import text


@dataclass
class Settings:
    """Everything that sets a run (printed above the table)."""

    context: int = 24  # positions a row holds (the attention's length T): <bos> + 22 letters
    width: int = 48  # d_model of the transformer
    heads: int = 4
    layers: int = 4
    batch_size: int = 64  # words a step
    steps: int = 3000
    learning_rate: float = 6e-3  # the peak, reached after the warm-up
    warmup: int = 100  # steps of linear warm-up
    words: int | None = None  # None: the whole list
    seed: int = 0


QUICK = Settings(
    width=32, heads=2, layers=2, batch_size=32, steps=150, learning_rate=3e-3, warmup=15, words=4000
)


# 1. The models -------------------------------------------------------------------------------


class TinyGPT(nn.Module):
    """Token + position embedding, causal encoder layers, a final norm and a linear head."""

    def __init__(self, vocab_size: int, settings: Settings) -> None:
        d, t = settings.width, settings.context
        self.token = nn.Embedding(vocab_size, d, seed=settings.seed)
        self.position = nn.Embedding(t, d, seed=settings.seed + 1)
        layer = nn.TransformerEncoderLayer(
            d,
            settings.heads,
            4 * d,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
            seed=settings.seed + 2,
        )
        # Each layer its own start (torch's TransformerEncoder would copy one layer's weights).
        self.blocks = nn.ModuleList(
            [layer]
            + [
                nn.TransformerEncoderLayer(
                    d,
                    settings.heads,
                    4 * d,
                    dropout=0.0,
                    batch_first=True,
                    norm_first=True,
                    seed=settings.seed + 3 + i,
                )
                for i in range(settings.layers - 1)
            ]
        )
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab_size, seed=settings.seed + 9)
        self.mask = nn.generate_square_subsequent_mask(t)  # -inf above the diagonal

    def forward(self, ids: Any) -> Tensor:
        ids = np.asarray(getattr(ids, "data", ids))
        t = ids.shape[1]
        x = self.token(ids) + self.position(np.arange(t))  # (B, T, d)
        mask = self.mask[:t, :t]
        for block in self.blocks.layers:
            x = block(x, src_mask=mask, is_causal=True)  # each position sees itself and before
        return self.head(self.norm(x))  # (B, T, V)


class CharLSTM(nn.Module):
    """Embedding, one LSTM layer, a linear head: the recurrent model to compare with. The LSTM
    is humblenet's ``recurrent.lstm_layer`` with torch's weight names and initialisation."""

    def __init__(self, vocab_size: int, embedding: int, hidden: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        bound = 1 / math.sqrt(hidden)

        def uniform(*shape: int) -> nn.Parameter:
            return nn.Parameter(rng.uniform(-bound, bound, shape).astype(np.float32))

        self.token = nn.Embedding(vocab_size, embedding, seed=seed)
        self.weight_ih_l0 = uniform(4 * hidden, embedding)
        self.weight_hh_l0 = uniform(4 * hidden, hidden)
        self.bias_ih_l0 = uniform(4 * hidden)
        self.bias_hh_l0 = uniform(4 * hidden)
        self.head = nn.Linear(hidden, vocab_size, seed=seed + 2)

    def forward(self, ids: Any) -> Tensor:
        ids = np.asarray(getattr(ids, "data", ids))
        x = self.token(ids).permute(1, 0, 2)  # (T, B, e): the recurrence runs over time first
        packed = recurrent.lstm_layer(
            x, self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0
        )
        out = packed[: ids.shape[1]].permute(1, 0, 2)  # (B, T, hidden); the last row is c_T
        return self.head(out)


def lstm_hidden_for(budget: int, vocab_size: int, embedding: int) -> int:
    """The hidden size whose LSTM model has closest to ``budget`` parameters:
    ``V e + 4 h (e + h) + 8 h + h V + V`` (torch's LSTM has two bias vectors)."""

    def count(h: int) -> int:
        return (
            vocab_size * embedding + 4 * h * (embedding + h) + 8 * h + h * vocab_size + vocab_size
        )

    return min(range(4, 1024), key=lambda h: abs(count(h) - budget))


# 2. Data, training, evaluation ---------------------------------------------------------------


def word_rows(words: list[str], vocab: text.CharVocab, context: int) -> tuple[np.ndarray, ...]:
    """One row a word: inputs ``<bos> c h a r s`` and targets ``c h a r s <eos>``, both
    ``(N, context)``; past the word the input repeats ``<eos>`` and the target is -1 (left out
    of the loss). A causal model's real positions never see the padding, which comes after."""
    x = np.full((len(words), context), vocab.eos, dtype=np.int64)
    y = np.full((len(words), context), -1, dtype=np.int64)
    for row, word in enumerate(words):
        ids = np.concatenate([[vocab.bos], vocab.encode(word), [vocab.eos]])[: context + 1]
        x[row, : len(ids) - 1] = ids[:-1]
        y[row, : len(ids) - 1] = ids[1:]
    return x, y


def masked_cross_entropy(logits: Tensor, targets: np.ndarray) -> tuple[Tensor, int]:
    """The summed cross-entropy over the positions whose target is a character (not -1), and
    how many there are."""
    flat = targets.reshape(-1)
    keep = flat >= 0
    per_position = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), np.where(keep, flat, 0), reduction="none"
    )
    return (per_position * keep.astype(per_position.dtype)).sum(), int(keep.sum())


def trimmed(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows cut after the batch's longest word: the padding past it changes no real
    position's output (it comes after them), so this only saves time (about a third)."""
    length = int((y >= 0).sum(axis=1).max())
    return x[:, :length], y[:, :length]


def learning_rate_at(step: int, settings: Settings) -> float:
    """A linear warm-up to the peak, then a cosine decay to a tenth of it at the last step."""
    if step < settings.warmup:
        return settings.learning_rate * (step + 1) / settings.warmup
    progress = (step - settings.warmup) / max(1, settings.steps - settings.warmup)
    return settings.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def nats_per_char(model: nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 256) -> float:
    """The mean cross-entropy of the next character over every real position of ``x``."""
    model.eval()
    total, count = 0.0, 0
    with no_grad():
        for start in range(0, len(x), batch):
            inputs, targets = trimmed(x[start : start + batch], y[start : start + batch])
            loss, n = masked_cross_entropy(model(inputs), targets)
            total += float(loss.item())
            count += n
    model.train()
    return total / count


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, settings: Settings) -> float:
    """``settings.steps`` Adam steps on seeded random batches; returns the seconds taken."""
    rng = np.random.default_rng(settings.seed)  # the same batches for every model
    optimizer = optim.Adam(model.parameters(), learning_rate=settings.learning_rate)
    started = time.perf_counter()
    for step in range(settings.steps):
        optimizer.learning_rate = learning_rate_at(step, settings)
        rows = rng.integers(0, len(x), settings.batch_size)
        inputs, targets = trimmed(x[rows], y[rows])
        total, count = masked_cross_entropy(model(inputs), targets)  # logits (B, T, V)
        loss = total / count  # the mean over the batch's characters
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
    return time.perf_counter() - started


def invent(model: nn.Module, vocab: text.CharVocab, context: int, seed: int) -> list[str]:
    """Eight words drawn at temperature 0.8 (the model reads at most its context)."""
    model.eval()

    def step(ids: np.ndarray, state: Any) -> tuple[np.ndarray, None]:
        with no_grad():
            logits = model(ids[:, -context:])
        return logits.data[:, -1], None

    words = text.sample(step, vocab, n=8, temperature=0.8, seed=seed, max_length=context - 1)
    model.train()
    return words


# 4. The run ----------------------------------------------------------------------------------


def run(settings: Settings) -> dict[str, Any]:
    humblenet.manual_seed(settings.seed)
    words = text.load_words()
    if settings.words is not None:
        words = words[:: max(1, len(words) // settings.words)][: settings.words]
    train_words, validation_words = text.split_documents(words, 0.1, seed=settings.seed)
    vocab = text.CharVocab.from_texts(words)
    x, y = word_rows(train_words, vocab, settings.context)
    vx, vy = word_rows(validation_words, vocab, settings.context)

    gpt = TinyGPT(len(vocab), settings)
    budget = gpt.count_params()
    embedding = settings.width // 2
    lstm = CharLSTM(
        len(vocab), embedding, lstm_hidden_for(budget, len(vocab), embedding), settings.seed
    )
    results: dict[str, Any] = {"settings": settings, "vocab": len(vocab), "rows": []}
    for name, model in [("transformer", gpt), ("LSTM", lstm)]:
        seconds = train(model, x, y, settings)
        results["rows"].append(
            {
                "model": name,
                "parameters": model.count_params(),
                "validation": nats_per_char(model, vx, vy),
                "train": nats_per_char(model, x[: len(vx)], y[: len(vy)]),
                "seconds": seconds,
                "words": invent(model, vocab, settings.context, settings.seed),
            }
        )
    results["uniform"] = math.log(len(vocab))
    results["characters"] = (int((y >= 0).sum()), int((vy >= 0).sum()))
    return results


def report(results: dict[str, Any]) -> None:
    s = results["settings"]
    print(
        f"data: {results['characters'][0]:,} training and {results['characters'][1]:,} "
        f"validation characters, vocabulary {results['vocab']} (uniform guess: "
        f"{results['uniform']:.3f} nats/char)"
    )
    print(
        f"settings: context {s.context}, width {s.width}, heads {s.heads}, layers {s.layers}, "
        f"batch {s.batch_size} words, {s.steps} Adam steps, learning rate {s.learning_rate} "
        f"({s.warmup} warm-up steps, cosine decay to a tenth), gradient norm clipped at 1, "
        f"seed {s.seed}"
    )
    print(f"{'model':12s} {'parameters':>10s} {'train':>8s} {'validation':>11s} {'seconds':>8s}")
    for row in results["rows"]:
        print(
            f"{row['model']:12s} {row['parameters']:10,d} {row['train']:8.3f} "
            f"{row['validation']:11.3f} {row['seconds']:8.1f}"
        )
    for row in results["rows"]:
        print(f"{row['model']} invents: {', '.join(row['words'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast setting")
    parser.add_argument("--steps", type=int, help="Adam steps per model")
    parser.add_argument("--learning-rate", type=float, help="the peak learning rate of both")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = QUICK if args.quick else Settings()
    if args.steps is not None:
        settings.steps = args.steps
    if args.learning_rate is not None:
        settings.learning_rate = args.learning_rate
    settings.seed = args.seed
    try:
        results = run(settings)
    except FileNotFoundError as error:  # the word list is not installed: say how to get it
        raise SystemExit(f"tiny_transformer: {error}") from None
    report(results)


if __name__ == "__main__":
    main()
