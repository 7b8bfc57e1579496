"""README's command-line block run as written, line by line, in a fresh folder (as a user
who has only the package: ``humblenet datasets --copy iris flowers.csv`` gives the table).

Each ``humblenet ...`` line of the block under "## The command line" (a ``\\`` joins the next
line, ``#`` starts a comment) must exit 0 without a traceback; the files the later lines need
are the ones the earlier lines wrote. Settings: README's own (train's defaults on 150 rows,
early stopping; a few seconds), so the whole test takes about half a minute."""

from __future__ import annotations

import csv
import io
import shlex
from pathlib import Path

import numpy as np
from cli_helper import humblenet_run, ok

README = Path(__file__).parents[2] / "README.md"
IRIS = Path(__file__).parents[2] / "src" / "humblenet" / "data" / "files" / "iris.csv"


def readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("## The command line", 1)[1].split("```", 2)[1]
    joined = block.replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in joined.splitlines()]
    return [words[1:] for words in commands if words and words[0] == "humblenet"]


def test_readme_commands_run_as_written(tmp_path):
    commands = readme_commands()
    assert commands[0] == ["datasets", "--copy", "iris", "flowers.csv"]
    assert any(c[:2] == ["train", "flowers.csv"] for c in commands)
    outputs = {}
    for words in commands:
        outputs[" ".join(words)] = ok(humblenet_run(*words, cwd=tmp_path))
    # The copy is the shipped table, byte for byte: 150 flowers, 50 per species.
    assert (tmp_path / "flowers.csv").read_bytes() == IRIS.read_bytes()
    rows = list(csv.DictReader(io.StringIO(IRIS.read_text())))
    assert len(rows) == 150
    assert sorted({r["species"] for r in rows}) == ["setosa", "versicolor", "virginica"]
    for path in ("model.safetensors", "predictions.csv", "model.onnx"):
        assert (tmp_path / path).is_file(), path
    # The one flower of the --input line is the table's first row, a setosa.
    single = next(out for command, out in outputs.items() if "--input" in command)
    assert single.startswith("species: setosa")
    # evaluate's accuracy is the share of predictions.csv that names each row's species.
    predicted = list(csv.DictReader(io.StringIO((tmp_path / "predictions.csv").read_text())))
    accuracy = np.mean([p["prediction"] == r["species"] for p, r in zip(predicted, rows)])
    scored = next(out for command, out in outputs.items() if command.startswith("evaluate"))
    assert f"accuracy {accuracy:.4f}" in scored and accuracy > 0.9


def test_a_copy_never_replaces_a_file(tmp_path):
    (tmp_path / "flowers.csv").write_text("mine\n")
    result = humblenet_run("datasets", "--copy", "iris", "flowers.csv", cwd=tmp_path)
    assert result.returncode == 2 and "exists already" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert (tmp_path / "flowers.csv").read_text() == "mine\n"
    result = humblenet_run("datasets", "--copy", "tulips", "t.csv", cwd=tmp_path)
    assert result.returncode == 2 and "iris, jogging" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flowers.csv"]
