"""Metrics of a trained model: test scores and parameters in the data's own units."""

from __future__ import annotations

import numpy as np

MAX_REPORTED_PARAMS = 100  # metrics.json lists parameters only for models this small


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def evaluate_arrays(out: np.ndarray, y: np.ndarray, task: str) -> dict:
    """Scores of raw outputs ``out`` (n, k) against targets ``y``.

    Regression: ``mse`` and ``r2``; classification: ``accuracy`` and ``log_loss``.
    """
    if task == "regression":
        pred = out.reshape(len(out), -1)
        y = np.asarray(y, dtype=np.float64).reshape(pred.shape)
        mse = float(np.mean((pred - y) ** 2))
        var = float(np.mean((y - y.mean(axis=0)) ** 2))
        r2 = 1.0 - mse / var if var > 0 else float("nan")
        return {"mse": mse, "r2": r2}
    y = np.asarray(y).reshape(-1).astype(np.int64)
    if task == "binary":
        p1 = np.clip(_sigmoid(out[:, 0]), 1e-15, 1 - 1e-15)
        proba = np.stack([1 - p1, p1], axis=1)
    else:
        z = out - out.max(axis=1, keepdims=True)
        proba = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        proba = np.clip(proba, 1e-15, 1.0)
    accuracy = float(np.mean(proba.argmax(axis=1) == y))
    log_loss = float(-np.mean(np.log(proba[np.arange(len(y)), y])))
    return {"accuracy": accuracy, "log_loss": log_loss}


def model_params(model, standardizer=None) -> dict | None:
    """The parameters as lists, in original feature units, for models of ≤ 100 parameters.

    A single-layer model gives ``{"weight": [...], "bias": [...]}`` (``weight`` flat for
    one output, one row per output otherwise); an MLP gives one entry per tensor. When the
    inputs were standardized, the first layer is converted back: W/σ and b − (W/σ)·μ.
    """
    n = sum(p.numel() for p in model.parameters())
    if n > MAX_REPORTED_PARAMS:
        return None
    layers = [(lay.weight.detach().double().cpu().numpy(), lay.bias.detach().double().cpu().numpy())
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
