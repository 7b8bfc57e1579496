"""Character-level text data: a word list or any text file as next-character training pairs.

The API (stable; other modules build on it):

- ``load_words(path=None, lowercase=True, letters_only=True) -> list[str]``: the real word list
  ``/usr/share/dict/american-english`` (Debian's package ``wamerican``), or another file with one
  word per line; lowercased, words with other characters than a-z dropped, duplicates dropped.
- ``load_lines(path) -> list[str]``: the non-empty lines of any UTF-8 text file.
- ``load_documents(source)``: ``"words"`` or a path, as a list of documents (words or lines).
- ``CharVocab.from_texts(texts)``: characters ↔ ids, with two markers: ``vocab.bos`` (id 0,
  begins a document) and ``vocab.eos`` (id 1, ends it); the characters follow, sorted.
  ``vocab.encode(str) -> np.ndarray`` (int64), ``vocab.decode(ids) -> str`` (markers dropped),
  ``vocab.to_dict()`` / ``CharVocab.from_dict(d)`` (JSON data, kept in a model file's metadata
  as its ``preprocessing``).
- ``encode_documents(documents, vocab) -> np.ndarray``: one stream of ids, each document as
  ``bos, characters..., eos``.
- ``make_windows(stream, length, stride=None) -> (inputs, targets)``: ``(N, length)`` int64
  windows of the stream and the same windows one step later (the next character of each).
- ``split_documents(documents, validation_fraction=0.1, seed=0) -> (train, validation)``.
- ``sample(step_fn, vocab, n=1, temperature=1.0, seed=None, max_length=40, prefix="")``:
  invented texts, one character at a time. ``step_fn(context, state) -> (logits, state)`` gets
  the ids so far, ``(n, t)`` starting with ``bos``, and returns the next character's scores
  ``(n, len(vocab))``; a recurrent model may read only ``context[:, -1]`` and carry ``state``,
  a transformer reads the whole context and returns ``None`` as state.

>>> vocab = CharVocab.from_texts(["cab", "ba"])
>>> len(vocab), vocab.encode("cab").tolist(), vocab.decode([0, 4, 2, 3, 1])
(5, [4, 2, 3], 'cab')
>>> stream = encode_documents(["ab"], vocab)
>>> stream.tolist()
[0, 2, 3, 1]
>>> x, y = make_windows(stream, 3)
>>> x.tolist(), y.tolist()
([[0, 2, 3]], [[2, 3, 1]])
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "WORDS_HOW_TO_GET",
    "WORDS_PATH",
    "CharVocab",
    "encode_documents",
    "load_documents",
    "load_lines",
    "load_words",
    "make_windows",
    "sample",
    "split_documents",
]

WORDS_PATH = Path("/usr/share/dict/american-english")
WORDS_HOW_TO_GET = (
    "install Debian's word list with `apt-get install wamerican` (it provides "
    "/usr/share/dict/american-english), or give a text file with one word per line"
)


def _read_text(owner: str, path: str | os.PathLike[str]) -> str:
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{owner}: no file {str(file)!r}; give the path of a text file")
    try:
        # utf-8-sig: a byte-order mark some editors write first is not a character of the text
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{owner}: {str(file)!r} is not UTF-8 text (byte {error.start}); give a plain text file"
        ) from None


def load_words(
    path: str | os.PathLike[str] | None = None, lowercase: bool = True, letters_only: bool = True
) -> list[str]:
    """The words of a word list, one per line (by default Debian's ``wamerican`` list).

    Args:
        path: the file; None reads ``/usr/share/dict/american-english``.
        lowercase: lowercase every word (``"Aachen"`` becomes ``"aachen"``).
        letters_only: keep only words made of the letters a-z (after lowercasing), which drops
            possessives (``"dog's"``) and accented words.

    Returns:
        The words in the file's order, each once. From the Debian list (104,334 lines) the
        defaults keep 73,445 words (proper nouns lowercased, possessives dropped).

    Raises:
        FileNotFoundError: the file is missing (the message says how to install the list).
    """
    file = WORDS_PATH if path is None else Path(path)
    if path is None and not file.is_file():
        raise FileNotFoundError(f"load_words: {file} is not installed; {WORDS_HOW_TO_GET}")
    seen: dict[str, None] = {}
    for line in _read_text("load_words", file).splitlines():
        word = line.strip()
        if lowercase:
            word = word.lower()
        if not word or (letters_only and not (word.isascii() and word.isalpha())):
            continue
        seen.setdefault(word, None)
    if not seen:
        raise ValueError(f"load_words: {str(file)!r} holds no words (one word per line expected)")
    return list(seen)


def load_lines(path: str | os.PathLike[str]) -> list[str]:
    """The non-empty lines of a UTF-8 text file (line ends removed); each is one document."""
    lines = [line.rstrip("\r") for line in _read_text("load_lines", path).split("\n")]
    kept = [line for line in lines if line.strip()]
    if not kept:
        raise ValueError(f"load_lines: {str(path)!r} has no text (only empty lines)")
    return kept


def load_documents(source: str | os.PathLike[str]) -> list[str]:
    """``"words"`` (the word list, see :func:`load_words`) or a text file's lines."""
    if isinstance(source, str) and source == "words":
        return load_words()
    return load_lines(source)


class CharVocab:
    """Characters ↔ ids, with a begin marker (id 0) and an end marker (id 1).

    Args:
        chars: the characters, in id order (ids 2, 3, ...); each once.
    """

    bos = 0
    eos = 1
    markers = ("<bos>", "<eos>")

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars: list[str] = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in self.chars):
            raise ValueError("CharVocab: chars must be single characters")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("CharVocab: a character is listed twice")
        self._ids = {c: i + 2 for i, c in enumerate(self.chars)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CharVocab:
        """The vocabulary of every character that occurs in ``texts``, sorted."""
        found: set[str] = set()
        for text in texts:
            found.update(text)
        return cls(sorted(found))

    def __len__(self) -> int:
        return len(self.chars) + 2

    def __repr__(self) -> str:
        return f"CharVocab({len(self.chars)} characters + <bos>, <eos>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharVocab) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(tuple(self.chars))

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text``'s characters (int64, no markers)."""
        try:
            return np.array([self._ids[c] for c in text], dtype=np.int64)
        except KeyError as error:
            position = next(i for i, c in enumerate(text) if c not in self._ids)
            raise ValueError(
                f"CharVocab.encode: character {error.args[0]!r} (position {position}) is not in "
                f"the vocabulary of {len(self.chars)} characters; build the vocabulary from "
                "texts that contain it"
            ) from None

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """The text of ``ids``, markers dropped."""
        chars = []
        for i in np.asarray(ids, dtype=np.int64).ravel().tolist():
            if not 0 <= i < len(self):
                raise ValueError(f"CharVocab.decode: id {i} is outside 0..{len(self) - 1}")
            if i >= 2:
                chars.append(self.chars[i - 2])
        return "".join(chars)

    def to_dict(self) -> dict[str, Any]:
        """JSON data that :meth:`from_dict` turns back into this vocabulary."""
        return {"type": "CharVocab", "chars": "".join(self.chars), "markers": list(self.markers)}

    @classmethod
    def from_dict(cls, data: Any) -> CharVocab:
        if not isinstance(data, dict) or data.get("type") != "CharVocab":
            raise ValueError(
                "CharVocab.from_dict: expected the dict of CharVocab.to_dict() (type "
                f"'CharVocab'), got {data!r:.80}; was the model trained on text?"
            )
        return cls(str(data["chars"]))


def encode_documents(documents: Iterable[str], vocab: CharVocab) -> np.ndarray:
    """One int64 stream: every document as ``bos, its characters, eos``, one after another."""
    parts = []
    for text in documents:
        parts.append(np.array([vocab.bos], dtype=np.int64))
        parts.append(vocab.encode(text))
        parts.append(np.array([vocab.eos], dtype=np.int64))
    if not parts:
        raise ValueError("encode_documents: no documents given")
    return np.concatenate(parts)


def make_windows(
    stream: np.ndarray, length: int, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Next-character training pairs: ``inputs[i] = stream[s:s+length]`` and
    ``targets[i] = stream[s+1:s+length+1]`` for ``s = 0, stride, 2 stride, ...``.

    Args:
        stream: 1-D ids (from :func:`encode_documents`).
        length: the window length (time steps per sample).
        stride: the step between windows; ``length`` by default (windows do not overlap, so
            consecutive windows continue each other: what truncated BPTT carries state across).

    Returns:
        ``(inputs, targets)``, both ``(N, length)`` int64.
    """
    stream = np.asarray(stream, dtype=np.int64)
    if stream.ndim != 1:
        raise ValueError(f"make_windows: stream must be 1-D ids, got shape {stream.shape}")
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise ValueError(f"make_windows: length must be a positive integer, got {length!r}")
    stride = length if stride is None else stride
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"make_windows: stride must be a positive integer, got {stride!r}")
    if stream.size < length + 1:
        raise ValueError(
            f"make_windows: the stream has {stream.size} ids, too few for one window of "
            f"{length} (+1 target); use a shorter length or more text"
        )
    starts = np.arange(0, stream.size - length, stride)
    offsets = np.arange(length)
    inputs = stream[starts[:, None] + offsets]
    targets = stream[starts[:, None] + offsets + 1]
    return inputs, targets


def split_documents(
    documents: Sequence[str], validation_fraction: float = 0.1, seed: int = 0
) -> tuple[list[str], list[str]]:
    """A seeded shuffle of the documents, cut into ``(train, validation)``."""
    if not 0 < validation_fraction < 1:
        raise ValueError(
            f"split_documents: validation_fraction must be between 0 and 1, got "
            f"{validation_fraction!r}"
        )
    order = list(documents)
    random.Random(seed).shuffle(order)
    cut = max(1, int(round(len(order) * validation_fraction)))
    if cut >= len(order):
        raise ValueError(
            f"split_documents: {len(order)} "
            f"{'document is' if len(order) == 1 else 'documents are'} too few to keep "
            f"{validation_fraction:.0%} for validation"
        )
    return order[cut:], order[:cut]


StepFn = Callable[[np.ndarray, Any], tuple[Any, Any]]


def _softmax_rows(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def sample(
    step_fn: StepFn,
    vocab: CharVocab,
    n: int = 1,
    temperature: float = 1.0,
    seed: int | None = None,
    max_length: int = 40,
    prefix: str = "",
) -> list[str]:
    """Invent ``n`` texts, one character at a time, until each draws ``eos`` or has
    ``max_length`` characters.

    Args:
        step_fn: ``step_fn(context, state) -> (logits, state)``; ``context`` is the ``(n, t)``
            ids so far (``bos`` first, then ``prefix``, then what was drawn), ``state`` is what
            the previous call returned (None at first). ``logits``: ``(n, len(vocab))`` scores
            of the next character (a Tensor or an array).
        temperature: divides the scores before the softmax; below 1 sharper, above 1 flatter;
            0 takes the most likely character every time.
        seed: seeds the draws (the same seed gives the same texts).
        max_length: the most characters of a text, ``prefix`` included.
        prefix: text every sample starts with (its characters must be in the vocabulary).

    Returns:
        The texts, ``prefix`` included, markers dropped.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"sample: n must be a positive integer, got {n!r}")
    if not isinstance(temperature, int | float) or temperature < 0:
        raise ValueError(f"sample: temperature must be a number >= 0, got {temperature!r}")
    if not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"sample: max_length must be a positive integer, got {max_length!r}")
    rng = np.random.default_rng(seed)
    start = np.concatenate([[vocab.bos], vocab.encode(prefix)]).astype(np.int64)
    context = np.tile(start, (n, 1))
    done = np.zeros(n, dtype=bool)
    state: Any = None
    while context.shape[1] - 1 < max_length and not done.all():
        logits, state = step_fn(context, state)
        scores = np.asarray(getattr(logits, "data", logits))
        if scores.shape != (n, len(vocab)):
            raise ValueError(
                f"sample: step_fn returned scores of shape {scores.shape}, expected "
                f"({n}, {len(vocab)})"
            )
        if temperature == 0:
            drawn = scores.argmax(axis=1)
        else:
            p = _softmax_rows(scores, float(temperature))
            # one uniform number per sample picks its character from the cumulative sums
            drawn = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
        drawn = np.where(done, vocab.eos, drawn).astype(np.int64)
        done |= drawn == vocab.eos
        context = np.concatenate([context, drawn[:, None]], axis=1)
    texts = []
    for row in context:
        ids = row[1:].tolist()
        if vocab.eos in ids:
            ids = ids[: ids.index(vocab.eos)]
        texts.append(vocab.decode(ids))
    return texts
