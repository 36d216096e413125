"""Streaming keeps memory bounded: linear regression on a generated 4 GB .npy file stays
under 1 GB resident (peak RSS measured by /usr/bin/time -v, or getrusage without it)."""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROWS, COLS = 10_000_000, 101  # float32: 4.04 GB
LIMIT = 1 << 30


def _write_big_npy(path) -> None:
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(ROWS, COLS))
    rng = np.random.default_rng(0)
    w = rng.normal(size=COLS - 1).astype(np.float32)
    step = 500_000
    for a in range(0, ROWS, step):
        X = rng.standard_normal((step, COLS - 1), dtype=np.float32)
        out[a : a + step, :-1] = X
        out[a : a + step, -1] = X @ w + 0.5
    out.flush()
    del out


@pytest.mark.slow
def test_training_on_a_4gb_npy_stays_under_1gb_resident(tmp_path):
    path = tmp_path / "big.npy"
    _write_big_npy(path)
    assert path.stat().st_size > 4 * 10**9
    cmd = [sys.executable, "-m", "gdlab", "train", str(path), "--stream", "--optimizer", "gd",
           "--lr", "0.5", "--epochs", "2", "--no-plots", "--quiet", "--out", str(tmp_path / "run")]
    timer = shutil.which("time", path="/usr/bin")
    try:
        if timer:
            p = subprocess.run([timer, "-v", *cmd], capture_output=True, text=True, timeout=900)
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
            assert match, p.stderr[-2000:]
            peak = int(match.group(1)) * 1024
        else:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        assert p.returncode == 0, p.stderr[-3000:]
        assert peak < LIMIT, f"peak resident memory {peak / 2**20:.0f} MiB"
        metrics = json.loads((tmp_path / "run/metrics.json").read_text())
        assert metrics["n_train"] + metrics["n_val"] + metrics["n_test"] == ROWS
        assert metrics["train_loss"] < 0.2 * (COLS - 1)  # it learned: var(y) ≈ 100 at the start
    finally:
        path.unlink(missing_ok=True)
