"""Loss surfaces: the exact loss over (w, b) for two-parameter models, and a 2-D slice
through the final parameters of larger ones, with optimizer paths drawn on them.

For a 1-feature model ŷ = w·x + b (linear regression) or z = w·x + b (logistic
regression, z a logit) the loss over a dataset is

    L(w, b) = (1/m) Σᵢ ℓ(w·xᵢ + b, yᵢ),

with ℓ the per-sample loss of ``gdlab.losses`` (mse, half-mse, bce from logits). It is
evaluated exactly at every grid point — note the **+ b**: the course's plotting helper
evaluates ``w·x − b`` and so draws the surface mirrored in b. Its gradient is

    ∂L/∂w = (1/m) Σᵢ ℓ'(zᵢ) xᵢ,   ∂L/∂b = (1/m) Σᵢ ℓ'(zᵢ),

ℓ'(z) = 2(z − y) (mse), (z − y) (half-mse), σ(z) − y (bce). −∇L is perpendicular to
the contour through the point; that is only visible when both axes use the same scale,
so these plots use equal aspect.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from ..i18n import Texts
from .common import COLORS, MARKERS, fmt, new_figure, styled

SURFACE_LOSSES = ("mse", "half-mse", "bce")
MODEL_KINDS = {"linear": "linear regression", "logistic": "logistic regression"}
_CHUNK = 2_000_000  # grid points x samples evaluated at once (≈16 MB of float64)


def _xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(X, dtype=np.float64)
    if x.ndim == 2:
        if x.shape[1] != 1:
            raise ValueError(
                f"the (w, b) surface needs exactly one feature, got X of shape {x.shape}; "
                "use loss_slice for larger models"
            )
        x = x[:, 0]
    t = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.shape[0] != t.shape[0]:
        raise ValueError(f"X has {x.shape[0]} rows but y has {t.shape[0]}")
    return x, t


def _check(loss: str, model_kind: str | None = None) -> None:
    if loss not in SURFACE_LOSSES:
        raise ValueError(f"surface loss must be one of {', '.join(SURFACE_LOSSES)}, got {loss!r}")
    if model_kind is not None and model_kind not in MODEL_KINDS:
        raise ValueError(f"model_kind must be one of {', '.join(MODEL_KINDS)}, got {model_kind!r}")


def _pointwise(loss: str, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """ℓ(z, y) element by element, the same formulas as ``compute_loss`` before the mean."""
    if loss == "mse":
        return (z - t) ** 2
    if loss == "half-mse":
        return 0.5 * (z - t) ** 2
    return F.binary_cross_entropy_with_logits(z, t.expand_as(z), reduction="none")


def loss_at(X, y, *, loss: str, w, b) -> np.ndarray:
    """L(w, b) at every pair of (broadcast) arrays ``w``, ``b``; vectorized, float64."""
    _check(loss)
    x, t = _xy(X, y)
    w, b = np.broadcast_arrays(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
    wf, bf = torch.from_numpy(w.ravel().copy()), torch.from_numpy(b.ravel().copy())
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)
    out = torch.empty(wf.shape[0], dtype=torch.float64)
    step = max(1, _CHUNK // max(1, x.shape[0]))
    for s in range(0, wf.shape[0], step):
        z = wf[s : s + step, None] * xt[None, :] + bf[s : s + step, None]  # (p, 1)*(1, m) -> (p, m)
        out[s : s + step] = _pointwise(loss, z, tt[None, :]).mean(dim=1)
    return out.numpy().reshape(w.shape)


def surface_grid(
    X, y, *, loss: str, model_kind: str, w_range: tuple[float, float],
    b_range: tuple[float, float], n: int = 150,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact loss on an n x n grid over (w, b).

    Returns ``W, B, Z`` of shape (n, n) (``np.meshgrid`` "xy" order: w varies along
    columns, b along rows) with ``Z[i, j] = L(W[i, j], B[i, j])``, equal to
    ``compute_loss(loss, model(X), y)`` for a 1-feature model with those parameters.
    """
    _check(loss, model_kind)
    ws = np.linspace(float(w_range[0]), float(w_range[1]), n)
    bs = np.linspace(float(b_range[0]), float(b_range[1]), n)
    W, B = np.meshgrid(ws, bs)
    return W, B, loss_at(X, y, loss=loss, w=W, b=B)


def surface_gradient(X, y, *, loss: str, w, b) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂w, ∂L/∂b) at each (w, b), written by hand (see the module docstring)."""
    _check(loss)
    x, t = _xy(X, y)
    w, b = np.broadcast_arrays(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
    z = w.ravel()[:, None] * x[None, :] + b.ravel()[:, None]  # (p, m)
    if loss == "mse":
        dz = 2.0 * (z - t)
    elif loss == "half-mse":
        dz = z - t
    else:
        dz = 1.0 / (1.0 + np.exp(-z)) - t
    return (dz * x).mean(axis=1).reshape(w.shape), dz.mean(axis=1).reshape(w.shape)


def optimum_2param(X, y, *, loss: str) -> tuple[float, float] | None:
    """The minimizer (w*, b*): least squares for mse / half-mse; Newton's method for bce.

    Returns None when bce has no finite minimizer (separable data: the loss keeps
    decreasing as |w| grows).
    """
    _check(loss)
    x, t = _xy(X, y)
    A = np.stack([x, np.ones_like(x)], axis=1)  # (m, 2)
    if loss in ("mse", "half-mse"):
        sol, *_ = np.linalg.lstsq(A, t, rcond=None)
        return float(sol[0]), float(sol[1])
    if np.isin(t, (0.0, 1.0)).all():
        x0, x1 = x[t == 0], x[t == 1]
        if x0.size == 0 or x1.size == 0 or x0.max() < x1.min() or x1.max() < x0.min():
            return None  # one threshold separates the classes: L → 0 only as |w| → ∞
    theta = np.zeros(2)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(A @ theta)))
        g = A.T @ (p - t) / len(t)
        H = (A * (p * (1 - p))[:, None]).T @ A / len(t)
        if not np.all(np.isfinite(H)) or np.linalg.cond(H) > 1e12:
            return None
        theta = theta - np.linalg.solve(H, g)
        if np.linalg.norm(g) < 1e-10:
            return float(theta[0]), float(theta[1])
    return None


def _square_range(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """A view holding every finite point with a margin, equally wide in w and b."""
    pts = points[np.all(np.isfinite(points), axis=1)]
    if pts.size == 0:
        return (-1.0, 1.0), (-1.0, 1.0)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    center = (lo + hi) / 2
    half = 0.62 * float((hi - lo).max())
    if half == 0:
        half = max(1.0, 0.5 * float(np.abs(center).max()))
    return (center[0] - half, center[0] + half), (center[1] - half, center[1] + half)


def _levels(Z: np.ndarray, k: int = 14) -> np.ndarray:
    """Contour levels spaced quadratically above the minimum: evenly spaced rings on a bowl."""
    zmin, zmax = float(Z.min()), float(Z.max())
    if not zmax > zmin:
        zmax = zmin + 1.0
    return zmin + (zmax - zmin) * np.linspace(0, 1, k + 1)[1:] ** 2


def _value_format(lo: float, hi: float):
    """A formatter that tells apart values 1/100 of the range apart, and shows small ones."""
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    dec = int(min(8, max(0, np.ceil(-np.log10(span / 100.0)))))

    def f(v: float, _pos=None) -> str:
        if max(abs(lo), abs(hi)) >= 1e5:
            return f"{v:.3g}"
        if v != 0 and abs(v) < 10.0**-dec:
            return f"{v:.2g}"
        return f"{v:.{dec}f}"

    return f


def _draw_contours(fig: Figure, ax: Axes, X1, X2, Z, loss: str, tr: Texts):
    levels = _levels(Z)
    fill = np.concatenate([[Z.min()], levels])
    fmt_v = _value_format(float(Z.min()), float(Z.max()))
    cf = ax.contourf(X1, X2, Z, levels=fill, cmap="YlGnBu_r", alpha=0.55)
    cs = ax.contour(X1, X2, Z, levels=levels, colors="#333333", linewidths=0.8, alpha=0.8)
    ax.clabel(cs, levels=levels[::3], fontsize=9.5, fmt=fmt_v)
    fig.colorbar(cf, ax=ax, label=tr("surface.colorbar", loss=loss), shrink=0.85,
                 format=FuncFormatter(fmt_v))
    return cs


def angle_to_optimum(X, y, *, loss: str, at, optimum) -> float:
    """Degrees between −∇L at ``at`` = (w, b) and the straight line from ``at`` to
    ``optimum``: 0 only where steepest descent points at the minimum."""
    gw, gb = surface_gradient(X, y, loss=loss, w=float(at[0]), b=float(at[1]))
    down = -np.array([float(gw), float(gb)])
    to = np.asarray(optimum, dtype=np.float64) - np.asarray(at, dtype=np.float64)
    cos = float(down @ to / (np.linalg.norm(down) * np.linalg.norm(to)))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def surface_view(paths: Mapping[str, np.ndarray], optimum, w_range=None, b_range=None):
    """(w_range, b_range): as given, else a square around every path and the optimum."""
    pts = list(paths.values()) + ([np.array([optimum])] if optimum is not None else [])
    auto_w, auto_b = _square_range(np.concatenate(pts) if pts else np.zeros((1, 2)))
    return w_range or auto_w, b_range or auto_b


def surface_background(
    fig: Figure, ax: Axes, X, y, *, loss: str, optimum, w_range, b_range, n: int,
    arrows: int, tr: Texts, model_kind: str = "linear", explain_start=None,
) -> list:
    """Contours, −∇L arrows, the optimum and axis labels; returns the legend handles.

    ``explain_start`` = (w, b): also draw, from there, −∇L and the straight line to the
    optimum, with the angle between them (the gradient points down the slope, which is
    not at the minimum unless the contours are circles).
    """
    W, B, Z = surface_grid(X, y, loss=loss, model_kind=model_kind, w_range=w_range,
                           b_range=b_range, n=n)
    _draw_contours(fig, ax, W, B, Z, loss, tr)
    handles: list = [Line2D([], [], color="#333333", linewidth=0.7, label=tr("surface.contour"))]

    # −∇L at a few grid points, unit length in data units (= display units: equal aspect)
    if arrows:
        qw, qb = np.meshgrid(np.linspace(*w_range, arrows + 2)[1:-1],
                             np.linspace(*b_range, arrows + 2)[1:-1])
        gw, gb = surface_gradient(X, y, loss=loss, w=qw, b=qb)
        norm = np.hypot(gw, gb)
        keep = norm > 0
        length = 0.06 * (w_range[1] - w_range[0])
        u = -gw[keep] / norm[keep] * length
        v = -gb[keep] / norm[keep] * length
        ax.quiver(qw[keep], qb[keep], u, v, angles="xy", scale_units="xy", scale=1,
                  color="#B22222", width=0.004, zorder=2, gid="neg-gradient")
        handles.append(Line2D([], [], color="#B22222", marker=r"$\rightarrow$", markersize=18,
                              linestyle="none", label=tr("surface.neg_grad")))
    if explain_start is not None and optimum is not None:
        handles += _start_arrows(ax, X, y, loss=loss, at=explain_start, optimum=optimum,
                                 w_range=w_range, tr=tr)
    if optimum is not None:
        (opt,) = ax.plot(optimum[0], optimum[1], "*", color="#FFD700", markeredgecolor="black",
                         markersize=22, zorder=7, gid="optimum",
                         label=tr("surface.optimum", w=fmt(optimum[0]), b=fmt(optimum[1])))
        handles.append(opt)
    ax.set_xlim(*w_range)
    ax.set_ylim(*b_range)
    ax.set_aspect("equal")
    ax.set_xlabel(tr("surface.w_axis"))
    ax.set_ylabel(tr("surface.b_axis"))
    ax.set_title(tr("surface.sub", loss=loss), fontsize=12)
    return handles


def _start_arrows(ax: Axes, X, y, *, loss, at, optimum, w_range, tr: Texts) -> list:
    gw, gb = surface_gradient(X, y, loss=loss, w=float(at[0]), b=float(at[1]))
    down = -np.array([float(gw), float(gb)])
    to = np.asarray(optimum, dtype=np.float64) - np.asarray(at, dtype=np.float64)
    length = 0.3 * (w_range[1] - w_range[0])
    angle = angle_to_optimum(X, y, loss=loss, at=at, optimum=optimum)
    handles = []
    for vec, color, label, gid in (
        (down, "#7B1FA2", tr("surface.start_grad", angle=angle), "start-neg-gradient"),
        (to, "black", tr("surface.start_to_opt"), "start-to-optimum"),
    ):
        d = vec / np.linalg.norm(vec) * length
        ax.annotate("", xy=(at[0] + d[0], at[1] + d[1]), xytext=(at[0], at[1]), zorder=5,
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 3.0,
                                "linestyle": "-" if color != "black" else "--"}, gid=gid)
        handles.append(Line2D([], [], color=color, linewidth=3.0,
                              linestyle="-" if color != "black" else "--", label=label))
    return handles


def path_label(tr: Texts, name: str, p: np.ndarray) -> str:
    """"name (k updates)", and where it stopped being finite."""
    ok = np.all(np.isfinite(p), axis=1)
    label = tr("surface.path", name=name, n=len(p) - 1)
    if not ok.all():
        label += tr("surface.diverged", step=int(np.argmin(ok)))
    return label


def start_handle(tr: Texts, shared: bool) -> Line2D:
    return Line2D([], [], marker="o", color="white", markeredgecolor="black", markeredgewidth=2,
                  markersize=11, linestyle="none",
                  label=tr("surface.start_shared" if shared else "surface.start"))


def draw_starts(ax: Axes, paths: Mapping[str, np.ndarray]) -> list:
    """A white circle at each distinct start; returns the starts."""
    starts: list = []
    for p in paths.values():
        if not any(np.allclose(p[0], s) for s in starts):
            starts.append(p[0])
    for s in starts:
        ax.plot(s[0], s[1], "o", color="white", markeredgecolor="black", markeredgewidth=2,
                markersize=13, zorder=6)
    return starts


@styled
def loss_surface_2param(
    X,
    y,
    *,
    loss: str,
    model_kind: str,
    paths: Mapping[str, np.ndarray],
    optimum: tuple[float, float] | None = None,
    w_range: tuple[float, float] | None = None,
    b_range: tuple[float, float] | None = None,
    n: int = 150,
    arrows: int = 7,
    title: str | None = None,
    explain_start: bool = False,
    lang: str = "en",
) -> Figure:
    """Contours of the exact loss over (w, b) with each optimizer's path on it.

    Parameters
    ----------
    X : ndarray of shape (m, 1) or (m,)
    y : ndarray of shape (m,)
        Targets (0/1 for ``bce``).
    loss : {"mse", "half-mse", "bce"}
    model_kind : {"linear", "logistic"}
    paths : dict of str to ndarray of shape (n_updates + 1, 2)
        Optimizer name → its [w, b] after each update, starting with the initial values.
        Each is drawn exactly as given (Line2D ``gid`` ``"path:<name>"``).
    optimum : (w, b), optional
        Marked with a star; by default computed (least squares, or Newton for bce).
    w_range, b_range : (low, high), optional
        The view; by default a square around every path and the optimum.
    n : int, default=150
        Grid resolution per axis.
    arrows : int, default=7
        −∇L is drawn at ``arrows x arrows`` points, as unit-length arrows (the direction
        is exact; lengths are equal so the small ones stay visible).
    explain_start : bool, default=False
        Draw −∇L at the first path's start beside the straight line to the optimum, with
        the angle between them.
    lang : {"en", "zh"}, default="en"
        Language of the labels.
    """
    _check(loss, model_kind)
    tr = Texts(lang, "viz")
    paths = {name: np.asarray(p, dtype=np.float64).reshape(-1, 2) for name, p in paths.items()}
    if optimum is None:
        optimum = optimum_2param(X, y, loss=loss)
    w_range, b_range = surface_view(paths, optimum, w_range, b_range)

    fig = new_figure(10.0, 11.0)
    ax = fig.subplots(1, 1)
    first = next(iter(paths.values()))[0] if paths and explain_start else None
    handles = surface_background(fig, ax, X, y, loss=loss, optimum=optimum, w_range=w_range,
                                 b_range=b_range, n=n, arrows=arrows, tr=tr,
                                 model_kind=model_kind, explain_start=first)
    optimum_handle = handles.pop() if optimum is not None else None
    for i, (name, p) in enumerate(paths.items()):
        color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
        ok = np.all(np.isfinite(p), axis=1)
        (line,) = ax.plot(p[:, 0], p[:, 1], color=color, marker=marker,
                          markersize=4.5 if len(p) <= 80 else 2.5, linewidth=1.6, zorder=4,
                          markeredgecolor="white", markeredgewidth=0.4,
                          label=path_label(tr, name, p))
        line.set_gid(f"path:{name}")
        handles.append(line)
        if ok.any():
            last = p[ok][-1]
            ax.plot(last[0], last[1], color=color, marker=marker if ok.all() else "X",
                    markersize=11 if ok.all() else 15, zorder=5,
                    markeredgecolor="black" if ok.all() else "red")
    if draw_starts(ax, paths):
        handles.append(start_handle(tr, len(paths) > 1))
    handles.append(Line2D([], [], marker="o", color="gray", markeredgecolor="black",
                          markersize=9, linestyle="none", label=tr("surface.end")))
    if optimum_handle is not None:
        handles.append(optimum_handle)
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    fig.suptitle(title or tr("surface.title", kind=tr(f"model.{model_kind}")))
    return fig
