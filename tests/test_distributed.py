"""Distributed data parallel with torchrun: 2 CPU processes (gloo) on this machine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gdlab
from gdlab.config import TrainConfig
from gdlab.feeds import MemoryFeed, Piece
from gdlab.setup import build


def gdlab_run(*args, cwd, timeout=300):
    p = subprocess.run([sys.executable, "-m", "gdlab", *map(str, args)], cwd=cwd,
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    return p


def params(folder: Path) -> np.ndarray:
    m = json.loads((folder / "metrics.json").read_text())["params"]
    return np.array([*m["weight"], *m["bias"]])


def test_full_batch_gd_two_processes_equals_one(tmp_path):
    common = ["train", "synthetic-linear", "--optimizer", "gd", "--lr", "0.3", "--epochs", "25",
              "--dtype", "float64", "--no-plots", "--quiet"]
    gdlab_run(*common, "--out", "one", cwd=tmp_path)
    p = gdlab_run(*common, "--nproc", "2", "--out", "two", cwd=tmp_path)
    assert "run folder: two" in p.stdout
    assert p.stdout.count("done:") == 1
    np.testing.assert_allclose(params(tmp_path / "two"), params(tmp_path / "one"), rtol=1e-9, atol=1e-12)
    h1 = (tmp_path / "one/history.csv").read_text().splitlines()
    h2 = (tmp_path / "two/history.csv").read_text().splitlines()
    loss = lambda rows: [float(r.split(",")[1]) for r in rows[1:]]  # noqa: E731
    np.testing.assert_allclose(loss(h2), loss(h1), rtol=1e-9)
    config = json.loads((tmp_path / "two/config.json").read_text())
    assert config["processes"] == 2


def test_minibatch_two_processes_is_one_process_with_the_global_batch(tmp_path):
    """N processes with batch B = one process whose every batch is the union of the N
    local batches (global batch N·B): replay that by hand in one process."""
    B, epochs, lr = 10, 3, 0.05
    gdlab_run("train", "synthetic-linear", "--optimizer", "minibatch", "--batch-size", B,
              "--lr", lr, "--epochs", epochs, "--dtype", "float64", "--no-plots", "--quiet",
              "--nproc", "2", "--out", "two", cwd=tmp_path)

    cfg = TrainConfig(optimizer="minibatch", batch_size=B, lr=lr, epochs=epochs, dtype="float64",
                      device="cpu")
    s = build(gdlab.load("synthetic-linear"), cfg, log=lambda _m: None)  # one process
    X, y, _ = s.feed.rows()
    n = X.shape[0]
    halves = [(0, n // 2), (n // 2, n)]  # the two processes' shards (700 rows: 350 each)
    shards = [MemoryFeed({"train": (X[a:b], y[a:b], None)}, batch_size=B, task="regression",
                         seed=cfg.seed * 7919 + rank) for rank, (a, b) in enumerate(halves)]
    for epoch in range(1, epochs + 1):
        for b0, b1 in zip(shards[0].batches(epoch), shards[1].batches(epoch), strict=True):
            first = Piece(b0.single.X.clone(), b0.single.y.clone())  # the next batch reuses the buffer
            s.engine.step_pieces([first, b1.single], lr=lr)
    w = s.model.layers[0].weight.detach().numpy()[0]
    b = s.model.layers[0].bias.detach().numpy()
    w_orig, b_orig = s.standardizer.unscale_linear(w, b)
    np.testing.assert_allclose(params(tmp_path / "two"), [*np.ravel(w_orig), *np.ravel(b_orig)],
                               rtol=1e-9)


def test_streamed_full_batch_two_processes_equals_one(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 1.0 + rng.normal(0, 0.1, 20_000)
    np.save(tmp_path / "d.npy", np.column_stack([X, y]))
    common = ["train", "d.npy", "--stream", "--optimizer", "gd", "--lr", "0.2", "--epochs", "10",
              "--dtype", "float64", "--no-plots", "--quiet"]
    gdlab_run(*common, "--out", "one", cwd=tmp_path)
    gdlab_run(*common, "--nproc", "2", "--out", "two", cwd=tmp_path)
    np.testing.assert_allclose(params(tmp_path / "two"), params(tmp_path / "one"), rtol=1e-9)


def _rank_pids(marker: str) -> dict[int, int]:
    """PIDs of the torchrun workers whose command line contains ``marker``, by RANK."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in cmd and "torch.distributed.run" not in cmd:
            for item in env:
                if item.startswith(b"RANK="):
                    found[int(item[5:])] = int(proc.name)
    return found


def test_a_failing_process_ends_the_whole_run_with_a_message(tmp_path):
    marker = f"out-{os.getpid()}-fail"
    p = subprocess.Popen(
        [sys.executable, "-m", "gdlab", "train", "synthetic-linear", "--optimizer", "sgd",
         "--lr", "0.001", "--epochs", "100000", "--no-plots", "--quiet", "--nproc", "2",
         "--out", marker],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while 1 not in (pids := _rank_pids(marker)):
            assert p.poll() is None, "the run ended before its workers could be found"
            assert time.monotonic() < deadline, "workers never started"
            time.sleep(0.2)
        time.sleep(2.0)  # let them get into training
        os.kill(pids[1], signal.SIGKILL)
        _out, err = p.communicate(timeout=180)  # no hang: rank 0 must not wait forever
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode != 0
    assert "a process of the 2-process run failed" in err
    assert not (tmp_path / marker).exists()  # no half-written run folder in place


@pytest.mark.parametrize("flag", ["--resume"])
def test_nproc_refuses_resume(gdlab_cli, flag):
    r = gdlab_cli("train", "--nproc", "2", flag, "--out", "x")
    assert r.code == 2
    assert "--resume runs in one process" in r.err
