"""The smallest GPT: a two-layer causal transformer that learns to spell English words, one
character at a time, compared with an LSTM of about the same number of weights.

    python examples/tiny_transformer.py            # the full run (a few minutes on 2 cores)
    python examples/tiny_transformer.py --quick    # a small, fast setting (what the test runs)

The data is the word list /usr/share/dict/american-english (Debian's ``wamerican``): each word
becomes ``<bos> c h a r s <eos>``, the words are joined into one stream, and the stream is cut
into windows of ``--context`` characters; a model reads a window and predicts, at every
position, the character that comes next. 10% of the words are kept apart for validation.

The transformer (nanoGPT's shape, shrunk):
    ids (B, T) -> token embedding + learned position embedding (B, T, d)
    -> 2 x TransformerEncoderLayer(d, heads, 4d, pre-norm) with a causal mask
    -> LayerNorm -> Linear(d, vocabulary): the next character's scores (B, T, V).
The LSTM: ids -> embedding -> one LSTM layer -> Linear(hidden, vocabulary), its hidden size
chosen so that both models have about as many parameters. Both train with Adam on the same
batches for the same number of steps; the table at the end gives each model's validation
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
from humblenet import Tensor, nn, no_grad, optim
from humblenet import functional as F
from humblenet.data import text


@dataclass
class Settings:
    """Everything that sets a run (printed above the table)."""

    context: int = 32  # characters a window holds (the attention's length T)
    width: int = 64  # d_model of the transformer
    heads: int = 4
    layers: int = 2
    batch_size: int = 32
    steps: int = 1500
    learning_rate: float = 3e-3
    words: int | None = None  # None: the whole list
    seed: int = 0


QUICK = Settings(context=16, width=32, heads=2, batch_size=32, steps=150, words=4000)


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
    """Embedding, one LSTM layer, a linear head: the recurrent model to compare with."""

    def __init__(self, vocab_size: int, embedding: int, hidden: int, seed: int) -> None:
        self.token = nn.Embedding(vocab_size, embedding, seed=seed)
        self.lstm = nn.LSTM(embedding, hidden, batch_first=True, seed=seed + 1)
        self.head = nn.Linear(hidden, vocab_size, seed=seed + 2)

    def forward(self, ids: Any) -> Tensor:
        ids = np.asarray(getattr(ids, "data", ids))
        out, _ = self.lstm(self.token(ids))  # (B, T, hidden)
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


def windows(words: list[str], vocab: text.CharVocab, context: int) -> tuple[np.ndarray, ...]:
    return text.make_windows(text.encode_documents(words, vocab), context)


def nats_per_char(model: nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 256) -> float:
    """The mean cross-entropy of the next character over every position of ``x``."""
    model.eval()
    total = 0.0
    with no_grad():
        for start in range(0, len(x), batch):
            logits = model(x[start : start + batch])
            targets = y[start : start + batch].reshape(-1)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets, reduction="sum")
            total += float(loss.item())
    model.train()
    return total / y.size


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, settings: Settings) -> float:
    """``settings.steps`` Adam steps on seeded random batches; returns the seconds taken."""
    rng = np.random.default_rng(settings.seed)  # the same batches for every model
    optimizer = optim.Adam(model.parameters(), learning_rate=settings.learning_rate)
    started = time.perf_counter()
    for step in range(settings.steps):
        # 3. the learning rate decays linearly to a tenth, which steadies the last steps
        optimizer.learning_rate = settings.learning_rate * (1 - 0.9 * step / settings.steps)
        rows = rng.integers(0, len(x), settings.batch_size)
        logits = model(x[rows])  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[rows].reshape(-1))
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
    x, y = windows(train_words, vocab, settings.context)
    vx, vy = windows(validation_words, vocab, settings.context)

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
    results["characters"] = (int(y.size), int(vy.size))
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
        f"batch {s.batch_size}, {s.steps} Adam steps, learning rate {s.learning_rate} "
        f"(linear decay to a tenth), gradient norm clipped at 1, seed {s.seed}"
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
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = QUICK if args.quick else Settings()
    if args.steps is not None:
        settings.steps = args.steps
    settings.seed = args.seed
    try:
        results = run(settings)
    except FileNotFoundError as error:  # the word list is not installed: say how to get it
        raise SystemExit(f"tiny_transformer: {error}") from None
    report(results)


if __name__ == "__main__":
    main()
