"""``gdlab datasets``: the built-in data sets; ``--export NAME FILE`` writes one as a table."""

from __future__ import annotations

import click


@click.command()
@click.option("--export", "export", nargs=2, type=str, default=None, metavar="NAME FILE",
              help="Write built-in data set NAME to FILE (.csv or .parquet), e.g. --export iris iris.csv.")
def command(export):
    """List the built-in datasets with their shapes and task."""
    if export is not None:
        from ..data import export_builtin

        name, path = export
        written = export_builtin(name, path)
        click.echo(f"wrote {name} to {written}")
        return
    from ..data.catalog import list_datasets

    rows = list_datasets()
    click.echo(f"{'name':<18}{'rows':>6}{'features':>10}  {'task':<11}{'classes':>8}  description")
    for r in rows:
        classes = str(r["n_classes"]) if r["n_classes"] else "-"
        click.echo(f"{r['name']:<18}{r['n_samples']:>6}{r['n_features']:>10}  {r['task']:<11}{classes:>8}  {r['description']}")
    click.echo("\nOr pass a file: .csv, .parquet, .npy, .npz, .h5/.hdf5 (see `gdlab train --help`).")
