"""A write that fails under the command line (the disk full, an I/O error at os.write, os.fsync
or os.replace): one line naming the user's file (never the hidden temporary one), exit status
2, and every file that was there before byte for byte as it was, no temporary left."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from cli_helper import check_mistake

TRAIN = ["train", "flowers.csv", "--target", "species", "--epochs", "2", "--hidden", "4"]


def _fail_at(monkeypatch: pytest.MonkeyPatch, function: str, code: int) -> None:
    def fail(*arguments: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, function, fail)


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize(
    ("function", "code"),
    [("write", errno.ENOSPC), ("fsync", errno.EIO), ("replace", errno.ENOSPC)],
)
@pytest.mark.parametrize(
    ("args", "written"),
    [
        (
            ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "out.csv"],
            "out.csv",
        ),
        (["export", "model.safetensors", "model.onnx"], "model.onnx"),
        ([*TRAIN, "--out", "new.safetensors"], "new.safetensors"),
    ],
)
def test_a_failed_write_is_one_line_and_keeps_the_old_file(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    written: str,
    function: str,
    code: int,
) -> None:
    (workspace / written).write_bytes(b"the previous file")
    before = _contents(workspace)
    with monkeypatch.context() as patch:
        _fail_at(patch, function, code)
        check_mistake(workspace, capsys, args, [os.strerror(code), f": {written}"])
    assert _contents(workspace) == before


def test_train_with_a_plot_changes_neither_file_when_the_model_fails(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plot is staged (written, flushed) first, the model file fails to go in place: the
    staged plot is removed and the old curves stay."""
    (workspace / "new.safetensors").write_bytes(b"old model")
    (workspace / "curves.png").write_bytes(b"old curves")
    before = _contents(workspace)
    real_replace = os.replace

    def model_fails(source: str, target: str) -> None:
        if str(target).endswith(".safetensors"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", model_fails)
    args = [*TRAIN, "--out", "new.safetensors", "--plot", "curves.png"]
    check_mistake(workspace, capsys, args, ["No space left on device", "new.safetensors"])
    assert _contents(workspace) == before


def test_a_backup_that_cannot_be_written_is_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "backup").mkdir()
    _fail_at(monkeypatch, "fsync", errno.EIO)
    args = [*TRAIN, "--out", "new.safetensors", "--checkpoint-dir", "backup"]
    check_mistake(workspace, capsys, args, ["--checkpoint-dir", "Input/output error", "backup-"])
    assert list((workspace / "backup").iterdir()) == []
