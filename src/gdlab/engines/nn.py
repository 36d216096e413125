"""The ``nn`` engine: the concise PyTorch style — the model's forward, a ``torch.nn``
functional loss, ``loss.backward()`` and a ``torch.optim`` optimizer."""

from __future__ import annotations

import torch

from ..losses import compute_loss
from .base import Engine, weight_mask


class NNEngine(Engine):
    name = "nn"

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.mask = mask = weight_mask(model)
        params = self.params
        groups = [
            {"params": [p for p, w in zip(params, mask, strict=True) if w], "weight_decay": self.l2},
            {"params": [p for p, w in zip(params, mask, strict=True) if not w], "weight_decay": 0.0},
        ]
        groups = [g for g in groups if g["params"]]
        # lr is set per step by the training loop (schedules), so any value works here.
        if self.rule == "adam":
            self.opt = torch.optim.Adam(groups, lr=1.0, betas=self.betas, eps=self.eps)
        else:
            self.opt = torch.optim.SGD(
                groups,
                lr=1.0,
                momentum=self.momentum if self.rule in ("momentum", "nesterov") else 0.0,
                nesterov=self.rule == "nesterov",
            )
        self._order = [p for g in groups for p in g["params"]]

    def _backward(self, X, y, w=None) -> float:
        self.opt.zero_grad(set_to_none=True)
        loss = compute_loss(self.loss, self.model(X), y, w)
        loss.backward()
        return float(loss.detach())

    def loss_and_grads(self, X, y, w=None):
        loss = self._backward(X, y, w)
        grads = [p.grad.detach().clone() for p in self.params]
        return loss, self.add_penalty_(grads)

    def step(self, X, y, *, lr, w=None):
        loss = self._backward(X, y, w)
        for group in self.opt.param_groups:
            group["lr"] = lr
        if self.l1:  # torch.optim has no L1: its subgradient joins the data gradient
            for p, is_w in zip(self.params, self.mask, strict=True):
                if is_w:
                    p.grad.add_(torch.sign(p.detach()), alpha=self.l1)
        grads = [p.grad for p in self.params]
        if self.l2:  # the norm of what is applied: torch.optim adds λ·W itself
            grads = [g + self.l2 * p.detach() if is_w else g
                     for g, p, is_w in zip(grads, self.params, self.mask, strict=True)]
        norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
        self.opt.step()
        return loss, norm

    def apply(self, grads, *, lr):
        """torch.optim's update with given gradients (they already hold the penalties, so
        the optimizer's own weight decay is off for this call)."""
        decay = [g["weight_decay"] for g in self.opt.param_groups]
        for group in self.opt.param_groups:
            group["lr"], group["weight_decay"] = lr, 0.0
        for p, g in zip(self.params, grads, strict=True):
            p.grad = g
        self.opt.step()
        for group, d in zip(self.opt.param_groups, decay, strict=True):
            group["weight_decay"] = d

    def state_dict(self):
        out = {}
        for i, p in enumerate(self._order):
            for key, value in self.opt.state.get(p, {}).items():
                out[f"{key}.{i}"] = value.detach().clone() if torch.is_tensor(value) else torch.tensor(value)
        return out

    def load_state_dict(self, tensors):
        for name, t in tensors.items():
            key, i = name.rsplit(".", 1)
            p = self._order[int(i)]
            self.opt.state[p][key] = t.clone()
