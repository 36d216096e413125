"""Rows streamed from a file (see :mod:`gdlab.data.stream`), alone or sharded by chunks
across processes.

- Full-batch passes go over raw blocks of the file as they are read (about a megabyte
  each, read ahead by a second thread): each block is one :class:`Piece` whose weights
  mark its training rows (the validation rows of the same block ride along as a second
  piece, so one read of the file serves both), with the standardization given beside
  the raw bytes for the engine to fold in.
- Mini-batches come from :meth:`gdlab.data.stream.StreamData.batches` (shuffled chunk
  order, rows shuffled within a buffer: approximate, and documented so), standardized
  into tensors.
- Under distributed data parallel each process takes a contiguous share of the chunks;
  sums are all-reduced by the engine and the evaluation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
import torch

from ..data.stream import TEST, TRAIN, VAL
from .memory import shard
from .pieces import Batch, Piece

SPLIT_IDS = {"train": TRAIN, "val": VAL, "test": TEST}


def _tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor over a (possibly read-only: the file's own pages) array, without a copy.
    Nothing writes to it: the engines read blocks, and standardizing makes a new tensor."""
    if array.flags.writeable:
        return torch.from_numpy(array)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(array)


class StreamFeed:
    """Training, validation and test rows of a streamed file.

    Parameters
    ----------
    data : gdlab.data.stream.StreamData
    batch_size : int
        Rows per update on this process; ≥ the training rows means full-batch GD, which
        accumulates the gradient over every training row before its one update (exact).
    """

    def __init__(self, data, *, batch_size: int, seed: int, dtype, device, standardize: bool,
                 shuffle: bool = True, comm=None, rank: int = 0, size: int = 1):
        from ..distributed import Comm

        self.data = data
        self.task = data.task
        self.comm = comm if comm is not None else Comm(1)
        self.seed, self.dtype, self.device, self.rank = seed, dtype, device, rank
        self.shuffle = shuffle
        d = data.n_features
        mean = data.mean if standardize else np.zeros(d)
        scale = 1.0 / data.std if standardize else np.ones(d)
        self._mean = data.mean if standardize else None
        self._std = data.std if standardize else None
        self._shift = torch.as_tensor(mean, dtype=dtype)
        self._scale = torch.as_tensor(scale, dtype=dtype)
        a, b = shard(len(data.chunks), rank, size)
        self.my_chunks = data.chunks[a:b]
        ranges = data.source.ranges()
        self.n_global = data.n_train
        self.batch_size = max(1, min(batch_size, self.n_global))
        self.full_batch = self.batch_size >= self.n_global
        if self.full_batch:
            self.n_batches = 1
        else:  # rows of this shard, for the number of updates every process makes
            n_mine = sum(int((data.split_of(*ranges[i]) == TRAIN).sum()) for i in self.my_chunks)
            local = math.ceil(n_mine / self.batch_size)
            self.n_batches = int(self.comm.max([local])[0]) if self.comm.size > 1 else local
        self.n_features = d
        self.pass_has_val = data.n_val > 0
        self._buf: torch.Tensor | None = None

    @property
    def standardizer(self):
        from ..data import Standardizer

        if self._mean is None:
            return None
        return Standardizer.from_dict({"mean": self._mean.tolist(), "std": self._std.tolist()})

    def counts(self) -> tuple[int, int, int]:
        return self.data.n_train, self.data.n_val, self.data.n_test

    def has(self, split: str) -> bool:
        return getattr(self.data, f"n_{split}") > 0

    def rows(self):
        return None  # rows are on disk: no engine may index them

    # --- raw blocks -------------------------------------------------------------------------
    def _blocks(self, chunks) -> Iterator[tuple[Piece, np.ndarray]]:
        """(raw piece with no weights, split ids) per block of the chunks."""
        data, source = self.data, self.data.source
        d = self.n_features
        for start, block in source.blocks(chunks):
            if isinstance(block, tuple):  # Parquet: features and target apart
                X, y = block
                raw, ytab = X, y
            elif source.target_last:
                raw, ytab = block, block[:, -1]
            else:
                raw, ytab = source.split_columns(block)
            n = raw.shape[0]
            ids = data.split_of(start, start + n)
            y = self._raw_targets(ytab, start)
            yield Piece(_tensor(raw), y, None, self._shift, self._scale, d), ids

    def _raw_targets(self, raw: np.ndarray, start: int) -> torch.Tensor:
        """A block's target column as the losses take it: a view of the column itself when
        it is a regression target already in the model's dtype."""
        if self.task == "regression" and raw.dtype == np.dtype(str(self.dtype).removeprefix("torch.")):
            return _tensor(raw).unsqueeze(1)
        return self._targets(self.data.labels(raw, start))

    def _targets(self, labels: np.ndarray) -> torch.Tensor:
        """Labels (class indices, or float64 values) as a target tensor."""
        if self.task == "multiclass":
            return torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64))
        return torch.from_numpy(labels.astype(str(self.dtype).removeprefix("torch.")).reshape(-1, 1))

    def _weights(self, ids: np.ndarray, split: int) -> torch.Tensor:
        return torch.from_numpy((ids == split).astype(str(self.dtype).removeprefix("torch.")))

    def pass_pieces(self) -> Iterator[tuple[Piece, Piece | None]]:
        """Every block of this process's chunks: (its training rows, its validation rows),
        both pieces over the same raw bytes, told apart by their weights."""
        for piece, ids in self._blocks(self.my_chunks):
            train = Piece(piece.X, piece.y, self._weights(ids, TRAIN), piece.shift, piece.scale,
                          piece.d, mask=True)
            val = None
            if self.pass_has_val:
                val = Piece(piece.X, piece.y, self._weights(ids, VAL), piece.shift, piece.scale,
                            piece.d, mask=True)
            yield train, val

    def pieces(self, split: str, *, everywhere: bool = False) -> Iterator[Piece]:
        """The rows of ``split`` on this process (``everywhere``: every process's chunks),
        as raw blocks weighted by membership."""
        chunks = self.data.chunks if everywhere else self.my_chunks
        sid = SPLIT_IDS[split]
        for piece, ids in self._blocks(chunks):
            if (ids == sid).any():
                yield Piece(piece.X, piece.y, self._weights(ids, sid), piece.shift, piece.scale,
                            piece.d, mask=True)

    # --- batches ------------------------------------------------------------------------------
    def tensors(self, X: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Mini-batch rows as model-ready tensors: standardized features and shaped targets.

        The features land in one buffer reused by every call: use them before the next.
        """
        src = torch.from_numpy(np.asarray(X))
        if self._buf is None or self._buf.shape[0] < src.shape[0]:
            self._buf = torch.empty(src.shape, dtype=self.dtype)
        out = self._buf[: src.shape[0]]
        torch.sub(src.to(self.dtype), self._shift, out=out)  # (x − μ)·(1/σ), into the buffer
        out.mul_(self._scale)
        return out.to(self.device), self._targets(np.asarray(y)).to(self.device)

    def batches(self, epoch: int) -> Iterator[Batch]:
        if self.full_batch:  # every training row of this shard, accumulated into one update
            yield Batch(p for p, _ in self.pass_pieces())
            return
        made = 0
        for X, y in self.data.batches(self.batch_size, seed=self.seed * 7919 + self.rank,
                                      epoch=epoch, chunks=self.my_chunks, shuffle=self.shuffle):
            Xt, yt = self.tensors(X, y)
            yield Batch(Piece(Xt, yt) if self.comm.size == 1 else [Piece(Xt, yt)])
            made += 1
        for _ in range(self.n_batches - made):  # this shard is done; the others are not
            Xt, yt = self.tensors(np.empty((0, self.n_features)), np.empty(0))
            yield Batch([Piece(Xt, yt)])
