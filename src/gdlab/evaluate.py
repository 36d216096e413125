"""Evaluation: per-piece sums → reduced across pieces and processes → loss, accuracy, scores.

Every figure of a run's evaluation comes from here: the loss and accuracy of a split
after each epoch (:func:`split_loss`), and the test scores of metrics.json
(:func:`split_scores`). A split may be one in-memory tensor, this process's shard, or a
stream of chunks: the sums Σ wᵢℓᵢ, Σ wᵢ[correct], Σ wᵢ are added over its pieces and,
under distributed data parallel, over every process (one all-reduce), so every process
sees the same numbers and takes the same stopping decision.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .losses import loss_sum
from .metrics import scores

MAX_SCORED_VALUES = 50_000_000  # outputs kept to score a test split (memory bound)


@torch.no_grad()
def piece_sums(model, loss: str, piece, task: str) -> tuple[float, float, float]:
    """(Σ wᵢℓᵢ, Σ wᵢ[correct], Σ wᵢ) of one piece (w = 1 without weights)."""
    if piece.n == 0:
        return 0.0, 0.0, 0.0
    if piece.raw:
        piece = piece.standardized()
    out = model(piece.X)
    y, w = piece.y, piece.w
    parts = [loss_sum(loss, out, y, w)]
    if task != "regression":
        hits = out.argmax(1) == y if task == "multiclass" else (out[:, 0] > 0) == (y[:, 0] > 0.5)
        parts.append(hits.sum() if w is None else torch.dot(hits.to(w.dtype), w))
    if w is not None:
        parts.append(w.sum())
    values = torch.stack([p.to(torch.float64) for p in parts]).tolist()  # one transfer
    total = values.pop(0)
    correct = values.pop(0) if task != "regression" else 0.0
    return total, correct, (values.pop(0) if w is not None else float(piece.n))


def reduce_sums(parts, comm, task: str) -> tuple[float, float | None]:
    """Mean loss and accuracy from (Σ wℓ, Σ w[correct], Σ w) over pieces and processes."""
    total = [sum(p[i] for p in parts) for i in range(3)] if parts else [0.0, 0.0, 0.0]
    if comm is not None and comm.size > 1:
        total = comm.sum(total)
    loss_sum, correct, n = total
    if n == 0:
        return math.nan, None
    return loss_sum / n, (None if task == "regression" else correct / n)


def loss_and_accuracy(model, loss: str, X, y, task: str, w=None) -> tuple[float, float | None]:
    """(mean loss, accuracy or None) of ``model`` on the rows (X, y)."""
    from .feeds.pieces import Piece

    return reduce_sums([piece_sums(model, loss, Piece(X, y, w), task)], None, task)


def split_loss(model, loss: str, feed, split: str) -> tuple[float, float | None] | None:
    """(mean loss, accuracy or None) of ``model`` on a split of ``feed``; None when the
    feed has no such split."""
    if not feed.has(split):
        return None
    task = feed.task
    parts = [piece_sums(model, loss, p, task) for p in feed.pieces(split)]
    return reduce_sums(parts, feed.comm, task)


@torch.no_grad()
def split_scores(model, feed, split: str = "test") -> dict | None:
    """The scores of metrics.json on a split (``gdlab.metrics.scores``), from every row of
    it; None when the feed has no such split."""
    if not feed.has(split):
        return None
    outs, ys = [], []
    kept = 0
    for piece in feed.pieces(split, everywhere=True):
        piece = piece.standardized(model.in_features)
        if piece.w is not None:  # rows of other splits sharing a streamed block
            keep = piece.w > 0
            X, y = piece.X[keep], piece.y[keep]
        else:
            X, y = piece.X, piece.y
        out = model(X).double().cpu().numpy()
        kept += out.size
        if kept > MAX_SCORED_VALUES:
            break
        outs.append(out)
        ys.append(y.cpu().numpy())
    if not outs:
        return None
    return scores(np.concatenate(outs), np.concatenate(ys), feed.task)
