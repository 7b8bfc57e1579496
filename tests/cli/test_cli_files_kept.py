"""No command destroys a file: an output that is one of the inputs (by name, symbolic or hard
link) is refused before any work, an output whose extension says another format is refused, an
unwritable folder is found before training, and a diverged run saves nothing. Every case checks
that each file in the folder is byte-identical afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_helper import humblenet_run, run_main

from humblenet import Sequential
from humblenet.io.onnx import export_onnx
from humblenet.nn import Dense


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _refused(folder: Path, capsys, args: list[str], words: list[str], early: bool = True) -> str:
    """One line on stderr naming ``words``, exit 2, and every file as it was (no new one)."""
    before = _snapshot(folder)
    status, out, err = run_main(args, capsys)
    assert status == 2, (out, err)
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err, err
    assert _snapshot(folder) == before
    assert ("training" not in out) == early  # refused before any work
    return err


def test_predict_output_onto_the_model_is_refused(workspace, capsys):
    _refused(
        workspace,
        capsys,
        ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "model.safetensors"],
        ["--output model.safetensors", "same file as model.safetensors"],
    )


def test_predict_output_onto_its_rows_is_refused(workspace, capsys):
    _refused(
        workspace,
        capsys,
        ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "flowers.csv"],
        ["same file as --csv flowers.csv"],
    )


def test_train_out_onto_the_training_csv_is_refused(workspace, capsys):
    _refused(workspace, capsys, ["train", "flowers.csv", "--out", "flowers.csv"], ["same file"])


def test_export_onto_the_model_is_refused(workspace, capsys):
    _refused(
        workspace,
        capsys,
        ["export", "model.safetensors", "model.safetensors"],
        ["same file as model.safetensors"],
    )


def test_a_hard_link_to_the_input_is_refused(workspace, capsys):
    os.link(workspace / "flowers.csv", workspace / "linked.safetensors")
    _refused(
        workspace,
        capsys,
        ["train", "flowers.csv", "--out", "linked.safetensors"],
        ["--out linked.safetensors is the same file as DATA flowers.csv"],
    )


def test_a_symbolic_link_to_the_rows_is_refused(workspace, capsys):
    (workspace / "out.csv").symlink_to(workspace / "flowers.csv")
    _refused(
        workspace,
        capsys,
        ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "out.csv"],
        ["same file as --csv flowers.csv"],
    )


def test_a_path_through_another_folder_is_the_same_file(workspace, capsys):
    (workspace / "sub").mkdir()
    _refused(
        workspace,
        capsys,
        ["export", "model.safetensors", "sub/../model.safetensors"],
        ["same file"],
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "flowers.csv", "--out", "model.onnx"], [".safetensors", "humblenet export"]),
        (["train", "flowers.csv", "--out", "model.h5"], ["model.safetensors"]),
        (["export", "model.safetensors", "model.safetensors.bak"], [".onnx"]),
        (
            ["predict", "model.safetensors", "--csv", "flowers.csv", "--output", "p.safetensors"],
            ["p.csv"],
        ),
    ],
)
def test_an_output_named_for_another_format_is_refused(workspace, capsys, args, words):
    _refused(workspace, capsys, args, words)


def test_the_library_refuses_names_of_other_formats(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,), seed=0)])
    with pytest.raises(ValueError, match=r"m\.h5' does not end in \.safetensors.*'m\.safetensors'"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"\.safetensors"):
        model.save_weights(tmp_path / "w.pt")
    with pytest.raises(ValueError, match=r"does not end in \.onnx"):
        export_onnx(model, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_found_before_training(workspace, capsys):
    if os.geteuid() == 0:
        # root writes anywhere a permission bit says no; /proc refuses new files to everyone.
        target = "/proc/model.safetensors"
    else:
        locked = workspace / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = str(locked / "model.safetensors")
    err = _refused(workspace, capsys, ["train", "flowers.csv", "--out", target], ["cannot write"])
    assert target in err
    assert ".tmp" not in err and "probe" not in err


def test_a_diverged_run_saves_nothing(workspace, capsys):
    err = _refused(
        workspace,
        capsys,
        ["train", "flowers.csv", "--learning-rate", "1e30", "--epochs", "3"],
        ["diverged", "nothing was saved", "Lower --learning-rate (now 1e+30)"],
        early=False,
    )
    assert "nan" in err or "inf" in err


def test_a_diverged_run_as_a_user_runs_it(workspace):
    result = humblenet_run(
        "train", "flowers.csv", "--learning-rate", "1e30", "--epochs", "3",
        "--out", "new.safetensors", cwd=workspace,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert not (workspace / "new.safetensors").exists()
