"""What a feed hands an engine: a batch, given as one or more pieces of rows.

A :class:`Piece` is a block of rows (features, targets, optional per-row weights). A
:class:`Batch` is the rows of one update: usually one piece (an in-memory mini-batch),
or several whose gradients are accumulated into one update (the chunks of a streamed
file, or this process's share of a global batch under distributed data parallel).

A piece may still be *raw*: features as they are in the file, with the standardization
(x − μ)·s given beside them, so an engine that can fold it into its own pass reads the
file's bytes once; :meth:`Piece.standardized` gives the standardized tensor to any
other engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import torch


@dataclass
class Piece:
    """Rows of one batch or split.

    Attributes
    ----------
    X : Tensor of shape (n, d), or (n, ≥ d) when raw
        Features. When ``shift``/``scale`` are set, X is raw (the first ``d`` columns are
        the features; a streamed block may carry its target column after them).
    y : Tensor of shape (n, k) float, or (n,) int64 class indices
    w : Tensor of shape (n,) or None
        Per-row weights (sample weights, or 0/1 split membership); None: all 1.
    shift, scale : Tensor of shape (d,) or None
        The standardization still to apply: x' = (x − shift)·scale.
    d : int or None
        The number of feature columns when X is wider (a raw block with its target).
    mask : bool
        ``w`` marks which rows belong (0 or 1: a streamed block's rows of one split) rather
        than weighing them: :meth:`standardized` keeps the rows that belong, and a full
        pass divides by Σ w, the rows that count.
    """

    X: torch.Tensor
    y: torch.Tensor
    w: torch.Tensor | None = None
    shift: torch.Tensor | None = None
    scale: torch.Tensor | None = None
    d: int | None = None
    mask: bool = False

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def raw(self) -> bool:
        """Whether X still needs standardizing or has columns beyond the features."""
        return self.shift is not None or self.mask or (self.d is not None and self.X.shape[1] != self.d)

    def standardized(self, d: int | None = None) -> Piece:
        """This piece as model-ready rows: X standardized (a new tensor), features only,
        and only the rows that belong when ``w`` is a mask."""
        if not self.raw:
            return self
        d = self.d if self.d is not None else self.X.shape[1]
        X, y, w = self.X[:, :d], self.y, self.w
        if self.mask:
            keep = w > 0
            X, y, w = X[keep], y[keep], None
        if self.shift is not None:
            X = (X.to(self.shift.dtype) - self.shift) * self.scale
        return Piece(X, y, w)

    def weight_total(self) -> float:
        return float(self.n) if self.w is None else float(self.w.sum())


class Batch:
    """The rows of one update: one piece, or several accumulated into one gradient.

    ``single`` is the piece when there is exactly one and it is in memory (the common
    case, which engines step directly); ``pieces`` iterates them all once.
    """

    __slots__ = ("_pieces", "single")

    def __init__(self, pieces: Iterable[Piece] | Piece):
        if isinstance(pieces, Piece):
            self.single, self._pieces = pieces, (pieces,)
        else:
            self.single, self._pieces = None, pieces

    @property
    def pieces(self) -> Iterator[Piece]:
        return iter(self._pieces)
