"""Feeds: where training rows come from, behind one protocol.

A feed hands the training loop and the engines everything they need about the rows,
wherever they are — :class:`MemoryFeed` (tensors in memory, on one process or as this
process's shard) and :class:`StreamFeed` (a file read block by block). The protocol:

``batches(epoch)``
    The :class:`~gdlab.feeds.pieces.Batch` of each update of an epoch, in order.
``pass_pieces()``
    The training rows for one full pass, as ``(train piece, validation piece or None)``
    pairs (a stream's validation rows share its blocks).
``pieces(split, everywhere=False)``
    The rows of ``"train"``, ``"val"`` or ``"test"`` on this process (or on all), for
    evaluation (:mod:`gdlab.evaluate`).
``has(split)``, ``counts()``
    Whether a split exists; the rows of (train over all processes, validation, test).
``rows()``, ``order(epoch)``
    (X, y, w) when one process holds every training row and batches are mini-batches,
    so an engine may run the epoch itself in that order; else None.
attributes
    ``comm`` (sums across processes; size 1 alone), ``task``, ``batch_size``,
    ``n_batches`` (updates per epoch, the same on every process), ``full_batch``,
    ``n_features``, ``standardizer``.
"""

from __future__ import annotations

import importlib

from .memory import MemoryFeed, epoch_order, shard
from .pieces import Batch, Piece

__all__ = ["Batch", "MemoryFeed", "Piece", "StreamFeed", "epoch_order", "shard"]


def __getattr__(name: str):
    if name == "StreamFeed":  # imported when used: it brings the stream readers with it
        return importlib.import_module(".stream", __name__).StreamFeed
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
