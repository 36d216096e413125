"""What every engine is: one gradient step on a batch, behind the same interface.

An engine owns the *update*; the training loop (``gdlab.train``) owns batching,
schedules, stopping and history. Parameters always live in the model (an ``nn.Module``)
so that evaluation, checkpoints and plots never care which engine trained it.

Interface (keyword-only hyperparameters)::

    engine = make_engine(name, model, loss="mse", rule="sgd", l2=0.0,
                         momentum=0.9, betas=(0.9, 0.999), eps=1e-8)
    loss, grads = engine.loss_and_grads(X, y)  # at the current parameters, no update
    loss, grad_norm = engine.step(X, y, lr=0.1)  # one update; loss before it
    engine.state_dict() / engine.load_state_dict(d)  # optimizer state, for --resume

``grads`` is a list of tensors in ``model.parameters()`` order and includes the L2 term.
``loss`` is the data loss only (mean over the batch, see ``gdlab.losses``); the L2
penalty (λ/2)·Σ‖W‖² over weight matrices (not biases) enters the gradient as λ·W.

Update rules (``rule``), identical to ``torch.optim`` so that engines agree:

- ``sgd``:      p ← p − η g
- ``momentum``: v ← μ v + g (v = g on the first step); p ← p − η v
- ``nesterov``: v ← μ v + g; p ← p − η (g + μ v)
- ``adam``:     m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; t ← t+1;
                p ← p − η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
"""

from __future__ import annotations

import math

import torch
from torch import nn

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


class Engine:
    """Base class: stores the settings every engine shares."""

    name = "base"

    def __init__(
        self,
        model: nn.Module,
        *,
        loss: str,
        rule: str = "sgd",
        l2: float = 0.0,
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
        self.momentum = float(momentum)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.state: dict = {}

    @property
    def params(self) -> list[torch.Tensor]:
        return list(self.model.parameters())

    def check_data(self, n_samples: int, n_features: int) -> None:
        """Refuse data this engine cannot handle (raise ``GdlabError``); default: accept."""

    def loss_and_grads(self, X: torch.Tensor, y: torch.Tensor) -> tuple[float, list[torch.Tensor]]:
        raise NotImplementedError

    def step(self, X: torch.Tensor, y: torch.Tensor, *, lr: float) -> tuple[float, float]:
        """One update on the batch (X, y); returns (loss before the update, gradient norm)."""
        loss, grads = self.loss_and_grads(X, y)
        self.apply(grads, lr=lr)
        return loss, grad_norm(grads)

    def apply(self, grads: list[torch.Tensor], *, lr: float) -> None:
        """Update the parameters with ``grads`` (which include the L2 term)."""
        update_(
            self.params, grads, self.state, rule=self.rule, lr=lr,
            momentum=self.momentum, betas=self.betas, eps=self.eps,
        )

    def step_chunks(self, chunks, *, lr: float, comm=None) -> tuple[float, float]:
        """One update from the gradient of several pieces of one batch taken together.

        ``chunks`` yields (X, y) pieces (the chunks of a streamed file, or this process's
        share of a global batch). Each piece's mean loss and gradient are weighted by its
        rows, so the result is exactly the batch's mean: Σ_c n_c g_c / Σ_c n_c. With a
        ``comm`` (distributed data parallel) the sums run over every process's pieces too,
        and every process then applies the same update. A process with no rows in this
        batch still takes part (with weight 0), so the processes stay in step.
        """
        total, loss_sum, acc = 0, 0.0, None
        for X, y in chunks:
            n = X.shape[0]
            if n == 0:
                continue
            loss, grads = self.loss_and_grads(X, y)
            loss_sum += loss * n
            total += n
            if acc is None:
                acc = [g.detach().clone().mul_(n) for g in grads]
            else:
                for a, g in zip(acc, grads, strict=True):
                    a.add_(g, alpha=n)
        if acc is None:
            acc = [torch.zeros_like(p) for p in self.params]
        if comm is not None and comm.size > 1:
            # sum of n_c g_c over every process, then divide by all rows
            acc = comm.sum_tensors(acc)
            loss_sum, total = comm.sum([loss_sum, float(total)])
        grads = [a / total for a in acc] if total else acc
        self.apply(grads, lr=lr)
        return (loss_sum / total if total else math.nan), grad_norm(grads)

    def add_l2_(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        """Add λ·W to the gradient of every weight matrix (not biases)."""
        if self.l2:
            for g, p, is_w in zip(grads, self.params, weight_mask(self.model), strict=True):
                if is_w:
                    g.add_(self.l2 * p.detach())
        return grads

    def state_dict(self) -> dict[str, torch.Tensor]:
        return state_to_tensors(self.state)

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        self.state = state_from_tensors(tensors, len(self.params))
