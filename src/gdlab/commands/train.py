"""``gdlab train``: train a model into a run folder (see ``gdlab.runfolder``)."""

from __future__ import annotations

import os
import sys

import click

from ..errors import DivergedError, GdlabError
from ._options import config_from_options, training_options

MAX_NPROC_PER_CORE = 1  # processes per core that --nproc allows on the CPU


@click.command()
@click.argument("data", required=False, default="synthetic-linear")
@training_options
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Run folder (default: runs/<timestamp>-<model>).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in --out (its .partial folder) from its last checkpoint.")
@click.option("--no-plots", is_flag=True, help="Do not draw figures into the run folder.")
@click.option("--tensorboard", is_flag=True, help="Also write TensorBoard event files (needs the tensorboard package).")
@click.option("--live", is_flag=True, help="Keep one loss plot up to date while training (a window, else <out>.partial/live.png).")
@click.option("--stream", is_flag=True, help="Read the file chunk by chunk instead of loading it (automatic for files too big for memory).")
@click.option("--nproc", type=int, default=None, help="Train with N processes (distributed data parallel, launched through torchrun).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language of the summary and figures (default: from the locale; zh* → Chinese).")
@click.pass_context
def command(ctx, data, out, resume, no_plots, tensorboard, live, stream, nproc, quiet, lang, **options):
    """Train a model on DATA (a built-in name or a file; default: synthetic-linear)."""
    from ..i18n import resolve_lang

    lang = resolve_lang(lang)
    explicit = {
        k for k in [*options, "data"]
        if ctx.get_parameter_source(k) is not click.core.ParameterSource.DEFAULT
    }
    cfg = config_from_options(options, quiet=quiet, stream=stream)
    if nproc is not None:
        from ..distributed import launched_by_torchrun

        if not launched_by_torchrun():
            _check_nproc(nproc, cfg.device)
            if resume:
                raise GdlabError("--resume runs in one process; drop --nproc to resume")
            from ..cli import ARGV
            from ..distributed import launch

            code = launch(nproc, _without_nproc(ARGV))
            if code:
                sys.exit(code)
            return
    from ..runfolder import train_to_folder

    try:
        result = train_to_folder(data, cfg, out=out, resume=resume, plots=not no_plots,
                                 tensorboard=tensorboard, live=live, explicit=explicit,
                                 log=click.echo, headline=lambda d, c: headline(d, c, lang=lang),
                                 lang=lang)
    except DivergedError as e:  # said in the run's language, with the flag to change
        if e.lr is None:
            raise
        from ..i18n import t

        raise DivergedError(t("train.hint_cli", lang, what=e.what, lr=e.lr), epoch=e.epoch) from None
    if result is not None:
        run, dataset, folder = result
        click.echo(summary(run, dataset, folder, lang=lang))


def _check_nproc(nproc: int, device: str) -> None:
    cores = os.cpu_count() or 1
    limit = cores * MAX_NPROC_PER_CORE
    if device == "cuda":
        import torch

        limit = max(1, torch.cuda.device_count())
    if not 1 <= nproc <= limit:
        where = "GPUs" if device == "cuda" else "CPU cores"
        raise GdlabError(f"--nproc must be in [1, {limit}] (this machine's {where}), got {nproc}")


def _without_nproc(argv: list[str]) -> list[str]:
    """The command line minus ``--nproc N`` (what each torchrun process runs)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def headline(data, cfg, *, lang: str = "en") -> str:
    from ..distributed import world
    from ..i18n import t
    from ..setup import model_kind

    _, size = world()
    kind = model_kind(cfg.model, data.task)
    return t("train.headline", lang, model=t(f"train.model.{kind}", lang), data=data.name,
             rows=data.n_samples, task=t(f"train.task.{data.task}", lang),
             features=count("train.features", data.n_features, lang),
             streamed=t("train.headline.streamed", lang) if cfg.stream else "",
             optimizer=cfg.optimizer, lr=cfg.lr, epochs=count("train.epochs", cfg.epochs, lang),
             processes=t("train.headline.processes", lang, n=size) if size > 1 else "")


def count(key: str, n: int, lang: str) -> str:
    """``n`` and its noun from ``KEY.one`` / ``KEY.many`` ("1 feature", "4 features")."""
    from ..i18n import t

    return t(f"{key}.one", lang) if n == 1 else t(f"{key}.many", lang, n=n)


def _fmt(x) -> str:
    return f"{x:.6g}" if isinstance(x, float | int) else str(x)


def _equation(names: list[str], weight: list[float], bias: float, target: str) -> str:
    terms = [f"{target} = {_fmt(bias)}"]
    for name, w in zip(names, weight, strict=False):
        terms.append(f"{'-' if w < 0 else '+'} {_fmt(abs(w))}·{name}")
    return " ".join(terms)


def summary(run, data, out, *, lang: str = "en") -> str:
    """What the run learned, in a few lines (numbers the same in every language)."""
    from ..i18n import t

    m, c = run.metrics, run.config
    lines = [
        t("train.done", lang, model=t(f"train.model.{m['model']}", lang), data=data.name,
          epochs=count("train.epochs", m["epochs_run"], lang), reason=t(f"train.reason.{m['stopped_reason']}", lang),
          optimizer=c["optimizer"], batch=c["batch_size"], lr=_fmt(c["lr"]), engine=c["engine"],
          device=c["device"], dtype=c["dtype"], seconds=m["seconds"]),
        t("train.rows", lang, train=m["n_train"], val=m["n_val"], test=m["n_test"]),
    ]
    if m["train_loss"] is None:
        losses = t("train.loss_missing", lang)
    else:
        losses = t("train.loss", lang, loss=m["loss"], train=_fmt(m["train_loss"]))
    if m["val_loss"] is not None:
        losses += t("train.loss_val", lang, val=_fmt(m["val_loss"]))
    lines.append(losses)
    if m["test"]:
        shown = {k: v for k, v in m["test"].items() if k != "confusion" and v is not None}
        lines.append(t("train.test", lang, scores=", ".join(f"{k} {_fmt(v)}" for k, v in shown.items())))
    params = m.get("params")
    if params and "weight" in params and m["model"] in ("linear", "logistic") and len(run.feature_names) <= 8:
        target = "logit" if m["model"] == "logistic" else run.target_name
        lines.append(t("train.learned", lang, equation=_equation(run.feature_names, params["weight"],
                                                              params["bias"][0], target)))
        if "true_w" in data.meta:
            lines.append(t("train.true", lang, w=list(data.meta["true_w"]), b=data.meta["true_b"]))
    lines.append(t("train.folder", lang, folder=out))
    return "\n".join(lines)
