"""Liu Er, lecture 3: gradient descent on y = 2x written by hand (seed 003).

Data x = [1, 2, 3], y = [2, 4, 6]; model ŷ = w·x (no bias) from w = 1; learning rate
0.01; 100 epochs. Two ways to use the gradient of the squared error (ŷ − y)²:

- full-batch GD on the cost (the mean over all samples)::

      cost(w) = (1/N) Σᵢ (w·xᵢ − yᵢ)²,   ∂cost/∂w = (1/N) Σᵢ 2xᵢ(w·xᵢ − yᵢ),
      w ← w − η ∂cost/∂w                      (one update per epoch: 100 updates)

- per-sample SGD on each sample's loss::

      loss(w; x, y) = (w·x − y)²,   ∂loss/∂w = 2x(w·x − y),
      w ← w − η ∂loss/∂w                      (one update per sample: 300 updates)

Each is run twice: in Python floats (float64, the hand-written loops below are the
lesson) and on a float32 tensor ``w`` whose gradient comes from autograd (the next
lecture's style). Only float32 per-sample SGD prints the notes' 7.999998569488525.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .common import Figures, Log, curves_figure

NAME = "liu-er-gd"
TITLE = "Liu Er lecture 3: gradient descent and SGD on y = 2x, by hand"
SUMMARY = "GD and per-sample SGD on y=2x in Python floats and float32 autograd; whose number the notes print"
PLAYGROUND = {
    "data": "toy-1d", "model": "linear", "optimizer": "gd", "lr": 0.01, "epochs": 100,
    "loss": "mse", "start": [1.0, 0.0], "standardize": False,
}
EXPLANATION = (
    "The gradient ∂cost/∂w = mean of 2x(xw − y) is negative while w < 2 (the cost falls "
    "as w grows), so stepping against it, w ← w − 0.01·grad, moves w up towards 2: "
    "that is gradient descent; stepping with the gradient would climb the cost (ascent). "
    "The cost is the loss averaged over all samples; full-batch GD makes one update per "
    "epoch (100 updates), per-sample SGD one per sample (300 updates over the same 100 "
    "epochs), so after 100 epochs SGD is much closer to 2. The notes print "
    "7.999998569488525 under their GD code, but GD in Python floats gives "
    "7.999777758621207: the notes' number is what per-sample SGD gives on a float32 "
    "tensor with autograd (the next lecture), rounded to float32. With autograd PyTorch "
    "builds the graph of (x·w − y)² as the code runs (a dynamic graph), backward() "
    "fills w.grad and frees the graph, and the next forward builds a new one."
)

X_DATA = [1.0, 2.0, 3.0]
Y_DATA = [2.0, 4.0, 6.0]
W0, LR, EPOCHS, X_NEW = 1.0, 0.01, 100, 4.0
NOTES_NUMBER = 7.999998569488525  # printed in seed 003 as "predict (after training) 4 …"


# --- full-batch GD in Python floats ---------------------------------------------------
def gd_floats(log: Log) -> dict:
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

    log(f"predict (before training) {X_NEW:g} {forward(X_NEW)}")
    costs, ws = [], []
    for epoch in range(EPOCHS):
        cost_val = cost(X_DATA, Y_DATA)  # the cost before this epoch's update
        w -= LR * gradient(X_DATA, Y_DATA)
        log(f"epoch: {epoch} w= {w} loss= {cost_val}")
        costs.append(cost_val)
        ws.append(w)
    log(f"predict (after training) {X_NEW:g} {forward(X_NEW)}")
    return {"w": w, "predict": forward(X_NEW), "costs": costs, "ws": ws, "updates": EPOCHS}


# --- per-sample SGD in Python floats --------------------------------------------------
def sgd_floats(log: Log) -> dict:
    """One sample's loss and gradient, one update per sample (3 per epoch)."""
    w = W0

    def forward(x: float) -> float:
        return x * w

    def loss(x: float, y: float) -> float:
        return (forward(x) - y) ** 2

    def gradient(x: float, y: float) -> float:
        return 2 * x * (x * w - y)

    log(f"predict (before training) {X_NEW:g} {forward(X_NEW)}")
    losses, ws, updates = [], [], 0
    for epoch in range(EPOCHS):
        for x, y in zip(X_DATA, Y_DATA, strict=True):
            grad = gradient(x, y)
            w = w - LR * grad  # update after every sample
            updates += 1
            log(f"\tgrad: {x} {y} {grad}")
            last = loss(x, y)  # the last sample's loss, after its update
        log(f"progress: {epoch} w= {w} loss= {last}")
        losses.append(last)
        ws.append(w)
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


def run(*, out: Path | None, log: Log = print, data: str | None = None) -> dict:
    """Run the lesson; returns the numbers it printed."""
    log(f"data x = {X_DATA}, y = {Y_DATA}; model y = w·x, w = {W0}; lr {LR}; {EPOCHS} epochs")
    log("\n== 1. full-batch gradient descent, Python floats (the notes' first program) ==")
    gd = gd_floats(log)
    log("\n== 2. per-sample SGD, Python floats (the notes' second program) ==")
    sgd = sgd_floats(log)
    log("\n== 3. per-sample SGD on a float32 tensor, gradient by autograd ==")
    f32_sgd = autograd_float32(per_sample=True, log=log)
    log(f"predict (after training) {X_NEW:g} {f32_sgd['predict']}")
    f32_gd = autograd_float32(per_sample=False)

    log("\n== which configuration prints the notes' number? ==")
    results = {
        "GD, Python floats": gd["predict"],
        "SGD, Python floats": sgd["predict"],
        "GD, float32 autograd": f32_gd["predict"],
        "SGD, float32 autograd": f32_sgd["predict"],
    }
    match = [name for name, value in results.items() if value == NOTES_NUMBER]
    for name, value in results.items():
        updates = EPOCHS if name.startswith("GD") else EPOCHS * len(X_DATA)
        mark = "  <- the notes' number" if name in match else ""
        log(f"  {name:<24} {updates:>3} updates  predict(4) = {value!r}{mark}")
    log(f"The notes print {NOTES_NUMBER!r} under their GD code; only "
        f"{' and '.join(match) or 'none of these'} produces it. Their GD code itself gives "
        f"{gd['predict']!r}.")

    figures = Figures(out)
    epochs = list(range(1, EPOCHS + 1))
    figures.save("liu-er-gd.png", lambda: curves_figure([
        {"title": "Cost / loss per epoch", "ylabel": "squared error", "series": {
            "GD: cost (mean over 3 samples) before the update": (epochs, gd["costs"]),
            "SGD: last sample's loss after its update": (epochs, sgd["losses"]),
            "SGD, float32 autograd: last sample's loss before its update": (epochs, f32_sgd["losses"]),
        }},
        {"title": "w per epoch (the answer is w = 2)", "ylabel": "w", "logy": False, "series": {
            f"GD, {gd['updates']} updates": (epochs, gd["ws"]),
            f"SGD, {sgd['updates']} updates": (epochs, sgd["ws"]),
            "SGD, float32 autograd": (epochs, f32_sgd["ws"]),
        }},
    ], title="Liu Er lecture 3: y = w·x on x = [1, 2, 3], y = 2x, lr 0.01"))
    return {
        "predict_before": W0 * X_NEW,
        "gd_w": gd["w"],
        "gd_predict": gd["predict"],
        "gd_final_cost": gd["costs"][-1],
        "gd_updates": gd["updates"],
        "sgd_w": sgd["w"],
        "sgd_predict": sgd["predict"],
        "sgd_updates": sgd["updates"],
        "float32_gd_predict": f32_gd["predict"],
        "float32_sgd_predict": f32_sgd["predict"],
        "notes_number": NOTES_NUMBER,
        "notes_config": match[0] if match else None,
        "figures": figures.paths,
    }
