"""The ``manual`` engine: tensors and vectorized math, every gradient written by hand.

No autograd: each forward operation below is followed by its backward, the way
micrograd writes ``_backward`` next to the operator it differentiates.
"""

from __future__ import annotations

import torch

from ..losses import compute_loss, output_gradient
from ..models import activate
from .base import Engine


# --- a linear layer: z = h Wᵀ + b -----------------------------------------------------
def linear(h: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """Forward of one layer: z = h Wᵀ + b (no b: z = h Wᵀ)."""
    z = h @ W.T  # (n, d_in) @ (d_in, d_out) -> (n, d_out)
    return z if b is None else z + b  # + (d_out,)


def linear_backward(
    dz: torch.Tensor, h: torch.Tensor, W: torch.Tensor, *, need_dh: bool = True
) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
    """Backward of :func:`linear`: from ∂L/∂z to (∂L/∂h, ∂L/∂W, ∂L/∂b)."""
    dW = dz.T @ h  # (d_out, n) @ (n, d_in) -> (d_out, d_in)
    db = dz.sum(0)  # (n, d_out) -> (d_out,)
    dh = dz @ W if need_dh else None  # (n, d_out) @ (d_out, d_in) -> (n, d_in)
    return dh, dW, db


# --- an activation: a = φ(z), applied elementwise -------------------------------------
# forward: gdlab.models.activate(z, name)


def activation_backward(da: torch.Tensor, a: torch.Tensor, name: str | None) -> torch.Tensor:
    """Backward of ``a = φ(z)``: ∂L/∂z = ∂L/∂a ⊙ φ'(z), with φ' written through a = φ(z)."""
    if name == "sigmoid":
        return da * a * (1 - a)  # σ' = σ(1 − σ); (n, d) ⊙ (n, d) -> (n, d)
    if name == "tanh":
        return da * (1 - a * a)  # tanh' = 1 − tanh²
    if name == "relu":
        return da * (a > 0)  # relu' = 1 where z > 0 (a > 0 exactly there), else 0
    raise ValueError(f"unknown activation {name!r}")


class ManualEngine(Engine):
    r"""Gradients by hand on tensors: forward through the layers, then backpropagation.

    For a stack of L linear layers with activation φ between them::

        h₀ = x                                    (n, d)
        z_l = h_{l−1} W_lᵀ + b_l                  (n, d_l)
        h_l = φ(z_l)            for l < L
        out = z_L                                 (n, k)

    the chain rule, from the output back (``δ_l = ∂L/∂z_l``)::

        δ_L = ∂L/∂out                             (gdlab.losses.output_gradient)
        ∂L/∂W_l = δ_lᵀ h_{l−1}                    (d_l, n) @ (n, d_{l−1})
        ∂L/∂b_l = Σ_rows δ_l                      (d_l,)
        δ_{l−1} = (δ_l W_l) ⊙ φ'(z_{l−1})         (n, d_l) @ (d_l, d_{l−1})

    plus λ₂·W_l + λ₁·sign(W_l) for the penalties on weight matrices. With per-row
    weights wᵢ, row i of δ_L is scaled by wᵢ. For one layer this is
    Ng's vectorized ``dw = X(A − Y)ᵀ/m, db = mean(A − Y)``. The update is
    :func:`gdlab.engines.base.update_`.
    """

    name = "manual"

    def loss_and_grads(
        self, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None
    ) -> tuple[float, list[torch.Tensor]]:
        """Mean data loss at the current parameters and ∂(loss + penalties)/∂θ, no autograd."""
        layers = self.model.layers
        act = self.model.activation
        last = len(layers) - 1
        with torch.no_grad():
            # forward: keep each layer's input h_{l−1} (and so φ(z) for the backward)
            hs = [X]  # hs[l] is the input of layer l; hs[0] = x, (n, d)
            for i, layer in enumerate(layers):
                z = linear(hs[-1], layer.weight, layer.bias)  # (n, d_{l−1}) -> (n, d_l)
                if i < last:
                    hs.append(activate(z, act))  # (n, d_l)
            out = z  # (n, k)
            loss = compute_loss(self.loss, out, y, w)

            # backward: δ = ∂L/∂z of the current layer, from the output back
            per_layer: list[tuple[torch.Tensor, torch.Tensor]] = [None] * len(layers)
            delta = output_gradient(self.loss, out, y, w)  # (n, k)
            for i in range(last, -1, -1):
                dh, dW, db = linear_backward(delta, hs[i], layers[i].weight, need_dh=i > 0)
                per_layer[i] = (dW, db)
                if i > 0:
                    delta = activation_backward(dh, hs[i], act)  # (n, d_{l−1})
        grads = []  # in model.parameters() order: W₀, b₀, W₁, b₁, … (no b without biases)
        for layer, (dW, db) in zip(layers, per_layer, strict=True):
            grads.append(dW)
            if layer.bias is not None:
                grads.append(db)
        return float(loss), self.add_penalty_(grads)
