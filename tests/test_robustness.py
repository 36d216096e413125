"""Runs you can trust (issue 12): one writer per run folder, resume that refuses the wrong
run, writes that fail cleanly, every bad setting caught with the right exit code, and
tampered run folders refused before anything is allocated."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gdlab
from conftest import held_trainer, run_measured
from gdlab.config import TrainConfig
from gdlab.errors import GdlabError, SettingError

SLOW = ["train", "synthetic-linear", "--optimizer", "sgd", "--epochs", "400", "--no-plots", "--quiet"]
EVERY_EPOCH = {**os.environ, "GDLAB_CHECKPOINT_SECONDS": "0"}


def gdlab_run(args, cwd, *, env=None, timeout=300, preexec=None):
    return subprocess.run([sys.executable, "-m", "gdlab", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)


def one_line_error(p, code: int, *needles: str) -> str:
    """The process exited with ``code`` and said one line on stderr holding every needle."""
    assert p.returncode == code, (p.returncode, p.stdout[-800:], p.stderr[-2000:])
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert lines, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    assert lines[-1].startswith("gdlab: error:"), p.stderr
    for needle in needles:
        assert needle in lines[-1], (needle, lines[-1])
    return lines[-1]


def wait_for(predicate, *, seconds=120.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


# --- one writer per run folder ----------------------------------------------------------------
def test_second_trainer_on_the_same_out_exits_2_and_the_first_finishes(tmp_path):
    first = held_trainer([*SLOW, "--out", "runs/x"], tmp_path, hold=1,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = tmp_path / "runs" / ".x.lock"
        wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid))
        wait_for(lambda: (tmp_path / "runs/x.partial").exists())
        second = gdlab_run([*SLOW[:-2], "--epochs", "2", "--quiet", "--out", "runs/x"], tmp_path)
        one_line_error(second, 2, "run folder runs/x is being written by process", str(first.pid))
        (tmp_path / "release").touch()
        _out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err
    folder = tmp_path / "runs/x"
    assert {"config.json", "history.csv", "metrics.json", "model.safetensors", "model.json"} <= {
        p.name for p in folder.iterdir()}
    assert json.loads((folder / "metrics.json").read_text())["epochs_run"] == 400


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "runs/y.partial").mkdir(parents=True)
    (tmp_path / "runs/.y.lock").write_text(f"{dead.pid}\n")
    p = gdlab_run(["train", "--epochs", "2", "--no-plots", "--out", "runs/y"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert f"taking over runs/y from process {dead.pid}, which stopped without finishing" in p.stdout
    assert (tmp_path / "runs/y/model.json").exists()


def test_evaluate_writing_into_a_locked_run_folder_exits_2(tmp_path):
    assert gdlab_run(["train", "iris", "--epochs", "2", "--no-plots", "--out", "runs/iris"], tmp_path).returncode == 0
    gdlab_run(["datasets", "--export", "iris", "iris.csv"], tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from gdlab.runfolder import run_lock\n"
        "with run_lock(Path('runs/iris')):\n    print('held', flush=True); time.sleep(30)")],
        cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        p = gdlab_run(["evaluate", "runs/iris", "iris.csv"], tmp_path)
        one_line_error(p, 2, "run folder runs/iris is being written by process", str(holder.pid))
    finally:
        holder.kill()
        holder.communicate()


# --- resume resumes the right run ---------------------------------------------------------------
def test_kill_before_the_first_checkpoint_then_resume_refuses_and_keeps_the_old_run(tmp_path):
    assert gdlab_run(["train", "--epochs", "3", "--no-plots", "--out", "runs/r"], tmp_path).returncode == 0
    before = (tmp_path / "runs/r/model.safetensors").read_bytes()
    victim = held_trainer([*SLOW, "--out", "runs/r"], tmp_path, hold=1,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: (tmp_path / "runs/r.partial").exists())
    os.kill(victim.pid, signal.SIGKILL)  # held at its first epoch, before any checkpoint
    victim.wait()
    assert not (tmp_path / "runs/r.partial/checkpoint.safetensors").exists()
    p = gdlab_run(["train", "--resume", "--out", "runs/r"], tmp_path)
    one_line_error(p, 2, "nothing to resume in runs/r")
    assert (tmp_path / "runs/r/model.safetensors").read_bytes() == before


def _interrupted(tmp_path: Path, args, out: str) -> None:
    victim = held_trainer([*args, "--out", out], tmp_path, hold=3,  # two checkpoints written, then held
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=EVERY_EPOCH)
    wait_for(lambda: (tmp_path / f"{out}.partial/checkpoint.safetensors").exists())
    os.kill(victim.pid, signal.SIGTERM)
    (tmp_path / "release").touch()  # it finishes the held epoch, checkpoints and exits 143
    victim.communicate(timeout=120)
    (tmp_path / "release").unlink()
    assert victim.returncode == 128 + signal.SIGTERM


def test_resume_refuses_changed_data_and_changed_settings(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    rows = "\n".join(f"{a:.6f},{b:.6f},{c:.6f},{a - 2 * b + c:.6f}" for a, b, c in X)
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,c,y\n" + rows + "\n")
    args = ["train", "d.csv", "--optimizer", "sgd", "--epochs", "300", "--no-plots", "--quiet"]
    _interrupted(tmp_path, args, "runs/d")
    one_line_error(gdlab_run(["train", "--resume", "--lr", "0.5", "--out", "runs/d"], tmp_path), 2,
                   "--lr 0.5 differs from the interrupted run's")
    one_line_error(gdlab_run(["train", "iris", "--resume", "--out", "runs/d"], tmp_path), 2,
                   "trained on d.csv, not iris")
    csv.write_text(csv.read_text().replace("\n0.", "\n1.", 1))  # one cell changed
    one_line_error(gdlab_run(["train", "--resume", "--out", "runs/d"], tmp_path), 2,
                   "d.csv is not the data the run started on")
    assert (tmp_path / "runs/d.partial/checkpoint.safetensors").exists()  # nothing was damaged


# --- publishing ---------------------------------------------------------------------------------
def test_a_previous_run_hidden_by_an_interrupted_publish_is_restored_or_removed(tmp_path):
    assert gdlab_run(["train", "--epochs", "2", "--no-plots", "--out", "runs/p"], tmp_path).returncode == 0
    hidden = tmp_path / "runs/.p.old-12345"
    os.replace(tmp_path / "runs/p", hidden)  # as a kill between publish's two renames leaves it
    p = gdlab_run(["train", "--epochs", "3", "--no-plots", "--out", "runs/p"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "restored runs/p from .p.old-12345" in p.stdout
    assert not list((tmp_path / "runs").glob(".p.old-*"))
    assert json.loads((tmp_path / "runs/p/metrics.json").read_text())["epochs_run"] == 3
    hidden.mkdir()  # a stray old copy beside an existing run: removed
    p = gdlab_run(["train", "--epochs", "2", "--no-plots", "--out", "runs/p"], tmp_path)
    assert "removed" in p.stdout
    assert ".p.old-12345" in p.stdout
    assert not hidden.exists()


def test_save_refuses_a_path_that_is_not_a_run_folder(tmp_path):
    run = gdlab.train(data="toy-1d", epochs=2, quiet=True)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    with pytest.raises(GdlabError, match="exists and is not a gdlab run folder"):
        gdlab.save(run, tmp_path / "notes")
    (tmp_path / "file").write_text("x")
    with pytest.raises(GdlabError, match="exists and is not a gdlab run folder"):
        gdlab.save(run, tmp_path / "file")
    assert (tmp_path / "notes" / "mine.txt").read_text() == "keep me"
    gdlab.save(run, tmp_path / "ok")
    gdlab.save(run, tmp_path / "ok")  # a run folder is replaced


@pytest.mark.parametrize("out", ["/", ".", "afile/sub"])
def test_bad_out_paths_are_usage_errors(tmp_path, out):
    (tmp_path / "afile").write_text("x")
    p = gdlab_run(["train", "--epochs", "1", "--no-plots", "--out", out], tmp_path)
    one_line_error(p, 2, "--out")
    assert (tmp_path / "afile").read_text() == "x"


# --- writes that fail -----------------------------------------------------------------------------
@contextlib.contextmanager
def small_disk(folder: Path):
    """A 300 KB tmpfs when this process may mount one; else a 300 KB limit on file size (the
    kernel then refuses writes with EFBIG). Either way: a real failed write."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    limit = None
    if not mounted:
        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
    try:
        yield limit
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=False)


def test_a_write_that_fails_exits_2_with_the_reason_and_keeps_the_earlier_run(tmp_path):
    disk = tmp_path / "disk"
    with small_disk(disk) as limit:
        ok = gdlab_run(["train", "--epochs", "2", "--no-plots", "--out", str(disk / "r")], tmp_path)
        assert ok.returncode == 0, ok.stderr
        before = (disk / "r/model.safetensors").read_bytes()
        # digits: 64 × 64 pixels… no: an MLP whose weights alone exceed the room left
        p = gdlab_run(["train", "digits", "--model", "mlp", "--hidden", "400,400", "--epochs", "1",
                       "--out", str(disk / "r")], tmp_path, preexec=limit)
        line = one_line_error(p, 2, "cannot write", str(disk))
        assert "No space left on device" in line or "File too large" in line
        assert (disk / "r/model.safetensors").read_bytes() == before


def test_files_follow_the_umask(tmp_path):
    def umask_022():
        os.umask(0o022)

    p = gdlab_run(["train", "--epochs", "2", "--out", "runs/u"], tmp_path, preexec=umask_022)
    assert p.returncode == 0, p.stderr
    for path in (tmp_path / "runs/u").iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


# --- every bad setting, checked once ----------------------------------------------------------------
BAD_SETTINGS = [
    ({"tol": float("nan")}, "tol"), ({"grad_tol": float("nan")}, "grad_tol"),
    ({"l2": float("nan")}, "l2"), ({"l2": float("inf")}, "l2"), ({"l1": -1.0}, "l1"),
    ({"init_std": float("nan")}, "init_std"), ({"init_std": float("inf")}, "init_std"),
    ({"init_std": -1.0}, "init_std"), ({"lr": 1e308}, "lr"), ({"lr": -0.1}, "lr"),
    ({"seed": -1}, "seed"), ({"seed": 2**66}, "seed"), ({"lr_gamma": -1.0}, "lr_gamma"),
    ({"power_t": float("nan")}, "power_t"), ({"betas": (1.5, 2.0)}, "betas[0]"),
    ({"epochs": float("inf")}, "epochs"), ({"epochs": float("nan")}, "epochs"),
    ({"epochs": 10**12}, "epochs"), ({"epochs": 2.5}, "epochs"), ({"val_fraction": "0.1"}, "val_fraction"),
    ({"optimizer": "sgd", "batch_size": "full"}, "batch_size"), ({"hidden": (10_000_000,)}, "hidden"),
    ({"momentum": 1.0}, "momentum"), ({"patience": 0}, "patience"), ({"shuffle": "no"}, "shuffle"),
]


@pytest.mark.parametrize(("settings", "name"), BAD_SETTINGS)
def test_bad_settings_raise_a_value_error_naming_the_setting(settings, name):
    with pytest.raises(SettingError) as e:
        TrainConfig.from_kwargs(**settings)
    assert isinstance(e.value, ValueError)
    assert e.value.setting == name
    assert name in str(e.value)
    assert "must be" in str(e.value) or "conflicts with" in str(e.value)
    with pytest.raises(GdlabError, match=name.split("[")[0]):
        gdlab.train(data="toy-1d", quiet=True, **settings)


CLI_BAD = [
    (["--tol", "nan"], "--tol"), (["--grad-tol", "nan"], "--grad-tol"), (["--l2", "inf"], "--l2"),
    (["--init-std", "-1"], "--init-std"), (["--lr", "1e308"], "--lr"), (["--seed", "-1"], "--seed"),
    (["--seed", str(2**66)], "--seed"), (["--optimizer", "sgd", "--batch-size", "full"], "--batch-size"),
    (["--hidden", "10000000", "--model", "mlp"], "--hidden"), (["--epochs", str(10**12)], "--epochs"),
    (["--nproc", "1000"], "--nproc"), (["--nproc", "0"], "--nproc"),
]


@pytest.mark.parametrize(("flags", "flag"), CLI_BAD)
def test_bad_flags_exit_2_with_one_line_naming_the_flag(gdlab_cli, flags, flag):
    r = gdlab_cli("train", "toy-1d", *flags, "--no-plots")
    assert r.code == 2, r
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1, r.err
    assert flag in lines[0]
    assert "internal error" not in lines[0]


def test_a_model_too_big_for_memory_is_refused_before_allocating(tmp_path):
    code = ("import gdlab\n"
            "try:\n    gdlab.train(data='digits', model='mlp', hidden=(900_000, 900_000), quiet=True)\n"
            "except gdlab.GdlabError as e:\n    print('refused:', e)\n")
    p, peak = run_measured(code, timeout=300)
    assert "refused:" in p.stdout, p.stderr
    assert "parameters and need about" in p.stdout
    assert "GB" in p.stdout
    assert peak < 2**30  # under 1 GB resident


# --- exit codes that tell the truth ------------------------------------------------------------------
def test_float32_overflowing_data_is_bad_input_not_divergence(gdlab_cli, tmp_path):
    (tmp_path / "big.csv").write_text("a,b,y\n1,2,3\n4,1e308,5\n6,7,8\n" + "".join(
        f"{i},{i},{i}\n" for i in range(20)))
    r = gdlab_cli("train", "big.csv", "--no-plots")
    assert r.code == 2, r
    assert "big.csv: line 3, column 'b'" in r.err
    assert gdlab_cli("train", "big.csv", "--no-plots", "--dtype", "float64", "--epochs", "2",
                     "--lr", "1e-320").code in (0, 3)  # float64 holds it: not a data error


def test_a_final_loss_above_the_start_is_divergence(gdlab_cli, tmp_path):
    r = gdlab_cli("train", "toy-1d", "--optimizer", "gd", "--lr", "0.3", "--epochs", "3",
                  "--no-standardize", "--no-plots", "--out", "runs/up")
    assert r.code == 3, r
    assert "ended above where it started" in r.err or "diverged at epoch" in r.err
    assert "--lr" in r.err


# --- tampered run folders -----------------------------------------------------------------------------
TAMPERED = [
    (lambda d: {**d, "in_features": -3}, "in_features"),
    (lambda d: {**d, "in_features": 10**12}, "in_features"),
    (lambda d: {**d, "in_features": 2.5}, "in_features"),
    (lambda d: {**d, "model": "transformer"}, "model must be one of"),
    (lambda d: {**d, "task": "ranking"}, "task must be one of"),
    (lambda d: {**d, "dtype": "int64"}, "dtype must be one of"),
    (lambda d: [d], "must hold a JSON object"),
    (lambda d: {**d, "model": "mlp", "hidden": [25000, 25000], "activation": "relu"}, "do not match"),
    (lambda d: {**d, "out_features": 7}, "3 classes for 7 outputs"),
    (lambda d: {**d, "in_features": 5}, "do not match"),
]


@pytest.mark.parametrize(("tamper", "message"), TAMPERED)
def test_tampered_model_json_is_refused_with_one_line(gdlab_cli, tmp_path, tamper, message):
    assert gdlab_cli("train", "iris", "--epochs", "2", "--no-plots", "--out", "runs/t").code == 0
    path = tmp_path / "runs/t/model.json"
    path.write_text(json.dumps(tamper(json.loads(path.read_text()))))
    gdlab_cli("datasets", "--export", "iris", "iris.csv")
    r = gdlab_cli("predict", "runs/t", "iris.csv")
    assert r.code == 2, r
    assert message in r.err
    assert "internal error" not in r.err


def test_deeply_nested_model_json_is_refused(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "iris", "--epochs", "2", "--no-plots", "--out", "runs/n").code == 0
    (tmp_path / "runs/n/model.json").write_text("[" * 100_000 + "]" * 100_000)
    r = gdlab_cli("predict", "runs/n", "x.csv")
    assert r.code == 2, r
    assert "model.json" in r.err


def test_predict_refuses_a_partial_folder_and_warns_about_a_diverged_run(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "toy-1d", "--epochs", "2", "--no-plots", "--out", "runs/a").code == 0
    (tmp_path / "x.csv").write_text("x\n1\n2\n")
    os.replace(tmp_path / "runs/a", tmp_path / "runs/a.partial")
    r = gdlab_cli("predict", "runs/a.partial", "x.csv")
    assert r.code == 2
    assert "unfinished run" in r.err
    r = gdlab_cli("train", "toy-1d", "--optimizer", "gd", "--lr", "5", "--epochs", "30",
                  "--no-standardize", "--no-plots", "--out", "runs/bad")
    assert r.code == 3
    os.replace(tmp_path / "runs/bad.partial", tmp_path / "runs/bad")
    r = gdlab_cli("predict", "runs/bad", "x.csv")
    assert r.code == 0
    assert "diverged" in r.err
    assert "warning" in r.err


def test_nan_in_predict_input_names_the_row_and_column(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "toy-1d", "--epochs", "2", "--no-plots", "--out", "runs/a").code == 0
    (tmp_path / "x.csv").write_text("x\n1\nnan\n")
    r = gdlab_cli("predict", "runs/a", "x.csv")
    assert r.code == 2, r
    assert "x.csv" in r.err
    assert "'x'" in r.err
    assert "line 3" in r.err


# --- distributed: the child's one line, not torchrun's traceback ----------------------------------------
def test_nproc_with_a_bad_file_prints_the_childs_line_and_code(tmp_path):
    (tmp_path / "bad.csv").write_text("a,y\n1,2\nzz,3\n" + "".join(f"{i},{i}\n" for i in range(20)))
    p = gdlab_run(["train", "bad.csv", "--nproc", "2", "--out", "runs/b", "--no-plots"], tmp_path)
    line = one_line_error(p, 2, "bad.csv", "'a'")
    assert "ChildFailedError" not in p.stderr
    assert len([x for x in p.stderr.splitlines() if x.strip()]) == 1, p.stderr
    assert line


# --- the Python API names problems in gdlab's terms ---------------------------------------------------------
def test_python_api_errors_are_gdlab_errors():
    with pytest.raises(GdlabError, match="data must be a gdlab Dataset"):
        gdlab.train(data=[[1, 2], [3, 4]])
    with pytest.raises(GdlabError, match="the model takes 3 features, but toy-1d has 1"):
        gdlab.train(gdlab.LinearRegression(3), "toy-1d", quiet=True)
    run = gdlab.train(None, "moons", model="mlp", hidden=(4,), epochs=2, quiet=True)
    assert run.config["model"] == "mlp"
    with pytest.raises(GdlabError, match="unknown setting 'learning_rate'"):
        gdlab.train(data="toy-1d", learning_rate=0.1)
