"""Tables as they come: ``read_table`` streams a CSV file of any size into one float32 array,
and ``TablePreprocessor`` turns its columns into the numbers a network takes.

Reading (``read_table``):

- the encoding is found from a byte-order mark (UTF-8, UTF-16) or by checking that the bytes
  are UTF-8, with Latin-1 (which reads any byte) as the fallback; or given;
- the delimiter is the one of ``,`` ``;`` tab ``|`` that splits the first lines into the same
  number of fields (more than one); or given;
- pandas' unnamed index column (an empty first header cell, or ``Unnamed: 0``) is dropped;
- a missing value (an empty cell, ``NA``, ``N/A``, ``nan``, ``null``, ``None``, ``?``, case
  ignored) is NaN; a column whose first value present is text is a text (categorical) column,
  kept as category codes; a number beyond float32's range is refused by name.

The file is streamed in chunks of about 256 KB of text (each cut after its last line break)
into a float32 array that grows by half when full (first sized from the sample's line length),
so memory is the float32 table plus a few times one chunk. Each chunk goes the fastest way that
reads it exactly:

1. plain decimals (``-12.5``: a sign, digits, a dot; no exponent, space or gap): parsed by NumPy
   array operations over the chunk's bytes (``_plain_numbers``), the same float64 as ``float``
   then rounded to float32, as ``numpy.loadtxt`` does;
2. other numbers (exponents, spaces): NumPy's C parser (``numpy.loadtxt`` on the chunk's lines);
3. text, missing values: the ``csv`` module; from the first chunk holding a quote on, the
   ``csv`` module cuts the rest of the file (a quoted field may hold a line break).

The same file gives the same table for any chunk size (tested from one character up). UTF-8
is tried while reading and the file read again as Latin-1 if it is not UTF-8.

Measured with ``benchmarks/bench_csv.py`` on the issue's file (1.1 M rows × 21 numbers, 189 MB
of text, 88 MiB as float32; 2 cores shared with other jobs, load average 3 to 17): this reader
2.0-2.6× as fast as ``numpy.loadtxt`` (its C parser alone read 4 MB chunks in 89 ms where step 1
took 49 ms), peak memory 1.16× the float32 table (``loadtxt`` 1.19×); pandas' ``read_csv`` is
faster again (1.4-1.7×) but peaks at 4.1× the table, and it is not a requirement. Before
step 1 and the 256 KB chunks this reader was 0.86× ``loadtxt`` (4 MB chunks, 1.28×).

Preprocessing (``TablePreprocessor``), fitted on the training rows and saved with the model:
missing numbers take the column's median and missing text its most frequent value (as
scikit-learn's ``SimpleImputer(strategy="median")`` / ``"most_frequent"``); a text column becomes
one 0/1 column per category (``column=value``, as ``OneHotEncoder``); then every encoded column is
standardized. ``to_onnx`` writes the same steps as ONNX operators.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from humblenet.data.csv import column_list

__all__ = [
    "MISSING",
    "RawTable",
    "TablePreprocessor",
    "read_table",
    "table_from_cells",
    "table_target",
]

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "<na>", "-nan"})
"""Cell texts read as a missing value (compared stripped and in lower case)."""

DELIMITERS = (",", ";", "\t", "|")
_CHUNK_CHARACTERS = 1 << 18  # 256 KB: as fast as 4 MB; peak 1.16x the table, not 2.1x
_SAMPLE_CHARACTERS = 1 << 16
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_TEXT, _NUMBER = "text", "number"


@dataclass
class RawTable:
    """A CSV file as read: one float32 column per header column.

    Attributes:
        path: the file.
        header: the column names (an unnamed index column left out).
        values: float32, shape ``(rows, len(header))``: numbers, or for a text column the code
            of each row's category (an index into ``categories[column]``); NaN where missing.
        categories: for each column, its category texts in order of first appearance, or
            ``None`` for a numeric column.
        lines: the line of the file each row came from (the header is line 1).
        delimiter, encoding: as detected or given.
        dropped_index: whether an unnamed index column (pandas' ``to_csv``) was left out.
    """

    path: Path
    header: list[str]
    values: np.ndarray
    categories: list[list[str] | None]
    lines: np.ndarray
    delimiter: str
    encoding: str
    dropped_index: bool = False

    def __len__(self) -> int:
        return len(self.values)

    def index(self, column: str) -> int:
        """The position of ``column``; a ValueError listing the columns if there is none."""
        if column not in self.header:
            raise ValueError(
                f"{self.path.name}: there is no column {column!r}; {column_list(self.header)}"
            )
        return self.header.index(column)

    def is_text(self, column: int) -> bool:
        return self.categories[column] is not None

    def texts(self, column: int) -> list[str | None]:
        """A text column's cells as text (``None`` where missing)."""
        names = self.categories[column]
        assert names is not None
        return [None if math.isnan(code) else names[int(code)] for code in self.values[:, column]]


# -- reading -----------------------------------------------------------------------------------


def _marked_encoding(path: Path) -> str | None:
    """``utf-8-sig`` or ``utf-16`` when the file starts with their byte-order mark."""
    with open(path, "rb") as file:
        start = file.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    return None


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` or ``utf-16`` from a byte-order mark; else ``utf-8`` when every byte
    decodes as UTF-8, else ``latin-1``. (``read_table`` finds the same while reading.)"""
    marked = _marked_encoding(path)
    if marked is not None:
        return marked
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as file:
        try:
            while chunk := file.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def _encoding(path: Path, encoding: str | None) -> str:
    if encoding is None:  # UTF-8 unless marked; read_table falls back to Latin-1
        return _marked_encoding(path) or "utf-8"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(
            f"{path.name}: {encoding!r} is not an encoding Python knows; give one such as "
            "utf-8, latin-1, utf-16 or cp1252"
        ) from None
    with open(path, "rb") as file:
        if name == "utf-8" and file.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"  # the mark is not part of the first column's name
    return name


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's first lines into equally many fields (> 1)."""
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if len(sample) >= _SAMPLE_CHARACTERS and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be incomplete
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if counts and counts[0] > 1 and len(set(counts)) == 1:
            return delimiter
        if counts and counts[0] > best_fields:
            best, best_fields = delimiter, counts[0]
    return best


class _Growing:
    """A float32 array of rows that grows by half when full (no Python list of every row)."""

    def __init__(self, rows: int, columns: int) -> None:
        self.array = np.empty((max(rows, 16), columns), dtype=np.float32)
        self.lines = np.empty(max(rows, 16), dtype=np.int64)
        self.size = 0

    def append(self, block: np.ndarray, lines: np.ndarray) -> None:
        end = self.size + len(block)
        if end > len(self.array):
            capacity = max(end, len(self.array) * 3 // 2)
            array = np.empty((capacity, self.array.shape[1]), dtype=np.float32)
            array[: self.size] = self.array[: self.size]
            grown = np.empty(capacity, dtype=np.int64)
            grown[: self.size] = self.lines[: self.size]
            self.array, self.lines = array, grown
        self.array[self.size : end] = block
        self.lines[self.size : end] = lines
        self.size = end


@dataclass
class _Columns:
    """What is known of each column so far: its kind, and a text column's categories."""

    name: str
    header: list[str]
    kinds: list[str | None]
    codes: list[dict[str, int]] = field(default_factory=list)


class _Progress:
    """How far the reading is, on stderr: tqdm's bar when tqdm is installed (the ``progress``
    extra), else a plain ``reading NAME: 45% of 189 MB`` line redrawn at most twice a second."""

    def __init__(self, total: int, name: str, stream: Any = None) -> None:
        self.total, self.name, self.done, self.shown = total, name, 0, 0.0
        self.stream = stream if stream is not None else sys.stderr
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar: Any = None
        else:
            self.bar = tqdm(
                total=total, unit="B", unit_scale=True, desc=f"reading {name}", leave=False,
                file=self.stream,
            )  # fmt: skip

    def update(self, done: int) -> None:
        """``done`` bytes of the file are read."""
        step, self.done = done - self.done, done
        if self.bar is not None:
            self.bar.update(step)
        elif time.monotonic() - self.shown >= 0.5:
            self.shown = time.monotonic()
            share = min(100, 100 * done // max(self.total, 1))
            mb = self.total / 1e6
            self.stream.write(f"\rreading {self.name}: {share:3d}% of {mb:.0f} MB")
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.shown:  # wipe the line
            self.stream.write("\r" + " " * (len(self.name) + 30) + "\r")
            self.stream.flush()


def read_table(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    progress: bool = False,
    chunk_characters: int = _CHUNK_CHARACTERS,
) -> RawTable:
    """Read a CSV file with a header row into a :class:`RawTable` (see the module's text).

    Args:
        path: the file.
        delimiter: the field separator; ``None`` detects it from the first lines.
        encoding: the text encoding; ``None`` detects it (UTF-8 or UTF-16 by their byte-order
            mark, UTF-8, else Latin-1).
        progress: show how far the reading is on stderr (tqdm's bar when tqdm is installed,
            else a plain line); the command line asks for it in a terminal, for large files.
        chunk_characters: about how much text is parsed at a time (the result is the same for
            any size; memory holds the float32 table plus a few times one chunk).

    Raises:
        ValueError: an empty file, a header without data rows, a header cell without a name or
            a repeated name, a row with the wrong number of values, text in a numeric column,
            a number beyond float32's range or infinite, or bytes the encoding cannot read;
            the message names the file (and the line, column and value).
        OSError: the file cannot be opened.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "birds.csv").write_text("mass;island\\n3.5;Dream\\nNA;Biscoe\\n")
        >>> table = read_table(folder / "birds.csv")
        >>> table.header, table.delimiter, table.categories[1]
        (['mass', 'island'], ';', ['Dream', 'Biscoe'])
        >>> table.values.tolist()
        [[3.5, 0.0], [nan, 1.0]]
    """
    path = Path(path)
    name = path.name
    chosen = _encoding(path, encoding)
    try:
        try:
            return _read(path, chosen, delimiter, progress, chunk_characters)
        except UnicodeDecodeError:
            if encoding is not None or chosen != "utf-8":
                raise
        # Not UTF-8 after all: Latin-1 reads any byte. (Trying UTF-8 while reading spares a
        # pass over the whole file to check it first: 0.3 s of 189 MB.)
        chosen = "latin-1"
        return _read(path, chosen, delimiter, progress, chunk_characters)
    except UnicodeDecodeError as error:
        byte = error.object[error.start] if error.object else 0
        hint = "give its encoding with --encoding (e.g. latin-1, cp1252 or utf-16)"
        raise ValueError(
            f"{name}: cannot be read as {chosen} text (byte {byte:#04x} does not decode); {hint}"
        ) from None
    except UnicodeError as error:  # e.g. UTF-16 with an odd number of bytes
        raise ValueError(f"{name}: cannot be read as {chosen} text ({error})") from None


def _read(path: Path, encoding: str, delimiter: str | None, progress: bool, chunk: int) -> RawTable:
    name = path.name
    size = path.stat().st_size
    with (
        open(path, "rb") as binary,
        io.TextIOWrapper(binary, encoding=encoding, newline="") as file,
    ):
        sample = file.read(_SAMPLE_CHARACTERS)
        if not sample.strip():
            raise ValueError(f"{name}: the file is empty; expected a header row and data rows")
        delimiter = delimiter if delimiter is not None else detect_delimiter(sample)
        if delimiter in ("\\t", "tab"):
            delimiter = "\t"
        if len(delimiter) != 1:
            raise ValueError(f"--delimiter {delimiter!r}: give one character, e.g. ';' or tab")
        if "\x00" in sample:
            raise ValueError(
                f"{name}: not UTF-8 or other text (it holds NUL bytes; a binary file?); give a "
                "CSV file, or its encoding with --encoding (e.g. utf-16)"
            )
        file.seek(0)
        header_line, line = "", 0
        while not header_line.strip():
            header_line = file.readline()
            line += 1
            if not header_line:
                break
        header = [cell.strip() for cell in next(csv.reader([header_line], delimiter=delimiter))]
        dropped_index = bool(header) and header[0] in ("", "Unnamed: 0")
        _check_header(name, header[1:] if dropped_index else header)
        lengths = [len(text) for text in sample.splitlines()[1:21] if text.strip()]
        estimate = int(size / (sum(lengths) / len(lengths) + 1) * 1.05) if lengths else 16
        state = _Columns(name, header, [None] * len(header), [{} for _ in header])
        store = _Growing(estimate, len(header))
        bar = _Progress(size, name) if progress else None
        try:
            for block, lines in _blocks(file, delimiter, state, line, max(1, chunk)):
                store.append(block, lines)
                if bar is not None:
                    bar.update(binary.tell())  # bytes read so far
        finally:
            if bar is not None:
                bar.close()
    if store.size == 0:
        raise ValueError(f"{name}: the file has a header row but no data rows")
    values, lines_read = store.array[: store.size], store.lines[: store.size]
    categories: list[list[str] | None] = [
        list(codes) if kind == _TEXT else None for kind, codes in zip(state.kinds, state.codes)
    ]
    if dropped_index:
        values, header, categories = values[:, 1:], header[1:], categories[1:]
    return RawTable(
        path, header, values, categories, lines_read, delimiter, encoding, dropped_index
    )


def _check_header(name: str, header: list[str]) -> None:
    for position, column in enumerate(header, start=1):
        if not column:
            raise ValueError(f"{name}: line 1: column {position} of the header has no name")
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise ValueError(f"{name}: line 1: the header repeats column name(s) {duplicates}")


def _blocks(
    file: Any, delimiter: str, state: _Columns, line: int, chunk: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (float32 rows, their line numbers) for about ``chunk`` characters at a time, each
    chunk cut after its last line break (a line longer than a chunk is read whole)."""
    width = len(state.header)
    rest = ""
    while True:
        read = file.read(chunk)
        text = rest + read
        # After the last LF; without one, after the last CR that is not the text's last
        # character (which may be the first half of a CRLF).
        cut = text.rfind("\n") + 1 or text.rfind("\r", 0, len(text) - 1) + 1
        if read and cut == 0:  # no line break yet: read on
            rest = text
            continue
        text, rest = (text[:cut], text[cut:]) if read else (text, "")
        if not text:
            return
        if '"' in text:  # a quoted field may hold a line break: the csv module cuts the rest
            reader = csv.reader(_rest_of_file(text + rest, file), delimiter=delimiter)
            yield from _quoted_blocks(reader, state, line)
            return
        numbers = all(kind != _TEXT for kind in state.kinds)
        block = _plain_numbers(text, delimiter, width) if numbers else None
        if block is not None:  # one row per line, every line a row
            _mark_numbers(state)
            yield block, np.arange(line + 1, line + 1 + len(block), dtype=np.int64)
            line += len(block)
            continue
        lines = io.StringIO(text, newline="").readlines()
        block = _fast_numbers(lines, delimiter, width) if numbers else None
        if block is not None:
            blank = [i for i, text in enumerate(lines) if not text.strip()]
            numbered = np.arange(line + 1, line + 1 + len(lines), dtype=np.int64)
            if blank:
                numbered = np.delete(numbered, blank)
            _mark_numbers(state)
            yield block, numbered
        else:
            rows = list(
                zip(range(line + 1, line + 1 + len(lines)), csv.reader(lines, delimiter=delimiter))
            )
            yield _parse_rows(rows, state)
        line += len(lines)


def _rest_of_file(start: str, file: Any) -> Iterator[str]:
    """The lines of ``start`` (the last one completed from ``file``), then ``file``'s lines."""
    lines = io.StringIO(start, newline="").readlines()
    if lines and not lines[-1].endswith("\n"):  # cut mid-line, or between CR and LF
        lines[-1:] = io.StringIO(lines[-1] + file.readline(), newline="").readlines()
    yield from lines
    yield from file


def _quoted_blocks(
    reader: Any, state: _Columns, line: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Rows cut by the csv module (quotes, line breaks inside quotes), 65,536 at a time, each
    numbered by the line it starts on."""
    start = line
    while True:
        rows = []
        for cells in itertools.islice(reader, 65536):
            rows.append((line + 1, cells))
            line = start + reader.line_num
        if not rows:
            return
        yield _parse_rows(rows, state)


def _mark_numbers(state: _Columns) -> None:
    for column, kind in enumerate(state.kinds):
        if kind is None:
            state.kinds[column] = _NUMBER


_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[list(b"0123456789.+-")] = True
_POWERS = 10.0 ** np.arange(16)
_DIGITS = 15  # below 2**53: every mantissa is exact in float64, so one division rounds once


def _plain_numbers(text: str, delimiter: str, width: int) -> np.ndarray | None:
    """Lines of plain decimals (``-12.5``: an optional sign, digits and at most one dot; at most
    15 digits) parsed by NumPy array operations over the chunk's bytes; None for anything else
    (an exponent, a space, a missing value, a wrong count, CR without LF...).

    Each field's digits are read left to right, one array step per character position:
    ``mantissa = 10 * mantissa + digit``, exact in float64 up to 15 digits; the value is
    ``mantissa / 10**decimals``, one correctly rounded division, so the same float64 as
    ``float(text)`` (and ``numpy.loadtxt``, which also goes through float64 to float32).
    Measured on 4 MB chunks of the benchmark's file (2 shared cores): 49 ms, ``numpy.loadtxt``
    on the same lines 89 ms; a 2-D variant (each field right-aligned in a sliding window, one
    matrix-vector product) 55 ms.
    """
    if not text.isascii() or delimiter in "0123456789.+-\r\n" or not text.endswith("\n"):
        return None
    raw = text.encode("ascii")
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    buffer = np.frombuffer(raw, dtype=np.uint8)
    counts = np.bincount(buffer, minlength=256)
    separators = int(counts[ord(delimiter)] + counts[10])
    if separators % width or counts[_PLAIN].sum() + separators != len(buffer):
        return None  # a wrong count of fields, or a character other than these
    ends = np.flatnonzero((buffer == ord(delimiter)) | (buffer == 10))
    breaks = (buffer[ends] == 10).reshape(-1, width)
    if not breaks[:, -1].all() or breaks[:, :-1].any():
        return None  # the fields are not ``width`` to a line
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    first = buffer[starts]  # a field's first character (its separator when it is empty)
    negative = first == ord("-")
    signed = negative | (first == ord("+"))
    if counts[ord("-")] + counts[ord("+")] != np.count_nonzero(signed):
        return None  # a sign inside a field (or a field that is only a sign)
    starts += signed
    length = ends - starts
    if length.min() < 1 or length.max() > _DIGITS + 1:
        return None
    mantissa = np.zeros(len(ends))
    decimals = np.zeros(len(ends), dtype=np.int64)
    after_dot = np.zeros(len(ends), dtype=bool)
    padded = np.concatenate([buffer, np.zeros(_DIGITS + 1, dtype=np.uint8)])
    for position in range(int(length.max())):
        character = padded[starts + position]
        inside = position < length
        dot = inside & (character == ord("."))
        if (dot & after_dot).any():
            return None  # two dots
        after_dot |= dot
        digit = inside & ~dot
        np.add(mantissa * 10, character - 48.0, out=mantissa, where=digit)
        decimals += digit & after_dot
    digits = length - after_dot
    if digits.min() < 1 or digits.max() > _DIGITS:
        return None  # a lone dot, or more digits than float64 holds exactly
    values = mantissa / _POWERS[decimals]
    np.negative(values, out=values, where=negative)
    return values.astype(np.float32).reshape(-1, width)


def _fast_numbers(lines: list[str], delimiter: str, width: int) -> np.ndarray | None:
    """The chunk parsed by NumPy's C parser, or None when it holds anything but plain finite
    float32 numbers (text, a missing value, a wrong count): the careful path then reads it."""
    try:
        with np.errstate(over="ignore"):  # beyond float32: inf here, named by the careful path
            block = np.loadtxt(
                lines, delimiter=delimiter, dtype=np.float32, ndmin=2, comments=None, encoding=None
            )
    except ValueError:
        return None
    if block.shape[1] != width or not np.isfinite(block).all():
        return None  # NaN (missing), infinities and numbers beyond float32's range
    return block


def _parse_rows(
    rows: list[tuple[int, list[str]]], state: _Columns
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of cells as float32 (numbers, or category codes for text columns; NaN missing)."""
    name, width = state.name, len(state.header)
    kept = [(line, cells) for line, cells in rows if cells and any(c.strip() for c in cells)]
    for line, cells in kept:
        if len(cells) != width:
            raise ValueError(
                f"{name}: line {line}: expected {width} values (one per header column), "
                f"got {len(cells)}"
            )
    block = np.empty((len(kept), width), dtype=np.float32)
    lines = np.array([line for line, _ in kept], dtype=np.int64)
    if not kept:
        return block, lines
    columns = list(zip(*(cells for _, cells in kept)))
    for index, column_cells in enumerate(columns):
        block[:, index] = _parse_column(column_cells, index, lines, state)
    return block, lines


def _parse_column(
    cells: Sequence[str], index: int, lines: np.ndarray, state: _Columns
) -> np.ndarray:
    kind = state.kinds[index]
    column = state.header[index]
    if kind != _TEXT:
        try:
            numbers = np.array(cells, dtype=np.float64)  # fast when every cell is a number
        except ValueError:
            numbers = None
        if numbers is not None and np.all(np.abs(numbers) <= _FLOAT32_MAX):
            state.kinds[index] = _NUMBER
            return numbers
        out = np.empty(len(cells), dtype=np.float64)
        for row, text in enumerate(cells):
            stripped = text.strip()
            if stripped.lower() in MISSING:
                out[row] = np.nan
                continue
            try:
                value = float(stripped)
            except ValueError:
                if state.kinds[index] == _NUMBER:
                    raise ValueError(
                        f"{state.name}: line {lines[row]}, column {column!r}: {text!r} is not a "
                        "number, but the rows above hold numbers in this column; fix the value "
                        "(a missing one may be left empty or written NA)"
                    ) from None
                state.kinds[index] = _TEXT
                return _codes(cells, index, state)
            if not math.isfinite(value) or abs(value) > _FLOAT32_MAX:
                what = "infinite" if math.isinf(value) else "beyond float32's range (±3.4e38)"
                raise ValueError(
                    f"{state.name}: line {lines[row]}, column {column!r}: {text.strip()!r} is "
                    f"{what}; rescale the column (e.g. to other units) or leave the cell empty"
                )
            state.kinds[index] = _NUMBER
            out[row] = value
        return out
    return _codes(cells, index, state)


def _codes(cells: Sequence[str], index: int, state: _Columns) -> np.ndarray:
    codes = state.codes[index]
    out = np.empty(len(cells), dtype=np.float64)
    for row, text in enumerate(cells):
        stripped = text.strip()
        if stripped.lower() in MISSING:
            out[row] = np.nan
        else:
            out[row] = codes.setdefault(stripped, len(codes))
    return out


def table_from_cells(name: str, cells: dict[str, str]) -> RawTable:
    """A one-row table from column names to cell texts (``predict --input``): a cell that reads
    as a number is a number, a missing one (see ``MISSING``) is NaN, any other is text."""
    header = list(cells)
    values = np.empty((1, len(header)), dtype=np.float32)
    categories: list[list[str] | None] = []
    for column, text in enumerate(cells.values()):
        stripped = text.strip()
        categories.append(None)
        if stripped.lower() in MISSING:
            values[0, column] = np.nan
            continue
        try:
            number = float(stripped)
        except ValueError:
            categories[-1] = [stripped]
            values[0, column] = 0
            continue
        if not math.isfinite(number) or abs(number) > _FLOAT32_MAX:
            raise ValueError(f"{name}: {header[column]}={stripped} is beyond float32's range")
        values[0, column] = number
    return RawTable(Path(name), header, values, categories, np.array([1]), ",", "utf-8")


def table_target(
    table: RawTable, column: str, task: str | None = None, max_classes: int = 20
) -> tuple[np.ndarray, tuple[str, ...] | None, str, np.ndarray]:
    """The target ``column`` of ``table``: ``(y, class_names, task, rows)``.

    ``rows`` are the rows that have a target (a row without one cannot be learned from or
    scored, so it is left out). Text is classes; numbers are classes when they are whole and at
    most ``max_classes`` distinct (unless ``task`` says), else a regression target. Class names
    are sorted (numbers numerically), ``y`` the class indices (int64) or the values (float32).
    """
    index = table.index(column)
    values = table.values[:, index]
    rows = np.flatnonzero(~np.isnan(values))
    name = table.path.name
    if len(rows) == 0:
        raise ValueError(f"{name}: the target column {column!r} has no values")
    if table.is_text(index):
        if task == "regress":
            raise ValueError(
                f"{name}: the target column {column!r} holds text, but a regression needs "
                "numbers; use --task classify or another --target"
            )
        names = table.categories[index] or []
        present = sorted({names[int(code)] for code in np.unique(values[rows])})
        lookup = {text: i for i, text in enumerate(present)}
        mapping = np.array([lookup.get(text, -1) for text in names], dtype=np.int64)
        return mapping[values[rows].astype(np.int64)], tuple(present), "classify", rows
    numbers = values[rows].astype(np.float64)
    distinct = np.unique(numbers)
    whole = bool(np.all(distinct == np.round(distinct)))
    task = task or ("classify" if whole and len(distinct) <= max_classes else "regress")
    if task == "regress":
        return numbers.astype(np.float32), None, "regress", rows
    labels = np.searchsorted(distinct, numbers).astype(np.int64)
    class_names = tuple(
        str(int(value)) if float(value).is_integer() else repr(float(value)) for value in distinct
    )
    return labels, class_names, "classify", rows


# -- preprocessing -----------------------------------------------------------------------------


class TablePreprocessor:
    """Missing values filled, text columns one-hot encoded, every column standardized: the
    steps from a table's raw feature columns to a network's inputs, fitted on training rows.

    Args:
        columns: one dict per raw feature column, in order: ``{"name", "kind": "number",
            "fill": median}`` or ``{"name", "kind": "category", "categories": [...],
            "fill": most frequent}``.
        mean, std: the standardization of the encoded columns (``None`` before it is fitted).
    """

    def __init__(
        self,
        columns: list[dict[str, Any]],
        mean: np.ndarray | None = None,
        std: np.ndarray | None = None,
    ) -> None:
        self.columns = columns
        self.mean = mean
        self.std = std

    @classmethod
    def fit(cls, table: RawTable, features: Sequence[int], rows: np.ndarray) -> TablePreprocessor:
        """Learn fills, categories and the standardization from ``table``'s ``rows``."""
        columns: list[dict[str, Any]] = []
        for index in features:
            values = table.values[rows, index]
            present = values[~np.isnan(values)]
            name = table.header[index]
            if table.is_text(index):
                names = table.categories[index] or []
                counts = np.bincount(present.astype(np.int64), minlength=len(names))
                order = sorted(range(len(names)), key=lambda i: names[i])
                # The most frequent value; ties go to the first in sorted order (as sklearn).
                best = min(order, key=lambda i: (-counts[i], names[i])) if len(names) else 0
                columns.append(
                    {
                        "name": name,
                        "kind": "category",
                        "categories": [names[i] for i in order],
                        "fill": names[best] if names else "",
                    }
                )
            else:
                fill = float(np.median(present.astype(np.float64))) if len(present) else 0.0
                columns.append({"name": name, "kind": "number", "fill": fill})
        preprocessor = cls(columns)
        encoded = preprocessor.encode(table, features, rows)
        x64 = encoded.astype(np.float64)
        std = x64.std(axis=0)
        std[std == 0] = 1.0
        preprocessor.mean = x64.mean(axis=0).astype(np.float32)
        preprocessor.std = std.astype(np.float32)
        return preprocessor

    @property
    def feature_names(self) -> list[str]:
        """The encoded columns' names: a number's name, ``name=category`` for each category."""
        names: list[str] = []
        for column in self.columns:
            if column["kind"] == "category":
                names.extend(f"{column['name']}={value}" for value in column["categories"])
            else:
                names.append(column["name"])
        return names

    @property
    def raw_names(self) -> list[str]:
        return [column["name"] for column in self.columns]

    def encode(
        self, table: RawTable, features: Sequence[int], rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Fill and one-hot encode ``table``'s columns ``features`` (not standardized)."""
        count = len(table) if rows is None else len(rows)
        out = np.empty((count, len(self.feature_names)), dtype=np.float32)
        place = 0
        for column, index in zip(self.columns, features):
            values = table.values[:, index] if rows is None else table.values[rows, index]
            if column["kind"] == "number":
                if table.is_text(index):
                    first = next(t for t in table.texts(index) if t is not None)
                    raise ValueError(
                        f"{table.path.name}: column {column['name']!r} holds text ({first!r}), "
                        "but the model takes numbers there"
                    )
                out[:, place] = np.where(np.isnan(values), np.float32(column["fill"]), values)
                place += 1
                continue
            known = column["categories"]
            lookup = {value: i for i, value in enumerate(known)}
            if table.is_text(index):
                names = table.categories[index] or []
            else:  # numbers in a category column: read them back as text
                names = []
            mapping = np.empty(len(names) + 1, dtype=np.int64)
            for code, value in enumerate(names):
                if value not in lookup:
                    raise ValueError(
                        f"{table.path.name}: column {column['name']!r} holds {value!r}, which "
                        f"the model has not seen; it knows {known}"
                    )
                mapping[code] = lookup[value]
            mapping[-1] = lookup[column["fill"]]
            if not table.is_text(index) and not np.all(np.isnan(values)):
                raise ValueError(
                    f"{table.path.name}: column {column['name']!r} holds numbers, but the model "
                    f"takes the categories {known} there"
                )
            codes = np.where(np.isnan(values), len(names), np.nan_to_num(values)).astype(np.int64)
            block = out[:, place : place + len(known)]
            block[:] = 0
            block[np.arange(count), mapping[codes]] = 1
            place += len(known)
        return out

    def transform(
        self, table: RawTable, features: Sequence[int], rows: np.ndarray | None = None
    ) -> np.ndarray:
        """``encode`` then standardize: the network's inputs."""
        assert self.mean is not None and self.std is not None
        encoded = self.encode(table, features, rows)
        return ((encoded - self.mean) / self.std).astype(np.float32, copy=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON data for the model file's metadata (``mean`` and ``std`` as a Standardizer's)."""
        assert self.mean is not None and self.std is not None
        return {"columns": self.columns, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TablePreprocessor:
        """Rebuild from :meth:`to_dict`'s data; a ValueError when it is not that."""
        columns = data.get("columns")
        if not isinstance(columns, list) or not all(
            isinstance(c, dict)
            and isinstance(c.get("name"), str)
            and c.get("kind") in ("number", "category")
            and (
                c["kind"] == "number"
                or (isinstance(c.get("categories"), list) and c.get("fill") in c["categories"])
            )
            for c in columns
        ):
            raise ValueError("its preprocessing has no valid list of columns")
        mean = np.asarray(data.get("mean"), dtype=np.float32)
        std = np.asarray(data.get("std"), dtype=np.float32)
        preprocessor = cls(columns, mean, std)
        width = len(preprocessor.feature_names)
        if mean.shape != (width,) or std.shape != (width,) or not np.all(std > 0):
            raise ValueError(
                f"its preprocessing has {width} encoded columns but mean/std of shapes "
                f"{mean.shape} and {std.shape} (every std must be > 0)"
            )
        return preprocessor

    def describe(self) -> list[str]:
        """One line per raw column: what is done to it (for ``humblenet info``)."""
        lines = []
        for column in self.columns:
            if column["kind"] == "number":
                lines.append(f"{column['name']}: number, missing -> {column['fill']:.6g} (median)")
            else:
                values = ", ".join(column["categories"])
                lines.append(
                    f"{column['name']}: text, one-hot over {len(column['categories'])} "
                    f"categories ({values}), missing -> {column['fill']!r} (most frequent)"
                )
        return lines

    def to_onnx(self, graph: Any) -> str:
        """Write the steps into ``graph``: one input per raw column, named after it, shape
        ``(batch, 1)`` (float for a number, NaN where missing; string for text), then the fills
        (ai.onnx.ml ``Imputer``), one-hot codes (ai.onnx.ml ``OneHotEncoder``; a missing text, given
        as ``""``, comes out all zeros and gets its fill's 1 added),
        ``Concat`` and the standardization (``Sub``, ``Div``). Return the encoded input."""
        assert self.mean is not None and self.std is not None
        parts = []
        for column in self.columns:
            name = column["name"]
            if column["kind"] == "number":
                x = graph.input(name, "float", [1])
                parts.append(
                    graph.node(
                        "Imputer",
                        [x],
                        domain="ai.onnx.ml",
                        imputed_value_floats=[float(np.float32(column["fill"]))],
                        replaced_value_float=float("nan"),
                    )
                )
            else:
                x = graph.input(name, "string", [1])
                known = list(column["categories"])
                hot = graph.node(
                    "OneHotEncoder", [x], domain="ai.onnx.ml", cats_strings=known, zeros=1
                )
                shape = graph.array(np.array([-1, len(known)], dtype=np.int64))
                hot = graph.node(
                    "Cast", [graph.node("Reshape", [hot, shape])], to=graph.element_type
                )
                # A missing (or unknown) text gives all zeros: add the fill's 1 there. (Equal on
                # strings needs opset 19; this stays in opset 17.)
                ones = graph.array(np.ones((len(known), 1)))
                missing = graph.node(
                    "Sub", [graph.array(np.ones(1)), graph.node("MatMul", [hot, ones])]
                )
                fill = np.zeros((1, len(known)))
                fill[0, known.index(column["fill"])] = 1
                parts.append(
                    graph.node("Add", [hot, graph.node("Mul", [missing, graph.array(fill)])])
                )
        joined = graph.node("Concat", parts, axis=1) if len(parts) > 1 else parts[0]
        centred = graph.node("Sub", [joined, graph.array(self.mean)])
        return str(graph.node("Div", [centred, graph.array(self.std)]))
