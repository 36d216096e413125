"""Bad input: exit code 2 and one clear line naming what is wrong, never a traceback,
and nothing written earlier is damaged."""

from __future__ import annotations

import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import cli_error


def _csv(path, text):
    path.write_text(text)
    return path.name


def test_missing_file(gdlab_cli):
    cli_error(gdlab_cli("train", "nope/data.csv"), "nope/data.csv", "not found")


def test_unknown_extension(gdlab_cli, tmp_path):
    (tmp_path / "data.xyz").write_text("a,b\n1,2\n")
    cli_error(gdlab_cli("train", "data.xyz"), "data.xyz", ".xyz")


def test_empty_file(gdlab_cli, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    cli_error(gdlab_cli("train", "empty.csv"), "empty.csv", "empty")


def test_header_only(gdlab_cli, tmp_path):
    (tmp_path / "h.csv").write_text("a,b,y\n")
    cli_error(gdlab_cli("train", "h.csv"), "h.csv")


def test_ragged_rows(gdlab_cli, tmp_path):
    _csv(tmp_path / "r.csv", "a,b,y\n1,2,3\n4,5\n6,7,8\n")
    cli_error(gdlab_cli("train", "r.csv"), "r.csv", "line 3")


def test_non_numeric_feature(gdlab_cli, tmp_path):
    _csv(tmp_path / "n.csv", "a,b,y\n1,2,3\n4,abc,5\n6,7,8\n")
    cli_error(gdlab_cli("train", "n.csv"), "n.csv", "line 3", "'b'", "abc")


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_nan_or_inf_in_features(gdlab_cli, tmp_path, value):
    """A missing cell is filled by default (issue 13); with --impute none it is an error
    naming its line and column, as an infinite number always is."""
    _csv(tmp_path / "f.csv", f"a,b,y\n1,2,3\n4,{value},5\n6,7,8\n")
    cli_error(gdlab_cli("train", "f.csv", "--impute", "none"), "f.csv", "line 3", "'b'")
    if value == "inf":
        cli_error(gdlab_cli("train", "f.csv"), "f.csv", "line 3", "'b'")


def test_nan_in_target(gdlab_cli, tmp_path):
    """A missing target drops the row by default (said in a note); --impute none refuses it."""
    _csv(tmp_path / "t.csv", "a,b,y\n1,2,3\n4,5,\n6,7,8\n")
    cli_error(gdlab_cli("train", "t.csv", "--impute", "none"), "t.csv", "line 3", "'y'")


def test_unknown_target_column(gdlab_cli, tmp_path):
    _csv(tmp_path / "u.csv", "a,b,y\n1,2,3\n4,5,6\n")
    cli_error(gdlab_cli("train", "u.csv", "--target", "price"), "u.csv", "price")


def test_single_class_target(gdlab_cli, tmp_path):
    rows = "\n".join(f"{i},{i * 2},cat" for i in range(20))
    _csv(tmp_path / "one.csv", "a,b,label\n" + rows + "\n")
    cli_error(gdlab_cli("train", "one.csv"), "one.csv", "cat")


def test_prediction_file_missing_training_column(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "iris", "--epochs", "2", "--out", "runs/iris", "--quiet").code == 0
    pd.DataFrame({"sepal length (cm)": [5.0], "sepal width (cm)": [3.0]}).to_csv(
        tmp_path / "partial.csv", index=False)
    cli_error(gdlab_cli("predict", "runs/iris", "partial.csv"), "partial.csv", "petal length (cm)")


def test_hdf5_without_expected_keys(gdlab_cli, tmp_path):
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f["images"] = np.zeros((4, 2))
    cli_error(gdlab_cli("train", "bad.h5"), "bad.h5", "images")


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--lr", "0"], "--lr"),
        (["--lr", "-0.1"], "--lr"),
        (["--optimizer", "minibatch", "--batch-size", "0"], "--batch-size"),
        (["--epochs", "0"], "--epochs"),
        (["--test-fraction", "1.0"], "--test-fraction"),
        (["--val-fraction", "-0.1"], "--val-fraction"),
        (["--val-fraction", "0.5", "--test-fraction", "0.5"], "sum to 1"),
    ],
)
def test_bad_settings(gdlab_cli, flags, needle):
    cli_error(gdlab_cli("train", *flags), needle)


def test_unknown_dataset_lists_known_ones(gdlab_cli):
    r = gdlab_cli("train", "irs")
    cli_error(r, "irs", "iris", "synthetic-linear", "digits")


def test_failed_run_leaves_earlier_run_folder_intact(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "--epochs", "2", "--out", "runs/a", "--quiet").code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "runs/a").iterdir()}
    _csv(tmp_path / "bad.csv", "a,b,y\n1,x,3\n")
    assert gdlab_cli("train", "bad.csv", "--out", "runs/a").code == 2
    after = {p.name: p.read_bytes() for p in (tmp_path / "runs/a").iterdir()}
    assert before == after


def test_bad_input_from_a_real_process_has_no_traceback(tmp_path):
    (tmp_path / "n.csv").write_text("a,y\n1,2\nfoo,3\n")
    p = subprocess.run([sys.executable, "-m", "gdlab", "train", "n.csv"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.startswith("gdlab: error: ")
    assert "Traceback" not in p.stderr
    assert "foo" in p.stderr
