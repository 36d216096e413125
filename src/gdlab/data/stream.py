"""Data larger than memory: read a file chunk by chunk, never all of it at once.

Sources (each yields row ranges and reads one range at a time):

- ``.npy``: memory mapping, one chunk's rows mapped at a time (the mapping is dropped
  after each read, so resident memory stays at one chunk, not the whole file);
- ``.parquet``: one row group at a time through pyarrow;
- ``.csv``: converted once, in chunks, to a Parquet file cached next to the data
  (``<name>.csv.gdlab.parquet``, rebuilt when the CSV changes), then read as Parquet.

How a stream is split and shuffled (honest about what it is):

- **splits** are by whole chunks: a seeded choice of chunks forms the validation and test
  splits, the rest is training data (a row's split depends only on its chunk);
- **standardization** statistics come from one streaming pass over the training chunks
  (Chan's parallel mean/variance merge, in float64);
- **mini-batches**: each epoch the order of the training chunks is shuffled, and rows are
  shuffled within a buffer of ``SHUFFLE_CHUNKS`` chunks before being cut into batches. This
  is not a uniform shuffle of the whole file; it is the usual approximation (as in
  tf.data's shuffle buffer or WebDataset) and is documented as such;
- **full-batch GD** is exact: gradients are accumulated over every training chunk
  (weighted by rows) before the one update of the epoch.
"""

from __future__ import annotations

import math
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gdlab.data.target import MAX_INTEGER_CLASSES, encode_labels
from gdlab.errors import GdlabError

CHUNK_BYTES = 16 * 2**20  # bytes of file data per chunk
MIN_CHUNKS = 20  # split small files finer, so splits by chunk stay meaningful
SHUFFLE_CHUNKS = 4  # chunks mixed together in the shuffle buffer
AUTO_STREAM_FRACTION = 0.5  # stream automatically when a file exceeds this share of free memory
STREAM_SUFFIXES = (".npy", ".parquet", ".pq", ".csv")


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or total physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def should_stream(path: str | os.PathLike) -> bool:
    """Whether a file is large enough that loading it whole would be unwise."""
    p = Path(path)
    return (p.suffix.lower() in STREAM_SUFFIXES and p.is_file()
            and p.stat().st_size > AUTO_STREAM_FRACTION * available_memory())


# --- sources -----------------------------------------------------------------------------
class NpySource:
    """A 2-D ``.npy`` array read through per-chunk memory maps."""

    def __init__(self, path: Path, target):
        self.path = path
        try:
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, fortran, dtype = read_header(f)
                self.offset = f.tell()
        except Exception as e:
            raise GdlabError(f"{path}: cannot read as a NumPy .npy array ({e})") from None
        if len(shape) != 2 or fortran or dtype.kind not in "biuf":
            raise GdlabError(f"{path}: streaming needs one 2-D numeric C-order array, got "
                             f"shape {shape}, dtype {dtype}")
        self.n_rows, self.n_columns = shape
        self.dtype = dtype
        t = -1 if target is None else int(str(target))
        if not -self.n_columns <= t < self.n_columns:
            raise GdlabError(f"{path}: target column {t} is out of range; the array has "
                             f"{self.n_columns} columns")
        self.target_col = t % self.n_columns
        self.feature_names = [f"x{i}" for i in range(self.n_columns) if i != self.target_col]
        self.target_name = "y" if target is None else f"column {self.target_col}"
        row_bytes = self.n_columns * dtype.itemsize
        rows = max(1, min(CHUNK_BYTES // row_bytes, math.ceil(self.n_rows / MIN_CHUNKS)))
        self._ranges = [(a, min(a + rows, self.n_rows)) for a in range(0, self.n_rows, rows)]

    def ranges(self) -> list[tuple[int, int]]:
        return self._ranges

    def _map(self, a: int, b: int) -> np.ndarray:
        """Rows a..b as an array over a memory map of just those rows. The map is private
        (copy-on-write): the array is writable for the libraries that want that, nothing
        can ever reach the file, and pages are only read (MAP_POPULATE here would copy
        every page up front, ten times slower)."""
        row_bytes = self.n_columns * self.dtype.itemsize
        start = self.offset + a * row_bytes
        aligned = start - start % mmap.ALLOCATIONGRANULARITY
        flags = mmap.MAP_PRIVATE
        with open(self.path, "rb") as f:
            m = mmap.mmap(f.fileno(), start - aligned + (b - a) * row_bytes, flags=flags,
                          prot=mmap.PROT_READ | mmap.PROT_WRITE, offset=aligned)
        return np.frombuffer(m, dtype=self.dtype, count=(b - a) * self.n_columns,
                             offset=start - aligned).reshape(b - a, self.n_columns)

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._ranges[i]
        mm = self._map(a, b)
        # views into this chunk's mapping (no copy): the mapping goes when they do, so only
        # the chunk in use is ever mapped
        y = mm[:, self.target_col]
        if self.target_col == self.n_columns - 1:
            return mm[:, :-1], y
        return np.delete(mm, self.target_col, axis=1), y


class ParquetSource:
    """A Parquet file read one row group at a time."""

    def __init__(self, path: Path, target):
        import pyarrow.parquet as pq

        self.path = path
        try:
            self.file = pq.ParquetFile(path)
        except Exception as e:
            raise GdlabError(f"{path}: cannot read as Parquet ({e})") from None
        names = self.file.schema_arrow.names
        if not names:
            raise GdlabError(f"{path}: no columns")
        self.target_name = names[-1] if target is None else str(target)
        if self.target_name not in names:
            raise GdlabError(f"{path}: no column {self.target_name!r}; columns: {', '.join(names)}")
        self.feature_names = [n for n in names if n != self.target_name]
        if not self.feature_names:
            raise GdlabError(f"{path}: needs at least one feature column besides the target")
        self.n_rows = self.file.metadata.num_rows
        sizes = [self.file.metadata.row_group(g).num_rows for g in range(self.file.num_row_groups)]
        # few big row groups (a small file): cut each into pieces so splits by chunk work
        pieces = max(1, math.ceil(MIN_CHUNKS / max(len(sizes), 1)))
        self._parts, self._ranges, start = [], [], 0
        for g, size in enumerate(sizes):
            step = max(1, math.ceil(size / pieces))
            for lo in range(0, size, step):
                hi = min(lo + step, size)
                self._parts.append((g, lo, hi))
                self._ranges.append((start + lo, start + hi))
            start += size
        self._cached: tuple[int, object] | None = None

    def ranges(self) -> list[tuple[int, int]]:
        return self._ranges

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        g, lo, hi = self._parts[i]
        if self._cached is None or self._cached[0] != g:
            self._cached = (g, self.file.read_row_group(g))
        table = self._cached[1].slice(lo, hi - lo)
        cols = []
        for name in self.feature_names:
            col = table.column(name).to_numpy(zero_copy_only=False)
            if col.dtype.kind not in "biuf":  # text: numbers written as text are fine
                import pandas as pd

                numeric = pd.to_numeric(pd.Series(col), errors="coerce").to_numpy()
                bad = np.flatnonzero(np.isnan(numeric))
                if bad.size:
                    row = self._ranges[i][0] + int(bad[0])
                    raise GdlabError(f"{self.path}: row index {row}, column {name!r}: "
                                     f"{col[bad[0]]!r} is not a number")
                col = numeric
            cols.append(col.astype(np.float64))
        X = np.stack(cols, axis=1)
        y = table.column(self.target_name).to_numpy(zero_copy_only=False)
        return X, y


def csv_to_parquet(path: Path, *, log=print) -> Path:
    """Convert a CSV to a Parquet file beside it, once; reuse it while the CSV is unchanged."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    cache = path.with_name(path.name + ".gdlab.parquet")
    stamp = f"{path.stat().st_size}:{path.stat().st_mtime_ns}"
    if cache.exists():
        meta = pq.ParquetFile(cache).schema_arrow.metadata or {}
        if meta.get(b"gdlab_source") == stamp.encode():
            log(f"streaming {path} through its cached columnar copy {cache}")
            return cache
    log(f"converting {path} to a columnar file for streaming, once: {cache} "
        "(cached next to the data; reused while the CSV is unchanged)")
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    writer = None
    try:
        reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=CHUNK_BYTES))
        for batch in reader:
            if writer is None:
                schema = batch.schema.with_metadata({"gdlab_source": stamp})
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_batch(batch, row_group_size=batch.num_rows)
        if writer is None:
            raise GdlabError(f"{path}: no data rows")
        writer.close()
        writer = None
        os.replace(tmp, cache)
    except GdlabError:
        raise
    except Exception as e:
        raise GdlabError(f"{path}: cannot convert for streaming: {str(e).splitlines()[0]}") from None
    finally:
        if writer is not None:
            writer.close()
        Path(tmp).unlink(missing_ok=True)
    return cache


def open_source(path: str | os.PathLike, *, target=None, log=print):
    p = Path(path)
    if not p.exists():
        raise GdlabError(f"file not found: {p}")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        return NpySource(p, target)
    if suffix in (".parquet", ".pq"):
        return ParquetSource(p, target)
    if suffix == ".csv":
        return ParquetSource(csv_to_parquet(p, log=log), target)
    raise GdlabError(f"{p}: --stream reads .npy, .parquet and .csv files, not {suffix or 'no extension'}")


# --- the streamed data set ------------------------------------------------------------------
@dataclass
class StreamData:
    """A file too big for memory, as chunks with their splits, task and statistics.

    Built by :func:`open_stream`, which makes one pass to check every cell, find the task
    and classes, and compute the training split's mean and standard deviation.
    """

    source: object
    name: str
    task: str
    classes: list | None
    train_chunks: list[int]
    val_chunks: list[int]
    test_chunks: list[int]
    n_train: int
    n_val: int
    n_test: int
    mean: np.ndarray
    std: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return self.source.feature_names

    @property
    def target_name(self) -> str:
        return self.source.target_name

    @property
    def n_features(self) -> int:
        return len(self.source.feature_names)

    @property
    def n_samples(self) -> int:
        return self.n_train + self.n_val + self.n_test

    @property
    def n_classes(self) -> int:
        return 0 if self.classes is None else len(self.classes)

    def chunk(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk i as (X float64, y): y float64 for regression, class indices otherwise."""
        X, y = self.source.read(i)
        a = self.source.ranges()[i][0]
        if self.task == "regression":
            return X, np.array(y, dtype=np.float64)
        return X, encode_labels(y, self.classes, where=f"{self.name} (rows from {a})")

    def shuffled_train_chunks(self, *, seed: int, epoch: int) -> list[int]:
        rng = np.random.default_rng([seed, epoch])
        return [self.train_chunks[i] for i in rng.permutation(len(self.train_chunks))]

    def batches(
        self, batch_size: int, *, seed: int, epoch: int, chunks: list[int] | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Mini-batches of one epoch: shuffled chunk order, rows shuffled within a buffer.

        ``chunks`` restricts the epoch to some training chunks (one process's shard).
        """
        rng = np.random.default_rng([seed, epoch, 1])
        chunks = self.train_chunks if chunks is None else chunks
        order = [chunks[i] for i in np.random.default_rng([seed, epoch]).permutation(len(chunks))]
        carry_X = carry_y = None
        for start in range(0, len(order), SHUFFLE_CHUNKS):
            parts = [self.chunk(i) for i in order[start : start + SHUFFLE_CHUNKS]]
            X = np.concatenate([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            if carry_X is not None:
                X, y = np.concatenate([carry_X, X]), np.concatenate([carry_y, y])
            perm = rng.permutation(len(X))
            X, y = X[perm], y[perm]
            whole = len(X) // batch_size * batch_size
            for a in range(0, whole, batch_size):
                yield X[a : a + batch_size], y[a : a + batch_size]
            carry_X, carry_y = X[whole:], y[whole:]
        if carry_X is not None and len(carry_X):
            yield carry_X, carry_y


def _check_finite(X: np.ndarray, y: np.ndarray, *, path, start: int, names: list[str], target: str) -> None:
    if not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise GdlabError(f"{path}: row {start + r}, column {names[c]!r}: {X[r, c]} is not a finite number")
    if y.dtype.kind in "fc" and not np.isfinite(y).all():
        r = int(np.flatnonzero(~np.isfinite(y))[0])
        raise GdlabError(f"{path}: row {start + r}, column {target!r}: {y[r]} is not a finite number")


def open_stream(
    path: str | os.PathLike,
    *,
    target=None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 0,
    log=print,
) -> StreamData:
    """Open ``path`` for streaming: choose split chunks, and make one checking/statistics pass."""
    source = open_source(path, target=target, log=log)
    n_chunks = len(source.ranges())
    rng = np.random.default_rng([seed, 7])
    perm = rng.permutation(n_chunks)
    n_test = round(test_fraction * n_chunks) if test_fraction else 0
    n_val = round(val_fraction * n_chunks) if val_fraction else 0
    if n_chunks - n_test - n_val < 1 or (n_chunks < 3 and (val_fraction or test_fraction)):
        n_test = n_val = 0
        log(f"{path}: only {n_chunks} chunks: too few to split; training on all of them")
    test_chunks = sorted(perm[:n_test].tolist())
    val_chunks = sorted(perm[n_test : n_test + n_val].tolist())
    train_chunks = sorted(perm[n_test + n_val :].tolist())
    is_train = np.zeros(n_chunks, dtype=bool)
    is_train[train_chunks] = True

    # one pass: finite cells, target kind and classes, train mean/variance (Chan's merge)
    d = len(source.feature_names)
    count, mean, m2 = 0, np.zeros(d), np.zeros(d)
    labels: set = set()
    numeric_target, integral = True, True
    rows = [0, 0]
    for i in range(n_chunks):
        X, y = source.read(i)
        a = source.ranges()[i][0]
        _check_finite(X, y, path=path, start=a, names=source.feature_names, target=source.target_name)
        if y.dtype.kind not in "biuf":
            numeric_target = False
        elif integral and not np.all(y == np.round(y)):
            integral = False
        if len(labels) <= MAX_INTEGER_CLASSES or not numeric_target:
            labels.update(np.unique(y).tolist())
        if is_train[i]:
            n = len(X)
            cm, cv = X.mean(axis=0, dtype=np.float64), X.var(axis=0, dtype=np.float64) * n
            delta = cm - mean
            total = count + n
            mean = mean + delta * n / total
            m2 = m2 + cv + delta**2 * count * n / total
            count = total
            rows[0] += n
        else:
            rows[1] += len(X)
    if numeric_target and (not integral or len(labels) > MAX_INTEGER_CLASSES):
        task, classes = "regression", None
    else:
        classes = sorted(labels, key=lambda v: (str(type(v)), v))
        if len(classes) < 2:
            raise GdlabError(f"{path}: target {source.target_name!r} has only one class "
                             f"({classes[0]!r}); classification needs at least two")
        task = "binary" if len(classes) == 2 else "multiclass"
    std = np.sqrt(m2 / max(count, 1))
    std[std == 0] = 1.0
    sizes = [b - a for a, b in source.ranges()]
    return StreamData(
        source=source, name=str(path), task=task, classes=classes,
        train_chunks=train_chunks, val_chunks=val_chunks, test_chunks=test_chunks,
        n_train=sum(sizes[i] for i in train_chunks), n_val=sum(sizes[i] for i in val_chunks),
        n_test=sum(sizes[i] for i in test_chunks), mean=mean, std=std,
    )
