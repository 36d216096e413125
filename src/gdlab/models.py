"""The models: plain ``nn.Module`` subclasses whose ``forward`` returns raw scores.

Every model maps ``x`` of shape ``(n, d)`` to scores of shape ``(n, k)``: predictions
for regression, logits for classification. Probabilities (sigmoid / softmax) are applied
by the loss (numerically stable, from logits) and by :func:`predict_proba`, never inside
``forward``. All layers are ``nn.Linear`` kept in ``self.layers`` so that every engine
can walk them the same way: ``layers[0]`` … ``layers[-1]`` with ``activation`` between.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from .config import ACTIVATIONS, MODELS


def _init_linear(layer: nn.Linear, init_std: float | None) -> None:
    """Normal(0, init_std²) weights and zero bias when ``init_std`` is given (d2l's init);
    otherwise PyTorch's default uniform(−1/√fan_in, 1/√fan_in)."""
    if init_std is not None:
        with torch.no_grad():
            layer.weight.normal_(0.0, init_std)
            if layer.bias is not None:
                layer.bias.zero_()


class _Stack(nn.Module):
    """Shared body: a stack of linear layers with one activation between them."""

    kind = "base"
    activation: str | None = None

    def __init__(self, sizes: Sequence[int], activation: str | None, init_std: float | None,
                 bias: bool = True):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b, bias=bias) for a, b in itertools.pairwise(sizes))
        self.activation = activation
        for layer in self.layers:
            _init_linear(layer, init_std)

    @property
    def in_features(self) -> int:
        return self.layers[0].in_features

    @property
    def out_features(self) -> int:
        return self.layers[-1].out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)  # (n, d_in) @ (d_in, d_out)ᵀ + b -> (n, d_out)
            if i < len(self.layers) - 1:
                x = activate(x, self.activation)
        return x

    def describe(self) -> dict:
        """The architecture as plain data (stored in model.json)."""
        return {
            "model": self.kind,
            "in_features": self.in_features,
            "out_features": self.out_features,
            "hidden": [layer.out_features for layer in self.layers[:-1]],
            "activation": self.activation,
            "bias": self.has_bias,
        }

    @property
    def has_bias(self) -> bool:
        """Whether the layers have biases (``bias=False``: y = x Wᵀ, no intercept)."""
        return self.layers[0].bias is not None


def activate(x: torch.Tensor, name: str | None) -> torch.Tensor:
    """Apply the named hidden-layer activation."""
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "relu":
        return torch.relu(x)
    if name == "tanh":
        return torch.tanh(x)
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


class LinearRegression(_Stack):
    r"""Linear regression: ŷ = x wᵀ + b.

    Parameters
    ----------
    in_features : int
        Number of input features d.
    out_features : int, default=1
        Number of targets.
    init_std : float or None, default=None
        If given, weights ~ N(0, init_std²) and bias 0 (d2l uses 0.01).
    bias : bool, default=True
        False fits ŷ = x wᵀ through the origin (the notes' y = w·x).

    Notes
    -----
    With the mean squared error L(w, b) = (1/n) Σᵢ (x_i wᵀ + b − y_i)², the gradient is
    ∂L/∂w = (2/n) Σᵢ (ŷ_i − y_i) x_i and ∂L/∂b = (2/n) Σᵢ (ŷ_i − y_i); the half-MSE
    drops the factor 2. Gradient descent updates w ← w − η ∂L/∂w, b ← b − η ∂L/∂b.
    """

    kind = "linear"

    def __init__(self, in_features: int, out_features: int = 1, *, init_std: float | None = None,
                 bias: bool = True):
        super().__init__([in_features, out_features], None, init_std, bias)


class LogisticRegression(_Stack):
    r"""Logistic regression for two classes: P(y=1 | x) = σ(x wᵀ + b), σ(z) = 1/(1+e^{−z}).

    ``forward`` returns the logit z; the binary cross-entropy is computed from it
    stably: L = (1/n) Σᵢ [max(z_i, 0) − z_i y_i + log(1 + e^{−|z_i|})].

    Notes
    -----
    With a = σ(z), ∂L/∂z = (a − y)/n, so ∂L/∂w = (1/n) Σᵢ (a_i − y_i) x_i and
    ∂L/∂b = mean(a − y) — Ng's dw = X(A − Y)ᵀ/m, db = mean(A − Y).
    """

    kind = "logistic"

    def __init__(self, in_features: int, *, init_std: float | None = None, bias: bool = True):
        super().__init__([in_features, 1], None, init_std, bias)


class SoftmaxRegression(_Stack):
    r"""Softmax regression for k classes: P(y=j | x) = softmax(x Wᵀ + b)_j.

    ``forward`` returns the k logits z; the cross-entropy is
    L = (1/n) Σᵢ [logsumexp(z_i) − z_{i, y_i}], computed with log-softmax.

    Notes
    -----
    With P = softmax(Z) and Y one-hot, ∂L/∂Z = (P − Y)/n, so ∂L/∂W = (P − Y)ᵀ X / n and
    ∂L/∂b = mean over rows of (P − Y).
    """

    kind = "softmax"

    def __init__(self, in_features: int, n_classes: int, *, init_std: float | None = None,
                 bias: bool = True):
        if n_classes < 2:
            raise ValueError(f"softmax regression needs at least 2 classes, got {n_classes}")
        super().__init__([in_features, n_classes], None, init_std, bias)


class MLP(_Stack):
    r"""A multilayer perceptron: h₀ = x, h_l = φ(h_{l−1} W_lᵀ + b_l), output h_{L−1} W_Lᵀ + b_L.

    Parameters
    ----------
    in_features : int
    out_features : int
        1 for regression or two classes (a logit), k for k classes.
    hidden : sequence of int, default=(10,)
        Width of each hidden layer.
    activation : {"sigmoid", "relu", "tanh"}, default="sigmoid"
        φ, applied after every hidden layer (not after the output).

    Notes
    -----
    Backpropagation applies the chain rule layer by layer, from the output back:
    δ_L = ∂L/∂z_L; ∂L/∂W_l = δ_lᵀ h_{l−1}; ∂L/∂b_l = Σ rows of δ_l;
    δ_{l−1} = (δ_l W_l) ⊙ φ'(z_{l−1}).
    """

    kind = "mlp"

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        hidden: Sequence[int] = (10,),
        activation: str = "sigmoid",
        *,
        init_std: float | None = None,
        bias: bool = True,
    ):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        hidden = tuple(int(h) for h in hidden)
        if not hidden or min(hidden) < 1:
            raise ValueError(f"hidden sizes must be positive integers, got {hidden}")
        super().__init__([in_features, *hidden, out_features], activation, init_std, bias)


def build_model(
    kind: str,
    in_features: int,
    out_features: int = 1,
    *,
    hidden: Sequence[int] = (10,),
    activation: str = "sigmoid",
    init_std: float | None = None,
    bias: bool = True,
) -> _Stack:
    """Build a model from its description (the inverse of ``model.describe()``)."""
    if kind == "linear":
        return LinearRegression(in_features, out_features, init_std=init_std, bias=bias)
    if kind == "logistic":
        return LogisticRegression(in_features, init_std=init_std, bias=bias)
    if kind == "softmax":
        return SoftmaxRegression(in_features, out_features, init_std=init_std, bias=bias)
    if kind == "mlp":
        return MLP(in_features, out_features, hidden, activation, init_std=init_std, bias=bias)
    raise ValueError(f"unknown model {kind!r}; choose one of {', '.join(MODELS)}")


def predict_proba(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class probabilities, shape (n, k): [1 − σ(z), σ(z)] for one logit, softmax otherwise."""
    z = model(x)
    if z.shape[1] == 1:
        p = torch.sigmoid(z)
        return torch.cat([1 - p, p], dim=1)
    return torch.softmax(z, dim=1)
