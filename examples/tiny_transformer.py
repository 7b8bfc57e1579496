"""The smallest GPT: a two-layer causal transformer that learns English words from the
dictionary, one character at a time, compared with an LSTM of about the same number of weights.

    python examples/tiny_transformer.py            # the full run (a few minutes on 2 cores)
    python examples/tiny_transformer.py --quick    # a small, fast setting (what the test runs)

The data is the word list /usr/share/dict/american-english (Debian's ``wamerican``) in its own
order, alphabetical, read as one stream: ``<bos> aback <eos> abacus <eos> abacuses <eos> ...``.
Both models read windows of ``--context`` characters and predict, at every position, the one
that comes next. The list is cut into blocks of 100 consecutive words and a seeded tenth of the
blocks is kept apart for validation (scored in windows that do not overlap), so the validation
words are never seen, but their neighbours in the dictionary are like them, as in any sorted list.

Why a transformer wins here: in the dictionary a word mostly starts as the one before it
(abandon, abandoned, abandoning, abandonment). Attention can look back at the previous word
and copy it: with two layers, one head can find where the current word's start matched the last
word, and the next layer's head can read off the character that followed there (an "induction
head", the smallest circuit that copies, and the reason for two layers). The LSTM has to carry
the previous word in its fixed-size state, letter by letter, and copies it much less well.

The transformer (nanoGPT's shape, shrunk):
    ids (B, T) -> token embedding + learned position embedding (B, T, d)
    -> 2 x TransformerEncoderLayer(d, heads, 4d, ReLU, pre-norm) with a causal mask
    -> LayerNorm -> Linear(d, vocabulary): the next character's scores (B, T, V).
The LSTM: ids -> embedding -> one LSTM layer -> Linear(hidden, vocabulary), its hidden size
chosen so that both models have about as many parameters. Both train with Adam on the same
batches for the same number of steps and the same learning-rate schedule (a linear warm-up,
then a cosine decay to a tenth); the table at the end gives each model's validation
cross-entropy in nats per character (lower is better; ln V is what a uniform guess scores),
and then each model, shown three held-out words, invents eight candidates for the next one.
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

    context: int = 64  # characters a window holds (the attention's length T): about 7 words
    width: int = 64  # d_model of the transformer
    heads: int = 8
    layers: int = 2
    batch_size: int = 16  # windows a step (1,024 characters)
    steps: int = 3000
    learning_rate: float = 1e-2  # the peak, reached after the warm-up
    warmup: int = 300  # steps of linear warm-up
    words: int | None = None  # None: the whole list
    block: int = 100  # consecutive words that go to training or validation together
    seed: int = 0


QUICK = Settings(
    context=32, width=32, heads=2, steps=600, warmup=60, words=4000
)  # fmt: skip


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


def dictionary_blocks(settings: Settings) -> list[list[str]]:
    """The word list in its order, cut into blocks of ``settings.block`` consecutive words
    (with ``settings.words``, every k-th block, so that the words are spread over the list)."""
    words = text.load_words()
    blocks = [words[i : i + settings.block] for i in range(0, len(words), settings.block)]
    if settings.words is not None:
        keep = max(1, settings.words // settings.block)
        blocks = blocks[:: max(1, len(blocks) // keep)][:keep]
    return blocks


def split_blocks(
    blocks: list[list[str]], seed: int, fraction: float = 0.1
) -> tuple[list[list[str]], list[list[str]]]:
    """A seeded ``fraction`` of the blocks for validation, the rest for training, each part
    in the dictionary's order."""
    rng = np.random.default_rng(seed)
    held = set(rng.choice(len(blocks), max(1, round(fraction * len(blocks))), replace=False))
    return (
        [block for i, block in enumerate(blocks) if i not in held],
        [block for i, block in enumerate(blocks) if i in held],
    )


def stream(blocks: list[list[str]], vocab: text.CharVocab) -> np.ndarray:
    """``<bos> word <eos> word <eos> ...``: every block's words in order, as one array of ids."""
    ids = [[vocab.bos]] + [[*vocab.encode(w), vocab.eos] for block in blocks for w in block]
    return np.concatenate(ids).astype(np.int64)


def mean_cross_entropy(logits: Tensor, targets: np.ndarray) -> Tensor:
    """The mean cross-entropy of the next character over every position of the batch."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def learning_rate_at(step: int, settings: Settings) -> float:
    """A linear warm-up to the peak, then a cosine decay to a tenth of it at the last step."""
    if step < settings.warmup:
        return settings.learning_rate * (step + 1) / settings.warmup
    progress = (step - settings.warmup) / max(1, settings.steps - settings.warmup)
    return settings.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def nats_per_char(
    model: nn.Module, ids: np.ndarray, context: int, windows: int | None = None, batch: int = 64
) -> float:
    """The mean cross-entropy of the next character over the windows of ``context`` characters
    that tile ``ids`` (each window read from a fresh start, as in training); with ``windows``,
    about that many of them, evenly spread."""
    x, y = text.make_windows(ids, context)
    if windows is not None:
        x, y = x[:: max(1, len(x) // windows)], y[:: max(1, len(y) // windows)]
    model.eval()
    total = 0.0
    with no_grad():
        for start in range(0, len(x), batch):
            loss = mean_cross_entropy(model(x[start : start + batch]), y[start : start + batch])
            total += float(loss.item()) * y[start : start + batch].size
    model.train()
    return total / y.size


def train(model: nn.Module, ids: np.ndarray, settings: Settings) -> float:
    """``settings.steps`` Adam steps on windows cut at seeded random places of ``ids``;
    returns the seconds taken."""
    rng = np.random.default_rng(settings.seed)  # the same batches for every model
    optimizer = optim.Adam(model.parameters(), learning_rate=settings.learning_rate)
    offsets = np.arange(settings.context)
    started = time.perf_counter()
    for step in range(settings.steps):
        optimizer.learning_rate = learning_rate_at(step, settings)
        starts = rng.integers(0, ids.size - settings.context, settings.batch_size)
        inputs, targets = ids[starts[:, None] + offsets], ids[starts[:, None] + offsets + 1]
        loss = mean_cross_entropy(model(inputs), targets)  # logits (B, T, V)
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
    return time.perf_counter() - started


def invent(
    model: nn.Module, vocab: text.CharVocab, prompt: list[str], context: int, seed: int
) -> list[str]:
    """Eight candidates for the word after ``prompt`` (held-out words in dictionary order),
    drawn at temperature 0.8; the model reads at most its context."""
    model.eval()
    before = np.concatenate([[*vocab.encode(w), vocab.eos] for w in prompt]).astype(np.int64)

    def step(ids: np.ndarray, state: Any) -> tuple[np.ndarray, None]:
        # ids: <bos> and what was drawn so far; the prompt goes between them, as in the stream
        rows = np.tile(before, (len(ids), 1))
        full = np.concatenate([ids[:, :1], rows, ids[:, 1:]], axis=1)
        with no_grad():
            logits = model(full[:, -context:])
        return logits.data[:, -1], None

    words = text.sample(step, vocab, n=8, temperature=0.8, seed=seed, max_length=30)
    model.train()
    return words


# 4. The run ----------------------------------------------------------------------------------


def run(settings: Settings) -> dict[str, Any]:
    humblenet.manual_seed(settings.seed)
    blocks = dictionary_blocks(settings)
    vocab = text.CharVocab.from_texts(w for block in blocks for w in block)
    train_blocks, validation_blocks = split_blocks(blocks, settings.seed)
    ids, validation_ids = stream(train_blocks, vocab), stream(validation_blocks, vocab)
    prompt = validation_blocks[0][:3]

    gpt = TinyGPT(len(vocab), settings)
    budget = gpt.count_params()
    embedding = settings.width // 2
    lstm = CharLSTM(
        len(vocab), embedding, lstm_hidden_for(budget, len(vocab), embedding), settings.seed
    )
    results: dict[str, Any] = {"settings": settings, "vocab": len(vocab), "rows": []}
    for name, model in [("transformer", gpt), ("LSTM", lstm)]:
        seconds = train(model, ids, settings)
        results["rows"].append(
            {
                "model": name,
                "parameters": model.count_params(),
                "validation": nats_per_char(model, validation_ids, settings.context),
                "train": nats_per_char(  # as many windows as validation has, spread out
                    model, ids, settings.context, validation_ids.size // settings.context
                ),
                "seconds": seconds,
                "words": invent(model, vocab, prompt, settings.context, settings.seed),
            }
        )
    results["uniform"] = math.log(len(vocab))
    results["characters"] = (ids.size, validation_ids.size)
    results["prompt"] = prompt
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
        f"batch {s.batch_size} windows, {s.steps} Adam steps, learning rate {s.learning_rate} "
        f"({s.warmup} warm-up steps, cosine decay to a tenth), gradient norm clipped at 1, "
        f"seed {s.seed}"
    )
    print(f"{'model':12s} {'parameters':>10s} {'train':>8s} {'validation':>11s} {'seconds':>8s}")
    for row in results["rows"]:
        print(
            f"{row['model']:12s} {row['parameters']:10,d} {row['train']:8.3f} "
            f"{row['validation']:11.3f} {row['seconds']:8.1f}"
        )
    print(f"after the held-out words {', '.join(results['prompt'])}:")
    for row in results["rows"]:
        print(f"{row['model']} invents: {', '.join(row['words'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
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
