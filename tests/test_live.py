"""gdlab.LivePlot: one loss plot updated in place, in a notebook, a window or a file.

No test reads the wall clock: the throttle is driven by a fake clock on the instance.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

import gdlab
from gdlab import live
from gdlab.live import LivePlot, choose_mode, live_path


def _non_blank(png: bytes) -> tuple[int, int]:
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert len(np.unique(np.asarray(img).reshape(-1, 3), axis=0)) > 10, "blank image"
    return img.size


class _State:
    def __init__(self):
        self.history, self.stopped_reason, self.epoch = [], None, 0


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _drive(plot: LivePlot, clock: _Clock, epochs: int, *, step: float = 1.0) -> _State:
    """The loop's calls, with the fake clock advancing ``step`` s per epoch."""
    state = _State()
    plot._clock = clock
    plot.on_train_begin(state)
    for e in range(1, epochs + 1):
        clock.t += step
        entry = {"epoch": e, "train_loss": 10.0 / e, "val_loss": 12.0 / e}
        state.history.append(entry)
        state.epoch = e
        plot.on_epoch_end(state, entry)
    state.stopped_reason = "max_epochs"
    plot.on_train_end(state)
    return state


# --- file mode: scripts, terminals, CI ---------------------------------------------------------------
def test_a_script_run_writes_live_png_into_the_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "interactive_backend", lambda: False)  # as on a headless machine
    lines = []
    plot = LivePlot(out=tmp_path / "run", every=0, log=lines.append)
    gdlab.train(data="synthetic-linear", optimizer="gd", lr=0.1, epochs=20, seed=0, quiet=True,
                callbacks=[plot])
    assert plot.active_mode == "file"  # no kernel, no interactive backend
    assert plot.path == tmp_path / "run" / "live.png"
    assert plot.frames >= 2  # the first epoch, then the end at least
    assert _non_blank(plot.path.read_bytes()) == (800, 450)
    assert lines == [f"live plot: {plot.path} (redrawn at most every 0 s)"]
    assert not list((tmp_path / "run").glob("*.tmp*"))  # atomic: no temporary left


def test_out_may_name_the_png_or_default_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "interactive_backend", lambda: False)
    assert live_path(tmp_path / "x.png") == tmp_path / "x.png"
    assert live_path(tmp_path) == tmp_path / "live.png"
    monkeypatch.chdir(tmp_path)
    plot = LivePlot(log=None)
    gdlab.train(data="synthetic-linear", epochs=2, seed=0, quiet=True, callbacks=[plot])
    _non_blank((tmp_path / "live.png").read_bytes())


def test_the_end_always_draws_even_when_training_diverges(tmp_path):
    plot = LivePlot(out=tmp_path, mode="file", every=1e9, log=None)  # the throttle never lets a frame through
    with pytest.raises(gdlab.DivergedError):
        gdlab.train(data="synthetic-linear", optimizer="gd", lr=10.0, epochs=50, quiet=True,
                    callbacks=[plot])
    assert plot.frames == 1
    _non_blank((tmp_path / "live.png").read_bytes())


def test_redraws_are_throttled_by_time():
    plot = LivePlot(mode="file", every=5, log=None)
    frames = []
    plot._open = lambda mode: _Recorder(frames)
    _drive(plot, _Clock(), 12)  # epochs at t = 1..12 s
    # t=5 and t=10 pass the 5-s throttle, and the end always draws
    assert [title.split(" — ")[1] for title in frames] == ["epoch 5", "epoch 10",
                                                          "12 epochs, stopped: max_epochs"]


def test_a_slow_redraw_waits_longer_so_drawing_stays_a_small_share():
    clock = _Clock()
    frames = []
    plot = LivePlot(mode="file", every=1, log=None)
    plot._open = lambda mode: _Recorder(frames, clock=clock, cost=2.0)  # each frame takes 2 s
    _drive(plot, clock, 30)
    # epoch 1 draws (t 1 → 3), the next waits COST_FACTOR × 2 s = 20 s, then the end
    assert live.COST_FACTOR == 10
    assert [title.split(" — ")[1] for title in frames] == ["epoch 1", "epoch 21",
                                                          "30 epochs, stopped: max_epochs"]


class _Recorder:
    """A sink that keeps each frame's title (and may take fake time to draw)."""

    def __init__(self, frames, *, clock=None, cost=0.0):
        self.frames, self.clock, self.cost = frames, clock, cost

    def figure(self, size):
        return live._agg_figure(size)

    def show(self, fig):
        self.frames.append(fig.axes[0].get_title())
        if self.clock is not None:
            self.clock.t += self.cost


# --- notebook mode: one display handle ----------------------------------------------------------------
def test_notebook_mode_displays_once_then_updates_in_place(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def display(obj, *, display_id):
        assert display_id is True
        shown.append(("display", obj))
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    plot = LivePlot(mode="notebook", every=0, log=None)
    _drive(plot, _Clock(), 4)
    assert plot.active_mode == "notebook"
    assert [kind for kind, _ in shown] == ["display"] + ["update"] * (len(shown) - 1)
    assert len(shown) == plot.frames == 5  # each epoch (the fake clock makes drawing free) + end
    for _, image in shown:
        assert image.format == "png"
        _non_blank(image.data)


# --- window mode: where matplotlib has an interactive backend -------------------------------------------
def test_window_mode_draws_one_pyplot_figure_without_blocking(monkeypatch):
    import matplotlib.pyplot as plt

    shows = []
    monkeypatch.setattr(plt, "show", lambda **kw: shows.append(kw))
    plot = LivePlot(mode="window", every=0, log=None)
    try:
        _drive(plot, _Clock(), 3)
        assert plot.active_mode == "window"
        assert shows == [{"block": False}]  # shown once, never blocking the loop
        fig = plt.gcf()
        assert fig.get_label() == "gdlab: loss while training"
        train, val = fig.axes[0].get_lines()
        assert list(train.get_xdata()) == [1, 2, 3]
        assert list(val.get_ydata()) == [12.0, 6.0, 4.0]
        assert "stopped: max_epochs" in fig.axes[0].get_title()
    finally:
        plt.close("all")


def test_no_window_falls_back_to_the_file(tmp_path, monkeypatch):
    def no_display():
        raise RuntimeError("no display name")

    monkeypatch.setattr(live, "_WindowSink", no_display)
    lines = []
    plot = LivePlot(out=tmp_path, mode="window", every=0, log=lines.append)
    _drive(plot, _Clock(), 2)
    assert plot.active_mode == "file"
    assert lines[0] == "live plot: no window (RuntimeError: no display name); writing a file instead"
    _non_blank((tmp_path / "live.png").read_bytes())


# --- choosing the mode -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("notebook", "interactive", "mode"), [
    (True, True, "notebook"), (False, True, "window"), (False, False, "file")])
def test_auto_picks_notebook_then_window_then_file(notebook, interactive, mode):
    assert choose_mode("auto", notebook=notebook, interactive=lambda: interactive) == mode
    assert choose_mode("file", notebook=True) == "file"


@pytest.mark.parametrize(("backend", "window"), [
    ("QtAgg", True), ("tkagg", True), ("agg", False), ("webagg", False),
    ("module://matplotlib_inline.backend_inline", False)])
def test_interactive_backend_means_one_that_opens_windows(monkeypatch, backend, window):
    monkeypatch.setattr("matplotlib.get_backend", lambda: backend)
    assert live.interactive_backend() is window


def test_a_headless_machine_has_no_interactive_backend():
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        pytest.skip("this machine has a display")
    assert live.interactive_backend() is False


def test_bad_settings_are_refused_with_their_value():
    with pytest.raises(ValueError, match=r"mode must be one of .* got 'gif'"):
        LivePlot(mode="gif")
    with pytest.raises(ValueError, match="every must be a number of seconds >= 0, got -1"):
        LivePlot(every=-1)


def test_it_acts_at_epoch_ends_only():
    assert LivePlot().between_steps is False  # the loop keeps its whole-epoch fast path
