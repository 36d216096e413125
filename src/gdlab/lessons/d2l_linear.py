"""Dive into Deep Learning 3.2–3.3: linear regression from scratch and concise (seed 002).

Data: 1000 rows, X ~ N(0, 1) with 2 features, y = X·[2, −3.4] + 4.2 + N(0, 0.01²).

- Vectorization: adding two 1000-vectors element by element in a Python loop versus
  one tensor operation.
- From scratch: shuffled mini-batches of 10, ŷ = Xw + b, the half squared loss
  ½(ŷ − y)² averaged over the batch, w ~ N(0, 0.01²), b = 0, mini-batch SGD with lr 0.03
  for 3 epochs; gradients by autograd, the update written by hand (``autograd`` engine)::

      ∂/∂w mean ½(ŷ − y)² = (1/|B|) Σᵢ (ŷᵢ − yᵢ) xᵢ,   w ← w − η ∂/∂w

- Concise: ``nn.Linear(2, 1)``, ``MSELoss`` (mean of (ŷ − y)², no ½) and
  ``torch.optim.SGD`` (``nn`` engine), same lr, same start, same batches. Its gradient
  is exactly twice the scratch one, so at lr 0.03 it moves like scratch at lr 0.06.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch

from ..data import load
from ..models import LinearRegression
from ..train import flat_params, train
from ..viz.common import COLORS, new_figure, styled
from .common import NOTES_SETTINGS, EpochPrinter, Figures, Log, curves_figure

NAME = "d2l-linear"
TITLE = "Dive into Deep Learning 3.2-3.3: linear regression from scratch and concise"
SUMMARY = "vectorization timing; linear regression from scratch (½ squared loss) and with nn.Linear + MSELoss"
PLAYGROUND = {
    "data": "synthetic-linear", "n": 1000, "noise": 0.01, "model": "linear",
    "optimizer": "minibatch", "batch_size": 10, "lr": 0.03, "epochs": 3, "loss": "half-mse",
    "init_std": 0.01, "standardize": False,
}
EXPLANATION = (
    "A Python loop pays the interpreter's cost once per element, one vector operation "
    "pays it once, hence the large ratio: write the math for the whole batch at once. "
    "Both trainings recover w ≈ [2, −3.4] and b ≈ 4.2 in 3 epochs (300 iterations of "
    "batch 10: an epoch is one pass over the data, an iteration one update). They differ "
    "at the same learning rate because d2l's scratch loss is ½(ŷ − y)² while MSELoss is "
    "(ŷ − y)² without the ½: the concise gradient is twice as large, so lr 0.03 there "
    "takes the steps scratch takes at lr 0.06 (the run above lands on the same parameters). "
    "The reduction matters the same way: d2l sums the loss over the batch and divides by "
    "the batch size inside its sgd(); summing without dividing would multiply the step "
    "by the batch size. gdlab always averages over the batch and names the ½ in the loss "
    "(half-mse versus mse), so the learning rate means the same thing in every engine."
)

N, NOISE, SEED = 1000, 0.01, 0
BATCH, LR, EPOCHS, INIT_STD = 10, 0.03, 3, 0.01
VECTOR_N = 1000  # the notes add two 1000-vectors (d2l's book uses 10000)


def time_vectorization(n: int = VECTOR_N, *, repeats: int = 5, calls: int = 100) -> tuple[float, float]:
    """Seconds to add two n-vectors in a Python loop and as one operation.

    The best of ``repeats`` timings each; the vector sum is timed over ``calls`` calls and
    divided, since one call is close to the clock's resolution.
    """
    a, b = torch.ones(n), torch.ones(n)
    loop, vector = [], []
    for _ in range(repeats):
        c = torch.zeros(n)
        t0 = time.perf_counter()
        for i in range(n):
            c[i] = a[i] + b[i]  # one interpreted operation per element
        loop.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(calls):
            d = a + b  # one call for all n elements
        vector.append((time.perf_counter() - t0) / calls)
    if not torch.equal(c, d):
        raise AssertionError("the loop and the vector sum disagree")
    return min(loop), min(vector)


def _train(model, data, *, lr: float, loss: str, engine: str, log: Log | None, line: str):
    callbacks = [] if log is None else [EpochPrinter(log, lambda e: line.format(**e))]
    return train(model, data, optimizer="minibatch", batch_size=BATCH, lr=lr, epochs=EPOCHS,
                 loss=loss, engine=engine, seed=SEED, callbacks=callbacks, **NOTES_SETTINGS)


def _errors(run, true_w, true_b, log: Log) -> tuple[list[float], float]:
    params = run.metrics["params"]
    w_err = [float(t - w) for t, w in zip(true_w, params["weight"], strict=True)]
    b_err = float(true_b - params["bias"][0])
    log(f"error in estimating w: [{w_err[0]:.6f}, {w_err[1]:.6f}]")
    log(f"error in estimating b: {b_err:.6f}")
    return w_err, b_err


def run(*, out: Path | None, log: Log = print, data: str | None = None) -> dict:
    """Run the lesson; returns the numbers it printed."""
    dataset = load("synthetic-linear", n=N, noise=NOISE, seed=SEED)
    true_w, true_b = dataset.meta["true_w"], dataset.meta["true_b"]
    log(f"data: {N} rows, 2 features ~ N(0, 1), y = X·{true_w} + {true_b} + N(0, {NOISE}²)")
    log(f"features[0] = {np.round(dataset.X[0], 4).tolist()}, label[0] = {dataset.y[0]:.4f}")

    log("\n== vectorization: add two 1000-vectors ==")
    loop_s, vector_s = time_vectorization()
    log(f"element by element in a Python loop: {loop_s:.5f} sec")
    log(f"one vector operation a + b:          {vector_s:.5f} sec ({vector_s * 1e6:.1f} µs)")
    log(f"the vector operation is {loop_s / vector_s:.0f}x faster (a measurement: it varies by machine)")

    log(f"\n== from scratch: ½ squared loss, batch {BATCH}, lr {LR}, {EPOCHS} epochs ==")
    torch.manual_seed(SEED)
    model = LinearRegression(2, init_std=INIT_STD)  # w ~ N(0, 0.01²), b = 0
    start = copy.deepcopy(model.state_dict())
    scratch = _train(model, dataset, lr=LR, loss="half-mse", engine="autograd", log=log,
                     line="epoch {epoch}, loss {train_loss:f}")
    s_w, s_b = _errors(scratch, true_w, true_b, log)

    log(f"\n== concise: nn.Linear, MSELoss, torch.optim.SGD, same start, lr {LR} ==")
    model = LinearRegression(2)
    model.load_state_dict(start)
    concise = _train(model, dataset, lr=LR, loss="mse", engine="nn", log=log,
                     line="epoch {epoch}, loss: {train_loss:f}")
    c_w, c_b = _errors(concise, true_w, true_b, log)

    log("\n== why they differ at the same learning rate ==")
    model = LinearRegression(2)
    model.load_state_dict(start)
    double = _train(model, dataset, lr=2 * LR, loss="half-mse", engine="autograd", log=None, line="")
    diff = float(np.abs(flat_params(double.model) - flat_params(concise.model)).max())
    s1, c1 = scratch.history[0]["train_loss"], concise.history[0]["train_loss"]
    log(f"after epoch 1, in the same units (mean (ŷ − y)²): scratch {2 * s1:.6f}, concise {c1:.6f}")
    same = "the very same parameters" if diff == 0 else f"the same parameters up to float32 rounding ({diff:.2g})"
    log(f"MSELoss has no ½, so its gradient is 2x the scratch one: scratch at lr {2 * LR:g} "
        f"ends at {same}")

    figures = Figures(out)
    figures.save("d2l-data.png", lambda: _scatter(dataset))
    figures.save("d2l-loss.png", lambda: _loss_figure(scratch, concise, double))
    return {
        "true_w": list(true_w),
        "true_b": true_b,
        "loop_seconds": loop_s,
        "vector_seconds": vector_s,
        "ratio": loop_s / vector_s,
        "scratch_losses": [h["train_loss"] for h in scratch.history],
        "scratch_w_error": s_w,
        "scratch_b_error": s_b,
        "concise_losses": [h["train_loss"] for h in concise.history],
        "concise_w_error": c_w,
        "concise_b_error": c_b,
        "scratch_lr_x2_vs_concise": diff,
        "updates_per_epoch": N // BATCH,
        "figures": figures.paths,
    }


@styled
def _scatter(dataset):
    fig = new_figure(5.5)
    ax = fig.subplots(1, 1)
    ax.scatter(dataset.X[:, 1], dataset.y, s=4, color=COLORS[0], alpha=0.6)
    ax.set_xlabel("feature 2 (x₂)")
    ax.set_ylabel("label y")
    ax.set_title("Slope ≈ −3.4 (the true w₂); the spread comes from feature 1, not the tiny noise",
                 fontsize=12)
    fig.suptitle("d2l 3.2 synthetic data: the second feature against the label")
    return fig


def _loss_figure(scratch, concise, double):
    """Loss in the same units (mean (ŷ − y)²) per epoch and per update."""
    epochs = list(range(EPOCHS + 1))

    def per_epoch(r, factor):
        return epochs, [factor * r.initial_loss] + [factor * h["train_loss"] for h in r.history]

    def per_update(r, factor, k=100):
        steps = r.steps[:k]
        return [s["step"] for s in steps], [factor * s["loss"] for s in steps]

    runs = {
        f"scratch, ½ squared loss, lr {LR}": (scratch, 2.0),
        f"concise, MSELoss, lr {LR}": (concise, 1.0),
        f"scratch, ½ squared loss, lr {2 * LR:g}": (double, 2.0),
    }
    return curves_figure([
        {"title": "Per epoch (epoch 0: the start)", "ylabel": "mean (ŷ − y)² over all rows",
         "series": {k: per_epoch(r, f) for k, (r, f) in runs.items()}},
        {"title": "First 100 updates (batch loss)", "ylabel": "mean (ŷ − y)² over the batch",
         "xlabel": "update (iteration)",
         "series": {k: per_update(r, f) for k, (r, f) in runs.items()}},
    ], title="Same start, same batches: MSELoss at lr 0.03 moves like ½ squared loss at lr 0.06")
