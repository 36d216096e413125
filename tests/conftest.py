"""Shared test helpers: run the CLI in-process and capture its exit code and output."""

from __future__ import annotations

import os

# scikit-learn's array-API estimator check runs only when SciPy is imported with this set
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import contextlib
import json
import subprocess
import sys
import tempfile
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


def cli_error(r: CliResult, *needles: str) -> None:
    """``gdlab_cli``'s result is a usage error: exit 2, one line on stderr holding every
    needle, no traceback."""
    assert r.code == 2, r
    assert "Traceback" not in r.err
    lines = [ln for ln in r.err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, r.err
    for needle in needles:
        assert needle in r.err, (needle, r.err)


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


# --- peak memory of a child process ---------------------------------------------------------
# The kernel's high-water mark of the child alone (VmHWM, reset at its start through
# /proc/self/clear_refs). ru_maxrss would also count the pytest process it was started
# from: Linux carries the parent's peak across fork/vfork and exec.
PEAK_BOOTSTRAP = """
import atexit, json, sys
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
out = sys.argv.pop(1)

def _peak():
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(out, "w") as f:
        f.write(json.dumps(kb * 1024))

atexit.register(_peak)
"""


def run_measured(code_or_gdlab_args, *, env=None, timeout=600, cwd=None, limit_as=None):
    """Run ``gdlab ARGS`` (a list) or Python ``code`` (a str) in a child; returns
    (CompletedProcess, its own peak resident bytes)."""
    if isinstance(code_or_gdlab_args, str):
        body = code_or_gdlab_args
        args: list[str] = []
    else:
        body = "from gdlab.cli import main\nmain(sys.argv[1:])\n"
        args = [str(a) for a in code_or_gdlab_args]
    if limit_as:
        body = (f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({limit_as}, {limit_as}))\n"
                + body)
    with tempfile.TemporaryDirectory(prefix="gdlab-peak-") as tmp:
        peak_file = os.path.join(tmp, "peak.json")
        p = subprocess.run([sys.executable, "-c", PEAK_BOOTSTRAP + body, peak_file, *args],
                           capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
        with open(peak_file) as f:
            peak = json.load(f)
    return p, peak


# A trainer that stops at the end of epoch HOLD (before that epoch's checkpoint) until a file
# `release` appears in its folder: tests that need a run in progress get one for as long as
# they need, however fast or slow the machine running them trains.
HELD_TRAINER = (
    "import os, sys, time\n"
    "from pathlib import Path\n"
    "import gdlab.train\n"
    "T = sys.modules['gdlab.train']  # the module; gdlab.train is also the function\n"
    "hold, checked, seen = int(sys.argv[1]), T.check_stop, [0]\n"
    "def held(*args, **kwargs):\n"
    "    seen[0] += 1\n"
    "    give_up = time.monotonic() + 300  # a test that failed before releasing it\n"
    "    while seen[0] >= hold and not Path('release').exists():\n"
    "        if time.monotonic() > give_up:\n"
    "            os._exit(99)\n"
    "        time.sleep(0.02)\n"
    "    return checked(*args, **kwargs)\n"
    "T.check_stop = held\n"
    "from gdlab.cli import main\n"
    "sys.argv = ['gdlab', *sys.argv[2:]]\n"
    "main()\n")


def held_trainer(args, cwd, *, hold: int, **kwargs) -> subprocess.Popen:
    """``python -m gdlab ARGS`` in ``cwd``, held at the end of epoch ``hold`` until ``cwd/release`` exists."""
    return subprocess.Popen([sys.executable, "-c", HELD_TRAINER, str(hold), *map(str, args)], cwd=cwd,
                            **kwargs)
