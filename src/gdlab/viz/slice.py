"""A 2-D slice through the final parameters of any model, with the optimizer's path
projected onto it: the loss at θ* + α·d₁ + β·d₂ for two directions d₁, d₂ (random and
orthonormal, or two named parameters).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from torch import nn
from torch.func import functional_call

from ..i18n import Texts
from ..losses import compute_loss
from .common import COLORS, new_figure, styled
from .surface import _draw_contours

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
    lang: str = "en",
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
    lang : {"en", "zh"}, default="en"
        Language of the labels.
    """
    tr = Texts(lang, "viz")
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
    _draw_contours(fig, ax, A + c1, Bt + c2, Z, loss, tr)
    handles: list = [Line2D([], [], color="#333333", linewidth=0.7, label=tr("surface.contour"))]
    if proj is not None:
        (line,) = ax.plot(proj[:, 0] + c1, proj[:, 1] + c2, color=COLORS[1], marker="o",
                          markersize=4 if len(proj) <= 80 else 2.2, linewidth=1.5, zorder=4,
                          gid="path", label=tr("slice.path", n=len(proj) - 1))
        (start,) = ax.plot(proj[0, 0] + c1, proj[0, 1] + c2, "o", color="white",
                           markeredgecolor="black", markeredgewidth=2, markersize=12,
                           zorder=6, label=tr("slice.start"))
        handles += [line, start]
    (final,) = ax.plot(c1, c2, "*", color="#FFD700", markeredgecolor="black", markersize=22,
                       zorder=7, label=tr("slice.final"))
    handles.append(final)
    ax.set_xlim(c1 - span, c1 + span)
    ax.set_ylim(c2 - span, c2 + span)
    ax.set_aspect("equal")
    if idx is not None:
        ax.set_xlabel(tr("slice.named_axis", name=labels[0]))
        ax.set_ylabel(tr("slice.named_axis", name=labels[1]))
        sub = tr("slice.named_sub", n=theta.size - 2, loss=loss)
    else:
        ax.set_xlabel(tr("slice.alpha"))
        ax.set_ylabel(tr("slice.beta"))
        sub = tr("slice.random_sub", n=theta.size, loss=loss)
    if proj is not None:
        sub += "\n" + tr("slice.path_note")
    ax.set_title(sub, fontsize=11.5)
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    fig.suptitle(title or tr("slice.title"))
    return fig
