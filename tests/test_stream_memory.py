"""Streaming keeps memory bounded: linear regression on a generated 4 GB .npy file stays
under 1 GB resident (peak RSS measured by /usr/bin/time -v, or getrusage without it)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_measured

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
    args = ["train", str(path), "--stream", "--optimizer", "gd", "--lr", "0.5", "--epochs", "2",
            "--no-plots", "--quiet", "--out", str(tmp_path / "run")]
    try:
        p, peak = run_measured(args, timeout=900)  # the child's own peak (conftest)
        assert p.returncode == 0, p.stderr[-3000:]
        assert peak < LIMIT, f"peak resident memory {peak / 2**20:.0f} MiB"
        metrics = json.loads((tmp_path / "run/metrics.json").read_text())
        assert metrics["n_train"] + metrics["n_val"] + metrics["n_test"] == ROWS
        assert metrics["train_loss"] < 0.2 * (COLS - 1)  # it learned: var(y) ≈ 100 at the start
    finally:
        path.unlink(missing_ok=True)
