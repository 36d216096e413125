"""What every lesson shares: saving figures to ``--out``, printing per-epoch lines,
small text tables, the notes' errors, and a multi-line curve figure.

Lessons print through an injectable ``log`` (``print`` by default) so tests capture
every line; figures are built only when there is somewhere to save them. Every
sentence comes from the ``gdlab.i18n`` catalogues (``Texts``), so a lesson reads the
same in Chinese and English and prints the same numbers in both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..i18n import Texts, display_width, ljust, rjust, t, wrap
from ..train import Callback
from ..viz import save_figure
from ..viz.common import COLORS, MARKERS, new_figure, spans_decades, styled

Log = Callable[[str], None]
LINESTYLES = ["-", "--", ":", "-."]

# The settings the notes use everywhere: train on every row, no scaling, no splits.
NOTES_SETTINGS = {"standardize": False, "val_fraction": 0.0, "test_fraction": 0.0, "quiet": True}


class Figures:
    """Save a lesson's figures into ``out`` (nothing is drawn when ``out`` is None)."""

    def __init__(self, out: str | Path | None):
        self.out = None if out is None else Path(out)
        self.paths: list[str] = []

    def save(self, filename: str, build: Callable[[], Figure]) -> None:
        """Build the figure with ``build()`` and write it as ``out/filename``."""
        if self.out is None:
            return
        self.paths.append(str(save_figure(build(), self.out / filename)))

    def write(self, filename: str, write: Callable[[Path], Path]) -> None:
        """Write a file that is not one figure (an animation) with ``write(path)``."""
        if self.out is None:
            return
        self.paths.append(str(write(self.out / filename)))


class EpochPrinter(Callback):
    """Print ``line(entry)`` after every ``every``-th epoch of a ``gdlab.train`` run."""

    def __init__(self, log: Log, line: Callable[[dict], str], *, every: int = 1):
        self.log, self.line, self.every = log, line, every

    def on_epoch_end(self, state, entry: dict) -> None:
        if entry["epoch"] % self.every == 0:
            self.log(self.line(entry))


class Errata:
    """The notes' errors a lesson points out, each printed where the lesson touches it.

    ``errata.say(key, **numbers)`` prints the catalogue message ``<lesson>.erratum.<key>``
    behind a marker ("notes error:" / "笔记有误：") and keeps ``key`` and its numbers, so
    the lesson's result lists every error it showed, with the numbers that show it.
    """

    def __init__(self, tr: Texts, log: Log):
        self.tr, self.log = tr, log
        self.shown: dict[str, dict] = {}

    def say(self, key: str, **numbers: object) -> None:
        text = self.tr(f"erratum.{key}", **numbers)
        marker = t("lesson.erratum", self.tr.lang)
        lines = wrap(text, width=88 - display_width(marker) - 1)
        self.log(f"{marker} {lines[0]}")
        for line in lines[1:]:
            self.log(" " * (display_width(marker) + 1) + line)
        self.shown[key] = dict(numbers)


def paragraph(log: Log, text: str, *, indent: str = "", width: int = 88) -> None:
    """Print ``text`` wrapped to ``width`` display columns (CJK characters count twice)."""
    for line in wrap(text, width=width - display_width(indent)):
        log(indent + line)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Lines of a plain text table; the first column left-aligned, the others right.

    Columns align by display width, so Chinese headers line up in a terminal.
    """
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(display_width(r[j]) for r in cells) for j in range(len(headers))]
    lines = []
    for i, r in enumerate(cells):
        parts = [ljust(r[0], widths[0])] + [rjust(c, w) for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def _cell(v: object) -> str:
    if isinstance(v, float):
        return "nan" if np.isnan(v) else f"{v:.6g}"
    return str(v)


@styled
def curves_figure(
    panels: Sequence[Mapping], *, title: str, xlabel: str | None = None, lang: str = "en",
    height: float = 5.6,
) -> Figure:
    """Side-by-side panels of labelled curves.

    Each panel is ``{"title": str, "ylabel": str, "series": {label: (x, y)}}``, with an
    optional ``"logy"`` (default: log scale when the values span two decades),
    ``"xlabel"`` (default: ``xlabel``, else "epoch") and ``"legend"`` (a legend location,
    default ``"best"``; ``"below"`` puts it under the panel, clear of the curves).
    """
    xlabel = xlabel if xlabel is not None else t("viz.epoch_short", lang)
    fig = new_figure(height)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        values = []
        for i, (label, (x, y)) in enumerate(panel["series"].items()):
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
            ax.plot(x, y, color=COLORS[i % len(COLORS)], marker=MARKERS[i % len(MARKERS)],
                    markersize=4 if len(x) <= 40 else 0, linewidth=1.8, label=label,
                    linestyle=LINESTYLES[i % len(LINESTYLES)])  # overlapping lines stay visible
            values.append(y)
        logy = panel.get("logy")
        if logy is None:
            logy = spans_decades(np.concatenate(values)) if values else False
        if logy:
            ax.set_yscale("log")
        ax.set_title(panel["title"], fontsize=12)
        ax.set_xlabel(panel.get("xlabel", xlabel))
        ax.set_ylabel(panel["ylabel"] + (t("viz.log_scale", lang) if logy else ""))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        where = panel.get("legend", "best")
        if where == "below":
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13))
        else:
            ax.legend(loc=where)
    fig.suptitle(title)
    return fig
