"""Tests of humblenet.data.read_csv, read_csv_features, Standardizer and train_validation_split."""

import json

import numpy as np
import pytest

from humblenet.data import Standardizer, read_csv, train_validation_split
from humblenet.data.csv import read_csv_features


def write(tmp_path, text, name="table.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_with_text_labels(tmp_path):
    path = write(
        tmp_path,
        "length,width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n"
        "4.9,3.0,setosa\n\n",
    )
    table = read_csv(path, target="species")
    assert table.x.dtype == np.float32 and table.x.shape == (4, 2)
    np.testing.assert_array_equal(
        table.x, np.array([[5.1, 3.5], [7.0, 3.2], [6.3, 3.3], [4.9, 3.0]], dtype=np.float32)
    )
    assert table.feature_names == ("length", "width")
    assert table.class_names == ("setosa", "versicolor", "virginica")
    assert table.y.dtype == np.int64 and table.y.tolist() == [0, 1, 2, 0]
    assert table.task == "classify" and table.num_classes == 3 and len(table) == 4


def test_class_names_are_sorted_not_first_seen(tmp_path):
    table = read_csv(write(tmp_path, "a,label\n1,zebra\n2,ant\n3,moose\n"))
    assert table.class_names == ("ant", "moose", "zebra")
    assert table.y.tolist() == [2, 0, 1]


def test_target_defaults_to_last_column_and_can_be_any_column(tmp_path):
    path = write(tmp_path, "y,a,b\n1,2,3\n0,5,6\n")
    assert read_csv(path).target == "b"
    table = read_csv(path, target="y")
    assert table.feature_names == ("a", "b") and table.y.tolist() == [1, 0]


def test_feature_selection(tmp_path):
    path = write(tmp_path, "id,a,b,y\nrow-1,2,3,1\nrow-2,5,6,0\n")
    table = read_csv(path, target="y", features=["b", "a"])
    assert table.feature_names == ("b", "a")
    np.testing.assert_array_equal(table.x, [[3, 2], [6, 5]])


def test_few_integer_values_are_classes_numerically_sorted(tmp_path):
    rows = "".join(f"{i},{label}\n" for i, label in enumerate([10, 2, 2, 10, 7]))
    table = read_csv(write(tmp_path, "x,grade\n" + rows))
    assert table.task == "classify"
    assert table.class_names == ("2", "7", "10")
    assert table.y.tolist() == [2, 0, 0, 2, 1]


def test_non_integer_target_is_regression(tmp_path):
    table = read_csv(write(tmp_path, "x,price\n1,2.5\n2,3.0\n3,4.0\n"))
    assert table.task == "regress" and table.class_names is None
    assert table.y.dtype == np.float32 and table.y.tolist() == [2.5, 3.0, 4.0]


def test_more_than_twenty_distinct_integers_is_regression(tmp_path):
    twenty = "x,y\n" + "".join(f"{i},{i}\n" for i in range(20))
    twenty_one = "x,y\n" + "".join(f"{i},{i}\n" for i in range(21))
    assert read_csv(write(tmp_path, twenty, "a.csv")).task == "classify"
    assert read_csv(write(tmp_path, twenty_one, "b.csv")).task == "regress"


def test_task_given_overrides_the_guess(tmp_path):
    path = write(tmp_path, "x,y\n1,0\n2,1\n3,1\n")
    table = read_csv(path, task="regress")
    assert table.task == "regress" and table.y.tolist() == [0.0, 1.0, 1.0]
    mixed = write(tmp_path, "x,y\n1,3\n2,cat\n", "mixed.csv")
    assert read_csv(mixed, task="classify").class_names == ("3", "cat")


def test_empty_file(tmp_path):
    with pytest.raises(ValueError, match="empty.csv: the file is empty"):
        read_csv(write(tmp_path, "", "empty.csv"))


def test_header_only(tmp_path):
    with pytest.raises(ValueError, match="h.csv: the file has a header row but no data rows"):
        read_csv(write(tmp_path, "a,b,c\n", "h.csv"))


def test_ragged_row_names_line_and_counts(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(ValueError, match=r"table.csv: line 3: expected 3 values .* got 2"):
        read_csv(path)


def test_missing_feature_value_names_line_column(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n\n3,,1\n")  # the blank line 3 still counts
    with pytest.raises(ValueError, match=r"table.csv: line 4, column 'b': missing value"):
        read_csv(path)


def test_non_numeric_feature_names_line_column_value(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n3,four,1\n")
    with pytest.raises(ValueError, match=r"line 3, column 'b': 'four' is not a number"):
        read_csv(path)


def test_nan_feature_is_rejected(tmp_path):
    path = write(tmp_path, "a,y\nnan,0\n")
    with pytest.raises(ValueError, match=r"line 2, column 'a': 'nan' is not a finite number"):
        read_csv(path)


def test_missing_target_value(tmp_path):
    path = write(tmp_path, "a,y\n1,0\n2, \n")
    with pytest.raises(ValueError, match=r"line 3, column 'y': missing target value"):
        read_csv(path)


def test_unknown_target_lists_columns(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n")
    with pytest.raises(ValueError, match=r"no column 'label'; the columns are \['a', 'b', 'y'\]"):
        read_csv(path, target="label")


def test_text_target_with_regress(tmp_path):
    path = write(tmp_path, "a,y\n1,3.5\n2,big\n")
    with pytest.raises(
        ValueError, match=r"line 3, column 'y': 'big' is not a number, but task='regress'"
    ):
        read_csv(path, task="regress")


def test_text_among_numeric_targets_is_flagged(tmp_path):
    path = write(tmp_path, "a,y\n1,3.5\n2,4.5\n3,4..5\n")
    with pytest.raises(ValueError, match=r"line 4, column 'y': '4..5' is text, but other"):
        read_csv(path)


def test_duplicate_header(tmp_path):
    with pytest.raises(ValueError, match=r"line 1: the header repeats column name\(s\) \['a'\]"):
        read_csv(write(tmp_path, "a,a,y\n1,2,3\n"))


def test_bad_task(tmp_path):
    with pytest.raises(
        ValueError, match="task must be None, 'classify' or 'regress', got 'cluster'"
    ):
        read_csv(write(tmp_path, "a,y\n1,2\n"), task="cluster")


def test_a_file_that_is_not_utf8_text_is_named(tmp_path):
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ValueError, match=r"picture.csv: not UTF-8 text \(it holds the byte 0x89\)"):
        read_csv(path)


def test_a_field_over_the_csv_limit_names_its_line(tmp_path):
    path = write(tmp_path, 'a,y\n1,2\n"' + "x" * 200_000 + '",3\n')
    with pytest.raises(ValueError, match=r"table.csv: line 3: field larger than field limit"):
        read_csv(path)


def test_a_file_that_cannot_be_opened_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "absent.csv")
    with pytest.raises(IsADirectoryError):
        read_csv(tmp_path)


# -- read_csv_features: samples without a target -------------------------------------------


def test_features_by_name_in_the_order_asked_other_columns_ignored(tmp_path):
    path = write(tmp_path, "note,b,a\nfirst,2,1\nsecond,4,3\n")
    x = read_csv_features(path, ["a", "b"])
    assert x.dtype == np.float32
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_features_without_names_take_every_column(tmp_path):
    x = read_csv_features(write(tmp_path, "p0,p1,p2\n0,0.5,1\n\n1,1,0\n"))
    assert x.shape == (2, 3)
    assert x.tolist() == [[0.0, 0.5, 1.0], [1.0, 1.0, 0.0]]


def test_features_missing_columns_are_listed_with_the_files(tmp_path):
    path = write(tmp_path, "minutes,speed\n30,3\n")
    with pytest.raises(
        ValueError,
        match=r"table.csv: no column\(s\) a, c; the columns needed are a, speed, c, "
        r"the file has minutes, speed",
    ):
        read_csv_features(path, ["a", "speed", "c"])


def test_features_errors_name_line_column_value(tmp_path):
    path = write(tmp_path, "note,a\nx,1\ny,tall\n")
    with pytest.raises(ValueError, match=r"line 3, column 'a': 'tall' is not a number"):
        read_csv_features(path, ["a"])
    with pytest.raises(
        ValueError, match=r"line 2, column 'note': 'x' is not a number; every column is read"
    ):
        read_csv_features(path)
    with pytest.raises(ValueError, match=r"line 3: expected 2 values .* got 1"):
        read_csv_features(write(tmp_path, "a,b\n1,2\n3\n"), ["a"])
    with pytest.raises(ValueError, match="the file has a header row but no data rows"):
        read_csv_features(write(tmp_path, "a,b\n"))


def test_standardizer_against_hand_computed_statistics():
    x = np.array([[1.0, 10.0, 4.0], [3.0, 10.0, 4.0], [5.0, 10.0, 4.0], [7.0, 10.0, 4.0]])
    scaler = Standardizer().fit(x)
    # column 0: mean 4, population std sqrt((9 + 1 + 1 + 9) / 4) = sqrt(5); others constant
    np.testing.assert_allclose(scaler.mean, [4.0, 10.0, 4.0])
    np.testing.assert_allclose(scaler.std, [np.sqrt(5.0), 1.0, 1.0], rtol=1e-6)
    z = scaler.transform(x)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z[:, 0], np.array([-3, -1, 1, 3]) / np.sqrt(5.0), rtol=1e-6)
    np.testing.assert_array_equal(z[:, 1:], 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(z), x, rtol=1e-6)


def test_standardizer_matches_float64_reference_on_random_data():
    x = np.random.default_rng(0).normal(5, 3, size=(200, 4)).astype(np.float32)
    z = Standardizer().fit_transform(x)
    reference = (x.astype(np.float64) - x.mean(axis=0, dtype=np.float64)) / x.astype(
        np.float64
    ).std(axis=0)
    np.testing.assert_allclose(z, reference, atol=1e-5)


def test_standardizer_dict_round_trip_through_json():
    scaler = Standardizer().fit(np.array([[1.0, 2.0], [3.0, 8.0]]))
    restored = Standardizer.from_dict(json.loads(json.dumps(scaler.to_dict())))
    sample = np.array([[2.0, 5.0]])
    np.testing.assert_array_equal(restored.transform(sample), scaler.transform(sample))


def test_standardizer_errors():
    with pytest.raises(ValueError, match="not fitted yet"):
        Standardizer().transform(np.zeros((1, 2)))
    scaler = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"x has shape \(1, 3\), .* fitted on 2 features"):
        scaler.transform(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"needs a 2-D array .* got shape \(3,\)"):
        Standardizer().fit(np.zeros(3))
    with pytest.raises(ValueError, match="every 'std' must be > 0"):
        Standardizer.from_dict({"mean": [0.0], "std": [0.0]})
    with pytest.raises(ValueError, match="expected a dict with lists 'mean' and 'std'"):
        Standardizer.from_dict({"mean": [0.0]})


def test_split_sizes_cover_everything_and_are_seeded():
    x = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    (x_train, y_train), (x_val, y_val) = train_validation_split(x, y, 0.2, seed=3)
    assert len(x_train) == 40 and len(x_val) == 10
    assert sorted(y_train.tolist() + y_val.tolist()) == list(range(50))
    np.testing.assert_array_equal(x_train[:, 0], y_train * 2)  # pairs stay together
    # The documented rule: the first round(0.2 * 50) of default_rng(3).permutation(50).
    np.testing.assert_array_equal(y_val, np.random.default_rng(3).permutation(50)[:10])
    (_, again), _ = train_validation_split(x, y, 0.2, seed=3)
    np.testing.assert_array_equal(again, y_train)
    (_, other), _ = train_validation_split(x, y, 0.2, seed=4)
    assert not np.array_equal(other, y_train)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_fraction_outside_the_open_interval(fraction):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        train_validation_split(np.arange(10), np.arange(10), fraction)


def test_split_that_would_leave_a_part_empty():
    with pytest.raises(ValueError, match="gives 0 validation and 3 training samples"):
        train_validation_split(np.arange(3), np.arange(3), 0.1)
    with pytest.raises(ValueError, match="same number of samples"):
        train_validation_split(np.arange(3), np.arange(4), 0.5)
