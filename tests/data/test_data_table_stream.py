"""Tests of read_table's streaming: the same table for every chunk size (one character to the
whole file), whatever falls on a chunk's edge (a quoted field holding a line break, CRLF, a
missing value or a new category first seen late, a line longer than a chunk), against a
reference read here with the csv module and ``float``; the plain-decimal parser against
``float`` and ``numpy.loadtxt``; memory; the progress line.

Files are small (at most 60,000 rows x 5 columns, or 50,000 x 21: 4.2 MB as float32)."""

import csv
import io
import sys
import tracemalloc

import numpy as np
import pytest

from humblenet.data.table import MISSING, read_table

CHUNKS = [1, 2, 7, 64, 1000, 1 << 30]
"""Chunk sizes in characters: 1 cuts after every line, 1 << 30 reads the file as one chunk."""


def reference(text, delimiter=","):
    """The table read by the csv module: float32 numbers (NaN missing), category codes in
    order of first appearance, and the line each row came from."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header, body = rows[0], rows[1:]
    lines, line = [], 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    kept = []
    for cells in reader:
        if cells and any(c.strip() for c in cells):
            kept.append(cells)
            lines.append(line + 1)
        line = reader.line_num
    del body
    values = np.empty((len(kept), len(header)), dtype=np.float32)
    categories = []
    for column in range(len(header)):
        cells = [row[column].strip() for row in kept]
        present = [c for c in cells if c.lower() not in MISSING]
        try:
            [float(c) for c in present]
        except ValueError:
            codes = {}
            for row, cell in enumerate(cells):
                missing = cell.lower() in MISSING
                values[row, column] = np.nan if missing else codes.setdefault(cell, len(codes))
            categories.append(list(codes))
        else:
            for row, cell in enumerate(cells):
                values[row, column] = np.nan if cell.lower() in MISSING else float(cell)
            categories.append(None)
    return header, values, categories, np.array(lines)


def check_every_chunk_size(path, text, delimiter=","):
    header, values, categories, lines = reference(text, delimiter)
    for chunk in CHUNKS:
        table = read_table(path, chunk_characters=chunk)
        assert table.header == header, chunk
        np.testing.assert_array_equal(table.values, values, err_msg=f"chunk {chunk}")
        assert table.categories == categories, chunk
        np.testing.assert_array_equal(table.lines, lines, err_msg=f"chunk {chunk}")


def plain_numbers_text(rows, seed=0):
    """Decimals in every form the fast parser takes: signs, a leading or trailing dot, whole
    numbers, leading zeros, -0, up to 15 digits."""
    rng = np.random.default_rng(seed)
    forms = [
        lambda: f"{rng.normal() * 10.0 ** rng.integers(-3, 6):.{rng.integers(0, 9)}f}",
        lambda: f"{rng.integers(-1000, 1000)}",
        lambda: f"+{rng.random():.6f}",
        lambda: f".{rng.integers(0, 99999):05d}",
        lambda: f"-{rng.integers(0, 99)}.",
        lambda: "-0",
        lambda: f"00{rng.integers(0, 9)}.5",
        lambda: f"{rng.integers(10**14, 10**15 - 1)}",
        lambda: f"0.{rng.integers(10**14, 10**15 - 1)}",
    ]
    lines = ["a,b,c,d,e"]
    for _ in range(rows):
        lines.append(",".join(forms[rng.integers(len(forms))]() for _ in range(5)))
    return "\n".join(lines) + "\n"


def test_plain_numbers_equal_float_and_loadtxt(tmp_path):
    text = plain_numbers_text(60000)
    path = tmp_path / "plain.csv"
    path.write_text(text)
    expected = np.array(
        [[float(c) for c in line.split(",")] for line in text.splitlines()[1:]]
    ).astype(np.float32)
    table = read_table(path)
    np.testing.assert_array_equal(table.values, expected)
    np.testing.assert_array_equal(
        table.values, np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    )
    assert np.signbit(table.values[expected == 0]).tolist() == np.signbit(
        expected[expected == 0]
    ).tolist()  # -0 stays negative zero, as float("-0")
    assert table.categories == [None] * 5


@pytest.mark.parametrize("chunk", CHUNKS)
def test_plain_numbers_any_chunk(tmp_path, chunk):
    text = plain_numbers_text(300, seed=1)
    path = tmp_path / "plain.csv"
    path.write_text(text)
    _, values, _, lines = reference(text)
    table = read_table(path, chunk_characters=chunk)
    np.testing.assert_array_equal(table.values, values)
    np.testing.assert_array_equal(table.lines, lines)


@pytest.mark.parametrize(
    "cell",
    ["1e3", "-2.5E-4", " 7", "8 ", "1234567890123456", "0.12345678901234567", "inf ignored"],
)
def test_numbers_the_fast_parser_leaves_to_others(tmp_path, cell):
    """Exponents, spaces and more than 15 digits go to NumPy's parser or the csv module, with
    the same values as ``float``; a text cell after numbers is refused by line and column."""
    head = "\n".join(f"{i}.25,{-i}" for i in range(40))
    path = tmp_path / "t.csv"
    text = f"a,b\n{head}\n{cell},3\n"
    path.write_text(text)
    for chunk in CHUNKS:
        if cell == "inf ignored":
            with pytest.raises(ValueError, match=r"line 42, column 'a': 'inf ignored' is not"):
                read_table(path, chunk_characters=chunk)
            continue
        table = read_table(path, chunk_characters=chunk)
        assert table.values[-1, 0] == np.float32(float(cell)), chunk
        np.testing.assert_array_equal(table.values, reference(text)[1])


@pytest.mark.parametrize("bad", ["1.2.3", "--1", "1-2", "-", "."])
def test_malformed_numbers_are_named(tmp_path, bad):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "1.5,2\n" * 30 + f"{bad},1\n")
    for chunk in CHUNKS:
        with pytest.raises(ValueError, match=rf"line 32, column 'a': '{bad}' is not a number"):
            read_table(path, chunk_characters=chunk)


def mixed_text(rows, line_end="\n"):
    """Numbers, text with categories first seen late, gaps only late, quotes (a delimiter and
    a line break inside) only late, all with ``line_end``."""
    lines = ["x,island,y,note,label"]
    for i in range(rows):
        late = i > rows // 2
        island = ["Dream", "Biscoe"][i % 2] if not late else ["Dream", "Torgersen", ""][i % 3]
        x = f"{i * 0.37:.3f}" if not (late and i % 7 == 0) else "NA"
        y = "" if late and i % 5 == 0 else f"{-i}"
        note = "plain" if not late or i % 4 else '"a, b\nc"'
        lines.append(f"{x},{island},{y},{note},{i % 3}")
        if i == rows // 3:
            lines.append("")  # a blank line
    return line_end.join(lines) + line_end


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_mixed_table_same_for_every_chunk(tmp_path, line_end):
    text = mixed_text(120, line_end)
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode())
    check_every_chunk_size(path, text)
    table = read_table(path)
    assert table.categories[1] == ["Dream", "Biscoe", "Torgersen"]
    assert table.categories[3] == ["plain", "a, b\nc"]
    assert np.isnan(table.values[:, 0]).sum() == sum(
        1 for i in range(61, 120) if i % 7 == 0
    )


def test_text_column_first_seen_in_a_later_chunk(tmp_path):
    """A column of numbers that turns to text later is refused by line, whatever the chunk."""
    text = "a,b\n" + "".join(f"{i},{i}\n" for i in range(50)) + "7,seven\n"
    path = tmp_path / "t.csv"
    path.write_text(text)
    for chunk in CHUNKS:
        with pytest.raises(ValueError, match=r"line 52, column 'b': 'seven' is not a number"):
            read_table(path, chunk_characters=chunk)


def test_line_longer_than_a_chunk_and_no_final_line_break(tmp_path):
    header = ",".join(f"c{i}" for i in range(300))
    rows = [",".join(f"{(r * 300 + i) / 8}" for i in range(300)) for r in range(4)]
    text = header + "\n" + "\n".join(rows)  # no line break at the end
    path = tmp_path / "wide.csv"
    path.write_text(text)
    check_every_chunk_size(path, text)


def test_latin1_found_in_a_late_chunk(tmp_path):
    """UTF-8 is tried while reading; a byte that is not UTF-8 at the end reads as Latin-1."""
    text = "a;town\n" + "".join(f"{i};Bern\n" for i in range(3000)) + "1;Zürich\n"
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("latin-1"))
    for chunk in (64, 1 << 30):
        table = read_table(path, chunk_characters=chunk)
        assert table.encoding == "latin-1" and table.categories[1] == ["Bern", "Zürich"]
    with pytest.raises(ValueError, match=r"t.csv: cannot be read as utf-8 .*byte 0xfc"):
        read_table(path, encoding="utf-8")


def test_peak_memory_within_three_times_the_table(tmp_path):
    """Peak traced memory while reading 50,000 x 21 numbers (4.2 MB as float32, 9.5 MB of
    text) in the default chunks: under 3x the float32 table."""
    rng = np.random.default_rng(2)
    path = tmp_path / "big.csv"
    header = ",".join(f"x{i}" for i in range(21))
    np.savetxt(path, rng.normal(size=(50000, 21)), fmt="%.5f", delimiter=",", header=header,
               comments="")  # fmt: skip
    tracemalloc.start()
    try:
        values = read_table(path).values
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert values.shape == (50000, 21)
    assert peak < 3 * values.nbytes, (peak, values.nbytes)


def test_progress_line_without_tqdm(tmp_path, monkeypatch, capsys):
    from humblenet.data import table as table_module

    path = tmp_path / "t.csv"
    path.write_text(plain_numbers_text(2000))
    read_table(path)
    assert capsys.readouterr().err == ""  # nothing unless asked
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if the progress extra were absent
    stream = io.StringIO()
    progress = table_module._Progress(path.stat().st_size, "t.csv", stream)
    assert progress.bar is None
    progress.update(path.stat().st_size // 2)
    progress.close()
    shown = stream.getvalue()
    assert shown.startswith("\rreading t.csv:  50% of 0 MB") and shown.endswith("\r")
    assert shown.split("\r")[-2].strip() == ""  # the line is wiped at the end
    table = read_table(path, progress=True)  # the plain line on stderr, the same table
    np.testing.assert_array_equal(table.values, read_table(path).values)
    assert "reading t.csv" in capsys.readouterr().err


def test_progress_bar_with_tqdm(tmp_path, capsys):
    pytest.importorskip("tqdm")
    path = tmp_path / "t.csv"
    path.write_text(plain_numbers_text(2000))
    read_table(path, progress=True, chunk_characters=4096)
    assert "reading t.csv" in capsys.readouterr().err
