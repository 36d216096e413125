"""A batch taken in pieces (streamed chunks, or one process's share) updates exactly as
the whole batch does, for every engine and update rule."""

from __future__ import annotations

import copy

import pytest
import torch

from gdlab.engines import make_engine
from gdlab.feeds import Piece
from gdlab.models import MLP, LinearRegression, SoftmaxRegression

CASES = [
    (lambda: LinearRegression(3), "mse", "regression"),
    (lambda: SoftmaxRegression(3, 3), "cross-entropy", "multiclass"),
    (lambda: MLP(3, 1, (4,), "tanh"), "bce", "binary"),
]


def _data(task, n=37):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 3, generator=g, dtype=torch.float64)
    if task == "multiclass":
        return X, torch.randint(0, 3, (n,), generator=g)
    if task == "binary":
        return X, (X[:, :1] > 0).double()
    return X, X @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 0.3


@pytest.mark.parametrize("engine", ["manual", "autograd", "nn", "fast"])
@pytest.mark.parametrize("rule", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize(("make", "loss", "task"), CASES)
def test_chunked_step_equals_whole_batch_step(engine, rule, make, loss, task):
    torch.manual_seed(1)
    model = make().double()
    X, y = _data(task)
    whole = make_engine(engine, copy.deepcopy(model), loss=loss, rule=rule, l2=0.1)
    pieces = make_engine(engine, copy.deepcopy(model), loss=loss, rule=rule, l2=0.1)
    for _ in range(3):
        lw, nw = whole.step(X, y, lr=0.05)
        chunks = [Piece(X[a:b], y[a:b]) for a, b in [(0, 10), (10, 10), (10, 29), (29, 37)]]
        lp, np_ = pieces.step_pieces(iter(chunks), lr=0.05)
        assert lp == pytest.approx(lw, rel=1e-12)
        assert np_ == pytest.approx(nw, rel=1e-10)
    for a, b in zip(whole.model.parameters(), pieces.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("engine", ["scalar", "manual", "autograd", "nn", "fast"])
@pytest.mark.parametrize(("make", "loss", "task"), CASES[:2])
def test_weighted_pieces_equal_the_weighted_whole_batch(engine, make, loss, task):
    """Pieces with row weights (a stream's split membership, sample weights) and a raw
    piece standardized on the way give the weighted whole batch's update."""
    torch.manual_seed(2)
    model = make().double()
    X, y = _data(task)
    w = torch.linspace(0.0, 2.0, X.shape[0], dtype=torch.float64)
    whole = make_engine(engine, copy.deepcopy(model), loss=loss, rule="momentum", l2=0.1, l1=0.01)
    pieces = make_engine(engine, copy.deepcopy(model), loss=loss, rule="momentum", l2=0.1, l1=0.01)
    shift, scale = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64), torch.tensor([2.0, 0.5, 1.0], dtype=torch.float64)
    raw = X / scale + shift  # standardized back to X by (raw − shift)·scale
    for _ in range(3):
        lw, nw = whole.step(X, y, lr=0.05, w=w)
        chunks = [Piece(X[:10], y[:10], w[:10]), Piece(raw[10:29], y[10:29], w[10:29], shift, scale),
                  Piece(X[29:], y[29:], w[29:])]
        lp, np_ = pieces.step_pieces(iter(chunks), lr=0.05)
        assert lp == pytest.approx(lw, rel=1e-12)
        assert np_ == pytest.approx(nw, rel=1e-10)
    for a, b in zip(whole.model.parameters(), pieces.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
