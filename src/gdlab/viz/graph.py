"""A computational graph drawn with its numbers: each node's forward value and the
gradient of the loss with respect to it (backward, by the chain rule).

The caller gives the nodes (position, formula, value, gradient) and the edges; the
lesson computes them with a gdlab engine, so the picture shows the engine's numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..i18n import Texts
from .common import new_figure, styled

FORWARD, BACKWARD = "#1d1d1f", "#B2182B"


LINE = 0.044  # height of one line of text, in axes units (a 7.6-inch figure, 11-pt text)


@styled
def graph_figure(
    nodes: Mapping[str, Mapping],
    edges: Sequence[tuple[str, str]],
    *,
    title: str,
    subtitle: str = "",
    lang: str = "en",
) -> Figure:
    """Boxes for the nodes, arrows for the edges, numbers in each box.

    Parameters
    ----------
    nodes : dict of str to dict
        Node id → ``{"xy": (x, y)`` (the box's centre in [0, 1]²), ``"label"`` (its
        formula), ``"value"`` (its forward value, as text: drawn black), optional
        ``"grad"`` (the backward gradient ∂L/∂node, as text: drawn red; may hold line
        breaks) and ``"width"`` (default 0.2)}.
    edges : list of (str, str)
        (from, to): the forward direction; the gradients flow the other way (dashed).
    title, subtitle : str
    lang : {"en", "zh"}, default="en"
    """
    tr = Texts(lang, "viz")
    fig = new_figure(7.6)
    ax = fig.subplots(1, 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    half = {}
    for key, node in nodes.items():
        x, y = node["xy"]
        width = node.get("width", 0.2)
        grad = node.get("grad")
        grad_lines = [] if grad is None else grad.split("\n")
        height = LINE * (2 + len(grad_lines)) + 0.03
        half[key] = (width / 2, height / 2)
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0.004,rounding_size=0.012",
                                    facecolor="#f4f7fb", edgecolor="#4a6fa5", linewidth=1.4,
                                    zorder=2, gid=f"box:{key}"))
        top = y + height / 2 - 0.015 - LINE / 2
        ax.text(x, top, node["label"], ha="center", va="center", fontsize=11.5, fontweight="bold",
                color="#2b4a7a", zorder=4, gid=f"node:{key}", in_layout=False)
        ax.text(x, top - LINE, node["value"], ha="center", va="center", fontsize=11,
                color=FORWARD, zorder=4, gid=f"value:{key}", in_layout=False)
        for i, line in enumerate(grad_lines):
            ax.text(x, top - LINE * (1 + i) - LINE, line, ha="center", va="center", fontsize=11,
                    color=BACKWARD, zorder=4, gid=f"grad:{key}" if i == 0 else None,
                    in_layout=False)
    for a, b in edges:
        (xa, ya), (xb, yb) = nodes[a]["xy"], nodes[b]["xy"]
        start, end = (xa + half[a][0], ya), (xb - half[b][0], yb)
        ax.annotate("", xy=(end[0], end[1] + 0.008), xytext=(start[0], start[1] + 0.008), zorder=3,
                    arrowprops={"arrowstyle": "-|>", "color": FORWARD, "lw": 1.6,
                                "shrinkA": 0, "shrinkB": 0})
        ax.annotate("", xy=(start[0], start[1] - 0.012), xytext=(end[0], end[1] - 0.012), zorder=3,
                    arrowprops={"arrowstyle": "-|>", "color": BACKWARD, "lw": 1.2,
                                "linestyle": "--", "shrinkA": 0, "shrinkB": 0})
    ax.text(0.0, 0.0, tr("graph.legend"), fontsize=11, va="bottom", ha="left", color="#444444",
            in_layout=False)
    if subtitle:
        ax.set_title(subtitle, fontsize=11.5)
    fig.suptitle(title)
    return fig
