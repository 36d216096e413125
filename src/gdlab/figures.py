"""The figures ``gdlab train`` draws into a run folder, and its HTML report.

- ``loss.png``: train/validation loss per epoch (accuracy for classifiers), with the
  per-update loss faint behind it for SGD and mini-batches;
- regression: ``fit.png`` (data and fitted line for one feature; predicted vs true and
  residuals otherwise);
- classification: ``boundary.png`` (probability over the plane, or the plane of the two
  leading principal components) and ``confusion.png`` on the test split (or the
  training rows when there is no test split);
- ``report.html``: everything above plus config, metrics and history, self-contained.

Everything is labelled in ``lang`` ("en" or "zh"); the numbers are the same in both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import split_dataset
from .display import short_number
from .i18n import Texts
from .report import write_report
from .viz import confusion_matrix_plot, decision_boundary, fit_plot, loss_curve, save_figure

MAX_POINTS = 5_000  # rows drawn in scatter figures (a seeded sample beyond that)


def _sample(X, y, *, seed: int = 0):
    if len(X) <= MAX_POINTS:
        return X, y
    idx = np.random.default_rng(seed).choice(len(X), MAX_POINTS, replace=False)
    return X[idx], y[idx]


def _points(data):
    """Rows to draw: the data (a seeded sample if large); for a stream, its first chunks."""
    if hasattr(data, "X"):
        return _sample(data.X, data.y)
    parts, n = [], 0
    for i in data.chunks:
        parts.append(data.train_rows(i))
        n += len(parts[-1][0])
        if n >= MAX_POINTS:
            break
    return np.concatenate([p[0] for p in parts])[:MAX_POINTS], np.concatenate([p[1] for p in parts])[:MAX_POINTS]


def _scored_rows(data, cfg, tr: Texts):
    """(X, y, description) for the confusion matrix: the test split when there is one."""
    if not hasattr(data, "X"):  # a stream: the test rows of its first chunk, else training rows
        from .data.stream import TEST

        X, y = data.chunk(0)
        ids = data.split_of(*data.source.ranges()[0])
        if (ids == TEST).any():
            return X[ids == TEST], y[ids == TEST], tr("rows.first_chunk_test")
        return X, y, tr("rows.first_chunk")
    s = split_dataset(data, test_fraction=cfg["test_fraction"],
                      val_fraction=cfg["val_fraction"], seed=cfg["seed"])
    if s.X_test is not None:
        return s.X_test, s.y_test, tr("rows.test")
    return s.X_train, s.y_train, tr("rows.train")


def _model_view(run, data, X, y):
    """Rows as the model sees them (cells filled, categories one-hot) and targets as the
    run trains on them (class labels that are numbers, as numbers, for a regression)."""
    X = run.encode(X) if run.preprocessor is not None else X
    classes = getattr(data, "classes", None)
    if run.task == "regression" and classes is not None:
        y = np.asarray(classes, dtype=np.float64)[np.asarray(y, dtype=np.int64)]
    return X, y


def write_run_figures(run, data, folder: str | Path, *, lang: str = "en") -> list[Path]:
    """Draw the run's figures into ``folder`` and write ``report.html``; returns the paths.

    The figures show the rows in the model's own columns (encoded), so the predictions
    they draw take them as they are (``encoded=True``)."""
    tr = Texts(lang, "figures")
    folder = Path(folder)
    cfg = run.config
    written = []
    predict = lambda Z: run.predict(Z, encoded=True)  # noqa: E731
    proba = lambda Z: run.predict_proba(Z, encoded=True)  # noqa: E731
    what = tr("what", model=cfg["model"], data=data.name)
    fig = loss_curve(run.history, run.steps, loss_name=cfg["loss"], lang=lang,
                     title=tr("loss", what=what, optimizer=cfg["optimizer"], lr=short_number(cfg["lr"])))
    written.append(save_figure(fig, folder / "loss.png"))
    X, y = _model_view(run, data, *_points(data))
    if run.task == "regression":
        if run.model.out_features == 1:
            fig = fit_plot(predict, X, y, feature_names=run.feature_names,
                           target_name=run.target_name, title=tr("fit", what=what), lang=lang)
            written.append(save_figure(fig, folder / "fit.png"))
    else:
        fig = decision_boundary(proba, X, y, feature_names=run.feature_names,
                                classes=run.classes, target_name=run.target_name,
                                title=tr("boundary", what=what), lang=lang)
        written.append(save_figure(fig, folder / "boundary.png"))
        Xc, yc, where = _scored_rows(data, cfg, tr)
        Xc, yc = _model_view(run, data, Xc, yc)
        fig = confusion_matrix_plot(yc, proba(Xc), classes=run.classes, lang=lang,
                                    title=tr("confusion", what=what, where=where, n=len(yc)))
        written.append(save_figure(fig, folder / "confusion.png"))
    written.append(write_report(folder, lang=lang))
    return written
