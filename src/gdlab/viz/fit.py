"""The fitted model against the data.

Takes a ``predict`` callable on raw feature arrays — (n, d) → (n,) predictions for
regression, (n, k) probabilities for classifiers — so it works whatever standardization
the model used internally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..i18n import Texts
from .common import COLORS, MARKERS, fmt, new_figure, styled


def _as_2d(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return X.reshape(-1, 1) if X.ndim == 1 else X


def regression_scores(y_true, y_pred) -> dict[str, float]:
    """R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² and RMSE = √mean((y − ŷ)²)."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    ss_res = float(((y_true - y_pred) ** 2).sum())
    ss_tot = float(((y_true - y_true.mean()) ** 2).sum())
    return {"r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
            "rmse": float(np.sqrt(ss_res / max(1, y_true.size)))}


def _point_style(n: int) -> dict:
    return {"s": 28 if n <= 200 else 12 if n <= 2000 else 5, "alpha": 0.8 if n <= 200 else 0.5}


@styled
def fit_plot(
    predict: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    *,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
    classes: Sequence | None = None,
    title: str | None = None,
    lang: str = "en",
) -> Figure:
    """The data and the model's fit.

    One feature: the data with the fitted line (or curve) over the feature's range; for
    a classifier, the predicted probability of each class against the feature. More
    features (regression): predicted versus true with the line ŷ = y, and residuals
    (true − predicted) versus predicted.

    Parameters
    ----------
    predict : callable
        ``predict(X)`` for X of shape (n, d): (n,) predictions or (n, k) probabilities.
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Targets (class indices 0..k−1 for classifiers).
    feature_names : list of str, optional
    target_name : str, default="y"
    classes : list, optional
        Class labels in index order (classifiers).
    lang : {"en", "zh"}, default="en"
        Language of the labels.
    """
    tr = Texts(lang, "viz")
    X = _as_2d(X)
    y = np.asarray(y)
    names = list(feature_names) if feature_names is not None else \
        [f"x{j + 1}" for j in range(X.shape[1])]
    out = np.asarray(predict(X))
    is_classifier = out.ndim == 2 and out.shape[1] >= 2
    if is_classifier:
        if X.shape[1] != 1:
            raise ValueError(f"fit_plot draws a classifier only for one feature, got "
                             f"{X.shape[1]}; use decision_boundary")
        return _fit_classifier_1d(predict, X, y, names[0], target_name, classes, out, title, tr)
    pred = out.reshape(-1)
    yv = y.astype(np.float64).reshape(-1)
    scores = regression_scores(yv, pred)
    score_text = tr("fit.scores", r2=scores["r2"], rmse=fmt(scores["rmse"], 3), target=target_name)
    if X.shape[1] == 1:
        return _fit_regression_1d(predict, X, yv, names[0], target_name, score_text, title, tr)

    fig = new_figure(5.6)
    ax1, ax2 = fig.subplots(1, 2)
    st = _point_style(len(yv))
    ax1.scatter(yv, pred, color=COLORS[0], edgecolor="none", label=tr("fit.one_sample"), **st)
    lo, hi = float(min(yv.min(), pred.min())), float(max(yv.max(), pred.max()))
    ax1.plot([lo, hi], [lo, hi], color="black", linestyle="--", linewidth=1.5,
             label=tr("fit.perfect"))
    ax1.set_aspect("equal", adjustable="datalim")
    ax1.set_xlabel(tr("fit.true", target=target_name))
    ax1.set_ylabel(tr("fit.predicted", target=target_name))
    ax1.set_title(tr("fit.pred_vs_true", scores=score_text), fontsize=11.5)
    ax1.legend(loc="upper left")
    resid = yv - pred
    ax2.scatter(pred, resid, color=COLORS[2], edgecolor="none", label=tr("fit.one_sample"), **st)
    ax2.axhline(0.0, color="black", linestyle="--", linewidth=1.5, label=tr("fit.zero"))
    ax2.set_xlabel(tr("fit.predicted", target=target_name))
    ax2.set_ylabel(tr("fit.residual", target=target_name))
    ax2.set_title(tr("fit.residual_title"), fontsize=11.5)
    ax2.legend(loc="upper left")
    fig.suptitle(title or tr("fit.title_many", n=len(yv), d=X.shape[1]))
    return fig


def _grid_1d(x: np.ndarray, n: int = 300) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    return np.linspace(lo - pad, hi + pad, n).reshape(-1, 1)


def _fit_regression_1d(predict, X, y, feature, target, score_text, title, tr: Texts) -> Figure:
    fig = new_figure(6.0)
    ax = fig.subplots(1, 1)
    ax.scatter(X[:, 0], y, color=COLORS[0], edgecolor="none", label=tr("fit.data", n=len(y)),
               **_point_style(len(y)))
    grid = _grid_1d(X[:, 0])
    ax.plot(grid[:, 0], np.asarray(predict(grid)).reshape(-1), color=COLORS[1], linewidth=2.5,
            label=tr("fit.model", scores=score_text))
    ax.set_xlabel(feature)
    ax.set_ylabel(target)
    ax.set_title(tr("fit.against", target=target, feature=feature), fontsize=12)
    ax.legend(loc="best")
    fig.suptitle(title or tr("fit.title_one"))
    return fig


def _fit_classifier_1d(predict, X, y, feature, target, classes, out, title, tr: Texts) -> Figure:
    k = out.shape[1]
    labels = [str(c) for c in classes] if classes is not None else [str(c) for c in range(k)]
    idx = y.astype(np.int64).reshape(-1)
    fig = new_figure(6.0)
    ax: Axes = fig.subplots(1, 1)
    grid = _grid_1d(X[:, 0])
    prob = np.asarray(predict(grid))
    rng = np.random.default_rng(0)
    acc = float((out.argmax(axis=1) == idx).mean())
    cols = range(1, 2) if k == 2 else range(k)
    for c in cols:
        ax.plot(grid[:, 0], prob[:, c], color=COLORS[c % len(COLORS)], linewidth=2.5,
                label=tr("fit.p_class", target=target, label=labels[c]))
    for c in range(k):
        sel = idx == c
        # binary: points at their label (0 or 1); multiclass: a strip per class below 0
        level = float(c) if k == 2 else -0.08 - 0.06 * c
        jitter = rng.uniform(-0.02, 0.02, int(sel.sum()))
        ax.scatter(X[sel, 0], level + jitter, color=COLORS[c % len(COLORS)],
                   marker=MARKERS[c % len(MARKERS)], edgecolor="black", linewidth=0.3,
                   label=tr("data_class", target=target, label=labels[c]), **_point_style(len(idx)))
    ax.axhline(0.5, color="gray", linestyle=":", linewidth=1.2, label="P = 0.5")
    if k == 2:
        d = prob[:, 1] - 0.5
        for i, c in enumerate(np.flatnonzero(np.diff(np.sign(d)) != 0)):
            # where the predicted class changes, interpolated between grid points
            xb = grid[c, 0] + (grid[c + 1, 0] - grid[c, 0]) * d[c] / (d[c] - d[c + 1])
            ax.axvline(xb, color="black", linestyle="--", linewidth=1.5,
                       label=tr("fit.boundary_x", x=fmt(xb, 3)) if i == 0 else None)
    ax.set_xlabel(feature)
    ax.set_ylabel(tr("fit.prob_binary", a=labels[0], b=labels[1]) if k == 2 else tr("fit.prob"))
    ax.set_title(tr("fit.acc_title", acc=acc), fontsize=12)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle(title or tr("fit.title_class", feature=feature))
    return fig
