"""Shared figure plumbing: one style, one way to make a figure, one way to save it.

Figures use matplotlib's object API (``Figure`` + ``FigureCanvasAgg``), so nothing here
needs pyplot or a display. Sizes are chosen for a learner's screen: figures are 12 inches
wide at 100 dpi (1200 px), with 12-pt text. Text falls back to a CJK font for Chinese
(:mod:`gdlab.viz.fonts`), and every figure shows itself as a PNG in Jupyter
(:class:`GdlabFigure`).
"""

from __future__ import annotations

import functools
import io
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..display import short_number as fmt  # noqa: F401  (a short human form of a number)

DPI = 100
WIDTH_IN = 12.0  # 12 in x 100 dpi = 1200 px wide

# Colors and markers that stay distinct in print and for common color-vision deficiencies.
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]

STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10.5,
    "figure.titlesize": 15,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
}


def style() -> dict:
    """:data:`STYLE` plus the font families (DejaVu Sans, then a CJK font when found)."""
    from .fonts import font_families

    return {**STYLE, "font.family": font_families()}

F = TypeVar("F", bound=Callable[..., Any])


def styled(fn: F) -> F:
    """Build the figure inside :data:`STYLE` (text sizes are fixed when artists are made)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context(style()):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class GdlabFigure(Figure):
    """A matplotlib ``Figure`` that Jupyter displays as its PNG (``_repr_png_``), the
    same image :func:`save_figure` writes, instead of the text ``<Figure size …>``."""

    def _repr_png_(self) -> bytes:
        return png_bytes(self)


def new_figure(height_in: float = 6.0, width_in: float = WIDTH_IN) -> GdlabFigure:
    """A blank figure with an Agg canvas attached and constrained layout."""
    fig = GdlabFigure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def pixel_size(fig: Figure) -> tuple[int, int]:
    """(width, height) in pixels of the PNG that :func:`save_figure` writes."""
    w, h = fig.get_size_inches() * fig.dpi
    return round(w), round(h)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (same size as :func:`save_figure`)."""
    buf = io.BytesIO()
    with matplotlib.rc_context(style()):
        fig.savefig(buf, format="png", dpi=fig.dpi, facecolor="white")
    return buf.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as a PNG atomically: a temporary file in the same folder, then
    ``os.replace``, so a reader never sees half a file and a failure leaves the old one.

    The image is ``fig`` inches x ``fig.dpi`` (1200 px wide for gdlab figures).
    """
    from gdlab.checkpoint import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, png_bytes(fig))
    return path


def figure_title(fig: Figure) -> str:
    """The figure's overall title (suptitle), or the first axes title."""
    sup = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""  # matplotlib >= 3.8
    if not sup and getattr(fig, "_suptitle", None) is not None:
        sup = fig._suptitle.get_text()
    if sup:
        return sup
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title()
    return ""


def finite(values: Iterable[Any]) -> np.ndarray:
    """The finite floats among ``values`` (None, NaN and ±inf dropped)."""
    out = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return np.asarray(out, dtype=float)


def as_float(v: Any) -> float:
    """``v`` as a float, None → NaN (so a missing value leaves a gap in a line)."""
    return float("nan") if v is None else float(v)


def spans_decades(values: np.ndarray, decades: float = 2.0) -> bool:
    """True when positive ``values`` span at least ``decades`` powers of ten (use log y)."""
    values = values[np.isfinite(values)]
    if values.size < 2 or values.min() <= 0:
        return False
    return bool(np.log10(values.max() / values.min()) >= decades)


