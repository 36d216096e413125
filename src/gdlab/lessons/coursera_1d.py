"""Coursera "Deep Neural Networks with PyTorch", module 2: 1-D linear regression (seed 000).

- Prediction with ``nn.Linear(1, 1)`` on several rows at once (each row is a sample),
  a custom ``nn.Module``, and reading / setting parameters through ``state_dict()``.
- The noise: y = x − 1 + N(0, σ²); the offsets from the line are Gaussian.
- Training ŷ = w·x + b on y = x − 1 + N(0, 0.1²), x from −3 to 2.9, from w = −15,
  b = −10 with lr 0.1 for 10 epochs, minimizing the mean squared error::

      L(w, b) = (1/m) Σᵢ (w·xᵢ + b − yᵢ)²
      ∂L/∂w = (2/m) Σᵢ (ŷᵢ − yᵢ) xᵢ,   ∂L/∂b = (2/m) Σᵢ (ŷᵢ − yᵢ)
      (w, b) ← (w, b) − η (∂L/∂w, ∂L/∂b)

  by batch GD (m = all 60 rows), SGD (m = 1) and mini-batches of 5, 10 and 20 — in the
  course's order (rows as they come, x rising: ``shuffle=False``) and, beside it,
  shuffled every epoch — each path drawn on the exact loss surface over (w, b), and
  animated step by step.
- The learning rate: too small, good, too large (overshooting) and diverging; and
  stopping when the loss stops decreasing.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data import load
from ..errors import DivergedError
from ..i18n import Texts, ljust
from ..models import LinearRegression
from ..train import train
from ..viz import (
    angle_to_optimum,
    animate_paths,
    loss_at,
    loss_surface_2param,
    lr_sweep,
    optimum_2param,
)
from ..viz.common import COLORS, new_figure, styled
from .common import NOTES_SETTINGS, Errata, Figures, Log, paragraph, table

NAME = "coursera-1d"
W0, B0, LEARNING_RATE, EPOCHS, NOISE = -15.0, -10.0, 0.1, 10, 0.1
NOISES = (NOISE, 1.0)
OPTIMIZERS = {  # id -> (optimizer, batch size); the ids name the runs in the result
    "batch GD": ("gd", None),
    "SGD": ("sgd", None),
    "mini-batch 5": ("minibatch", 5),
    "mini-batch 10": ("minibatch", 10),
    "mini-batch 20": ("minibatch", 20),
}
RATES = {0.001: "small", 0.1: "good", 0.3: "overshoots", 0.5: "diverges"}
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


def prediction_part(log: Log, tr: Texts) -> dict:
    """nn.Linear on several rows, a custom module, and state_dict()."""
    x = torch.tensor([[1.0], [2.0], [3.0]])  # 3 rows = 3 samples of 1 feature
    torch.manual_seed(1)
    model = nn.Linear(in_features=1, out_features=1)
    w, b = model.weight.item(), model.bias.item()
    log(tr("linear", w=w, b=b))
    yhat = model(x)
    log(tr("rows", values=_rows(yhat)))
    log(tr("forward", same=torch.equal(yhat, model.forward(x))))

    torch.manual_seed(1)
    custom = LR(1, 1)
    same = torch.equal(custom(x), yhat)
    log(tr("custom", same=same))

    state = custom.state_dict()
    log(tr("state", keys=list(state.keys()), values=[round(v.item(), 4) for v in state.values()]))
    state["linear.weight"][0, 0] = 1.0  # state_dict() tensors share storage with the model
    state["linear.bias"][0] = -1.0
    after = custom(x)
    log(tr("state_set", values=_rows(after)))
    log(tr("gdlab_keys", keys=list(LinearRegression(1).state_dict().keys())))
    return {
        "linear_weight": w, "linear_bias": b, "predictions": yhat.detach().reshape(-1).tolist(),
        "custom_same": same, "state_dict_keys": list(state.keys()),
        "after_set": after.detach().reshape(-1).tolist(),
    }


def noise_part(log: Log, tr: Texts) -> tuple[dict, dict]:
    """Least squares on the line with small and large Gaussian noise."""
    spread, datasets = {}, {}
    for noise in NOISES:
        d = datasets[noise] = load("line-1d", noise=noise)
        w, b = np.polyfit(d.X[:, 0], d.y, 1)
        spread[noise] = float(np.std(d.y - (w * d.X[:, 0] + b)))
        log(tr("noise_line", noise=noise, w=w, b=b, spread=spread[noise]))
    return spread, datasets


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


def _cost_table(log: Log, tr: Texts, runs: dict) -> None:
    names = {name: tr(f"opt.{name}") for name in runs}
    rows = [[0, *[r.initial_loss for r in runs.values()]]]
    rows += [[e + 1, *[r.history[e]["train_loss"] for r in runs.values()]] for e in range(EPOCHS)]
    rows.append([tr("updates"), *[len(r.steps) for r in runs.values()]])
    for line in table([tr("epoch_col"), *names.values()], rows):
        log(line)


def _finals(log: Log, tr: Texts, runs: dict) -> dict:
    out = {}
    for name, r in runs.items():
        w, b = r.metrics["params"]["weight"][0], r.metrics["params"]["bias"][0]
        out[name] = {"updates": len(r.steps), "final_loss": r.history[-1]["train_loss"],
                     "first_epoch_loss": r.history[0]["train_loss"], "w": w, "b": b}
        log(tr("final", name=ljust(tr(f"opt.{name}"), 14), n=len(r.steps), w=w, b=b))
    return out


def run(*, out: Path | None, log: Log = print, data: str | None = None, lang: str = "en") -> dict:
    """Run the lesson; returns the numbers it printed."""
    tr = Texts(lang, NAME)
    errata = Errata(tr, log)
    log(tr("h.prediction"))
    result = prediction_part(log, tr)

    log("\n" + tr("h.noise"))
    result["noise_spread"], noisy = noise_part(log, tr)

    dataset = load("line-1d", noise=NOISE)
    X, y = dataset.X, dataset.y
    optimum = optimum_2param(X, y, loss="mse")
    log("\n" + tr("h.train", w0=W0, b0=B0, lr=LEARNING_RATE, epochs=EPOCHS, n=dataset.n_samples))
    gw, gb = (float(v) for v in _gradient(X, y, W0, B0))
    angle = angle_to_optimum(X, y, loss="mse", at=(W0, B0), optimum=optimum)
    errata.say("points_to_minimum", w0=W0, b0=B0, gw=-gw, gb=-gb, angle=angle, w=optimum[0], b=optimum[1])
    least = float(loss_at(X, y, loss="mse", w=optimum[0], b=optimum[1]))
    mirrored = float(loss_at(X, y, loss="mse", w=optimum[0], b=-optimum[1]))
    errata.say("plot_sign", b=optimum[1], mb=-optimum[1], least=least, mirrored=mirrored)

    log("\n" + tr("h.course_order"))
    ordered = {name: _train(dataset, optimizer=opt, batch_size=bs, shuffle=False)[0]
               for name, (opt, bs) in OPTIMIZERS.items()}
    _cost_table(log, tr, ordered)
    optimizers = _finals(log, tr, ordered)

    log("\n" + tr("h.shuffled"))
    shuffled_runs = {name: _train(dataset, optimizer=opt, batch_size=bs, shuffle=True)[0]
                     for name, (opt, bs) in OPTIMIZERS.items()}
    _cost_table(log, tr, shuffled_runs)
    shuffled = _finals(log, tr, shuffled_runs)
    after_one = ordered["SGD"].path[dataset.n_samples]  # (w, b) after the first 60 updates
    paragraph(log, tr("order_why", ordered=optimizers["SGD"]["first_epoch_loss"],
                      shuffled=shuffled["SGD"]["first_epoch_loss"], x0=float(X[0, 0]),
                      x1=float(X[-1, 0]), w=float(after_one[0]), b=float(after_one[1])))

    log("\n" + tr("h.lr", epochs=EPOCHS))
    lr_runs = {lr: _train(dataset, optimizer="gd", lr=lr) for lr in RATES}
    rows = [[0, *[r.initial_loss for r, _ in lr_runs.values()]]]
    for e in range(EPOCHS):
        rows.append([e + 1, *[r.history[e]["train_loss"] if e < len(r.history) else "-"
                              for r, _ in lr_runs.values()]])
    for line in table([tr("epoch_col_lr"), *[f"lr {lr:g}" for lr in lr_runs]], rows):
        log(line)
    rates = {}
    for lr, (r, diverged) in lr_runs.items():
        final = r.history[-1]["train_loss"]
        status = tr("diverged_at", epoch=diverged) if diverged else tr("final_cost", cost=final)
        log(tr("rate_line", lr=lr, verdict=ljust(tr(f"rate.{RATES[lr]}"), 22), status=status))
        rates[lr] = {"final_loss": final, "diverged_at": diverged}

    stop, _ = _train(dataset, optimizer="gd", epochs=1000, tol=TOL, patience=PATIENCE,
                     record_path=False)
    log(tr("stopping", lr=LEARNING_RATE, tol=TOL, patience=PATIENCE, epochs=stop.metrics["epochs_run"],
           reason=stop.stopped_reason, cost=stop.history[-1]["train_loss"]))

    figures = Figures(out)
    figures.save("coursera-noise.png", lambda: _noise_figure(noisy, tr))
    paths = {tr(f"opt.{name}"): r.path for name, r in ordered.items()}
    figures.save("coursera-surface.png", lambda: loss_surface_2param(
        X, y, loss="mse", model_kind="linear", paths=paths, explain_start=True, lang=lang,
        title=tr("fig.surface", w0=W0, b0=B0, lr=LEARNING_RATE, epochs=EPOCHS)))
    figures.save("coursera-surface-shuffled.png", lambda: loss_surface_2param(
        X, y, loss="mse", model_kind="linear", lang=lang,
        paths={tr(f"opt.{name}"): r.path for name, r in shuffled_runs.items()},
        title=tr("fig.surface_shuffled", w0=W0, b0=B0, lr=LEARNING_RATE, epochs=EPOCHS)))
    figures.write("coursera-paths.gif", lambda path: animate_paths(
        X, y, loss="mse", model_kind="linear", paths=paths, path=path, lang=lang, dpi=60,
        title=tr("fig.animation", w0=W0, b0=B0, lr=LEARNING_RATE)))
    figures.save("coursera-lr.png", lambda: lr_sweep(
        {lr: r.history for lr, (r, _) in lr_runs.items()},
        diverged={lr: d for lr, (_, d) in lr_runs.items()}, loss_name="mse", lang=lang,
        title=tr("fig.lr", w0=W0, b0=B0)))
    figures.save("coursera-lr-surface.png", lambda: loss_surface_2param(
        X, y, loss="mse", model_kind="linear", lang=lang,
        paths={f"lr {lr:g} ({tr(f'rate.{RATES[lr]}')})": r.path for lr, (r, _) in lr_runs.items()},
        w_range=(-32.0, 20.0), b_range=(-26.0, 26.0), title=tr("fig.lr_surface")))
    result.update({
        "start": [W0, B0],
        "optimum": list(optimum),
        "optimizers": optimizers,
        "shuffled": shuffled,
        "gif_frames": max(len(r.path) for r in ordered.values()),
        "learning_rates": rates,
        "stopped_epoch": stop.metrics["epochs_run"],
        "stopped_reason": stop.stopped_reason,
        "start_angle_degrees": angle,
        "notes_errors": errata.shown,
        "figures": figures.paths,
    })
    return result


def _gradient(X, y, w, b):
    from ..viz import surface_gradient

    return surface_gradient(X, y, loss="mse", w=w, b=b)


@styled
def _noise_figure(datasets: dict, tr: Texts):
    """The points around the line, and the distribution of their offsets from it."""
    fig = new_figure(5.4)
    ax_data, ax_hist = fig.subplots(1, 2)
    grid = np.linspace(-3.2, 3.1, 2)
    ax_data.plot(grid, grid - 1, color="black", linewidth=1.5, label=tr("fig.noise_line"))
    for i, (noise, d) in enumerate(sorted(datasets.items(), reverse=True)):
        ax_data.scatter(d.X[:, 0], d.y, s=18, color=COLORS[i], alpha=0.8, zorder=3 + i,
                        label=tr("fig.noise_points", noise=noise))
        offsets = d.y - (d.X[:, 0] - 1.0)
        ax_hist.hist(offsets, bins=np.linspace(-3.5 * noise, 3.5 * noise, 15), density=True,
                     color=COLORS[i], alpha=0.45, label=tr("fig.noise_hist", noise=noise))
        z = np.linspace(-3.5 * noise, 3.5 * noise, 300)
        ax_hist.plot(z, np.exp(-0.5 * (z / noise) ** 2) / (noise * math.sqrt(2 * math.pi)),
                     color=COLORS[i], linewidth=2.2, label=tr("fig.noise_pdf", noise=noise))
    ax_data.set_xlabel("x")
    ax_data.set_ylabel("y")
    ax_data.set_title(tr("fig.noise_data_title"), fontsize=12)
    ax_data.legend(loc="upper left")
    ax_hist.set_xlabel(tr("fig.noise_x"))
    ax_hist.set_ylabel(tr("fig.noise_y"))
    ax_hist.set_title(tr("fig.noise_hist_title"), fontsize=12)
    ax_hist.legend(loc="upper right", fontsize=9.5)
    fig.suptitle(tr("fig.noise_title"))
    return fig
