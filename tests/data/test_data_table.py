"""Tests of humblenet.data.table: read_table (encodings, delimiters, pandas' index column,
missing values, float32's range) and TablePreprocessor against scikit-learn's SimpleImputer,
OneHotEncoder and StandardScaler, and its ONNX form run by ONNX Runtime."""

import numpy as np
import onnxruntime
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import humblenet
from humblenet import nn
from humblenet.data.table import TablePreprocessor, read_table
from humblenet.io.onnx import export_onnx


def write(tmp_path, text, name="table.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_hand_worked_table(tmp_path):
    path = write(tmp_path, ",mass,island\n0,3.5,Dream\n1,NA,Biscoe\n2,4.0,\n3,6.0,Dream\n")
    table = read_table(path)
    assert table.dropped_index and table.header == ["mass", "island"] and table.delimiter == ","
    assert table.categories == [None, ["Dream", "Biscoe"]]
    np.testing.assert_array_equal(table.lines, [2, 3, 4, 5])
    p = TablePreprocessor.fit(table, [0, 1], np.arange(4))
    # median of 3.5, 4, 6 is 4; Dream is most frequent; categories sorted.
    assert p.columns[0] == {"name": "mass", "kind": "number", "fill": 4.0}
    assert p.columns[1]["categories"] == ["Biscoe", "Dream"] and p.columns[1]["fill"] == "Dream"
    assert p.feature_names == ["mass", "island=Biscoe", "island=Dream"]
    encoded = p.encode(table, [0, 1])
    np.testing.assert_array_equal(encoded, [[3.5, 0, 1], [4, 1, 0], [4, 0, 1], [6, 0, 1]])
    # mass: mean 4.375, population std sqrt(((-.875)^2+(-.375)^2*2+1.625^2)/4)
    std = np.sqrt((0.875**2 + 2 * 0.375**2 + 1.625**2) / 4)
    np.testing.assert_allclose(p.mean, [4.375, 0.25, 0.75], rtol=1e-6)
    np.testing.assert_allclose(p.std, [std, np.sqrt(3) / 4, np.sqrt(3) / 4], rtol=1e-6)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ";"), ("latin-1", "\t"), ("utf-16", "|"), ("utf-8-sig", ",")],
)
def test_encodings_and_delimiters_detected(tmp_path, encoding, delimiter):
    text = delimiter.join(["größe", "ort"]) + "\n" + delimiter.join(["1.5", "Zürich"]) + "\n"
    text += delimiter.join(["2", "Genève"]) + "\n"
    table = read_table(write(tmp_path, text, encoding=encoding))
    assert table.delimiter == delimiter and table.header == ["größe", "ort"]
    assert table.categories[1] == ["Zürich", "Genève"]
    np.testing.assert_array_equal(table.values[:, 0], [1.5, 2.0])


def test_given_delimiter_and_encoding(tmp_path):
    path = write(tmp_path, "a;b\n1;é\n", encoding="latin-1")
    table = read_table(path, delimiter=";", encoding="latin-1")
    assert table.categories[1] == ["é"]
    with pytest.raises(ValueError, match=r"cannot be read as utf-8.*--encoding"):
        read_table(path, encoding="utf-8")
    with pytest.raises(ValueError, match="not an encoding"):
        read_table(path, encoding="klingon")


def test_errors_name_file_line_and_column(tmp_path):
    with pytest.raises(ValueError, match=r"line 3, column 'x': '1e39' is beyond float32"):
        read_table(write(tmp_path, "x,y\n1,2\n1e39,3\n"))
    with pytest.raises(ValueError, match=r"line 4, column 'x': 'abc' is not a number"):
        read_table(write(tmp_path, "x,y\n1,2\n2,3\nabc,4\n"))
    with pytest.raises(ValueError, match="line 2: expected 2 values"):
        read_table(write(tmp_path, "x,y\n1,2,3\n"))
    with pytest.raises(ValueError, match="repeats column"):
        read_table(write(tmp_path, "x,x\n1,2\n"))
    with pytest.raises(ValueError, match="no data rows"):
        read_table(write(tmp_path, "x,y\n"))
    with pytest.raises(ValueError, match="empty"):
        read_table(write(tmp_path, ""))


def test_numeric_file_equals_loadtxt(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(3000, 5)).astype(np.float32)
    path = tmp_path / "n.csv"
    np.savetxt(path, data, delimiter=",", header="a,b,c,d,e", comments="", fmt="%.7g")
    table = read_table(path)
    np.testing.assert_array_equal(
        table.values, np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    )
    assert all(c is None for c in table.categories)


def _random_table(tmp_path, rows=60):
    rng = np.random.default_rng(1)
    numbers = rng.normal(size=(rows, 2)) * [3.0, 0.5] + [10.0, -1.0]
    numbers[rng.random((rows, 2)) < 0.15] = np.nan
    colours = rng.choice(["red", "green", "blue", ""], size=rows, p=[0.4, 0.3, 0.2, 0.1])
    sizes = rng.choice(["S", "M", "L", "NA"], size=rows, p=[0.2, 0.3, 0.4, 0.1])
    lines = ["a,colour,b,size,label"]
    for i in range(rows):
        a = "" if np.isnan(numbers[i, 0]) else f"{numbers[i, 0]:.6f}"
        b = "NA" if np.isnan(numbers[i, 1]) else f"{numbers[i, 1]:.6f}"
        lines.append(f"{a},{colours[i]},{b},{sizes[i]},{i % 2}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    parsed = np.array(
        [
            [
                float(x) if x not in ("", "NA") else np.nan
                for x in (r.split(",")[0], r.split(",")[2])
            ]
            for r in lines[1:]
        ]
    )
    text = np.array(
        [
            [c if c else np.nan for c in (r.split(",")[1], r.split(",")[3].replace("NA", ""))]
            for r in lines[1:]
        ],
        dtype=object,
    )
    return path, parsed, text


def test_preprocessor_equals_scikit_learn(tmp_path):
    path, numbers, text = _random_table(tmp_path)
    table = read_table(path)
    assert table.header == ["a", "colour", "b", "size", "label"]
    rows = np.arange(0, 60, 2)  # fit on half the rows, apply to all
    p = TablePreprocessor.fit(table, [0, 1, 2, 3], rows)
    median = SimpleImputer(strategy="median").fit(numbers[rows])
    frequent = SimpleImputer(strategy="most_frequent", missing_values=np.nan).fit(text[rows])
    hot = OneHotEncoder(sparse_output=False).fit(frequent.transform(text))
    np.testing.assert_allclose(
        [p.columns[0]["fill"], p.columns[2]["fill"]], median.statistics_, rtol=1e-6
    )
    assert [p.columns[1]["fill"], p.columns[3]["fill"]] == list(frequent.statistics_)
    assert [p.columns[1]["categories"], p.columns[3]["categories"]] == [
        list(c) for c in hot.categories_
    ]
    filled = median.transform(numbers)
    onehot = hot.transform(frequent.transform(text))
    reference = np.hstack([filled[:, :1], onehot[:, :3], filled[:, 1:], onehot[:, 3:]])
    np.testing.assert_allclose(p.encode(table, [0, 1, 2, 3]), reference, rtol=1e-6)
    scaler = StandardScaler().fit(reference[rows])
    np.testing.assert_allclose(
        p.transform(table, [0, 1, 2, 3]), scaler.transform(reference), rtol=1e-5, atol=1e-5
    )
    again = TablePreprocessor.from_dict(p.to_dict())
    np.testing.assert_array_equal(
        again.transform(table, [0, 1, 2, 3]), p.transform(table, [0, 1, 2, 3])
    )


def test_unseen_category_and_bad_dict_refused(tmp_path):
    table = read_table(write(tmp_path, "c,x\nred,1\nblue,2\n"))
    p = TablePreprocessor.fit(table, [0, 1], np.arange(2))
    other = read_table(write(tmp_path, "c,x\ngreen,1\n", name="other.csv"))
    with pytest.raises(ValueError, match="'green', which the model has not seen"):
        p.transform(other, [0, 1])
    with pytest.raises(ValueError, match="no valid list of columns"):
        TablePreprocessor.from_dict({"columns": [{"name": "c", "kind": "category"}]})
    assert "one-hot over 2 categories" in p.describe()[0]


def test_onnx_runtime_on_raw_columns_equals_network(tmp_path):
    path, _, _ = _random_table(tmp_path)
    table = read_table(path)
    p = TablePreprocessor.fit(table, [0, 1, 2, 3], np.arange(60))
    width = len(p.feature_names)
    model = humblenet.Sequential(
        [nn.Dense(8, activation="relu", input_shape=(width,)), nn.Dense(2)], seed=0
    )
    out = tmp_path / "m.onnx"
    export_onnx(model, out, preprocessing=p.to_dict())
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    feeds = {}
    for index, column in enumerate(p.columns):
        if column["kind"] == "number":
            feeds[column["name"]] = table.values[:, index : index + 1].copy()
        else:
            cells = [t if t is not None else "" for t in table.texts(index)]
            feeds[column["name"]] = np.array(cells, dtype=object).reshape(-1, 1)
    got = session.run(None, feeds)[0]
    expected = model.predict(p.transform(table, [0, 1, 2, 3]))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_target_classes_regression_and_rows_without_a_target(tmp_path):
    from humblenet.data.table import table_target

    table = read_table(write(tmp_path, "x,k,t,r\n1,b,3,0.5\n2,a,NA,1.5\n3,b,1,2.25\n4,,3,3\n"))
    y, names, task, rows = table_target(table, "t")  # whole numbers: classes, sorted
    assert (names, task) == (("1", "3"), "classify")
    np.testing.assert_array_equal(rows, [0, 2, 3])
    np.testing.assert_array_equal(y, [1, 0, 1])
    y, names, task, rows = table_target(table, "k")  # text: sorted class names
    assert (names, task) == (("a", "b"), "classify")
    np.testing.assert_array_equal(y, [1, 0, 1])
    np.testing.assert_array_equal(rows, [0, 1, 2])
    y, names, task, _ = table_target(table, "r")
    assert names is None and task == "regress"
    np.testing.assert_array_equal(y, [0.5, 1.5, 2.25, 3])
    with pytest.raises(ValueError, match="holds text, but a regression needs numbers"):
        table_target(table, "k", "regress")


def test_quoted_fields_and_blank_lines(tmp_path):
    table = read_table(write(tmp_path, 'name,x\n"Smith, J.",1\n\n"two\nlines",2\n'))
    assert table.categories[0] == ["Smith, J.", "two\nlines"]
    np.testing.assert_array_equal(table.values[:, 1], [1, 2])


def test_one_row_from_cells():
    from humblenet.data.table import table_from_cells

    table = table_from_cells("--input", {"a": "1.5", "b": "Dream", "c": "NA"})
    assert table.categories == [None, ["Dream"], None]
    np.testing.assert_array_equal(table.values, [[1.5, 0, np.nan]])
    with pytest.raises(ValueError, match="beyond float32"):
        table_from_cells("--input", {"a": "1e40"})
