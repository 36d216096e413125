"""The figures ``gdlab train`` draws into a run folder (wired to gdlab.viz)."""

from __future__ import annotations


def write_run_figures(run, data, folder) -> list:
    return []
