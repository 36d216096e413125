"""Errors that the command line turns into exit codes (DESIGN.md: 2 bad input, 3 diverged)."""

from __future__ import annotations


class GdlabError(Exception):
    """Bad usage or bad input. The message is one line that names what is wrong.

    The CLI prints it on stderr without a traceback and exits with code 2.
    """

    exit_code = 2


class DivergedError(GdlabError):
    """Training diverged (NaN/inf or an exploding loss). The CLI exits with code 3."""

    exit_code = 3

    def __init__(self, message: str, *, epoch: int, run=None):
        super().__init__(message)
        self.epoch = epoch
        self.run = run
