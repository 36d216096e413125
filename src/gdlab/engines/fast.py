r"""The ``fast`` engine: the ``manual`` engine's gradients, computed with as few reads of
X and as few tensor operations as the model allows.

For one linear layer (linear, logistic and softmax regression) with z = x Wᵀ + b::

    loss L = (1/N) Σ_i ℓ(z_i, y_i)          N = n for cross-entropy, n·k otherwise
    ∂L/∂W = (1/N) Σ_i δ_i x_iᵀ  (k, d)       δ_i = ∂ℓ/∂z_i:  c(z − y) for (half-)mse,
    ∂L/∂b = (1/N) Σ_i δ_i       (k,)         σ(z) − y for bce, softmax(z) − onehot(y)

plus λ·W for L2; the update is :func:`gdlab.engines.base.update_`, so every rule and
every result matches the ``autograd`` engine within float tolerance (tests/test_fast.py).

Two ways to compute it, chosen by size:

- large data on the CPU (``n·d ≥ KERNEL_MIN_ELEMENTS``): one compiled pass over X that
  produces the loss, the gradient and the number of correct predictions together
  (:mod:`gdlab.engines.kernels`); an epoch then reads X once, near the machine's memory
  bandwidth. The same pass serves as the epoch's evaluation (see ``gdlab.train.fit``).
- mini-batch epochs on that same large CPU data, with the ``sgd``, ``momentum`` or
  ``nesterov`` rule: the whole epoch in one compiled loop (:meth:`FastEngine.minibatch_epoch`),
  each batch's rows read from X by index, with no Python between batches;
  ``gdlab.train.fit`` uses it when nothing must run between updates.
- other mini-batches, small data and GPUs: the same formulas as a handful of tensor
  operations, with no autograd graph and no optimizer object, which is what a
  mini-batch step costs beyond reading its rows.

Models with hidden layers use the ``manual`` engine's backpropagation unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .base import update_
from .manual import ManualEngine

KERNEL_MIN_ELEMENTS = 1 << 20  # below ~1M values of X, tensor ops are as fast and need no compile


@dataclass
class FullPass:
    """What one pass over (X, y) at the current parameters gives."""

    loss: float  # mean data loss
    grads: list[torch.Tensor]  # ∂(loss + L2)/∂θ in model.parameters() order
    correct: float | None  # correct predictions (classification), else None
    n: int
    norm: float | None = None  # ‖grads‖ when the pass computed it already

    @property
    def accuracy(self) -> float | None:
        return None if self.correct is None else self.correct / self.n


def _kernel_threads() -> int:
    """Threads for the compiled pass: as many as torch may use (``torch.set_num_threads``)."""
    return max(1, torch.get_num_threads())


class FastEngine(ManualEngine):
    """The ``manual`` engine's mathematics, fused for speed (see the module docstring)."""

    name = "fast"
    large_data = False  # set by check_data: the whole training set is kernel-sized

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        # a mini-batch step costs tens of µs: look the layer up once, not per step
        self.single_layer = len(model.layers) == 1
        self._layer = model.layers[0] if self.single_layer else None

    def check_data(self, n_samples: int, n_features: int) -> None:
        """Accept any size; note whether mini-batches should use the kernel too (on data
        this large its one-time compilation is soon repaid)."""
        self.large_data = n_samples * n_features >= KERNEL_MIN_ELEMENTS

    @property
    def params(self) -> list[torch.Tensor]:
        if self._layer is not None:
            return [self._layer.weight, self._layer.bias]
        return list(self.model.parameters())

    def evaluates(self, task: str) -> bool:
        """Whether :meth:`full_pass` gives everything an epoch's evaluation needs for
        ``task``: the loss, and the accuracy for classification (a one-layer model whose
        loss is the task's own: squared for regression, bce or cross-entropy)."""
        squared = self.loss in ("mse", "half-mse")
        return self.single_layer and (task == "regression") == squared

    def uses_kernel(self, X: torch.Tensor) -> bool:
        """Whether a pass over X runs the compiled one-read kernel."""
        return (
            self.single_layer
            and X.device.type == "cpu"
            and X.dtype in (torch.float32, torch.float64)
            and X.is_contiguous()
            and (self.large_data or X.numel() >= KERNEL_MIN_ELEMENTS)
        )

    # --- one pass: loss, gradient, correct predictions -------------------------------------
    def full_pass(self, X: torch.Tensor, y: torch.Tensor, *, count_correct: bool = True) -> FullPass:
        """Loss, gradients (with L2) and correct predictions at the current parameters."""
        if not self.single_layer:
            loss, grads = super().loss_and_grads(X, y)
            return FullPass(loss, grads, None, X.shape[0])
        W, b = self._layer.weight.detach(), self._layer.bias.detach()
        if self.uses_kernel(X):
            return self._kernel_pass(X, y, W, b)
        loss, gW, gb, correct = self._tensor_pass(X, y, W, b, count_correct=count_correct)
        if self.l2:
            gW.add_(W, alpha=self.l2)  # ∂/∂W (λ/2)‖W‖² = λW; biases carry no penalty
        return FullPass(loss, [gW, gb], correct, X.shape[0])

    def _scale(self, n: int, k: int) -> float:
        """1/N times the constant of δ (2 for mse): the mean and the loss's own factor."""
        return {"mse": 2.0 / (n * k), "half-mse": 1.0 / (n * k), "bce": 1.0 / (n * k)}.get(
            self.loss, 1.0 / n
        )

    def _kernel_pass(self, X, y, W, b) -> FullPass:
        """The compiled one-read pass (gradients and their norm summed in float64)."""
        from . import kernels

        n, k = X.shape[0], W.shape[0]
        code = kernels.LOSS_CODES[self.loss]
        Xn = X.numpy()
        Y, labels = kernels.targets(y.contiguous().numpy(), code, Xn.dtype)
        gW, gb = torch.empty_like(W), torch.empty_like(b)
        total, correct, norm = kernels.fused_pass(
            Xn, Y, labels, W.numpy(), b.numpy(), code, _kernel_threads(),
            scale=self._scale(n, k), l2=self.l2, gW=gW.numpy(), gb_out=gb.numpy(),
        )
        mean = total / (n if code == kernels.CROSS_ENTROPY else n * k)
        return FullPass(
            loss=0.5 * mean if self.loss == "half-mse" else mean,
            grads=[gW, gb],
            correct=None if code == kernels.SQUARED else correct,
            n=n,
            norm=norm,
        )

    def _tensor_pass(self, X, y, W, b, *, count_correct: bool):
        n, k = X.shape[0], W.shape[0]
        with torch.no_grad():
            Z = torch.addmm(b, X, W.T)  # (n, d) @ (d, k) + (k,) -> (n, k)
            correct = None
            if self.loss in ("mse", "half-mse"):
                D = Z.sub_(y)  # δ/2 for mse, δ for half-mse: z − y, (n, k)
                total = torch.dot(D.view(-1), D.view(-1))  # Σ (z − y)²
                mean = total / (n * k)
                loss_t = 0.5 * mean if self.loss == "half-mse" else mean
            elif self.loss == "bce":
                loss_t = torch.nn.functional.binary_cross_entropy_with_logits(Z, y)
                if count_correct:
                    correct = ((Z > 0) == (y > 0.5)).sum()
                D = torch.sigmoid(Z).sub_(y)  # σ(z) − y
            else:  # cross-entropy; y holds class indices (n,)
                logp = torch.log_softmax(Z, dim=1)  # (n, k)
                loss_t = -logp.gather(1, y.unsqueeze(1)).mean()
                if count_correct:
                    correct = (Z.argmax(1) == y).sum()
                D = logp.exp_()  # softmax(z)
                D[torch.arange(n, device=X.device), y] -= 1.0  # − onehot(y)
            scale = self._scale(n, k)
            gW = torch.mm(D.T, X).mul_(scale)  # (k, n) @ (n, d) -> (k, d)
            gb = D.sum(0).mul_(scale)  # (k,)
        return float(loss_t), gW, gb, None if correct is None else float(correct)

    # --- the engine interface ---------------------------------------------------------------
    def loss_and_grads(self, X: torch.Tensor, y: torch.Tensor) -> tuple[float, list[torch.Tensor]]:
        """Mean data loss at the current parameters and ∂(loss + L2)/∂θ."""
        p = self.full_pass(X, y, count_correct=False)
        return p.loss, p.grads

    def apply_(self, p: FullPass, *, lr: float) -> float:
        """Update the parameters with the gradients of pass ``p``; return their norm."""
        params, grads = self.params, p.grads
        with torch.no_grad():
            if self.rule == "sgd":
                torch._foreach_add_(params, grads, alpha=-lr)  # p ← p − η g, one call
            else:
                update_(
                    params, grads, self.state, rule=self.rule, lr=lr,
                    momentum=self.momentum, betas=self.betas, eps=self.eps,
                )
            if p.norm is not None:
                return p.norm
            sq = sum(torch.dot(g.reshape(-1), g.reshape(-1)) for g in grads)
        return math.sqrt(float(sq))

    def step(self, X: torch.Tensor, y: torch.Tensor, *, lr: float) -> tuple[float, float]:
        """One update on the batch (X, y); returns (loss before the update, gradient norm)."""
        p = self.full_pass(X, y, count_correct=False)
        return p.loss, self.apply_(p, lr=lr)

    # --- a whole mini-batch epoch -------------------------------------------------------------
    def runs_epochs(self, X: torch.Tensor) -> bool:
        """Whether :meth:`minibatch_epoch` can run the mini-batch epochs over the training
        rows X: the compiled kernel's conditions (:meth:`uses_kernel`) and an update rule
        it covers (``sgd``, ``momentum``, ``nesterov``; ``adam`` steps one batch at a time)."""
        from .kernels import RULE_CODES

        return self.rule in RULE_CODES and self.uses_kernel(X)

    def minibatch_epoch(
        self, X: torch.Tensor, y: torch.Tensor, order: torch.Tensor, *, batch_size: int, lr: float
    ) -> tuple[list[float], float]:
        """Every update of one mini-batch epoch in one compiled loop.

        The batches are ``order[t·B : (t+1)·B]`` (``B = batch_size``), the rows that
        :class:`gdlab.batching.Batcher` gathers for the same order, and each update is
        :meth:`step`'s (same loss, gradient and rule), so the parameters match a loop of
        :meth:`step` calls within float rounding. Each row is read from X by its index
        (no gathered copy) and no Python runs between batches, which is what a small
        batch costs in a loop of tensor operations (see
        :func:`gdlab.engines.kernels.minibatch_epoch_`).

        Returns the loss of each update (the loop's ``step`` losses; it stops after the
        first non-finite one) and the last update's gradient norm.
        """
        from . import kernels

        code = kernels.LOSS_CODES[self.loss]
        Xn = X.numpy()
        Y, labels = kernels.targets(y.contiguous().numpy(), code, Xn.dtype)
        W, b = self._layer.weight.detach(), self._layer.bias.detach()
        bufs = self.state.get("buf") if self.rule != "sgd" else None
        has_buf = bufs is not None and bufs[0] is not None
        if self.rule == "sgd":
            bufW, bufb = W.new_empty((0, 0)), b.new_empty(0)  # not read
        elif has_buf:
            bufW, bufb = bufs[0].contiguous(), bufs[1].contiguous()
        else:
            bufW, bufb = torch.zeros_like(W), torch.zeros_like(b)
        losses, norm = kernels.minibatch_epoch(
            Xn, Y, labels, order.numpy(), W.numpy(), b.numpy(), batch_size=batch_size,
            loss=code, half=self.loss == "half-mse", rule=self.rule, lr=lr, l2=self.l2,
            momentum=self.momentum, bufW=bufW.numpy(), bufb=bufb.numpy(), has_buf=has_buf,
        )
        if self.rule != "sgd" and len(losses):
            self.state["buf"] = [bufW, bufb]  # as update_ keeps them, in params order
        return losses.tolist(), norm
