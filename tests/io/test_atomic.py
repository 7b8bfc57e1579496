"""Fault injection for every file humblenet writes (models, weights, checkpoints, ONNX, plots,
predictions, ModelCheckpoint files): a failure at each step of the write (``os.write``,
``os.fsync``, ``os.replace``, raising ENOSPC or EIO) and a real kill -9 half-way through leave the
previous file byte for byte as it was and loadable; the error names the user's path, not the
temporary file; and no temporary of ours is left once the next write has succeeded."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import atomic_writers  # noqa: E402
from atomic_writers import KINDS, NAMES, check, write  # noqa: E402

import humblenet  # noqa: E402
from humblenet.io import atomic  # noqa: E402

_SOURCE = str(Path(humblenet.__file__).resolve().parents[1])
_FAULTS = [
    ("write", errno.ENOSPC),
    ("write", errno.EIO),
    ("fsync", errno.EIO),
    ("fsync", errno.ENOSPC),
    ("replace", errno.ENOSPC),
    ("replace", errno.EIO),
]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("function", "code"), _FAULTS)
def test_a_failed_step_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, function: str, code: int
) -> None:
    path = tmp_path / NAMES[kind]
    write(kind, path, 1)
    before = path.read_bytes()

    def fail(*arguments: object) -> None:
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patch:
        patch.setattr(os, function, fail)
        with pytest.raises(atomic.WriteError) as raised:
            write(kind, path, 2)
    error = raised.value
    assert error.errno == code and error.filename == str(path)
    assert str(path) in str(error) and ".tmp" not in str(error)
    assert os.strerror(code) in str(error) and "\n" not in str(error)
    assert path.read_bytes() == before
    check(kind, path)
    assert _names(tmp_path) == [path.name]  # the failed write took its temporary file away
    write(kind, path, 2)
    assert path.read_bytes() != before
    check(kind, path)
    assert _names(tmp_path) == [path.name]


@pytest.mark.parametrize("kind", KINDS)
def test_a_write_killed_half_way_keeps_the_previous_file(tmp_path: Path, kind: str) -> None:
    """A real SIGKILL in the middle of the bytes: the temporary file stays behind (nothing can
    remove it), the file is the old one, and the next write clears the temporary."""
    path = tmp_path / NAMES[kind]
    write(kind, path, 1)
    before = path.read_bytes()
    script = Path(atomic_writers.__file__)
    environment = {**os.environ, "PYTHONPATH": _SOURCE}
    killed = subprocess.run(
        [sys.executable, str(script), kind, str(path), "2"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert path.read_bytes() == before
    check(kind, path)
    left = [name for name in _names(tmp_path) if name != path.name]
    assert len(left) == 1 and atomic.is_temporary(left[0])
    assert 0 < (tmp_path / left[0]).stat().st_size < len(before) * 2
    write(kind, path, 3)
    check(kind, path)
    assert _names(tmp_path) == [path.name]


def _dead_pid() -> int:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(ended.stdout)


def test_only_stale_temporaries_of_ours_are_removed(tmp_path: Path) -> None:
    host = atomic._HOST
    stale = f".a.txt.hn-{host}-{_dead_pid()}-0123abcd.tmp"
    running = f".b.txt.hn-{host}-{os.getppid()}-0123abcd.tmp"  # a live process: still writing
    elsewhere = f".c.txt.hn-{host}x-{_dead_pid()}-0123abcd.tmp"  # another host's: not ours
    others = [".d.txt.tmp", "e.tmp", ".f.txt.hn-host-12-xyz.tmp", "notes.txt"]
    for name in [stale, running, elsewhere, *others]:
        (tmp_path / name).write_bytes(b"x")
    assert atomic.is_temporary(stale) and not any(atomic.is_temporary(n) for n in others)
    atomic.write_atomically(tmp_path / "new.txt", b"new")
    assert _names(tmp_path) == sorted([running, elsewhere, *others, "new.txt"])


def test_a_staged_pair_goes_in_place_together_or_not_at_all(tmp_path: Path) -> None:
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    with atomic.stage(first, b"new a") as staged:
        pass  # not committed: nothing changes, nothing is left
    assert first.read_bytes() == b"old a" and _names(tmp_path) == ["a.bin", "b.bin"]
    staged = atomic.stage(first, b"new a")
    atomic.write_atomically(second, b"new b")
    staged.commit()
    assert first.read_bytes() == b"new a" and second.read_bytes() == b"new b"
    with pytest.raises(RuntimeError, match="committed or discarded"):
        staged.commit()


def test_a_short_os_write_is_continued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write

    def one_byte_at_a_time(descriptor: int, data: bytes) -> int:
        return real_write(descriptor, bytes(data[:1]))

    monkeypatch.setattr(os, "write", one_byte_at_a_time)
    atomic.write_atomically(tmp_path / "f.bin", bytes(range(200)))
    assert (tmp_path / "f.bin").read_bytes() == bytes(range(200))


def test_a_temporary_that_cannot_be_made_names_the_users_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: object, *arguments: object) -> int:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(os, "open", refuse)  # a folder the user may not write in
    with pytest.raises(atomic.WriteError) as raised:
        atomic.write_atomically(tmp_path / "x.bin", b"x")
    assert raised.value.filename == str(tmp_path / "x.bin") and ".tmp" not in str(raised.value)
    assert raised.value.errno == errno.EACCES
