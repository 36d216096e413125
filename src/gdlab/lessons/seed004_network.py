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
from ..i18n import Texts, t
from ..models import MLP, SoftmaxRegression
from ..train import Callback, flat_params, train
from ..viz import decision_boundary, loss_curve
from ..viz.boundary import BINARY_COLORS
from ..viz.common import COLORS, new_figure, styled
from .common import LINESTYLES, NOTES_SETTINGS, Errata, Figures, Log, table

NAME = "seed004-network"

SEED, LR, EPOCHS, EVERY = 0, 0.1, 1000, 100
NEIGHBOURS = 15  # the vote that measures how much two features tell about the class


class StepPrinter(Callback):
    """Print the loss the notes print: the full batch's loss before that epoch's update."""

    def __init__(self, log: Log):
        self.log = log

    def on_step_end(self, state, step: int, loss: float) -> None:
        if step % EVERY == 0:  # full batch: one step per epoch
            self.log(f"Epoch [{step}/{EPOCHS}], Loss: {loss:.4f}")


def network_part(data: Dataset, log: Log, tr: Texts, errata: Errata):
    """The 4 → 10 → 1 sigmoid network with BCE, a backprop check, and what backward does."""
    X = torch.as_tensor(data.X, dtype=torch.float32)
    y = torch.as_tensor(data.y, dtype=torch.float32).reshape(-1, 1)
    torch.manual_seed(SEED)
    model = MLP(4, 1, hidden=(10,), activation="sigmoid")
    _, by_hand = make_engine("manual", model, loss="bce").loss_and_grads(X, y)
    _, by_autograd = make_engine("autograd", model, loss="bce").loss_and_grads(X, y)
    backprop_diff = max(float((a - b).abs().max()) for a, b in zip(by_hand, by_autograd, strict=True))
    log(tr("model"))
    log(tr("backprop_check", diff=backprop_diff))
    moved = backward_is_not_a_step(model, X, y)
    errata.say("backprop", backward=moved["backward"], step=moved["step"], lr=LR)
    run = train(model, data, optimizer="gd", lr=LR, epochs=EPOCHS, loss="bce", engine="nn",
                seed=SEED, callbacks=[StepPrinter(log)], **NOTES_SETTINGS)
    acc = run.history[-1]["accuracy"]
    log(f"Accuracy: {100 * acc:.2f}%")
    errata.say("sgd", rows=data.n_samples, updates=len(run.steps), epochs=EPOCHS)
    return run, backprop_diff, moved


def backward_is_not_a_step(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> dict:
    """How far the parameters move in ``loss.backward()`` (not at all) and in
    ``optimizer.step()`` (lr x gradient), on a copy of ``model``."""
    import copy

    net = copy.deepcopy(model)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    before = torch.cat([p.detach().reshape(-1).clone() for p in net.parameters()])
    loss = F.binary_cross_entropy_with_logits(net(X), y)
    optimizer.zero_grad()
    loss.backward()  # backpropagation: fills every p.grad by the chain rule
    after_backward = torch.cat([p.detach().reshape(-1).clone() for p in net.parameters()])
    optimizer.step()  # the optimizer: moves each p by −lr·p.grad
    after_step = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    return {"backward": float((after_backward - before).abs().max()),
            "step": float((after_step - before).abs().max())}


def signal_of_pairs(X: np.ndarray, y: np.ndarray, k: int = NEIGHBOURS) -> dict:
    """For each pair of features: the share of rows whose k nearest neighbours (in those
    two features only, leaving the row out) vote for its class. 0.5 is a coin toss."""
    out = {}
    n = X.shape[1]
    for i in range(n):
        for j in range(i + 1, n):
            P = X[:, [i, j]]
            D = ((P[:, None, :] - P[None, :, :]) ** 2).sum(axis=-1)  # (m, m) squared distances
            np.fill_diagonal(D, np.inf)
            near = np.argpartition(D, k, axis=1)[:, :k]
            vote = y[near].mean(axis=1) > 0.5
            out[(i, j)] = float((vote == y).mean())
    return out


def nonlinearity(run, X: np.ndarray) -> dict:
    """The network's logit at the midpoint of two rows against the mean of their logits:
    equal for any linear (affine) model, different for this one."""
    a, b = X[0:1], X[1:2]
    logit = lambda rows: float(run.model(torch.as_tensor(rows, dtype=torch.float32)).item())  # noqa: E731
    with torch.no_grad():
        return {"midpoint": logit((a + b) / 2), "mean": (logit(a) + logit(b)) / 2}


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


def run(*, out: Path | None, log: Log = print, data: str | None = None, lang: str = "en") -> dict:
    """Run the lesson; returns the numbers it printed."""
    tr = Texts(lang, NAME)
    errata = Errata(tr, log)
    dataset = load("classification")
    log(tr("data", n=dataset.n_samples, d=dataset.n_features, classes=dataset.classes))
    pairs = signal_of_pairs(dataset.X, dataset.y)
    best = max(pairs, key=pairs.get)
    names = dataset.feature_names

    log("\n" + tr("h.network", lr=LR, epochs=EPOCHS))
    net, backprop_diff, moved = network_part(dataset, log, tr, errata)
    errata.say("plt", lines=EPOCHS // EVERY + 1, softmax_lines=EPOCHS // EVERY)
    bend = nonlinearity(net, dataset.X)
    errata.say("linear", midpoint=bend["midpoint"], mean=bend["mean"])

    X = torch.as_tensor(dataset.X, dtype=torch.float32)
    y = torch.as_tensor(dataset.y, dtype=torch.int64)
    log("\n" + tr("h.right"))
    right = softmax_loop(X, y, outputs=2, softmax_first=False, log=log)
    log("\n" + tr("h.notes"))
    notes = softmax_loop(X, y, outputs=3, softmax_first=True, log=log)
    variants = {
        "right: 2 outputs, logits": right,
        "3 outputs, logits": softmax_loop(X, y, outputs=3, softmax_first=False),
        "2 outputs, softmax first": softmax_loop(X, y, outputs=2, softmax_first=True),
        "notes: 3 outputs, softmax first": notes,
    }

    log("\n" + tr("h.difference", epochs=EPOCHS))
    rows = [[tr(f"variant.{name}"), v["printed_loss"], v["true_loss"], f"{100 * v['accuracy']:.2f}%"]
            for name, v in variants.items()]
    for line in table([tr("col.variant"), tr("col.printed"), tr("col.true"), tr("col.accuracy")], rows):
        log(line)
    floor = math.log(1 + 2 / math.e)
    log(tr("floor", printed=notes["printed_loss"], floor=floor))  # one line: "log(1 + 2/e) = …" whole
    log(tr("real", notes=notes["true_loss"], right=right["true_loss"],
           notes_acc=100 * notes["accuracy"], right_acc=100 * right["accuracy"]))

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
    log(tr("library", diff=lib_diff))
    errata.say("scatter", k=NEIGHBOURS, notes=pairs[0, 1], best=pairs[best], a=names[best[0]],
               b=names[best[1]], share=100 * float(np.mean(dataset.y)))

    predictions = {
        "network": net.predict_proba(dataset.X).argmax(axis=1),
        "right": right["model"](X).argmax(1).numpy(),
        "notes": notes["model"](X).argmax(1).numpy(),
    }
    figures = Figures(out)
    figures.save("seed004-network-loss.png", lambda: loss_curve(
        net.history, loss_name="bce", lang=lang, title=tr("fig.network_loss")))
    figures.save("seed004-scatter.png", lambda: _scatter_figure(
        dataset, predictions, pairs, best, tr))
    figures.save("seed004-network-boundary.png", lambda: decision_boundary(
        net.predict_proba, dataset.X, dataset.y, feature_names=dataset.feature_names,
        classes=dataset.classes, lang=lang, title=tr("fig.network_boundary")))
    figures.save("seed004-softmax.png", lambda: _softmax_figure(variants, tr, lang))
    figures.save("seed004-softmax-boundary.png", lambda: decision_boundary(
        lib.predict_proba, dataset.X, dataset.y, feature_names=dataset.feature_names,
        classes=dataset.classes, lang=lang, title=tr("fig.softmax_boundary")))
    return {
        "backprop_difference": backprop_diff,
        "network_losses": [s["loss"] for s in net.steps[EVERY - 1 :: EVERY]],
        "network_accuracy": net.history[-1]["accuracy"],
        "softmax": {name: {k: v[k] for k in ("printed_loss", "true_loss", "accuracy")}
                    for name, v in variants.items()},
        "softmax_floor_3_outputs": floor,
        "library_difference": lib_diff,
        "pair_signal": {f"{names[i]},{names[j]}": v for (i, j), v in pairs.items()},
        "informative_pair": [names[best[0]], names[best[1]]],
        "backward_moves": moved["backward"],
        "step_moves": moved["step"],
        "nonlinearity": bend,
        "notes_errors": errata.shown,
        "figures": figures.paths,
    }


@styled
def _scatter_figure(dataset: Dataset, predictions: dict, pairs: dict, best: tuple, tr: Texts):
    """Top: the notes' view (features 0 and 1) coloured by each model's prediction;
    bottom: the two features that carry the signal, coloured the same way."""
    fig = new_figure(10.5, 13.0)
    names = dataset.feature_names
    for row, (sub, (i, j)) in enumerate(zip(fig.subfigures(2, 1), ((0, 1), best), strict=True)):
        axes = sub.subplots(1, 3)
        for col, (key, pred) in enumerate(predictions.items()):
            ax = axes[col]
            acc = float((pred == dataset.y).mean())
            for c in (0, 1):
                sel = pred == c
                ax.scatter(dataset.X[sel, i], dataset.X[sel, j], s=9, alpha=0.7,
                           color=BINARY_COLORS[c], label=tr("fig.predicted", c=c))
            ax.set_xlabel(names[i])
            ax.set_ylabel(names[j])
            ax.set_title(tr(f"fig.model.{key}", acc=acc), fontsize=11.5)
            if col == 0:
                ax.legend(loc="upper left", fontsize=9.5)
        sub.suptitle(tr("fig.row_notes" if row == 0 else "fig.row_signal", a=names[i], b=names[j],
                        k=NEIGHBOURS, acc=pairs[i, j]), fontsize=12.5, fontweight="bold")
    fig.suptitle(tr("fig.scatter_title"))
    return fig


@styled
def _softmax_figure(variants: dict, tr: Texts, lang: str):
    """The loss each variant prints (with the floors of softmax-first) and its accuracy."""
    epochs = list(range(1, EPOCHS + 1))
    fig = new_figure(6.4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    handles = []
    for i, (name, v) in enumerate(variants.items()):
        style = {"color": COLORS[i], "linestyle": LINESTYLES[i], "linewidth": 1.8}
        (line,) = ax_loss.plot(epochs, v["losses"], label=tr(f"variant.{name}"), **style)
        ax_acc.plot(epochs, v["accuracies"], **style)
        handles.append(line)
    for k, color in ((2, "#555555"), (3, "#999999")):
        floor = math.log(1 + (k - 1) / math.e)
        handles.append(ax_loss.axhline(floor, color=color, linestyle=(0, (1, 2)), linewidth=1.6,
                                       label=tr("fig.floor", k=k, floor=floor)))
    ax_loss.set_title(tr("fig.printed_title"), fontsize=12)
    ax_loss.set_xlabel(t("viz.epoch_short", lang))
    ax_loss.set_ylabel(tr("fig.printed_y"))
    ax_acc.set_title(tr("fig.accuracy_title"), fontsize=12)
    ax_acc.set_xlabel(t("viz.epoch_short", lang))
    ax_acc.set_ylabel(tr("fig.accuracy_y"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    fig.suptitle(tr("fig.softmax_title"))
    return fig
