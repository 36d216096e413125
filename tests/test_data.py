"""Built-in data sets, load(), splits and standardization (gdlab.data)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification

from gdlab.data import (
    BUILTIN_NAMES,
    Dataset,
    Standardizer,
    export_builtin,
    list_datasets,
    load,
    split_dataset,
)
from gdlab.errors import GdlabError

# ---------------------------------------------------------------- built-in data sets

SHAPES = {
    # name: (n_samples, n_features, task, classes)
    "synthetic-linear": (1000, 2, "regression", None),
    "toy-1d": (3, 1, "regression", None),
    "line-1d": (60, 1, "regression", None),
    "classification": (1000, 4, "binary", [0, 1]),
    "blobs": (300, 2, "multiclass", [0, 1, 2]),
    "moons": (200, 2, "binary", [0, 1]),
    "circles": (200, 2, "binary", [0, 1]),
    "xor": (200, 2, "binary", [0, 1]),
    "diabetes": (442, 10, "regression", None),
    "breast-cancer": (569, 30, "binary", ["malignant", "benign"]),
    "iris": (150, 4, "multiclass", ["setosa", "versicolor", "virginica"]),
    "wine": (178, 13, "multiclass", ["class_0", "class_1", "class_2"]),
    "digits": (1797, 64, "multiclass", list(range(10))),
}


def test_every_builtin_is_described():
    assert set(SHAPES) == set(BUILTIN_NAMES)


@pytest.mark.parametrize("name", list(SHAPES))
def test_builtin_shapes_and_dtypes(name):
    n, d, task, classes = SHAPES[name]
    data = load(name)
    assert isinstance(data, Dataset)
    assert data.X.shape == (n, d)
    assert data.X.dtype == np.float64
    assert data.y.shape == (n,)
    assert data.task == task
    assert data.classes == classes
    assert len(data.feature_names) == d
    if task == "regression":
        assert data.y.dtype == np.float64
    else:
        assert data.y.dtype == np.int64
        assert set(np.unique(data.y)) == set(range(len(classes)))


@pytest.mark.parametrize(
    "name", ["synthetic-linear", "line-1d", "classification", "blobs", "moons", "circles", "xor"]
)
def test_builtins_are_deterministic_by_seed(name):
    a, b, c = load(name, seed=3), load(name, seed=3), load(name, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X) or not np.array_equal(a.y, c.y)


def test_synthetic_linear_true_parameters_recoverable_by_least_squares():
    data = load("synthetic-linear")
    assert data.meta["true_w"] == [2.0, -3.4]
    assert data.meta["true_b"] == 4.2
    A = np.column_stack([data.X, np.ones(data.n_samples)])
    coef, *_ = np.linalg.lstsq(A, data.y, rcond=None)
    np.testing.assert_allclose(coef, [2.0, -3.4, 4.2], atol=0.01)
    noise = data.y - data.X @ np.array([2.0, -3.4]) - 4.2
    assert 0.008 < noise.std() < 0.012  # N(0, 0.01²)


def test_synthetic_linear_overrides():
    data = load("synthetic-linear", n=200, w=[1, 2, 3], b=0, noise=0.0, seed=1)
    assert data.X.shape == (200, 3)
    np.testing.assert_allclose(data.y, data.X @ [1.0, 2.0, 3.0], atol=1e-12)
    assert data.meta["true_w"] == [1.0, 2.0, 3.0]
    assert data.meta["true_b"] == 0.0
    # values may arrive as text from the command line or a URL
    text = load("synthetic-linear", n="200", w="1,2,3", b="0", noise="0", seed=1)
    np.testing.assert_array_equal(text.X, data.X)


def test_toy_1d_is_y_equals_2x():
    data = load("toy-1d")
    assert data.X[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert data.y.tolist() == [2.0, 4.0, 6.0]
    assert data.feature_names == ["x"]
    assert data.target_name == "y"
    assert (data.meta["true_w"], data.meta["true_b"]) == ([2.0], 0.0)


def test_line_1d_matches_torch_arange_and_the_line():
    torch = pytest.importorskip("torch")
    data = load("line-1d")
    expected_x = torch.arange(-3, 3, 0.1, dtype=torch.float64).numpy()
    np.testing.assert_allclose(data.X[:, 0], expected_x, atol=1e-12)
    residual = data.y - (data.X[:, 0] - 1)
    assert 0.05 < residual.std() < 0.15
    assert (data.meta["true_w"], data.meta["true_b"]) == ([1.0], -1.0)
    quiet = load("line-1d", noise=0)
    np.testing.assert_allclose(quiet.y, quiet.X[:, 0] - 1, atol=1e-12)


def test_classification_is_seed_004s_call():
    X, y = make_classification(
        n_samples=1000, n_features=4, n_informative=2, n_redundant=0, random_state=42
    )
    data = load("classification")
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y)
    assert data.meta["seed"] == 42
    other = load("classification", seed=0)
    assert not np.array_equal(other.X, X)
    assert load("classification", n=100).n_samples == 100


def test_xor_labels_follow_signs_without_noise():
    data = load("xor", noise=0)
    expected = (data.X[:, 0] > 0) != (data.X[:, 1] > 0)
    np.testing.assert_array_equal(data.y, expected.astype(int))
    assert np.abs(data.X).max() <= 1


def test_generator_overrides_for_toys():
    assert load("blobs", n=90, centers=4).classes == [0, 1, 2, 3]
    assert load("moons", n=50).n_samples == 50
    assert load("circles", n=50, factor=0.3).n_samples == 50


def test_builtin_names_are_forgiving():
    assert load("Breast_Cancer").name == "breast-cancer"


def test_list_datasets_rows():
    rows = {row["name"]: row for row in list_datasets()}
    assert list(rows) == list(BUILTIN_NAMES)
    for name, (n, d, task, classes) in SHAPES.items():
        row = rows[name]
        assert (row["n_samples"], row["n_features"], row["task"]) == (n, d, task)
        assert row["n_classes"] == (0 if classes is None else len(classes))
        assert row["description"]
        assert "\n" not in row["description"]
        assert row["target"] == load(name).target_name
    assert "w=[2,-3.4], b=4.2" in rows["synthetic-linear"]["description"]


def test_unknown_override_names_it_and_lists_accepted():
    with pytest.raises(
        GdlabError, match=r"unknown setting 'm' .*'synthetic-linear'; accepted: n, w, b, noise"
    ):
        load("synthetic-linear", m=3)
    with pytest.raises(
        GdlabError, match=r"unknown setting 'n' for built-in dataset 'iris'; accepted: none"
    ):
        load("iris", n=3)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"n": -5}, r"synthetic-linear: n must be an integer >= 1, got -5"),
        ({"n": 2.5}, r"n must be an integer >= 1, got 2.5"),
        ({"noise": -1}, r"noise must be >= 0, got -1"),
        ({"w": "1,x"}, r"w\[1\] must be a number, got 'x'"),
        ({"b": "nan"}, r"b must be a finite number, got 'nan'"),
    ],
)
def test_bad_override_values(overrides, message):
    with pytest.raises(GdlabError, match=message):
        load("synthetic-linear", **overrides)


def test_bad_seed_and_factor():
    with pytest.raises(GdlabError, match=r"seed must be an integer >= 0, got -1"):
        load("moons", seed=-1)
    with pytest.raises(GdlabError, match=r"circles: factor must be between 0 and 1.*got 1.5"):
        load("circles", factor=1.5)


def test_unknown_name_lists_all_builtins():
    with pytest.raises(GdlabError, match=r"^unknown dataset 'foo'; built-in datasets: ") as info:
        load("foo")
    for name in BUILTIN_NAMES:
        assert name in str(info.value)
    with pytest.raises(GdlabError, match=r"did you mean 'iris'\?"):
        load("irsi")


@pytest.mark.parametrize("source", ["missing.csv", "some/dir/data", "nowhere/x.h5"])
def test_missing_path_is_file_not_found(source):
    with pytest.raises(GdlabError, match=f"^file not found: {source}$"):
        load(source)


def test_overrides_and_target_rejected_where_they_do_not_apply(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n2,3\n3,5\n")
    with pytest.raises(GdlabError, match=r"settings n apply to built-in datasets only"):
        load(path, n=3)
    with pytest.raises(GdlabError, match=r"target applies to data files; built-in dataset 'iris'"):
        load("iris", target="species")


def test_task_override_on_builtins():
    assert load("classification", task="multiclass").task == "multiclass"
    assert load("digits", task="classification").task == "multiclass"
    as_numbers = load("digits", task="regression")
    assert as_numbers.task == "regression"
    assert as_numbers.classes is None
    np.testing.assert_array_equal(as_numbers.y, load("digits").y.astype(float))
    with pytest.raises(GdlabError, match=r"iris: target 'species' is not numeric \('setosa'\)"):
        load("iris", task="regression")
    with pytest.raises(GdlabError, match=r"task 'binary' needs 2 classes.*has 3"):
        load("iris", task="binary")
    with pytest.raises(GdlabError, match=r"unknown task 'cls'; use one of regression, binary"):
        load("iris", task="cls")


# ---------------------------------------------------------------- splits


def test_split_sizes_and_disjoint_rows():
    data = load("synthetic-linear")
    s = split_dataset(data, test_fraction=0.2, val_fraction=0.1, seed=0)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (700, 100, 200)
    assert s.note is None
    rows = np.concatenate([s.train_index, s.val_index, s.test_index])
    assert sorted(rows.tolist()) == list(range(1000))
    np.testing.assert_array_equal(s.X_val, data.X[s.val_index])
    np.testing.assert_array_equal(s.y_test, data.y[s.test_index])


def test_split_is_seeded():
    data = load("moons")
    a, b = split_dataset(data, seed=5), split_dataset(data, seed=5)
    c = split_dataset(data, seed=6)
    np.testing.assert_array_equal(a.test_index, b.test_index)
    np.testing.assert_array_equal(a.val_index, b.val_index)
    assert not np.array_equal(a.test_index, c.test_index)


def test_split_is_stratified_for_classification():
    X = np.arange(1000, dtype=float).reshape(-1, 1)
    y = np.array([0] * 900 + [1] * 100)
    data = Dataset(X, y, ["x"], task="binary", classes=[0, 1], name="skewed")
    s = split_dataset(data, test_fraction=0.2, val_fraction=0.1, seed=0)
    assert s.y_test.mean() == pytest.approx(0.1)
    assert s.y_val.mean() == pytest.approx(0.1)
    assert s.y_train.mean() == pytest.approx(0.1)
    iris = split_dataset(load("iris"), test_fraction=0.2, val_fraction=0.2)
    assert np.bincount(iris.y_test).tolist() == [10, 10, 10]
    assert np.bincount(iris.y_val).tolist() == [10, 10, 10]


def test_split_falls_back_when_a_class_is_too_small():
    X = np.arange(40, dtype=float).reshape(-1, 1)
    y = np.array([0] * 39 + [1])
    data = Dataset(X, y, ["x"], task="binary", classes=["no", "yes"], name="rare")
    s = split_dataset(data, test_fraction=0.25, val_fraction=0.0, seed=0)
    assert (len(s.y_train), len(s.y_test)) == (30, 10)
    assert s.X_val is None
    assert s.note == "class 'yes' has 1 row, too few to stratify; split without stratification"


@pytest.mark.parametrize("name", ["toy-1d"])
def test_too_small_to_split_trains_on_everything(name):
    s = split_dataset(load(name))
    assert s.note == (
        "toy-1d has 3 rows: too few to split; training on all of them (no validation or test split)"
    )
    assert len(s.y_train) == 3
    assert s.X_val is None
    assert s.X_test is None


def test_split_that_would_leave_no_training_rows():
    data = load("synthetic-linear", n=10)
    s = split_dataset(data, test_fraction=0.5, val_fraction=0.45)
    assert s.X_test is None
    assert len(s.y_train) == 10
    assert "too few to split" in s.note


def test_zero_fractions_mean_no_split():
    s = split_dataset(load("iris"), test_fraction=0, val_fraction=0)
    assert len(s.y_train) == 150
    assert s.X_val is None
    assert s.X_test is None
    assert s.note is None
    only_test = split_dataset(load("iris"), test_fraction=0.2, val_fraction=0)
    assert only_test.X_val is None
    assert len(only_test.y_test) == 30


@pytest.mark.parametrize(
    ("test_fraction", "val_fraction", "message"),
    [
        (1.0, 0.1, r"test_fraction must be in \[0, 1\), got 1.0"),
        (0.2, -0.1, r"val_fraction must be in \[0, 1\), got -0.1"),
        (0.6, 0.5, r"test_fraction=0.6 and val_fraction=0.5 add up to 1.1"),
        ("a", 0.1, r"test_fraction must be a number in \[0, 1\), got 'a'"),
    ],
)
def test_bad_fractions(test_fraction, val_fraction, message):
    with pytest.raises(GdlabError, match=message):
        split_dataset(load("iris"), test_fraction=test_fraction, val_fraction=val_fraction)


def test_given_test_split_is_kept_and_validation_carved_from_X():
    X = np.arange(100, dtype=float).reshape(-1, 1)
    data = Dataset(
        X,
        X[:, 0] * 2,
        ["x"],
        name="given",
        X_test=np.array([[500.0], [501.0]]),
        y_test=np.array([1000.0, 1002.0]),
    )
    s = split_dataset(data, test_fraction=0.2, val_fraction=0.1)
    assert (len(s.y_train), len(s.y_val)) == (90, 10)
    np.testing.assert_array_equal(s.X_test, data.X_test)
    assert s.test_index is None


# ---------------------------------------------------------------- standardization


def test_standardizer_statistics_and_constant_columns():
    X = np.array([[1.0, 10.0, 7.0], [3.0, 20.0, 7.0], [5.0, 60.0, 7.0]])
    s = Standardizer().fit(X)
    np.testing.assert_allclose(s.mean_, [3.0, 30.0, 7.0])
    np.testing.assert_allclose(s.scale_, [np.std([1, 3, 5]), np.std([10, 20, 60]), 1.0])
    Z = s.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1, 1, 0], atol=1e-12)
    np.testing.assert_allclose(s.inverse_transform(Z), X)


def test_standardizer_dict_round_trip():
    X = load("diabetes").X
    s = Standardizer().fit(X)
    state = s.to_dict()
    assert isinstance(state["mean"], list)
    assert isinstance(state["std"][0], float)
    t = Standardizer.from_dict(state)
    np.testing.assert_array_equal(t.transform(X), s.transform(X))


def test_standardizer_unscale_matches_least_squares_on_raw_inputs():
    rng = np.random.default_rng(0)
    X = rng.normal([5.0, -100.0, 0.1], [2.0, 30.0, 0.01], size=(200, 3))
    Y = X @ np.array([[1.5, -2.0], [0.03, 0.2], [40.0, 7.0]]) + [3.0, -1.0]
    Y = Y + rng.normal(0, 0.1, size=Y.shape)  # (n, k=2)

    def lstsq(A, B):
        coef, *_ = np.linalg.lstsq(np.column_stack([A, np.ones(len(A))]), B, rcond=None)
        return coef[:-1].T, coef[-1]  # weight (k, d), bias (k,)

    s = Standardizer().fit(X)
    weight, bias = s.unscale_linear(*lstsq(s.transform(X), Y))
    raw_weight, raw_bias = lstsq(X, Y)
    np.testing.assert_allclose(weight, raw_weight, rtol=1e-8)
    np.testing.assert_allclose(bias, raw_bias, rtol=1e-8)
    w1, b1 = s.unscale_linear(np.ones(3), 0.5)  # 1-D weight, scalar bias
    assert w1.shape == (3,)
    assert b1.shape == ()


def test_standardizer_errors():
    with pytest.raises(GdlabError, match="not fitted"):
        Standardizer().transform(np.ones((2, 2)))
    s = Standardizer().fit(np.ones((4, 3)))
    with pytest.raises(GdlabError, match="fitted on 3 features, got 2"):
        s.transform(np.ones((2, 2)))
    with pytest.raises(GdlabError, match="need 'mean' and 'std'"):
        Standardizer.from_dict({"mean": [0.0]})
    with pytest.raises(GdlabError, match="equal length"):
        Standardizer.from_dict({"mean": [0.0], "std": [1.0, 2.0]})
    with pytest.raises(GdlabError, match=r"training row 1, column 0 is missing \(NaN\); fill missing"):
        Standardizer().fit(np.array([[1.0, 2.0], [np.nan, 3.0]]))


# ---------------------------------------------------------------- export_builtin


@pytest.mark.parametrize("name", ["iris", "digits", "diabetes", "breast-cancer"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_builtin_reads_back_the_same(tmp_path, name, suffix):
    original = load(name)
    path = export_builtin(name, tmp_path / f"{name}{suffix}")
    assert path == tmp_path / f"{name}{suffix}"
    again = load(path)
    assert again.feature_names == original.feature_names
    assert again.target_name == original.target_name
    np.testing.assert_allclose(again.X, original.X)
    assert again.task == original.task
    if original.classes is None:
        np.testing.assert_allclose(again.y, original.y)
    else:  # a file's classes are sorted: map labels, not indices
        labels = [original.classes[i] for i in original.y]
        assert [again.classes[i] for i in again.y] == labels


def test_export_builtin_header_and_errors(tmp_path):
    export_builtin("Iris", tmp_path / "iris.csv")
    assert (tmp_path / "iris.csv").read_text().splitlines()[:2] == [
        "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm),species",
        "5.1,3.5,1.4,0.2,setosa",
    ]
    with pytest.raises(GdlabError, match=r"unknown dataset 'irsi'.*did you mean 'iris'"):
        export_builtin("irsi", tmp_path / "x.csv")
    with pytest.raises(GdlabError, match=r"cannot export to iris.txt: use a .csv or .parquet"):
        export_builtin("iris", tmp_path / "iris.txt")
    with pytest.raises(GdlabError, match=r"folder .*nope does not exist"):
        export_builtin("iris", tmp_path / "nope" / "iris.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iris.csv"]  # no temporary left
