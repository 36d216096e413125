"""GDRegressor and GDClassifier: agreement with scikit-learn's reference solvers, the
parts of the estimator contract the generic checks do not pin down, and bad input."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import one_torch_thread
from gdlab.sklearn import GDClassifier, GDRegressor


@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.fixture(scope="module")
def cancer_split():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def blobs(n=120, centers=3, seed=1):
    X, y = make_blobs(n_samples=n, centers=centers, random_state=seed)
    return StandardScaler().fit_transform(X), y


# --- agreement with the reference solvers -------------------------------------------------
def test_regressor_matches_linear_regression_on_diabetes(diabetes):
    X, y = diabetes
    ref_model = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    ref = ref_model[-1]
    # Full-batch Nesterov at η = 0.1 < 1/λmax (λmax of 2XᵀX/n is 8.05 on standardized X).
    gd = GDRegressor(optimizer="nesterov", batch_size="full", lr=0.1, max_iter=600, tol=None,
                     alpha=0.0, random_state=0)
    fitted = make_pipeline(StandardScaler(), gd).fit(X, y)[-1]
    np.testing.assert_allclose(fitted.coef_, ref.coef_, rtol=1e-3)
    np.testing.assert_allclose(fitted.intercept_, [ref.intercept_], rtol=1e-6)
    assert fitted.n_iter_ == 600
    ref_mse = np.mean((ref_model.predict(X) - y) ** 2)  # 2859.70, the least-squares minimum
    assert fitted.loss_curve_[-1] == pytest.approx(ref_mse, rel=1e-9)


def test_regressor_defaults_fit_diabetes_about_as_well(diabetes):
    X, y = diabetes
    ref = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y).score(X, y)  # 0.518
    model = make_pipeline(StandardScaler(), GDRegressor(random_state=0)).fit(X, y)
    assert model.score(X, y) > ref - 0.01
    assert model[-1].n_iter_ < 200  # stopped by tol, not the epoch limit
    # lr="auto" (gdlab.setup.auto_lr): a tenth of 1/(c·(λ + (R² − λ)/B)) for batches of B = 32,
    # λ the largest eigenvalue of the rows' second moments with a bias column, R² its trace
    Z = np.hstack([StandardScaler().fit_transform(X), np.ones((len(X), 1))])
    moments = Z.T @ Z / len(Z)
    lam, r2 = np.linalg.eigvalsh(moments)[-1], np.trace(moments)
    assert model[-1].lr_ == pytest.approx(0.1 / (2 * (lam + (r2 - lam) / 32)), rel=1e-9)


def test_classifier_matches_logistic_regression_on_breast_cancer(cancer_split):
    """Both minimize the same objective: mean log-loss + (λ/2)‖w‖² with λ = 1/(C·n), a
    negligible penalty (C = 100). Unpenalized, this near-separable problem has no finite
    optimum and every solver stops somewhere else; with it, both reach one answer."""
    X_train, X_test, y_train, y_test = cancer_split
    C = 100.0
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=100_000, tol=1e-10))
    ref_acc = ref.fit(X_train, y_train).score(X_test, y_test)
    gd = make_pipeline(StandardScaler(), GDClassifier(
        optimizer="nesterov", batch_size="full", lr=1.0, alpha=1 / (C * len(y_train)),
        max_iter=20_000, tol=None, random_state=0))
    acc = gd.fit(X_train, y_train).score(X_test, y_test)
    assert abs(acc - ref_acc) <= 0.01, (acc, ref_acc)
    np.testing.assert_allclose(gd[-1].coef_, ref[-1].coef_, atol=0.01 * np.abs(ref[-1].coef_).max())
    # and the defaults (mini-batch SGD, no penalty) do as well on the same split
    default = make_pipeline(StandardScaler(), GDClassifier(random_state=0))
    assert default.fit(X_train, y_train).score(X_test, y_test) >= ref_acc - 0.01


# --- scikit-learn tools --------------------------------------------------------------------
def test_grid_search_over_lr_and_batch_size():
    X, y = blobs()
    search = GridSearchCV(
        GDClassifier(max_iter=30, random_state=0),
        {"lr": [1e-5, 0.1], "batch_size": [8, 32]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # lr=1e-5 does not converge
        search.fit(X, y)
    assert search.best_params_["lr"] == 0.1
    assert search.best_score_ > 0.95
    assert search.cv_results_["mean_test_score"].min() < 0.9  # lr=1e-5 barely moves


def test_cross_val_score_regression(diabetes):
    X, y = diabetes
    scores = cross_val_score(make_pipeline(StandardScaler(), GDRegressor(random_state=0)), X, y, cv=3)
    ref = cross_val_score(make_pipeline(StandardScaler(), LinearRegression()), X, y, cv=3)
    assert scores.shape == (3,)
    np.testing.assert_allclose(scores, ref, atol=0.03)


def test_clone_set_params_and_pickle_round_trip():
    X, y = blobs()
    clf = GDClassifier(hidden_layer_sizes=(6,), lr=0.05, random_state=3)
    twin = clone(clf).set_params(lr=0.2, batch_size=16)
    assert twin.get_params()["lr"] == 0.2
    assert twin.get_params()["batch_size"] == 16
    assert clf.get_params()["lr"] == 0.05
    clf.fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.n_iter_ == clf.n_iter_
    assert back.classes_.tolist() == [0, 1, 2]
    back.partial_fit(X, y)  # the unpickled estimator keeps training
    assert back.n_iter_ == clf.n_iter_ + 1


# --- the fit --------------------------------------------------------------------------------
def test_same_random_state_same_model_and_global_rng_untouched():
    X, y = blobs()
    before = torch.random.get_rng_state()
    a = GDClassifier(random_state=7).fit(X, y)
    b = GDClassifier(random_state=7).fit(X, y)
    c = GDClassifier(random_state=8).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), before)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.allclose(a.coef_, c.coef_)


def test_convergence_warning_only_when_tol_is_not_met():
    X, y = blobs()
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3 epochs reached .* tol=0.001"):
        GDClassifier(max_iter=3, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = GDClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
        conv = GDClassifier(max_iter=500, random_state=0).fit(X, y)
    assert reg.n_iter_ == 3
    assert conv.n_iter_ < 500


def test_partial_fit_epochs_equal_fit_epochs():
    X, y = blobs()
    fitted = GDClassifier(optimizer="adam", max_iter=4, tol=None, random_state=0).fit(X, y)
    stepped = GDClassifier(optimizer="adam", random_state=0)
    for _ in range(4):
        stepped.partial_fit(X, y, classes=[0, 1, 2])
    assert stepped.n_iter_ == 4
    assert len(stepped.loss_curve_) == 4
    np.testing.assert_allclose(stepped.coef_, fitted.coef_, rtol=1e-12)
    np.testing.assert_allclose(stepped.loss_curve_, fitted.loss_curve_, rtol=1e-12)


def test_partial_fit_needs_classes_first_and_rejects_unknown_labels():
    X, y = blobs()
    clf = GDClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # a batch may miss a class
    assert clf.coef_.shape == (3, 2)
    with pytest.raises(ValueError, match=r"labels not in classes \[0, 1, 2\]: \[7\]"):
        clf.partial_fit(X[:2], [0, 7])
    with pytest.raises(ValueError, match="differs from the classes of earlier calls"):
        clf.partial_fit(X, y, classes=[0, 1])


def test_warm_start_continues_from_the_fitted_weights(diabetes):
    X, y = diabetes
    X = StandardScaler().fit_transform(X)
    reg = GDRegressor(max_iter=5, tol=None, warm_start=True, random_state=0).fit(X, y)
    first = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.n_iter_ == 5
    assert reg.loss_curve_[0] < first[-1] * 1.05  # starts where the first fit ended
    assert reg.loss_curve_[-1] < first[-1]
    cold = GDRegressor(max_iter=5, tol=None, random_state=0).fit(X, y)
    cold.fit(X, y)
    assert cold.loss_curve_ == first  # without warm_start every fit starts afresh
    with pytest.raises(ValueError, match=r"in_features 10 → 3.*warm_start=False"):
        reg.fit(X[:, :3], y)


def test_early_stopping_restores_the_best_validation_epoch():
    X, y = blobs(n=300, seed=0)  # overlapping classes: the validation loss bottoms out
    kw = dict(early_stopping=True, validation_fraction=0.2, n_iter_no_change=3, tol=0.0,
              max_iter=300, random_state=0)
    clf = GDClassifier(**kw).fit(X, y)
    val_losses = [e["val_loss"] for e in clf.history_]
    best = int(np.argmin(val_losses)) + 1
    assert clf.n_iter_ == best + 3 < 300
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.9
    # the same split and batches, stopped at the best epoch, give the restored weights
    with pytest.warns(ConvergenceWarning, match="before the validation loss stopped improving"):
        at_best = GDClassifier(**{**kw, "max_iter": best, "n_iter_no_change": 1000}).fit(X, y)
    np.testing.assert_allclose(clf.coef_, at_best.coef_, rtol=1e-12)
    assert GDClassifier(random_state=0).fit(X, y).validation_scores_ is None


def test_engines_agree_on_a_linear_regressor():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3
    coefs = {
        engine: GDRegressor(engine=engine, optimizer="momentum", batch_size=8, lr=0.05,
                            max_iter=30, tol=None, random_state=1).fit(X, y).coef_
        for engine in ("scalar", "manual", "autograd", "nn")
    }
    for engine, coef in coefs.items():
        np.testing.assert_allclose(coef, coefs["nn"], rtol=1e-10, err_msg=engine)
    np.testing.assert_allclose(coefs["nn"], [1.5, -2.0, 0.5], atol=1e-2)


def test_lr_auto_stays_stable_where_a_fixed_lr_diverges():
    rng = np.random.RandomState(0)
    X = rng.normal(loc=100, size=(100, 2))  # unscaled: λmax of 2XᵀX/n is about 8·10⁴
    y = X @ [0.5, -0.25] + rng.normal(size=100)
    with pytest.raises(ValueError, match=r"training diverged at epoch 1 .* smaller lr than 0\.01"):
        GDRegressor(lr=0.01, random_state=0).fit(X, y)
    reg = GDRegressor(random_state=0).fit(X, y)
    assert np.all(np.isfinite(reg.predict(X)))
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


# --- sample weights --------------------------------------------------------------------------
def test_whole_number_weights_equal_repeated_rows():
    X, y = blobs(n=30, centers=2)
    w = np.arange(30) % 3  # 0, 1, 2: drop, keep, double
    kw = dict(optimizer="gd", lr=0.5, max_iter=50, tol=None, random_state=0)
    weighted = GDClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = GDClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-12)
    halves = GDClassifier(**kw).fit(X, y, sample_weight=w / 2)  # only ratios matter
    np.testing.assert_allclose(halves.coef_, repeated.coef_, rtol=1e-12)
    equal = GDClassifier(**kw).fit(X, y, sample_weight=np.full(30, 0.3))
    plain = GDClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(equal.coef_, plain.coef_)


def test_real_valued_weights_fit_the_weighted_least_squares_solution(diabetes):
    """Weights that are not whole multiples of one another (which used to be refused) are
    row weights in the loss: full-batch GD reaches scikit-learn's weighted least squares."""
    X, y = diabetes
    Z = StandardScaler().fit_transform(X)
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y)) * np.pi  # no whole ratios
    w[0] = 1000.0  # one heavy row, far more than row repetition could carry
    ref = LinearRegression().fit(Z, y, sample_weight=w)
    reg = GDRegressor(optimizer="gd", max_iter=20_000, tol=1e-12, n_iter_no_change=50,
                      penalty=None, random_state=0).fit(Z, y, sample_weight=w)
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=2e-3, atol=1e-2)
    assert reg.intercept_[0] == pytest.approx(ref.intercept_, rel=1e-4)
    with pytest.raises(ValueError, match="at least one non-zero"):  # scikit-learn's own check
        GDRegressor().fit(Z, y, sample_weight=np.zeros(len(y)))


# --- input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_input_dtypes_give_the_same_float64_model(dtype):
    X, y = blobs()
    X = np.round(X * 10)  # exactly representable in every dtype
    ref = GDClassifier(random_state=0, max_iter=20, tol=None).fit(X, y)
    clf = GDClassifier(random_state=0, max_iter=20, tol=None).fit(X.astype(dtype), y)
    assert next(clf.model_.parameters()).dtype == torch.float64
    np.testing.assert_array_equal(clf.coef_, ref.coef_)
    assert clf.predict_proba(X.astype(dtype)).dtype == np.float64


def test_float32_computation_on_request():
    X, y = blobs()
    clf = GDClassifier(dtype="float32", random_state=0).fit(X, y)
    assert next(clf.model_.parameters()).dtype == torch.float32
    assert clf.score(X, y) > 0.95


def test_dataframe_feature_names():
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = GDClassifier(random_state=0).fit(X, y)
    assert clf.feature_names_in_.tolist() == list(X.columns)
    assert clf.n_features_in_ == 4
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X.to_numpy())


def test_string_labels_binary_and_multiclass():
    X, y = blobs()
    names = np.array(["cat", "dog", "eel"])[y]
    clf = GDClassifier(random_state=0).fit(X, names)
    assert clf.classes_.tolist() == ["cat", "dog", "eel"]
    assert clf.score(X, names) > 0.95
    binary = GDClassifier(random_state=0).fit(X[y < 2], names[y < 2])
    d = binary.decision_function(X)
    assert d.shape == (len(X),)
    assert binary.coef_.shape == (1, 2)
    np.testing.assert_array_equal(binary.predict(X), np.where(d > 0, "dog", "cat"))
    np.testing.assert_allclose(binary.predict_proba(X)[:, 1], 1 / (1 + np.exp(-d)))


def test_binary_softmax_and_bce_losses():
    X, y = blobs(centers=2)
    soft = GDClassifier(loss="cross-entropy", random_state=0).fit(X, y)
    assert soft.coef_.shape == (2, 2)
    d = soft.decision_function(X)
    assert d.shape == (len(X),)
    np.testing.assert_allclose(soft.predict_proba(X)[:, 1], 1 / (1 + np.exp(-d)), rtol=1e-12)
    assert soft.score(X, y) == 1.0
    X3, y3 = blobs(centers=3)
    with pytest.raises(ValueError, match="loss='bce' needs exactly 2 classes, got 3"):
        GDClassifier(loss="bce").fit(X3, y3)


def test_mlp_layers_and_no_coef():
    X, y = blobs()
    clf = GDClassifier(hidden_layer_sizes=(5, 4), activation="sigmoid", random_state=0).fit(X, y)
    assert [w.shape for w in clf.coefs_] == [(2, 5), (5, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(5,), (4,), (3,)]
    assert not hasattr(clf, "coef_")
    with pytest.raises(AttributeError, match="coef_ exists only for linear models"):
        _ = clf.coef_
    assert clf.model_.describe()["hidden"] == [5, 4]


def test_verbose_prints_progress(capsys):
    X, y = blobs()
    GDClassifier(verbose=1, max_iter=10, tol=None, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "epoch  1/10  train_loss" in out
    assert "epoch 10/10" in out


def test_device():
    X, y = blobs()
    if torch.cuda.is_available():
        clf = GDClassifier(device="cuda", random_state=0).fit(X, y)
        assert next(clf.model_.parameters()).device.type == "cpu"
        assert clf.score(X, y) > 0.95
    else:
        with pytest.raises(ValueError, match="no CUDA device is available"):
            GDClassifier(device="cuda").fit(X, y)


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("Est", [GDRegressor, GDClassifier])
def test_bad_input_raises_value_error_naming_the_problem(Est):
    X, y = blobs()
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        Est().fit(bad, y)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        Est().fit(bad, y)
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        Est().fit(X[:0], y[:0])
    with pytest.raises(NotFittedError):
        Est().predict(X)
    est = Est(max_iter=5, tol=None).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 3 features, but \w+ is expecting 2 features"):
        est.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="lr"):
        Est(lr=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="batch_size=8 conflicts with optimizer='gd'"):
        Est(optimizer="gd", batch_size=8).fit(X, y)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must be positive integers, got \[4, 0\]"):
        Est(hidden_layer_sizes=(4, 0)).fit(X, y)
    with pytest.raises(ValueError, match="scalar engine handles one linear layer"):
        Est(engine="scalar", hidden_layer_sizes=(3,)).fit(X, y)


def test_classifier_refuses_a_single_class():
    X, y = blobs()
    with pytest.raises(ValueError, match=r"needs at least 2 classes to train, got 1 class \(0\.0\)"):
        GDClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="needs at least 2 classes, got 1 class"):
        GDClassifier().partial_fit(X, np.zeros(len(X)), classes=[0.0])
    with pytest.raises(ValueError, match=r"2 classes .*got 1 class \(1\) after dropping rows of zero"):
        GDClassifier().fit(X, y % 2, sample_weight=y % 2)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        GDClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_regressor_refuses_nan_target():
    X, y = blobs()
    y = y.astype(float)
    y[0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        GDRegressor().fit(X, y)
