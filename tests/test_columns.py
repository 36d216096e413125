"""Columns (numbers, categories, missing cells) and the Preprocessor, on public-shaped tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import tables as T
from gdlab.data import Column, Preprocessor, load, load_features, split_dataset
from gdlab.data.columns import MIN_ROWS_FOR_ID, as_feature, code, read_cells
from gdlab.data.limits import MAX_CATEGORIES
from gdlab.errors import GdlabError

# ---------------------------------------------------------------- reading one column


@pytest.mark.parametrize(
    ("cells", "kind", "numbers", "missing"),
    [
        ([1, 2, None], "number", [1, 2, np.nan], [0, 0, 1]),
        (["1.5", " 2 ", "NA"], "number", [1.5, 2, np.nan], [0, 0, 1]),
        ([True, False, None], "bool", [1, 0, np.nan], [0, 0, 1]),
        (["?", "null", "None", "", "  ", "#N/A", "<NA>", "NaN", "n/a"], "empty", None, [1] * 9),
    ],
)
def test_read_cells_numbers_booleans_and_missing_tokens(cells, kind, numbers, missing):
    got = read_cells(pd.Series(cells, dtype=object))
    assert got.kind == kind
    assert got.missing.tolist() == [bool(m) for m in missing]
    if numbers is not None:
        np.testing.assert_array_equal(got.numbers, numbers)


def test_read_cells_text_keeps_lowercase_none_and_na_as_words():
    got = read_cells(pd.Series([" Dream", "none", "na", "NA", None], dtype=object))
    assert got.kind == "text"
    assert got.text.tolist() == ["Dream", "none", "na", None, None]
    assert got.missing.tolist() == [False, False, False, True, True]


def test_read_cells_mostly_numbers_with_text_is_a_bad_cell_not_categories():
    got = read_cells(pd.Series(["1", "2", "abc", "4"], dtype=object))
    assert got.bad == (2, "'abc' is not a number")
    assert read_cells(pd.Series(["a", "b", "1"], dtype=object)).bad is None  # mostly text: categories


def test_read_cells_infinite_is_bad():
    assert read_cells(pd.Series([1.0, -np.inf])).bad == (1, "-inf is not a finite number")


def test_as_feature_rules():
    n = MIN_ROWS_FOR_ID
    names = read_cells(pd.Series([f"car {i}" for i in range(n)], dtype=object))
    left = as_feature("model", names, explicit=False)
    assert left.column is None
    assert left.note == (f"left out column 'model': its {n} values are all different (an id or "
                         "a name); name it in features to use it")
    kept = as_feature("model", names, explicit=True)
    assert kept.column.kind == "categorical"
    assert len(kept.column.categories) == n
    few = read_cells(pd.Series([f"car {i}" for i in range(n - 1)], dtype=object))
    assert as_feature("model", few, explicit=False).column is not None  # a small table keeps it
    many = read_cells(pd.Series([f"t{i % (MAX_CATEGORIES + 1)}" for i in range(2 * MAX_CATEGORIES + 2)],
                                dtype=object))
    assert "too many categories" in as_feature("ticket", many, explicit=False).note
    empty = read_cells(pd.Series([None, "NA"], dtype=object))
    assert as_feature("notes", empty, explicit=False).note == (
        "left out column 'notes': it has no values (every cell is missing)")
    with pytest.raises(GdlabError, match=r"column 'notes' \(in features\) has no values"):
        as_feature("notes", empty, explicit=True)


def test_categories_are_sorted_and_coded():
    cells = read_cells(pd.Series(["Torgersen", "Biscoe", None, "Dream", "Biscoe"], dtype=object))
    feature = as_feature("island", cells, explicit=False)
    assert feature.column == Column("island", "categorical", ("Biscoe", "Dream", "Torgersen"))
    np.testing.assert_array_equal(feature.values, [2, 0, np.nan, 1, 0])
    np.testing.assert_array_equal(code(np.array(["Dream", "Atlantis"], dtype=object),
                                       feature.column.categories), [1, -1])


def test_column_validates_kind():
    with pytest.raises(GdlabError, match=r"kind must be one of"):
        Column("x", "text")
    with pytest.raises(GdlabError, match=r"needs its categories"):
        Column("x", "categorical")


# ---------------------------------------------------------------- the Preprocessor

COLS = [Column("mass"), Column("island", "categorical", ("Biscoe", "Dream", "Torgersen"))]


def test_fit_transform_mean_and_most_frequent_on_training_rows_only():
    X_train = np.array([[3.0, 0], [np.nan, 1], [5.0, np.nan], [4.0, 1]])
    prep = Preprocessor.fit(X_train, COLS)
    assert prep.feature_names == ["mass", "island=Biscoe", "island=Dream"]  # Torgersen absent
    assert prep.fill == (4.0, 1.0)  # mean 4, most frequent: Dream
    np.testing.assert_array_equal(
        prep.transform(X_train),
        [[3, 1, 0], [4, 0, 1], [5, 0, 1], [4, 0, 1]],
    )
    X_test = np.array([[np.nan, 2], [1.0, -1]])  # Torgersen: only in test; -1: new at predict
    np.testing.assert_array_equal(prep.transform(X_test), [[4, 0, 0], [1, 0, 0]])
    counts = prep.counts(X_test)
    assert (counts.filled, counts.unseen) == ({"mass": 1}, {"island": 2})
    assert prep.notes(counts, where="new.csv") == [
        "new.csv: filled 1 missing cell with the training rows' mean for numbers, most "
        "frequent for categories: mass 1",
        "new.csv: 2 cells had a category not in the training rows, encoded as all zeros: island 2",
    ]


@pytest.mark.parametrize(("impute", "fill"), [("median", 2.0), ("most-frequent", 1.0),
                                              ("most_frequent", 1.0), ("mean", 7 / 3)])
def test_impute_choices(impute, fill):
    X = np.array([[1.0, 0], [1.0, 0], [5.0, 0], [np.nan, 0]])
    # median of 1, 1, 5 is 1; of (1, 5, ...) with a tie the smallest most frequent value
    X[2, 0] = 5.0 if impute != "median" else 2.0
    X[1, 0] = 1.0 if impute != "median" else 3.0
    prep = Preprocessor.fit(X, COLS, impute=impute)
    assert prep.fill[0] == pytest.approx(fill)


def test_impute_none_refuses_missing_at_transform():
    prep = Preprocessor.fit(np.array([[1.0, 0], [2.0, 1]]), COLS, impute="none")
    assert prep.fill == (None, None)
    with pytest.raises(GdlabError, match=r"row 1, column 'island': missing value \(imputation is off"):
        prep.transform(np.array([[1.0, 0], [2.0, np.nan]]))


def test_all_missing_training_column_says_so():
    with pytest.raises(GdlabError, match=r"column 'mass' has no value in the 2 training rows "
                                         r"\(every cell is missing\): nothing to fill it from"):
        Preprocessor.fit(np.array([[np.nan, 0], [np.nan, 1]]), COLS)


def test_identity_returns_the_same_array_without_copy():
    X = np.arange(6.0).reshape(3, 2)
    for prep in (Preprocessor.fit(X, None), Preprocessor.fit(X, [Column("a"), Column("b")])):
        assert prep.is_identity
        assert prep.transform(X) is X
    assert Preprocessor.fit(X, None).feature_names is None
    numeric = Preprocessor.fit(X, [Column("a"), Column("b")])
    np.testing.assert_array_equal(numeric.transform(np.array([[np.nan, 1.0]])), [[2.0, 1.0]])
    with pytest.raises(GdlabError, match=r"row 0, column 1: missing value"):
        Preprocessor.fit(X, None).transform(np.array([[1.0, np.nan]]))


def test_transform_refuses_bad_codes_and_infinities():
    prep = Preprocessor.fit(np.array([[1.0, 0], [2.0, 1]]), COLS)
    with pytest.raises(GdlabError, match=r"row 0, column 'island': 7.0 is not a category code"):
        prep.transform(np.array([[1.0, 7]]))
    with pytest.raises(GdlabError, match=r"row 0, column 'mass': inf is not a finite number"):
        prep.transform(np.array([[np.inf, 1]]))
    with pytest.raises(GdlabError, match=r"takes 2 columns, got 3"):
        prep.transform(np.ones((1, 3)))


def test_to_dict_is_json_and_round_trips():
    prep = Preprocessor.fit(np.array([[3.0, 0], [np.nan, 1], [5.0, 1]]), COLS)
    d = json.loads(json.dumps(prep.to_dict()))
    assert d == {
        "version": 1, "impute": "auto", "n_in": 2,
        "columns": [
            {"name": "mass", "kind": "numeric", "fill": 4.0},
            {"name": "island", "kind": "categorical", "categories": ["Biscoe", "Dream", "Torgersen"],
             "onehot": ["Biscoe", "Dream"], "fill": "Dream"},
        ],
    }
    assert Preprocessor.from_dict(d) == prep
    identity = Preprocessor.fit(np.ones((2, 3)), None)
    assert Preprocessor.from_dict(json.loads(json.dumps(identity.to_dict()))) == identity


def _stored():
    return Preprocessor.fit(np.array([[3.0, 0], [4.0, 1]]), COLS).to_dict()


def _with(path, value):
    d = json.loads(json.dumps(_stored()))
    target = d
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


@pytest.mark.parametrize(
    ("d", "message"),
    [
        ([1, 2], r"^preprocessor: expected an object \(dict\), got list"),
        (_with(["version"], 2), r"^preprocessor.version: expected 1, got 2"),
        (_with(["extra"], 1), r"^preprocessor: unknown field 'extra'"),
        (_with(["impute"], KeyError), r"^preprocessor: missing field 'impute'"),
        (_with(["impute"], "zero"), r"^preprocessor.impute: expected one of auto, mean"),
        (_with(["n_in"], True), r"^preprocessor.n_in: expected an integer"),
        (_with(["n_in"], 3), r"^preprocessor.columns: expected a list of 3 columns"),
        (_with(["columns"], "x"), r"^preprocessor.columns: expected a list of 2 columns"),
        (_with(["columns", 0, "kind"], "text"), r"^preprocessor.columns\[0\].kind: expected one of"),
        (_with(["columns", 0, "fill"], "4"), r"^preprocessor.columns\[0\].fill: expected a finite number"),
        (_with(["columns", 0, "fill"], None), r"^preprocessor.columns\[0\].fill: missing with impute"),
        (_with(["columns", 0, "name"], 5), r"^preprocessor.columns\[0\].name: expected a string, got int"),
        (_with(["columns", 1, "categories"], 7), r"columns\[1\].categories: expected a list of strings, got int"),
        (_with(["columns", 1, "categories"], ["b", "a"]), r"columns\[1\].categories: expected a non-empty sorted"),
        (_with(["columns", 1, "categories"], ["a"] * 2), r"columns\[1\].categories: an entry appears twice"),
        (_with(["columns", 1, "categories"], [str(i) for i in range(100_001)]),
         r"columns\[1\].categories: 100001 entries \(at most 100000\)"),
        (_with(["columns", 1, "onehot"], ["Mars"]), r"columns\[1\].onehot: expected categories of the column"),
        (_with(["columns", 1, "fill"], "Mars"), r"columns\[1\].fill: expected one of the column's categories"),
        (_with(["columns", 1, "onehot"], KeyError), r"^preprocessor.columns\[1\]: missing field 'onehot'"),
    ],
)
def test_from_dict_refuses_hostile_input_naming_the_field(d, message):
    with pytest.raises(GdlabError, match=message):
        Preprocessor.from_dict(d)


def test_from_dict_refuses_duplicate_names():
    d = _with(["columns", 1, "name"], "mass")
    with pytest.raises(GdlabError, match=r"preprocessor.columns: duplicate names 'mass'"):
        Preprocessor.from_dict(d)


# ---------------------------------------------------------------- public-shaped tables


def _train_prep(data, seed=0):
    splits = split_dataset(data, test_fraction=0.2, val_fraction=0.1, seed=seed)
    prep = Preprocessor.fit(splits.X_train, data.columns, impute=data.meta["impute"])
    return splits, prep


def test_penguins_load_split_preprocess(tmp_path):
    data = load(T.write_penguins(tmp_path), target="species")
    assert data.feature_names == ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                  "body_mass_g", "sex", "year"]
    assert [c.kind for c in data.columns] == ["categorical", "numeric", "numeric", "numeric",
                                              "numeric", "categorical", "numeric"]
    assert data.columns[0].categories == ("Biscoe", "Dream", "Torgersen")
    assert np.isnan(data.X).sum() == 4 * 2 + 11  # two birds without measurements, 11 without sex
    assert data.meta["notes"] == [
        "target 'species' is text: treated as 3 classes ('Adelie', 'Chinstrap', 'Gentoo')"
    ]
    splits, prep = _train_prep(data)
    Z = prep.transform(splits.X_train)
    assert Z.shape == (len(splits.y_train), 3 + 4 + 2 + 1)  # 3 islands, 4 numbers, 2 sexes, year
    assert not np.isnan(Z).any()
    assert prep.feature_names[:3] == ["island=Biscoe", "island=Dream", "island=Torgersen"]
    filled = prep.counts(splits.X_train).filled
    assert set(filled) <= {"bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"}
    rows = prep.transform(data.X)
    assert rows[:, :3].sum(axis=1).tolist() == [1.0] * data.n_samples  # one island each


def test_penguins_parquet_reads_the_same(tmp_path):
    csv = load(T.write_penguins(tmp_path), target="species")
    parquet = load(T.write_penguins(tmp_path, "penguins.parquet"), target="species")
    assert parquet.columns == csv.columns
    np.testing.assert_array_equal(parquet.X, csv.X)
    assert parquet.y.tolist() == csv.y.tolist()


def test_predict_rows_with_missing_value_and_unseen_category(tmp_path):
    data = load(T.write_penguins(tmp_path), target="species")
    _, prep = _train_prep(data)
    new = tmp_path / "new.csv"
    new.write_text(
        "year,sex,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,comment\n"
        "2008,male,Atlantis,39.1,18.7,181,3750,unseen island\n"
        "2009,,Dream,NA,17.0,190,3600,missing sex and bill\n"
    )
    X, y, rows, notes = load_features(new, data.feature_names, target_name="species",
                                      preprocessor=json.loads(json.dumps(prep.to_dict())),
                                      return_notes=True)
    assert y is None
    assert rows == [0, 1]
    np.testing.assert_array_equal(X[:, 0], [-1, 1])  # Atlantis unseen; Dream is code 1
    assert np.isnan(X[1, 1])
    assert np.isnan(X[1, 5])
    assert notes == [
        "new.csv: filled 2 missing cells with the training rows' mean for numbers, most frequent "
        "for categories: bill_length_mm 1, sex 1",
        "new.csv: 1 cell had a category not in the training rows, encoded as all zeros: "
        "island 1 ('Atlantis')",
    ]
    Z = prep.transform(X)
    assert Z[0, :3].tolist() == [0, 0, 0]
    assert Z[1, :3].tolist() == [0, 1, 0]
    assert Z[1, 3] == pytest.approx(prep.fill[1])


def test_predict_time_errors_name_line_and_column(tmp_path):
    data = load(T.write_penguins(tmp_path), target="species")
    _, prep = _train_prep(data)
    header = "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "Dream,39,18,181,3750,male,2008\nDream,39,18,big,3750,male,2008\n")
    with pytest.raises(GdlabError, match=r"bad.csv: line 3, column 'flipper_length_mm': 'big' is not a number"):
        load_features(bad, data.feature_names, preprocessor=prep)
    strict = Preprocessor.fit(data.X[~np.isnan(data.X).any(axis=1)], data.columns, impute="none")
    gap = tmp_path / "gap.csv"
    gap.write_text(header + "Dream,39,18,181,3750,male,2008\nDream,39,,181,3750,male,2008\n")
    with pytest.raises(GdlabError, match=r"gap.csv: line 3, column 'bill_depth_mm': missing value"):
        load_features(gap, data.feature_names, preprocessor=strict)
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("a,b\n1,2\n3,\n")
    with pytest.raises(GdlabError, match=r"numbers.csv: line 3, column 'b': missing value"):
        load_features(numbers, ["a", "b"])  # no columns, no preprocessor: numbers only, as before
    inf = tmp_path / "inf.csv"
    inf.write_text(header + "Dream,39,18,181,inf,male,2008\n")
    with pytest.raises(GdlabError, match=r"inf.csv: line 2, column 'body_mass_g': inf is not a finite"):
        load_features(inf, data.feature_names, preprocessor=prep)
    partial = tmp_path / "partial.csv"
    partial.write_text("island,sex\nDream,male\n")
    with pytest.raises(GdlabError, match=r"partial.csv: missing column 'bill_length_mm'"):
        load_features(partial, data.feature_names, preprocessor=prep)


def test_predict_categories_that_look_like_numbers_stay_text(tmp_path):
    rows = "".join(f"{['01', 'x7', 'y8'][i % 3]},{i},{i % 2}\n" for i in range(30))
    data = load(T_write(tmp_path, "zip.csv", "zip,n,y\n" + rows))
    assert data.columns[0].categories == ("01", "x7", "y8")
    new = T_write(tmp_path, "new.csv", "zip,n\n01,3\n1,4\n")  # pandas alone reads 1 and 1
    X, _, _ = load_features(new, data.feature_names, columns=data.columns)
    np.testing.assert_array_equal(X, [[0, 3], [-1, 4]])  # '1' is not '01'


def T_write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def test_mtcars_name_column_left_out_and_cyl_is_classes(tmp_path):
    path = T.write_mtcars(tmp_path)
    data = load(path, target="cyl")
    assert "Unnamed: 0" not in data.feature_names
    assert data.meta["notes"] == [
        "left out column 'Unnamed: 0': its 32 values are all different (an id or a name); name it "
        "in features to use it",
        "target 'cyl' has 3 integer values: treated as 3 classes (--task regression to fit it as a number)",
    ]
    assert (data.task, data.classes) == ("multiclass", [4, 6, 8])
    as_number = load(path, target="cyl", task="regression")
    assert as_number.task == "regression"
    assert as_number.meta["notes"][-1] == "target 'cyl' fitted as a number (task regression as asked)"
    named = load(path, target="mpg", features=["Unnamed: 0", "wt"])
    assert named.feature_names == ["Unnamed: 0", "wt"]
    assert named.columns[0].kind == "categorical"


def test_boston_semicolons_and_decimal_commas(tmp_path):
    plain = load(T.write_boston(tmp_path), target="medv")
    comma = load(T.write_boston(tmp_path, "de.csv", decimal=","), target="medv")
    np.testing.assert_allclose(comma.X, plain.X)
    np.testing.assert_allclose(comma.y, plain.y)
    assert plain.meta["notes"][0] == (
        "boston.csv: columns separated by semicolons (detected; --delimiter to force one)")
    assert "de.csv: numbers written with a decimal comma (1,5 = 1.5)" in comma.meta["notes"]
    assert plain.columns == [Column(n) for n in plain.feature_names]


def test_count_target_at_most_10_integers_is_classes(tmp_path):
    data = load(T.write_counts(tmp_path))
    assert data.task == "multiclass"
    assert data.classes == list(range(10))
    assert data.meta["notes"][-1] == (
        "target 'rentals' has 10 integer values: treated as 10 classes (--task regression to fit "
        "it as a number)")
    assert data.X[:, data.feature_names.index("weekend")].tolist()[:3] == [1.0, 0.0, 0.0]  # booleans 0/1


def test_imbalanced_binary_and_id_column(tmp_path):
    data = load(T.write_imbalanced(tmp_path))
    assert (data.task, data.classes) == ("binary", ["no", "yes"])
    assert 0.04 < data.y.mean() < 0.1
    assert data.feature_names == ["tenure", "monthly_charges", "contract"]
    assert data.meta["notes"][0].startswith("left out column 'customer_id': its 1000 values")


def test_latin1_and_bom_read_the_same_cities(tmp_path):
    latin = load(T.write_cities(tmp_path))
    bom = load(T.write_bom(tmp_path))
    assert latin.columns[0].categories == bom.columns[0].categories
    assert "Zürich" in latin.columns[0].categories
    assert latin.feature_names == bom.feature_names == ["city", "rooms"]  # no BOM in the name
    assert latin.meta["notes"][0].startswith("rents.csv is not UTF-8 (byte 0xFC at offset")
    assert bom.meta["notes"] == [latin.meta["notes"][-1]]
    np.testing.assert_array_equal(latin.X, bom.X)


def test_diamonds_categories_one_hot(tmp_path):
    data = load(T.write_diamonds(tmp_path))
    _, prep = _train_prep(data)
    assert prep.n_out == 1 + 5 + 7 + 8 + 2
    assert "cut=Very Good" in prep.feature_names
