"""How gdlab objects show themselves: rich HTML/PNG in Jupyter, one line in a terminal.

Jupyter asks an object for ``_repr_html_`` / ``_repr_png_``; a terminal calls ``repr``.
The builders here make those forms from plain data (a run's metrics, config and
history; a dataset's arrays), so the classes only need two-line methods that call them:

=====================  ==========================================================
``run_repr``           one line: model, data, epochs and why it stopped, losses
``run_html``           the run's summary table and its loss plot (inline PNG)
``dataset_html``       a dataset's shape, task, classes and its first rows
``figure_png``         PNG bytes of any matplotlib ``Figure`` (gdlab's or plain)
``in_notebook``        whether this process is a Jupyter kernel
=====================  ==========================================================

The HTML makes no request: images are inline ``data:`` URIs, styles are inline
attributes (no ``<style>`` that would leak into the notebook page), and there is no
script. Importing this module is cheap (no torch, no matplotlib); figures are drawn
only when an HTML form is asked for.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
import sys
from collections.abc import Mapping, Sequence
from typing import Any

# English labels, kept together so they can move into the message catalogues (STYLE §16)
REASONS = {
    "max_epochs": "ran every epoch it was given",
    "tol": "the training loss stopped improving by more than tol",
    "early_stopping": "the validation loss stopped improving (best weights restored)",
    "diverged": "the loss diverged (try a smaller learning rate)",
    "grad_tol": "the gradient norm fell below grad_tol",
}
MAX_SHOWN_PARAMS = 24  # a run lists its parameters when it has at most this many numbers
HEAD_ROWS = 5  # rows of a dataset shown in its table
MAX_COLUMNS = 12  # feature columns shown before "…"

_CELL = 'style="text-align:left;padding:2px 12px 2px 0;vertical-align:top"'
_KEY = 'style="text-align:left;padding:2px 12px 2px 0;vertical-align:top;opacity:0.7;font-weight:normal"'


# --- where we are -------------------------------------------------------------------------------
def in_notebook() -> bool:
    """True inside a Jupyter kernel (notebook, lab, VS Code), False in a terminal or
    plain IPython. Only looks at modules already imported: it never imports IPython."""
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")


# --- numbers and images -------------------------------------------------------------------------
def short_number(v: Any, digits: int = 4) -> str:
    """A short human form of a number (None → "—"), ``digits`` significant digits."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, numbers.Integral):
        return str(int(v))
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def _score(name: str, v: Any) -> str:
    """A test score: fractions (accuracy, r2, …) with 4 decimals, errors with 4 digits."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and name in (
            "accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "r2"):
        return f"{v:.4f}"
    return short_number(v)


def figure_png(fig) -> bytes:
    """PNG bytes of a matplotlib ``Figure``, at the figure's own size and dpi.

    Works for gdlab's figures and for plain ones (``matplotlib.figure.Figure()``,
    with or without a canvas, or from pyplot), without needing a display.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, facecolor="white")
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    """``data:image/png;base64,…``: an image an HTML page holds inside itself."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _img(png: bytes, alt: str) -> str:
    return (f'<img src="{png_data_uri(png)}" alt="{html.escape(alt)}" '
            'style="max-width:100%;height:auto;display:block"/>')


def _table(rows: Sequence[tuple[str, str]]) -> str:
    """A two-column table of (label, already-escaped HTML value)."""
    body = "".join(f"<tr><th {_KEY}>{html.escape(k)}</th><td {_CELL}>{v}</td></tr>"
                   for k, v in rows)
    return f'<table style="border-collapse:collapse;margin:4px 0 8px">{body}</table>'


# --- a run ----------------------------------------------------------------------------------------
def _what(run, *, quote: bool = True) -> str:
    """"linear on 'synthetic-linear'": the model kind and the data's name."""
    cfg, m = run.config or {}, run.metrics or {}
    model = m.get("model") or cfg.get("model") or type(run.model).__name__
    data = cfg.get("data")
    if not data:
        return str(model)
    return f"{model} on {data!r}" if quote else f"{model} on {data}"


def _epochs(run) -> int:
    m = run.metrics or {}
    return int(m.get("epochs_run") or (run.history[-1]["epoch"] if run.history else 0))


def _main_score(test: Mapping | None) -> str | None:
    if not test:
        return None
    for key in ("r2", "accuracy"):
        if test.get(key) is not None:
            return f"test {key} {_score(key, test[key])}"
    return None


def run_repr(run) -> str:
    """One line for a terminal: what was trained on what, epochs, why it stopped, the
    final losses and the main test score (never the history).

    Examples
    --------
    >>> import gdlab
    >>> run = gdlab.train(data="synthetic-linear", epochs=3, seed=0, quiet=True)
    >>> from gdlab.display import run_repr
    >>> run_repr(run)  # doctest: +ELLIPSIS
    "Run(linear on 'synthetic-linear', 3 epochs, stopped: max_epochs, train_loss ..."
    """
    m = run.metrics or {}
    parts = [_what(run), f"{_epochs(run)} epochs"]
    if run.stopped_reason:
        parts.append(f"stopped: {run.stopped_reason}")
    parts.append(f"train_loss {short_number(m.get('train_loss'))}")
    if m.get("val_loss") is not None:
        parts.append(f"val_loss {short_number(m['val_loss'])}")
    score = _main_score(m.get("test"))
    if score:
        parts.append(score)
    return "Run(" + ", ".join(parts) + ")"


def _param_count(run) -> int | None:
    try:
        return sum(p.numel() for p in run.model.parameters())
    except (AttributeError, TypeError):
        return None


def _flat(values) -> list:
    if isinstance(values, (list, tuple)):
        return [x for v in values for x in _flat(v)]
    return [values]


def _params_html(params: Mapping) -> str | None:
    """The parameters as short lists, when there are at most MAX_SHOWN_PARAMS numbers."""
    if sum(len(_flat(v)) for v in params.values()) > MAX_SHOWN_PARAMS:
        return None

    def show(v) -> str:
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(show(x) for x in v) + "]"
        return short_number(v, 6)

    return "<br/>".join(f"<code>{html.escape(k)}</code> {html.escape(show(v))}"
                        for k, v in params.items())


def run_rows(run) -> list[tuple[str, str]]:
    """The run's summary as (label, HTML value) rows: model, data, training, epochs and
    why it stopped, losses, test scores, parameters (when few), time."""
    cfg, m = run.config or {}, run.metrics or {}
    esc = html.escape
    rows = []
    n_params = _param_count(run)
    model = esc(str(m.get("model") or cfg.get("model") or type(run.model).__name__))
    if cfg.get("hidden") and model == "mlp":
        model += f" (hidden {esc(str(cfg['hidden']))}, {esc(str(cfg.get('activation')))})"
    rows.append(("model", model + (f" — {n_params} parameters" if n_params is not None else "")))
    counts = [f"{m[k]} {label}" for k, label in (("n_train", "train"), ("n_val", "validation"),
                                                 ("n_test", "test")) if m.get(k)]
    data = esc(str(cfg.get("data", "—")))
    shape = ", ".join(counts) + " rows" if counts else ""
    if m.get("n_features") is not None:
        shape += f"{', ' if shape else ''}{m['n_features']} features"
    task = m.get("task") or run.task
    rows.append(("data", f"<code>{data}</code> — {esc(shape)}" + (f" ({esc(task)})" if task else "")))
    if cfg.get("optimizer"):
        how = [f"{cfg['optimizer']}"]
        if cfg.get("batch_size") and cfg["optimizer"] in ("minibatch", "sgd"):
            how.append(f"batch {cfg['batch_size']}")
        how += [f"lr {short_number(cfg.get('lr'))}", f"loss {cfg.get('loss')}", f"engine {cfg.get('engine')}"]
        if cfg.get("seed") is not None:
            how.append(f"seed {cfg['seed']}")
        rows.append(("training", esc(", ".join(how))))
    epochs = f"{_epochs(run)}" + (f" of {cfg['epochs']}" if cfg.get("epochs") else "")
    reason = run.stopped_reason
    if reason:
        why = REASONS.get(reason, "")
        color = ' style="color:#c0392b"' if reason == "diverged" else ""
        epochs += f" — stopped: <b{color}>{esc(reason)}</b>" + (f" ({esc(why)})" if why else "")
    rows.append(("epochs", epochs))
    loss = [f"train {short_number(m.get('train_loss'))}"]
    if m.get("val_loss") is not None:
        loss.append(f"validation {short_number(m['val_loss'])}")
    if run.initial_loss is not None:
        loss.append(f"at the start {short_number(run.initial_loss)}")
    if m.get("train_accuracy") is not None:
        loss.append(f"train accuracy {_score('accuracy', m['train_accuracy'])}")
    rows.append((f"loss ({m.get('loss') or cfg.get('loss') or 'final'})", esc(", ".join(loss))))
    test = m.get("test")
    if test:
        scores = [f"{k} {_score(k, v)}" for k, v in test.items()
                  if not isinstance(v, (list, dict))]
        if isinstance(test.get("confusion"), list) and len(test["confusion"]) <= 5:
            scores.append(f"confusion {test['confusion']}")
        rows.append(("test", esc(", ".join(scores))))
    if m.get("params"):
        shown = _params_html(m["params"])
        if shown:
            rows.append(("parameters", shown))
    if m.get("seconds") is not None:
        rows.append(("time", f"{float(m['seconds']):.3g} s"))
    return rows


def _loss_png(run) -> bytes | None:
    """The run's loss plot (gdlab.viz.loss_curve) as PNG, or None without history."""
    if not run.history:
        return None
    from .viz import loss_curve

    cfg = run.config or {}
    fig = loss_curve(run.history, run.steps, loss_name=cfg.get("loss"),
                     title=f"Loss per epoch — {_what(run, quote=False)}")
    return figure_png(fig)


def run_html(run, *, plot: bool = True) -> str:
    """The run in HTML for Jupyter: its summary (:func:`run_rows`) and, with ``plot``,
    its loss plot as an inline PNG. Self-contained: no request, no script."""
    what = _what(run, quote=False)
    head = f"<div><b>gdlab Run</b> — {html.escape(what)}</div>"
    parts = [head, _table(run_rows(run))]
    notes = [n for n in (run.notes or [])[:5] if n]
    if notes:
        parts.append('<div style="opacity:0.7;font-size:90%">'
                     + "<br/>".join(html.escape(n) for n in notes) + "</div>")
    png = _loss_png(run) if plot else None
    if png is not None:
        parts.append(_img(png, f"Loss per epoch — {what}"))
    elif plot:
        parts.append("<div><i>no history to plot</i></div>")
    return '<div class="gdlab-run">' + "".join(parts) + "</div>"


# --- a dataset ------------------------------------------------------------------------------------
def _cell(v: Any, column=None) -> str:
    """One raw cell: a category's name for a categorical column, "—" when missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    categories = getattr(column, "categories", None)
    if categories is not None:
        return str(categories[int(v)])
    return short_number(v)


def dataset_html(ds, *, rows: int = HEAD_ROWS) -> str:
    """A :class:`~gdlab.data.Dataset` in HTML: name, rows × features, task, target and
    classes (with counts), categorical columns and missing cells when there are some,
    the test split it came with, its notes, and its first ``rows`` rows (categories by
    name, missing cells as "—")."""
    esc = html.escape
    import numpy as np

    n, d = ds.X.shape
    columns = getattr(ds, "columns", None) or [None] * d
    info = [("rows", f"{n} × {d} features"), ("task", esc(ds.task)),
            ("target", f"<code>{esc(str(ds.target_name))}</code>")]
    if ds.classes is not None:
        counts = np.bincount(np.asarray(ds.y, dtype=np.int64), minlength=len(ds.classes))
        info.append(("classes", esc(", ".join(f"{c} ({k})" for c, k in zip(ds.classes, counts, strict=True)))))
    categorical = [c.name for c in columns if getattr(c, "categories", None) is not None]
    if categorical:
        info.append(("categorical", esc(", ".join(map(str, categorical)))))
    missing = int(np.isnan(ds.X).sum()) if np.issubdtype(ds.X.dtype, np.floating) else 0
    if missing:
        info.append(("missing cells", f"{missing} (imputed when training)"))
    if getattr(ds, "X_test", None) is not None:
        info.append(("test split", f"{len(ds.X_test)} rows (came with the data)"))
    notes = (getattr(ds, "meta", None) or {}).get("notes") or []
    if notes:
        info.append(("notes", "<br/>".join(esc(str(note)) for note in notes[:5])))
    shown = min(d, MAX_COLUMNS)
    more = d - shown
    th = 'style="text-align:right;padding:1px 8px;border-bottom:1px solid #8884"'
    td = 'style="text-align:right;padding:1px 8px;font-variant-numeric:tabular-nums"'
    header = "".join(f"<th {th}>{esc(str(c))}</th>" for c in ds.feature_names[:shown])
    header += (f"<th {th}>… {more} more</th>" if more else "") + f"<th {th}>{esc(str(ds.target_name))}</th>"
    body = []
    for i in range(min(rows, n)):
        cells = "".join(f"<td {td}>{esc(_cell(ds.X[i, j], columns[j]))}</td>" for j in range(shown))
        cells += f"<td {td}>…</td>" if more else ""
        y = short_number(ds.y[i]) if ds.classes is None else str(ds.classes[int(ds.y[i])])
        cells += f"<td {td}>{esc(y)}</td>"
        body.append(f"<tr>{cells}</tr>")
    if n > rows:
        body.append(f'<tr><td {td} colspan="{shown + 1 + bool(more)}">… {n - rows} more rows</td></tr>')
    table = (f'<table style="border-collapse:collapse;font-size:90%"><tr>{header}</tr>'
             + "".join(body) + "</table>")
    return (f'<div class="gdlab-dataset"><div><b>gdlab Dataset</b> <code>{esc(str(ds.name))}</code></div>'
            + _table(info) + table + "</div>")


__all__ = ["dataset_html", "figure_png", "in_notebook", "png_data_uri", "run_html", "run_repr",
           "run_rows"]
