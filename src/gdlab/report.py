"""A self-contained HTML report of a run folder.

``report.html`` holds everything it shows: the PNG figures are embedded as base64
``data:`` URIs, the CSS is inline, and there is no script and no external URL, so the
file opens offline, can be mailed, and never makes a request.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .checkpoint import atomic_write_text
from .i18n import Texts, t

# figures by file-name prefix, in the order a learner reads them: prefix → catalogue id
# (caption ``report.fig.<id>``, how to read it ``report.fig.<id>.hint``); other PNGs
# follow by name with a caption made from the file name
FIGURES = {
    "loss_curve": "loss",
    "loss": "loss",
    "lr_sweep": "lr_sweep",
    "sweep": "sweep",
    "surface": "surface",
    "slice": "slice",
    "fit": "fit",
    "decision_boundary": "boundary",
    "boundary": "boundary",
    "confusion": "confusion",
}
FIGURE_ORDER = tuple(FIGURES)

#: metrics.json keys shown as cards, in order (labels: ``report.metric.<key>``)
METRIC_KEYS = ("model", "task", "train_loss", "val_loss", "epochs_run", "stopped_reason",
               "n_train", "n_features", "seconds")
METRIC_LABELS = {key: t(f"report.metric.{key}", "en") for key in METRIC_KEYS}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d1d1f; background: #fafafa; line-height: 1.45; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 12px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #555; margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #e2e2e2; border-radius: 8px; padding: 10px 14px;
        min-width: 150px; }
.card .k { font-size: 0.82rem; color: #666; }
.card .v { font-size: 1.2rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.warn { background: #fdecea; border: 1px solid #f5c2c0; color: #8a1c14; border-radius: 8px;
        padding: 10px 14px; margin: 12px 0; }
figure { margin: 0 0 28px; background: #fff; border: 1px solid #e2e2e2; border-radius: 8px;
         padding: 12px; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: #444; font-size: 0.95rem; margin-top: 6px; text-align: center; }
table { border-collapse: collapse; background: #fff; font-size: 0.9rem;
        font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th { background: #f0f0f0; }
td.key, th.key { text-align: left; }
.scroll { max-height: 520px; overflow: auto; display: inline-block; }
details summary { cursor: pointer; margin: 6px 0; }
footer { color: #888; font-size: 0.85rem; margin-top: 36px; }
"""


def _fmt(v: Any) -> str:
    """A value for display: floats to 6 significant digits, None as "—"."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return f"{v:.6g}"
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, default=str)
    return str(v)


def _e(v: Any) -> str:
    return html.escape(_fmt(v), quote=True)


def _caption(name: str, tr: Texts | None = None) -> tuple[str, str]:
    """(caption, how to read it) for a figure file name."""
    tr = tr or Texts("en", "report")
    stem = Path(name).stem.lower()
    for prefix, key in FIGURES.items():
        if stem.startswith(prefix):
            caption, hint = tr(f"fig.{key}"), tr(f"fig.{key}.hint")
            rest = stem[len(prefix):].strip("_- ").replace("_", " ").replace("-", " ")
            return (f"{caption} ({rest})" if rest else caption), hint
    return stem.replace("_", " ").replace("-", " ").strip().capitalize(), ""


def _figure_key(name: str) -> tuple[int, str]:
    stem = Path(name).stem.lower()
    for i, prefix in enumerate(FIGURE_ORDER):
        if stem.startswith(prefix):
            return i, stem
    return len(FIGURE_ORDER), stem


def _cards(metrics: Mapping, tr: Texts) -> str:
    items = [(tr(f"metric.{key}"), metrics[key]) for key in METRIC_KEYS if key in metrics]
    test = metrics.get("test")
    if isinstance(test, Mapping):
        items += [(tr("metric.test", name=k), v) for k, v in test.items()]
    cards = "".join(f'<div class="card"><div class="k">{html.escape(k)}</div>'
                    f'<div class="v">{_e(v)}</div></div>' for k, v in items)
    return f'<div class="cards">{cards}</div>'


def _kv_table(data: Mapping, tr: Texts, key: str = "setting") -> str:
    rows = "".join(f'<tr><td class="key">{html.escape(str(k))}</td><td class="key">{_e(v)}</td></tr>'
                   for k, v in data.items())
    return (f'<table><tr><th class="key">{html.escape(tr(key))}</th>'
            f'<th class="key">{html.escape(tr("value"))}</th></tr>{rows}</table>')


def _params(metrics: Mapping, tr: Texts) -> str:
    params = metrics.get("params")
    if not isinstance(params, Mapping):
        return ""
    return (f"<h2>{html.escape(tr('params'))}</h2><p class='sub'>{html.escape(tr('params_units'))}</p>"
            + _kv_table(params, tr, key="parameter"))


HISTORY_ROWS = 200  # epochs shown in the report's table; history.csv has every one


def shown_epochs(n: int, limit: int = HISTORY_ROWS) -> tuple[list[int], int]:
    """Which of ``n`` history rows the report shows: all when at most ``limit``, else every
    ``step``-th from the first, and the last. Returns (row indices, step).

    >>> shown_epochs(5)
    ([0, 1, 2, 3, 4], 1)
    >>> rows, step = shown_epochs(5000); (len(rows), step, rows[:3], rows[-1])
    (201, 25, [0, 25, 50], 4999)
    """
    if n <= limit:
        return list(range(n)), 1
    step = -(-n // limit)
    rows = list(range(0, n, step))
    return rows + ([n - 1] if rows[-1] != n - 1 else []), step


def _history_table(history: Sequence[Mapping], tr: Texts) -> str:
    if not history:
        return f"<p>{html.escape(tr('no_history'))}</p>"
    cols: list[str] = []
    for row in history:
        cols += [c for c in row if c not in cols]
    rows, step = shown_epochs(len(history))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_e(history[i].get(c))}</td>" for c in cols) + "</tr>"
                   for i in rows)
    table = f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'
    summary = tr("history_summary", n=len(history)) if step == 1 else \
        tr("history_thinned", n=len(history), step=step)
    is_open = " open" if len(rows) <= 60 else ""
    return f"<details{is_open}><summary>{html.escape(summary)}</summary>{table}</details>"


def build_report_html(
    config: Mapping,
    metrics: Mapping,
    history: Sequence[Mapping],
    images: Mapping[str, bytes],
    *,
    title: str | None = None,
    lang: str = "en",
) -> str:
    """The report as one HTML string: title, key metrics, figures, config, history.

    Parameters
    ----------
    config : dict
        The resolved settings (``config.json``).
    metrics : dict
        Final metrics (``metrics.json``).
    history : list of dict
        One dict per epoch.
    images : dict of str to bytes
        File name → PNG bytes; embedded as ``data:image/png;base64`` URIs.
    title : str, optional
    lang : {"en", "zh"}, default="en"
        Language of the headings, labels and captions (the numbers and the settings'
        names are the same in both).
    """
    tr = Texts(lang, "report")
    model = metrics.get("model") or config.get("model") or "model"
    task = metrics.get("task") or config.get("task")
    if title is None:
        title = tr("title_task", model=model, task=task) if task else tr("title", model=model)
    bits = [tr("sub.data", value=config["data"]) if config.get("data") else "",
            tr("sub.optimizer", value=config["optimizer"]) if config.get("optimizer") else "",
            tr("sub.lr", value=_fmt(config["lr"])) if config.get("lr") is not None else "",
            tr("sub.engine", value=config["engine"]) if config.get("engine") else ""]
    sub = " · ".join(b for b in bits if b)

    warn = ""
    if metrics.get("stopped_reason") == "diverged":
        warn = (f'<div class="warn"><b>{html.escape(tr("diverged"))}</b>: '
                f"{html.escape(tr('diverged_hint'))}</div>")

    figures = []
    for name in sorted(images, key=_figure_key):
        data = base64.b64encode(images[name]).decode("ascii")
        caption, hint = _caption(name, tr)
        cap = html.escape(caption)
        hint_html = f"<br>{html.escape(hint)}" if hint else ""
        figures.append(f'<figure><img src="data:image/png;base64,{data}" alt="{cap}">'
                       f"<figcaption><b>{cap}</b> <small>({html.escape(name)})</small>"
                       f"{hint_html}</figcaption></figure>")
    fig_html = "".join(figures) or f"<p>{html.escape(tr('no_figures'))}</p>"

    return f"""<!DOCTYPE html>
<html lang="{'zh-Hans' if tr.lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
<p class="sub">{html.escape(sub)}</p>
{warn}
<h2>{html.escape(tr("h.metrics"))}</h2>
{_cards(metrics, tr)}
{_params(metrics, tr)}
<h2>{html.escape(tr("h.figures"))}</h2>
{fig_html}
<h2>{html.escape(tr("h.config"))}</h2>
{_kv_table(config, tr)}
<h2>{html.escape(tr("h.history"))}</h2>
{_history_table(history, tr)}
<footer>{html.escape(tr("footer"))}</footer>
</main>
</body>
</html>
"""


def _parse_cell(text: str) -> Any:
    t = text.strip()
    if t == "" or t.lower() in ("none", "null"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def read_history_csv(path: str | os.PathLike, *, shown: bool = False) -> list[dict]:
    """``history.csv`` as a list of dicts; empty cells → None, numbers → int/float.
    ``shown=True``: only the rows the report's table shows (:func:`shown_epochs`), the
    others as empty dicts, so a long run's report parses 200 rows, not all of them."""
    with open(path, newline="", encoding="utf-8") as f:
        raw = list(csv.DictReader(f))
    keep = set(shown_epochs(len(raw))[0]) if shown else range(len(raw))
    return [{k: _parse_cell(v or "") for k, v in row.items()} if i in keep else {}
            for i, row in enumerate(raw)]


def _read_json(path: Path) -> dict:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_report(run_dir: str | os.PathLike, *, title: str | None = None, lang: str = "en") -> Path:
    """Write ``run_dir/report.html`` from ``config.json``, ``metrics.json``,
    ``history.csv`` and every ``*.png`` in the folder, in ``lang``; returns its path.

    The file is written atomically (a temporary file, then ``os.replace``).
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise FileNotFoundError(f"run folder {str(run)!r} does not exist")
    config = _read_json(run / "config.json")
    metrics = _read_json(run / "metrics.json")
    hist_path = run / "history.csv"
    history = read_history_csv(hist_path, shown=True) if hist_path.exists() else []
    images = {p.name: p.read_bytes() for p in sorted(run.glob("*.png"))}
    out = run / "report.html"
    atomic_write_text(out, build_report_html(config, metrics, history, images, title=title, lang=lang))
    return out
