"""Where a classifier draws its line: decision boundaries and the confusion matrix.

``predict`` maps raw features (n, d) to class probabilities (n, k). With two features
the plane is the feature plane itself. With more, it is the plane through the data mean
spanned by the first two principal components of the standardized features: the model
is evaluated at points of that plane (mapped back to feature space) and the data are
projected onto it — which is a view of the model, not all of it, and labeled as such.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..i18n import Texts
from .common import COLORS, MARKERS, new_figure, styled

BINARY_COLORS = ("#2166AC", "#B2182B")  # the ends of the RdBu heat map: class 0 blue, 1 red


def _labels(classes: Sequence | None, k: int) -> list[str]:
    return [str(c) for c in classes] if classes is not None else [str(c) for c in range(k)]


def pca_plane(X: np.ndarray) -> dict:
    """The first two principal components of the standardized features.

    Returns ``mean``, ``scale`` (per-feature std, 1 where constant), ``components``
    (2, d) orthonormal rows, and ``explained`` (fraction of variance of each).
    ``coords = ((X − mean) / scale) @ components.T``; back: ``mean + (c @ components) * scale``.
    """
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Zs = (X - mean) / scale
    _, s, vt = np.linalg.svd(Zs, full_matrices=False)
    var = s**2
    total = var.sum() if var.sum() > 0 else 1.0
    return {"mean": mean, "scale": scale, "components": vt[:2], "explained": var[:2] / total}


PLANE_VALUES = 1 << 21  # feature values of plane points built at a time (16 MB in float64)


def _on_plane(predict, to_features, coords: np.ndarray, d: int, k: int) -> np.ndarray:
    """``predict`` at each point of the plane, a block of points at a time, so that a
    wide table (d in the thousands) needs memory for one block, not for the whole grid."""
    step = max(1, PLANE_VALUES // d)
    out = np.empty((len(coords), k))
    for a in range(0, len(coords), step):
        out[a:a + step] = np.asarray(predict(to_features(coords[a:a + step])))
    return out


@styled
def decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    *,
    feature_names: Sequence[str] | None = None,
    classes: Sequence | None = None,
    target_name: str = "class",
    grid: int = 200,
    title: str | None = None,
    lang: str = "en",
) -> Figure:
    """Predicted probability over the plane with the data on top.

    Two classes: a heat map of P(class 1) with the P = 0.5 line as the boundary.
    More classes: each region in its predicted class's color, paler where the model is
    less sure, with the boundaries between regions. More than two features: the plane
    of the first two principal components (see the module docstring). One feature:
    :func:`gdlab.viz.fit_plot`'s probability curve.

    Parameters
    ----------
    predict : callable
        ``predict(X)`` for X of shape (n, d) → probabilities of shape (n, k).
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Class indices 0..k−1.
    feature_names : list of str, optional
    classes : list, optional
        Class labels in index order.
    grid : int, default=200
        Heat-map resolution per axis.
    lang : {"en", "zh"}, default="en"
        Language of the labels.
    """
    tr = Texts(lang, "viz")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 or X.shape[1] == 1:
        from .fit import fit_plot

        return fit_plot(predict, X, y, feature_names=feature_names, target_name=target_name,
                        classes=classes, title=title, lang=lang)
    y = np.asarray(y).astype(np.int64).reshape(-1)
    names = list(feature_names) if feature_names is not None else \
        [f"x{j + 1}" for j in range(X.shape[1])]
    p_data = np.asarray(predict(X))
    k = p_data.shape[1]
    labels = _labels(classes, k)
    acc = float((p_data.argmax(axis=1) == y).mean())

    if X.shape[1] == 2:
        coords = X
        to_features = lambda c: c  # noqa: E731
        xlabel, ylabel = names
        plane = None
    else:
        plane = pca_plane(X)
        comps, mean, scale = plane["components"], plane["mean"], plane["scale"]
        coords = ((X - mean) / scale) @ comps.T
        to_features = lambda c: mean + (c @ comps) * scale  # noqa: E731
        ev = plane["explained"]
        xlabel = tr("boundary.pc1", share=ev[0])
        ylabel = tr("boundary.pc2", share=ev[1])

    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = 0.08 * np.where(hi > lo, hi - lo, 1.0)
    g1 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid)
    g2 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid)
    G1, G2 = np.meshgrid(g1, g2)
    P = _on_plane(predict, to_features, np.column_stack([G1.ravel(), G2.ravel()]), X.shape[1], k)
    P = P.reshape(grid, grid, k)

    fig = new_figure(8.4, 11.0)
    ax = fig.subplots(1, 1)
    handles: list = []
    extent = (g1[0], g1[-1], g2[0], g2[-1])
    if k == 2:
        im = ax.imshow(P[:, :, 1], origin="lower", extent=extent, aspect="auto", cmap="RdBu_r",
                       vmin=0.0, vmax=1.0, alpha=0.8, interpolation="bilinear")
        fig.colorbar(im, ax=ax, label=tr("fit.p_class", target=target_name, label=labels[1]), shrink=0.9)
        if P[:, :, 1].min() < 0.5 < P[:, :, 1].max():
            ax.contour(G1, G2, P[:, :, 1], levels=[0.5], colors="black", linewidths=2.2)
        handles.append(Line2D([], [], color="black", linewidth=2.2,
                              label=tr("boundary.line_binary")))
        colors = BINARY_COLORS
    else:
        colors = [COLORS[c % len(COLORS)] for c in range(k)]
        win = P.argmax(axis=2)
        conf = (P.max(axis=2) - 1.0 / k) / (1.0 - 1.0 / k)  # 0 = a coin toss, 1 = certain
        base = np.array([to_rgb(c) for c in colors])[win]  # (grid, grid, 3)
        strength = (0.15 + 0.55 * conf)[:, :, None]
        ax.imshow(1.0 - strength * (1.0 - base), origin="lower", extent=extent, aspect="auto",
                  interpolation="nearest")
        for c in range(k - 1):
            region = (win == c).astype(float)
            if 0 < region.mean() < 1:
                ax.contour(G1, G2, region, levels=[0.5], colors="black", linewidths=1.6)
        handles.append(Line2D([], [], color="black", linewidth=1.6,
                              label=tr("boundary.line_multi")))
        handles += [Patch(color=colors[c], alpha=0.5,
                          label=tr("boundary.region", label=labels[c])) for c in range(k)]

    for c in range(k):
        sel = y == c
        handles.append(ax.scatter(coords[sel, 0], coords[sel, 1], color=colors[c],
                                  marker=MARKERS[c % len(MARKERS)], edgecolor="black",
                                  linewidth=0.6, s=30 if len(y) <= 500 else 14, zorder=3,
                                  label=tr("data_class", target=target_name, label=labels[c])))
    ax.set_xlim(g1[0], g1[-1])
    ax.set_ylim(g2[0], g2[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if k > 2 else 3)
    if plane is None:
        ax.set_title(tr("boundary.acc", n=len(y), acc=acc), fontsize=12)
        default = tr("boundary.title")
    else:
        ax.set_title(tr("boundary.pca_sub", d=X.shape[1], n=len(y), acc=acc), fontsize=11.5)
        default = tr("boundary.title_pca", d=X.shape[1])
    fig.suptitle(title or default)
    return fig


@styled
def confusion_matrix_plot(
    y_true, y_pred, *, classes: Sequence | None = None, title: str | None = None,
    lang: str = "en",
) -> Figure:
    """Counts of (true class, predicted class), with each row's percentage.

    ``y_pred`` may be class indices (n,) or probabilities (n, k) (the argmax is taken).
    Diagonal cells are the correct predictions. ``lang`` ("en" or "zh") labels it.
    """
    tr = Texts(lang, "viz")
    yt = np.asarray(y_true).astype(np.int64).reshape(-1)
    yp = np.asarray(y_pred)
    yp = yp.argmax(axis=1) if yp.ndim == 2 else yp.astype(np.int64).reshape(-1)
    if yt.shape != yp.shape:
        raise ValueError(f"y_true has {yt.size} labels but y_pred has {yp.size}")
    k = len(classes) if classes is not None else int(max(yt.max(), yp.max())) + 1
    labels = _labels(classes, k)
    M = np.zeros((k, k), dtype=np.int64)
    np.add.at(M, (yt, yp), 1)
    rows = M.sum(axis=1, keepdims=True)
    share = np.divide(M, rows, out=np.zeros(M.shape), where=rows > 0)

    fig = new_figure(8.0, 10.5)
    ax = fig.subplots(1, 1)
    im = ax.imshow(M, cmap="Blues", vmin=0, vmax=max(1, int(M.max())))
    fig.colorbar(im, ax=ax, label=tr("confusion.count"), shrink=0.85)
    font = 13 if k <= 6 else 10 if k <= 12 else 8
    for i in range(k):
        for j in range(k):
            dark = M[i, j] > 0.55 * M.max()
            ax.text(j, i, tr("confusion.cell", count=M[i, j], share=share[i, j]) if k <= 8 else f"{M[i, j]}",
                    ha="center", va="center", fontsize=font,
                    color="white" if dark else "black", gid=f"cell:{i},{j}")
    ax.set_xticks(range(k), labels, rotation=30 if max(map(len, labels)) > 6 else 0)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel(tr("confusion.predicted"))
    ax.set_ylabel(tr("confusion.true"))
    ax.grid(False)
    acc = float(np.trace(M) / max(1, M.sum()))
    ax.set_title(tr("confusion.acc", acc=acc, n=int(M.sum())), fontsize=12)
    fig.suptitle(title or tr("confusion.title"))
    return fig
