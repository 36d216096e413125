"""How an epoch's batches are drawn.

Each epoch's sample order is a permutation that depends only on (seed, epoch), so a
resumed run draws exactly the batches an uninterrupted one would, and every engine sees
the same batches. Full-batch epochs use the training tensors as they are (no copy).
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

    @property
    def n_batches(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.batch_size >= self.n:
            yield self.X, self.y
            return
        order = epoch_order(self.n, seed=self.seed, epoch=epoch, device=self.X.device)
        for start in range(0, self.n, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.X.index_select(0, idx), self.y.index_select(0, idx)
