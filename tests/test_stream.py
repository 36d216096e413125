"""Streaming sources: chunks cover every row once, statistics in one pass, honest shuffling."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from gdlab.data import stream
from gdlab.data.stream import open_stream
from gdlab.errors import GdlabError


@pytest.fixture
def npy_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(5000, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 1.0
    path = tmp_path / "big.npy"
    np.save(path, np.column_stack([X, y]))
    return path, X, y


def test_npy_chunks_cover_every_row_once_and_stats_match(npy_file):
    path, X, y = npy_file
    s = open_stream(path, val_fraction=0.1, test_fraction=0.2, seed=0, log=lambda _m: None)
    ranges = s.source.ranges()
    assert len(ranges) >= stream.MIN_CHUNKS
    assert ranges[0][0] == 0
    assert ranges[-1][1] == 5000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert sorted(s.train_chunks + s.val_chunks + s.test_chunks) == list(range(len(ranges)))
    assert s.n_train + s.n_val + s.n_test == 5000
    assert s.task == "regression"
    rows = np.concatenate([np.arange(*ranges[i]) for i in s.train_chunks])
    np.testing.assert_allclose(s.mean, X[rows].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.std, X[rows].std(axis=0), rtol=1e-10)
    Xc, yc = s.chunk(3)
    np.testing.assert_array_equal(Xc, X[slice(*ranges[3])])
    np.testing.assert_array_equal(yc, y[slice(*ranges[3])])


def test_minibatches_visit_every_training_row_once_per_epoch(npy_file):
    path, X, _ = npy_file
    s = open_stream(path, seed=0, log=lambda _m: None)
    first = np.concatenate([b[0][:, 0] for b in s.batches(64, seed=0, epoch=1)])
    second = np.concatenate([b[0][:, 0] for b in s.batches(64, seed=0, epoch=2)])
    ranges = s.source.ranges()
    train_rows = np.concatenate([np.arange(*ranges[i]) for i in s.train_chunks])
    np.testing.assert_array_equal(np.sort(first), np.sort(X[train_rows, 0]))
    assert not np.array_equal(first, second)  # a new order every epoch
    again = np.concatenate([b[0][:, 0] for b in s.batches(64, seed=0, epoch=1)])
    np.testing.assert_array_equal(first, again)  # and the same order for the same (seed, epoch)
    sizes = [len(b[0]) for b in s.batches(64, seed=0, epoch=1)]
    assert set(sizes[:-1]) == {64}


def test_csv_is_converted_once_and_reconverted_when_changed(tmp_path):
    path = tmp_path / "d.csv"
    frame = pd.DataFrame({"a": np.arange(300.0), "b": np.arange(300.0) % 7,
                          "label": np.where(np.arange(300) % 3 == 0, "x", "y")})
    frame.to_csv(path, index=False)
    said = []
    s = open_stream(path, log=said.append)
    assert "converting" in said[0]
    assert "d.csv.gdlab.parquet" in said[0]
    assert s.task == "binary"
    assert s.classes == ["x", "y"]
    said.clear()
    open_stream(path, log=said.append)
    assert "cached columnar copy" in said[0]
    frame.iloc[:200].to_csv(path, index=False)
    said.clear()
    s = open_stream(path, log=said.append)
    assert "converting" in said[0]
    assert s.n_train + s.n_val + s.n_test == 200


def test_non_finite_cell_is_located(tmp_path):
    data = np.ones((100, 3))
    data[57, 1] = np.nan
    np.save(tmp_path / "nan.npy", data)
    with pytest.raises(GdlabError, match=r"nan\.npy: row 57, column 'x1'"):
        open_stream(tmp_path / "nan.npy", log=lambda _m: None)


def test_wrong_file_type_and_bad_target(tmp_path):
    (tmp_path / "x.h5").write_bytes(b"")
    with pytest.raises(GdlabError, match=r"--stream reads \.npy, \.parquet and \.csv"):
        open_stream(tmp_path / "x.h5")
    np.save(tmp_path / "a.npy", np.ones((10, 3)))
    with pytest.raises(GdlabError, match="target column 5 is out of range"):
        open_stream(tmp_path / "a.npy", target=5)


def test_parquet_non_numeric_feature_is_located(tmp_path):
    pd.DataFrame({"a": ["1", "2", "zz"], "y": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(GdlabError, match=r"p\.parquet: row index 2, column 'a': 'zz'"):
        open_stream(tmp_path / "p.parquet", val_fraction=0, test_fraction=0, log=lambda _m: None)


def test_streamed_full_batch_gd_equals_in_memory_gd(npy_file):
    import gdlab

    path, _, _ = npy_file
    kw = dict(optimizer="gd", lr=0.2, epochs=15, dtype="float64", val_fraction=0,
              test_fraction=0, quiet=True)
    streamed = gdlab.train(data=str(path), stream=True, **kw)
    loaded = gdlab.train(data=str(path), **kw)
    np.testing.assert_allclose(streamed.metrics["params"]["weight"],
                               loaded.metrics["params"]["weight"], rtol=1e-10)
    np.testing.assert_allclose(streamed.metrics["params"]["bias"],
                               loaded.metrics["params"]["bias"], rtol=1e-10)
    np.testing.assert_allclose([h["train_loss"] for h in streamed.history],
                               [h["train_loss"] for h in loaded.history], rtol=1e-10)


def test_a_file_too_big_for_memory_is_streamed_automatically(npy_file, monkeypatch):
    import gdlab

    path, _, _ = npy_file
    monkeypatch.setattr(stream, "available_memory", lambda: path.stat().st_size)  # "half full"
    said = []
    run = gdlab.train(data=str(path), optimizer="gd", epochs=2, log=said.append)
    assert any("streaming it from disk" in line for line in said)
    assert run.config["stream"] is True
