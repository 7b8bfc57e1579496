"""Character-level text data (humblenet.data.text): the word list, the vocabulary, windows and
sampling, each checked against values worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from humblenet.data import text
from humblenet.data.text import CharVocab, encode_documents, make_windows, sample


def test_vocab_round_trip_and_markers():
    vocab = CharVocab.from_texts(["hello", "world"])
    assert vocab.chars == sorted(set("helloworld"))
    assert len(vocab) == len(vocab.chars) + 2
    ids = vocab.encode("hold")
    assert ids.dtype == np.int64 and ids.min() >= 2
    assert vocab.decode(np.concatenate([[vocab.bos], ids, [vocab.eos]])) == "hold"
    assert CharVocab.from_dict(vocab.to_dict()) == vocab


def test_vocab_errors_name_the_problem():
    vocab = CharVocab.from_texts(["ab"])
    with pytest.raises(ValueError, match="'z' \\(position 1\\) is not in the vocabulary"):
        vocab.encode("az")
    with pytest.raises(ValueError, match="id 9 is outside 0..3"):
        vocab.decode([9])
    with pytest.raises(ValueError, match="was the model trained on text"):
        CharVocab.from_dict({"mean": [1.0]})


def test_stream_and_windows_by_hand():
    vocab = CharVocab("ab")  # a=2, b=3
    stream = encode_documents(["ab", "b"], vocab)
    assert stream.tolist() == [0, 2, 3, 1, 0, 3, 1]
    x, y = make_windows(stream, 3)
    assert x.tolist() == [[0, 2, 3], [1, 0, 3]]
    assert y.tolist() == [[2, 3, 1], [0, 3, 1]]
    x, y = make_windows(stream, 2, stride=1)
    assert x.shape == (5, 2) and y[-1].tolist() == [3, 1]
    with pytest.raises(ValueError, match="too few for one window"):
        make_windows(stream, 7)


def test_words_list_is_the_debian_list():
    words = text.load_words()
    # counted with grep on the installed file: 104,334 lines, duplicates after lowercasing and
    # possessives dropped
    assert len(words) == 73445
    assert words[:3] == ["a", "aa", "aaa"]
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words)
    assert len(set(words)) == len(words)


def test_text_file_lines(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("roses are red\n\nviolets\r\n", encoding="utf-8")
    assert text.load_documents(path) == ["roses are red", "violets"]
    with pytest.raises(FileNotFoundError, match="no file"):
        text.load_lines(tmp_path / "missing.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not UTF-8"):
        text.load_lines(tmp_path / "bin.txt")


def test_a_byte_order_mark_is_not_a_character_of_the_text(tmp_path):
    """Some editors write a UTF-8 byte-order mark first; it used to enter the vocabulary."""
    path = tmp_path / "marked.txt"
    path.write_bytes("\ufeffhello\nworld\n".encode())
    assert text.load_documents(path) == ["hello", "world"]
    assert "\ufeff" not in text.CharVocab.from_texts(text.load_documents(path)).to_dict()["chars"]


def test_split_is_seeded_and_disjoint():
    docs = [f"w{i}" for i in range(100)]
    train, valid = text.split_documents(docs, 0.1, seed=3)
    assert len(valid) == 10 and len(train) == 90 and not set(train) & set(valid)
    assert text.split_documents(docs, 0.1, seed=3) == (train, valid)


def test_sample_follows_the_scores_and_the_seed():
    vocab = CharVocab("ab")

    def always_ab(context, state):
        # "a" after bos, "b" after "a", eos after "b": the only text is "ab"
        last = context[:, -1]
        logits = np.full((context.shape[0], len(vocab)), -1e9)
        logits[last == vocab.bos, 2] = 0
        logits[last == 2, 3] = 0
        logits[last == 3, vocab.eos] = 0
        return logits, None

    assert sample(always_ab, vocab, n=3, seed=0) == ["ab", "ab", "ab"]
    assert sample(always_ab, vocab, n=2, temperature=0) == ["ab", "ab"]

    def uniform(context, state):
        return np.zeros((context.shape[0], len(vocab))), None

    first = sample(uniform, vocab, n=20, seed=5, max_length=6, prefix="b")
    assert first == sample(uniform, vocab, n=20, seed=5, max_length=6, prefix="b")
    assert all(t.startswith("b") and len(t) <= 6 for t in first)
    # with uniform scores over 4 ids, about half the texts end (eos) within 2 draws
    assert len({len(t) for t in first}) > 1


def test_sample_checks_the_step_function():
    vocab = CharVocab("ab")
    with pytest.raises(ValueError, match="expected \\(1, 4\\)"):
        sample(lambda c, s: (np.zeros((1, 3)), None), vocab)
