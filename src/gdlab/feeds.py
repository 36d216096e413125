"""How training data reaches the loop when it is not one in-memory tensor per process.

- :class:`ShardBatcher`: distributed data parallel on in-memory data. Each process holds
  a contiguous shard of the training split and shuffles it each epoch; a global batch is
  the union of every process's local batch, so mini-batch SGD on N processes with batch B
  is mini-batch SGD with a global batch of N·B, and full-batch GD is exactly full-batch
  GD. Processes whose shard runs out of rows earlier take part with empty pieces, so
  every process makes the same number of updates.
- :class:`StreamFeed`: a file streamed chunk by chunk (see :mod:`gdlab.data.stream`),
  alone or sharded by chunks across processes.

Both yield :class:`Pieces` — a batch given in parts — which engines turn into one update
with :meth:`gdlab.engines.base.Engine.step_chunks` (all-reduced across processes).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch

from .batching import Batcher
from .distributed import Comm, shard
from .losses import compute_loss
from .metrics import evaluate_arrays


class Pieces:
    """One batch given as several (X, y) pieces; their gradients are accumulated.

    The pieces may be a lazy iterator (a streamed epoch reads one chunk at a time): it is
    consumed once, by the update.
    """

    def __init__(self, pieces):
        self._pieces = pieces

    def __iter__(self):
        return iter(self._pieces)


def _sums(model, loss: str, X, y, task: str) -> list[float]:
    """[Σ loss, correct, rows] of one piece (loss summed, not averaged)."""
    if X.shape[0] == 0:
        return [0.0, 0.0, 0.0]
    with torch.no_grad():
        out = model(X)
        total = float(compute_loss(loss, out, y)) * X.shape[0]
        if task == "regression":
            correct = 0.0
        elif task == "multiclass":
            correct = float((out.argmax(1) == y).sum())
        else:
            correct = float(((out[:, 0] > 0).to(y.dtype) == y[:, 0]).sum())
    return [total, correct, float(X.shape[0])]


def reduce_evaluation(parts: list[list[float]], comm: Comm, task: str) -> tuple[float, float | None]:
    """Mean loss and accuracy from [Σ loss, correct, rows] sums over pieces and processes."""
    total = [sum(p[i] for p in parts) for i in range(3)] if parts else [0.0, 0.0, 0.0]
    loss_sum, correct, n = comm.sum(total)
    if n == 0:
        return math.nan, None
    return loss_sum / n, (None if task == "regression" else correct / n)


class ShardBatcher(Batcher):
    """This process's shard of an in-memory training split, batched for DDP."""

    def __init__(self, X, y, *, batch_size: int, seed: int, comm: Comm, rank: int, n_global: int):
        super().__init__(X, y, batch_size=max(1, batch_size), seed=seed * 7919 + rank)
        self.batch_size = batch_size  # the local batch: may exceed this shard's rows
        self.comm = comm
        self.n_global = n_global
        # every process makes as many updates as the largest shard needs
        self._n_batches = int(comm.max([math.ceil(self.n / batch_size) if self.n else 0])[0])

    @property
    def n_batches(self) -> int:
        return self._n_batches

    @property
    def full_batch(self) -> bool:
        return False  # the one-read fast path is for a single process

    def epoch(self, epoch: int) -> Iterator[Pieces]:
        made = 0
        if self.batch_size >= self.n:
            yield Pieces([(self.X, self.y)])
            made = 1
        else:
            for Xb, yb in super().epoch(epoch):
                yield Pieces([(Xb, yb)])
                made += 1
        for _ in range(self._n_batches - made):
            yield Pieces([(self.X[:0], self.y[:0])])


class StreamFeed:
    """Training, validation and test data of a streamed file, for :func:`gdlab.train.fit`.

    Parameters
    ----------
    data : gdlab.data.stream.StreamData
    batch_size : int
        Rows per update on this process; ≥ the training rows means full-batch GD, which
        accumulates the gradient over every chunk before its one update (exact).
    """

    full_batch_fast_path = False

    def __init__(self, data, *, batch_size: int, seed: int, dtype, device, standardize: bool,
                 comm: Comm | None = None, rank: int = 0, size: int = 1):
        self.data = data
        self.comm = comm or Comm(1)
        self.seed, self.dtype, self.device, self.rank = seed, dtype, device, rank
        self._buf: torch.Tensor | None = None
        self.mean = data.mean if standardize else None
        self.std = data.std if standardize else None
        if standardize:
            self._mean = torch.as_tensor(data.mean, dtype=dtype)
            self._inv_std = torch.as_tensor(1.0 / data.std, dtype=dtype)
        a, b = shard(len(data.train_chunks), rank, size)
        self.train_chunks = data.train_chunks[a:b]
        va, vb = shard(len(data.val_chunks), rank, size)
        ta, tb = shard(len(data.test_chunks), rank, size)
        self.val_chunks, self.test_chunks = data.val_chunks[va:vb], data.test_chunks[ta:tb]
        sizes = [r[1] - r[0] for r in data.source.ranges()]
        self.n = sum(sizes[i] for i in self.train_chunks)
        self.n_global = data.n_train
        self.batch_size = min(batch_size, self.n_global)
        self.full_batch = self.batch_size >= self.n_global
        if self.full_batch:
            self._n_batches = 1
        else:
            self._n_batches = int(self.comm.max([math.ceil(self.n / self.batch_size)])[0])
        self.n_features = data.n_features

    @property
    def n_batches(self) -> int:
        return self._n_batches

    @property
    def standardizer(self):
        from .data import Standardizer

        if self.mean is None:
            return None
        return Standardizer.from_dict({"mean": self.mean.tolist(), "std": self.std.tolist()})

    def counts(self) -> tuple[int, int, int]:
        return self.data.n_train, self.data.n_val, self.data.n_test

    def tensors(self, X: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """A chunk as model-ready tensors: standardized features and shaped targets.

        The features land in one buffer reused by every call (a fresh 16 MB array per
        chunk costs more in page faults than the arithmetic): use them before the next.
        """
        from .train import target_tensor

        src = torch.from_numpy(np.asarray(X))
        if src.dtype != self.dtype:
            src = src.to(self.dtype)
        if self._buf is None or self._buf.shape[0] < src.shape[0]:
            self._buf = torch.empty(src.shape, dtype=self.dtype)
        out = self._buf[: src.shape[0]]
        if self.mean is not None:  # (x − μ)·(1/σ), written straight into the buffer
            torch.sub(src, self._mean, out=out)
            out.mul_(self._inv_std)
        else:
            out.copy_(src)
        return out.to(self.device), target_tensor(y, self.data.task, dtype=self.dtype,
                                                  device=self.device)

    def _chunks(self, ids: list[int]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for i in ids:
            yield self.tensors(*self.data.chunk(i))

    def epoch(self, epoch: int) -> Iterator[Pieces]:
        if self.full_batch:  # every chunk of this shard, accumulated into one update
            yield Pieces(self._chunks(self.train_chunks))
            return
        made = 0
        for X, y in self.data.batches(self.batch_size, seed=self.seed * 7919 + self.rank,
                                      epoch=epoch, chunks=self.train_chunks):
            yield Pieces([self.tensors(X, y)])
            made += 1
        empty = self.tensors(np.empty((0, self.n_features)), np.empty(0))
        for _ in range(self._n_batches - made):
            yield Pieces([empty])

    def evaluate(self, model, loss: str, task: str, split: str = "train"):
        """(mean loss, accuracy) over a split, one chunk at a time; None if it is empty."""
        ids = {"train": self.train_chunks, "val": self.val_chunks, "test": self.test_chunks}[split]
        if split != "train" and not getattr(self.data, f"n_{split}"):
            return None
        parts = [_sums(model, loss, X, y, task) for X, y in self._chunks(ids)]
        return reduce_evaluation(parts, self.comm, task)

    def test_scores(self, model, task: str) -> dict | None:
        """The test metrics of metrics.json, from sums over the streamed test chunks."""
        if not self.data.n_test:
            return None
        acc = np.zeros(5)
        for X, y in self._chunks(self.test_chunks):
            with torch.no_grad():
                out = model(X).double().cpu().numpy()
            yn = y.double().cpu().numpy() if task != "multiclass" else y.cpu().numpy()
            n = len(out)
            s = evaluate_arrays(out, yn, task)
            if task == "regression":
                yv = yn.reshape(n, -1)
                acc += [s["mse"] * n, float(yv.sum()), float((yv**2).sum()), n, 0]
            else:
                acc += [s["accuracy"] * n, s["log_loss"] * n, 0, n, 0]
        total = np.array(self.comm.sum(acc.tolist()))
        n = total[3]
        if task == "regression":
            mse = total[0] / n
            var = total[2] / n - (total[1] / n) ** 2
            return {"mse": mse, "r2": 1 - mse / var if var > 0 else float("nan")}
        return {"accuracy": total[0] / n, "log_loss": total[1] / n}
