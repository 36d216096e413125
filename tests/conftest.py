"""Shared test helpers: run the CLI in-process and capture its exit code and output."""

from __future__ import annotations

import os

# scikit-learn's array-API estimator check runs only when SciPy is imported with this set
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import json
from pathlib import Path

import pytest

from gdlab.cli import main


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out[-500:]!r}, err={self.err[-500:]!r})"


@pytest.fixture
def gdlab_cli(capsys, monkeypatch, tmp_path):
    """Call ``gdlab ARGS`` in-process (cwd = tmp_path); returns code, stdout, stderr."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        code = exc.value.code if isinstance(exc.value.code, int) else 1
        return CliResult(code, captured.out, captured.err)

    return run


def read_metrics(folder: Path) -> dict:
    return json.loads((Path(folder) / "metrics.json").read_text())
