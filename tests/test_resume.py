"""--resume: a run killed mid-training and resumed ends exactly where an uninterrupted run does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

ARGS = ["train", "synthetic-linear", "--optimizer", "momentum", "--batch-size", "4",
        "--lr", "0.01", "--epochs", "40", "--dtype", "float64", "--seed", "3", "--quiet",
        "--no-plots"]


def _gdlab_run(args, cwd):
    p = subprocess.run([sys.executable, "-m", "gdlab", *args], cwd=cwd, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


def _checkpoint_epoch(folder: Path) -> int:
    path = folder / "checkpoint.safetensors"
    try:
        with safe_open(str(path), framework="pt") as f:
            return json.loads(f.metadata()["gdlab"])["epoch"]
    except Exception:
        return 0


def test_killed_run_resumes_to_identical_parameters(tmp_path):
    _gdlab_run([*ARGS, "--out", "straight"], tmp_path)

    victim = subprocess.Popen([sys.executable, "-m", "gdlab", *ARGS, "--out", "resumed"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / "resumed.partial"
    deadline = time.monotonic() + 240
    while _checkpoint_epoch(partial) < 5:
        assert victim.poll() is None, "training finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    killed_at = _checkpoint_epoch(partial)
    assert 5 <= killed_at < 40
    assert not (tmp_path / "resumed").exists()

    out = _gdlab_run(["train", "--resume", "--out", "resumed"], tmp_path).stdout
    assert f"resuming resumed after epoch {killed_at} of 40" in out
    a = load_file(str(tmp_path / "straight/model.safetensors"))
    b = load_file(str(tmp_path / "resumed/model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    ha = (tmp_path / "straight/history.csv").read_text().splitlines()
    hb = (tmp_path / "resumed/history.csv").read_text().splitlines()
    assert len(ha) == len(hb) == 41
    strip = lambda rows: [r.rsplit(",", 1)[0] for r in rows]  # noqa: E731 (drop seconds column)
    assert [r.split(",")[:3] for r in ha] == [r.split(",")[:3] for r in hb]
    assert strip(ha)[0] == strip(hb)[0]
    metrics = json.loads((tmp_path / "resumed/metrics.json").read_text())
    assert metrics["epochs_run"] == 40


def test_resume_without_checkpoint_is_a_clear_error(gdlab_cli):
    r = gdlab_cli("train", "--resume", "--out", "runs/none")
    assert r.code == 2
    assert "no checkpoint" in r.err


def test_resume_extends_a_finished_run(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "--epochs", "3", "--out", "runs/e", "--quiet").code == 0
    r = gdlab_cli("train", "--resume", "--epochs", "5", "--out", "runs/e", "--quiet")
    assert r.code == 0, r
    metrics = json.loads((tmp_path / "runs/e/metrics.json").read_text())
    assert metrics["epochs_run"] == 5
