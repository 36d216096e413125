"""Callbacks: tiny no-op hooks the training loop calls (STYLE.md §11).

The loop (:func:`gdlab.train.fit`) knows nothing about printing, progress bars, best
weights, checkpoints or plots: each is a callback here (or in the module that owns it),
added by whoever runs the loop. Subclass :class:`Callback` and override what you need.

A callback that overrides :meth:`Callback.on_step_end` acts between updates, so the loop
runs every update where it can be seen (no compiled whole-epoch loop).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable

from .display import in_notebook


class Callback:
    """No-op hooks; subclass and override what you need."""

    def on_train_begin(self, state) -> None: ...
    def on_step_end(self, state, step: int, loss: float) -> None: ...
    def on_epoch_end(self, state, entry: dict) -> None: ...
    def on_train_end(self, state) -> None: ...

    @property
    def between_steps(self) -> bool:
        """Whether this callback acts between updates (it overrides on_step_end)."""
        return type(self).on_step_end is not Callback.on_step_end


class BestWeights(Callback):
    """Keep a copy of the weights of the best epoch so far (``state.best_state``), the
    epoch the stopping rule last saw improve its monitored loss (early stopping restores
    them at the end)."""

    def on_epoch_end(self, state, entry: dict) -> None:
        if state.best_epoch == entry["epoch"]:
            state.best_state = copy.deepcopy(state.model.state_dict())


class ProgressLog(Callback):
    """Print about ten epoch lines (the first, every tenth, the last) through ``log``,
    and, with ``progress``, a progress bar over the epochs.

    In a terminal the bar sits under the lines. In Jupyter the bar is tqdm's notebook
    widget (a text bar when ipywidgets is not installed), it stays after training, and it
    replaces the lines: its postfix shows the loss. ``gdlab.train(quiet=True)`` adds no
    ProgressLog at all, so nothing prints whatever ``progress`` says.

    Parameters
    ----------
    epochs : int
        The epochs the run is set for (the bar's total).
    log : callable, default=print
        Where the epoch lines go.
    progress : bool, default=False
        Show a bar.
    notebook : bool or None, default=None
        Whether this is a Jupyter kernel (None: find out, :func:`gdlab.display.in_notebook`).
    """

    def __init__(self, epochs: int, *, log: Callable[[str], None] = print, progress: bool = False,
                 notebook: bool | None = None):
        self.epochs = epochs
        self.log = log
        self.progress = progress
        self.notebook = notebook
        self.bar = None
        self.lines = True  # print epoch lines (not under a bar in a notebook)

    def on_train_begin(self, state) -> None:
        if self.progress and self.bar is None:
            notebook = in_notebook() if self.notebook is None else self.notebook
            bar = progress_bar_class(notebook=notebook)
            # in a notebook the finished bar stays as the run's record; a terminal clears it
            self.bar = bar(total=self.epochs, initial=state.epoch, unit="epoch", leave=notebook)
            self.lines = not notebook

    def on_epoch_end(self, state, entry: dict) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{entry['train_loss']:.4g}")
        if not self.lines:
            return
        every = max(1, self.epochs // 10)
        e = entry["epoch"]
        if e % every and e != self.epochs and e != 1 and state.stopped_reason is None:
            return
        line = format_entry(entry, self.epochs)
        if self.bar is not None:
            self.bar.write(line)
        else:
            self.log(line)

    def on_train_end(self, state) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.lines = True


def progress_bar_class(*, notebook: bool):
    """tqdm's bar for here: the notebook widget in Jupyter when ipywidgets is installed,
    else the text bar. What ``tqdm.auto`` chooses, without its warning when ipywidgets
    is missing (a text bar is a fine bar)."""
    if notebook:
        try:
            import ipywidgets  # noqa: F401  (tqdm.notebook needs it to draw)
            from tqdm.notebook import tqdm as notebook_bar
        except ImportError:
            pass
        else:
            return notebook_bar
    from tqdm.std import tqdm as text_bar

    return text_bar


def format_entry(entry: dict, epochs: int) -> str:
    """One epoch's line: epoch, losses and accuracies."""
    e = entry["epoch"]
    parts = [f"epoch {e:>{len(str(epochs))}}/{epochs}", f"train_loss {entry['train_loss']:.6g}"]
    if entry["val_loss"] is not None:
        parts.append(f"val_loss {entry['val_loss']:.6g}")
    if entry.get("accuracy") is not None:
        parts.append(f"accuracy {entry['accuracy']:.3f}")
    if entry.get("val_accuracy") is not None:
        parts.append(f"val_accuracy {entry['val_accuracy']:.3f}")
    return "  ".join(parts)


def wants_progress(progress: bool | None, *, quiet: bool, epochs: int) -> bool:
    """A bar when asked, or by default on a terminal or in Jupyter for runs of 20 epochs
    or more; never with ``quiet``."""
    if quiet:
        return False
    if progress is None:
        return (sys.stdout.isatty() or in_notebook()) and epochs >= 20
    return bool(progress)
