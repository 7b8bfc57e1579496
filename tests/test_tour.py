"""``humblenet tour``: every part of the series, in order, with its key numbers."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from humblenet import cli
from humblenet.series import tour  # the module whose CHAPTERS run_tour reads (monkeypatched below)

KEY_NUMBERS = [
    "226.79999999999998",
    "235.10000000000002",
    "0.38304",
    "1444.0",
    "1764.0",
    "40.00000000000001",
    "[9.961359999999999, 1.2271999999999998, 10.98068]",
    "[40.00000000000001, 230.00000000000003, 0.5039999999999997]",
    "8.0, 46.0, 0.1",
    "converged after 92 passes",
]


def check_tour_text(text: str) -> None:
    positions = [text.index(f"== Part {part}:") for part in range(1, 9)]
    assert positions == sorted(positions), "parts out of order"
    for number in KEY_NUMBERS:
        assert number in text, f"{number} missing from the tour"
    assert "Traceback" not in text


def test_tour_via_python_dash_m():
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-m", "humblenet", "tour"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    check_tour_text(completed.stdout)


def test_tour_via_main_and_verbose_shows_more(capsys):
    assert cli.main(["tour"]) == 0
    short = capsys.readouterr().out
    check_tour_text(short)
    assert cli.main(["tour", "--verbose"]) == 0
    verbose = capsys.readouterr().out
    check_tour_text(verbose)
    assert len(verbose.splitlines()) > 2 * len(short.splitlines())
    # Every step of part 4 appears in the verbose trace only.
    assert "step 3: prediction 7.99" in verbose and "step 3: prediction 7.99" not in short


def test_tour_lines_fit_a_terminal_apart_from_part_1s_quoted_line(capsys):
    cli.main(["tour"])
    for line in capsys.readouterr().out.splitlines():
        assert len(line) <= 100 or "According to my neural network" in line, line


def test_bad_usage_exits_non_zero_without_a_traceback():
    completed = subprocess.run(
        [sys.executable, "-m", "humblenet", "tour", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr and "--bogus" in completed.stderr


def test_chapters_can_be_inserted(monkeypatch):
    def extra(verbose: bool) -> list[str]:
        return ["an inserted chapter", "verbose" if verbose else "short"]

    monkeypatch.setattr(tour, "CHAPTERS", [*tour.CHAPTERS, ("Part 9: a test chapter", extra)])
    out = io.StringIO()
    tour.run_tour(verbose=True, out=out)
    text = out.getvalue()
    assert text.index("== Part 8:") < text.index("== Part 9: a test chapter ==")
    assert "an inserted chapter" in text and "verbose" in text


def test_the_neuron_chapter_comes_first_when_offered():
    titles = [title for title, _ in tour.chapters()]
    assert titles[1:] == [title for title, _ in tour.CHAPTERS]
    assert "neuron" in titles[0].lower()
    assert [t.split(":")[0] for t in titles[1:11]] == [f"Part {n}" for n in range(1, 11)]
    # after the series' ten parts, the chapters that go beyond it (sequences, ...)
    assert not any(t.startswith("Part") for t in titles[11:])


def test_a_chapter_that_repeats_its_title_shows_it_once(monkeypatch):
    def titled(verbose: bool) -> list[str]:
        return ["A titled chapter", "  its body"]

    monkeypatch.setattr(tour, "CHAPTERS", [("A titled chapter", titled)])
    monkeypatch.setattr(tour, "chapters", lambda: list(tour.CHAPTERS))
    out = io.StringIO()
    tour.run_tour(verbose=False, out=out)
    assert out.getvalue().count("A titled chapter") == 1
    assert "\n  its body\n" in out.getvalue()


def test_plots_writes_each_registered_figure_and_names_it(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    folder = tmp_path / "figures"  # made by the command (its parent exists)
    assert cli.main(["tour", "--plots", str(folder)]) == 0
    text = capsys.readouterr().out
    check_tour_text(text)
    named = [Path(line.split("Figure: ", 1)[1]) for line in text.splitlines() if "Figure: " in line]
    assert named and sorted(named) == sorted(folder.iterdir())
    for path in named:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the text is the same with or without the pictures, apart from the lines naming them
    assert cli.main(["tour"]) == 0
    plain = capsys.readouterr().out
    assert [line for line in text.splitlines() if "Figure: " not in line] == plain.splitlines()


def test_a_registered_figure_function_is_called_with_the_folder(tmp_path, monkeypatch):
    calls = []

    def extra(verbose: bool) -> list[str]:
        return ["a chapter with a picture"]

    def picture(folder: Path) -> list[Path]:
        calls.append(folder)
        path = folder / "extra.txt"
        path.write_text("drawn")
        return [path]

    monkeypatch.setattr(tour, "CHAPTERS", [("Part 99: pictures", extra)])
    monkeypatch.setattr(tour, "FIGURES", {"Part 99: pictures": picture})
    out = io.StringIO()
    tour.run_tour(verbose=False, out=out)
    assert calls == []  # no folder, no pictures
    tour.run_tour(verbose=False, out=out, plots=tmp_path)
    assert calls == [tmp_path]
    assert f"  Figure: {tmp_path / 'extra.txt'}\n" in out.getvalue()


def test_plots_refuses_a_file_or_a_missing_parent_in_one_line(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    for target, words in ((a_file, "is a file"), (tmp_path / "no" / "where", "does not exist")):
        completed = subprocess.run(
            [sys.executable, "-m", "humblenet", "tour", "--plots", str(target)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 2, completed.stderr
        assert words in completed.stderr and "Traceback" not in completed.stderr
        assert completed.stdout == ""  # refused before the tour starts
    assert a_file.read_text() == "keep me" and sorted(tmp_path.iterdir()) == [a_file]


def test_plots_without_matplotlib_says_what_to_install(tmp_path, monkeypatch, capsys):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    assert cli.main(["tour", "--plots", str(tmp_path / "figures")]) == 2
    captured = capsys.readouterr()
    assert 'pip install "humblenet[plots]"' in captured.err and captured.out == ""
    assert list(tmp_path.iterdir()) == []
