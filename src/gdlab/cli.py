"""The ``gdlab`` command line. Thin: it parses flags, calls the library, formats output.

Exit codes (DESIGN.md): 0 success; 2 bad usage or input (one line on stderr, no
traceback); 3 training diverged; 1 anything else.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import sys
from pathlib import Path

import click

from .errors import GdlabError

CORE_COMMANDS = ("train", "predict", "evaluate", "datasets")


class LazyGroup(click.Group):
    """Core commands live here; more are found as modules of ``gdlab.commands``."""

    def _extra(self) -> list[str]:
        from . import commands

        return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *self._extra()])

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is None and name in self._extra():
            cmd = importlib.import_module(f"gdlab.commands.{name}").command
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="gdlab")
def cli():
    """gdlab: linear neural networks trained by gradient descent.

    Start with `gdlab train` (trains linear regression on the d2l synthetic data),
    `gdlab lesson list` (the course experiments) or `gdlab datasets`.
    """


_ARGV: list[str] = []  # the command line, for `gdlab train --nproc` to relaunch itself


def main(argv: list[str] | None = None) -> None:
    """Console entry point: map errors to exit codes, never show a traceback for bad input."""
    _ARGV[:] = sys.argv[1:] if argv is None else list(argv)
    try:
        cli.main(args=argv, prog_name="gdlab", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("gdlab: aborted", err=True)
        sys.exit(130)
    except GdlabError as e:
        click.echo(f"gdlab: error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("gdlab: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:
        if os.environ.get("GDLAB_DEBUG"):
            raise
        click.echo(f"gdlab: internal error: {type(e).__name__}: {e} (set GDLAB_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)
    sys.exit(0)


# --- train -----------------------------------------------------------------------------
from .commands._options import config_from_options, training_options  # noqa: E402


@cli.command()
@click.argument("data", required=False, default="synthetic-linear")
@training_options
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Run folder (default: runs/<timestamp>-<model>).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run in --out from its last completed epoch.")
@click.option("--no-plots", is_flag=True, help="Do not draw figures into the run folder.")
@click.option("--tensorboard", is_flag=True, help="Also write TensorBoard event files (needs the tensorboard package).")
@click.option("--stream", is_flag=True, help="Read the file chunk by chunk instead of loading it (automatic for files too big for memory).")
@click.option("--nproc", type=int, default=None, help="Train with N processes (distributed data parallel, launched through torchrun).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@click.pass_context
def train(ctx, data, out, resume, no_plots, tensorboard, stream, nproc, quiet, **options):
    """Train a model on DATA (a built-in name or a file; default: synthetic-linear)."""
    from .runner import run_training

    explicit = {
        k for k in options
        if ctx.get_parameter_source(k) is not click.core.ParameterSource.DEFAULT
    }
    cfg = config_from_options(options, quiet=quiet, stream=stream)
    code = run_training(
        data, cfg, out=out, resume=resume, plots=not no_plots, tensorboard=tensorboard,
        explicit=explicit, nproc=nproc, argv=_ARGV,
    )
    if code:
        sys.exit(code)


# --- predict / evaluate ----------------------------------------------------------------
@cli.command()
@click.argument("run_dir", type=click.Path())
@click.argument("data", type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="CSV file to write (default: standard output).")
def predict(run_dir, data, out):
    """Predict DATA with the model saved in RUN_DIR: one CSV row per input row."""
    import numpy as np
    import pandas as pd

    from .checkpoint import atomic_write_text, load_run
    from .data import load_features

    run = load_run(run_dir)
    X, _, ids = load_features(data, run.feature_names, target_name=run.target_name)
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


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.argument("data", type=click.Path())
def evaluate(run_dir, data):
    """Score the model in RUN_DIR on new labeled DATA; prints and writes eval-<name>.json."""
    import numpy as np

    from .checkpoint import atomic_write_json, load_run
    from .data import load_features
    from .metrics import evaluate_arrays

    run = load_run(run_dir)
    X, y_raw, ids = load_features(data, run.feature_names, target_name=run.target_name)
    if y_raw is None:
        raise GdlabError(f"{data}: no target column {run.target_name!r} to evaluate against")
    if run.task == "regression":
        y = np.asarray(y_raw, dtype=np.float64)
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
    metrics = evaluate_arrays(run.decision(X), y, run.task)
    result = {"data": str(data), "n": len(y), **metrics}
    path = Path(run_dir) / f"eval-{Path(data).stem}.json"
    atomic_write_json(path, result)
    for k, v in metrics.items():
        click.echo(f"{k:<10} {v:.6g}")
    click.echo(f"(n = {len(y)}; written to {path})")


# --- datasets ---------------------------------------------------------------------------
@cli.command()
def datasets():
    """List the built-in datasets with their shapes and task."""
    from .data import list_datasets

    rows = list_datasets()
    click.echo(f"{'name':<18}{'rows':>6}{'features':>10}  {'task':<11}{'classes':>8}  description")
    for r in rows:
        classes = str(r["n_classes"]) if r["n_classes"] else "-"
        click.echo(f"{r['name']:<18}{r['n_samples']:>6}{r['n_features']:>10}  {r['task']:<11}{classes:>8}  {r['description']}")
    click.echo("\nOr pass a file: .csv, .parquet, .npy, .npz, .h5/.hdf5 (see `gdlab train --help`).")

