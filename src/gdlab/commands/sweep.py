"""``gdlab sweep``: the same training at several learning rates, side by side."""

from __future__ import annotations

import click

from ..errors import GdlabError
from ._options import config_from_options, training_options


def parse_lrs(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise GdlabError(f"--lr must be comma-separated numbers, got {text!r}") from None
    if not values or any(not v > 0 for v in values):
        raise GdlabError(f"--lr needs positive learning rates, got {text!r}")
    return sorted(set(values))


@click.command()
@click.argument("data", required=False, default="synthetic-linear")
@training_options
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for sweep.png (default: runs/sweep-<timestamp>).")
def command(data, out, **options):
    """Train on DATA once per learning rate (--lr 0.001,0.01,0.1,1) and draw the loss curves."""
    import time
    from pathlib import Path

    from ..experiments import sweep
    from ..viz import final_loss_table, lr_sweep, save_figure

    lr_text = options.pop("lr_list")
    cfg = config_from_options(options, quiet=True)
    lrs = parse_lrs(lr_text)
    click.echo(f"sweeping {len(lrs)} learning rates on {data} ({cfg.optimizer}, {cfg.epochs} epochs):")
    curves, diverged = sweep(data, cfg, lrs, log=click.echo)
    rows = final_loss_table(curves, diverged)
    click.echo(f"\n{'lr':>10}  {'final train loss':>16}  {'final val loss':>14}  status")
    for r in rows:
        fmt = lambda v: "-" if v is None else f"{v:.6g}"  # noqa: E731
        mark = "  ← best" if r["best"] else ""
        click.echo(f"{r['lr']:>10g}  {fmt(r['final_train_loss']):>16}  {fmt(r['final_val_loss']):>14}  {r['status']}{mark}")
    folder = Path(out or f"runs/sweep-{time.strftime('%Y%m%d-%H%M%S')}")
    fig = lr_sweep(curves, diverged=diverged, loss_name=cfg.loss,
                   title=f"Learning-rate sweep on {data} ({cfg.optimizer}, {cfg.epochs} epochs)")
    path = save_figure(fig, folder / "sweep.png")
    click.echo(f"\nfigure: {path}")


# --lr takes a list here, so swap the single-rate flag of the shared options for one
for i, p in enumerate(command.params):
    if p.name == "lr":
        command.params[i] = click.Option(["--lr", "lr_list"], default="0.001,0.01,0.1,1",
                                         show_default=True, help="Comma-separated learning rates.")
