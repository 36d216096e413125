r"""The ``fast`` engine: the ``manual`` engine's gradients, computed with as few reads of
X and as few tensor operations as the model allows; it owns its epoch.

For one linear layer (linear, logistic and softmax regression) with z = x Wᵀ + b and
per-row weights wᵢ (1 without weights)::

    loss L = Σᵢ wᵢ ℓ(zᵢ, yᵢ) / N            N = Σᵢ wᵢ for cross-entropy, k·Σᵢ wᵢ otherwise
    ∂L/∂W = (c/N) Σᵢ wᵢ δᵢ xᵢᵀ  (k, d)       δᵢ = z − y (c = 2 for mse, 1 for half-mse),
    ∂L/∂b = (c/N) Σᵢ wᵢ δᵢ       (k,)        σ(z) − y for bce, softmax(z) − onehot(y)

plus λ₂·W + λ₁·sign(W) for the penalties; the update is
:func:`gdlab.engines.base.update_`, so every rule and every result matches the
``autograd`` engine within float tolerance (tests/test_fast.py).

What the engine does with an epoch (:meth:`FastEngine.epoch`):

- **full batch**: one pass over the training rows at θ gives the loss and accuracy that
  evaluate θ *and* the gradient of the next update, so an epoch reads X once instead of
  three times (update, then evaluation). The pass is kept between epochs (the
  "look-ahead") and recomputed if anything else changed the parameters. It goes over
  every piece of the feed — one in-memory tensor, this process's shard, or a stream's
  raw blocks with their standardization folded in — and, under distributed data
  parallel, all-reduces one flat buffer (gradient sums, loss sums, counts; the
  validation sums of a stream ride along).
- **mini-batches** over rows held in memory by one process, with the ``sgd``,
  ``momentum`` or ``nesterov`` rule and nothing to run between updates: the whole epoch
  in one compiled loop (:meth:`FastEngine.minibatch_epoch`), each batch's rows read
  from X by index, no Python between batches.
- otherwise the default epoch of :class:`~gdlab.engines.base.Engine`: one step per
  batch, each step a handful of tensor operations with no autograd graph and no
  optimizer object.

On the CPU, passes over large data (``n·d ≥ KERNEL_MIN_ELEMENTS``) run a compiled
kernel (:mod:`gdlab.engines.kernels`) near the machine's memory bandwidth; smaller ones,
and GPUs, use tensor operations. Models with hidden layers use the ``manual`` engine's
backpropagation unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .base import EpochResult, update_
from .manual import ManualEngine

KERNEL_MIN_ELEMENTS = 1 << 20  # below ~1M values of X, tensor ops are as fast and need no compile
# A mini-batch run of at least this many updates runs its epochs compiled whatever the data's
# size: a small batch costs tens of µs as tensor operations and about a µs compiled, so the
# compiled loop's one-time load (numba, the cached kernel: under a second) is soon repaid.
COMPILED_MIN_UPDATES = 5_000
COMPILED_RULES = ("sgd", "momentum", "nesterov")  # the rules the compiled mini-batch epoch runs


@dataclass
class FullPass:
    """What one pass over the training rows at the current parameters gives."""

    loss: float  # (weighted) mean data loss
    grads: list[torch.Tensor]  # ∂(loss + penalties)/∂θ in params order
    correct: float | None  # (weighted) correct predictions (classification), else None
    n: float  # rows (Σ w with weights)
    norm: float | None = None  # ‖grads‖ when the pass computed it already

    @property
    def accuracy(self) -> float | None:
        return None if self.correct is None or not self.n else self.correct / self.n


def _kernel_threads() -> int:
    """Threads for the compiled pass: as many as torch may use (``torch.set_num_threads``)."""
    return max(1, torch.get_num_threads())


class FastEngine(ManualEngine):
    """The ``manual`` engine's mathematics, fused for speed (see the module docstring)."""

    name = "fast"
    large_data = False  # set by check_data: the whole training set is kernel-sized
    many_updates = False  # set by check_data: mini-batch epochs are worth compiling

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        # a mini-batch step costs tens of µs: look the layer up once, not per step
        self.single_layer = len(model.layers) == 1
        self._layer = model.layers[0] if self.single_layer else None
        self._ahead: tuple | None = None  # (key, FullPass) at the current parameters

    def check_data(self, n_samples: int, n_features: int, *, updates: int = 0) -> None:
        """Accept any size; note whether mini-batches should use the kernel too (on data
        this large, or over this many updates, its one-time load is soon repaid)."""
        self.large_data = n_samples * n_features >= KERNEL_MIN_ELEMENTS
        self.many_updates = updates >= COMPILED_MIN_UPDATES

    @property
    def params(self) -> list[torch.Tensor]:
        if self._layer is not None:
            return [self._layer.weight] if self._layer.bias is None else [self._layer.weight, self._layer.bias]
        return list(self.model.parameters())

    def evaluates(self, task: str) -> bool:
        """Whether a full pass gives everything an epoch's evaluation needs for ``task``:
        the loss, and the accuracy for classification (a one-layer model whose loss is
        the task's own: squared for regression, bce or cross-entropy)."""
        squared = self.loss in ("mse", "half-mse")
        return self.single_layer and (task == "regression") == squared

    def uses_kernel(self, X: torch.Tensor) -> bool:
        """Whether a pass over X runs the compiled one-read kernel."""
        return (
            self.single_layer
            and X.device.type == "cpu"
            and X.dtype in (torch.float32, torch.float64)
            and X.stride(-1) == 1
            and (self.large_data or X.numel() >= KERNEL_MIN_ELEMENTS)
        )

    # --- the weights as the formulas use them ----------------------------------------------
    def _wb(self) -> tuple[torch.Tensor, torch.Tensor]:
        W = self._layer.weight.detach()
        b = self._layer.bias
        return W, (W.new_zeros(W.shape[0]) if b is None else b.detach())

    def _scale(self, total: float, k: int) -> float:
        """c/N: the mean's divisor and the loss's own factor (2 for mse)."""
        if not total:
            return 0.0
        return {"mse": 2.0 / (total * k), "half-mse": 1.0 / (total * k),
                "bce": 1.0 / (total * k)}.get(self.loss, 1.0 / total)

    def _mean_loss(self, loss_sum: float, total: float, k: int) -> float:
        if not total:
            return 0.0
        if self.loss == "cross-entropy":
            return loss_sum / total
        return loss_sum / (total * k) * (0.5 if self.loss == "half-mse" else 1.0)

    def _grads(self, gW: torch.Tensor, gb: torch.Tensor) -> list[torch.Tensor]:
        """Add the penalties to gW (weights only) and order as the parameters."""
        W = self._layer.weight.detach()
        if self.l2:
            gW.add_(W, alpha=self.l2)  # ∂/∂W (λ/2)‖W‖² = λW; biases carry no penalty
        if self.l1:
            gW.add_(torch.sign(W), alpha=self.l1)
        return [gW] if self._layer.bias is None else [gW, gb]

    # --- one pass over one in-memory piece ----------------------------------------------------
    def full_pass(self, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None,
                  *, count_correct: bool = True) -> FullPass:
        """Loss, gradients (with penalties) and correct predictions at the current parameters."""
        if not self.single_layer:
            loss, grads = super().loss_and_grads(X, y, w)
            return FullPass(loss, grads, None, X.shape[0])
        if self.uses_kernel(X):
            acc = torch.zeros(self._flat_size(), dtype=torch.float64)
            self._kernel_sums(X, y, w, acc, shift=None, scale=None)
            return self._finish(acc, rows=X.shape[0])
        return self._tensor_pass(X, y, w, count_correct=count_correct)

    def _deltas(self, X, y, W, b):
        """(δ unscaled (n, k), per-row loss ℓ (n, k) or (n,), hits (n, k) / (n,) or None)."""
        Z = torch.addmm(b, X, W.T)  # (n, d) @ (d, k) + (k,) -> (n, k)
        if self.loss in ("mse", "half-mse"):
            D = Z.sub_(y)  # z − y
            return D, D * D, None  # (z − y)², before the ½ of half-mse
        if self.loss == "bce":
            rows = torch.nn.functional.softplus(Z) - Z * y  # log(1 + e^z) − z y
            hits = (Z > 0) == (y > 0.5)
            return torch.sigmoid(Z).sub_(y), rows, hits  # δ = σ(z) − y
        logp = torch.log_softmax(Z, dim=1)  # cross-entropy; y holds class indices (n,)
        nll = -logp.gather(1, y.unsqueeze(1))[:, 0]
        hits = Z.argmax(1) == y
        D = logp.exp_()  # softmax(z)
        D.scatter_add_(1, y.unsqueeze(1), torch.full_like(D[:, :1], -1.0))  # − onehot(y)
        return D, nll, hits

    def _tensor_pass(self, X, y, w, *, count_correct: bool) -> FullPass:
        """The pass as a handful of tensor operations and one transfer of three numbers."""
        W, b = self._wb()
        k = W.shape[0]
        total = float(X.shape[0])  # the mean of the (weighted) row losses: divided by the rows
        with torch.no_grad():
            D, rows, hits = self._deltas(X, y, W, b)
            if w is None:
                loss_t = rows.sum()
                correct_t = hits.sum() if count_correct and hits is not None else None
            else:
                ww = w.unsqueeze(1) if rows.dim() == 2 else w
                loss_t = (rows * ww).sum()
                correct_t = (hits * ww).sum() if count_correct and hits is not None else None
                D.mul_(w.unsqueeze(1))
            G = torch.mm(D.T, X)  # (k, n) @ (n, d) -> (k, d), unscaled
            gb = D.sum(0)  # (k,)
            numbers = [loss_t] + ([correct_t] if correct_t is not None else [])
            values = torch.stack([v.to(torch.float64) for v in numbers]).tolist()  # one transfer
            scale = self._scale(total, k)
            grads = self._grads(G.mul_(scale), gb.mul_(scale))
        correct = values[1] if correct_t is not None else None
        return FullPass(self._mean_loss(values[0], total, k), grads, correct, total)

    # --- passes that add up several pieces (streams, shards) -------------------------------------
    def _flat_size(self) -> int:
        k, d = self._layer.weight.shape
        return k * d + k + 3  # [G (k×d) | gb (k) | Σwℓ | Σw[correct] | Σw]

    def _kernel_sums(self, X, y, w, acc, *, shift, scale) -> None:
        """Add one piece's unscaled sums into ``acc`` with the compiled kernel."""
        from . import kernels

        W, b = self._wb()
        code = kernels.LOSS_CODES[self.loss]
        Y, labels = kernels.targets(y.contiguous().numpy() if code == kernels.CROSS_ENTROPY else y.numpy(),
                                    code, W.numpy().dtype)
        kernels.pass_sums(
            X.numpy(), Y, labels, None if w is None else w.numpy(), W.numpy(), b.numpy(), code,
            _kernel_threads(), acc.numpy(),
            mu=None if shift is None else shift.numpy(), inv_sigma=None if scale is None else scale.numpy(),
        )

    def _tensor_sums(self, piece, acc) -> None:
        """Add one piece's unscaled sums into ``acc`` with tensor operations."""
        piece = piece.standardized()
        W, b = self._wb()
        w = piece.w
        with torch.no_grad():
            D, rows, hits = self._deltas(piece.X, piece.y, W, b)
            if w is not None:
                ww = w.unsqueeze(1) if rows.dim() == 2 else w
                rows = rows * ww
                hits = None if hits is None else hits * ww
                D.mul_(w.unsqueeze(1))
            kd = W.numel()
            acc[:kd] += torch.mm(D.T, piece.X).reshape(-1).to(acc)
            acc[kd : kd + W.shape[0]] += D.sum(0).to(acc)
            acc[-3] += rows.sum().to(acc)
            if hits is not None:
                acc[-2] += hits.sum().to(acc)
            acc[-1] += piece.weight_total()

    def _add_piece(self, piece, acc) -> None:
        if piece.n == 0:
            return
        if self.uses_kernel(piece.X):
            self._kernel_sums(piece.X, piece.y, piece.w, acc, shift=piece.shift, scale=piece.scale)
        else:
            self._tensor_sums(piece, acc)

    def _finish(self, acc: torch.Tensor, rows: int | None = None) -> FullPass:
        """The FullPass of reduced sums: scale, penalties, mean loss, norm. The divisor is
        Σ w (the rows that count, with weights that average 1 over the training rows), or
        ``rows`` for one batch's mean of weighted losses."""
        W = self._layer.weight.detach()
        k, d = W.shape
        cpu = W.device.type == "cpu"
        loss_sum, correct, total = (acc.numpy()[-3:] if cpu else acc[-3:]).tolist()  # one transfer
        if rows is not None:
            correct = correct / total * rows if total else correct
            total = float(rows)
        scale = self._scale(total, k)
        counted = self.loss != "mse" and self.loss != "half-mse"
        mean, correct = self._mean_loss(loss_sum, total, k), correct if counted else None
        if cpu:  # one compiled loop: scale, penalties and the norm
            from . import kernels

            gW, gb = torch.empty_like(W), W.new_empty(k)
            norm = kernels.finish(acc.numpy(), W.numpy(), scale=scale, l2=self.l2, l1=self.l1,
                                  gW=gW.numpy(), gb=gb.numpy())
            if self._layer.bias is None:
                norm = float(torch.linalg.vector_norm(gW.double()))  # no bias gradient
            return FullPass(mean, [gW] if self._layer.bias is None else [gW, gb], correct, total, norm)
        gW = acc[: k * d].view(k, d).mul(scale).to(W.dtype)
        gb = acc[k * d : k * d + k].mul(scale).to(W.dtype)
        return FullPass(mean, self._grads(gW, gb), correct, total)

    def pass_over(self, feed) -> tuple[FullPass, tuple[float, float | None] | None]:
        """One pass over every training piece of ``feed`` on this process, reduced over
        every process (one all-reduce), and the validation loss of the rows that shared
        the pass (a stream's), or None."""
        if feed.comm.size == 1 and getattr(feed, "one_piece", False):  # in memory: no sums to add
            piece, _ = next(feed.pass_pieces())
            return self.full_pass(piece.X, piece.y, piece.w), None
        size = self._flat_size()
        device = self._layer.weight.device
        acc = torch.zeros(size + 3, dtype=torch.float64, device=device)  # + validation sums
        train, val = acc[:size], acc[size:]
        scratch = torch.zeros(size, dtype=torch.float64, device=device)
        saw_val = False
        for piece, val_piece in feed.pass_pieces():
            self._add_piece(piece, train)
            if val_piece is not None:
                saw_val = True
                scratch.zero_()
                self._add_piece(val_piece, scratch)
                val += scratch[-3:]
        comm = feed.comm
        if comm.size > 1:
            acc = comm.sum_flat(acc)
            train, val = acc[:size], acc[size:]
        result = self._finish(train)
        validation = None
        if saw_val or getattr(feed, "pass_has_val", False):
            k = self._layer.weight.shape[0]
            loss_sum, correct, total = (float(v) for v in val)
            if total:
                validation = (self._mean_loss(loss_sum, total, k),
                              None if feed.task == "regression" else correct / total)
        return result, validation

    # --- the engine interface ---------------------------------------------------------------
    def loss_and_grads(self, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None):
        """Mean data loss at the current parameters and ∂(loss + penalties)/∂θ."""
        p = self.full_pass(X, y, w, count_correct=False)
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
            # a reduction, not BLAS's dot: on the CPU, BLAS threads contend with others
            sq = sum(float(torch.linalg.vector_norm(g.double())) ** 2 for g in grads)
        return math.sqrt(sq)

    def step(self, X: torch.Tensor, y: torch.Tensor, *, lr: float, w: torch.Tensor | None = None):
        """One update on the batch (X, y); returns (loss before the update, gradient norm)."""
        p = self.full_pass(X, y, w, count_correct=False)
        return p.loss, self.apply_(p, lr=lr)

    # --- the epoch ----------------------------------------------------------------------------------
    def _looks_ahead(self, feed) -> bool:
        return feed.full_batch and self.single_layer and self.evaluates(feed.task)

    def _key(self, feed) -> tuple:
        """What the look-ahead pass depends on: the feed and the parameters' versions."""
        return (id(feed), *((id(p), p._version) for p in self.params))

    def _ahead_pass(self, feed) -> tuple[FullPass, tuple | None]:
        """The pass at the current parameters: kept from the last epoch, or made now."""
        key = self._key(feed)
        if self._ahead is None or self._ahead[0] != key:
            self._ahead = (key, *self.pass_over(feed))
        return self._ahead[1], self._ahead[2]

    def train_loss(self, feed) -> tuple[float, float | None]:
        if self._looks_ahead(feed):
            p, _ = self._ahead_pass(feed)
            return p.loss, p.accuracy
        return super().train_loss(feed)

    def epoch(self, feed, *, epoch: int, lr: float, on_step=None) -> EpochResult:
        if self._looks_ahead(feed):  # one read of X: this update, then the next one's gradient
            p, _ = self._ahead_pass(feed)
            norm = self.apply_(p, lr=lr)
            if on_step is not None:
                on_step(p.loss)
            if not math.isfinite(p.loss):
                return EpochResult([p.loss], norm)
            nxt, val = self.pass_over(feed)
            self._ahead = (self._key(feed), nxt, val)
            return EpochResult([p.loss], norm, train=(nxt.loss, nxt.accuracy), val=val)
        rows = feed.rows()
        if rows is not None and on_step is None and self.runs_epochs(rows[0]):
            X, y, w = rows
            losses, norm = self.minibatch_epoch(X, y, feed.order(epoch), w=w,
                                                batch_size=feed.batch_size, lr=lr)
            return EpochResult(losses, norm)
        return super().epoch(feed, epoch=epoch, lr=lr, on_step=on_step)

    # --- a whole mini-batch epoch -------------------------------------------------------------
    def runs_epochs(self, X: torch.Tensor) -> bool:
        """Whether :meth:`minibatch_epoch` can run the mini-batch epochs over the training
        rows X: the compiled kernel's conditions (:meth:`uses_kernel`, or a run of at least
        :data:`COMPILED_MIN_UPDATES` updates on the CPU) and an update rule it covers
        (``sgd``, ``momentum``, ``nesterov``; ``adam`` steps one batch at a time)."""
        eligible = self.uses_kernel(X) or (self.many_updates and self.single_layer and X.device.type == "cpu"
                                            and X.dtype in (torch.float32, torch.float64))
        return self.rule in COMPILED_RULES and eligible and X.is_contiguous()

    def minibatch_epoch(
        self, X: torch.Tensor, y: torch.Tensor, order: torch.Tensor, *, batch_size: int, lr: float,
        w: torch.Tensor | None = None,
    ) -> tuple[list[float], float]:
        """Every update of one mini-batch epoch in one compiled loop.

        The batches are ``order[t·B : (t+1)·B]`` (``B = batch_size``), the rows that
        :class:`gdlab.feeds.MemoryFeed` gathers for the same order, and each update is
        :meth:`step`'s (same loss, gradient and rule), so the parameters match a loop of
        :meth:`step` calls within float rounding. Each row is read from X by its index
        (no gathered copy) and no Python runs between batches, which is what a small
        batch costs in a loop of tensor operations (see
        :func:`gdlab.engines.kernels.minibatch_epoch_`).

        Returns the loss of each update (it stops after the first non-finite one) and the
        last update's gradient norm.
        """
        from . import kernels

        code = kernels.LOSS_CODES[self.loss]
        Xn = X.numpy()
        Y, labels = kernels.targets(y.contiguous().numpy(), code, Xn.dtype)
        W = self._layer.weight.detach()
        has_bias = self._layer.bias is not None
        b = self._layer.bias.detach() if has_bias else W.new_zeros(W.shape[0])
        bufs = self.state.get("buf") if self.rule != "sgd" else None
        has_buf = bufs is not None and bufs[0] is not None
        if self.rule == "sgd":
            bufW, bufb = W.new_empty((0, 0)), b.new_empty(0)  # not read
        elif has_buf:
            bufW = bufs[0].contiguous()
            bufb = bufs[1].contiguous() if has_bias else b.new_zeros(b.shape)
        else:
            bufW, bufb = torch.zeros_like(W), torch.zeros_like(b)
        losses, norm = kernels.minibatch_epoch(
            Xn, Y, labels, order.numpy(), W.numpy(), b.numpy(), batch_size=batch_size,
            loss=code, half=self.loss == "half-mse", rule=self.rule, lr=lr, l2=self.l2,
            l1=self.l1, momentum=self.momentum, bufW=bufW.numpy(), bufb=bufb.numpy(),
            has_buf=has_buf, weights=None if w is None else w.numpy(),
        )
        if not has_bias:
            b.zero_()  # a model without a bias keeps none (the kernel updated a scratch one)
        if self.rule != "sgd" and len(losses):
            self.state["buf"] = [bufW, bufb] if has_bias else [bufW]  # as update_ keeps them
        return losses.tolist(), norm
