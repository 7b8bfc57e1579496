"""``humblenet train --checkpoint-dir DIR [--resume]``: a training run killed (SIGKILL) and
resumed saves the same model file, byte for byte, as a run never interrupted; the mistakes."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from cli_helper import check_mistake, humblenet_run, ok, python, write_flowers

ARGUMENTS = ["train", "flowers.csv", "--epochs", "4", "--hidden", "8", "--batch-size", "16"]

# Run the command line and send it a signal (SIGKILL, or SIGINT: Ctrl-C) right after its backup
# number KILL_AT is written.
_KILLED_RUN = """
import os, signal, sys
from humblenet.cli import main
from humblenet.training.callbacks import BackupAndRestore

kill_at, number, arguments = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
save, saves = BackupAndRestore.save, []

def save_then_die(self, epoch, batch):
    path = save(self, epoch, batch)
    saves.append(path)
    if len(saves) == kill_at:
        os.kill(os.getpid(), number)
    return path

BackupAndRestore.save = save_then_die
sys.exit(main(arguments))
"""


def _contents(path: Path) -> tuple[dict, bytes]:
    """A safetensors file's header (parsed: safetensors writes the metadata's keys in an order
    that changes from process to process) and its tensor bytes."""
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def test_train_killed_and_resumed_saves_the_same_model(tmp_path: Path) -> None:
    write_flowers(tmp_path / "flowers.csv")
    (tmp_path / "killed_run.py").write_text(_KILLED_RUN)
    # --checkpoint-dir backs up one run, so it trains without the refit: so does the reference
    ok(humblenet_run(*ARGUMENTS, "--no-refit", "--out", "reference.safetensors", cwd=tmp_path))
    resumable = [*ARGUMENTS, "--checkpoint-dir", "backup", "--checkpoint-every", "3"]
    killed = python("killed_run.py", "2", str(int(signal.SIGKILL)), *resumable, cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = humblenet_run(*resumable, cwd=tmp_path)
    assert again.returncode == 2 and "add --resume to continue it" in again.stderr
    killed = python(
        "killed_run.py", "3", str(int(signal.SIGKILL)), *resumable, "--resume", cwd=tmp_path
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    stdout = ok(humblenet_run(*resumable, "--resume", cwd=tmp_path))
    assert "resuming from backup" in stdout
    assert _contents(tmp_path / "model.safetensors") == _contents(
        tmp_path / "reference.safetensors"
    )
    assert not (tmp_path / "backup").exists()  # the backups went, and the emptied folder


def test_checkpoint_mistakes(tmp_path: Path, capsys, monkeypatch) -> None:
    write_flowers(tmp_path / "flowers.csv")
    monkeypatch.chdir(tmp_path)
    check_mistake(tmp_path, capsys, [*ARGUMENTS, "--resume"], ["--resume needs --checkpoint-dir"])
    check_mistake(
        tmp_path,
        capsys,
        [*ARGUMENTS, "--checkpoint-dir", "empty", "--resume"],
        ["no backup in", "to continue from"],
    )
    # A folder that cannot be made is found before training, not after its first epoch.
    check_mistake(
        tmp_path,
        capsys,
        [*ARGUMENTS, "--checkpoint-dir", "flowers.csv/backup"],
        ["--checkpoint-dir flowers.csv/backup: cannot make the folder"],
    )


def test_resuming_with_another_network_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    """A backup of another architecture is refused in one line (a traceback before), and the
    backup stays for the run it belongs to."""
    write_flowers(tmp_path / "flowers.csv")
    (tmp_path / "killed_run.py").write_text(_KILLED_RUN)
    resumable = [*ARGUMENTS, "--checkpoint-dir", "backup"]
    killed = python("killed_run.py", "1", str(int(signal.SIGKILL)), *resumable, cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    backups = {p.name: p.read_bytes() for p in (tmp_path / "backup").iterdir()}
    monkeypatch.chdir(tmp_path)
    other = [a if a != "8" else "5" for a in resumable]  # --hidden 5 instead of 8
    check_mistake(tmp_path, capsys, [*other, "--resume"], ["does not fit this run", "same"])
    assert {p.name: p.read_bytes() for p in (tmp_path / "backup").iterdir()} == backups


def test_ctrl_c_backs_up_exits_130_and_resumes(tmp_path: Path) -> None:
    write_flowers(tmp_path / "flowers.csv")
    (tmp_path / "killed_run.py").write_text(_KILLED_RUN)
    # --checkpoint-dir backs up one run, so it trains without the refit: so does the reference
    ok(humblenet_run(*ARGUMENTS, "--no-refit", "--out", "reference.safetensors", cwd=tmp_path))
    resumable = [*ARGUMENTS, "--checkpoint-dir", "backup"]
    interrupted = python("killed_run.py", "1", str(int(signal.SIGINT)), *resumable, cwd=tmp_path)
    assert interrupted.returncode == 130, interrupted.stderr
    assert "humblenet: interrupted" in interrupted.stderr
    assert "backed up to backup: run the same command with --resume" in interrupted.stderr
    assert len(list((tmp_path / "backup").iterdir())) == 2  # an epoch's end and the Ctrl-C's
    ok(humblenet_run(*resumable, "--resume", cwd=tmp_path))
    assert _contents(tmp_path / "model.safetensors") == _contents(
        tmp_path / "reference.safetensors"
    )
    assert not (tmp_path / "backup").exists()  # the finished run's backups went, the folder too


def test_ctrl_c_without_a_backup_says_nothing_was_saved(tmp_path: Path) -> None:
    write_flowers(tmp_path / "flowers.csv")
    (tmp_path / "ctrl_c.py").write_text(_CTRL_C_RUN)
    interrupted = python("ctrl_c.py", *ARGUMENTS, cwd=tmp_path)
    assert interrupted.returncode == 130, interrupted.stderr
    assert "interrupted (Ctrl-C) after batch " in interrupted.stderr
    assert "nothing was saved (--checkpoint-dir DIR keeps backups" in interrupted.stderr
    assert "backed up" not in interrupted.stderr and "Traceback" not in interrupted.stderr
    assert not (tmp_path / "model.safetensors").exists()


# Ctrl-C (SIGINT) at the end of the third batch, with no backup to trigger it
_CTRL_C_RUN = """
import os, signal, sys
from humblenet.cli import main
from humblenet.training.callbacks import Callback

batches = []

def press_ctrl_c(self, epoch, batch):
    batches.append(batch)
    if len(batches) == 3:
        os.kill(os.getpid(), signal.SIGINT)

Callback.on_batch_end = press_ctrl_c
sys.exit(main(sys.argv[1:]))
"""
