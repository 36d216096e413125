"""Losses, all computed from raw model outputs and all averaged over the batch.

The reduction is stated, not implied: every loss here is the **mean** over the rows of
the batch (``reduction="mean"``). For one row with prediction ŷ (or logit z):

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

LOSSES = ("mse", "half-mse", "bce", "cross-entropy")
REDUCTION = "mean"


def compute_loss(name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean loss of raw outputs ``out`` (n, k) against targets ``y``."""
    if name == "mse":
        return F.mse_loss(out, y, reduction=REDUCTION)
    if name == "half-mse":
        return 0.5 * F.mse_loss(out, y, reduction=REDUCTION)
    if name == "bce":
        return F.binary_cross_entropy_with_logits(out, y, reduction=REDUCTION)
    if name == "cross-entropy":
        return F.cross_entropy(out, y, reduction=REDUCTION)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


def output_gradient(name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """∂L/∂out for the mean loss, written by hand (used by the hand-written engines).

    mse: 2(ŷ − y)/(n·k); half-mse: (ŷ − y)/(n·k); bce: (σ(z) − y)/(n·k);
    cross-entropy: (softmax(z) − onehot(y))/n.
    """
    n = out.shape[0]
    if name == "mse":
        return 2.0 * (out - y) / out.numel()
    if name == "half-mse":
        return (out - y) / out.numel()
    if name == "bce":
        return (torch.sigmoid(out) - y) / out.numel()
    if name == "cross-entropy":
        g = torch.softmax(out, dim=1)
        g[torch.arange(n, device=out.device), y] -= 1.0
        return g / n
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


def default_loss(task: str) -> str:
    """The natural loss for a task: mse for regression, bce for two classes, else cross-entropy."""
    return {"regression": "mse", "binary": "bce", "multiclass": "cross-entropy"}[task]
