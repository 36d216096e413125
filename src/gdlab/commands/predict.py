"""``gdlab predict``: predictions of a saved run for new rows."""

from __future__ import annotations

import io

import click


@click.command()
@click.argument("run_dir", type=click.Path())
@click.argument("data", type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="CSV file to write (default: standard output).")
def command(run_dir, data, out):
    """Predict DATA with the model saved in RUN_DIR: one CSV row per input row."""
    import numpy as np
    import pandas as pd

    from ..checkpoint import load_run
    from ..data import load_features
    from ..io import atomic_write_text
    from ._runs import check_usable

    run = load_run(run_dir)
    check_usable(run, run_dir, warn=lambda m: click.echo(m, err=True))
    X, _, ids, notes = load_features(data, run.input_names, target_name=None,
                                     preprocessor=run.preprocessor, return_notes=True)
    for note in notes:
        click.echo(note, err=True)
    frame = pd.DataFrame({"row": ids, "prediction": run.predict(X)})
    if run.task != "regression":
        proba = run.predict_proba(X)
        for j, c in enumerate(run.classes):
            frame[f"proba_{c}"] = np.round(proba[:, j], 6)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    if out is None:
        click.echo(buf.getvalue(), nl=False)
    else:
        atomic_write_text(out, buf.getvalue())
        click.echo(f"wrote {len(frame)} predictions to {out}", err=True)
