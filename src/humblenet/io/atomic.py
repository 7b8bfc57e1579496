"""Atomic file writes: a file appears whole or not at all.

Every file humblenet writes (models, ONNX exports, predictions, plots) goes through
:func:`write_atomically`: the bytes go to a temporary file in the same folder, which is flushed
to disk and then renamed over the final name, so a crash leaves either the old file or the new
one, never half of one, and a failed write leaves no temporary file behind.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
>>> write_atomically(path, b"hello").read_bytes()
b'hello'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_atomically"]


def _write_all(handle: Any, data: bytes) -> None:
    """Write ``data`` in chunks (one place a test can interrupt a write half-way)."""
    view = memoryview(data)
    chunk = 1 << 20
    for start in range(0, len(view), chunk):
        handle.write(view[start : start + chunk])


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
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {target}: the folder {folder} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {target}: it is a folder; give a file name")
    # The new file keeps the permissions of the one it replaces (mkstemp creates it as 0600).
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(folder)
    return target


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of the rename to disk too (POSIX only; Windows cannot open one)."""
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on a folder; the rename is done anyway
        pass
    finally:
        os.close(descriptor)
