"""A loss plot that updates in place while training runs: ``callbacks=[gdlab.LivePlot()]``.

One plot, redrawn from the run's history (plain data, STYLE §11), shown where the run
is watched:

============  ==========================================================================
``notebook``  in Jupyter: one output under the cell, replaced in place (a display handle)
``window``    where matplotlib has an interactive backend (Qt, Tk, macOS…): one window
``file``      anywhere else (a script, a terminal, CI): a PNG rewritten atomically,
              ``live.png`` in ``out`` (default: the current folder)
============  ==========================================================================

``mode="auto"`` picks the first that applies. Unlike an animator that needs a notebook,
it works in all three places.

The cost is bounded by time, not by epochs: the plot is redrawn at most every ``every``
seconds, and never sooner than ``COST_FACTOR`` times the last redraw took, so drawing
stays a small fraction of training however fast the epochs are; a run shorter than
``every`` seconds draws once, at the end. The end of training always draws, with why it
stopped. It acts only at epoch ends, so it does not make the loop run update by update.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from .callbacks import Callback
from .display import figure_png, in_notebook

MODES = ("auto", "notebook", "window", "file")
EVERY_S = 1.0  # default seconds between redraws
COST_FACTOR = 10.0  # wait ≥ 10× the last redraw's time: drawing takes ≤ ~1/11 of the run
FILE_NAME = "live.png"
# interactive in name, but not a window on this machine
_NOT_A_WINDOW = {"webagg", "nbagg", "notebook", "ipympl", "widget"}


def interactive_backend() -> bool:
    """Whether matplotlib's backend opens windows here (resolving it imports pyplot).

    A headless machine (no ``DISPLAY``) resolves to Agg: not interactive.
    """
    import matplotlib

    name = str(matplotlib.get_backend()).lower()
    try:
        from matplotlib.backends import BackendFilter, backend_registry  # matplotlib >= 3.9

        interactive = set(backend_registry.list_builtin(BackendFilter.INTERACTIVE))
    except ImportError:
        from matplotlib import rcsetup

        interactive = {b.lower() for b in rcsetup.interactive_bk}
    return name in interactive - _NOT_A_WINDOW


def choose_mode(mode: str = "auto", *, notebook: bool | None = None,
                interactive: Callable[[], bool] = interactive_backend) -> str:
    """The mode ``mode="auto"`` stands for here: notebook, else window, else file."""
    if mode not in MODES:
        raise ValueError(f"LivePlot mode must be one of {MODES}, got {mode!r}")
    if mode != "auto":
        return mode
    if in_notebook() if notebook is None else notebook:
        return "notebook"
    return "window" if interactive() else "file"


def live_path(out: str | os.PathLike | None) -> Path:
    """Where file mode writes: ``out`` itself when it names a ``.png``, else
    ``out/live.png`` (``out`` default: the current folder)."""
    if out is None:
        return Path(FILE_NAME)
    out = Path(out)
    return out if out.suffix.lower() == ".png" else out / FILE_NAME


# --- where the picture goes ------------------------------------------------------------------------
class _NotebookSink:
    """One output under the cell, replaced in place (IPython's display handle)."""

    def __init__(self) -> None:
        self.handle = None

    def figure(self, size):
        return _agg_figure(size)

    def show(self, fig) -> None:
        from IPython.display import Image, display

        image = Image(data=figure_png(fig), format="png")
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)


class _FileSink:
    """A PNG rewritten atomically: a viewer never reads half a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def figure(self, size):
        return _agg_figure(size)

    def show(self, fig) -> None:
        from .io import atomic_write_bytes, make_folder

        make_folder(self.path.parent)
        atomic_write_bytes(self.path, figure_png(fig), sync=False)  # refreshed, not kept


class _WindowSink:
    """One pyplot window, redrawn without blocking the loop."""

    def __init__(self) -> None:
        import matplotlib.pyplot as plt

        self.plt, self.shown = plt, False

    def figure(self, size):
        return self.plt.figure(num="gdlab: loss while training", figsize=size, clear=True)

    def show(self, fig) -> None:
        if not self.shown:
            self.plt.show(block=False)
            self.shown = True
        fig.canvas.draw_idle()
        fig.canvas.flush_events()


def _agg_figure(size):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100)  # fixed margins (_LossAxes): a layout engine doubles the cost
    FigureCanvasAgg(fig)
    return fig


# --- what is drawn ---------------------------------------------------------------------------------
class _LossAxes:
    """Train and validation loss per epoch on one axes, updated in place."""

    def __init__(self, fig) -> None:
        from .viz.common import COLORS

        self.fig = fig
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.9)
        self.ax = fig.subplots()
        (self.train,) = self.ax.plot([], [], color=COLORS[0], marker="o", markersize=3,
                                     label="train loss")
        (self.val,) = self.ax.plot([], [], color=COLORS[1], marker="o", markersize=3,
                                   label="validation loss")
        self.ax.set_xlabel("epoch")
        self.ax.set_ylabel("loss (mean over samples)")

    def update(self, history: list[dict], title: str) -> None:
        import numpy as np
        from matplotlib.ticker import MaxNLocator

        from .viz.common import as_float, spans_decades

        epochs = np.array([int(h["epoch"]) for h in history], dtype=float)
        train = np.array([as_float(h.get("train_loss")) for h in history])
        val = np.array([as_float(h.get("val_loss")) for h in history])
        has_val = bool(np.isfinite(val).any())
        self.train.set_data(epochs, train)
        self.val.set_data(epochs, val)
        self.val.set_visible(has_val)
        self.ax.set_yscale("log" if spans_decades(np.concatenate([train, val])) else "linear")
        self.ax.relim(visible_only=True)
        self.ax.autoscale_view()
        self.ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax.legend(handles=[self.train, *([self.val] if has_val else [])], loc="upper right")
        self.ax.set_title(title)


# --- the callback ----------------------------------------------------------------------------------
class LivePlot(Callback):
    """A loss plot updated in place while training runs, in Jupyter, a window or a file.

    Parameters
    ----------
    out : str or path-like, optional
        For file mode: a ``.png`` file, or a folder to write ``live.png`` into (a run
        folder). Default: ``live.png`` in the current folder.
    mode : {"auto", "notebook", "window", "file"}, default="auto"
        Where the plot is shown. ``"auto"``: a display handle in a Jupyter kernel, else a
        window when matplotlib's backend is interactive, else the file.
    every : float, default=1.0
        Seconds between redraws, at least (also never sooner than ``COST_FACTOR`` × the
        last redraw's time). The end of training always redraws.
    title : str, optional
        The plot's title (the epoch, and at the end why it stopped, follow it).
    figsize : tuple of float, default=(8, 4.5)
        Inches at 100 dpi (800 × 450 px).
    log : callable or None, default=print
        Told once where file mode writes (None: silent).

    Attributes
    ----------
    active_mode : str or None
        The mode in use since training began.
    path : Path or None
        The PNG file mode writes.
    frames : int
        How many times the plot was drawn in the last run.

    Examples
    --------
    >>> import gdlab
    >>> plot = gdlab.LivePlot(out="runs/live-demo", log=None)   # doctest: +SKIP
    >>> run = gdlab.train(data="synthetic-linear", epochs=5, quiet=True,
    ...                   callbacks=[plot])                       # doctest: +SKIP
    >>> plot.frames                                               # doctest: +SKIP
    1
    """

    def __init__(self, out: str | os.PathLike | None = None, *, mode: str = "auto",
                 every: float = EVERY_S, title: str | None = None,
                 figsize: tuple[float, float] = (8.0, 4.5),
                 log: Callable[[str], None] | None = print) -> None:
        if mode not in MODES:
            raise ValueError(f"LivePlot mode must be one of {MODES}, got {mode!r}")
        if not every >= 0:
            raise ValueError(f"LivePlot every must be a number of seconds >= 0, got {every!r}")
        self.out, self.mode, self.every = out, mode, float(every)
        self.title = title or "Training loss per epoch"
        self.figsize, self.log = tuple(figsize), log
        self.active_mode: str | None = None
        self.path: Path | None = None
        self.frames = 0
        self._sink = self._axes = None
        self._next = 0.0
        self._clock = time.perf_counter  # tests replace it; no test reads the wall clock

    # --- hooks
    def on_train_begin(self, state) -> None:
        self.frames, self._axes = 0, None
        self.active_mode = choose_mode(self.mode)
        self._sink = self._open(self.active_mode)
        self._next = self._clock() + self.every

    def on_epoch_end(self, state, entry: dict) -> None:
        if self._sink is not None and self._clock() >= self._next:
            self._draw(state.history, f"{self.title} — epoch {entry['epoch']}")

    def on_train_end(self, state) -> None:
        if self._sink is None or not state.history:
            return
        n, reason = state.history[-1]["epoch"], state.stopped_reason
        self._draw(state.history, f"{self.title} — {n} epochs" + (f", stopped: {reason}" if reason else ""))
        self._axes = None  # the next run starts a fresh plot (a window stays open, pyplot holds it)

    # --- drawing
    def _open(self, mode: str):
        if mode == "notebook":
            return _NotebookSink()
        if mode == "window":
            try:
                return _WindowSink()
            except Exception as e:  # e.g. an interactive backend named on a machine without display
                self._say(f"live plot: no window ({type(e).__name__}: {e}); writing a file instead")
                self.active_mode = "file"
        self.path = live_path(self.out)
        self._say(f"live plot: {self.path} (redrawn at most every {self.every:g} s)")
        return _FileSink(self.path)

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    def _draw(self, history: list[dict], title: str) -> None:
        import matplotlib

        from .viz.common import STYLE

        start = self._clock()
        with matplotlib.rc_context(STYLE):
            if self._axes is None:
                self._axes = _LossAxes(self._sink.figure(self.figsize))
            self._axes.update(history, title)
            self._sink.show(self._axes.fig)
        self.frames += 1
        now = self._clock()
        self._next = now + max(self.every, COST_FACTOR * (now - start))


__all__ = ["COST_FACTOR", "EVERY_S", "LivePlot", "choose_mode", "interactive_backend", "live_path"]
