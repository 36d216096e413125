"""The ``scalar`` engine: plain Python floats and loops, gradients by hand (lecture 3 style).

One sample at a time, one feature at a time, exactly as the math is written on the
board. It is slow by design (one interpreted operation per number), so it refuses data
larger than :data:`MAX_VALUES` and only handles one linear layer: linear, logistic and
softmax regression.
"""

from __future__ import annotations

import math

import torch

from ..errors import GdlabError
from .base import Engine

# Rows × features the scalar engine accepts. At this size one epoch (forward and backward,
# one output) takes ~5 ms full-batch and ~50 ms per-sample on one CPU core, so a lesson of
# hundreds of epochs stays interactive; beyond it the vectorized engines are the tool.
MAX_VALUES = 20_000


def sigmoid(z: float) -> float:
    """σ(z) = 1/(1 + e^{−z}), written so that e^{…} never overflows."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def row_loss(name: str, z: list[float], y) -> tuple[float, list[float]]:
    """The loss of one row summed over its outputs, and its gradient ∂/∂z_j.

    The caller averages both over the batch (and over the outputs, except for
    cross-entropy, whose row loss already covers all k outputs).
    """
    if name == "cross-entropy":  # logsumexp(z) − z_y, derivative softmax(z)_j − [j = y]
        top = max(z)  # subtracted inside exp so that it cannot overflow
        lse = top + math.log(sum(math.exp(zj - top) for zj in z))
        return lse - z[y], [math.exp(zj - lse) - (1.0 if j == y else 0.0) for j, zj in enumerate(z)]
    loss, dz = 0.0, []
    for zj, yj in zip(z, y, strict=True):
        r = zj - yj  # r·r, not r ** 2: a float product overflows to inf (divergence), a power raises
        if name == "mse":  # (z − y)², derivative 2(z − y)
            loss += r * r
            dz.append(2.0 * r)
        elif name == "half-mse":  # ½(z − y)², derivative (z − y)
            loss += 0.5 * (r * r)
            dz.append(r)
        elif name == "bce":  # max(z, 0) − z y + log(1 + e^{−|z|}), derivative σ(z) − y
            loss += max(zj, 0.0) - zj * yj + math.log1p(math.exp(-abs(zj)))
            dz.append(sigmoid(zj) - yj)
        else:
            raise ValueError(f"unknown loss {name!r}")
    return loss, dz


def update_floats(
    params: list[list[float]],
    grads: list[list[float]],
    state: dict,
    *,
    rule: str,
    lr: float,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """:func:`gdlab.engines.base.update_` in Python floats, one number at a time.

    ``params`` and ``grads`` are lists of float vectors (lists), updated in place;
    ``state`` holds the optimizer's vectors (``buf``; ``m``, ``v``, ``t``) the same way.
    """
    if rule == "sgd":  # p ← p − η g
        for p, g in zip(params, grads, strict=True):
            for i in range(len(p)):
                p[i] -= lr * g[i]
        return
    if rule in ("momentum", "nesterov"):  # v ← μ v + g (v = g at first); p ← p − η v
        bufs = state.setdefault("buf", [None] * len(params))
        for k, (p, g) in enumerate(zip(params, grads, strict=True)):
            if bufs[k] is None:
                bufs[k] = list(g)
            else:
                for i in range(len(p)):
                    bufs[k][i] = momentum * bufs[k][i] + g[i]
            v = bufs[k]
            for i in range(len(p)):
                # nesterov looks ahead: p ← p − η (g + μ v)
                p[i] -= lr * (g[i] + momentum * v[i] if rule == "nesterov" else v[i])
        return
    if rule == "adam":
        b1, b2 = betas
        m = state.setdefault("m", [[0.0] * len(p) for p in params])
        v = state.setdefault("v", [[0.0] * len(p) for p in params])
        state["t"] = t = state.get("t", 0) + 1
        bc1, bc2 = 1 - b1**t, 1 - b2**t  # bias corrections for the zero start of m and v
        for k, (p, g) in enumerate(zip(params, grads, strict=True)):
            for i in range(len(p)):
                m[k][i] = b1 * m[k][i] + (1 - b1) * g[i]
                v[k][i] = b2 * v[k][i] + (1 - b2) * g[i] * g[i]
                denom = math.sqrt(v[k][i]) / math.sqrt(bc2) + eps
                p[i] -= (lr / bc1) * m[k][i] / denom
        return
    raise ValueError(f"unknown update rule {rule!r}")


class ScalarEngine(Engine):
    r"""Gradient descent in Python floats with explicit loops, for one linear layer.

    For rows x_i (d features), weights w (k × d) and bias b (k), with z_ij = Σ_c w_jc x_ic + b_j
    and the mean loss L = (1/N) Σ_i ℓ(z_i, y_i) (N = n·k for mse / half-mse / bce,
    N = n for cross-entropy)::

        ∂L/∂w_jc = (1/N) Σ_i ℓ'_ij · x_ic  (+ λ₂ w_jc + λ₁ sign(w_jc) for the penalties)
        ∂L/∂b_j  = (1/N) Σ_i ℓ'_ij          (no b without a bias)

    (with per-row weights v_i each row's terms are multiplied by v_i)

    with ℓ' = 2(z − y) for mse, (z − y) for half-mse, σ(z) − y for bce and
    softmax(z) − onehot(y) for cross-entropy. For linear regression with one feature
    and mse this is lecture 3's ``grad = mean of 2x(xw − y)``.

    The engine reads the model's parameters into Python floats once, keeps those floats
    (and its optimizer state, as floats) as the truth between steps, and writes them back
    into the model's tensors, cast to their dtype, after every step. It computes in
    float64 whatever the tensors' dtype. If the model's parameters are changed from
    outside (restoring best weights, resuming), it notices and reads them again.

    Raises
    ------
    GdlabError
        For a model with hidden layers (use ``manual``, ``autograd`` or ``nn``), and
        for data larger than :data:`MAX_VALUES` rows × features.
    """

    name = "scalar"

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        if len(model.layers) != 1:
            raise GdlabError(
                f"the scalar engine handles one linear layer (linear, logistic or softmax "
                f"regression), not a {getattr(model, 'kind', 'model')} with "
                f"{len(model.layers) - 1} hidden layer(s); use --engine manual (or autograd, nn)"
            )
        self._read_model()

    # --- moving numbers between the model's tensors and Python floats ----------------
    def _read_model(self) -> None:
        layer = self.model.layers[0]
        self.has_bias = layer.bias is not None
        self.w: list[list[float]] = layer.weight.detach().double().tolist()  # k rows of d
        # k biases; without a bias they stay 0 and are never updated
        self.b: list[float] = layer.bias.detach().double().tolist() if self.has_bias else [0.0] * len(self.w)
        self._written = [p.detach().clone() for p in self.params]

    def _write_model(self) -> None:
        layer = self.model.layers[0]
        with torch.no_grad():  # copy_ casts float64 to the parameter's dtype and device
            layer.weight.copy_(torch.tensor(self.w, dtype=torch.float64))
            if self.has_bias:
                layer.bias.copy_(torch.tensor(self.b, dtype=torch.float64))
        self._written = [p.detach().clone() for p in self.params]

    def _sync(self) -> None:
        """Read the model again if its parameters are no longer what this engine wrote."""
        if any(
            not torch.equal(p.detach(), q) for p, q in zip(self.params, self._written, strict=True)
        ):
            self._read_model()

    def _vectors(self, w: list[list[float]], b: list[float]) -> list[list[float]]:
        """The optimizer's view: each weight row, then the bias (the same list objects)."""
        return [*w, b] if self.has_bias else list(w)

    # --- the engine interface ----------------------------------------------------------
    def check_data(self, n_samples: int, n_features: int, *, updates: int = 0) -> None:
        """Refuse more than :data:`MAX_VALUES` rows × features."""
        if n_samples * n_features > MAX_VALUES:
            raise GdlabError(
                f"the scalar engine computes in Python floats and is limited to "
                f"{MAX_VALUES:,} values (rows × features); this data has "
                f"{n_samples * n_features:,} ({n_samples:,} × {n_features:,}). "
                f"Use --engine manual (or nn) for larger data."
            )

    def _loss_and_grads(self, X, y, weights=None) -> tuple[float, list[list[float]], list[float]]:
        """The loss and (∂L/∂w, ∂L/∂b) as floats, with loops over rows, outputs and features."""
        n, d = X.shape
        self.check_data(n, d)
        xs = X.detach().double().tolist()  # n rows of d floats
        ys = y.detach().tolist()  # n rows of k floats, or n class indices
        vs = [1.0] * n if weights is None else weights.detach().double().tolist()  # row weights
        w, b = self.w, self.b
        k = len(b)
        total = 0.0
        dw = [[0.0] * d for _ in range(k)]
        db = [0.0] * k
        for i in range(n):
            v = vs[i]
            # forward: z_j = Σ_c w_jc x_ic + b_j
            z = []
            for j in range(k):
                zj = b[j]
                for c in range(d):
                    zj += w[j][c] * xs[i][c]
                z.append(zj)
            loss_i, dz = row_loss(self.loss, z, ys[i])
            total += v * loss_i
            # backward: ∂ℓ_i/∂w_jc = ℓ'_ij x_ic, ∂ℓ_i/∂b_j = ℓ'_ij (times the row's weight)
            for j in range(k):
                db[j] += v * dz[j]
                for c in range(d):
                    dw[j][c] += v * dz[j] * xs[i][c]
        # the mean over the batch (of the weighted row losses), and over the k outputs for
        # the elementwise losses
        count = (n if self.loss == "cross-entropy" else n * k) or 1.0
        for j in range(k):
            db[j] = db[j] / count if self.has_bias else 0.0
            for c in range(d):
                # penalties on the weights only: λ₂ w + λ₁ sign(w)
                sign = (w[j][c] > 0) - (w[j][c] < 0)
                dw[j][c] = dw[j][c] / count + self.l2 * w[j][c] + self.l1 * sign
        return total / count, dw, db

    def loss_and_grads(self, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None):
        """Mean data loss and gradients (as tensors in ``model.parameters()`` order)."""
        self._sync()
        loss, dw, db = self._loss_and_grads(X, y, w)
        weight = self.params[0]
        like = {"dtype": weight.dtype, "device": weight.device}
        grads = [torch.tensor(dw, **like)]
        if self.has_bias:
            grads.append(torch.tensor(db, **like))
        return loss, grads

    def step(self, X: torch.Tensor, y: torch.Tensor, *, lr: float, w: torch.Tensor | None = None):
        """One update in floats, written back into the model; returns (loss, gradient norm)."""
        self._sync()
        loss, dw, db = self._loss_and_grads(X, y, w)
        update_floats(
            self._vectors(self.w, self.b),
            self._vectors(dw, db),
            self.state,
            rule=self.rule,
            lr=lr,
            momentum=self.momentum,
            betas=self.betas,
            eps=self.eps,
        )
        self._write_model()
        norm = math.sqrt(sum(g * g for row in dw for g in row) + sum(g * g for g in db))
        return loss, norm

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The float optimizer state as float64 tensors, named like the tensor engines'."""
        k = len(self.b)
        out: dict[str, torch.Tensor] = {}
        for key in ("buf", "m", "v"):
            if key in self.state and self.state[key][0] is not None:
                vectors = self.state[key]
                out[f"{key}.0"] = torch.tensor(vectors[:k], dtype=torch.float64)  # (k, d)
                if self.has_bias:
                    out[f"{key}.1"] = torch.tensor(vectors[k], dtype=torch.float64)  # (k,)
        if "t" in self.state:
            out["t"] = torch.tensor(self.state["t"])
        return out

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        self.state = {}
        for key in ("buf", "m", "v"):
            if f"{key}.0" in tensors:
                w = tensors[f"{key}.0"].double().tolist()
                b = tensors[f"{key}.1"].double().tolist() if self.has_bias else []
                self.state[key] = self._vectors(w, b)
        if "t" in tensors:
            self.state["t"] = int(tensors["t"].item())
