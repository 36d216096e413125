"""Metrics of a trained model: test scores and parameters in the data's own units."""

from __future__ import annotations

import math

import numpy as np

MAX_REPORTED_PARAMS = 100  # metrics.json lists parameters only for models this small


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def scores(out: np.ndarray, y: np.ndarray, task: str) -> dict:
    """Scores of raw outputs ``out`` (n, k) against targets ``y``.

    Regression: ``mse``, ``rmse``, ``mae`` and ``r2`` (one output; averaged over outputs
    otherwise). Classification: ``accuracy``, ``log_loss``, ``balanced_accuracy`` (the
    mean recall of the classes present), ``f1_macro`` (the mean F1 of the classes present
    in the targets or the predictions), ``roc_auc`` (two classes; one-vs-rest averaged
    over the classes present, for more; None with only one class) and ``confusion``
    (rows: true class, columns: predicted, as lists of counts).
    """
    if task == "regression":
        pred = out.reshape(len(out), -1)
        y = np.asarray(y, dtype=np.float64).reshape(pred.shape)
        err = pred - y
        mse = float(np.mean(err**2))
        var = float(np.mean((y - y.mean(axis=0)) ** 2))
        r2 = 1.0 - mse / var if var > 0 else float("nan")
        return {"mse": mse, "rmse": math.sqrt(mse), "mae": float(np.mean(np.abs(err))), "r2": r2}
    y = np.asarray(y).reshape(-1).astype(np.int64)
    if task == "binary":
        p1 = np.clip(_sigmoid(out[:, 0]), 1e-15, 1 - 1e-15)
        proba = np.stack([1 - p1, p1], axis=1)
    else:
        z = out - out.max(axis=1, keepdims=True)
        proba = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        proba = np.clip(proba, 1e-15, 1.0)
    k = proba.shape[1]
    pred = proba.argmax(axis=1)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y, pred), 1)
    true_counts, pred_counts, hits = confusion.sum(1), confusion.sum(0), np.diag(confusion)
    present = true_counts > 0
    recall = hits[present] / true_counts[present]
    either = present | (pred_counts > 0)
    f1 = 2 * hits[either] / (true_counts[either] + pred_counts[either])
    return {
        "accuracy": float(np.mean(pred == y)),
        "log_loss": float(-np.mean(np.log(proba[np.arange(len(y)), y]))),
        "balanced_accuracy": float(recall.mean()),
        "f1_macro": float(f1.mean()),
        "roc_auc": _roc_auc(proba, y),
        "confusion": confusion.tolist(),
    }


evaluate_arrays = scores  # the name before the classification scores were added


def _auc(score: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve: the probability that a random positive scores above a
    random negative (ties count one half), from the ranks (Mann–Whitney U)."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size, dtype=np.float64)
    sorted_scores = score[order]
    # average ranks over ties
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], score.size]
    for a, b in zip(starts, ends, strict=True):
        ranks[order[a:b]] = (a + b + 1) / 2.0
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _roc_auc(proba: np.ndarray, y: np.ndarray) -> float | None:
    if proba.shape[1] == 2:
        return _auc(proba[:, 1], y == 1)
    aucs = [a for c in range(proba.shape[1]) if (a := _auc(proba[:, c], y == c)) is not None]
    return float(np.mean(aucs)) if aucs else None


def model_params(model, standardizer=None) -> dict | None:
    """The parameters as lists, in original feature units, for models of ≤ 100 parameters.

    A single-layer model gives ``{"weight": [...], "bias": [...]}`` (``weight`` flat for
    one output, one row per output otherwise); an MLP gives one entry per tensor. When the
    inputs were standardized, the first layer is converted back: W/σ and b − (W/σ)·μ.
    """
    n = sum(p.numel() for p in model.parameters())
    if n > MAX_REPORTED_PARAMS:
        return None
    layers = [(lay.weight.detach().double().cpu().numpy(),
               np.zeros(lay.out_features) if lay.bias is None else lay.bias.detach().double().cpu().numpy())
              for lay in model.layers]
    if standardizer is not None:
        w, b = standardizer.unscale_linear(*layers[0])
        layers[0] = (np.asarray(w), np.asarray(b))
    if len(layers) == 1:
        w, b = layers[0]
        return {"weight": (w[0] if w.shape[0] == 1 else w).tolist(), "bias": b.tolist()}
    out = {}
    for i, (w, b) in enumerate(layers):
        out[f"layers.{i}.weight"] = w.tolist()
        out[f"layers.{i}.bias"] = b.tolist()
    return out
