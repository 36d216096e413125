"""The ``autograd`` engine: the forward pass and the loss written out in tensor ops,
``loss.backward()`` for the gradients, and the hand-written update of ``base.update_``.

PyTorch records the graph as the code below runs (a dynamic graph: a new one each call)
and ``backward`` walks it from the loss back to the parameters.
"""

from __future__ import annotations

import torch

from .base import Engine, weight_mask


def forward(layers, activation: str | None, x: torch.Tensor) -> torch.Tensor:
    """h₀ = x; z_l = h_{l−1} W_lᵀ + b_l; h_l = φ(z_l) between layers; returns z_L."""
    last = len(layers) - 1
    h = x  # (n, d)
    for i, layer in enumerate(layers):
        h = h @ layer.weight.T  # (n, d_in) @ (d_in, d_out) -> (n, d_out)
        if layer.bias is not None:
            h = h + layer.bias  # + (d_out,)
        if i < last:
            if activation == "sigmoid":
                h = torch.sigmoid(h)  # 1/(1 + e^{−z}); torch's op stays finite for large |z|
            elif activation == "tanh":
                h = torch.tanh(h)
            elif activation == "relu":
                h = torch.relu(h)  # max(z, 0)
            else:
                raise ValueError(f"unknown activation {activation!r}")
    return h  # (n, k)


def row_losses(name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each row's loss written out, shape (n,) (averaged over the outputs), as a graph."""
    if name == "mse":
        return ((out - y) ** 2).mean(1)
    if name == "half-mse":
        return 0.5 * ((out - y) ** 2).mean(1)
    if name == "bce":
        # −[y log σ(z) + (1 − y) log(1 − σ(z))] = max(z, 0) − z y + log(1 + e^{−|z|}), stable
        return (torch.clamp(out, min=0) - out * y + torch.log1p(torch.exp(-out.abs()))).mean(1)
    if name == "cross-entropy":
        # −log softmax(z)_y = logsumexp(z) − z_y; y holds class indices, shape (n,)
        z_true = out.gather(1, y.unsqueeze(1)).squeeze(1)  # (n, k) -> (n,)
        return torch.logsumexp(out, dim=1) - z_true
    raise ValueError(f"unknown loss {name!r}")


def loss_from_outputs(name: str, out: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
    """The mean loss written out (the same formulas as ``gdlab.losses``), with weights
    the mean of the weighted row losses (1/n) Σ wᵢ ℓᵢ."""
    rows = row_losses(name, out, y)
    return rows.mean() if w is None else (w * rows).mean()


class AutogradEngine(Engine):
    r"""Reverse-mode automatic differentiation on a graph built by hand.

    The objective is J(θ) = L(θ) + (λ₂/2) Σ_l ‖W_l‖² + λ₁ Σ_l |W_l|, with L the (weighted) mean data loss of
    the explicit forward pass (see :func:`forward`, :func:`loss_from_outputs`).
    ``J.backward()`` fills ``p.grad = ∂J/∂p`` for every parameter p, which includes the
    penalty gradients λ₂·W and λ₁·sign(W) (autograd's derivative of |W|); the reported
    loss is L alone. Gradients are cleared (set to
    ``None``) before each backward so they never accumulate across steps, and the
    update p ← p − η·(rule) is :func:`gdlab.engines.base.update_`, run without a graph.
    """

    name = "autograd"

    def loss_and_grads(
        self, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None
    ) -> tuple[float, list[torch.Tensor]]:
        """Mean data loss at the current parameters and ∂(loss + penalties)/∂θ by ``backward``."""
        params = self.params
        for p in params:
            p.grad = None  # backward accumulates into .grad: start from nothing
        with torch.enable_grad():  # even if the caller is under torch.no_grad()
            loss = loss_from_outputs(
                self.loss, forward(self.model.layers, self.model.activation, X), y, w
            )
            objective = loss
            weights = [p for p, is_w in zip(params, weight_mask(self.model), strict=True) if is_w]
            if self.l2:
                objective = objective + 0.5 * self.l2 * sum((W * W).sum() for W in weights)
            if self.l1:
                objective = objective + self.l1 * sum(W.abs().sum() for W in weights)
            objective.backward()  # walks the graph back: p.grad = ∂J/∂p
        grads = [p.grad.detach().clone() for p in params]
        for p in params:
            p.grad = None  # leave no stale gradients on the model
        return float(loss.detach()), grads
