"""``gdlab surface``: the loss surface with each optimizer's path from the same start.

For a model with two parameters (one feature, linear or logistic regression: w and b) the
figure is the exact loss over (w, b); for larger models, a 2-D slice through the final
parameters (one figure per optimizer) with the path projected onto it. Optimizers are
``name[:batch]``: ``gd``, ``sgd``, ``minibatch:5``, ``momentum``, ``nesterov``, ``adam``
(momentum, nesterov and adam use the full batch unless a batch size is given).
``--animate paths.gif`` also writes the paths growing step by step (two-parameter
models; one frame per recorded step of the longest path).
"""

from __future__ import annotations

import click

from ..errors import GdlabError
from ..experiments import parse_optimizers
from ._options import config_from_options, training_options


def parse_start(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        w, b = (float(v) for v in text.split(","))
    except ValueError:
        raise GdlabError(f"--start must be W,B (two numbers), got {text!r}") from None
    return w, b


@click.command()
@click.argument("data", required=False, default="line-1d")
@training_options
@click.option("--optimizers", default="gd,sgd,minibatch:5,momentum", show_default=True,
              help="Comma-separated name[:batch] list.")
@click.option("--start", default=None, help="Initial W,B for a two-parameter model, e.g. -15,-10.")
@click.option("--directions", default="random", show_default=True,
              help="Larger models: 'random' or two parameter names separated by ';', e.g. 'layers.0.weight[0, 0];layers.0.bias[0]'.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the figures (default: runs/surface-<timestamp>).")
@click.option("--animate", "animate", type=click.Path(dir_okay=False), default=None,
              help="Also write the paths growing step by step as an animated GIF (one frame per "
                   "recorded step; two-parameter models).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of the figures' labels (default: from the locale).")
@click.pass_context
def command(ctx, data, optimizers, start, directions, out, animate, lang, **options):
    """Draw the loss surface of DATA (default line-1d) with each optimizer's path on it."""
    import time
    from pathlib import Path

    from ..experiments import optimizer_paths, read_data
    from ..i18n import resolve_lang, t
    from ..viz import loss_slice, loss_surface_2param, save_figure

    lang = resolve_lang(lang)
    if animate is not None and not str(animate).lower().endswith(".gif"):
        raise GdlabError(f"--animate writes a GIF: give a file name ending in .gif, got {animate!r}")

    explicit = {k for k in options
                if ctx.get_parameter_source(k) is not click.core.ParameterSource.DEFAULT}
    # the surface is the loss on every row, in the data's own units, unless asked otherwise
    overrides = {"record_path": True, "quiet": True}
    if "standardize" not in explicit:
        overrides["standardize"] = False
    for key in ("val_fraction", "test_fraction"):
        if key not in explicit:
            overrides[key] = 0.0
    if "epochs" not in explicit:
        overrides["epochs"] = 10
    cfg = config_from_options(options, **overrides)
    specs = parse_optimizers(optimizers)
    dataset = read_data(data, cfg)
    click.echo(t("surface.headline", lang, data=dataset.name, n=dataset.n_samples, lr=cfg.lr,
                 epochs=cfg.epochs))
    results = optimizer_paths(dataset, cfg, specs, start=parse_start(start), log=click.echo, lang=lang)
    folder = Path(out or f"runs/surface-{time.strftime('%Y%m%d-%H%M%S')}")
    first_run = next(iter(results.values()))[0]
    X, y = first_run.encode(dataset.X), dataset.y  # filled and one-hot, as the model sees them
    if first_run.standardizer is not None:
        X = first_run.standardizer.transform(X)
    loss = first_run.config["loss"]
    two_params = first_run.path.shape[1] == 2 and first_run.config["model"] in ("linear", "logistic")
    if animate is not None and not two_params:
        raise GdlabError(f"--animate draws the (w, b) surface, which needs a model with two "
                         f"parameters (one feature, linear or logistic regression); {dataset.name} "
                         f"gives {first_run.path.shape[1]}")
    if two_params:
        from ..viz import animate_paths

        paths = {label: run.path for label, (run, _) in results.items()}
        title = t("surface_cmd.title", lang, data=dataset.name, loss=loss, lr=cfg.lr)
        fig = loss_surface_2param(X, y, loss=loss, model_kind=first_run.config["model"],
                                  paths=paths, title=title, lang=lang)
        path = save_figure(fig, folder / "surface.png")
        click.echo("\n" + t("exp.figure", lang, path=path))
        if animate is not None:
            gif = animate_paths(X, y, loss=loss, model_kind=first_run.config["model"], paths=paths,
                                path=animate, title=title, lang=lang)
            frames = max(len(p) for p in paths.values())
            click.echo(t("surface.animation", lang, path=gif, frames=frames))
        return
    if directions != "random":
        directions = tuple(d.strip() for d in directions.split(";"))
        if len(directions) != 2:
            raise GdlabError("--directions needs two parameter names separated by ';'")
    for label, (run, _) in results.items():
        fig = loss_slice(run.model, X, y, loss=loss, directions=directions, path=run.path, lang=lang,
                         title=t("surface_cmd.slice_title", lang, label=label, data=dataset.name))
        safe = label.replace(":", "-")
        click.echo(t("exp.figure", lang, path=save_figure(fig, folder / f"surface-{safe}.png")))
