"""Rows held in memory: the whole training split, or this process's shard of it.

Each epoch's sample order is a permutation that depends only on (seed, epoch), so a
resumed run draws exactly the batches an uninterrupted one would, and every engine sees
the same batches. With ``shuffle=False`` every epoch visits the rows in their order (the
notes' in-order loops). Full-batch epochs use the training tensors as they are (no
copy); a mini-batch is gathered with ``index_select`` into one preallocated buffer,
reused for every batch of every epoch (``X[perm]`` would allocate a copy of X each
epoch).

Under distributed data parallel each process holds a contiguous shard of the training
(and validation) rows and shuffles its shard each epoch; a global batch is the union of
every process's local batch, so mini-batch SGD on N processes with batch B is mini-batch
SGD with a global batch of N·B, and full-batch GD is exactly full-batch GD. Processes
whose shard runs out of rows earlier take part with empty pieces, so every process makes
the same number of updates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from .pieces import Batch, Piece

SPLITS = ("train", "val", "test")


def epoch_order(n: int, *, seed: int, epoch: int, device=None) -> torch.Tensor:
    """The sample order of one epoch (a permutation of 0..n-1)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=g)
    return order if device is None else order.to(device)


def shard(n: int, rank: int, size: int) -> tuple[int, int]:
    """The contiguous block [start, stop) of n rows that ``rank`` owns."""
    per, extra = divmod(n, size)
    start = rank * per + min(rank, extra)
    return start, start + per + (1 if rank < extra else 0)


class MemoryFeed:
    """Training, validation and test rows as tensors (see the module docstring).

    Parameters
    ----------
    splits : dict
        ``{"train": (X, y, w), "val": (X, y, w) or None, "test": ... or None}``: X (n, d),
        y (n, k) float or (n,) int64, w (n,) per-row weights or None.
    batch_size : int
        Rows per update (on this process); ≥ the training rows means full batch.
    seed : int
        Seeds each epoch's permutation (see :func:`epoch_order`).
    shuffle : bool, default=True
        False: every epoch takes the rows in order.
    comm : gdlab.distributed.Comm or None
        With more than one process, ``splits`` are every process's rows; this process
        keeps its shard of the training and validation rows.
    task : {"regression", "binary", "multiclass"}
    standardizer : gdlab.data.Standardizer or None
        What the features were standardized with (kept with the model).
    """

    def __init__(self, splits: dict, *, batch_size: int, seed: int, task: str, shuffle: bool = True,
                 comm=None, rank: int = 0, size: int = 1, standardizer=None):
        from ..distributed import Comm

        self.task = task
        self.comm = comm if comm is not None else Comm(1)
        self.standardizer = standardizer
        train = splits["train"]
        self.n_global = int(train[0].shape[0])
        self._all = {s: splits.get(s) for s in SPLITS}
        self._mine = dict(self._all)
        if self.comm.size > 1:  # this process's shard of the rows that training sums over
            for s in ("train", "val"):
                part = self._all[s]
                if part is not None:
                    a, b = shard(int(part[0].shape[0]), rank, size)
                    self._mine[s] = tuple(None if t is None else t[a:b] for t in part)
        self.X, self.y, self.w = self._mine["train"]
        self.n = int(self.X.shape[0])
        self.seed = seed * 7919 + rank if self.comm.size > 1 else seed
        self.shuffle = shuffle
        self.batch_size = max(1, min(batch_size, self.n_global))
        self.full_batch = self.batch_size >= self.n_global
        if self.full_batch:
            self.n_batches = 1
        else:  # every process makes as many updates as the largest shard needs
            local = math.ceil(self.n / self.batch_size) if self.n else 0
            self.n_batches = int(self.comm.max([local])[0]) if self.comm.size > 1 else local
        self._buffers: tuple | None = None

    # --- what the loop and the engines ask ------------------------------------------------
    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def counts(self) -> tuple[int, int, int]:
        """Rows of (train over all processes, validation, test)."""
        size = lambda part: 0 if part is None else int(part[0].shape[0])  # noqa: E731
        return self.n_global, size(self._all["val"]), size(self._all["test"])

    def has(self, split: str) -> bool:
        return self._all[split] is not None

    def pieces(self, split: str, *, everywhere: bool = False) -> Iterator[Piece]:
        """The rows of ``split`` on this process (``everywhere``: every process's rows)."""
        part = (self._all if everywhere else self._mine)[split]
        if part is not None:
            yield Piece(*part)

    one_piece = True  # a full pass is one piece (this process's rows, in memory)

    def pass_pieces(self) -> Iterator[tuple[Piece, Piece | None]]:
        """The training rows for a full pass, paired with validation rows that share their
        memory (none here: validation rows are a separate, small array)."""
        yield Piece(self.X, self.y, self.w), None

    def order(self, epoch: int) -> torch.Tensor:
        """The row order of ``epoch``: a seeded permutation, or 0..n−1 without shuffling."""
        if not self.shuffle:
            return torch.arange(self.n, device=self.X.device)
        return epoch_order(self.n, seed=self.seed, epoch=epoch, device=self.X.device)

    def rows(self):
        """(X, y, w) when one process holds every training row and batches are mini-batches
        of them, so an engine may run a whole epoch itself from :meth:`order`; else None."""
        if self.comm.size > 1 or self.full_batch:
            return None
        return self.X, self.y, self.w

    def batches(self, epoch: int) -> Iterator[Batch]:
        """The batches of ``epoch`` (1-based), in order.

        A mini-batch lives in a buffer that the next batch overwrites: use it (or clone
        it) before asking for the next one.
        """
        X, y, w = self.X, self.y, self.w
        if self.full_batch or self.batch_size >= self.n:
            made = 1
            yield Batch(Piece(X, y, w) if self.comm.size == 1 else [Piece(X, y, w)])
        else:
            made = 0
            for piece in self._minibatches(epoch):
                made += 1
                yield Batch(piece if self.comm.size == 1 else [piece])
        for _ in range(self.n_batches - made):  # this shard is done; the others are not
            yield Batch([Piece(X[:0], y[:0], None if w is None else w[:0])])

    def _minibatches(self, epoch: int) -> Iterator[Piece]:
        X, y, w = self.X, self.y, self.w
        B = self.batch_size
        if not self.shuffle:  # in order: contiguous slices, no gather
            for a in range(0, self.n, B):
                yield Piece(X[a : a + B], y[a : a + B], None if w is None else w[a : a + B])
            return
        if self._buffers is None:  # allocated once, on first use
            self._buffers = tuple(
                None if t is None else t.new_empty((B, *t.shape[1:])) for t in (X, y, w)
            )
        xbuf, ybuf, wbuf = self._buffers
        order = self.order(epoch)
        for start in range(0, self.n, B):
            idx = order[start : start + B]
            m = idx.shape[0]
            Xb, yb = xbuf[:m], ybuf[:m]  # views: the last batch may be shorter
            torch.index_select(X, 0, idx, out=Xb)
            torch.index_select(y, 0, idx, out=yb)
            wb = None
            if w is not None:
                wb = wbuf[:m]
                torch.index_select(w, 0, idx, out=wb)
            yield Piece(Xb, yb, wb)
