"""A small network and softmax regression in PyTorch (seed 004).

Data: ``make_classification(n_samples=1000, n_features=4, n_informative=2,
n_redundant=0, random_state=42)``, two classes.

- Network 4 → 10 → 1 with a sigmoid after each layer, BCELoss, SGD lr 0.1, 1000
  full-batch epochs. Backpropagation is the chain rule from the loss back through the
  layers (see :class:`gdlab.models.MLP`)::

      h = σ(x W₁ᵀ + b₁),  z = h W₂ᵀ + b₂,  ŷ = σ(z),  L = BCE(ŷ, y)
      δ₂ = ∂L/∂z = (ŷ − y)/n;  ∂L/∂W₂ = δ₂ᵀ h;  δ₁ = (δ₂ W₂) ⊙ h(1 − h);  ∂L/∂W₁ = δ₁ᵀ x

- Softmax regression: a linear layer to k logits and ``CrossEntropyLoss``, which
  applies log-softmax itself: L = −log softmax(z)_y. The notes apply softmax first and
  declare k = 3 outputs for 2 classes, so their loss is −log softmax(softmax(z))_y: its
  inputs lie in [0, 1], so it can never fall below log(1 + (k − 1)/e) (0.551 for k = 3),
  and its gradients are squashed by the extra softmax.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data import Dataset, load
from ..engines import make_engine
from ..models import MLP, SoftmaxRegression
from ..train import Callback, flat_params, train
from ..viz import decision_boundary, loss_curve
from .common import NOTES_SETTINGS, Figures, Log, curves_figure, table

NAME = "seed004-network"
TITLE = "A 4-10-1 sigmoid network and softmax regression in PyTorch (seed 004)"
SUMMARY = "4→10→1 sigmoid network with BCE; softmax regression done right beside the notes' double softmax"
PLAYGROUND = {
    "data": "classification", "model": "mlp", "hidden": [10], "activation": "sigmoid",
    "optimizer": "gd", "lr": 0.1, "epochs": 1000, "loss": "bce", "standardize": False,
}
EXPLANATION = (
    "Training is forward then backward: the forward pass computes the prediction and the "
    "loss, backward applies the chain rule from the loss back through each layer (the "
    "hand-written backward of gdlab's manual engine matches autograd), and the optimizer "
    "steps against the gradient. Each full-batch epoch here is one iteration. For softmax "
    "regression, CrossEntropyLoss already applies log-softmax to the raw outputs (logits); "
    "applying softmax first feeds it numbers between 0 and 1, so the loss it prints cannot "
    "drop below a floor (0.551 with 3 outputs) and is not the model's real cross-entropy, "
    "and the extra softmax shrinks the gradients, so training is slower. The third output "
    "for 2-class data is a class that never occurs: it only learns to be unlikely. The "
    "predicted class barely changes, so accuracy looks alike, but the loss (and the "
    "probabilities) are wrong: give the loss the logits, with one output per class."
)

SEED, LR, EPOCHS, EVERY = 0, 0.1, 1000, 100


class StepPrinter(Callback):
    """Print the loss the notes print: the full batch's loss before that epoch's update."""

    def __init__(self, log: Log):
        self.log = log

    def on_step_end(self, state, step: int, loss: float) -> None:
        if step % EVERY == 0:  # full batch: one step per epoch
            self.log(f"Epoch [{step}/{EPOCHS}], Loss: {loss:.4f}")


def network_part(data: Dataset, log: Log):
    """The 4 → 10 → 1 sigmoid network with BCE, and a backprop check."""
    X = torch.as_tensor(data.X, dtype=torch.float32)
    y = torch.as_tensor(data.y, dtype=torch.float32).reshape(-1, 1)
    torch.manual_seed(SEED)
    model = MLP(4, 1, hidden=(10,), activation="sigmoid")
    _, by_hand = make_engine("manual", model, loss="bce").loss_and_grads(X, y)
    _, by_autograd = make_engine("autograd", model, loss="bce").loss_and_grads(X, y)
    backprop_diff = max(float((a - b).abs().max()) for a, b in zip(by_hand, by_autograd, strict=True))
    log("model: Linear(4, 10) -> sigmoid -> Linear(10, 1) -> sigmoid, BCELoss "
        "(gdlab computes sigmoid + BCE together from the logit, which is stabler)")
    log(f"backpropagation written by hand vs autograd, at the start: largest gradient "
        f"difference {backprop_diff:.2g}")
    run = train(model, data, optimizer="gd", lr=LR, epochs=EPOCHS, loss="bce", engine="nn",
                seed=SEED, callbacks=[StepPrinter(log)], **NOTES_SETTINGS)
    acc = run.history[-1]["accuracy"]
    log(f"Accuracy: {100 * acc:.2f}%")
    return run, backprop_diff


def softmax_loop(X, y, *, outputs: int, softmax_first: bool, log: Log | None = None) -> dict:
    """Softmax regression the notes' way (plain PyTorch), with or without their mistakes."""
    torch.manual_seed(SEED)
    fc = nn.Linear(4, outputs)
    start = {k: v.clone() for k, v in fc.state_dict().items()}
    criterion = nn.CrossEntropyLoss()  # log-softmax + negative log-likelihood, mean
    optimizer = torch.optim.SGD(fc.parameters(), lr=LR)
    losses, accs = [], []
    for epoch in range(EPOCHS):
        outputs_ = fc(X)
        if softmax_first:
            outputs_ = F.softmax(outputs_, dim=1)  # the notes' extra softmax
        loss = criterion(outputs_, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        acc = float((outputs_.detach().argmax(1) == y).float().mean())
        losses.append(loss.item())
        accs.append(acc)
        if log is not None and (epoch + 1) % EVERY == 0:
            log(f"Epoch [{epoch + 1}/{EPOCHS}], Loss: {loss.item():.4f}, Accuracy: {100 * acc:.2f}%")
    with torch.no_grad():
        z = fc(X)
        printed = criterion(F.softmax(z, dim=1) if softmax_first else z, y).item()
        true = F.cross_entropy(z, y).item()  # −log of the model's own probability softmax(z)_y
        acc = float((z.argmax(1) == y).float().mean())
    return {"losses": losses, "accuracies": accs, "printed_loss": printed, "true_loss": true,
            "accuracy": acc, "start": start, "model": fc}


def run(*, out: Path | None, log: Log = print, data: str | None = None) -> dict:
    """Run the lesson; returns the numbers it printed."""
    dataset = load("classification")
    log(f"data: make_classification, {dataset.n_samples} rows, {dataset.n_features} features "
        f"(2 informative), classes {dataset.classes}, random_state 42")

    log(f"\n== 1. network 4 -> 10 -> 1, sigmoid, BCELoss, SGD lr {LR}, {EPOCHS} full-batch epochs ==")
    net, backprop_diff = network_part(dataset, log)

    X = torch.as_tensor(dataset.X, dtype=torch.float32)
    y = torch.as_tensor(dataset.y, dtype=torch.int64)
    log("\n== 2a. softmax regression done right: Linear(4, 2), CrossEntropyLoss on the logits ==")
    right = softmax_loop(X, y, outputs=2, softmax_first=False, log=log)
    log("\n== 2b. the notes' variant: Linear(4, 3), softmax, then CrossEntropyLoss ==")
    notes = softmax_loop(X, y, outputs=3, softmax_first=True, log=log)
    variants = {
        "right: 2 outputs, logits": right,
        "3 outputs, logits": softmax_loop(X, y, outputs=3, softmax_first=False),
        "2 outputs, softmax first": softmax_loop(X, y, outputs=2, softmax_first=True),
        "notes: 3 outputs, softmax first": notes,
    }

    log("\n== 2c. the difference, after 1000 epochs ==")
    rows = [[name, v["printed_loss"], v["true_loss"], f"{100 * v['accuracy']:.2f}%"]
            for name, v in variants.items()]
    for line in table(["variant", "printed loss", "true cross-entropy", "accuracy"], rows):
        log(line)
    floor = math.log(1 + 2 / math.e)
    log(f"the printed loss of the notes' variant is {notes['printed_loss']:.4f}; with 3 outputs "
        f"softmax-then-CrossEntropyLoss cannot go below log(1 + 2/e) = {floor:.4f}")
    log(f"its real cross-entropy is {notes['true_loss']:.4f} against {right['true_loss']:.4f} done "
        f"right; accuracy {100 * notes['accuracy']:.2f}% against {100 * right['accuracy']:.2f}%")

    # the right variant through gdlab: same start, same full batches
    two_class = Dataset(X=dataset.X, y=dataset.y, feature_names=dataset.feature_names,
                        task="multiclass", classes=dataset.classes, name=dataset.name)
    model = SoftmaxRegression(4, 2)
    model.load_state_dict({"layers.0.weight": right["start"]["weight"],
                           "layers.0.bias": right["start"]["bias"]})
    lib = train(model, two_class, optimizer="gd", lr=LR, epochs=EPOCHS, loss="cross-entropy",
                engine="nn", seed=SEED, **NOTES_SETTINGS)
    plain = torch.cat([p.detach().reshape(-1) for p in right["model"].parameters()]).double().numpy()
    lib_diff = float(np.abs(flat_params(lib.model) - plain).max())
    log(f"gdlab.train(SoftmaxRegression(4, 2), loss='cross-entropy') matches the plain loop done "
        f"right (largest parameter difference {lib_diff:.2g})")

    figures = Figures(out)
    figures.save("seed004-network-loss.png", lambda: loss_curve(
        net.history, loss_name="bce", title="4-10-1 sigmoid network: BCE loss and accuracy, lr 0.1"))
    figures.save("seed004-network-boundary.png", lambda: decision_boundary(
        net.predict_proba, dataset.X, dataset.y, feature_names=dataset.feature_names,
        classes=dataset.classes, title="4-10-1 sigmoid network: predicted probability"))
    figures.save("seed004-softmax.png", lambda: _softmax_figure(variants))
    figures.save("seed004-softmax-boundary.png", lambda: decision_boundary(
        lib.predict_proba, dataset.X, dataset.y, feature_names=dataset.feature_names,
        classes=dataset.classes, title="Softmax regression done right: predicted probability"))
    return {
        "backprop_difference": backprop_diff,
        "network_losses": [s["loss"] for s in net.steps[EVERY - 1 :: EVERY]],
        "network_accuracy": net.history[-1]["accuracy"],
        "softmax": {name: {k: v[k] for k in ("printed_loss", "true_loss", "accuracy")}
                    for name, v in variants.items()},
        "softmax_floor_3_outputs": floor,
        "library_difference": lib_diff,
        "figures": figures.paths,
    }


def _softmax_figure(variants: dict):
    """The loss each variant prints (with the floors of softmax-first) and its accuracy."""
    epochs = list(range(1, EPOCHS + 1))
    fig = curves_figure([
        {"title": "The loss each variant prints", "ylabel": "CrossEntropyLoss value", "logy": False,
         "series": {k: (epochs, v["losses"]) for k, v in variants.items()}},
        {"title": "Accuracy", "ylabel": "accuracy", "logy": False,
         "series": {k: (epochs, v["accuracies"]) for k, v in variants.items()}},
    ], title="Softmax regression: logits into CrossEntropyLoss versus softmax first")
    ax = fig.axes[0]
    for k in (2, 3):
        floor = math.log(1 + (k - 1) / math.e)
        ax.axhline(floor, color="gray", linestyle=":", linewidth=1.2)
        ax.annotate(f"floor of softmax first, {k} outputs: {floor:.3f}", (EPOCHS, floor),
                    xytext=(0, 3), textcoords="offset points", ha="right", fontsize=9.5,
                    color="dimgray")
    return fig
