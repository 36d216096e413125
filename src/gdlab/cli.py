"""The ``gdlab`` command line. Thin: it parses flags, calls the library, formats output.

Every command lives in ``gdlab.commands`` and imports what it needs inside its function,
so ``gdlab --help`` (and ``--version``, ``datasets``, ``lesson list``) start without
loading PyTorch, scikit-learn, matplotlib or numba.

Exit codes (DESIGN.md): 0 success; 2 bad usage or input (one line on stderr, no
traceback); 3 training diverged; 1 anything else (gdlab's own bugs).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from .errors import GdlabError

# In the order `gdlab --help` lists them.
COMMANDS = ("train", "predict", "evaluate", "export", "datasets", "lesson", "compare", "surface",
            "sweep", "bench", "serve")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gdlab")
    except PackageNotFoundError:
        return "unknown"


class LazyGroup(click.Group):
    """Each command is the ``command`` of module ``gdlab.commands.<name>``, imported when used."""

    def list_commands(self, ctx):
        return [name for name in COMMANDS if importlib.util.find_spec(f"gdlab.commands.{name}")]

    def get_command(self, ctx, name):
        if name not in COMMANDS or importlib.util.find_spec(f"gdlab.commands.{name}") is None:
            return None
        return importlib.import_module(f"gdlab.commands.{name}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(version=_version(), prog_name="gdlab")
def cli():
    """gdlab: linear neural networks trained by gradient descent.

    Start with `gdlab train` (trains linear regression on the d2l synthetic data),
    `gdlab lesson list` (the course experiments) or `gdlab datasets`.
    """


ARGV: list[str] = []  # the command line, for `gdlab train --nproc` to relaunch itself


def main(argv: list[str] | None = None) -> None:
    """Console entry point: map errors to exit codes, never show a traceback for bad input."""
    ARGV[:] = sys.argv[1:] if argv is None else list(argv)
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
        click.echo(f"gdlab: error: {e.cli_message()}", err=True)
        _report_to_launcher(e)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("gdlab: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except MemoryError:
        click.echo("gdlab: error: out of memory (try a smaller batch, --stream, or fewer hidden units)", err=True)
        sys.exit(2)
    except Exception as e:
        if os.environ.get("GDLAB_DEBUG"):
            raise
        click.echo(f"gdlab: internal error: {type(e).__name__}: {e} (set GDLAB_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)
    sys.exit(0)


def _report_to_launcher(e: GdlabError) -> None:
    """Under ``gdlab train --nproc``, leave the one-line error where the launcher finds it."""
    folder = os.environ.get("GDLAB_ERROR_DIR")
    if folder:
        rank = os.environ.get("RANK", "0")
        try:
            with open(os.path.join(folder, f"rank-{rank}"), "w") as f:
                f.write(f"{e.exit_code}\n{e.cli_message()}\n")
        except OSError:
            pass
