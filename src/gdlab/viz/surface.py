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

import re
from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from torch import nn
from torch.func import functional_call

from ..losses import compute_loss
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


def _draw_contours(fig: Figure, ax: Axes, X1, X2, Z, loss: str):
    levels = _levels(Z)
    fill = np.concatenate([[Z.min()], levels])
    fmt_v = _value_format(float(Z.min()), float(Z.max()))
    cf = ax.contourf(X1, X2, Z, levels=fill, cmap="YlGnBu_r", alpha=0.55)
    cs = ax.contour(X1, X2, Z, levels=levels, colors="#333333", linewidths=0.8, alpha=0.8)
    ax.clabel(cs, levels=levels[::3], fontsize=9.5, fmt=fmt_v)
    fig.colorbar(cf, ax=ax, label=f"loss L ({loss})", shrink=0.85, format=FuncFormatter(fmt_v))
    return cs


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
    """
    _check(loss, model_kind)
    paths = {name: np.asarray(p, dtype=np.float64).reshape(-1, 2) for name, p in paths.items()}
    if optimum is None:
        optimum = optimum_2param(X, y, loss=loss)
    pts = [p for p in paths.values()] + ([np.array([optimum])] if optimum is not None else [])
    auto_w, auto_b = _square_range(np.concatenate(pts) if pts else np.zeros((1, 2)))
    w_range = w_range or auto_w
    b_range = b_range or auto_b
    W, B, Z = surface_grid(X, y, loss=loss, model_kind=model_kind, w_range=w_range,
                           b_range=b_range, n=n)

    fig = new_figure(10.0, 11.0)
    ax = fig.subplots(1, 1)
    _draw_contours(fig, ax, W, B, Z, loss)
    handles: list = [Line2D([], [], color="#333333", linewidth=0.7, label="contour: equal loss")]

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
                              linestyle="none", label="−∇L: steepest descent (⊥ contours)"))

    starts = []
    for i, (name, p) in enumerate(paths.items()):
        color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
        ok = np.all(np.isfinite(p), axis=1)
        label = f"{name} ({len(p) - 1} updates)"
        if not ok.all():
            label += f" — DIVERGED at update {int(np.argmin(ok))}"
        (line,) = ax.plot(p[:, 0], p[:, 1], color=color, marker=marker,
                          markersize=4.5 if len(p) <= 80 else 2.5, linewidth=1.6, zorder=4,
                          markeredgecolor="white", markeredgewidth=0.4, label=label)
        line.set_gid(f"path:{name}")
        handles.append(line)
        if ok.any():
            last = p[ok][-1]
            ax.plot(last[0], last[1], color=color, marker=marker if ok.all() else "X",
                    markersize=11 if ok.all() else 15, zorder=5,
                    markeredgecolor="black" if ok.all() else "red")
        if not any(np.allclose(p[0], s) for s in starts):
            starts.append(p[0])
    for s in starts:
        ax.plot(s[0], s[1], "o", color="white", markeredgecolor="black", markeredgewidth=2,
                markersize=13, zorder=6)
    if starts:
        handles.append(Line2D([], [], marker="o", color="white", markeredgecolor="black",
                              markeredgewidth=2, markersize=11, linestyle="none",
                              label="start" + (" (shared)" if len(paths) > 1 else "")))
    handles.append(Line2D([], [], marker="o", color="gray", markeredgecolor="black",
                          markersize=9, linestyle="none", label="end of each path (big marker)"))
    if optimum is not None:
        (opt,) = ax.plot(optimum[0], optimum[1], "*", color="#FFD700", markeredgecolor="black",
                         markersize=22, zorder=7, gid="optimum",
                         label=f"optimum  w = {fmt(optimum[0])}, b = {fmt(optimum[1])}")
        handles.append(opt)

    ax.set_xlim(*w_range)
    ax.set_ylim(*b_range)
    ax.set_aspect("equal")
    ax.set_xlabel("w (weight)")
    ax.set_ylabel("b (bias)")
    ax.set_title(f"Exact loss L(w, b) = mean {loss}(w·x + b, y); same scale on both axes",
                 fontsize=12)
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    fig.suptitle(title or f"Loss surface of 1-feature {MODEL_KINDS[model_kind]} "
                          "with each optimizer's path")
    return fig


# ---------------------------------------------------------------- slices of larger models

_NAME = re.compile(r"^\s*([\w.]+)\s*(?:\[([\d,\s]*)\])?\s*$")


def _param_index(model: nn.Module, spec: str) -> int:
    """Flat index (in ``parameters_to_vector`` order) of ``"name"`` or ``"name[i, j]"``."""
    m = _NAME.match(spec)
    names = [name for name, _ in model.named_parameters()]
    if m is None or m.group(1) not in names:
        raise ValueError(f"unknown parameter {spec!r}; the model has {', '.join(names)}")
    offset = 0
    for name, p in model.named_parameters():
        if name == m.group(1):
            break
        offset += p.numel()
    shape = tuple(p.shape)
    if m.group(2) is None:
        if p.numel() != 1:
            raise ValueError(
                f"parameter {spec!r} has shape {shape}; name one element, e.g. "
                f"{name}[{', '.join('0' for _ in shape)}]"
            )
        return offset
    idx = tuple(int(s) for s in m.group(2).split(",") if s.strip())
    if len(idx) != len(shape) or any(not 0 <= i < d for i, d in zip(idx, shape, strict=True)):
        raise ValueError(f"index {idx} is out of range for {name} of shape {shape}")
    return offset + int(np.ravel_multi_index(idx, shape))


def slice_directions(
    model: nn.Module, directions: str | Sequence[str] = "random", *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, list[str], list[int] | None]:
    """Two orthonormal directions in the flat parameter space, their axis labels and,
    for named parameters, their flat indices.

    ``"random"``: two Gaussian directions, made orthogonal and of unit length
    (Gram–Schmidt), drawn from ``seed``. Two names (``"layers.0.bias"`` for a
    one-element tensor, ``"layers.0.weight[0, 1]"`` for an element): the unit vectors
    along those two parameters.
    """
    n = sum(p.numel() for p in model.parameters())
    if isinstance(directions, str):
        if directions != "random":
            raise ValueError(f"directions must be 'random' or two parameter names, "
                             f"got {directions!r}")
        rng = np.random.default_rng(seed)
        d1, d2 = rng.standard_normal(n), rng.standard_normal(n)
        d1 /= np.linalg.norm(d1)
        d2 -= (d2 @ d1) * d1
        d2 /= np.linalg.norm(d2)
        return d1, d2, ["random direction 1", "random direction 2"], None
    if len(directions) != 2:
        raise ValueError(f"give exactly two parameter names, got {list(directions)}")
    idx = [_param_index(model, s) for s in directions]
    if idx[0] == idx[1]:
        raise ValueError(f"the two directions name the same parameter: {list(directions)}")
    d1, d2 = np.zeros(n), np.zeros(n)
    d1[idx[0]] = d2[idx[1]] = 1.0
    return d1, d2, [s.strip() for s in directions], idx


def _targets(y, loss: str, dtype: torch.dtype) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(y))
    if loss == "cross-entropy":
        return t.long().reshape(-1)
    return t.to(dtype).reshape(t.shape[0], -1)


def slice_grid(
    model: nn.Module, X, y, *, loss: str, d1: np.ndarray, d2: np.ndarray,
    a_range: tuple[float, float], b_range: tuple[float, float], n: int = 41,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss at θ* + α·d1 + β·d2 on an n x n grid of (α, β); θ* = the model's parameters.

    Returns ``A, Bt, Z`` of shape (n, n). Every grid point is a full forward pass of the
    model with those parameters (batched with ``torch.func.vmap``); the model itself is
    not changed.
    """
    named = [(name, p.detach()) for name, p in model.named_parameters()]
    theta = torch.cat([p.reshape(-1) for _, p in named])
    dtype = theta.dtype
    xt = torch.as_tensor(np.asarray(X), dtype=dtype, device=theta.device)
    tt = _targets(y, loss, dtype).to(theta.device)
    v1 = torch.as_tensor(d1, dtype=dtype, device=theta.device)
    v2 = torch.as_tensor(d2, dtype=dtype, device=theta.device)
    A, Bt = np.meshgrid(np.linspace(*a_range, n), np.linspace(*b_range, n))
    a = torch.as_tensor(A.ravel(), dtype=dtype, device=theta.device)
    b = torch.as_tensor(Bt.ravel(), dtype=dtype, device=theta.device)
    points = theta + a[:, None] * v1 + b[:, None] * v2  # (n², n_params)

    def loss_of(vec: torch.Tensor) -> torch.Tensor:
        params, start = {}, 0
        for name, p in named:
            params[name] = vec[start : start + p.numel()].reshape(p.shape)
            start += p.numel()
        return compute_loss(loss, functional_call(model, params, (xt,)), tt)

    # keep one chunk's activations (points x samples x widths) near 20 M numbers
    width = xt.shape[1] + sum(p.shape[0] for _, p in named)
    chunk = int(max(1, min(points.shape[0], 20_000_000 // max(1, xt.shape[0] * width))))
    with torch.no_grad():
        Z = torch.func.vmap(loss_of, chunk_size=chunk)(points)
    return A, Bt, Z.cpu().numpy().reshape(A.shape)


@styled
def loss_slice(
    model: nn.Module,
    X,
    y,
    *,
    loss: str,
    directions: str | Sequence[str] = "random",
    path=None,
    span: float | None = None,
    n: int = 41,
    seed: int = 0,
    title: str | None = None,
) -> Figure:
    """The loss on a 2-D plane through the final parameters θ*, with the path projected.

    Parameters
    ----------
    model : nn.Module
        The trained model; its parameters are θ* (the center of the plane).
    X, y : ndarray
        Data the loss is evaluated on (in the units the model was trained on).
    loss : str
        A ``gdlab.losses`` name.
    directions : "random" or (str, str), default="random"
        Two random orthonormal directions, or two named parameters (axes are then
        the values of those two parameters, all others held at θ*).
    path : ndarray of shape (n_updates + 1, n_params), optional
        Flattened parameters after each update; drawn as its projection
        (θ − θ*)·d onto the plane (Line2D ``gid`` ``"path"``).
    span : float, optional
        Half-width of the view; by default it covers the projected path.
    """
    d1, d2, labels, idx = slice_directions(model, directions, seed=seed)
    theta = nn.utils.parameters_to_vector(model.parameters()).detach().cpu().double().numpy()
    proj = None
    if path is not None:
        P = np.asarray(path, dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != theta.size:
            raise ValueError(f"path must have shape (n_updates + 1, {theta.size}), "
                             f"got {P.shape}")
        proj = np.stack([(P - theta) @ d1, (P - theta) @ d2], axis=1)
    if span is None:
        reach = float(np.abs(proj[np.isfinite(proj)]).max()) if proj is not None and \
            np.isfinite(proj).any() else 0.0
        # cover the path, and at least a tenth of the distance from the origin to θ*
        span = max(1.2 * reach, 0.1 * float(np.linalg.norm(theta)))
        span = span if span > 0 else 1.0
    A, Bt, Z = slice_grid(model, X, y, loss=loss, d1=d1, d2=d2, a_range=(-span, span),
                          b_range=(-span, span), n=n)
    # named parameters: show their values; random directions: distance from θ*
    c1, c2 = (theta[idx[0]], theta[idx[1]]) if idx is not None else (0.0, 0.0)

    fig = new_figure(10.0, 11.0)
    ax = fig.subplots(1, 1)
    _draw_contours(fig, ax, A + c1, Bt + c2, Z, loss)
    handles: list = [Line2D([], [], color="#333333", linewidth=0.7, label="contour: equal loss")]
    if proj is not None:
        (line,) = ax.plot(proj[:, 0] + c1, proj[:, 1] + c2, color=COLORS[1], marker="o",
                          markersize=4 if len(proj) <= 80 else 2.2, linewidth=1.5, zorder=4,
                          gid="path", label=f"path, projected onto this plane "
                                            f"({len(proj) - 1} updates)")
        (start,) = ax.plot(proj[0, 0] + c1, proj[0, 1] + c2, "o", color="white",
                           markeredgecolor="black", markeredgewidth=2, markersize=12,
                           zorder=6, label="start (projected)")
        handles += [line, start]
    (final,) = ax.plot(c1, c2, "*", color="#FFD700", markeredgecolor="black", markersize=22,
                       zorder=7, label="final parameters θ*")
    handles.append(final)
    ax.set_xlim(c1 - span, c1 + span)
    ax.set_ylim(c2 - span, c2 + span)
    ax.set_aspect("equal")
    if idx is not None:
        ax.set_xlabel(f"{labels[0]} (parameter value)")
        ax.set_ylabel(f"{labels[1]} (parameter value)")
        sub = f"all other {theta.size - 2} parameters held at their final values; loss = {loss}"
    else:
        ax.set_xlabel("α: step from θ* along random direction 1 (unit vector)")
        ax.set_ylabel("β: step from θ* along random direction 2 (unit vector)")
        sub = f"plane θ* + α·d₁ + β·d₂ through all {theta.size} parameters; loss = {loss}"
    if proj is not None:
        sub += ("\nthe path moves in every dimension: its projection can cross this plane's "
                "contours while its real loss falls")
    ax.set_title(sub, fontsize=11.5)
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    fig.suptitle(title or "Loss on a 2-D slice through the final parameters")
    return fig
