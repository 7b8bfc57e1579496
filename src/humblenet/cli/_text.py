"""The character model as the commands use it: what ``train-text`` writes into the model file
(its vocabulary and the settings needed to sample) and what ``sample`` and ``info`` read back,
and drawing invented text from it.

A text model's metadata: ``task`` is ``"text"`` and ``preprocessing`` is its vocabulary
(:meth:`humblenet.data.text.CharVocab.to_dict`) with three more keys: ``context`` (the
characters of a training window: the model reads at most this many), ``max_length`` (the
longest text ``sample`` draws unless told otherwise) and ``documents`` (``"words"`` or
``"lines"``: what one sample is).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from humblenet.cli._common import UserError, user_input
from humblenet.data import text
from humblenet.nn.containers import output_shape
from humblenet.tensor import no_grad

TEXT_TASK = "text"
MAX_SAMPLE_LENGTH = 200
"""The longest sample ``train-text`` records as the default (a file's lines may be longer)."""


def text_metadata(
    vocab: text.CharVocab, context: int, documents: list[str], kind: str
) -> dict[str, Any]:
    """The ``preprocessing`` entry of a text model's file."""
    longest = max(len(document) for document in documents)
    return {
        **vocab.to_dict(),
        "context": context,
        "max_length": min(longest, MAX_SAMPLE_LENGTH),
        "documents": kind,
    }


def text_settings(model: Any, spec: str) -> tuple[text.CharVocab, int, int, str]:
    """``(vocabulary, context, max_length, documents)`` of a loaded text model."""
    preprocessing = model.metadata.get("preprocessing")
    damaged = f"{spec}: the model file's vocabulary is damaged"
    with user_input(ValueError, KeyError, about=damaged):
        vocab = text.CharVocab.from_dict(preprocessing)
    assert isinstance(preprocessing, dict)  # from_dict refused anything else
    context, max_length = preprocessing.get("context"), preprocessing.get("max_length")
    if not all(isinstance(n, int) and n >= 1 for n in (context, max_length)):
        raise UserError(f"{damaged} (context {context!r}, max_length {max_length!r})")
    scores = output_shape(model, model.input_shape)[-1] if model.input_shape else None
    if scores != len(vocab):
        raise UserError(f"{damaged}: it holds {len(vocab)} symbols but the network scores {scores}")
    assert isinstance(context, int) and isinstance(max_length, int)
    return vocab, context, max_length, str(preprocessing.get("documents", "lines"))


def invent(
    model: Any,
    vocab: text.CharVocab,
    context: int,
    *,
    n: int,
    temperature: float,
    seed: int,
    max_length: int,
    prefix: str = "",
) -> list[str]:
    """``n`` texts drawn one character at a time. Each step runs the model on the last
    ``context`` characters from a zero state, as every training window began, so this works
    for any network that maps ids ``(B, T)`` to scores ``(B, T, V)``."""
    model.eval()

    def step(ids: np.ndarray, state: Any) -> tuple[np.ndarray, None]:
        with no_grad():
            scores = model(ids[:, -context:])
        return scores.data[:, -1], None

    unknown = [c for c in prefix if c not in vocab.chars]  # a character the model never saw
    if unknown:
        known = "".join(sorted(vocab.chars))
        known = known if len(known) <= 60 else known[:60] + "..."
        raise UserError(
            f"--prefix: {unknown[0]!r} is not among the {len(vocab.chars)} characters the model "
            f"was trained on ({known!r}); give a prefix made of those"
        )
    return text.sample(
        step,
        vocab,
        n=n,
        temperature=temperature,
        seed=seed,
        max_length=max_length,
        prefix=prefix,
    )
