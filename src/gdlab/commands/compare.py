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


def format_table(rows: list[dict]) -> list[str]:
    """The rows as aligned text lines."""
    ref = rows[0]["reference"]
    headers = ["engine", "final loss", f"max |Δθ| vs {ref}", "s / epoch", "speed vs slowest", "status"]
    body = []
    for r in rows:
        if r["final_loss"] is None:
            body.append([r["engine"], "-", "-", "-", "-", r["status"]])
            continue
        body.append([
            r["engine"], f"{r['final_loss']:.10g}", f"{r['max_param_diff']:.3g}",
            f"{r['seconds_per_epoch']:.3g}", f"{r['speed_ratio']:.1f}x", r["status"],
        ])
    widths = [max(len(h), *(len(b[j]) for b in body)) for j, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if j in (0, 5) else h.rjust(w) for j, (h, w) in enumerate(zip(headers, widths, strict=True))).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for b in body:
        lines.append("  ".join(c.ljust(w) if j in (0, 5) else c.rjust(w) for j, (c, w) in enumerate(zip(b, widths, strict=True))).rstrip())
    return lines


@click.command()
@click.argument("data", required=False, default="synthetic-linear")
@click.option("--engines", "engine_list", default=",".join(ENGINES), show_default=True,
              help="Comma-separated engines to run the same training through.")
@training_options
@click.option("--start", default=None,
              help="Initial parameters, in order (w then b), e.g. 1 for y = w·x from w = 1 (with --no-bias).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the table as CSV to this file.")
def command(data, engine_list, start, out, **options):
    """Train on DATA once per engine (same data, seed and batches) and compare them."""
    import io

    import pandas as pd

    from ..io import atomic_write_text

    engines = parse_engines(engine_list)
    options.pop("engine", None)
    cfg = config_from_options(options, quiet=True)
    click.echo(f"training on {data} with {cfg.optimizer}, lr {cfg.lr}, {cfg.epochs} epochs, "
               f"{cfg.dtype}, seed {cfg.seed}, through {len(engines)} engines ...")
    rows = compare_engines(data, cfg, engines, start=_numbers(start))
    click.echo("")
    for line in format_table(rows):
        click.echo(line)
    click.echo("\nseconds are measurements on this machine: they vary from run to run.")
    if out is not None:
        buf = io.StringIO()
        pd.DataFrame(rows).to_csv(buf, index=False)
        atomic_write_text(out, buf.getvalue())
        click.echo(f"table written to {out}")


# every engine runs here, so the shared --engine flag does not apply
command.params = [p for p in command.params if p.name != "engine"]
