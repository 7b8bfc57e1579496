"""Atomic file writes: a file appears whole or not at all.

Every file humblenet writes (models, checkpoints and backups, ONNX exports, predictions, plots)
goes through :func:`write_atomically` (or :func:`stage` and ``commit``, to put two files in
place together): the bytes go to a hidden temporary file in the same folder, which is flushed
to disk (``fsync``) and then renamed over the final name (``os.replace``), and the folder is
flushed too. A failure at any step (the disk full, an I/O error, a kill) leaves the file that
was there before byte for byte as it was.

A failed write raises :class:`WriteError`, an ``OSError`` with the cause's ``errno`` that names
the user's path, never the temporary one, and removes its temporary file. A process killed
half-way cannot remove its own: its temporary file (named ``.NAME.hn-HOST-PID-TOKEN.tmp``) is
removed by the next successful write into that folder, once no process of that number runs
on this host (:func:`remove_stale_temporaries`).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
>>> write_atomically(path, b"hello").read_bytes()
b'hello'
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from pathlib import Path

__all__ = [
    "Staged",
    "WriteError",
    "is_temporary",
    "remove_stale_temporaries",
    "stage",
    "write_atomically",
]

_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname().split(".")[0])[:32] or "host"
_TEMPORARY = re.compile(
    r"^\.(?P<name>.+)\.hn-(?P<host>[A-Za-z0-9]*)-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$"
)
_in_flight: set[str] = set()  # this process's temporaries not yet renamed or removed


class WriteError(OSError):
    """A write that failed; the file at ``filename`` (the user's path) is as it was before.

    ``errno`` and ``strerror`` are the cause's (e.g. ``errno.ENOSPC``, "No space left on
    device"); the cause itself is ``__cause__``.
    """

    def __str__(self) -> str:
        return (
            f"cannot write {self.filename}: {self.strerror}; the file that was there (if any) "
            "is unchanged"
        )


def is_temporary(name: str) -> bool:
    """True when ``name`` (a file name) is one of humblenet's temporary files."""
    return _TEMPORARY.match(name) is not None


def _temporary_name(target: Path) -> Path:
    token = secrets.token_hex(4)
    return target.with_name(f".{target.name}.hn-{_HOST}-{os.getpid()}-{token}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed humblenet writes left in ``folder``.

    A temporary file is stale when it was made on this host by a process that no longer runs
    (or by this process, but is not one of its writes in progress). Files of other hosts (a
    folder shared over the network) and of running processes are left alone, and so is every
    file whose name does not follow the pattern. On Windows nothing is removed (asking whether
    a process runs would need its handle).

    Returns:
        the files removed.
    """
    if os.name == "nt":
        return []
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        found = _TEMPORARY.match(name)
        if found is None or found["host"] != _HOST:
            continue
        path = Path(folder) / name
        pid = int(found["pid"])
        if str(path) in _in_flight or (pid != os.getpid() and _alive(pid)):
            continue
        try:
            path.unlink()
        except OSError:  # gone already, or not ours to remove: the next write tries again
            continue
        removed.append(path)
    return removed


def _failed(target: Path, error: OSError) -> WriteError:
    failure = WriteError(error.errno, error.strerror or str(error), str(target))
    failure.__cause__ = error
    return failure


class _Descriptor:
    """A file descriptor with ``write`` and ``flush``, written through ``os.write`` itself (no
    buffer of Python's between: a test that makes ``os.write`` fail sees every write)."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data)
        while view:
            written = os.write(self.descriptor, view)  # it may take only a part
            view = view[written:]
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered."""

    def fileno(self) -> int:
        return self.descriptor


def _write_all(handle: _Descriptor, data: bytes) -> None:
    """Write ``data`` in chunks (one place a test can interrupt a write half-way)."""
    view = memoryview(data)
    chunk = 1 << 24
    for start in range(0, len(view), chunk):
        handle.write(view[start : start + chunk])


class Staged:
    """A file written to its temporary name and flushed to disk, not yet in place.

    :meth:`commit` renames it over the final name; :meth:`discard` removes it. Made by
    :func:`stage`.

    Attributes:
        target: the final path.
    """

    def __init__(self, target: Path, temporary: Path) -> None:
        self.target = target
        self._temporary: Path | None = temporary

    def commit(self) -> Path:
        """Put the file in place (atomically), flush the folder, and remove stale temporaries.

        Raises:
            WriteError: the rename failed; the file that was at ``target`` is unchanged and
                the temporary is removed.
        """
        temporary = self._temporary
        if temporary is None:
            raise RuntimeError(f"{self.target}: this staged write was committed or discarded")
        try:
            os.replace(temporary, self.target)
        except OSError as error:
            self.discard()
            raise _failed(self.target, error) from error
        except BaseException:
            self.discard()
            raise
        _in_flight.discard(str(temporary))
        self._temporary = None
        _sync_folder(self.target.parent)
        remove_stale_temporaries(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Remove the temporary file (nothing happens to ``target``); a no-op once done."""
        temporary, self._temporary = self._temporary, None
        if temporary is None:
            return
        _in_flight.discard(str(temporary))
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exception: object) -> None:
        self.discard()  # not committed inside the block: nothing is left behind


def stage(path: str | os.PathLike[str], data: bytes) -> Staged:
    """Write ``data`` to a temporary file beside ``path`` and flush it to disk; put it in place
    with ``.commit()`` (or remove it with ``.discard()``).

    Use it to put two files in place together: stage both, then commit both, so that a failure
    while writing either leaves both old files as they were.

    Raises:
        FileNotFoundError: the folder of ``path`` does not exist.
        IsADirectoryError: ``path`` is a folder.
        WriteError: writing or flushing failed (the disk full, an I/O error); nothing is left.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {target}: the folder {folder} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {target}: it is a folder; give a file name")
    try:
        # The new file keeps the permissions of the one it replaces (it starts as 0600).
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        temporary = _temporary_name(target)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise _failed(target, error) from error
    staged = Staged(target, temporary)
    _in_flight.add(str(temporary))
    try:
        try:
            _write_all(_Descriptor(descriptor), data)
            os.fsync(descriptor)
            if os.name != "nt":
                os.fchmod(descriptor, mode)
        finally:
            os.close(descriptor)
    except OSError as error:
        staged.discard()
        raise _failed(target, error) from error
    except BaseException:
        staged.discard()
        raise
    return staged


def write_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that it appears whole or not at all.

    The bytes go to a temporary file in the same folder, are flushed to the disk (``fsync``) and
    the file is renamed over ``path`` (``os.replace``, atomic on POSIX and Windows). If anything
    fails, the temporary file is removed and a file already at ``path`` is left untouched.

    Args:
        path: where the file goes; its folder must exist.
        data: the whole content.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileNotFoundError: the folder of ``path`` does not exist.
        IsADirectoryError: ``path`` is a folder.
        WriteError: a step failed (its ``errno`` says why: ``ENOSPC``, ``EIO``, ...).
    """
    return stage(path, data).commit()


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of the rename to disk too (POSIX only; Windows cannot open one)."""
    if os.name == "nt":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on a folder; the rename is done anyway
        pass
    finally:
        os.close(descriptor)
