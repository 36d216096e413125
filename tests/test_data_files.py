"""Loading data files (CSV, Parquet, .npy, .npz, HDF5) and new rows for prediction."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest

from gdlab.data import load, load_features, split_dataset
from gdlab.errors import GdlabError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- CSV


def test_csv_regression_default_target_is_last_column(tmp_path):
    path = write(tmp_path, "data.csv", "x1,x2,y\n1,2,3.5\n4,5,6.25\n7,8,9.0\n")
    data = load(path)
    assert data.feature_names == ["x1", "x2"]
    assert data.target_name == "y"
    assert data.task == "regression"
    np.testing.assert_array_equal(data.X, [[1, 2], [4, 5], [7, 8]])
    assert data.X.dtype == np.float64
    assert data.y.dtype == np.float64
    assert data.y.tolist() == [3.5, 6.25, 9.0]
    assert data.name == str(path)


def test_csv_string_labels_and_named_target(tmp_path):
    path = write(tmp_path, "pets.csv", "kind,w,h\ncat,4,25\ndog,30,60\ncat,5,23\nbird,0.1,10\n")
    data = load(path, target="kind")
    assert data.feature_names == ["w", "h"]
    assert data.task == "multiclass"
    assert data.classes == ["bird", "cat", "dog"]
    assert data.y.tolist() == [1, 2, 1, 0]
    assert data.y.dtype == np.int64


@pytest.mark.parametrize(
    ("target_cells", "task", "classes"),
    [
        (["0", "1", "1", "0"], "binary", [0, 1]),
        (["3", "1", "2", "1"], "multiclass", [1, 2, 3]),
        (["1.0", "2.0", "1.0", "2.0"], "binary", [1, 2]),
        (["0.5", "1", "1", "0"], "regression", None),
        (["yes", "no", "no", "yes"], "binary", ["no", "yes"]),
    ],
)
def test_csv_task_detection(tmp_path, target_cells, task, classes):
    rows = "".join(f"{i},{t}\n" for i, t in enumerate(target_cells))
    data = load(write(tmp_path, "t.csv", "x,t\n" + rows))
    assert (data.task, data.classes) == (task, classes)


def test_csv_many_integers_is_regression_and_task_override(tmp_path):
    rows = "".join(f"{i},{i * 3}\n" for i in range(25))  # 25 distinct integers > 20
    path = write(tmp_path, "ints.csv", "x,y\n" + rows)
    assert load(path).task == "regression"
    small = write(tmp_path, "small.csv", "x,y\n1,0\n2,1\n3,2\n")
    assert load(small).task == "multiclass"
    assert load(small, task="regression").task == "regression"
    assert load(small, task="regression").y.dtype == np.float64
    with pytest.raises(GdlabError, match=r"small.csv: task 'binary' needs 2 classes"):
        load(small, task="binary")


def test_csv_line_numbers_count_blank_and_multiline_records(tmp_path):
    text = 'x1,x2,y\n1,2,a\n\n"3",4,"b\nc"\n5,abc,a\n'
    with pytest.raises(GdlabError, match=r"data.csv: line 6, column 'x2': 'abc' is not a number$"):
        load(write(tmp_path, "data.csv", text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"empty.csv: file is empty$"),
        ("x1,x2,y\n", r"empty.csv: no data rows \(only a header: x1, x2, y\)"),
        ("x1,x2,y\n1,2,3\n4,5,6,7\n", r"empty.csv: line 3 has 4 fields, the header has 3"),
        ("x1,x2,y\n1,2,3\n4,5\n7,8,9\n", r"empty.csv: line 3 has 2 fields, the header has 3"),
        ("x1,x2,y\n1,2,3,4\n5,6,7,8\n", r"empty.csv: line 2 has 4 fields, the header has 3"),
        (
            "x1,x2,y\n1,2,3\n2,3,4\n4,abc,5\n",
            r"empty.csv: line 4, column 'x2': 'abc' is not a number$",
        ),
        (
            "x1,x2,y\n1,2,3\n4,inf,5\n",
            r"empty.csv: line 3, column 'x2': inf is not a finite number$",
        ),
        (
            "x1,x2,y\n1,2,3\n4,-inf,5\n",
            r"empty.csv: line 3, column 'x2': -inf is not a finite number",
        ),
        ("x1,x2,y\n1,2,3\n4,5,inf\n", r"empty.csv: line 3, column 'y': inf is not a finite number"),
        ("x1,x2,y\n1,2,cat\n4,5,cat\n", r"empty.csv: target 'y' has only one class \('cat'\)"),
        ("y\n1\n2\n", r"empty.csv: only one column \(y\); need feature columns"),
    ],
)
def test_csv_errors_name_file_line_column_value(tmp_path, text, message):
    with pytest.raises(GdlabError, match=message):
        load(write(tmp_path, "empty.csv", text))


# Missing cells are filled (features) or drop their row (target) by default since issue 13;
# with impute="none" they are today's precise errors, as before.
STRICT_ERRORS = [
    ("x1,x2,y\n1,2,3\n4,,5\n", r"empty.csv: line 3, column 'x2': missing value$"),
    ("x1,x2,y\n1,2,3\nNaN,1,5\n", r"empty.csv: line 3, column 'x1': missing value$"),
    ("x1,x2,y\n1,2,3\n4,5,\n", r"empty.csv: line 3, column 'y': missing value$"),
    ("x1,x2,y\n1,2,a\n4,5,\n", r"empty.csv: line 3, column 'y': missing value$"),
]


@pytest.mark.parametrize(("text", "message"), STRICT_ERRORS)
def test_csv_missing_cells_are_errors_with_impute_none(tmp_path, text, message):
    with pytest.raises(GdlabError, match=message):
        load(write(tmp_path, "empty.csv", text), impute="none")


def test_csv_missing_cells_by_default_are_nan_and_rows_without_target_dropped(tmp_path):
    text = "x1,x2,y\n1,2,3\n4,,5\nNaN,1,5\n2,2,\n7,8,?\n"
    data = load(write(tmp_path, "m.csv", text))
    np.testing.assert_array_equal(data.X, [[1, 2], [4, np.nan], [np.nan, 1]])
    assert data.y.tolist() == [0, 1, 1]  # 3 and 5: two integer values, so two classes
    assert "dropped 2 rows with no 'y'" in data.meta["notes"]
    assert data.meta["file_rows"].tolist() == [0, 1, 2]


def test_csv_first_bad_cell_by_row_then_column(tmp_path):
    text = "a,b,y\n1,2,3\n4,zz,5\nqq,6,7\n"
    with pytest.raises(GdlabError, match=r"line 3, column 'b': 'zz'"):
        load(write(tmp_path, "d.csv", text))
    text = "a,b,y\n1,2,3\nqq,zz,5\n"
    with pytest.raises(GdlabError, match=r"line 3, column 'a': 'qq'"):
        load(write(tmp_path, "d.csv", text))


def test_csv_unknown_target_lists_columns(tmp_path):
    path = write(tmp_path, "d.csv", "x1,x2,y\n1,2,3\n")
    with pytest.raises(
        GdlabError, match=r"d.csv: no column 'label' for the target; columns: x1, x2, y$"
    ):
        load(path, target="label")


def test_csv_not_utf8(tmp_path):
    # Text that is not UTF-8 is read as Latin-1 since issue 13 (with a note); a binary
    # file is still refused.
    path = tmp_path / "bin.csv"
    path.write_bytes(b"x,y\n\xff\xfe,1\n\xff\xfe,2\n")
    data = load(path)
    assert data.columns[0].categories == ("\u00ff\u00fe",)
    assert "bin.csv is not UTF-8 (byte 0xFF at offset 4): read as Latin-1" in data.meta["notes"]
    path.write_bytes(b"x,y\n\x00\x01\x02,1\n")
    with pytest.raises(GdlabError, match=r"bin.csv: not a text file \(a NUL byte at offset 4\)"):
        load(path)


def test_unsupported_extension(tmp_path):
    path = write(tmp_path, "data.xyz", "1")
    with pytest.raises(
        GdlabError,
        match=r"unsupported file type '.xyz' for data.xyz; use .csv, .parquet, .npy, .npz, .h5/.hdf5",
    ):
        load(path)


def test_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "d.csv"
    folder.mkdir()
    with pytest.raises(GdlabError, match=r"not a file: .*d.csv"):
        load(folder)


# ---------------------------------------------------------------- Parquet


def test_parquet_round_trip_and_errors(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6], "label": ["x", "y", "x"]})
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    data = load(path)
    assert data.feature_names == ["a", "b"]
    assert data.classes == ["x", "y"]
    assert data.y.tolist() == [0, 1, 0]
    frame.loc[2, "a"] = np.nan
    frame.to_parquet(path)
    with pytest.raises(GdlabError, match=r"d.parquet: row index 2, column 'a': missing value"):
        load(path, impute="none")
    assert np.isnan(load(path).X[2, 0])  # by default, filled later by the Preprocessor
    frame["a"] = ["1", "oops", "3"]
    frame.to_parquet(path)
    with pytest.raises(
        GdlabError, match=r"d.parquet: row index 1, column 'a': 'oops' is not a number"
    ):
        load(path)
    frame.iloc[:0].to_parquet(path)
    with pytest.raises(GdlabError, match=r"d.parquet: no data rows"):
        load(path)
    path.write_text("not parquet")
    with pytest.raises(GdlabError, match=r"d.parquet: cannot read as Parquet"):
        load(path)


# ---------------------------------------------------------------- .npy / .npz


def test_npy_default_and_index_targets(tmp_path):
    array = np.array([[1.0, 10.0, 0.0], [2.0, 20.0, 1.0], [3.0, 30.0, 1.0], [4.0, 40.0, 0.0]])
    path = tmp_path / "a.npy"
    np.save(path, array)
    data = load(path)
    assert data.feature_names == ["x0", "x1"]
    assert data.target_name == "y"
    assert data.task == "binary"
    assert data.classes == [0, 1]
    by_index = load(path, target="0")
    assert by_index.target_name == "column 0"
    assert by_index.task == "multiclass"
    np.testing.assert_array_equal(by_index.X, array[:, 1:])
    assert load(path, target=-2).target_name == "column 1"


@pytest.mark.parametrize(
    ("array", "target", "message"),
    [
        (np.ones(5), None, r"a.npy: expected one 2-D array \(rows x columns\), got shape \(5,\)"),
        (np.ones((3, 1)), None, r"a.npy: the array has 1 column; need feature columns"),
        (np.array([[1.0, 2.0], [np.nan, 1.0]]), None, r"a.npy: row 1, column 0: missing value"),
        (
            np.array([[1.0, 2.0], [3.0, np.inf]]),
            None,
            r"a.npy: row 1, column 1: inf is not a finite",
        ),
        (np.array([["a", "b"]]), None, r"a.npy: the array has dtype <U1; numbers are needed"),
        (np.ones((3, 3)), "abc", r"a.npy: the target of a .npy file is a column index, got 'abc'"),
        (np.ones((3, 3)), 5, r"a.npy: target column 5 is out of range; the array has 3 columns"),
        (np.ones((0, 3)), None, r"a.npy: the array has no rows"),
    ],
)
def test_npy_errors(tmp_path, array, target, message):
    path = tmp_path / "a.npy"
    np.save(path, array)
    with pytest.raises(GdlabError, match=message):
        load(path, target=target)


def test_npy_not_numpy(tmp_path):
    with pytest.raises(GdlabError, match=r"junk.npy: cannot read as a NumPy .npy array"):
        load(write(tmp_path, "junk.npy", "hello"))


def test_npz_with_labels_and_test_arrays(tmp_path):
    path = tmp_path / "d.npz"
    X = np.arange(12.0).reshape(6, 2)
    y = np.array(["b", "a", "b", "a", "b", "a"])
    np.savez(path, X=X, y=y, X_test=X[:2] + 100, y_test=y[:2])
    data = load(path)
    assert data.classes == ["a", "b"]
    assert data.y.tolist() == [1, 0, 1, 0, 1, 0]
    assert data.y_test.tolist() == [1, 0]
    np.testing.assert_array_equal(data.X_test, X[:2] + 100)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"X": np.ones((3, 2)), "labels": np.ones(3)},
            r"d.npz: missing array 'y'; found arrays: X, labels \(expected X and y\)",
        ),
        (
            {"X": np.ones((3, 2)), "y": np.ones(4)},
            r"d.npz: array 'y' has 4 values but the features have 3 rows",
        ),
        (
            {"X": np.array([[1.0, np.nan]]), "y": np.ones(1)},
            r"d.npz: array 'X', row 0, column 1: missing value",
        ),
        (
            {"X": np.ones((3, 2)), "y": np.array([1.0, np.inf, 2.0])},
            r"d.npz: array 'y', row 1, column 0: inf is not a finite number",
        ),
        ({"X": np.ones((3, 2)), "y": np.zeros(3)}, r"d.npz: target 'y' has only one class \(0\)"),
        (
            {
                "X": np.ones((3, 2)),
                "y": np.array([0, 1, 1]),
                "X_test": np.ones((1, 2)),
                "y_test": np.array([7]),
            },
            r"d.npz \(y_test\): row 0: label 7 is not one of the classes",
        ),
    ],
)
def test_npz_errors(tmp_path, arrays, message):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    with pytest.raises(GdlabError, match=message):
        load(path)


def test_npz_rejects_target_option(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((3, 2)), y=np.arange(3.0))
    with pytest.raises(GdlabError, match=r"d.npz: target does not apply to a .npz file"):
        load(path, target="y")


# ---------------------------------------------------------------- HDF5 (catvnoncat)


def _images(rng, m):
    return rng.integers(0, 256, size=(m, 4, 4, 3), dtype=np.uint8)


def _write_catvnoncat(folder, rng, *, m_train=12, m_test=5):
    classes = np.array([b"non-cat", b"cat"])
    train_x, test_x = _images(rng, m_train), _images(rng, m_test)
    train_y = np.array([0, 1] * (m_train // 2))
    test_y = np.array([1, 0, 1, 1, 0][:m_test])
    with h5py.File(folder / "train_catvnoncat.h5", "w") as f:
        f["train_set_x"], f["train_set_y"], f["list_classes"] = train_x, train_y, classes
    with h5py.File(folder / "test_catvnoncat.h5", "w") as f:
        f["test_set_x"], f["test_set_y"], f["list_classes"] = test_x, test_y, classes
    return train_x, train_y, test_x, test_y


def test_catvnoncat_pair_loads_with_its_test_split(tmp_path):
    rng = np.random.default_rng(0)
    train_x, train_y, test_x, test_y = _write_catvnoncat(tmp_path, rng)
    data = load(tmp_path / "train_catvnoncat.h5")
    assert data.X.shape == (12, 48)  # 4·4·3 pixels, not hard-coded 64·64·3
    np.testing.assert_allclose(data.X, train_x.reshape(12, -1) / 255.0)
    assert 0 <= data.X.min()
    assert data.X.max() <= 1
    assert data.classes == ["non-cat", "cat"]
    assert data.task == "binary"
    assert data.y.tolist() == train_y.tolist()
    np.testing.assert_allclose(data.X_test, test_x.reshape(5, -1) / 255.0)
    assert data.y_test.tolist() == test_y.tolist()
    assert "test_catvnoncat.h5" in data.meta["note"]
    s = split_dataset(data, val_fraction=0.25)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (9, 3, 5)


def test_catvnoncat_without_sibling_and_in_one_file(tmp_path):
    rng = np.random.default_rng(1)
    _write_catvnoncat(tmp_path, rng)
    (tmp_path / "test_catvnoncat.h5").unlink()
    alone = load(tmp_path / "train_catvnoncat.h5")
    assert alone.X_test is None
    assert "note" not in alone.meta
    with h5py.File(tmp_path / "both.hdf5", "w") as f:
        f["train_set_x"], f["train_set_y"] = _images(rng, 4), np.array([[0, 1, 1, 0]])
        f["test_set_x"], f["test_set_y"] = _images(rng, 2), np.array([[1, 0]])
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    both = load(tmp_path / "both.hdf5")
    assert both.y.tolist() == [0, 1, 1, 0]
    assert both.y_test.tolist() == [1, 0]


def test_hdf5_generic_X_y(tmp_path):
    with h5py.File(tmp_path / "g.h5", "w") as f:
        f["X"], f["y"] = np.arange(8.0).reshape(4, 2), np.array([0.5, 1.5, 2.5, 3.5])
    data = load(tmp_path / "g.h5")
    assert data.task == "regression"
    assert data.feature_names == ["x0", "x1"]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"images": np.ones((2, 3)), "labels": np.ones(2)},
            r"h.h5: no data set found; it has keys images, labels; expected train_set_x, "
            r"train_set_y, list_classes \(the catvnoncat layout\) or X and y",
        ),
        (
            {
                "train_set_x": np.ones((2, 2, 2, 3), np.uint8),
                "train_set_y": np.array([0, 2]),
                "list_classes": np.array([b"non-cat", b"cat"]),
            },
            r"h.h5: train_set_y row 1: label 2 is not a class index 0..1 \(non-cat, cat\)",
        ),
        (
            {
                "train_set_x": np.ones((2, 2, 2, 3), np.uint8),
                "train_set_y": np.array([1, 1]),
                "list_classes": np.array([b"non-cat", b"cat"]),
            },
            r"h.h5: the labels have only one class \('cat'\)",
        ),
        (
            {"train_set_x": np.ones((2, 2, 2, 3), np.uint8)},
            r"h.h5: has train_set_x but no train_set_y",
        ),
    ],
)
def test_hdf5_errors(tmp_path, arrays, message):
    with h5py.File(tmp_path / "h.h5", "w") as f:
        for key, value in arrays.items():
            f[key] = value
    with pytest.raises(GdlabError, match=message):
        load(tmp_path / "h.h5")


def test_hdf5_not_hdf5(tmp_path):
    with pytest.raises(GdlabError, match=r"bad.h5: cannot read as HDF5"):
        load(write(tmp_path, "bad.h5", "plain text"))


# ---------------------------------------------------------------- load_features


def test_load_features_csv_picks_training_columns_in_order(tmp_path):
    path = write(tmp_path, "new.csv", "extra,x3,x1,x2,label\n9,3,1,2,cat\n9,6,4,5,dog\n")
    X, y, rows = load_features(path, ["x1", "x2", "x3"], target_name="label")
    np.testing.assert_array_equal(X, [[1, 2, 3], [4, 5, 6]])
    assert y.tolist() == ["cat", "dog"]
    assert rows == [0, 1]
    X, y, _ = load_features(path, ["x1", "x2", "x3"], target_name="price")
    assert y is None


def test_load_features_errors(tmp_path):
    path = write(tmp_path, "new.csv", "x1,x3\n1,2\n")
    with pytest.raises(
        GdlabError, match=r"new.csv: missing column 'x2' \(the model was trained on x1, x2, x3\)"
    ):
        load_features(path, ["x1", "x2", "x3"])
    bad = write(tmp_path, "bad.csv", "x1,x2\n1,2\n3,x\n")
    with pytest.raises(GdlabError, match=r"bad.csv: line 3, column 'x2': 'x' is not a number"):
        load_features(bad, ["x1", "x2"])
    nan = write(tmp_path, "nan.csv", "x1,x2,y\n1,2,\n3,4,5\n")
    with pytest.raises(GdlabError, match=r"nan.csv: line 2, column 'y': missing value"):
        load_features(nan, ["x1", "x2"], target_name="y")
    # a target column left empty everywhere is rows to predict, not labels (issue 13)
    empty = write(tmp_path, "empty.csv", "x1,x2,y\n1,2,\n3,4,\n")
    assert load_features(empty, ["x1", "x2"], target_name="y")[1] is None


def test_load_features_npy_by_position(tmp_path):
    path = tmp_path / "new.npy"
    np.save(path, np.array([[1.0, 2.0, 1.0], [3.0, 4.0, 0.0]]))
    X, y, _rows = load_features(path, ["a", "b"])
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert y.tolist() == [1, 0]
    assert y.dtype == np.int64
    X, y, _ = load_features(path, ["a", "b", "c"])
    assert X.shape == (2, 3)
    assert y is None
    with pytest.raises(
        GdlabError, match=r"new.npy: 3 features per row, the model was trained on 5"
    ):
        load_features(path, list("abcde"))


def test_load_features_npz_and_hdf5(tmp_path):
    np.savez(tmp_path / "n.npz", X=np.ones((2, 3)))
    X, y, _ = load_features(tmp_path / "n.npz", ["a", "b", "c"])
    assert X.shape == (2, 3)
    assert y is None
    _write_catvnoncat(tmp_path, np.random.default_rng(2))
    names = [f"pixel_{i}" for i in range(48)]
    X, y, rows = load_features(tmp_path / "test_catvnoncat.h5", names)
    assert X.shape == (5, 48)
    assert y.tolist() == ["cat", "non-cat", "cat", "cat", "non-cat"]
    assert rows == [0, 1, 2, 3, 4]


def test_load_features_builtin_and_round_trip_with_load(tmp_path):
    iris = load("iris")
    X, y, _ = load_features("iris", list(reversed(iris.feature_names)))
    np.testing.assert_array_equal(X, iris.X[:, ::-1])
    assert y[0] == "setosa"
    frame = pd.DataFrame(iris.X, columns=iris.feature_names)
    frame["species"] = np.asarray(iris.classes)[iris.y]
    frame.to_csv(tmp_path / "iris.csv", index=False)
    again = load(tmp_path / "iris.csv")
    np.testing.assert_array_equal(again.X, iris.X)
    assert again.classes == iris.classes
    assert again.y.tolist() == iris.y.tolist()


# ---------------------------------------------------------------- CSV dialects (issue 13)


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs"), ("|", "pipes")])
def test_delimiter_detected_and_noted(tmp_path, sep, name):
    text = sep.join(["a", "b text", "y"]) + "\n" + "".join(
        sep.join([str(i), f"w{i % 3}, more", str(i % 2)]) + "\n" for i in range(6))
    data = load(write(tmp_path, "d.csv", text))
    assert data.feature_names == ["a", "b text"]
    assert data.columns[1].categories == ("w0, more", "w1, more", "w2, more")
    assert data.meta["notes"][0] == f"d.csv: columns separated by {name} (detected; --delimiter to force one)"


def test_delimiter_forced_and_checked(tmp_path):
    path = write(tmp_path, "d.csv", "a;b,c\n1;2,3\n4;5,6\n")
    assert load(path).feature_names == ["a;b"]  # detection: ',' gives 2 equal columns, ';' too: ',' first
    assert load(path, delimiter=";").feature_names == ["a"]
    assert load(path, delimiter="semicolon").feature_names == ["a"]
    tab = write(tmp_path, "t.csv", "a\tb\n1\t2\n3\t4\n")
    assert load(tab, delimiter="\\t").feature_names == ["a"]
    with pytest.raises(GdlabError, match=r"delimiter must be one character such as"):
        load(path, delimiter=";;")
    np.save(tmp_path / "a.npy", np.ones((3, 2)))
    with pytest.raises(GdlabError, match=r"a.npy: delimiter applies to CSV files"):
        load(tmp_path / "a.npy", delimiter=";")
    with pytest.raises(GdlabError, match=r"delimiter applies to CSV files; 'iris' is a built-in"):
        load("iris", delimiter=";")


def test_bom_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y\n1,2\n3,4\n")
    assert load(path).feature_names == ["x"]


def test_duplicate_header_names_are_an_error(tmp_path):
    path = write(tmp_path, "dup.csv", "x,y,z,y,x\n1,2,3,4,5\n")
    with pytest.raises(GdlabError, match=r"dup.csv: duplicate column names in the header: "
                                         r"'y' \(columns 2, 4\); 'x' \(columns 1, 5\)"):
        load(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfex\x00,\x00y\x00", r"u.csv: UTF-16 text; save it as UTF-8"),
        (b"x,y\r" + b"1,2\r" * 100_000, r"u.csv: lines end with CR only"),
        (b"\n\n  \n", r"u.csv: file is empty$"),
    ],
)
def test_unreadable_text(tmp_path, data, message):
    path = tmp_path / "u.csv"
    path.write_bytes(data)
    with pytest.raises(GdlabError, match=message):
        load(path)


def test_missing_tokens_and_words_that_are_not_missing(tmp_path):
    text = "x,kind,y\n1,none,0\n?,NA,1\nnull,None,0\n4,,1\n5,na,0\n"
    data = load(write(tmp_path, "m.csv", text))
    np.testing.assert_array_equal(data.X[:, 0], [1, np.nan, np.nan, 4, 5])
    assert data.columns[1].categories == ("na", "none")
    np.testing.assert_array_equal(data.X[:, 1], [1, np.nan, np.nan, np.nan, 0])


def test_stray_quote_inside_a_cell_is_a_character(tmp_path):
    text = 'height,note,y\n5,5\'11" tall,1\n6,6\'0" tall,0\n7,x,1\n8,bad "one,0\n9,ok,1\n'
    data = load(write(tmp_path, "q.csv", text))
    assert data.n_samples == 5
    assert data.columns[1].categories == ("5'11\" tall", "6'0\" tall", 'bad "one', "ok", "x")
    bad = write(tmp_path, "b.csv", text.replace("9,ok,1", "nine,ok,1"))
    with pytest.raises(GdlabError, match=r"b.csv: line 6, column 'height': 'nine' is not a number"):
        load(bad)


def test_quoted_multiline_cells_and_line_numbers(tmp_path):
    text = 'a,b,y\n1,"two\nlines",0\n2,x,1\n3,"x",0\nabc,y,1\n4,x,1\n'
    with pytest.raises(GdlabError, match=r"line 6, column 'a': 'abc' is not a number"):
        load(write(tmp_path, "m.csv", text))


def test_long_quoted_cell_over_many_lines_is_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text('a,b,y\n1,"' + "word\n" * 300_000 + '",0\n')
    with pytest.raises(GdlabError, match=r"long.csv: line 2, column 'b': a cell longer than 1.0 MB"):
        load(path)


def test_too_many_columns_refused(tmp_path):
    header = ",".join(f"c{i}" for i in range(100_001))
    with pytest.raises(GdlabError, match=r"the header has 100001 or more columns; gdlab reads at most 100000"):
        load(write(tmp_path, "wide.csv", header + "\n"))


# ---------------------------------------------------------------- features / drop


def test_features_and_drop_choose_columns(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,c,y\n1,2,3,0\n4,5,6,1\n")
    assert load(path, features=["c", "a"]).feature_names == ["c", "a"]
    assert load(path, features="c, a").feature_names == ["c", "a"]
    assert load(path, drop="b").feature_names == ["a", "c"]
    assert load(path, target="a", drop=["y"]).feature_names == ["b", "c"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"features": ["a", "zz"]}, r"d.csv: no column 'zz' \(in features\); columns: a, b, c, y$"),
        ({"drop": ["q"]}, r"d.csv: no column 'q' \(in drop\); columns: a, b, c, y$"),
        ({"features": ["a"], "drop": ["b"]}, r"give features or drop, not both"),
        ({"features": ["a", "y"]}, r"'y' is the target; it cannot be in features \(name the target"),
        ({"drop": ["a", "b", "c"]}, r"d.csv: drop leaves no feature columns besides the target"),
        ({"features": []}, r"features names no column"),
        ({"features": ["a", "a"]}, r"features names 'a' more than once"),
        ({"drop": [1]}, r"drop must be column names"),
    ],
)
def test_features_and_drop_errors(tmp_path, kwargs, message):
    path = write(tmp_path, "d.csv", "a,b,c,y\n1,2,3,0\n4,5,6,1\n")
    with pytest.raises(GdlabError, match=message):
        load(path, **kwargs)


def test_features_and_drop_on_arrays_and_builtins(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(12.0).reshape(4, 3))
    assert load(tmp_path / "a.npy", drop=["x0"]).feature_names == ["x1"]
    iris = load("iris", features=["petal width (cm)", "sepal length (cm)"])
    np.testing.assert_array_equal(iris.X, load("iris").X[:, [3, 0]])
    with pytest.raises(GdlabError, match=r"iris: no feature 'petal' \(in features\); features: sepal"):
        load("iris", features=["petal"])


def test_empty_column_left_out_and_no_features_left(tmp_path):
    data = load(write(tmp_path, "e.csv", "a,notes,y\n1,,0\n2,NA,1\n"))
    assert data.feature_names == ["a"]
    assert data.meta["notes"][0] == "left out column 'notes': it has no values (every cell is missing)"
    ids = "".join(f"id{i},{i % 2}\n" for i in range(25))
    with pytest.raises(GdlabError, match=r"i.csv: no feature columns left to learn from \(left out column 'id'"):
        load(write(tmp_path, "i.csv", "id,y\n" + ids))


# ---------------------------------------------------------------- task rule (issue 13)


@pytest.mark.parametrize(
    ("values", "task", "note"),
    [
        (list(range(10)) * 3, "multiclass",
         "target 't' has 10 integer values: treated as 10 classes (--task regression to fit it as a number)"),
        (list(range(11)) * 3, "regression",
         "target 't' has 11 integer values (more than 10): fitted as a number (--task multiclass "
         "to treat them as classes)"),
        ([0.5, 1.5, 2.0] * 3, "regression", "target 't' has fractional values: fitted as a number (regression)"),
        (["True", "False", "True"], "binary", "target 't' is true/false: treated as 2 classes"),
        (["cat", "dog", "emu"], "multiclass", "target 't' is text: treated as 3 classes ('cat', 'dog', 'emu')"),
    ],
)
def test_task_rule_and_its_note(tmp_path, values, task, note):
    rows = "".join(f"{i},{v}\n" for i, v in enumerate(values))
    data = load(write(tmp_path, "t.csv", "x,t\n" + rows))
    assert data.task == task
    assert data.meta["notes"][-1] == note


def test_task_forced_and_classification_accepted(tmp_path):
    rows = "".join(f"{i},{i % 3}\n" for i in range(9))
    path = write(tmp_path, "t.csv", "x,t\n" + rows)
    assert load(path, task="classification").task == "multiclass"
    forced = load(path, task="regression")
    assert forced.meta["notes"][-1] == "target 't' fitted as a number (task regression as asked)"
    many = write(tmp_path, "m.csv", "x,t\n" + "".join(f"{i},{i}\n" for i in range(15)))
    assert load(many, task="multiclass").n_classes == 15


def test_npy_task_note(tmp_path):
    np.save(tmp_path / "a.npy", np.array([[1.0, 0], [2.0, 1], [3.0, 1]]))
    data = load(tmp_path / "a.npy")
    assert data.meta["notes"] == [
        "target 'y' has 2 integer values: treated as 2 classes (--task regression to fit it as a number)"
    ]


# ---------------------------------------------------------------- Parquet columns


def test_parquet_binary_and_list_columns_refused_unless_dropped(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "blob": [b"\x00", b"\x01"], "y": [0, 1]}), path)
    with pytest.raises(GdlabError, match=r"b.parquet: column 'blob' holds binary values"):
        load(path)
    assert load(path, drop=["blob"]).feature_names == ["x"]
    frame = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2020-01-02"] * 15),
                          "x": np.arange(30.0), "y": [0, 1] * 15})
    frame.to_parquet(tmp_path / "t.parquet")
    when = load(tmp_path / "t.parquet").columns[0]  # dates are text: categories (or an id)
    assert when.categories == ("2020-01-01 00:00:00", "2020-01-02 00:00:00")


# ---------------------------------------------------------------- check_finite_for


def test_check_finite_for_target_and_rows_after_dropping(tmp_path):
    from gdlab.data import check_finite_for

    text = "x,y\n1,2\n2,\n3,4\n4,1e20\n"
    data = load(write(tmp_path, "r.csv", text), task="regression")
    check_finite_for(data, "float64")
    with pytest.raises(GdlabError, match=r"r.csv: line 5, column 'y': the target 1e\+20 is too large "
                                         r"for float32 \(its square must stay below 3.4e\+38"):
        check_finite_for(data, "float32")
    with pytest.raises(GdlabError, match=r"dtype must be a float type"):
        check_finite_for(data, "int32")
    missing = load(write(tmp_path, "n.csv", "x,y\n1,2\n,3\n"))
    check_finite_for(missing, "float32")  # a missing cell is the preprocessor's business


# ---------------------------------------------------------------- the byte scan against csv


def _random_csv(rng, width, n):
    import csv
    import io

    alphabet = ["a", "b", " ", ",", '"', "\n", "x y", "1", "2.5", ""]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if rng.random() < 0.3 else "\n")
    writer.writerow([f"c{i}" for i in range(width)])
    for _ in range(n):
        if rng.random() < 0.15:
            buffer.write(rng.choice(["\n", "  \n", "\t\n", "\r\n"]))
        row = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(width)]
        if rng.random() < 0.05:  # a ragged row
            row = row[:-1] if rng.random() < 0.5 and width > 1 else [*row, "extra"]
        writer.writerow(row)
    text = buffer.getvalue()
    return text.rstrip("\r\n") if rng.random() < 0.3 else text


@pytest.mark.parametrize("chunk", [1, 3, 8, 64, 4 * 2**20])
def test_byte_scan_agrees_with_csv_module_and_pandas(tmp_path, monkeypatch, chunk):
    """Record lines, counts and the first ragged line, on random quoted CSVs, whatever the
    chunk boundaries cut (a quote, a CRLF, a blank line)."""
    import random

    from gdlab.data import csvscan

    monkeypatch.setattr(csvscan, "CHUNK_BYTES", chunk)
    rng = random.Random(chunk)
    path = tmp_path / "r.csv"
    for _ in range(60):
        width = rng.randint(1, 4)
        path.write_text(_random_csv(rng, width, rng.randint(0, 10)))
        names = tuple(f"c{i}" for i in range(width))
        try:
            expected = csvscan.record_lines_csv(path, delimiter=",", encoding="utf-8", width=width,
                                                names=names).tolist()
            expected_line = None
        except GdlabError as err:
            expected, expected_line = None, err.line
        if expected_line is not None:
            with pytest.raises(GdlabError, match=f"line {expected_line} has"):
                csvscan.inspect_csv(path, delimiter=",")
            continue
        dialect = csvscan.inspect_csv(path, delimiter=",")
        assert csvscan.record_lines(path, dialect).tolist() == expected
        assert dialect.n_records == len(expected)
        if expected:
            frame = pd.read_csv(path, index_col=False, dtype=str, keep_default_na=False)
            assert len(frame) == len(expected), path.read_text()
