"""--resume: a run killed mid-training and resumed ends exactly where an uninterrupted run does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from conftest import held_trainer

ARGS = ["train", "synthetic-linear", "--optimizer", "momentum", "--batch-size", "4",
        "--lr", "0.01", "--epochs", "40", "--dtype", "float64", "--seed", "3", "--quiet",
        "--no-plots"]


EVERY_EPOCH = {**os.environ, "GDLAB_CHECKPOINT_SECONDS": "0"}  # a checkpoint after each epoch


def _gdlab_run(args, cwd, *, code=0):
    p = subprocess.run([sys.executable, "-m", "gdlab", *args], cwd=cwd, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == code, p.stderr
    return p


def _interrupt(args, cwd: Path, out: str, *, sig, at_least: int = 5) -> int:
    """Start a run, stop it with ``sig`` once it has checkpointed ``at_least`` epochs;
    returns the epoch of the checkpoint it left. The run is held after that epoch until the
    signal is sent, so the test does not race the machine's speed."""
    victim = held_trainer([*args, "--out", out], cwd, hold=at_least + 1,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=EVERY_EPOCH)
    partial = cwd / f"{out}.partial"
    deadline = time.monotonic() + 240
    while _checkpoint_epoch(partial) < at_least:
        assert victim.poll() is None, victim.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(victim.pid, sig)
    (cwd / "release").touch()  # a SIGTERM'd run finishes its epoch, checkpoints and exits
    _, err = victim.communicate(timeout=240)
    (cwd / "release").unlink()
    if sig == signal.SIGTERM:  # asked to stop: a checkpoint after the epoch, then exit 143
        assert victim.returncode == 128 + signal.SIGTERM, err
        assert b"SIGTERM: stopped after epoch" in err
        assert b"--resume" in err
    return _checkpoint_epoch(partial)


def _checkpoint_epoch(folder: Path) -> int:
    path = folder / "checkpoint.safetensors"
    try:
        with safe_open(str(path), framework="pt") as f:
            return json.loads(f.metadata()["gdlab"])["epoch"]
    except Exception:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_run_resumes_to_identical_parameters(tmp_path, sig):
    _gdlab_run([*ARGS, "--out", "straight"], tmp_path)
    killed_at = _interrupt(ARGS, tmp_path, "resumed", sig=sig)
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
    assert "nothing to resume" in r.err
    assert "no checkpoint" in r.err


def test_resume_does_not_continue_a_finished_run(gdlab_cli, tmp_path):
    """Only an interrupted <out>.partial is resumed: a finished run stays as it is."""
    assert gdlab_cli("train", "--epochs", "3", "--out", "runs/e", "--quiet").code == 0
    before = (tmp_path / "runs/e/model.safetensors").read_bytes()
    r = gdlab_cli("train", "--resume", "--epochs", "5", "--out", "runs/e", "--quiet")
    assert r.code == 2, r
    assert "nothing to resume in runs/e" in r.err
    assert (tmp_path / "runs/e/model.safetensors").read_bytes() == before
    assert json.loads((tmp_path / "runs/e/metrics.json").read_text())["epochs_run"] == 3


def test_resume_may_raise_epochs_and_says_so(tmp_path):
    stopped_at = _interrupt(ARGS, tmp_path, "longer", sig=signal.SIGTERM)
    out = _gdlab_run(["train", "--resume", "--epochs", "45", "--out", "longer"], tmp_path).stdout
    assert "--epochs 45: continuing to 45 epochs (the run was started for 40)" in out
    assert f"resuming longer after epoch {stopped_at} of 45" in out
    assert json.loads((tmp_path / "longer/metrics.json").read_text())["epochs_run"] == 45
