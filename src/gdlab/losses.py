"""Losses, all computed from raw model outputs and all averaged over the batch.

The reduction is stated, not implied: every loss here is the **mean** over the rows of
the batch (``reduction="mean"``), with per-row weights wᵢ the mean of the weighted row
losses (1/n) Σᵢ wᵢ ℓᵢ, as PyTorch weights a loss. gdlab's feeds scale sample weights to
mean 1 over the training rows, so a full batch's loss is the weighted mean
Σ wᵢ ℓᵢ / Σ wᵢ and a mini-batch's is an unbiased estimate of it (a batch of rows that
weigh nothing moves nothing). For one row with prediction ŷ (or logit z), ℓ is averaged
over the row's k outputs for the elementwise losses:

- ``mse``:           (ŷ − y)²                     (torch.nn.MSELoss)
- ``half-mse``:      ½ (ŷ − y)²                   (d2l's squared_loss; gradient has no 2)
- ``bce``:           −[y log σ(z) + (1 − y) log(1 − σ(z))], computed stably from z
- ``cross-entropy``: −log softmax(z)_y, computed with log-softmax

Targets: regression and binary targets have shape (n, k) float (k=1 for one output);
multiclass targets are int64 class indices of shape (n,).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .config import LOSSES

REDUCTION = "mean"


def _row_losses(name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """ℓᵢ of each row, shape (n,) (elementwise losses averaged over the k outputs)."""
    if name == "mse":
        return F.mse_loss(out, y, reduction="none").mean(1)
    if name == "half-mse":
        return 0.5 * F.mse_loss(out, y, reduction="none").mean(1)
    if name == "bce":
        return F.binary_cross_entropy_with_logits(out, y, reduction="none").mean(1)
    if name == "cross-entropy":
        return F.cross_entropy(out, y, reduction="none")
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


def loss_sum(name: str, out: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
    """Σᵢ wᵢ ℓᵢ as a 0-d tensor (w = 1 without weights): the numerator of the mean loss,
    for sums over pieces and processes. Few operations: it runs after every epoch."""
    k = out.shape[1]
    if name in ("mse", "half-mse"):
        d = out - y
        sq = (d * d).sum(1) if k > 1 else d[:, 0] * d[:, 0]
        rows = sq * (0.5 / k if name == "half-mse" else 1.0 / k)
    elif name == "bce":
        rows = F.softplus(out) - out * y  # log(1 + e^z) − z y, stable for every z
        rows = rows.sum(1) / k if k > 1 else rows[:, 0]
    elif name == "cross-entropy":
        rows = torch.logsumexp(out, 1) - out.gather(1, y.unsqueeze(1))[:, 0]
    else:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return rows.sum() if w is None else torch.dot(rows, w.to(rows.dtype))


def compute_loss(name: str, out: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
    """Mean loss of raw outputs ``out`` (n, k) against targets ``y`` (weighted by ``w`` (n,))."""
    if w is not None:
        return (w * _row_losses(name, out, y)).mean()
    if name == "mse":
        return F.mse_loss(out, y, reduction=REDUCTION)
    if name == "half-mse":
        return 0.5 * F.mse_loss(out, y, reduction=REDUCTION)
    if name == "bce":
        return F.binary_cross_entropy_with_logits(out, y, reduction=REDUCTION)
    if name == "cross-entropy":
        return F.cross_entropy(out, y, reduction=REDUCTION)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


def output_gradient(name: str, out: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
    """∂L/∂out for the (weighted) mean loss, written by hand (the hand-written engines).

    mse: 2(ŷ − y)/(n·k); half-mse: (ŷ − y)/(n·k); bce: (σ(z) − y)/(n·k);
    cross-entropy: (softmax(z) − onehot(y))/n. With weights, each row's term is
    multiplied by wᵢ and n becomes Σ wᵢ.
    """
    n, k = out.shape
    if name == "mse":
        g, per = 2.0 * (out - y), k
    elif name == "half-mse":
        g, per = out - y, k
    elif name == "bce":
        g, per = torch.sigmoid(out) - y, k
    elif name == "cross-entropy":
        g, per = torch.softmax(out, dim=1), 1
        g[torch.arange(n, device=out.device), y] -= 1.0
    else:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    if w is None:
        return g / (n * per)
    return g * (w / (n * per)).unsqueeze(1)


def default_loss(task: str) -> str:
    """The natural loss for a task: mse for regression, bce for two classes, else cross-entropy."""
    return {"regression": "mse", "binary": "bce", "multiclass": "cross-entropy"}[task]
