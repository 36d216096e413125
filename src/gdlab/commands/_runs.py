"""What predict and evaluate check about a run folder before using it."""

from __future__ import annotations

from pathlib import Path

from ..errors import GdlabError


def check_usable(run, run_dir, *, warn) -> None:
    """Refuse a folder still being written; warn about a run that diverged."""
    folder = Path(run_dir)
    if folder.name.endswith(".partial"):
        raise GdlabError(f"{folder}: an unfinished run (a .partial folder); use the finished "
                         f"{folder.name.removesuffix('.partial')} or resume it with --resume")
    if run.stopped_reason == "diverged":
        warn(f"gdlab: warning: the run in {folder} diverged; its predictions are not to be trusted")
