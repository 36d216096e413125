"""Shared test helpers: run the CLI in-process and capture its exit code and output."""

from __future__ import annotations

import os

# scikit-learn's array-API estimator check runs only when SciPy is imported with this set
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

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


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Tiny tensors on a busy 2-core machine: intra-op threads only add barrier waits
    (and `gdlab serve` trains on one thread too). Restores the setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def playground_server() -> Iterator[int]:
    """A real playground server (uvicorn, as `gdlab serve` runs it) on a free port."""
    from gdlab.web.server import bind, make_server

    sock = bind("127.0.0.1", 0)
    srv = make_server(sock, "127.0.0.1")
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(1000):
        if srv.started:
            break
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()
