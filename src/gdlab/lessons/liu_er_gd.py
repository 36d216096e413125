"""Liu Er, lecture 3: gradient descent on y = 2x written by hand (seed 003).

Data x = [1, 2, 3], y = [2, 4, 6]; model ŷ = w·x (no bias) from w = 1; learning rate
0.01; 100 epochs. Two ways to use the gradient of the squared error (ŷ − y)²:

- full-batch GD on the cost (the mean over all samples)::

      cost(w) = (1/N) Σᵢ (w·xᵢ − yᵢ)²,   ∂cost/∂w = (1/N) Σᵢ 2xᵢ(w·xᵢ − yᵢ),
      w ← w − η ∂cost/∂w                      (one update per epoch: 100 updates)

- per-sample SGD on each sample's loss::

      loss(w; x, y) = (w·x − y)²,   ∂loss/∂w = 2x(w·x − y),
      w ← w − η ∂loss/∂w                      (one update per sample: 300 updates)

Each runs in Python floats (float64: the hand-written loops below are the lesson) and in
float32 — on a tensor with autograd (the next lecture's style), in NumPy by hand, and
through gdlab's engines in course order without a bias. Every float32 per-sample SGD
prints the notes' 7.999998569488525; float32 GD gives 7.999777317047119.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

from ..i18n import Texts, display_width, ljust
from .common import NOTES_SETTINGS, Errata, Figures, Log, curves_figure, paragraph

NAME = "liu-er-gd"
X_DATA = [1.0, 2.0, 3.0]
Y_DATA = [2.0, 4.0, 6.0]
W0, LR, EPOCHS, X_NEW = 1.0, 0.01, 100, 4.0
NOTES_NUMBER = 7.999998569488525  # printed in seed 003 as "predict (after training) 4 …"
SHUFFLE_SEED = 0


# --- full-batch GD in Python floats ---------------------------------------------------
def gd_floats(log: Log | None, *, lr: float = LR, epochs: int = EPOCHS) -> dict:
    """The cost over all samples, its mean gradient, one update per epoch."""
    w = W0

    def forward(x: float) -> float:
        return x * w

    def cost(xs: list[float], ys: list[float]) -> float:
        total = 0.0
        for x, y in zip(xs, ys, strict=True):
            total += (forward(x) - y) ** 2
        return total / len(xs)

    def gradient(xs: list[float], ys: list[float]) -> float:
        total = 0.0
        for x, y in zip(xs, ys, strict=True):
            total += 2 * x * (x * w - y)  # d/dw (xw − y)²
        return total / len(xs)

    if log is not None:
        log(f"predict (before training) {X_NEW:g} {forward(X_NEW)}")
    costs, ws = [], []
    for epoch in range(epochs):
        cost_val = cost(X_DATA, Y_DATA)  # the cost before this epoch's update
        w -= lr * gradient(X_DATA, Y_DATA)
        if log is not None:
            log(f"epoch: {epoch} w= {w} loss= {cost_val}")
        costs.append(cost_val)
        ws.append(w)
    if log is not None:
        log(f"predict (after training) {X_NEW:g} {forward(X_NEW)}")
    return {"w": w, "predict": forward(X_NEW), "costs": costs, "ws": ws, "updates": epochs}


# --- per-sample SGD in Python floats --------------------------------------------------
def sgd_floats(log: Log | None, *, shuffle_seed: int | None = None) -> dict:
    """One sample's loss and gradient, one update per sample (3 per epoch).

    The samples come in their order, as in the notes; with ``shuffle_seed`` they are
    shuffled every epoch (what "stochastic" means).
    """
    w = W0
    rng = random.Random(shuffle_seed)

    def forward(x: float) -> float:
        return x * w

    def loss(x: float, y: float) -> float:
        return (forward(x) - y) ** 2

    def gradient(x: float, y: float) -> float:
        return 2 * x * (x * w - y)

    if log is not None:
        log(f"predict (before training) {X_NEW:g} {forward(X_NEW)}")
    losses, ws, updates = [], [], 0
    pairs = list(zip(X_DATA, Y_DATA, strict=True))
    for epoch in range(EPOCHS):
        if shuffle_seed is not None:
            rng.shuffle(pairs)
        for x, y in pairs:
            grad = gradient(x, y)
            w = w - LR * grad  # update after every sample
            updates += 1
            if log is not None:
                log(f"\tgrad: {x} {y} {grad}")
            last = loss(x, y)  # the last sample's loss, after its update
        if log is not None:
            log(f"progress: {epoch} w= {w} loss= {last}")
        losses.append(last)
        ws.append(w)
    if log is not None:
        log(f"predict (after training) {X_NEW:g} {forward(X_NEW)}")
    return {"w": w, "predict": forward(X_NEW), "losses": losses, "ws": ws, "updates": updates}


# --- the same two loops on a float32 tensor with autograd -----------------------------
def autograd_float32(*, per_sample: bool, log: Log | None = None) -> dict:
    """``w`` is a float32 tensor; ``loss.backward()`` computes ∂loss/∂w.

    Each forward pass records the operations it runs (x·w, − y, ²) into a graph;
    ``backward()`` walks it back to fill ``w.grad`` and frees it.
    """
    w = torch.tensor([W0], dtype=torch.float32, requires_grad=True)
    losses, ws = [], []
    for epoch in range(EPOCHS):
        if per_sample:
            for x, y in zip(X_DATA, Y_DATA, strict=True):
                loss = (x * w - y) ** 2  # builds this step's graph
                loss.backward()  # fills w.grad, frees the graph
                with torch.no_grad():
                    w -= LR * w.grad
                w.grad.zero_()
        else:
            loss = sum((x * w - y) ** 2 for x, y in zip(X_DATA, Y_DATA, strict=True)) / len(X_DATA)
            loss.backward()
            with torch.no_grad():
                w -= LR * w.grad
            w.grad.zero_()
        losses.append(loss.item())
        ws.append(w.item())
        if log is not None:
            log(f"progress: {epoch} w= {w.item()} loss= {loss.item()}")
    with torch.no_grad():
        predict = (X_NEW * w).item()
    return {"w": w.item(), "predict": predict, "losses": losses, "ws": ws}


def numpy_float32(*, per_sample: bool) -> float:
    """predict(4) after the notes' loops in NumPy float32, gradients by hand."""
    xs, ys = np.array(X_DATA, np.float32), np.array(Y_DATA, np.float32)
    w, lr, two = np.float32(W0), np.float32(LR), np.float32(2.0)
    for _ in range(EPOCHS):
        if per_sample:
            for x, y in zip(xs, ys, strict=True):
                w = w - lr * (two * x * (x * w - y))
        else:
            w = w - lr * np.mean(two * xs * (xs * w - ys))
    return float(np.float32(X_NEW) * w)


def library_predict(*, optimizer: str, dtype: str, engine: str) -> float:
    """predict(4) from ``gdlab.train``: y = w·x without a bias, from w = 1, rows in order."""
    from ..data import load
    from ..models import LinearRegression
    from ..train import train

    model = LinearRegression(1, bias=False)
    with torch.no_grad():
        model.layers[0].weight.fill_(W0)
    run = train(model, load("toy-1d"), optimizer=optimizer, lr=LR, epochs=EPOCHS, dtype=dtype,
                engine=engine, loss="mse", bias=False, shuffle=False, **NOTES_SETTINGS)
    return float(run.predict(np.array([[X_NEW]]))[0])


#: (id, updates, how): every configuration the lesson runs; ids name them in the result
CONFIGS = (
    ("GD, Python floats", EPOCHS), ("SGD, Python floats", 3 * EPOCHS),
    ("GD, float32 autograd", EPOCHS), ("SGD, float32 autograd", 3 * EPOCHS),
    ("GD, float32 NumPy", EPOCHS), ("SGD, float32 NumPy", 3 * EPOCHS),
    ("GD, float32 gdlab", EPOCHS), ("SGD, float32 gdlab", 3 * EPOCHS),
)
ENGINES = ("manual", "autograd", "nn")


def run(*, out: Path | None, log: Log = print, data: str | None = None, lang: str = "en") -> dict:
    """Run the lesson; returns the numbers it printed."""
    tr = Texts(lang, NAME)
    errata = Errata(tr, log)
    log(tr("data", x=X_DATA, y=Y_DATA, w0=W0, lr=LR, epochs=EPOCHS))
    log("\n" + tr("h.gd"))
    gd = gd_floats(log)
    log("\n" + tr("h.sgd"))
    sgd = sgd_floats(log)
    again = sgd_floats(None)["predict"]
    shuffled = sgd_floats(None, shuffle_seed=SHUFFLE_SEED)["predict"]
    errata.say("stochastic", predict=sgd["predict"], again=again, shuffled=shuffled, seed=SHUFFLE_SEED)
    log("\n" + tr("h.f32"))
    f32_sgd = autograd_float32(per_sample=True, log=log)
    log(f"predict (after training) {X_NEW:g} {f32_sgd['predict']}")
    f32_gd = autograd_float32(per_sample=False)

    log("\n" + tr("h.which"))
    lib = {(opt, dt): {e: library_predict(optimizer=opt, dtype=dt, engine=e) for e in ENGINES}
           for opt in ("gd", "sgd") for dt in ("float32", "float64")}
    for key, by_engine in lib.items():
        if len(set(by_engine.values())) != 1:
            raise AssertionError(f"gdlab's engines disagree on {key}: {by_engine}")
    results = {
        "GD, Python floats": gd["predict"],
        "SGD, Python floats": sgd["predict"],
        "GD, float32 autograd": f32_gd["predict"],
        "SGD, float32 autograd": f32_sgd["predict"],
        "GD, float32 NumPy": numpy_float32(per_sample=False),
        "SGD, float32 NumPy": numpy_float32(per_sample=True),
        "GD, float32 gdlab": lib["gd", "float32"]["manual"],
        "SGD, float32 gdlab": lib["sgd", "float32"]["manual"],
    }
    match = [name for name, value in results.items() if value == NOTES_NUMBER]
    labels = {name: tr(f"config.{name}") for name, _ in CONFIGS}
    width = max(display_width(label) for label in labels.values())
    for name, updates in CONFIGS:
        mark = tr("notes_mark") if name in match else ""
        log(tr("config_line", label=_pad(labels[name], width), updates=updates,
               value=results[name], mark=mark))
    paragraph(log, tr("engines_line", engines=", ".join(ENGINES), gd64=lib["gd", "float64"]["manual"],
                      sgd64=lib["sgd", "float64"]["manual"]), indent="  ")
    errata.say("float32", notes=NOTES_NUMBER, gd=gd["predict"], gd32=f32_gd["predict"])

    log("\n" + tr("h.faster"))
    gd_fast = gd_floats(None, lr=3 * LR)
    gd_long = gd_floats(None, epochs=3 * EPOCHS)
    err = {"sgd": abs(sgd["w"] - 2), "gd": abs(gd["w"] - 2), "gd_lr": abs(gd_fast["w"] - 2),
           "gd_long": abs(gd_long["w"] - 2)}
    log(tr("faster_gd", updates=EPOCHS, lr=LR, err=err["gd"]))
    log(tr("faster_sgd", updates=3 * EPOCHS, lr=LR, err=err["sgd"]))
    log(tr("faster_gd_long", updates=3 * EPOCHS, lr=LR, err=err["gd_long"]))
    log(tr("faster_gd_lr", updates=EPOCHS, lr=3 * LR, err=err["gd_lr"], predict=gd_fast["predict"]))
    errata.say("faster", sgd=err["sgd"], gd_lr=err["gd_lr"], gd_long=err["gd_long"], lr=3 * LR)

    figures = Figures(out)
    figures.save("liu-er-gd.png", lambda: _figure(tr, gd, sgd, f32_sgd, gd_fast, lang))
    return {
        "predict_before": W0 * X_NEW,
        "gd_w": gd["w"],
        "gd_predict": gd["predict"],
        "gd_final_cost": gd["costs"][-1],
        "gd_updates": gd["updates"],
        "sgd_w": sgd["w"],
        "sgd_predict": sgd["predict"],
        "sgd_updates": sgd["updates"],
        "sgd_again_predict": again,
        "sgd_shuffled_predict": shuffled,
        "float32_gd_predict": f32_gd["predict"],
        "float32_sgd_predict": f32_sgd["predict"],
        "predictions": results,
        "library": {f"{opt}, {dt}": by_engine for (opt, dt), by_engine in lib.items()},
        "notes_number": NOTES_NUMBER,
        "notes_config": match[0] if match else None,
        "notes_configs": match,
        "w_error": err,
        "gd_lr3_w": gd_fast["w"],
        "notes_errors": errata.shown,
        "figures": figures.paths,
    }


def _pad(label: str, width: int) -> str:
    return ljust(label, width)


def _figure(tr: Texts, gd, sgd, f32_sgd, gd_fast, lang: str):
    epochs = list(range(1, EPOCHS + 1))
    gap = lambda ws: [max(abs(w - 2.0), 1e-17) for w in ws]  # noqa: E731  (log scale: no 0)
    return curves_figure([
        {"title": tr("fig.cost_title"), "ylabel": tr("fig.cost_y"), "legend": "below", "series": {
            tr("fig.gd_cost"): (epochs, gd["costs"]),
            tr("fig.sgd_loss"): (epochs, sgd["losses"]),
            tr("fig.f32_loss"): (epochs, f32_sgd["losses"]),
        }},
        {"title": tr("fig.w_title"), "ylabel": "w", "logy": False, "legend": "below", "series": {
            tr("fig.gd_w", n=gd["updates"]): (epochs, gd["ws"]),
            tr("fig.sgd_w", n=sgd["updates"]): (epochs, sgd["ws"]),
            tr("fig.f32_w"): (epochs, f32_sgd["ws"]),
        }},
        {"title": tr("fig.gap_title"), "ylabel": "|w − 2|", "logy": True, "legend": "below", "series": {
            tr("fig.gd_w", n=gd["updates"]): (epochs, gap(gd["ws"])),
            tr("fig.sgd_w", n=sgd["updates"]): (epochs, gap(sgd["ws"])),
            tr("fig.gd_fast", lr=3 * LR, n=gd_fast["updates"]): (epochs, gap(gd_fast["ws"])),
        }},
    ], title=tr("fig.title"), lang=lang, height=6.6)
