"""Data larger than memory: read a file block by block, never all of it at once.

Sources (each yields row ranges, "chunks", and reads one range at a time):

- ``.npy``: positioned reads (``os.preadv``) of a chunk's rows for mini-batches and the
  statistics pass; a full pass reads each chunk through a read-only shared mapping of
  just that chunk (no copy: the kernel folds the standardization in and reads the page
  cache itself), unmapped before the next, so resident memory stays at one chunk;
- ``.parquet``: one row group at a time through pyarrow;
- ``.csv``: converted once, in chunks, to a Parquet file cached next to the data
  (``<name>.csv.gdlab.parquet``, or in the user cache directory when the data's folder is
  read-only), used only while a hash of the CSV's bytes matches the one recorded in it;
  the hash is computed beside the statistics pass, and a mismatch converts again.

How a stream is split and shuffled (honest about what it is):

- **splits** are per row: row r goes to the test split when a seeded hash of r falls
  below ``test_fraction``, to validation below ``test_fraction + val_fraction``, else to
  training. So a file sorted by its target splits like shuffled data, as in memory
  (though not the same rows as an in-memory split of the same file);
- **standardization** statistics come from one streaming pass over the training rows
  (Chan's parallel mean/variance merge, in float64);
- **mini-batches**: each epoch the order of the chunks is shuffled, and training rows are
  shuffled within a buffer of ``SHUFFLE_CHUNKS`` chunks before being cut into batches.
  This is not a uniform shuffle of the whole file; it is the usual approximation (as in
  tf.data's shuffle buffer or WebDataset) and is documented as such;
- **full-batch GD** is exact: gradients are accumulated over every training row before
  the one update of the epoch.
"""

from __future__ import annotations

import hashlib
import math
import mmap
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gdlab.data.target import MAX_INTEGER_CLASSES, encode_labels
from gdlab.errors import GdlabError

CHUNK_BYTES = 16 * 2**20  # bytes of file data per chunk (the unit of shuffling and sharding)
MIN_CHUNKS = 20  # cut small files finer, so shuffling and sharding by chunk stay meaningful
SHUFFLE_CHUNKS = 4  # chunks mixed together in the shuffle buffer
SPLIT_CACHE_ROWS = 16_000_000  # rows whose splits are kept (one byte each) rather than rehashed
AUTO_STREAM_FRACTION = 0.5  # stream automatically when a file exceeds this share of free memory
STREAM_SUFFIXES = (".npy", ".parquet", ".pq", ".csv")
TRAIN, VAL, TEST = 0, 1, 2


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


# --- per-row splits ------------------------------------------------------------------------
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a bijection of uint64 whose output bits look independent."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def split_ids(start: int, stop: int, *, seed: int, val_fraction: float, test_fraction: float) -> np.ndarray:
    """The split of each row start..stop−1 (TRAIN, VAL, TEST) from a seeded hash of its
    index: the same for a row whatever chunk it is read in."""
    rows = np.arange(start, stop, dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _mix(np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019))
        u = (_mix(rows ^ key) >> np.uint64(11)).astype(np.float64) * 2.0**-53  # uniform [0, 1)
    ids = np.full(stop - start, TRAIN, dtype=np.int8)
    ids[u < test_fraction + val_fraction] = VAL
    ids[u < test_fraction] = TEST
    return ids


# --- sources -----------------------------------------------------------------------------
class NpySource:
    """A 2-D ``.npy`` array read by positioned reads, a chunk or a block at a time."""

    _fd: int | None = None

    def __init__(self, path: Path, target):
        self.path = path
        try:
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, fortran, dtype = read_header(f)
                self.offset = f.tell()
        except PermissionError as e:
            raise GdlabError(f"{path}: cannot read: {e.strerror}") from None
        except Exception as e:
            raise GdlabError(f"{path}: cannot read as a NumPy .npy array ({e})") from None
        if len(shape) != 2 or fortran or dtype.kind not in "biuf" or dtype.hasobject:
            raise GdlabError(f"{path}: streaming needs one 2-D numeric C-order array, got "
                             f"shape {shape}, dtype {dtype}")
        self.n_rows, self.n_columns = shape
        if self.n_columns < 2:
            raise GdlabError(f"{path}: the array has {self.n_columns} column; need feature "
                             "columns and a target column")
        self.dtype = dtype
        self.row_bytes = self.n_columns * dtype.itemsize
        expected = self.offset + self.n_rows * self.row_bytes
        if path.stat().st_size < expected:
            raise GdlabError(f"{path}: truncated: the header promises {expected:,} bytes, the "
                             f"file has {path.stat().st_size:,}")
        t = -1 if target is None else _column_index(path, target, self.n_columns)
        self.target_col = t % self.n_columns
        self.feature_names = [f"x{i}" for i in range(self.n_columns) if i != self.target_col]
        self.target_name = "y" if target is None else f"column {self.target_col}"
        rows = max(1, min(CHUNK_BYTES // self.row_bytes, math.ceil(self.n_rows / MIN_CHUNKS)))
        self._ranges = [(a, min(a + rows, self.n_rows)) for a in range(0, self.n_rows, rows)]

    @property
    def target_last(self) -> bool:
        return self.target_col == self.n_columns - 1

    def ranges(self) -> list[tuple[int, int]]:
        return self._ranges

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd

    def read_rows(self, a: int, b: int, out: np.ndarray | None = None) -> np.ndarray:
        """Rows a..b−1, all columns, as (b − a, n_columns) in the file's dtype (into ``out``
        when given: a reused buffer of at least that many rows)."""
        m = b - a
        if out is None:
            out = np.empty((m, self.n_columns), dtype=self.dtype)
        view = out[:m]
        want = m * self.row_bytes
        got = os.preadv(self._file(), [memoryview(view).cast("B")], self.offset + a * self.row_bytes)
        if got != want:
            raise GdlabError(f"{self.path}: the file changed while it was read (rows {a}..{b})")
        return view

    def split_columns(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(features, target) of a raw block: views when the target is the last column."""
        if self.target_last:
            return block[:, :-1], block[:, -1]
        return np.delete(block, self.target_col, axis=1), block[:, self.target_col]

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk i as (features, target)."""
        return self.split_columns(self.read_rows(*self._ranges[i]))

    def blocks(self, chunks: list[int]) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, raw block) per chunk, for a full pass: a read-only view of the file's
        own pages (a shared mapping of just that chunk, its page tables filled at once), so
        the pass reads the bytes once, with no copy. The mapping is dropped when the next
        block is asked for and no view of it is left."""
        populate = getattr(mmap, "MAP_POPULATE", 0)
        for i in chunks:
            a, b = self._ranges[i]
            start = self.offset + a * self.row_bytes
            aligned = start - start % mmap.ALLOCATIONGRANULARITY
            length = start - aligned + (b - a) * self.row_bytes
            if os.fstat(self._file()).st_size < start + (b - a) * self.row_bytes:  # not a SIGBUS
                raise GdlabError(f"{self.path}: the file changed while it was read (rows {a}..{b})")
            m = mmap.mmap(self._file(), length, flags=mmap.MAP_SHARED | populate,
                          prot=mmap.PROT_READ, offset=aligned)
            # The array holds the mapping; it is unmapped when the last view of it goes,
            # and its pages are the file's clean page cache, never anonymous memory.
            yield a, np.frombuffer(m, dtype=self.dtype, count=(b - a) * self.n_columns,
                                   offset=start - aligned).reshape(b - a, self.n_columns)
            del m

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        self.close()


def _column_index(path, target, n_columns: int) -> int:
    try:
        t = int(str(target))
    except ValueError:
        raise GdlabError(f"{path}: --target for a .npy file is a column index, got {target!r}") from None
    if not -n_columns <= t < n_columns:
        raise GdlabError(f"{path}: target column {t} is out of range; the array has "
                         f"{n_columns} columns")
    return t


class ParquetSource:
    """A Parquet file read one row group at a time."""

    target_last = False

    def __init__(self, path: Path, target):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = path
        try:
            self.file = pq.ParquetFile(path)
        except PermissionError as e:
            raise GdlabError(f"{path}: cannot read: {e.strerror}") from None
        except Exception as e:
            raise GdlabError(f"{path}: cannot read as Parquet ({e})") from None
        schema = self.file.schema_arrow
        names = schema.names
        if not names:
            raise GdlabError(f"{path}: no columns")
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise GdlabError(f"{path}: duplicate column names: {', '.join(dupes)}")
        for f in schema:
            if pa.types.is_nested(f.type):
                raise GdlabError(f"{path}: column {f.name!r} holds nested values ({f.type}); "
                                 "gdlab needs one number or label per cell")
        self.target_name = names[-1] if target is None else str(target)
        if self.target_name not in names:
            raise GdlabError(f"{path}: no column {self.target_name!r}; columns: {', '.join(names)}")
        self.feature_names = [n for n in names if n != self.target_name]
        if not self.feature_names:
            raise GdlabError(f"{path}: needs at least one feature column besides the target")
        self.n_rows = self.file.metadata.num_rows
        sizes = [self.file.metadata.row_group(g).num_rows for g in range(self.file.num_row_groups)]
        # few big row groups (a small file): cut each into pieces so chunks stay meaningful
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

    def blocks(self, chunks: list[int]) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, features with the target as a last column) per chunk."""
        for i in chunks:
            X, y = self.read(i)
            yield self._ranges[i][0], (X, y)


# --- CSV through a cached Parquet copy ------------------------------------------------------------
def _csv_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def _cache_path(path: Path) -> Path:
    """Beside the CSV, or in the user cache directory when its folder is read-only."""
    beside = path.with_name(path.name + ".gdlab.parquet")
    if os.access(path.parent, os.W_OK):
        return beside
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gdlab" / "streams"
    key = hashlib.blake2b(str(path.resolve()).encode(), digest_size=8).hexdigest()
    return root / f"{path.stem}-{key}.csv.gdlab.parquet"


class CsvCache:
    """The Parquet copy of a CSV file, and the check that it still matches the CSV."""

    def __init__(self, path: Path, *, log=print):
        self.path, self.log = path, log
        self.cache = _cache_path(path)
        self._hash: dict = {}
        self._thread: threading.Thread | None = None

    def recorded_hash(self) -> str | None:
        import pyarrow.parquet as pq

        if not self.cache.exists():
            return None
        try:
            meta = pq.ParquetFile(self.cache).schema_arrow.metadata or {}
        except Exception:
            return None
        value = meta.get(b"gdlab_csv_blake2b")
        return value.decode() if value else None

    def start_hash(self) -> None:
        """Hash the CSV's bytes in a second thread (beside the statistics pass)."""
        def run():
            try:
                self._hash["value"] = _csv_hash(self.path)
            except OSError as e:
                self._hash["error"] = e

        self._thread = threading.Thread(target=run, daemon=True, name="gdlab-csv-hash")
        self._thread.start()

    def csv_hash(self) -> str:
        if self._thread is None:
            self.start_hash()
        self._thread.join()
        if "error" in self._hash:
            raise GdlabError(f"{self.path}: cannot read: {self._hash['error']}")
        return self._hash["value"]

    def convert(self) -> Path:
        """Write the Parquet copy (atomically), recording the CSV's hash in it."""
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        self.log(f"converting {self.path} to a columnar file for streaming, once: {self.cache} "
                 "(reused while the CSV's content is unchanged)")
        digest = self.csv_hash()
        self.cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache.with_name(f".{self.cache.name}.{os.getpid()}.tmp")
        writer = None
        try:
            reader = pcsv.open_csv(self.path, read_options=pcsv.ReadOptions(block_size=CHUNK_BYTES))
            for batch in reader:
                if writer is None:
                    schema = batch.schema.with_metadata({"gdlab_csv_blake2b": digest})
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_batch(batch, row_group_size=batch.num_rows)
            if writer is None:
                raise GdlabError(f"{self.path}: no data rows")
            writer.close()
            writer = None
            os.replace(tmp, self.cache)
        except GdlabError:
            raise
        except PermissionError as e:
            raise GdlabError(f"{self.path}: cannot read: {e.strerror}") from None
        except Exception as e:
            raise GdlabError(f"{self.path}: cannot convert for streaming: {str(e).splitlines()[0]}") from None
        finally:
            if writer is not None:
                writer.close()
            Path(tmp).unlink(missing_ok=True)
        return self.cache


def open_source(path: str | os.PathLike, *, target=None, log=print):
    """(source, csv cache or None) for a file to stream."""
    p = Path(path)
    if not p.exists():
        raise GdlabError(f"file not found: {p}")
    if not p.is_file():
        raise GdlabError(f"not a file: {p}")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        return NpySource(p, target), None
    if suffix in (".parquet", ".pq"):
        return ParquetSource(p, target), None
    if suffix == ".csv":
        cache = CsvCache(p, log=log)
        if cache.recorded_hash() is None:
            cache.convert()
        else:
            log(f"streaming {p} through its cached columnar copy {cache.cache} (its content "
                "is checked against the CSV during the first pass)")
            cache.start_hash()
        return ParquetSource(cache.cache, target), cache
    raise GdlabError(f"{p}: --stream reads .npy, .parquet and .csv files, not {suffix or 'no extension'}")


# --- the streamed data set ------------------------------------------------------------------
@dataclass
class StreamData:
    """A file too big for memory, as chunks with per-row splits, task and statistics.

    Built by :func:`open_stream`, which makes one pass to check every cell, find the task
    and classes, count each split's rows and compute the training rows' mean and
    standard deviation.
    """

    source: object
    name: str
    task: str
    classes: list | None
    n_train: int
    n_val: int
    n_test: int
    mean: np.ndarray
    std: np.ndarray
    seed: int = 0
    target_mean: float | None = None  # a regression target's mean over the training rows
    val_fraction: float = 0.0
    test_fraction: float = 0.0
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

    @property
    def chunks(self) -> list[int]:
        return list(range(len(self.source.ranges())))

    def split_of(self, start: int, stop: int) -> np.ndarray:
        """The split of rows start..stop−1 (hashed once for files up to SPLIT_CACHE_ROWS rows,
        kept as one byte a row; bigger files hash each block as it is read)."""
        if not self.val_fraction and not self.test_fraction:
            return np.zeros(stop - start, dtype=np.int8)  # every row trains
        n = self.n_samples
        if n <= SPLIT_CACHE_ROWS:
            cache = self.meta.get("split_ids")
            if cache is None:
                cache = self.meta["split_ids"] = split_ids(
                    0, n, seed=self.seed, val_fraction=self.val_fraction, test_fraction=self.test_fraction)
            return cache[start:stop]
        return split_ids(start, stop, seed=self.seed, val_fraction=self.val_fraction,
                         test_fraction=self.test_fraction)

    def labels(self, y: np.ndarray, start: int) -> np.ndarray:
        """A block's target as the losses take it: float64 values, or class indices."""
        if self.task == "regression":
            return np.asarray(y, dtype=np.float64)
        return encode_labels(y, self.classes, where=f"{self.name} (rows from {start})")

    def chunk(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk i, every row, as (X, y): y float64 for regression, class indices otherwise."""
        X, y = self.source.read(i)
        return X, self.labels(y, self.source.ranges()[i][0])

    def train_rows(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The training rows of chunk i as (X, y)."""
        X, y = self.chunk(i)
        a, b = self.source.ranges()[i]
        keep = self.split_of(a, b) == TRAIN
        return X[keep], y[keep]

    def batches(
        self, batch_size: int, *, seed: int, epoch: int, chunks: list[int] | None = None,
        shuffle: bool = True,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Mini-batches of the training rows of one epoch: shuffled chunk order, rows
        shuffled within a buffer (``shuffle=False``: every row in file order).

        ``chunks`` restricts the epoch to some chunks (one process's shard).
        """
        chunks = self.chunks if chunks is None else chunks
        rng = np.random.default_rng([seed, epoch, 1])
        order = ([chunks[i] for i in np.random.default_rng([seed, epoch]).permutation(len(chunks))]
                 if shuffle else list(chunks))
        carry_X = carry_y = None
        for start in range(0, len(order), SHUFFLE_CHUNKS):
            parts = [self.train_rows(i) for i in order[start : start + SHUFFLE_CHUNKS]]
            X = np.concatenate([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            if carry_X is not None:
                X, y = np.concatenate([carry_X, X]), np.concatenate([carry_y, y])
            if shuffle:
                perm = rng.permutation(len(X))
                X, y = X[perm], y[perm]
            whole = len(X) // batch_size * batch_size
            for a in range(0, whole, batch_size):
                yield X[a : a + batch_size], y[a : a + batch_size]
            carry_X, carry_y = X[whole:], y[whole:]
        if carry_X is not None and len(carry_X):
            yield carry_X, carry_y


def _check_finite(X: np.ndarray, y: np.ndarray, *, path, start: int, names: list[str], target: str) -> None:
    if X.dtype.kind == "f" and not np.isfinite(X).all():
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
    """Open ``path`` for streaming: one pass checks every cell, finds the task and
    classes, counts the rows of each split and computes the training statistics."""
    source, cache = open_source(path, target=target, log=log)
    try:
        return _statistics(source, path, target=target, val_fraction=val_fraction,
                           test_fraction=test_fraction, seed=seed, cache=cache)
    except _StaleCache:
        log(f"{path} changed since its columnar copy was made: converting it again")
        cache.convert()
        source = ParquetSource(cache.cache, target)
        return _statistics(source, path, target=target, val_fraction=val_fraction,
                           test_fraction=test_fraction, seed=seed, cache=None)


class _StaleCache(Exception):
    pass


def _statistics(source, path, *, target, val_fraction, test_fraction, seed, cache) -> StreamData:
    d = len(source.feature_names)
    count, mean, m2 = 0, np.zeros(d), np.zeros(d)
    labels: set = set()
    numeric_target, integral = True, True
    rows = [0, 0, 0]
    target_sum = 0.0

    def stale() -> bool:
        return cache is not None and cache.csv_hash() != cache.recorded_hash()

    for i, (a, b) in enumerate(source.ranges()):
        try:
            X, y = source.read(i)
            _check_finite(X, y, path=path, start=a, names=source.feature_names,
                          target=source.target_name)
        except GdlabError:
            if stale():  # the error may be the old copy's, not the CSV's
                raise _StaleCache from None
            raise
        if y.dtype.kind not in "biuf":
            numeric_target = False
        elif integral and not np.all(y == np.round(y)):
            integral = False
        if len(labels) <= MAX_INTEGER_CLASSES or not numeric_target:
            labels.update(np.unique(y).tolist())
        ids = split_ids(a, b, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)
        keep = ids == TRAIN
        for s in (TRAIN, VAL, TEST):
            rows[s] += int((ids == s).sum())
        Xt = X[keep]
        if numeric_target:
            target_sum += float(np.sum(y[keep], dtype=np.float64))
        n = len(Xt)
        if n:
            cm = Xt.mean(axis=0, dtype=np.float64)
            cv = Xt.var(axis=0, dtype=np.float64) * n
            delta = cm - mean
            total = count + n
            mean = mean + delta * n / total
            m2 = m2 + cv + delta**2 * count * n / total
            count = total
    if stale():
        raise _StaleCache
    if rows[TRAIN] == 0:
        raise GdlabError(f"{path}: no rows left to train on (val_fraction {val_fraction}, "
                         f"test_fraction {test_fraction})")
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
    return StreamData(
        source=source, name=str(path), task=task, classes=classes,
        n_train=rows[TRAIN], n_val=rows[VAL], n_test=rows[TEST], mean=mean, std=std, seed=seed,
        val_fraction=val_fraction, test_fraction=test_fraction,
        target_mean=target_sum / rows[TRAIN] if task == "regression" else None,
    )
