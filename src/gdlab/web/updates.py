"""The update panel, as numbers: the run's latest update, parameter by parameter.

One update of gdlab's engines (``gdlab.engines.base``) is::

    g = ∂L/∂θ + λ₂·W + λ₁·sign(W)          L: mean loss over the update's batch;
                                            the penalties on weights only
    sgd       θ ← θ − η·g
    momentum  v ← μ·v + g  (v = g at first);   θ ← θ − η·v
    nesterov  v ← μ·v + g  (v = g at first);   θ ← θ − η·(g + μ·v)
    adam      m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  t ← t + 1
              θ ← θ − η·m̂ / (√v̂ + ε),  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)

The panel's gradient is not inferred from how the parameters moved: it is computed
again by the run's own engine class — a fresh instance around a copy of the model, set
to the parameters before the update — on exactly that update's rows, which
:func:`batch_rows` takes from the feed in the order the loop drew them (each epoch's
order depends only on the seed and the epoch). The rule is then applied to those
numbers with ``gdlab.engines.base.update_`` and the optimizer state from before the
update; the page shows the run's actual new values, and ``expected`` (the rule's result)
rides along so the tests can check that the two agree.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from ..engines import make_engine
from ..engines.base import state_from_tensors, update_, weight_mask
from . import limits
from .session import LastUpdate, Session, Snapshot, _finite


def batch_rows(feed, epoch: int, index: int):
    """(X, y, w) of the ``index``-th batch (0-based) of ``epoch`` (1-based), as the memory
    feed draws them: every row for full batches, else the next ``batch_size`` rows of
    the epoch's order (``feed.order``: a seeded permutation, or the rows in order)."""
    X, y, w = feed.X, feed.y, feed.w
    if feed.full_batch or feed.batch_size >= feed.n:
        return X, y, w
    B = feed.batch_size
    idx = feed.order(epoch)[index * B : (index + 1) * B]
    pick = lambda t: None if t is None else t.index_select(0, idx)  # noqa: E731
    return pick(X), pick(y), pick(w)


def scratch_engine(s: Session, params):
    """The run's engine class with the run's settings, around a copy of the model set to
    ``params``: it computes gradients without touching the run."""
    model = copy.deepcopy(s.model)
    with torch.no_grad():
        for p, value in zip(model.parameters(), params, strict=True):
            p.copy_(value)
    cfg = s.cfg
    engine = make_engine(s.setup.engine_name, model, loss=s.loss, rule=cfg.rule(), l2=cfg.l2,
                         l1=cfg.l1, momentum=cfg.momentum, betas=cfg.betas, eps=cfg.eps)
    engine.check_data(int(s.prep.X_train.shape[0]), s.data.n_features)
    return engine


def gradient(s: Session, params, X, y, w=None) -> tuple[float, list[torch.Tensor]]:
    """(mean batch loss, ∂(loss + penalties)/∂θ per tensor) at ``params`` on (X, y, w)."""
    loss, grads = scratch_engine(s, params).loss_and_grads(X, y, w)
    return float(loss), [g.detach() for g in grads]


def steepest_pair(s: Session, snapshot: Snapshot) -> tuple[int, int]:
    """The two parameters with the largest |∂L/∂θ| over the training rows at ``snapshot``
    (the first two when the gradient is 0): the default pair of a slice."""
    feed = s.setup.feed
    _, grads = gradient(s, snapshot.params, feed.X, feed.y, feed.w)
    g = np.abs(_flat(grads))
    if not np.isfinite(g).all() or not g.any():
        return (0, 1)
    i, j = np.argsort(-g, kind="stable")[:2]
    return (int(min(i, j)), int(max(i, j)))


_TORCH_OPTIM = {"momentum_buffer": "buf", "exp_avg": "m", "exp_avg_sq": "v"}


def rule_state(engine, tensors: dict) -> dict:
    """An engine's ``state_dict()`` in the terms of ``update_``: ``{"buf": [...]}``,
    ``{"m": [...], "v": [...], "t": n}`` with lists in ``model.parameters()`` order.

    The ``nn`` engine keeps torch.optim's state (``momentum_buffer``, ``exp_avg``,
    ``exp_avg_sq``, ``step``) in its optimizer's own parameter order (``engine._order``);
    the other engines already use these names and this order.
    """
    order = getattr(engine, "_order", None)
    if order is None or not any(k.rsplit(".", 1)[0] in (*_TORCH_OPTIM, "step") for k in tensors):
        return state_from_tensors(tensors, len(engine.params))
    position = {id(p): i for i, p in enumerate(engine.params)}
    state: dict = {}
    for name, t in tensors.items():
        key, i = name.rsplit(".", 1)
        if key == "step":
            state["t"] = int(t.item())
        elif key in _TORCH_OPTIM:
            slot = state.setdefault(_TORCH_OPTIM[key], [None] * len(engine.params))
            slot[position[id(order[int(i)])]] = t.clone()
    return state


def describe(s: Session, last: LastUpdate, names: list[str]) -> dict:
    """The panel for update ``last``: its batch, rule, and for each parameter (all of them
    up to ``limits.UPDATE_ROWS``, else those with the largest gradient) the old value,
    the gradient (data part and penalty), the rule's intermediate values and the new value."""
    cfg = s.cfg
    X, y, w = batch_rows(s.setup.feed, last.epoch, last.index)
    loss, grads = gradient(s, last.before.params, X, y, w)
    old, new = last.before.flat(), last.after.flat()
    g = _flat(grads)
    W = old * np.concatenate([np.full(p.numel(), m) for p, m in zip(last.before.params,
                                                                     weight_mask(s.model), strict=True)])
    penalty = cfg.l2 * W + cfg.l1 * np.sign(W)

    # the rule applied to these numbers, from the state before the update
    params = [p.clone() for p in last.before.params]
    state = rule_state(s.engine, last.before.state)
    before_state = copy.deepcopy(state)  # (update_ changes the state it is given)
    update_(params, [gi.to(p.dtype) for gi, p in zip(grads, params, strict=True)], state,
            rule=cfg.rule(), lr=last.lr, momentum=cfg.momentum, betas=cfg.betas, eps=cfg.eps)
    expected = _flat(params)
    extra = _rule_values(cfg.rule(), before_state, rule_state(s.engine, last.after.state), cfg)

    n = old.size
    if n <= limits.UPDATE_ROWS:
        shown = list(range(n))
    else:
        shown = sorted(np.argsort(-np.abs(g), kind="stable")[: limits.UPDATE_SUMMARY_ROWS].tolist())
    rows = []
    for k in shown:
        row = {"index": int(k), "name": names[k], "old": float(old[k]), "grad": _finite(float(g[k])),
               "data_grad": _finite(float(g[k] - penalty[k])), "penalty": float(penalty[k]),
               "new": _finite(float(new[k])), "expected": _finite(float(expected[k]))}
        row.update({key: _finite(float(values[k])) if values is not None else None
                    for key, values in extra.items()})
        rows.append(row)
    hyper = {"momentum": cfg.momentum} if cfg.rule() in ("momentum", "nesterov") else {}
    if cfg.rule() == "adam":
        hyper = {"beta1": cfg.betas[0], "beta2": cfg.betas[1], "eps": cfg.eps,
                 "t": int(rule_state(s.engine, last.after.state)["t"])}
    return {
        "step": last.step, "epoch": last.epoch, "batch": last.index + 1, "n_batches": s.n_batches,
        "rows": int(X.shape[0]), "lr": last.lr, "loss": _finite(float(last.loss)),
        "recomputed_loss": _finite(loss), "rule": cfg.rule(), "hyper": hyper,
        "l1": cfg.l1, "l2": cfg.l2, "count": int(n), "all": len(shown) == n, "params": rows,
        "grad_norm": _finite(float(np.linalg.norm(g))),
        "step_norm": _finite(float(np.linalg.norm(new - old))),
        "full_batch": bool(s.setup.feed.full_batch), "shuffle": bool(cfg.shuffle),
    }


def _rule_values(rule: str, before: dict, after: dict, cfg) -> dict:
    """The rule's values per parameter (flat), by name: the velocity before and after,
    or Adam's moments after the update (the engine's own state, not a recomputation)."""
    if rule in ("momentum", "nesterov"):
        prev = before.get("buf")
        return {"v_old": None if prev is None or prev[0] is None else _flat(prev),
                "v": _flat(after["buf"])}
    if rule == "adam":
        t = after["t"]
        m, v = _flat(after["m"]), _flat(after["v"])
        return {"m": m, "v": v, "m_hat": m / (1 - cfg.betas[0] ** t), "v_hat": v / (1 - cfg.betas[1] ** t)}
    return {}


def _flat(tensors) -> np.ndarray:
    return np.concatenate([t.detach().double().reshape(-1).cpu().numpy() for t in tensors])
