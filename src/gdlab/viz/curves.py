"""Loss curves: one run's loss per epoch, and a learning-rate sweep on shared axes.

Both read only plain history data (a list of per-epoch dicts, see ``gdlab.train``), and
label everything in ``lang`` ("en" or "zh", from the ``gdlab.i18n`` catalogues).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..i18n import Texts
from .common import COLORS, as_float, finite, fmt, new_figure, spans_decades, styled


def _loss_label(tr: Texts, loss_name: str | None) -> str:
    return tr("loss_named", name=loss_name) if loss_name else tr("loss_plain")


def _first_nonfinite(values: Sequence[float]) -> int | None:
    """Index of the first NaN/inf value, or None."""
    for i, v in enumerate(values):
        if not math.isfinite(v):
            return i
    return None


@styled
def loss_curve(
    history: Sequence[Mapping],
    steps: Sequence[Mapping] | None = None,
    *,
    title: str | None = None,
    loss_name: str | None = None,
    lang: str = "en",
) -> Figure:
    """Train (and validation) loss per epoch; accuracy on a second panel for classifiers.

    Parameters
    ----------
    history : list of dict
        One dict per epoch with ``epoch``, ``train_loss``, ``val_loss`` (or None) and,
        for classifiers, ``accuracy`` and ``val_accuracy``.
    steps : list of dict or None
        Per-update ``{"step", "epoch", "loss"}`` (the batch loss). When there is more
        than one update per epoch (SGD, mini-batch) it is drawn faintly behind the
        per-epoch line, at its fractional epoch.
    title : str, optional
    loss_name : str, optional
        Name of the loss for the y label (e.g. ``"mse"``).
    lang : {"en", "zh"}, default="en"
        Language of the labels.

    The y axis is logarithmic when the plotted losses span two decades or more.
    A NaN/inf loss (divergence) is marked with a red line and a note.
    """
    if not history:
        raise ValueError("loss_curve needs at least one epoch of history, got an empty list")
    tr = Texts(lang, "viz")
    epochs = np.array([int(h["epoch"]) for h in history])
    train = np.array([as_float(h.get("train_loss")) for h in history])
    val = np.array([as_float(h.get("val_loss")) for h in history])
    has_val = bool(np.isfinite(val).any())
    has_acc = any(h.get("accuracy") is not None for h in history)

    fig = new_figure(5.2)
    if has_acc:
        ax, ax_acc = fig.subplots(1, 2, width_ratios=[1.35, 1])
    else:
        ax, ax_acc = fig.subplots(1, 1), None

    plotted = [train]
    per_update = steps is not None and len(steps) > len(history)
    if per_update:
        s_epoch = np.array([float(s["epoch"]) for s in steps])
        s_loss = np.array([as_float(s["loss"]) for s in steps])
        ax.plot(s_epoch, s_loss, color=COLORS[0], alpha=0.3, linewidth=0.8, zorder=1,
                label=tr("loss.steps", n=len(steps)))
        plotted.append(s_loss)
    marker = "o" if len(epochs) <= 40 else None
    ax.plot(epochs, train, color=COLORS[0], marker=marker, markersize=4, zorder=3,
            label=tr("loss.train"))
    if has_val:
        ax.plot(epochs, val, color=COLORS[1], marker=marker, markersize=4, zorder=3,
                label=tr("loss.val"))
        plotted.append(val)
        best = int(np.nanargmin(np.where(np.isfinite(val), val, np.nan)))
        ax.plot([epochs[best]], [val[best]], linestyle="none", marker="*", markersize=15,
                color=COLORS[1], markeredgecolor="black", zorder=4,
                label=tr("loss.best_val", value=fmt(val[best]), epoch=epochs[best]))

    bad = _first_nonfinite(train)
    if bad is not None:
        ax.axvline(epochs[bad], color="red", linestyle="--", linewidth=1.5,
                   label=tr("loss.diverged", value=fmt(train[bad]), epoch=epochs[bad]))

    if spans_decades(np.concatenate(plotted)):
        ax.set_yscale("log")
        ax.set_ylabel(_loss_label(tr, loss_name) + tr("log_scale"))
        if per_update:
            # a single batch's loss can be ~0; don't let those dips squash the curves
            epoch_vals = finite(np.concatenate(plotted[:1] + plotted[2:]))
            step_vals = finite(s_loss)
            step_vals = step_vals[step_vals > 0]
            if step_vals.size and epoch_vals.size and epoch_vals.min() > 0:
                low = min(epoch_vals.min(), np.percentile(step_vals, 2)) / 2
                ax.set_ylim(bottom=low)
    else:
        ax.set_ylabel(_loss_label(tr, loss_name))
    ax.set_xlabel(tr("epoch_axis"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if has_acc:
        ax.set_title(tr("loss.panel"))
    elif per_update:
        ax.set_title(tr("loss.faint_title"), fontsize=11.5)
    ax.legend(loc="best")

    if ax_acc is not None:
        _accuracy_panel(ax_acc, history, epochs, marker, tr)

    default = tr("loss.title_acc" if has_acc else "loss.title")
    fig.suptitle(title or default)
    return fig


def _accuracy_panel(ax: Axes, history: Sequence[Mapping], epochs: np.ndarray, marker,
                    tr: Texts) -> None:
    acc = np.array([as_float(h.get("accuracy")) for h in history])
    vacc = np.array([as_float(h.get("val_accuracy")) for h in history])
    ax.plot(epochs, acc, color=COLORS[0], marker=marker, markersize=4, label=tr("acc.train"))
    values = [acc]
    if np.isfinite(vacc).any():
        ax.plot(epochs, vacc, color=COLORS[1], marker=marker, markersize=4,
                label=tr("acc.val"))
        values.append(vacc)
    low = finite(np.concatenate(values))
    bottom = max(0.0, (low.min() if low.size else 0.0) - 0.05)
    ax.set_ylim(bottom, 1.01)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(tr("epoch_axis"))
    ax.set_ylabel(tr("acc.axis"))
    ax.set_title(tr("acc.panel"))
    ax.legend(loc="lower right")


# ---------------------------------------------------------------- learning-rate sweep


def _diverged_epoch(history: Sequence[Mapping], given: int | None) -> int | None:
    """The epoch a run diverged at: as given, else the first non-finite train loss."""
    if given is not None:
        return int(given)
    for h in history:
        v = h.get("train_loss")
        if v is not None and not math.isfinite(float(v)):
            return int(h["epoch"])
    return None


def final_loss_table(
    curves: Mapping[float, Sequence[Mapping]],
    diverged: Mapping[float, int | None] | None = None,
) -> list[dict]:
    """One row per learning rate, sorted by rate.

    Each row: ``lr``, ``epochs`` (epochs run), ``final_train_loss``, ``final_val_loss``
    (None without validation), ``diverged_at`` (epoch or None), ``status``
    (``"diverged at epoch k"`` or ``"ok"``) and ``best`` (True for the lowest final loss
    among the runs that did not diverge: validation loss when there is one, else train).
    """
    diverged = diverged or {}
    rows = []
    for lr in sorted(curves):
        hist = curves[lr]
        last = hist[-1] if hist else {}
        at = _diverged_epoch(hist, diverged.get(lr))
        rows.append({
            "lr": float(lr),
            "epochs": len(hist),
            "final_train_loss": None if not hist else as_float(last.get("train_loss")),
            "final_val_loss": None if last.get("val_loss") is None else float(last["val_loss"]),
            "diverged_at": at,
            "status": "ok" if at is None else f"diverged at epoch {at}",
            "best": False,
        })

    def key(r: dict) -> float:
        v = r["final_val_loss"] if r["final_val_loss"] is not None else r["final_train_loss"]
        return v if v is not None and math.isfinite(v) else math.inf

    ok = [r for r in rows if r["diverged_at"] is None and key(r) < math.inf]
    if ok:
        min(ok, key=key)["best"] = True
    return rows


@styled
def lr_sweep(
    curves: Mapping[float, Sequence[Mapping]],
    *,
    diverged: Mapping[float, int | None] | None = None,
    title: str | None = None,
    loss_name: str | None = None,
    lang: str = "en",
) -> Figure:
    """Train loss per epoch for each learning rate on shared axes, with a table of final losses.

    Parameters
    ----------
    curves : dict of float to list of dict
        Learning rate → that run's history.
    diverged : dict of float to int or None, optional
        Learning rate → the epoch it diverged at (None if it did not). A run whose
        history holds a NaN/inf loss counts as diverged even if not listed.
    lang : {"en", "zh"}, default="en"
        Language of the labels.

    The y range is set by the runs that did not diverge; a diverged run is drawn as far
    as it stays in view and marked ✕ at the top edge at the epoch it diverged, with
    "diverged" in its legend entry and in the table, so it is never silently clipped.
    """
    if not curves:
        raise ValueError("lr_sweep needs at least one learning rate, got none")
    tr = Texts(lang, "viz")
    rows = final_loss_table(curves, diverged)
    fig = new_figure(5.8)
    ax, ax_tab = fig.subplots(1, 2, width_ratios=[2.1, 1])
    cmap = colormaps["plasma"]
    n = len(rows)

    in_view = []
    for row in rows:
        if row["diverged_at"] is None:
            in_view.append(finite(h.get("train_loss") for h in curves[row["lr"]]))
    if not in_view or not np.concatenate(in_view).size:  # every run diverged
        in_view = [finite(h.get("train_loss") for h in curves[r["lr"]]) for r in rows]
    values = np.concatenate(in_view) if in_view else np.array([1.0])
    log = spans_decades(values)
    if log:
        ax.set_yscale("log")

    marks = []
    for i, row in enumerate(rows):
        hist = curves[row["lr"]]
        color = cmap(0.82 * i / max(1, n - 1))  # dark (small lr) to orange (large lr)
        ep = [int(h["epoch"]) for h in hist]
        loss = [as_float(h.get("train_loss")) for h in hist]
        label = f"lr = {fmt(row['lr'])}"
        if row["diverged_at"] is not None:
            label += tr("sweep.diverged_label", epoch=row["diverged_at"])
            marks.append((row, color))
        ax.plot(ep, loss, color=color, label=label,
                linestyle="--" if row["diverged_at"] is not None else "-",
                marker="o" if len(ep) <= 30 else None, markersize=3.5)

    lo, hi = float(values.min()), float(values.max())
    room = 1 + len(marks)  # headroom above the curves for the "diverged" marks
    if log:
        ax.set_ylim(lo / 1.6, hi * 1.6 * (3.0**room if marks else 1.0))
    else:
        pad = 0.06 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
        ax.set_ylim(lo - pad, hi + pad * (1 + 2.5 * room if marks else 1))

    trans = ax.get_xaxis_transform()  # x in data units, y as a fraction of the axes
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    for k, (row, color) in enumerate(marks):
        at = row["diverged_at"]
        losses = [as_float(h.get("train_loss")) for h in curves[row["lr"]]]
        visible = all(math.isfinite(v) and y_lo <= v <= y_hi for v in losses)  # e.g. ended above its start
        ax.plot([at], [0.97], transform=trans, marker="X", markersize=15, color=color,
                markeredgecolor="red", markeredgewidth=1.5, clip_on=False, linestyle="none")
        right_half = at > (x_lo + x_hi) / 2
        ax.annotate(tr("sweep.diverged_in_view" if visible else "sweep.diverged_note", lr=fmt(row["lr"]), epoch=at),
                    (at, 0.97), xycoords=trans, xytext=(-10 if right_half else 10, -14 - 16 * k),
                    textcoords="offset points", ha="right" if right_half else "left", va="top",
                    color="red", fontsize=11, fontweight="bold",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})

    ax.set_xlabel(tr("epoch_axis"))
    ax.set_ylabel(tr("sweep.ylabel", name=loss_name or tr("sweep.mean")) + (tr("log_scale") if log else ""))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(tr("sweep.panel"))
    ax.legend(loc="best")
    _sweep_table(ax_tab, rows, tr)
    fig.suptitle(title or tr("sweep.title"))
    return fig


def _sweep_table(ax: Axes, rows: list[dict], tr: Texts) -> None:
    has_val = any(r["final_val_loss"] is not None for r in rows)
    header = [tr("sweep.col_lr"), tr("sweep.col_train")] + ([tr("sweep.col_val")] if has_val else [])
    header.append(tr("sweep.col_result"))
    cells = []
    for r in rows:
        line = [fmt(r["lr"]), fmt(r["final_train_loss"])]
        if has_val:
            line.append(fmt(r["final_val_loss"]))
        line.append(tr("sweep.diverged") if r["diverged_at"] is not None
                    else tr("sweep.best") if r["best"] else tr("sweep.ok"))
        cells.append(line)
    ax.axis("off")
    table = ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(11)
    table.scale(1.0, 1.8)
    for j in range(len(header)):
        table[0, j].set_height(table[0, j].get_height() * 1.6)
    for j in range(len(header)):
        table[0, j].set_text_props(weight="bold")
        table[0, j].set_facecolor("#e8e8e8")
    for i, r in enumerate(rows, start=1):
        for j in range(len(header)):
            if r["diverged_at"] is not None:
                table[i, j].set_text_props(color="red")
            elif r["best"]:
                table[i, j].set_facecolor("#d8f0d8")
    ax.set_title(tr("sweep.table_title"))
