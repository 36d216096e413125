"""The command line as a user runs it: acceptance commands of the foundation issue."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import read_metrics

RUN_FILES = {"config.json", "history.csv", "metrics.json", "model.safetensors", "model.json"}


def test_d2l_minibatch_learns_true_parameters(gdlab_cli, tmp_path):
    r = gdlab_cli("train", "synthetic-linear", "--optimizer", "minibatch", "--batch-size", "10",
                  "--lr", "0.03", "--epochs", "3", "--loss", "half-mse", "--seed", "0",
                  "--out", "runs/d2l")
    assert r.code == 0, r
    folder = tmp_path / "runs/d2l"
    assert RUN_FILES <= {p.name for p in folder.iterdir()}
    m = read_metrics(folder)
    np.testing.assert_allclose(m["params"]["weight"], [2.0, -3.4], atol=0.01)
    np.testing.assert_allclose(m["params"]["bias"], [4.2], atol=0.01)
    for key in ("model", "task", "n_train", "n_features", "epochs_run", "stopped_reason",
                "train_loss", "val_loss", "test", "seconds", "params"):
        assert key in m
    assert m["task"] == "regression"
    assert m["epochs_run"] == 3
    assert m["stopped_reason"] == "max_epochs"
    assert m["n_train"] == 700
    assert m["n_features"] == 2
    assert set(m["test"]) == {"mse", "rmse", "mae", "r2"}
    assert m["test"]["r2"] > 0.999
    assert "learned: y = 4.19" in r.out
    assert "·x1" in r.out
    history = pd.read_csv(folder / "history.csv")
    assert list(history.columns[:6]) == ["epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds"]
    assert history["epoch"].tolist() == [1, 2, 3]
    assert not (tmp_path / "runs/d2l.partial").exists()


def test_iris_softmax_and_predict_class_names(gdlab_cli, tmp_path):
    r = gdlab_cli("train", "iris", "--out", "runs/iris")
    assert r.code == 0, r
    m = read_metrics(tmp_path / "runs/iris")
    assert m["model"] == "softmax"
    assert m["task"] == "multiclass"
    assert m["test"]["accuracy"] >= 0.9
    rows = pd.DataFrame(
        [[5.1, 3.5, 1.4, 0.2], [6.0, 2.9, 4.5, 1.5], [7.7, 3.0, 6.1, 2.3]],
        columns=["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
    )
    rows.to_csv(tmp_path / "new.csv", index=False)
    r = gdlab_cli("predict", "runs/iris", "new.csv", "--out", "pred.csv")
    assert r.code == 0, r
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert pred["prediction"].tolist() == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(pred.filter(like="proba_").sum(axis=1), 1.0, atol=1e-5)


def test_evaluate_scores_new_labeled_data(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "iris", "--out", "runs/iris", "--quiet").code == 0
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    frame = iris.frame.rename(columns={"target": "species"})
    frame["species"] = np.asarray(iris.target_names)[iris.target]
    frame.to_csv(tmp_path / "labeled.csv", index=False)
    r = gdlab_cli("evaluate", "runs/iris", "labeled.csv")
    assert r.code == 0, r
    result = json.loads((tmp_path / "runs/iris/eval-labeled.json").read_text())
    assert result["n"] == 150
    assert result["accuracy"] > 0.9
    assert "accuracy" in r.out


def test_regression_predict_roundtrip_uses_saved_standardization(gdlab_cli, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(50, 10, size=(300, 2))
    y = 3 * X[:, 0] - 2 * X[:, 1] + 7
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_csv(tmp_path / "train.csv", index=False)
    r = gdlab_cli("train", "train.csv", "--optimizer", "gd", "--lr", "0.5", "--epochs", "300",
                  "--out", "runs/r", "--quiet")
    assert r.code == 0, r
    m = read_metrics(tmp_path / "runs/r")
    np.testing.assert_allclose(m["params"]["weight"], [3, -2], rtol=1e-3)
    np.testing.assert_allclose(m["params"]["bias"], [7], atol=0.05)
    # columns in another order: matched by name
    pd.DataFrame({"b": [40.0], "a": [60.0]}).to_csv(tmp_path / "new.csv", index=False)
    r = gdlab_cli("predict", "runs/r", "new.csv")
    assert r.code == 0, r
    value = float(r.out.strip().splitlines()[1].split(",")[1])
    assert value == pytest.approx(3 * 60 - 2 * 40 + 7, rel=1e-3)


def test_diverging_run_exits_3_and_keeps_earlier_run(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "--epochs", "2", "--out", "runs/x", "--quiet").code == 0
    before = (tmp_path / "runs/x/metrics.json").read_text()
    r = gdlab_cli("train", "--optimizer", "gd", "--lr", "50", "--epochs", "30", "--out", "runs/x")
    assert r.code == 3, r
    assert "diverged at epoch" in r.err
    assert "smaller learning rate" in r.err
    assert "Traceback" not in r.err
    assert (tmp_path / "runs/x/metrics.json").read_text() == before


def test_datasets_lists_builtins(gdlab_cli):
    r = gdlab_cli("datasets")
    assert r.code == 0
    for name in ("synthetic-linear", "toy-1d", "line-1d", "classification", "blobs", "moons",
                 "circles", "xor", "diabetes", "breast-cancer", "iris", "wine", "digits"):
        assert name in r.out


def test_toy_data_trains_on_everything_and_says_so(gdlab_cli, tmp_path):
    r = gdlab_cli("train", "toy-1d", "--optimizer", "gd", "--lr", "0.01", "--epochs", "100",
                  "--no-standardize", "--out", "runs/toy")
    assert r.code == 0, r
    assert "too few to split" in r.out
    m = read_metrics(tmp_path / "runs/toy")
    assert m["n_train"] == 3
    assert m["test"] is None
    assert m["val_loss"] is None
    history = pd.read_csv(tmp_path / "runs/toy/history.csv")
    assert history["train_loss"].iloc[-1] < 0.1 * history["train_loss"].iloc[0]


def test_help_for_every_core_command(gdlab_cli):
    for cmd in ("train", "predict", "evaluate", "datasets"):
        r = gdlab_cli(cmd, "--help")
        assert r.code == 0
        assert "Usage:" in r.out
