"""A character LSTM that learns to spell English words, then invents new ones.

    python examples/char_lstm_words.py                  # the full run (about 6 minutes, 2 cores)
    python examples/char_lstm_words.py --quick          # a small, fast setting (what a test runs)
    python examples/char_lstm_words.py --compare-torch  # PyTorch beside it (about 10 minutes)

The data is the word list /usr/share/dict/american-english (Debian's ``wamerican``): each word
becomes ``<bos> c h a r s <eos>``, the words are joined into one stream, and the stream is cut
into windows of ``--context`` characters. The model reads a window and predicts, at every
position, the character that comes next:

    ids (B, T) -> Embedding(V, e) (B, T, e) -> LSTM(e, h) (B, T, h) -> Linear(h, V) (B, T, V)

10% of the words are kept apart: the validation cross-entropy (nats per character; lower is
better, ln V is what a uniform guess scores) is measured on them. To invent a word, the model
starts from ``<bos>`` and draws one character at a time from its softmax (divided by a
temperature: below 1 safer choices, above 1 wilder ones) until it draws ``<eos>``; the LSTM
carries its state ``(h, c)`` from one character to the next, so each step reads one character.

With ``--compare-torch`` (PyTorch needed, only then) the same network is built in PyTorch with
humblenet's initial weights copied in (humblenet's layers use torch's names and layout), and
trained on the same batches with the same Adam, learning rate and clipping; the table gives
both validation cross-entropies and their ratio.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from humblenet import Tensor, nn, no_grad, optim
from humblenet import functional as F
from humblenet.data import text


@dataclass
class Settings:
    """Everything that sets a run (printed above the results)."""

    embedding: int = 32  # e: the size of a character's vector
    hidden: int = 128  # h: the LSTM's state size
    layers: int = 1
    context: int = 32  # T: characters per training window
    batch_size: int = 64
    epochs: int = 3
    learning_rate: float = 3e-3
    clip: float = 1.0  # the gradient's norm is clipped to this (steadies the first steps)
    words: int | None = None  # None: the whole list; else every k-th word, this many
    seed: int = 0
    temperature: float = 0.8
    invent: int = 12  # how many words to invent


QUICK = Settings(embedding=16, hidden=48, context=16, batch_size=32, epochs=2, words=6000)


# 1. The model --------------------------------------------------------------------------------


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear. ``forward(ids, state)`` returns the next character's scores
    at every position, ``(B, T, V)``, and the LSTM's final state ``(h, c)``, which the next call
    may continue from."""

    def __init__(self, vocab_size: int, settings: Settings) -> None:
        s = settings
        self.embedding = nn.Embedding(vocab_size, s.embedding, seed=s.seed)
        self.lstm = nn.LSTM(
            s.embedding, s.hidden, num_layers=s.layers, batch_first=True, seed=s.seed + 1
        )
        self.head = nn.Linear(s.hidden, vocab_size, seed=s.seed + 2)

    def forward(self, ids: Any, state: Any = None) -> tuple[Tensor, Any]:
        x = self.embedding(ids)  # (B, T, e)
        out, state = self.lstm(x, state)  # (B, T, h); state: h, c each (layers, B, h)
        return self.head(out), state  # (B, T, V)


# 2. Data, training, evaluation ---------------------------------------------------------------


def load_data(settings: Settings) -> dict[str, Any]:
    """The word list split into training and validation words, as next-character windows."""
    words = text.load_words()
    if settings.words is not None:  # every k-th word: a small set that still spans a..z
        words = words[:: max(1, len(words) // settings.words)][: settings.words]
    train_words, validation_words = text.split_documents(words, 0.1, seed=settings.seed)
    vocab = text.CharVocab.from_texts(words)

    def windows(documents: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return text.make_windows(text.encode_documents(documents, vocab), settings.context)

    x, y = windows(train_words)
    vx, vy = windows(validation_words)
    return {"words": words, "vocab": vocab, "train": (x, y), "validation": (vx, vy)}


def batches(n: int, settings: Settings) -> list[np.ndarray]:
    """Every epoch's batches of row numbers, in a seeded order: both libraries get these."""
    rows = []
    for epoch in range(settings.epochs):
        order = np.random.default_rng([settings.seed, epoch]).permutation(n)
        rows += [order[i : i + settings.batch_size] for i in range(0, n, settings.batch_size)]
    return rows


def nats_per_char(model: CharLSTM, x: np.ndarray, y: np.ndarray, batch: int = 512) -> float:
    """The mean cross-entropy of the next character over every position of ``x``."""
    total = 0.0
    with no_grad():
        for start in range(0, len(x), batch):
            logits, _ = model(x[start : start + batch])
            targets = y[start : start + batch].reshape(-1)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets, reduction="sum")
            total += float(loss.item())
    return total / y.size


def train(model: CharLSTM, x: np.ndarray, y: np.ndarray, settings: Settings) -> float:
    """Adam over ``batches``; returns the seconds taken."""
    optimizer = optim.Adam(model.parameters(), learning_rate=settings.learning_rate)
    started = time.perf_counter()
    for rows in batches(len(x), settings):
        logits, _ = model(x[rows])  # (B, T, V); each window starts from a zero state
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[rows].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm(model.parameters(), settings.clip)
        optimizer.step()
    return time.perf_counter() - started


def invent(model: CharLSTM, vocab: text.CharVocab, settings: Settings) -> list[str]:
    """Words drawn one character at a time, the LSTM's state carried from step to step."""

    def step(context: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        with no_grad():
            logits, state = model(context[:, -1:], state)  # only the newest character
        return logits.data[:, -1], state

    return text.sample(
        step, vocab, n=settings.invent, temperature=settings.temperature, seed=settings.seed
    )


# 3. The same network in PyTorch (only with --compare-torch) -----------------------------------


def torch_twin(model: CharLSTM, settings: Settings) -> Any:
    """PyTorch's Embedding -> LSTM -> Linear with ``model``'s weights (torch's names: the
    state_dict loads with strict=True)."""
    import torch

    class TorchCharLSTM(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            vocab_size = model.embedding.weight.shape[0]
            self.embedding = torch.nn.Embedding(vocab_size, settings.embedding)
            self.lstm = torch.nn.LSTM(
                settings.embedding, settings.hidden, settings.layers, batch_first=True
            )
            self.head = torch.nn.Linear(settings.hidden, vocab_size)

        def forward(self, ids: Any) -> Any:
            out, _ = self.lstm(self.embedding(ids))
            return self.head(out)

    twin = TorchCharLSTM()
    weights = {name: torch.tensor(np.array(t)) for name, t in model.state_dict().items()}
    twin.load_state_dict(weights, strict=True)
    return twin


def torch_train(twin: Any, x: np.ndarray, y: np.ndarray, settings: Settings) -> float:
    """What :func:`train` does, in PyTorch: the same batches, Adam, learning rate, clipping."""
    import torch

    optimizer = torch.optim.Adam(twin.parameters(), lr=settings.learning_rate)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    started = time.perf_counter()
    for rows in batches(len(x), settings):
        index = torch.from_numpy(rows)
        logits = twin(xs[index])
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), ys[index].reshape(-1)
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), settings.clip)
        optimizer.step()
    return time.perf_counter() - started


def torch_nats_per_char(twin: Any, x: np.ndarray, y: np.ndarray, batch: int = 512) -> float:
    import torch

    total = 0.0
    with torch.no_grad():
        for start in range(0, len(x), batch):
            logits = twin(torch.from_numpy(x[start : start + batch]))
            targets = torch.from_numpy(y[start : start + batch]).reshape(-1)
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets, reduction="sum"
            )
            total += float(loss)
    return total / y.size


# 4. The run ----------------------------------------------------------------------------------


def run(settings: Settings, compare_torch: bool = False) -> dict[str, Any]:
    data = load_data(settings)
    (x, y), (vx, vy) = data["train"], data["validation"]
    vocab = data["vocab"]
    model = CharLSTM(len(vocab), settings)
    twin = torch_twin(model, settings) if compare_torch else None  # before any step: same start
    seconds = train(model, x, y, settings)
    results: dict[str, Any] = {
        "settings": settings,
        "vocab": len(vocab),
        "characters": (int(y.size), int(vy.size)),
        "steps": len(batches(len(x), settings)),
        "parameters": model.count_params(),
        "rows": [("humblenet", nats_per_char(model, vx, vy), seconds)],
    }
    if twin is not None:
        seconds = torch_train(twin, x, y, settings)
        results["rows"].append(("PyTorch", torch_nats_per_char(twin, vx, vy), seconds))
    known = set(data["words"])
    results["invented"] = [(word, word in known) for word in invent(model, vocab, settings)]
    results["model"] = model
    return results


def report(results: dict[str, Any]) -> None:
    s = results["settings"]
    print(
        f"data: {results['characters'][0]:,} training and {results['characters'][1]:,} "
        f"validation characters, vocabulary {results['vocab']} (uniform guess: "
        f"{math.log(results['vocab']):.3f} nats/char)"
    )
    print(
        f"settings: embedding {s.embedding}, hidden {s.hidden}, layers {s.layers}, context "
        f"{s.context}, batch {s.batch_size}, {s.epochs} epochs = {results['steps']} Adam steps, "
        f"learning rate {s.learning_rate}, gradient norm clipped at {s.clip}, seed {s.seed}; "
        f"{results['parameters']:,} parameters"
    )
    print(f"{'library':10s} {'validation nats/char':>21s} {'seconds':>8s}")
    for name, validation, seconds in results["rows"]:
        print(f"{name:10s} {validation:21.5f} {seconds:8.1f}")
    if len(results["rows"]) == 2:
        ratio = results["rows"][0][1] / results["rows"][1][1]
        print(f"ratio humblenet / PyTorch: {ratio:.5f}")
    words = [
        (word or "(empty)") + ("*" if in_list else "") for word, in_list in results["invented"]
    ]
    print(
        f"invented (temperature {s.temperature}, seed {s.seed}; * = a word of the list): "
        + ", ".join(words)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--quick", action="store_true", help="a small, fast setting")
    parser.add_argument("--compare-torch", action="store_true", help="train PyTorch's twin too")
    parser.add_argument("--epochs", type=int, help="passes over the training windows")
    parser.add_argument("--hidden", type=int, help="the LSTM's hidden size")
    parser.add_argument("--temperature", type=float, help="sampling temperature (> 0)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = QUICK if args.quick else Settings()
    changes = {k: getattr(args, k) for k in ("epochs", "hidden", "temperature", "seed")}
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    if settings.temperature <= 0 or settings.epochs < 1 or settings.hidden < 1:
        parser.error("give --temperature > 0, --epochs >= 1 and --hidden >= 1")
    try:
        results = run(settings, compare_torch=args.compare_torch)
    except FileNotFoundError as error:  # the word list is not installed: say how to get it
        raise SystemExit(f"char_lstm_words: {error}") from None
    except ImportError as error:  # --compare-torch without PyTorch
        raise SystemExit(f"char_lstm_words: --compare-torch needs PyTorch ({error})") from None
    report(results)


if __name__ == "__main__":
    main()
