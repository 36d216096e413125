"""gdlab.train from Python: settings, stopping, schedules, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gdlab
from gdlab.errors import DivergedError, GdlabError


def test_api_example_from_design(tmp_path):
    data = gdlab.load("synthetic-linear", n=1000, seed=0)
    model = gdlab.LinearRegression(in_features=2)
    run = gdlab.train(model, data, optimizer="minibatch", batch_size=10, lr=0.03, epochs=3,
                      engine="nn", seed=0, quiet=True)
    assert run.model is model
    assert len(run.history) == 3
    assert run.stopped_reason == "max_epochs"
    frame = run.history_frame()
    assert list(frame["epoch"]) == [1, 2, 3]
    np.testing.assert_allclose(run.metrics["params"]["weight"], [2, -3.4], atol=0.01)
    gdlab.save(run, tmp_path / "x")
    again = gdlab.load_run(tmp_path / "x")
    np.testing.assert_allclose(again.predict(data.X[:5]), run.predict(data.X[:5]), rtol=1e-6)
    assert again.history[-1]["train_loss"] == pytest.approx(run.history[-1]["train_loss"])


def test_same_seed_same_result_different_seed_different():
    kw = dict(data="classification", epochs=5, quiet=True, dtype="float64")
    a, b, c = gdlab.train(**kw, seed=1), gdlab.train(**kw, seed=1), gdlab.train(**kw, seed=2)
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=False):
        assert torch.equal(pa, pb)
    assert not torch.equal(next(a.model.parameters()), next(c.model.parameters()))


def test_a_lone_positional_argument_is_the_data_unless_it_names_a_model(tmp_path):
    X = np.random.default_rng(0).normal(size=(120, 3))
    table = np.column_stack([X, X @ [1.0, -2.0, 0.5] + 3.0])
    path = tmp_path / "rows.npy"
    np.save(path, table)
    kw = dict(optimizer="gd", lr=0.3, epochs=200, seed=0, quiet=True, dtype="float64")
    by_str, by_path = gdlab.train(str(path), **kw), gdlab.train(path, **kw)
    by_keyword = gdlab.train(data=str(path), **kw)
    assert by_str.metrics["n_features"] == 3
    for run in (by_str, by_path):
        np.testing.assert_array_equal(run.metrics["params"]["weight"], by_keyword.metrics["params"]["weight"])
    np.testing.assert_allclose(by_str.metrics["params"]["weight"], [1.0, -2.0, 0.5], atol=0.02)
    iris = gdlab.train(gdlab.load("iris"), epochs=2, seed=0, quiet=True)
    assert iris.metrics["task"] == "multiclass"
    mlp = gdlab.train("mlp", "xor", epochs=2, seed=0, quiet=True)  # a model name stays the model
    assert mlp.metrics["model"] == "mlp"


def test_unknown_setting_is_refused():
    with pytest.raises(GdlabError, match="unknown setting 'learning_rate'"):
        gdlab.train(data="toy-1d", learning_rate=0.1)


def test_divergence_raises_with_epoch_and_hint():
    with pytest.raises(DivergedError, match=r"diverged at epoch \d+.*smaller learning rate") as e:
        gdlab.train(data="synthetic-linear", optimizer="gd", lr=10.0, epochs=50, quiet=True)
    assert e.value.run.stopped_reason == "diverged"


def test_tol_with_patience_stops_early():
    run = gdlab.train(data="synthetic-linear", optimizer="gd", lr=0.5, epochs=500, tol=1e-6,
                      patience=3, quiet=True)
    assert run.stopped_reason == "tol"
    assert run.metrics["epochs_run"] < 500


def test_grad_tol_stops():
    run = gdlab.train(data="synthetic-linear", optimizer="gd", lr=0.5, epochs=500,
                      grad_tol=1e-4, quiet=True, dtype="float64")
    assert run.stopped_reason == "grad_tol"
    assert run.history[-1]["grad_norm"] < 1e-4


@pytest.mark.parametrize("tol", [None, 0.05])
def test_early_stopping_restores_best_weights(tol):
    # An MLP on little noisy data overfits; early stopping must hand back the best epoch,
    # even when the best came from improvements smaller than tol.
    data = gdlab.load("moons", n=60, noise=0.45, seed=0)
    run = gdlab.train(data=data, model="mlp", hidden=(64,), activation="relu", optimizer="adam",
                      lr=0.05, epochs=300, early_stopping=True, patience=10, val_fraction=0.3,
                      tol=tol, quiet=True, dtype="float64")
    assert run.stopped_reason == "early_stopping"
    best = min(h["val_loss"] for h in run.history)
    assert run.metrics["val_loss"] == pytest.approx(best, rel=1e-9)
    assert run.history[-1]["val_loss"] > best


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "minibatch", "momentum", "nesterov", "adam"])
def test_every_optimizer_fits_linear_data(optimizer):
    lr = {"adam": 0.05, "sgd": 0.01}.get(optimizer, 0.1)
    run = gdlab.train(data="synthetic-linear", optimizer=optimizer, lr=lr, epochs=30,
                      quiet=True, dtype="float64", seed=0)
    assert run.metrics["test"]["r2"] > 0.999, optimizer


def test_schedules():
    from gdlab.config import TrainConfig
    from gdlab.train import lr_at

    step = TrainConfig(lr=1.0, schedule="step", lr_step=2, lr_gamma=0.5)
    assert [lr_at(step, e) for e in range(1, 6)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    inv = TrainConfig(lr=1.0, schedule="invscaling", power_t=0.5)
    assert lr_at(inv, 4) == pytest.approx(0.5)
    run = gdlab.train(data="toy-1d", optimizer="gd", schedule="step", lr=0.01, lr_step=3,
                      lr_gamma=0.1, epochs=6, quiet=True)
    assert [h["lr"] for h in run.history] == pytest.approx([0.01] * 3 + [0.001] * 3)


def test_l2_shrinks_weights():
    kw = dict(data="synthetic-linear", optimizer="gd", lr=0.3, epochs=200, quiet=True,
              dtype="float64", standardize=False)
    free = gdlab.train(**kw).metrics["params"]["weight"]
    ridge = gdlab.train(**kw, l2=1.0).metrics["params"]["weight"]
    assert np.linalg.norm(ridge) < 0.7 * np.linalg.norm(free)
    # mse + (λ/2)‖w‖²: (2XᵀX/n + λI) w = 2Xᵀ(y − b)/n, and XᵀX/n ≈ I here, so w ≈ 2w/(2 + λ)
    np.testing.assert_allclose(ridge, np.array([2, -3.4]) * 2 / 3, atol=0.08)


def test_classifier_history_has_accuracy():
    run = gdlab.train(data="breast-cancer", epochs=5, quiet=True)
    assert run.task == "binary"
    assert run.metrics["model"] == "logistic"
    assert {"accuracy", "val_accuracy"} <= set(run.history[0])
    assert run.metrics["test"]["accuracy"] > 0.9
    rows = gdlab.load("breast-cancer").X[:10]
    assert set(run.predict(rows)) <= {"malignant", "benign"}
    proba = run.predict_proba(rows)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)


def test_mlp_learns_xor_where_logistic_cannot():
    run = gdlab.train(data="xor", model="mlp", hidden=(16,), activation="tanh", optimizer="adam",
                      lr=0.05, epochs=100, quiet=True, seed=0)
    assert run.metrics["train_accuracy"] > 0.93
    assert run.metrics["test"]["accuracy"] > 0.85
    linear = gdlab.train(data="xor", quiet=True, seed=0)
    assert linear.metrics["test"]["accuracy"] < 0.7


def test_incompatible_model_and_task_is_refused():
    with pytest.raises(GdlabError, match="--model logistic needs two classes"):
        gdlab.train(data="iris", model="logistic", quiet=True)
    with pytest.raises(GdlabError, match="--loss bce"):
        gdlab.train(data="synthetic-linear", loss="bce", quiet=True)


def test_softmax_on_two_classes_uses_two_outputs():
    run = gdlab.train(data="breast-cancer", model="softmax", epochs=20, quiet=True)
    assert run.model.out_features == 2
    assert run.task == "multiclass"
    assert run.metrics["loss"] == "cross-entropy"
    assert run.metrics["test"]["accuracy"] > 0.9
    assert set(run.predict(gdlab.load("breast-cancer").X[:20])) <= {"malignant", "benign"}
