"""``humblenet train-text`` and ``humblenet sample``: a character model trained on a text file
(and on the word list by name), saved with its vocabulary, sampled in a new process with the
same texts as before saving; its printed validation loss recomputed in PyTorch from the saved
weights; and the mistakes a user makes with them (one line, exit 2, nothing written).

Settings are tiny (embedding 8, hidden 16, context 8, 2 epochs on 120 short lines; the word
list: one epoch, hidden 8, context 64, batch 512) so the file runs in seconds; the numbers
checked do not depend on how well the model learns.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_helper import check_mistake, humblenet_run, ok, run_main

from humblenet import load
from humblenet.data import text

TINY = ["--embedding", "8", "--hidden", "16", "--context", "8", "--epochs", "2"]


def _write_lines(path, count: int = 120, seed: int = 0) -> list[str]:
    """Short lines of made-up words with spaces, punctuation and non-ASCII letters."""
    rng = random.Random(seed)
    syllables = ["ka", "ré", "mo", "ßi", "lu", "ne", "to", "ça", "pi", "é"]
    lines = []
    for _ in range(count):
        words = ["".join(rng.choices(syllables, k=rng.randint(1, 3))) for _ in range(2)]
        lines.append(" ".join(words) + rng.choice([".", "!", ""]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def _invented(stdout: str) -> list[str]:
    """The texts train-text prints after its line 'invented (...)'."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("invented ("))
    return [line[2:] for line in lines[start + 1 :]]


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    """A folder with lines.txt and the model train-text made from it (and its stdout)."""
    folder = tmp_path_factory.mktemp("text")
    lines = _write_lines(folder / "lines.txt")
    stdout = ok(
        humblenet_run("train-text", "lines.txt", *TINY, "--out", "m.safetensors", cwd=folder)
    )
    return folder, lines, stdout


def test_export_writes_a_text_model_that_onnx_runtime_runs_to_the_same_scores(
    text_model, tmp_path
):
    """``humblenet export`` on a train-text model: ids (batch, context) in, the next
    character's scores at every position out, as the model computes them (float32, 1e-5)."""
    onnxruntime = pytest.importorskip("onnxruntime")
    from humblenet import Tensor, load, no_grad

    folder, _, _ = text_model
    out = tmp_path / "text.onnx"
    ok(humblenet_run("export", str(folder / "m.safetensors"), str(out), cwd=tmp_path))
    model = load(folder / "m.safetensors")
    model.eval()
    context = model.input_shape[0]
    ids = np.random.default_rng(0).integers(0, 6, size=(3, context))
    with no_grad():
        want = model(Tensor(ids)).data
    session = onnxruntime.InferenceSession(str(out))
    (got,) = session.run(None, {session.get_inputs()[0].name: ids.astype(np.int64)})
    assert got.shape == want.shape == (3, context, want.shape[-1])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_sample_in_a_new_process_repeats_the_texts_drawn_before_saving(text_model):
    folder, lines, stdout = text_model
    before = _invented(stdout)
    assert len(before) == 10
    after = ok(humblenet_run("sample", "m.safetensors", cwd=folder)).split("\n")[:-1]
    assert after == before
    # The same seed again, in a third process, with the flags spelled out: the same texts.
    again = humblenet_run(
        "sample", "m.safetensors", "--n", "10", "--temperature", "0.8", "--seed", "0", cwd=folder
    )
    assert ok(again).split("\n")[:-1] == before
    # Another seed draws other texts; each uses only the file's characters and keeps the bound.
    other = ok(humblenet_run("sample", "m.safetensors", "--seed", "1", cwd=folder))
    other_texts = other.split("\n")[:-1]
    assert other_texts != before and len(other_texts) == 10
    characters = set("".join(lines))
    longest = max(len(line) for line in lines)
    for sample in before + other_texts:
        assert set(sample) <= characters and len(sample) <= longest


def test_the_vocabulary_and_settings_survive_in_the_model_file(text_model):
    folder, lines, _ = text_model
    model = load(folder / "m.safetensors")
    preprocessing = model.metadata["preprocessing"]
    assert model.metadata["task"] == "text"
    assert preprocessing["chars"] == "".join(sorted(set("".join(lines))))  # worked by hand
    assert preprocessing["context"] == 8
    assert preprocessing["max_length"] == max(len(line) for line in lines)
    assert preprocessing["documents"] == "lines"
    info = ok(humblenet_run("info", "m.safetensors", cwd=folder))
    vocabulary = len(set("".join(lines))) + 2  # the characters and <bos>, <eos>
    assert f"vocabulary: {vocabulary} symbols" in info
    assert "context: 8 characters" in info
    assert "trained on: lines.txt (lines)" in info


def test_the_printed_validation_loss_is_torchs_on_the_saved_weights(text_model):
    """Rebuild the validation windows as the description says (a seeded 10% of the lines) and
    run PyTorch's Embedding -> LSTM -> Linear with the weights read back from the file."""
    folder, lines, stdout = text_model
    model = load(folder / "m.safetensors")
    printed = float(stdout.split("validation ")[-1].split()[0])
    vocab = text.CharVocab.from_dict(model.metadata["preprocessing"])
    _, validation = text.split_documents(lines, 0.1, seed=0)
    x, y = text.make_windows(text.encode_documents(validation, vocab), 8)
    state = {name: torch.tensor(np.array(t)) for name, t in model.state_dict().items()}
    embedding = torch.nn.Embedding(len(vocab), 8)
    lstm = torch.nn.LSTM(8, 16, batch_first=True)
    head = torch.nn.Linear(16, len(vocab))
    for index, module in enumerate([embedding, lstm, head]):
        prefix = f"{index}."
        module.load_state_dict(
            {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}, strict=True
        )
    with torch.no_grad():
        scores = head(lstm(embedding(torch.from_numpy(x)))[0])
        loss = torch.nn.functional.cross_entropy(
            scores.reshape(-1, len(vocab)), torch.from_numpy(y).reshape(-1)
        )
    assert abs(float(loss) - printed) < 1e-4  # printed with 4 decimals
    assert model.metadata["metrics"]["val_nats_per_char"] == pytest.approx(float(loss), abs=1e-5)


def test_prefix_starts_every_sample(text_model, capsys):
    folder, lines, _ = text_model
    status, out, _ = run_main(
        ["sample", str(folder / "m.safetensors"), "--prefix", "ka", "--n", "4", "--seed", "2"],
        capsys,
    )
    assert status == 0
    samples = out.split("\n")[:-1]
    assert len(samples) == 4 and all(s.startswith("ka") for s in samples)


def test_train_text_on_the_word_list_by_name(tmp_path):
    if not text.WORDS_PATH.is_file():
        if os.environ.get("HUMBLENET_REQUIRE_DATA") == "1":
            pytest.fail(f"HUMBLENET_REQUIRE_DATA=1 but {text.WORDS_PATH} is missing")
        pytest.skip(text.WORDS_HOW_TO_GET)
    stdout = ok(
        humblenet_run(
            "train-text", "words", "--embedding", "8", "--hidden", "8", "--context", "64",
            "--epochs", "1", "--batch-size", "512", "--learning-rate", "0.01", cwd=tmp_path,
        )
    )  # fmt: skip
    assert "73,445 words, vocabulary 28" in stdout
    assert f"uniform guess {math.log(28):.3f}" in stdout
    validation = float(stdout.split("validation ")[-1].split()[0])
    assert validation < math.log(28)  # it learned something in 24 steps
    for word in _invented(stdout):
        assert word == "" or (word.isascii() and word.isalpha() and word.islower())
    model = load(tmp_path / "model.safetensors")
    assert model.metadata["dataset"] == "words"
    assert model.metadata["preprocessing"]["chars"] == "abcdefghijklmnopqrstuvwxyz"


# -- mistakes: one line, exit 2, nothing written -------------------------------------------------


@pytest.fixture
def text_workspace(workspace, text_model):
    """The CLI workspace (flowers.csv, a classifier model.safetensors) and text.safetensors."""
    folder, _, _ = text_model
    (workspace / "text.safetensors").write_bytes((folder / "m.safetensors").read_bytes())
    return workspace


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", ["has no text", "one document per line"]),
        (b"\n  \n\n", ["has no text"]),
        (bytes(range(256)) * 4, ["not UTF-8"]),
        (b"abc\x00\x00def\n" * 20, ["control characters", "U+0000", "binary"]),
        (b"only one line\n", ["1 document is too few", "--validation-split 0"]),
        # 9 training lines of 2 letters, each with its 2 markers: 36 ids, 8 validation ids
        (b"ab\ncd\nef\ngh\nij\nkl\nmn\nop\nqr\nst\n", ["the validation lines hold 4 ",
                                                        "--context 8", "at most 3"]),
    ],
)
def test_train_text_refuses_a_file_it_cannot_learn_from(text_workspace, capsys, content, words):
    (text_workspace / "bad.txt").write_bytes(content)
    check_mistake(text_workspace, capsys, ["train-text", "bad.txt", *TINY[:-2]], words)
    _, _, err = run_main(["train-text", "bad.txt", *TINY[:-2]], capsys)
    for origin in ("load_lines", "make_windows", "CharVocab", "split_documents"):
        assert origin not in err  # the library's function names mean nothing on the command line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train-text", "missing.txt"], ["no file missing.txt", "words"]),
        (["train-text", "."], ["is a folder"]),
        (["train-text", "flowers.csv", "--out", "flowers.csv"], ["same file", "FILE"]),
        (["train-text", "flowers.csv", "--out", "m.onnx"], [".safetensors"]),
        (["train-text", "flowers.csv", "--hidden", "0"], ["--hidden", ">= 1"]),
        (["train-text", "flowers.csv", "--model", "cnn"], ["--model", "lstm"]),
        (["sample", "model.safetensors"], ["not a text model", "train-text"]),
        (["sample", "notes.safetensors"], ["notes.safetensors"]),
        (["sample", "absent.safetensors"], ["no model file", "humblenet train-text FILE"]),
        (["sample", "text.safetensors", "--temperature", "0"], ["--temperature", "> 0"]),
        (["sample", "text.safetensors", "--temperature", "-1"], ["--temperature", "> 0"]),
        (["sample", "text.safetensors", "--n", "0"], ["--n"]),
        (["sample", "text.safetensors", "--prefix", "xyz"], ["--prefix", "'x'", "trained on"]),
        (["predict", "text.safetensors", "--input", "a=1"], ["text model", "humblenet sample"]),
        (["evaluate", "text.safetensors", "flowers.csv"], ["text model", "humblenet sample"]),
    ],
)
def test_text_commands_refuse_mistakes_in_one_line(text_workspace, capsys, args, words):
    check_mistake(text_workspace, capsys, args, words)


def test_one_line_trains_with_no_validation_and_is_counted_in_the_singular(
    text_workspace, capsys
):
    (text_workspace / "one.txt").write_text("one line of text to learn from\n", encoding="utf-8")
    args = ["train-text", "one.txt", *TINY, "--validation-split", "0", "--out", "one.safetensors"]
    status, out, err = run_main(args, capsys)
    assert status == 0, err
    assert "on one.txt: 1 line, vocabulary" in out.splitlines()[0]
    assert (text_workspace / "one.safetensors").is_file()


def test_a_diverging_run_saves_nothing(text_workspace, capsys):
    _write_lines(text_workspace / "lines.txt")
    check_mistake(
        text_workspace,
        capsys,
        ["train-text", "lines.txt", *TINY, "--learning-rate", "1e30"],
        ["diverged", "nothing was saved", "--learning-rate"],
    )


def test_without_the_word_list_datasets_and_train_text_say_how_to_install_it(
    text_workspace, capsys, monkeypatch
):
    from humblenet.data import catalog

    missing = text_workspace / "no-such-dict" / "american-english"
    monkeypatch.setattr(text, "WORDS_PATH", missing)
    monkeypatch.setattr(catalog, "WORDS_PATH", missing)
    status, out, _ = run_main(["datasets"], capsys)
    assert status == 0
    assert "words (text)" in out and "not found: install Debian's word list" in out
    assert "apt-get install wamerican" in out
    check_mistake(text_workspace, capsys, ["train-text", "words"], ["apt-get install wamerican"])


def test_a_reader_that_goes_away_does_not_lose_the_model(tmp_path):
    """``humblenet train-text lines.txt | head -1``: the pipe closes after the first line; the
    run goes on without its output, saves its model and exits 0 (it used to stop at the next
    print, with status 0 and no model)."""
    _write_lines(tmp_path / "lines.txt")
    paths = [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")]
    with subprocess.Popen(
        [sys.executable, "-W", "error", "-m", "humblenet", "train-text", "lines.txt", *TINY,
         "--out", "m.safetensors"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))},
    ) as child:  # fmt: skip
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.readline().startswith("training a character")
        child.stdout.close()
        errors = child.stderr.read()
        assert child.wait() == 0, errors
    assert "Traceback" not in errors and "Exception ignored" not in errors
    lines = (tmp_path / "lines.txt").read_text(encoding="utf-8").splitlines()
    vocab = text.CharVocab.from_dict(load(tmp_path / "m.safetensors").metadata["preprocessing"])
    assert len(vocab) == len(set("".join(lines))) + 2  # the whole model, vocabulary and all
