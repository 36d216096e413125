"""Errors that the command line turns into exit codes (DESIGN.md: 2 bad input, 3 diverged)."""

from __future__ import annotations

import re


class GdlabError(ValueError):
    """Bad usage or bad input. The message is one line that names what is wrong.

    A ``ValueError``, so Python callers can catch it as one. The CLI prints it on stderr
    without a traceback and exits with code 2.
    """

    exit_code = 2

    def cli_message(self) -> str:
        """The message as the command line shows it."""
        return str(self)


class SettingError(GdlabError):
    """A setting with a value outside what it allows.

    ``setting`` is the setting's Python name (``val_fraction``); the command line shows
    it as its flag (``--val-fraction``), the Python API as written.
    """

    def __init__(self, setting: str, value: object, message: str):
        super().__init__(message)
        self.setting = setting
        self.value = value

    def cli_message(self) -> str:
        name = self.setting.split("[")[0]
        flag = "--" + name.replace("_", "-")
        return re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", flag, str(self))


class DivergedError(GdlabError):
    """Training diverged (NaN/inf, an exploding loss, or a final loss above the initial
    one). The CLI exits with code 3."""

    exit_code = 3

    def __init__(self, message: str, *, epoch: int, run=None, lr: float | None = None):
        self.what = message  # what happened, without the hint
        self.lr = lr
        super().__init__(message if lr is None else f"{message}; try a smaller learning rate than lr {lr:g}")
        self.epoch = epoch
        self.run = run

    def cli_message(self) -> str:
        if self.lr is None:
            return str(self)
        return f"{self.what}; try a smaller learning rate than --lr {self.lr:g}"


class Interrupted(GdlabError):
    """A run stopped by SIGINT or SIGTERM after saving its checkpoint (exit 130 / 143)."""

    def __init__(self, message: str, *, exit_code: int = 130):
        super().__init__(message)
        self.exit_code = exit_code
