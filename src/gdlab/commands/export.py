"""``gdlab export``: a saved run as one ONNX or TorchScript file, preprocessing included."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import GdlabError

FORMATS = ("onnx", "torchscript")  # gdlab.export.FORMATS, without importing torch
SUFFIX = {"onnx": ".onnx", "torchscript": ".pt"}
INSTALL_HINT = "pip install 'gdlab[export]'"  # as gdlab.export.INSTALL_HINT


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("--format", "fmt", default="onnx", show_default=True, metavar="onnx|torchscript",
              help="onnx: raw columns in (numbers as float64, categories as strings); "
                   "torchscript: raw-coded rows in (category codes, NaN missing).")
@click.option("--out", type=click.Path(), default=None,
              help="File to write (default: RUN_DIR.onnx or RUN_DIR.pt beside the run folder).")
def command(run_dir, fmt, out):
    """Export the model in RUN_DIR with its imputation, one-hot encoding and standardization."""
    fmt = str(fmt).strip().lower()
    if fmt not in FORMATS:
        raise GdlabError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    folder = Path(run_dir)
    out = Path(out) if out is not None else folder.with_name(folder.name + SUFFIX[fmt])
    if out.is_dir():
        raise GdlabError(f"--out {out}: is a folder; give a file name")
    if not out.parent.is_dir():
        raise GdlabError(f"--out {out}: the folder {out.parent} does not exist")
    if fmt == "onnx":
        _need_onnx()

    from ..checkpoint import load_run
    from ..export import check_exportable, description, export
    from ._runs import check_usable

    run = load_run(folder)
    warnings: list[str] = []
    check_usable(run, folder, warn=warnings.append)  # refuses a .partial folder
    check_exportable(run)  # non-finite weights: one error line, not a warning and an error
    for line in warnings:
        click.echo(line, err=True)
    export(run, fmt, out)
    desc = description(run, fmt)
    outputs = ", ".join(desc["outputs"])
    click.echo(f"wrote {out} ({fmt}: {len(desc['columns'])} input columns -> {outputs})", err=True)


def _need_onnx() -> None:
    """One line, before the run is read, when the export extra is not installed."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise GdlabError(f"--format onnx needs the onnx package: {INSTALL_HINT}") from None
