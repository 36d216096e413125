"""Small hostile files are refused in bounded memory (issue 13, "Loaders that a small hostile
file cannot exhaust"): one clear GdlabError, exit 2 from the CLI, and peak memory < 1 GB.

Every refusal runs in a child process that reports its own peak resident memory (the
kernel's VmHWM, reset when the child starts: see ``conftest.run_measured``); the child
also has a 6 GB address-space limit, only as a safety net for the shared machine (the
measure is the resident peak). Importing gdlab (and so torch)
costs about 400 MB of the budget.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gdlab
import tables as T
from conftest import run_measured
from gdlab.data import check_finite_for, load
from gdlab.errors import GdlabError

SRC = str(Path(gdlab.__file__).resolve().parents[1])
LIMIT_MB = 1024

# Peak memory is the kernel's high-water mark of this process alone (VmHWM, reset at the
# start through /proc/self/clear_refs): ru_maxrss would also count the pytest process
# the child was forked from, which Linux carries across fork and exec.
PEAK = textwrap.dedent(
    """
    def reset_peak():
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")

    def peak_mb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    """
)

CHILD = PEAK + textwrap.dedent(
    """
    import json, resource, sys
    reset_peak()
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))
    from gdlab.data import check_finite_for, load
    from gdlab.errors import GdlabError
    results = []
    for code in json.loads(sys.argv[1]):
        try:
            exec(code)
            error = None
        except GdlabError as err:
            error = str(err)
        results.append({"error": error, "peak_mb": peak_mb()})
    print(json.dumps(results))
    """
)

def _env() -> dict:
    return {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}


def run_in_child(codes: list[str], prefix: list[str] = ()) -> list[dict]:
    """Run each snippet in one fresh process; per snippet, its GdlabError and peak so far."""
    out = subprocess.run([*prefix, sys.executable, "-c", CHILD, json.dumps(codes)],
                         capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(*args: str) -> dict:
    """``gdlab ARGS`` in a child, with its exit code, stderr and peak memory."""
    out, peak = run_measured(list(args), env=_env(), timeout=300, limit_as=6 * 2**30)
    return {"rc": out.returncode, "err": out.stderr, "peak_mb": peak / 2**20}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile files, written once: 32 MB ragged line, 300 MB cell, zip bomb, ..."""
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n" * 4)
    files = {
        "ragged": T.write_ragged_line(folder),
        "cell": T.write_huge_cell(folder),
        "nested": T.write_nested_parquet(folder),
        "npz_bomb": T.write_npz_bomb(folder),
        "h5_unrelated": T.write_h5_unrelated_bomb(folder),
        "h5_bomb": T.write_h5_bomb(folder),
        "h5_external": T.write_h5_external(folder, secret),
        "h5_virtual": T.write_h5_virtual(folder),
        "h5_link": T.write_h5_external_link(folder),
        "overflow": T.write_overflow(folder),
    }
    quoted = folder / "quoted_ragged.csv"
    with open(quoted, "w") as handle:  # the same attack with quotes: the csv module confirms it
        handle.write('a,b,y\n1,2,3\n' + '"1",' * (4 * 2**20) + '"1"\n')
    files["quoted"] = quoted
    return files


REFUSALS = {
    # name: (snippet, words the message must contain)
    "ragged": ("load(r'{ragged}')", ["ragged.csv", "line 3 has 16777217 fields", "the header has 3"]),
    "quoted": ("load(r'{quoted}')", ["quoted_ragged.csv", "line 3", "fields, the header has 3"]),
    "cell": ("load(r'{cell}')", ["cell.csv", "line 2", "column 'text'", "a cell longer than"]),
    "nested": ("load(r'{nested}')", ["nested.parquet", "column 'tags'", "nested list"]),
    "npz_bomb": ("load(r'{npz_bomb}')", ["bomb.npz", "array 'X'", "2.4 GB", "compression bomb"]),
    "h5_bomb": ("load(r'{h5_bomb}')", ["bomb.h5", "dataset 'X'", "2.5 GB", "stores no data"]),
    "h5_external": ("load(r'{h5_external}')", ["external.h5", "dataset 'X'", "external files"]),
    "h5_virtual": ("load(r'{h5_virtual}')", ["virtual.h5", "dataset 'X'", "virtual dataset"]),
    "h5_link": ("load(r'{h5_link}')", ["link.h5", "dataset 'X'", "link to another file"]),
    "overflow": ("check_finite_for(load(r'{overflow}'), 'float32')",
                 ["overflow.csv", "line 19", "column 'income'", "1e+308 does not fit in float32"]),
}


@pytest.fixture(scope="module")
def refusals(hostile):
    """Every refusal, run one after another in one child (the peak only grows, so each
    case's peak is at most the reported one)."""
    names = list(REFUSALS)
    codes = [REFUSALS[n][0].format(**{k: str(v) for k, v in hostile.items()}) for n in names]
    return dict(zip(names, run_in_child(codes), strict=True))


@pytest.mark.parametrize("name", list(REFUSALS))
def test_hostile_file_is_refused_in_bounded_memory(refusals, name):
    result = refusals[name]
    assert result["error"] is not None, f"{name} was not refused"
    assert "\n" not in result["error"]
    for words in REFUSALS[name][1]:
        assert words in result["error"], (words, result["error"])
    assert result["peak_mb"] < LIMIT_MB, result


def test_unrelated_huge_dataset_is_never_read(hostile):
    (result,) = run_in_child([
        f"d = load(r'{hostile['h5_unrelated']}'); assert d.X.shape == (20, 3), d.X.shape"
    ])
    assert result["error"] is None
    assert result["peak_mb"] < LIMIT_MB, result
    assert hostile["h5_unrelated"].stat().st_size < 100_000  # a small file declaring 2.5 GB


def test_external_storage_never_reads_the_other_file(hostile):
    with pytest.raises(GdlabError, match=r"keeps its data in external files"):
        load(hostile["h5_external"])


def test_overflow_fits_float64(hostile):
    data = load(hostile["overflow"])
    check_finite_for(data, "float64")
    check_finite_for(data, np.float64)
    with pytest.raises(GdlabError, match=r"line 19, column 'income': 1e\+308 does not fit in float32"):
        check_finite_for(data, "torch.float32")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ragged", "cell", "nested", "npz_bomb", "h5_bomb", "h5_external"])
def test_cli_exits_2_with_one_line_under_1_gb(hostile, name, tmp_path):
    result = run_cli("train", str(hostile[name]), "--out", str(tmp_path / "run"), "--quiet")
    assert result["rc"] == 2, result
    lines = [ln for ln in result["err"].splitlines() if ln.strip()]
    assert len(lines) == 1, result["err"]
    assert "Traceback" not in result["err"]
    assert hostile[name].name in result["err"]
    assert result["peak_mb"] < LIMIT_MB, result


def _drop_read_override() -> list[str] | None:
    """How to run a child that cannot read a mode-000 file: root needs to drop
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv); others need nothing."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--"]


def test_permission_denied_names_the_os_reason():
    prefix = _drop_read_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        locked = folder / "locked.csv"
        locked.write_text("a,y\n1,2\n3,4\n")
        locked.chmod(0o000)
        (result,) = run_in_child([f"load(r'{locked}')"], prefix=prefix)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert result["error"] == f"{locked}: cannot open: Permission denied"
    assert result["peak_mb"] < LIMIT_MB


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".h5", ".parquet"])
def test_declared_size_checked_against_available_memory(tmp_path, monkeypatch, suffix):
    """A legitimate 2 MB array is refused before reading when memory is short (here 1 MB)."""
    import h5py
    import pandas as pd

    from gdlab.data import limits

    X = np.random.default_rng(0).normal(size=(25_000, 10))
    path = tmp_path / f"big{suffix}"
    if suffix == ".npy":
        np.save(path, X)
    elif suffix == ".npz":
        np.savez(path, X=X, y=X[:, 0])
    elif suffix == ".h5":
        with h5py.File(path, "w") as f:
            f["X"], f["y"] = X, X[:, 0]
    else:
        pd.DataFrame(X, columns=[f"x{i}" for i in range(10)]).to_parquet(path)
    assert load(path).n_samples == 25_000
    monkeypatch.setattr(limits, "available_memory", lambda: 1_000_000)
    with pytest.raises(GdlabError, match=rf"big{suffix}: .* needs [0-9.]+ MB in memory \(as the file "
                                         r"declares it\), more than 50% of the 1.0 MB available"):
        load(path)
