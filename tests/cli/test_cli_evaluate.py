"""``humblenet evaluate``: a saved model scored on a CSV file or a named data set's test part."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helper import CLASSES, ROWS, check_mistake, humblenet_run, ok, run_main

from humblenet import load
from humblenet.data import Standardizer


def test_evaluate_a_csv_with_fewer_classes(flowers, tmp_path):
    """A file with only two of the three classes: labels are matched to the model's by name."""
    folder, x, _ = flowers
    chosen = [i for i in range(ROWS) if i % 3 != 0][:40]  # versicolor and virginica only
    lines = ["species,petal_length,sepal_length,petal_width"]
    lines += [f"{CLASSES[i % 3]},{x[i, 0]},{x[i, 1]},{x[i, 2]}" for i in chosen]
    (tmp_path / "test.csv").write_text("\n".join(lines) + "\n")
    model_path = str(folder / "model.safetensors")
    stdout = ok(humblenet_run("evaluate", model_path, "test.csv", cwd=tmp_path))
    model = load(folder / "model.safetensors")
    scaler = Standardizer.from_dict(model.metadata["preprocessing"])
    probabilities = model.predict(scaler.transform(x[chosen].astype(np.float32))).astype(np.float64)
    labels = np.array([i % 3 for i in chosen])
    accuracy = np.mean(probabilities.argmax(axis=1) == labels)
    loss = -np.mean(np.log(probabilities[np.arange(len(labels)), labels]))
    assert stdout.startswith("test.csv (40 rows): ")
    printed = dict(part.rsplit(" ", 1) for part in stdout.split(": ", 1)[1].strip().split(", "))
    assert float(printed["accuracy"]) == pytest.approx(accuracy, abs=5e-5)
    assert float(printed["loss"]) == pytest.approx(loss, abs=1e-4)


MISTAKES = [
    (["evaluate", "model.safetensors", "two_classes.csv"], ["'rose'", "does not know"]),
    (["evaluate", "model.safetensors", "runs.csv"], ["no column 'species'"]),
    (["evaluate", "model.safetensors", "fashion"], ["'fashion'", "named data set"]),
    (["evaluate", "model.safetensors", "digits"], ["64 features", "expects 3"]),
    (["evaluate", "model.safetensors", "jogging"], ["jogging is a regression", "classifier"]),
    (["evaluate", "model.safetensors", "flowers.csv", "--plot", "cm.xyz"], ["cm.xyz", ".png"]),
]


@pytest.mark.parametrize(("args", "words"), MISTAKES, ids=lambda v: " ".join(v)[:60])
def test_a_mistake_is_one_line_status_2_and_writes_nothing(workspace, capsys, args, words):
    check_mistake(workspace, capsys, args, words)


def test_a_named_set_with_classes_the_model_does_not_know(workspace, capsys):
    from humblenet import Sequential
    from humblenet.nn import Dense

    model = Sequential([Dense(3, activation="softmax", input_shape=(64,), seed=0)])
    model.save(workspace / "three.safetensors", task="classify", class_names=["0", "1", "2"])
    check_mistake(
        workspace,
        capsys,
        ["evaluate", "three.safetensors", "digits"],
        ["digits: the labels hold the class number(s) ['3', '4'", "outside 0..2 for the model's 3"],
    )


def test_a_class_number_out_of_range_is_named_alone(workspace, capsys):
    """Labels given as numbers for a model with class names: one that is out of range is
    named alone (the numbers in range are not listed as unknown); a wrong --target on a wide
    table lists a few of its columns and how many, not all of them."""
    from humblenet import Sequential
    from humblenet.nn import Dense

    model = Sequential([Dense(3, activation="softmax", input_shape=(40,), seed=0)])
    model.save(workspace / "m.safetensors", task="classify", class_names=["a", "b", "c"])
    header = ",".join([*(f"f{i}" for i in range(40)), "label"])
    rows = [",".join(["0.5"] * 40 + [str(label)]) for label in (0, 1, 2, 7)]
    (workspace / "wide.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    check_mistake(
        workspace, capsys, ["evaluate", "m.safetensors", "wide.csv", "--target", "label"],
        ["the class number(s) ['7'], outside 0..2", "(0 = 'a', 2 = 'c')"],
    )  # fmt: skip
    check_mistake(
        workspace, capsys, ["evaluate", "m.safetensors", "wide.csv", "--target", "nosuch"],
        ["no column 'nosuch'", "the 41 columns are ['f0'", "'label']"],
    )  # fmt: skip
    _, _, err = run_main(["evaluate", "m.safetensors", "wide.csv", "--target", "nosuch"], capsys)
    assert "'f20'" not in err
