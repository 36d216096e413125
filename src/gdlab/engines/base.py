"""What every engine is: one gradient step on a batch, behind the same interface.

An engine owns the *update*; the training loop (``gdlab.train``) owns batching,
schedules, stopping and history. Parameters always live in the model (an ``nn.Module``)
so that evaluation, checkpoints and plots never care which engine trained it.

Interface (keyword-only hyperparameters)::

    engine = make_engine(name, model, loss="mse", rule="sgd", l2=0.0, l1=0.0,
                         momentum=0.9, betas=(0.9, 0.999), eps=1e-8)
    loss, grads = engine.loss_and_grads(X, y, w)  # at the current parameters, no update
    loss, grad_norm = engine.step(X, y, lr=0.1, w=w)  # one update; loss before it
    result = engine.epoch(feed, epoch=3, lr=0.1)  # every update of one epoch (EpochResult)
    engine.state_dict() / engine.load_state_dict(d)  # optimizer state, for --resume

``grads`` is a list of tensors in ``model.parameters()`` order and includes the
penalties. ``loss`` is the data loss only: the mean over the batch, or the weighted mean
Σwℓ/Σw with per-row weights ``w`` (see ``gdlab.losses``). The penalties apply to weight
matrices, never biases: L2 (λ₂/2)·Σ‖W‖² adds λ₂·W to the gradient; L1 λ₁·Σ|W| adds its
subgradient λ₁·sign(W) (sign(0) = 0) — a subgradient step, the same in every engine,
not a proximal one, so weights shrink towards 0 but are not set to exactly 0.

An engine owns its epoch: :meth:`Engine.epoch` loops over the feed's batches and steps
each (the default); an engine may do better as long as the result is the same — the
``fast`` engine reads X once per full-batch epoch and serves the epoch's evaluation
from that pass, and runs a whole mini-batch epoch in one compiled loop.

Update rules (``rule``), identical to ``torch.optim`` so that engines agree:

- ``sgd``:      p ← p − η g
- ``momentum``: v ← μ v + g (v = g on the first step); p ← p − η v
- ``nesterov``: v ← μ v + g; p ← p − η (g + μ v)
- ``adam``:     m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; t ← t+1;
                p ← p − η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..feeds.pieces import Batch, Piece

RULES = ("sgd", "momentum", "nesterov", "adam")


def weight_mask(model: nn.Module) -> list[bool]:
    """True for each parameter that L2 applies to (weights), False for biases."""
    return [name.endswith("weight") for name, _ in model.named_parameters()]


def update_(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    state: dict,
    *,
    rule: str,
    lr: float,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """Apply one update in place to ``params`` (pure apart from ``params`` and ``state``)."""
    with torch.no_grad():
        if rule == "sgd":
            for p, g in zip(params, grads, strict=True):
                p.sub_(lr * g)
            return
        if rule in ("momentum", "nesterov"):
            bufs = state.setdefault("buf", [None] * len(params))
            for i, (p, g) in enumerate(zip(params, grads, strict=True)):
                bufs[i] = g.clone() if bufs[i] is None else bufs[i].mul_(momentum).add_(g)
                p.sub_(lr * (g + momentum * bufs[i] if rule == "nesterov" else bufs[i]))
            return
        if rule == "adam":
            b1, b2 = betas
            m = state.setdefault("m", [torch.zeros_like(p) for p in params])
            v = state.setdefault("v", [torch.zeros_like(p) for p in params])
            state["t"] = t = state.get("t", 0) + 1
            bc1, bc2 = 1 - b1**t, 1 - b2**t
            for i, (p, g) in enumerate(zip(params, grads, strict=True)):
                m[i].mul_(b1).add_((1 - b1) * g)
                v[i].mul_(b2).add_((1 - b2) * g * g)
                denom = v[i].sqrt() / math.sqrt(bc2) + eps
                p.sub_((lr / bc1) * m[i] / denom)
            return
    raise ValueError(f"unknown update rule {rule!r}; choose one of {', '.join(RULES)}")


def grad_norm(grads: list[torch.Tensor]) -> float:
    """Euclidean norm of all gradients together."""
    return math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))


def state_to_tensors(state: dict) -> dict[str, torch.Tensor]:
    """Flatten an ``update_`` state into named tensors (for safetensors)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if isinstance(value, list):
            for i, t in enumerate(value):
                if t is not None:
                    out[f"{key}.{i}"] = t.detach().clone()
        else:
            out[key] = torch.tensor(value)
    return out


def state_from_tensors(tensors: dict[str, torch.Tensor], n_params: int) -> dict:
    """Inverse of :func:`state_to_tensors`."""
    state: dict = {}
    for name, t in tensors.items():
        if "." in name:
            key, i = name.rsplit(".", 1)
            state.setdefault(key, [None] * n_params)[int(i)] = t.clone()
        else:
            state[name] = t.item()
    return state


@dataclass
class EpochResult:
    """What one epoch of updates gives the training loop.

    ``losses`` holds each update's batch loss (before it), in order; ``grad_norm`` the
    last update's gradient norm; ``train`` (and ``val``) the (mean loss, accuracy) over
    the training (validation) rows at the epoch's final parameters when the engine
    computed it along the way (else None: the loop evaluates).
    """

    losses: list[float]
    grad_norm: float
    train: tuple[float, float | None] | None = None
    val: tuple[float, float | None] | None = None


StepHook = Callable[[float], None]


@contextlib.contextmanager
def one_thread(when: bool):
    """Run the block on one intra-op thread ``when`` asked (restored afterwards). Handing
    a small product or gather to a second thread — a fork and join per operation, far
    more when another process holds a core — costs more than the work it splits."""
    threads = torch.get_num_threads()
    if not when or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class Engine:
    """Base class: stores the settings every engine shares and runs the default epoch."""

    name = "base"

    def __init__(
        self,
        model: nn.Module,
        *,
        loss: str,
        rule: str = "sgd",
        l2: float = 0.0,
        l1: float = 0.0,
        momentum: float = 0.9,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        if rule not in RULES:
            raise ValueError(f"unknown update rule {rule!r}; choose one of {', '.join(RULES)}")
        self.model = model
        self.loss = loss
        self.rule = rule
        self.l2 = float(l2)
        self.l1 = float(l1)
        self.momentum = float(momentum)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.state: dict = {}

    @property
    def params(self) -> list[torch.Tensor]:
        return list(self.model.parameters())

    def check_data(self, n_samples: int, n_features: int, *, updates: int = 0) -> None:
        """Refuse data this engine cannot handle (raise ``GdlabError``); default: accept.
        ``updates`` is how many updates the run may make (epochs × batches)."""

    def loss_and_grads(
        self, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None
    ) -> tuple[float, list[torch.Tensor]]:
        raise NotImplementedError

    def step(
        self, X: torch.Tensor, y: torch.Tensor, *, lr: float, w: torch.Tensor | None = None
    ) -> tuple[float, float]:
        """One update on the batch (X, y); returns (loss before the update, gradient norm)."""
        loss, grads = self.loss_and_grads(X, y, w)
        self.apply(grads, lr=lr)
        return loss, grad_norm(grads)

    def apply(self, grads: list[torch.Tensor], *, lr: float) -> None:
        """Update the parameters with ``grads`` (which include the penalty terms)."""
        update_(
            self.params, grads, self.state, rule=self.rule, lr=lr,
            momentum=self.momentum, betas=self.betas, eps=self.eps,
        )

    # --- batches given in pieces -----------------------------------------------------------
    def step_batch(self, batch: Batch, *, lr: float, comm=None) -> tuple[float, float]:
        """One update from a :class:`~gdlab.feeds.pieces.Batch`: a single in-memory piece is
        stepped directly, anything else through :meth:`step_pieces`."""
        one = batch.single
        if one is not None and not one.raw and (comm is None or comm.size == 1):
            return self.step(one.X, one.y, lr=lr, w=one.w)
        return self.step_pieces(batch.pieces, lr=lr, comm=comm)

    def step_pieces(self, pieces, *, lr: float, comm=None) -> tuple[float, float]:
        """One update from the gradient of several pieces of one batch taken together.

        Each piece's mean loss and gradient are weighted by its rows n_c, so the result is
        exactly the batch's mean: Σ_c n_c g_c / Σ_c n_c (a streamed block counts only the
        rows of its split: :meth:`~gdlab.feeds.pieces.Piece.standardized` keeps those).
        With a ``comm`` (distributed data parallel) the sums run over every process's
        pieces too — one all-reduce of one flat buffer — and every process applies the
        same update. A process with no rows in this batch still takes part (with weight
        0), so the processes stay in step.
        """
        params = self.params
        acc = None
        loss_sum = total = 0.0
        for piece in pieces:
            if piece.n == 0:
                continue
            piece = piece.standardized()
            weight = float(piece.n)
            if weight == 0:
                continue
            loss, grads = self.loss_and_grads(piece.X, piece.y, piece.w)
            loss_sum += loss * weight
            total += weight
            if acc is None:
                acc = [g.detach().clone().mul_(weight) for g in grads]
            else:
                for a, g in zip(acc, grads, strict=True):
                    a.add_(g, alpha=weight)
        if acc is None:
            acc = [torch.zeros_like(p) for p in params]
        if comm is not None and comm.size > 1:
            flat = torch.cat([*(a.reshape(-1).double() for a in acc),
                              torch.tensor([loss_sum, total], dtype=torch.float64, device=acc[0].device)])
            flat = comm.sum_flat(flat)
            loss_sum, total = float(flat[-2]), float(flat[-1])
            out, i = [], 0
            for a in acc:
                out.append(flat[i : i + a.numel()].view_as(a).to(a.dtype))
                i += a.numel()
            acc = out
        grads = [a / total for a in acc] if total else acc
        if total:
            self.apply(grads, lr=lr)
        return (loss_sum / total if total else 0.0), grad_norm(grads)

    # --- an epoch ---------------------------------------------------------------------------
    def epoch(self, feed, *, epoch: int, lr: float, on_step: StepHook | None = None) -> EpochResult:
        """Every update of ``epoch`` (1-based) over the feed's batches, in order.

        ``on_step(loss)`` runs after each update (callbacks, recorded paths, the
        playground's pauses); the epoch stops after the first non-finite loss.
        """
        losses: list[float] = []
        norm = 0.0
        comm = feed.comm
        # the small per-batch operations on one thread; the evaluation after uses them all
        with one_thread(not feed.full_batch and self.params[0].device.type == "cpu"):
            for batch in feed.batches(epoch):
                loss, norm = self.step_batch(batch, lr=lr, comm=comm)
                losses.append(loss)
                if on_step is not None:
                    on_step(loss)
                if not math.isfinite(loss):
                    break
        return EpochResult(losses, norm)

    def train_loss(self, feed) -> tuple[float, float | None]:
        """(mean loss, accuracy or None) over the feed's training rows, now."""
        from ..evaluate import split_loss

        return split_loss(self.model, self.loss, feed, "train")

    # --- penalties and state -------------------------------------------------------------------
    def add_penalty_(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        """Add λ₂·W + λ₁·sign(W) to the gradient of every weight matrix (not biases)."""
        if self.l2 or self.l1:
            for g, p, is_w in zip(grads, self.params, weight_mask(self.model), strict=True):
                if is_w:
                    if self.l2:
                        g.add_(p.detach(), alpha=self.l2)
                    if self.l1:
                        g.add_(torch.sign(p.detach()), alpha=self.l1)
        return grads

    add_l2_ = add_penalty_  # the name before L1 existed

    def state_dict(self) -> dict[str, torch.Tensor]:
        return state_to_tensors(self.state)

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        self.state = state_from_tensors(tensors, len(self.params))


__all__ = ["RULES", "Batch", "Engine", "EpochResult", "Piece", "grad_norm", "update_", "weight_mask"]
