"""Coursera "Deep Neural Networks with PyTorch", module 2: 1-D linear regression (seed 000).

- Prediction with ``nn.Linear(1, 1)`` on several rows at once (each row is a sample),
  a custom ``nn.Module``, and reading / setting parameters through ``state_dict()``.
- Training ŷ = w·x + b on y = x − 1 + N(0, 0.1²), x from −3 to 2.9, from w = −15,
  b = −10 with lr 0.1 for 10 epochs, minimizing the mean squared error::

      L(w, b) = (1/m) Σᵢ (w·xᵢ + b − yᵢ)²
      ∂L/∂w = (2/m) Σᵢ (ŷᵢ − yᵢ) xᵢ,   ∂L/∂b = (2/m) Σᵢ (ŷᵢ − yᵢ)
      (w, b) ← (w, b) − η (∂L/∂w, ∂L/∂b)

  by batch GD (m = all 60 rows), SGD (m = 1) and mini-batches of 5, 10 and 20, each
  path drawn on the exact loss surface over (w, b).
- The learning rate: too small, good, too large (overshooting) and diverging; and
  stopping when the loss stops decreasing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data import load
from ..errors import DivergedError
from ..models import LinearRegression
from ..train import train
from ..viz import loss_surface_2param, lr_sweep
from .common import NOTES_SETTINGS, Figures, Log, table

NAME = "coursera-1d"
TITLE = "Coursera PyTorch module 2: 1-D linear regression with nn.Linear"
SUMMARY = "nn.Linear, a custom module, state_dict; slope and bias by GD, SGD and mini-batches; learning rates"
PLAYGROUND = {
    "data": "line-1d", "noise": 0.1, "model": "linear", "optimizer": "minibatch",
    "batch_size": 5, "lr": 0.1, "epochs": 10, "loss": "mse", "start": [-15, -10],
    "standardize": False,
}
EXPLANATION = (
    "nn.Linear treats each row of its input as one sample, so one call predicts many; "
    "calling the model runs its forward(), and state_dict() is a dictionary of the "
    "parameter tensors (changing a value there changes the model). With Gaussian noise on "
    "the line, minimizing the mean squared error is the right fit; larger noise only "
    "spreads the points. The cost is the loss averaged over a batch; gradient descent "
    "steps against its gradient, which on the contour plot is perpendicular to the "
    "contours. One epoch is one pass over the data: batch GD makes 1 update per epoch, "
    "SGD 60 and mini-batches 60/size, so after 10 epochs the small-batch runs are near "
    "the minimum while batch GD is still on its way, along a noisier path. Too small a "
    "learning rate barely moves; too large overshoots the valley and zig-zags, or grows "
    "every step and diverges (gdlab stops and says so). Stop after a fixed number of "
    "epochs, or when the loss stops decreasing."
)

W0, B0, LEARNING_RATE, EPOCHS, NOISE = -15.0, -10.0, 0.1, 10, 0.1
OPTIMIZERS = {  # name -> (optimizer, batch size)
    "batch GD": ("gd", None),
    "SGD": ("sgd", None),
    "mini-batch 5": ("minibatch", 5),
    "mini-batch 10": ("minibatch", 10),
    "mini-batch 20": ("minibatch", 20),
}
RATES = {0.001: "too small", 0.1: "good", 0.3: "too large: overshoots", 0.5: "too large: diverges"}
TOL, PATIENCE = 1e-4, 3


class LR(nn.Module):
    """A custom module: ``__init__`` builds the layer, ``forward`` computes ŷ = x wᵀ + b."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)  # (n, in) @ (in, out) + (out,) -> (n, out)


def _rows(t: torch.Tensor) -> str:
    return ", ".join(f"{v:.4f}" for v in t.detach().reshape(-1).tolist())


def prediction_part(log: Log) -> dict:
    """nn.Linear on several rows, a custom module, and state_dict()."""
    x = torch.tensor([[1.0], [2.0], [3.0]])  # 3 rows = 3 samples of 1 feature
    torch.manual_seed(1)
    model = nn.Linear(in_features=1, out_features=1)
    w, b = model.weight.item(), model.bias.item()
    log(f"torch.manual_seed(1); nn.Linear(1, 1): weight {w:.4f}, bias {b:.4f}")
    yhat = model(x)
    log(f"x = [[1], [2], [3]] (one sample per row) -> model(x) = [{_rows(yhat)}]")
    log(f"model(x) runs model.forward(x): the same values: {torch.equal(yhat, model.forward(x))}")

    torch.manual_seed(1)
    custom = LR(1, 1)
    same = torch.equal(custom(x), yhat)
    log(f"custom module LR(1, 1) (nn.Module subclass, same seed) gives the same predictions: {same}")

    state = custom.state_dict()
    log(f"state_dict() keys: {list(state.keys())}; values: {[round(v.item(), 4) for v in state.values()]}")
    state["linear.weight"][0, 0] = 1.0  # state_dict() tensors share storage with the model
    state["linear.bias"][0] = -1.0
    after = custom(x)
    log(f"after state_dict()['linear.weight'][0, 0] = 1 and ['linear.bias'][0] = -1: "
        f"model(x) = [{_rows(after)}]")
    keys = list(LinearRegression(1).state_dict().keys())
    log(f"(gdlab.LinearRegression is such a module; its keys are {keys})")
    return {
        "linear_weight": w, "linear_bias": b, "predictions": yhat.detach().reshape(-1).tolist(),
        "custom_same": same, "state_dict_keys": list(state.keys()),
        "after_set": after.detach().reshape(-1).tolist(),
    }


def noise_part(log: Log) -> dict:
    """Least squares on the line with small and large Gaussian noise."""
    spread = {}
    for noise in (NOISE, 1.0):
        d = load("line-1d", noise=noise)
        w, b = np.polyfit(d.X[:, 0], d.y, 1)
        spread[noise] = float(np.std(d.y - (w * d.X[:, 0] + b)))
        log(f"noise N(0, {noise}²): least-squares line w = {w:.3f}, b = {b:.3f}; "
            f"points spread {spread[noise]:.3f} around it")
    return spread


def _start_model() -> LinearRegression:
    model = LinearRegression(1)
    with torch.no_grad():
        model.layers[0].weight.fill_(W0)
        model.layers[0].bias.fill_(B0)
    return model


def _train(data, **settings):
    """Train from (w0, b0); a diverged run is returned with the epoch it diverged at."""
    settings = {"lr": LEARNING_RATE, "epochs": EPOCHS, "loss": "mse", "engine": "autograd",
                "record_path": True, **NOTES_SETTINGS, **settings}
    try:
        return train(_start_model(), data, **settings), None
    except DivergedError as e:
        return e.run, e.epoch


def run(*, out: Path | None, log: Log = print, data: str | None = None) -> dict:
    """Run the lesson; returns the numbers it printed."""
    log("== 1. prediction with nn.Linear, a custom module, state_dict() ==")
    result = prediction_part(log)

    log("\n== 2. the noise: Gaussian noise around y = x - 1 ==")
    result["noise_spread"] = noise_part(log)

    dataset = load("line-1d", noise=NOISE)
    log(f"\n== 3. training w and b from w = {W0:g}, b = {B0:g}, lr {LEARNING_RATE}, {EPOCHS} epochs, "
        f"on {dataset.n_samples} points ==")
    runs = {name: _train(dataset, optimizer=opt, batch_size=bs)[0]
            for name, (opt, bs) in OPTIMIZERS.items()}
    rows = [[0, *[r.initial_loss for r in runs.values()]]]
    rows += [[e + 1, *[r.history[e]["train_loss"] for r in runs.values()]] for e in range(EPOCHS)]
    rows.append(["updates", *[len(r.steps) for r in runs.values()]])
    for line in table(["epoch (cost after it)", *runs], rows):
        log(line)
    optimizers = {}
    for name, r in runs.items():
        w, b = r.metrics["params"]["weight"][0], r.metrics["params"]["bias"][0]
        optimizers[name] = {"updates": len(r.steps), "final_loss": r.history[-1]["train_loss"],
                            "w": w, "b": b}
        log(f"{name:<14} {len(r.steps):>3} updates -> w = {w:.4f}, b = {b:.4f}")

    log(f"\n== 4. the learning rate (batch GD, {EPOCHS} epochs) ==")
    lr_runs = {lr: _train(dataset, optimizer="gd", lr=lr) for lr in RATES}
    rows = [[0, *[r.initial_loss for r, _ in lr_runs.values()]]]
    for e in range(EPOCHS):
        rows.append([e + 1, *[r.history[e]["train_loss"] if e < len(r.history) else "-"
                              for r, _ in lr_runs.values()]])
    for line in table(["epoch", *[f"lr {lr:g}" for lr in lr_runs]], rows):
        log(line)
    rates = {}
    for lr, (r, diverged) in lr_runs.items():
        final = r.history[-1]["train_loss"]
        status = f"diverged at epoch {diverged}" if diverged else f"final cost {final:.4g}"
        log(f"lr {lr:<6g} {RATES[lr]:<22} {status}")
        rates[lr] = {"final_loss": final, "diverged_at": diverged}

    stop, _ = _train(dataset, optimizer="gd", epochs=1000, tol=TOL, patience=PATIENCE,
                     record_path=False)
    log(f"stopping rule: with lr {LEARNING_RATE}, at most 1000 epochs and --tol {TOL:g} --patience {PATIENCE}, "
        f"batch GD stopped after {stop.metrics['epochs_run']} epochs ({stop.stopped_reason}: "
        f"the cost stopped falling by more than {TOL:g}), at cost {stop.history[-1]['train_loss']:.5f}")

    figures = Figures(out)
    figures.save("coursera-surface.png", lambda: loss_surface_2param(
        dataset.X, dataset.y, loss="mse", model_kind="linear",
        paths={name: r.path for name, r in runs.items()},
        title=f"Batch GD, SGD and mini-batches from (w, b) = ({W0:g}, {B0:g}), lr {LEARNING_RATE}, {EPOCHS} epochs"))
    figures.save("coursera-lr.png", lambda: lr_sweep(
        {lr: r.history for lr, (r, _) in lr_runs.items()},
        diverged={lr: d for lr, (_, d) in lr_runs.items()}, loss_name="mse",
        title=f"Batch GD from (w, b) = ({W0:g}, {B0:g}) at four learning rates"))
    figures.save("coursera-lr-surface.png", lambda: loss_surface_2param(
        dataset.X, dataset.y, loss="mse", model_kind="linear",
        paths={f"lr {lr:g} ({RATES[lr]})": r.path for lr, (r, _) in lr_runs.items()},
        w_range=(-32.0, 20.0), b_range=(-26.0, 26.0),
        title="Batch GD paths at four learning rates (the diverging one leaves the view)"))
    result.update({
        "start": [W0, B0],
        "optimizers": optimizers,
        "learning_rates": rates,
        "stopped_epoch": stop.metrics["epochs_run"],
        "stopped_reason": stop.stopped_reason,
        "figures": figures.paths,
    })
    return result
