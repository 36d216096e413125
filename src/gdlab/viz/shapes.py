"""The shape of a function a lesson relies on: the sigmoid and its slope."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..i18n import Texts
from .common import COLORS, new_figure, styled


@styled
def sigmoid_plot(*, z_range: float = 8.0, title: str | None = None, lang: str = "en") -> Figure:
    """σ(z) = 1/(1 + e^{−z}) and its slope σ'(z) = σ(z)(1 − σ(z)).

    Marks σ(0) = 0.5 — the prediction changes class where z = wᵀx + b = 0, that is where
    wᵀx = −b — and σ'(0) = 0.25, the largest slope: far from z = 0 the slope (and with
    it the squared error's gradient) is nearly 0.
    """
    tr = Texts(lang, "viz")
    z = np.linspace(-z_range, z_range, 401)
    s = 1.0 / (1.0 + np.exp(-z))
    fig = new_figure(5.2)
    ax = fig.subplots(1, 1)
    ax.plot(z, s, color=COLORS[0], linewidth=2.5, label=tr("sigmoid.curve"))
    ax.plot(z, s * (1 - s), color=COLORS[1], linewidth=2.0, linestyle="--",
            label=tr("sigmoid.slope"))
    ax.axhline(0.5, color="gray", linestyle=":", linewidth=1.2)
    ax.axvline(0.0, color="gray", linestyle=":", linewidth=1.2)
    ax.plot([0], [0.5], "o", color="black", markersize=7, zorder=5)
    ax.annotate(tr("sigmoid.half"), (0, 0.5), xytext=(12, -28), textcoords="offset points",
                fontsize=11, arrowprops={"arrowstyle": "->", "color": "black"},
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9})
    ax.annotate(tr("sigmoid.flat"), (-z_range * 0.75, 0.02), xytext=(0, 40),
                textcoords="offset points", ha="center", fontsize=11,
                arrowprops={"arrowstyle": "->", "color": COLORS[1]}, color=COLORS[1],
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9})
    ax.set_ylim(-0.04, 1.04)
    ax.set_xlabel(tr("sigmoid.x"))
    ax.set_ylabel(tr("sigmoid.y"))
    ax.legend(loc="upper left")
    fig.suptitle(title or tr("sigmoid.title"))
    return fig
