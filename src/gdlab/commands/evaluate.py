"""``gdlab evaluate``: scores of a saved run on new labeled rows."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import GdlabError


@click.command()
@click.argument("run_dir", type=click.Path())
@click.argument("data", type=click.Path())
def command(run_dir, data):
    """Score the model in RUN_DIR on new labeled DATA; prints and writes eval-<name>.json."""
    import numpy as np

    from ..checkpoint import load_run
    from ..data import load_features
    from ..io import atomic_write_json
    from ..metrics import scores
    from ..runfolder import run_lock
    from ._runs import check_usable

    run = load_run(run_dir)
    check_usable(run, run_dir, warn=lambda m: click.echo(m, err=True))
    X, y_raw, ids, notes = load_features(data, run.input_names, target_name=run.target_name,
                                         preprocessor=run.preprocessor, return_notes=True)
    for note in notes:
        click.echo(note, err=True)
    if y_raw is None:
        raise GdlabError(f"{data}: no target column {run.target_name!r} to evaluate against")
    if run.task == "regression":
        try:
            y = np.asarray(y_raw, dtype=np.float64)
        except (TypeError, ValueError):
            bad = next(v for v in y_raw if not _is_number(v))
            raise GdlabError(f"{data}: column {run.target_name!r}: {bad!r} is not a number; the "
                             "model predicts a numeric target") from None
        if not np.isfinite(y).all():
            i = int(np.flatnonzero(~np.isfinite(y))[0])
            raise GdlabError(f"{data}: row {ids[i]}, column {run.target_name!r}: {y[i]} is not a finite number")
    else:
        index = {str(c): i for i, c in enumerate(run.classes)}
        y = np.empty(len(y_raw), dtype=np.int64)
        for i, (row, label) in enumerate(zip(ids, y_raw, strict=False)):
            key = str(label)
            if key not in index and isinstance(label, float) and label.is_integer():
                key = str(int(label))
            if key not in index:
                raise GdlabError(
                    f"{data}: row {row}, column {run.target_name!r}: unknown class {label!r} "
                    f"(the model knows {', '.join(map(str, run.classes))})"
                )
            y[i] = index[key]
    metrics = scores(run.decision(X), y, run.task)
    result = {"data": str(data), "n": len(y), **metrics}
    path = Path(run_dir) / f"eval-{Path(data).stem}.json"
    with run_lock(Path(run_dir)):
        atomic_write_json(path, result)
    for k, v in metrics.items():
        if k == "confusion":
            click.echo(f"{'confusion':<18} {v}")
        elif v is not None:
            click.echo(f"{k:<18} {v:.6g}")
    click.echo(f"(n = {len(y)}; written to {path})")


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
