"""The top of the command line: help, the entry points, and the error policy (a user's mistake is
one line and status 2, Ctrl-C is 130, a bug keeps its traceback)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_helper import check_mistake, humblenet_run, python, run_main

from humblenet import cli
from humblenet.cli import datasets as datasets_command
from humblenet.cli import export as export_command

COMMANDS = ["train", "evaluate", "predict", "info", "export", "datasets", "tour"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    status, out, _ = run_main([command, "--help"], capsys)
    assert status == 0
    assert "example" in out
    assert f"humblenet {command}" in out


def test_the_top_help_lists_every_command(capsys):
    status, out, _ = run_main(["--help"], capsys)
    assert status == 0
    for command in COMMANDS:
        assert f"    {command} " in out


def test_the_entry_points_run_the_same_main(tmp_path):
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    script = re.search(r'^\[project\.scripts\]\nhumblenet = "(.*)"$', pyproject, re.MULTILINE)
    assert script is not None and script.group(1) == "humblenet.cli:main"
    assert callable(cli.main) and callable(cli.build_parser)
    from humblenet import __version__

    assert humblenet_run("--version", cwd=tmp_path).stdout == f"humblenet {__version__}\n"


def test_an_unknown_command_is_one_line(workspace, capsys):
    check_mistake(workspace, capsys, ["unknown-command"], ["invalid choice", "unknown-command"])


def test_mistakes_in_a_subprocess_are_one_line_too(workspace):
    before = sorted(p.name for p in workspace.iterdir())
    for args, words in [
        (["train", "flowers.csv", "--epochs", "abc"], ["'abc' is not a whole number"]),
        (["predict", "model.safetensors", "--input", "petal_length=x"], ["'x' is not a number"]),
    ]:
        result = humblenet_run(*args, cwd=workspace)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert all(word in result.stderr for word in words)
        assert result.stdout == ""
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_ctrl_c_exits_130_with_one_line(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets_command, "run", interrupted)
    status, _, err = run_main(["datasets"], capsys)
    assert status == 130
    assert err == "humblenet: interrupted\n"


# -- a bug is not a user's mistake: it keeps its traceback ------------------------------------


def test_a_bug_in_a_command_keeps_its_traceback(monkeypatch):
    def broken():
        return 1 / 0

    monkeypatch.setattr(datasets_command, "describe_datasets", broken)
    with pytest.raises(ZeroDivisionError):
        cli.main(["datasets"])


def test_a_value_error_inside_the_library_is_a_bug_not_a_mistake(workspace, monkeypatch):
    """A ValueError that no user input caused (here from the model's evaluate) propagates."""
    from humblenet import Sequential

    def broken(self, *args, **kwargs):
        raise ValueError("an internal invariant broke")

    monkeypatch.setattr(Sequential, "evaluate", broken)
    with pytest.raises(ValueError, match="an internal invariant broke"):
        cli.main(["evaluate", "model.safetensors", "flowers.csv"])


def test_a_value_error_while_training_is_a_bug_not_a_mistake(workspace, monkeypatch):
    from humblenet.data.table import TablePreprocessor

    def broken(*args):
        raise ValueError("fit broke")

    monkeypatch.setattr(TablePreprocessor, "fit", broken)
    with pytest.raises(ValueError, match="fit broke"):
        cli.main(["train", "flowers.csv", "--epochs", "1", "--out", "m.safetensors"])
    assert not (workspace / "m.safetensors").exists()


def test_an_import_error_is_the_users_only_when_it_says_what_to_install(workspace, monkeypatch):
    def no_onnx(model, path, **options):
        raise ImportError('exporting needs onnx; install it with: pip install "humblenet[onnx]"')

    def broken_import(model, path, **options):
        raise ImportError("cannot import name 'helper' from 'onnx'")

    monkeypatch.setattr(export_command, "export_onnx", no_onnx)
    status = cli.main(["export", "model.safetensors", "model.onnx"])
    assert status == 2
    monkeypatch.setattr(export_command, "export_onnx", broken_import)
    with pytest.raises(ImportError, match="cannot import name"):
        cli.main(["export", "model.safetensors", "model.onnx"])


def test_a_bug_prints_its_traceback_in_a_subprocess(tmp_path):
    program = (
        "import sys\n"
        "import humblenet.cli.datasets as command\n"
        "from humblenet.cli import main\n"
        "command.describe_datasets = lambda: 1 / 0\n"
        "sys.exit(main(['datasets']))\n"
    )
    result = python("-c", program, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().endswith("ZeroDivisionError: division by zero")
