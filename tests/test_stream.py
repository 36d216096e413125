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
    ids = s.split_of(0, 5000)
    assert [int((ids == k).sum()) for k in (stream.TRAIN, stream.VAL, stream.TEST)] == [s.n_train, s.n_val, s.n_test]
    assert s.n_train + s.n_val + s.n_test == 5000
    assert abs(s.n_test / 5000 - 0.2) < 0.03
    assert abs(s.n_val / 5000 - 0.1) < 0.03
    assert s.task == "regression"
    rows = np.flatnonzero(ids == stream.TRAIN)
    np.testing.assert_allclose(s.mean, X[rows].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.std, X[rows].std(axis=0), rtol=1e-10)
    Xc, yc = s.chunk(3)
    np.testing.assert_array_equal(Xc, X[slice(*ranges[3])])
    np.testing.assert_array_equal(yc, y[slice(*ranges[3])])
    Xt, _yt = s.train_rows(3)
    keep = s.split_of(*ranges[3]) == stream.TRAIN
    np.testing.assert_array_equal(Xt, X[slice(*ranges[3])][keep])


def test_row_splits_depend_on_the_row_not_the_chunk_or_the_order():
    """A row's split is a seeded hash of its index: any range gives the same ids, the seed
    changes them, and a file sorted by its target splits like shuffled data."""
    full = stream.split_ids(0, 10_000, seed=4, val_fraction=0.1, test_fraction=0.2)
    np.testing.assert_array_equal(stream.split_ids(3_000, 7_000, seed=4, val_fraction=0.1, test_fraction=0.2),
                                  full[3_000:7_000])
    other = stream.split_ids(0, 10_000, seed=5, val_fraction=0.1, test_fraction=0.2)
    assert (full != other).mean() > 0.3
    for a in range(0, 10_000, 1000):  # every stretch of rows (a sorted file's range of targets) is split alike
        assert abs((full[a : a + 1000] == stream.TEST).mean() - 0.2) < 0.05


def test_sorted_file_streams_like_in_memory(tmp_path):
    """A file sorted by its target: the streamed test score is close to the in-memory one."""
    import gdlab

    rng = np.random.default_rng(1)
    X = rng.normal(size=(6000, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.5 * rng.normal(size=6000)
    order = np.argsort(y)
    np.save(tmp_path / "sorted.npy", np.column_stack([X[order], y[order]]))
    kw = dict(optimizer="gd", lr=0.3, epochs=60, quiet=True)
    streamed = gdlab.train(data=str(tmp_path / "sorted.npy"), stream=True, **kw)
    loaded = gdlab.train(data=str(tmp_path / "sorted.npy"), **kw)
    assert loaded.metrics["test"]["r2"] > 0.9
    assert abs(streamed.metrics["test"]["r2"] - loaded.metrics["test"]["r2"]) < 0.05


def test_minibatches_visit_every_training_row_once_per_epoch(npy_file):
    path, X, _ = npy_file
    s = open_stream(path, seed=0, log=lambda _m: None)
    first = np.concatenate([b[0][:, 0] for b in s.batches(64, seed=0, epoch=1)])
    second = np.concatenate([b[0][:, 0] for b in s.batches(64, seed=0, epoch=2)])
    train_rows = np.flatnonzero(s.split_of(0, len(X)) == stream.TRAIN)
    np.testing.assert_array_equal(np.sort(first), np.sort(X[train_rows, 0]))
    assert not np.array_equal(first, second)  # a new order every epoch
    again = np.concatenate([b[0][:, 0] for b in s.batches(64, seed=0, epoch=1)])
    np.testing.assert_array_equal(first, again)  # and the same order for the same (seed, epoch)
    sizes = [len(b[0]) for b in s.batches(64, seed=0, epoch=1)]
    assert set(sizes[:-1]) == {64}
    in_order = np.concatenate([b[0][:, 0] for b in s.batches(64, seed=0, epoch=1, shuffle=False)])
    np.testing.assert_array_equal(in_order, X[train_rows, 0])  # --no-shuffle: file order


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
    assert not any("converting" in line for line in said)
    frame.iloc[:200].to_csv(path, index=False)
    said.clear()
    s = open_stream(path, log=said.append)
    assert any("converting" in line for line in said)
    assert s.n_train + s.n_val + s.n_test == 200


def test_csv_cache_is_checked_by_content_not_size_and_mtime(tmp_path):
    import os

    path = tmp_path / "same.csv"
    pd.DataFrame({"a": np.arange(100.0), "y": np.arange(100.0)}).to_csv(path, index=False)
    open_stream(path, log=lambda _m: None)
    stat = path.stat()
    text = path.read_text().replace("\n5.0,5.0\n", "\n9.0,9.0\n")  # same size, other content
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    said = []
    s = open_stream(path, val_fraction=0, test_fraction=0, log=said.append)
    assert any("changed since its columnar copy" in line for line in said)
    X = np.concatenate([s.chunk(i)[0] for i in s.chunks])
    assert 9.0 in X[:, 0]
    assert 5.0 not in X[:, 0]


def test_csv_cache_of_a_read_only_folder_goes_to_the_user_cache(tmp_path, monkeypatch):
    import os

    folder = tmp_path / "ro"
    folder.mkdir()
    pd.DataFrame({"a": [1.0, 2.0, 3.0] * 10, "y": [0.0, 1.0, 2.0] * 10}).to_csv(folder / "d.csv", index=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(stream.os, "access", lambda p, mode: not str(p).startswith(str(folder)) and os.access(p, mode))
    said = []
    open_stream(folder / "d.csv", val_fraction=0, test_fraction=0, log=said.append)
    assert not (folder / "d.csv.gdlab.parquet").exists()
    assert list((tmp_path / "cache" / "gdlab" / "streams").glob("*.gdlab.parquet"))
    assert str(tmp_path / "cache") in said[0]


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


def test_a_file_cut_short_while_streaming_is_an_error_not_a_crash(npy_file):
    """A full pass maps each chunk of the file; a file truncated between two passes is
    reported by name (mapping past its end would kill the process with SIGBUS)."""
    path, X, _y = npy_file
    s = open_stream(path, val_fraction=0, test_fraction=0, log=lambda _m: None)
    first = [(a, block.copy()) for a, block in s.source.blocks(s.chunks)]
    assert sum(len(b) for _a, b in first) == 5000
    np.testing.assert_array_equal(first[2][1][:, :4], X[first[2][0] : first[2][0] + len(first[2][1])])
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)
    with pytest.raises(GdlabError, match="changed while it was read"):
        for _ in s.source.blocks(s.chunks):
            pass
