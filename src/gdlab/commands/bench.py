"""``gdlab bench``: measure the performance table on this machine (DESIGN.md, Performance)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import GdlabError


@click.command("bench")
@click.option("--quick", is_flag=True, help="Small sizes: a smoke test that runs in seconds.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table: Markdown, or JSON when FILE ends in .json.")
def command(quick: bool, device: str, out: Path | None) -> None:
    """Benchmark gdlab against a read of X, common PyTorch loops and scikit-learn.

    Prints one table of ratios measured in this run (absolute times on shared machines
    are noise): full-batch effective bandwidth as a fraction of one read of X, mini-batch
    samples/s against a DataLoader loop and the notes' iterator, scikit-learn's SGD
    epoch, and peak memory. The full run uses 2,000,000 × 100 float32 rows (0.8 GB)
    and takes a few minutes.
    """
    from ..bench import run_bench
    from ..io import atomic_write_text
    from ..setup import resolve_device

    dev = str(resolve_device(device))
    if out is not None and not out.parent.exists():
        raise GdlabError(f"--out {out}: folder {out.parent} does not exist")
    report = run_bench(quick=quick, device=dev, log=lambda m: click.echo(m, err=True))
    click.echo(report.machine_lines())
    click.echo(report.table())
    missed = [r for r in report.rows if r.met is False]
    if missed:
        click.echo("targets not met: " + ", ".join(f"{r.what} ({r.ratio:.3g}, {r.target})" for r in missed))
    if out is not None:
        text = report.to_json() if out.suffix == ".json" else report.markdown()
        atomic_write_text(out, text)
        click.echo(f"wrote {out}")
