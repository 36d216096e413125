"""``gdlab compare``: the same training through several engines, in one table.

Every engine gets the same data, split, seed, initial parameters and batch order, so
the runs differ only in how the gradient step is computed (SPEC.md §2). The table shows
how far each lands from the reference engine (``nn`` when it is listed) and how fast
each is — the vectorization lesson on any data.
"""

from __future__ import annotations

import click

from ..errors import GdlabError
from ..experiments import ENGINES, compare_engines
from ._options import config_from_options, training_options


def _numbers(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise GdlabError(f"--start must be comma-separated numbers, got {text!r}") from None


def parse_engines(text: str) -> list[str]:
    """``"scalar,manual"`` → ``["scalar", "manual"]``; each name must be an engine, once."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise GdlabError(f"--engines needs at least one engine name, got {text!r}")
    for name in names:
        if name not in ENGINES:
            raise GdlabError(f"--engines: unknown engine {name!r}; choose from {', '.join(ENGINES)}")
    if len(set(names)) != len(names):
        raise GdlabError(f"--engines names an engine twice: {text!r}")
    return names


def format_table(rows: list[dict], lang: str = "en") -> list[str]:
    """The rows as aligned text lines, in ``lang``."""
    from ..experiments import status_text
    from ..i18n import ljust, rjust, t

    ref = rows[0]["reference"]
    headers = [t("compare.h.engine", lang), t("compare.h.final_loss", lang),
               t("compare.h.diff", lang, ref=ref), t("compare.h.seconds", lang),
               t("compare.h.speed", lang), t("compare.h.status", lang)]
    body = []
    for r in rows:
        status = status_text(lang, diverged_at=r.get("diverged_at"), refused=r.get("refused"))
        if r["final_loss"] is None:
            body.append([r["engine"], "-", "-", "-", "-", status])
            continue
        body.append([
            r["engine"], f"{r['final_loss']:.10g}", f"{r['max_param_diff']:.3g}",
            f"{r['seconds_per_epoch']:.3g}", f"{r['speed_ratio']:.1f}x", status,
        ])
    from ..i18n import display_width

    widths = [max(display_width(h), *(display_width(b[j]) for b in body)) for j, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(ljust(c, w) if j in (0, 5) else rjust(c, w)
                         for j, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(b) for b in body)]


@click.command()
@click.argument("data", required=False, default="synthetic-linear")
@click.option("--engines", "engine_list", default=",".join(ENGINES), show_default=True,
              help="Comma-separated engines to run the same training through.")
@training_options
@click.option("--start", default=None,
              help="Initial parameters, in order (w then b), e.g. 1 for y = w·x from w = 1 (with --no-bias).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the table as CSV to this file.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language of the output (default: from the locale, LANG/LC_ALL).")
def command(data, engine_list, start, out, lang, **options):
    """Train on DATA once per engine (same data, seed and batches) and compare them."""
    import io

    import pandas as pd

    from ..i18n import resolve_lang, t
    from ..io import atomic_write_text

    lang = resolve_lang(lang)
    engines = parse_engines(engine_list)
    options.pop("engine", None)
    cfg = config_from_options(options, quiet=True)
    click.echo(t("compare.headline", lang, data=data, optimizer=cfg.optimizer, lr=cfg.lr,
                 epochs=cfg.epochs, dtype=cfg.dtype, seed=cfg.seed, n=len(engines)))
    rows = compare_engines(data, cfg, engines, start=_numbers(start))
    click.echo("")
    for line in format_table(rows, lang):
        click.echo(line)
    click.echo("\n" + t("compare.seconds_note", lang))
    if out is not None:
        buf = io.StringIO()
        pd.DataFrame(rows).to_csv(buf, index=False)
        atomic_write_text(out, buf.getvalue())
        click.echo(t("exp.written", lang, path=out))


# every engine runs here, so the shared --engine flag does not apply
command.params = [p for p in command.params if p.name != "engine"]
