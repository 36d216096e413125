"""How an epoch's batches are drawn.

Each epoch's sample order is a permutation that depends only on (seed, epoch), so a
resumed run draws exactly the batches an uninterrupted one would, and every engine sees
the same batches. Full-batch epochs use the training tensors as they are (no copy).

Memory and speed: an epoch draws one ``torch.randperm`` and gathers each mini-batch's
rows with ``index_select`` into one preallocated (batch_size, d) buffer, reused for every
batch of every epoch. No shuffled copy of X is ever made (``X[perm]`` would allocate
a fresh tensor the size of X each epoch), and no Python-level shuffling runs per sample.
"""


from __future__ import annotations

import math
from collections.abc import Iterator

import torch


def epoch_order(n: int, *, seed: int, epoch: int, device=None) -> torch.Tensor:
    """The sample order of one epoch (a permutation of 0..n-1)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=g)
    return order if device is None else order.to(device)


class Batcher:
    """Yields the (X, y) batches of each epoch.

    Parameters
    ----------
    X : Tensor of shape (n, d)
    y : Tensor of shape (n, k) or (n,)
    batch_size : int
        ``n`` (or more) means full batch: one update per epoch on all rows.
    seed : int
        Seeds the per-epoch permutation (see :func:`epoch_order`).
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, *, batch_size: int, seed: int):
        self.X, self.y = X, y
        self.n = X.shape[0]
        self.batch_size = min(batch_size, self.n)
        self.seed = seed
        self._buffers: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def n_batches(self) -> int:
        return math.ceil(self.n / self.batch_size)

    @property
    def full_batch(self) -> bool:
        return self.batch_size >= self.n

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of ``epoch`` (1-based), in order.

        A mini-batch lives in a buffer that the next batch overwrites: use it (or clone
        it) before asking for the next one.
        """
        if self.full_batch:
            yield self.X, self.y
            return
        if self._buffers is None:  # allocated once, on first use
            self._buffers = (
                self.X.new_empty((self.batch_size, *self.X.shape[1:])),
                self.y.new_empty((self.batch_size, *self.y.shape[1:])),
            )
        xbuf, ybuf = self._buffers
        order = epoch_order(self.n, seed=self.seed, epoch=epoch, device=self.X.device)
        for start in range(0, self.n, self.batch_size):
            idx = order[start : start + self.batch_size]
            m = idx.shape[0]
            Xb, yb = xbuf[:m], ybuf[:m]  # views: the last batch may be shorter
            torch.index_select(self.X, 0, idx, out=Xb)
            torch.index_select(self.y, 0, idx, out=yb)
            yield Xb, yb
