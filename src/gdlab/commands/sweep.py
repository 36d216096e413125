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
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language of the output and the figure (default: from the locale, LANG/LC_ALL).")
def command(data, out, lang, **options):
    """Train on DATA once per learning rate (--lr 0.001,0.01,0.1,1) and draw the loss curves."""
    import time
    from pathlib import Path

    from ..experiments import status_text, sweep
    from ..i18n import resolve_lang, rjust, t
    from ..viz import final_loss_table, lr_sweep, save_figure

    lang = resolve_lang(lang)
    lr_text = options.pop("lr_list")
    cfg = config_from_options(options, quiet=True)
    lrs = parse_lrs(lr_text)
    for lr in lrs:  # every rate checked before the first one trains
        cfg.replace(lr=lr)
    click.echo(t("sweep.headline", lang, n=len(lrs), data=data, optimizer=cfg.optimizer, epochs=cfg.epochs))
    curves, diverged = sweep(data, cfg, lrs, log=click.echo, lang=lang)
    rows = final_loss_table(curves, diverged)
    click.echo("\n" + "  ".join([rjust(t("sweep.h.lr", lang), 10), rjust(t("sweep.h.train", lang), 16),
                                  rjust(t("sweep.h.val", lang), 14), t("compare.h.status", lang)]))
    for r in rows:
        fmt = lambda v: "-" if v is None else f"{v:.6g}"  # noqa: E731
        mark = "  " + t("sweep.best", lang) if r["best"] else ""
        status = status_text(lang, diverged_at=r["diverged_at"])
        click.echo(f"{r['lr']:>10g}  {fmt(r['final_train_loss']):>16}  {fmt(r['final_val_loss']):>14}  {status}{mark}")
    folder = Path(out or f"runs/sweep-{time.strftime('%Y%m%d-%H%M%S')}")
    fig = lr_sweep(curves, diverged=diverged, loss_name=cfg.loss, lang=lang,
                   title=t("sweep.title", lang, data=data, optimizer=cfg.optimizer, epochs=cfg.epochs))
    path = save_figure(fig, folder / "sweep.png")
    click.echo("\n" + t("exp.figure", lang, path=path))


# --lr takes a list here, so swap the single-rate flag of the shared options for one
for i, p in enumerate(command.params):
    if p.name == "lr":
        command.params[i] = click.Option(["--lr", "lr_list"], default="0.001,0.01,0.1,1",
                                         show_default=True, help="Comma-separated learning rates.")
