"""Andrew Ng, week 2: logistic regression as a neural network (seed 001).

Images unrolled into columns: X of shape (n_x, m), labels Y of shape (1, m). The forward
and backward pass over all m examples at once (no loop over examples)::

    Z = wᵀX + b                      (1, n_x) @ (n_x, m) -> (1, m)
    A = σ(Z) = 1 / (1 + e^{−Z})      ŷ for every example
    J = −(1/m) Σ [Y log A + (1 − Y) log(1 − A)]      the cost: mean cross-entropy
    dZ = A − Y                       ∂(m·J)/∂Z, through the computational graph
    dw = X dZᵀ / m                   (n_x, m) @ (m, 1) -> (n_x, 1)
    db = mean(dZ)
    w ← w − α dw,  b ← b − α db      2000 iterations, α = 0.005, from w = 0, b = 0

With the squared error ½(A − Y)² instead, dZ = (A − Y)·A·(1 − A): the extra σ' factor
vanishes when the prediction is confidently wrong, so learning stalls exactly where it
is most needed — the reason logistic regression uses cross-entropy.

Data: the course's ``train_catvnoncat.h5`` / ``test_catvnoncat.h5`` when given with
``--data``; otherwise the stand-in: scikit-learn's 8×8 digits, 3s (class 1) against
8s (class 0), pixels scaled to [0, 1] as the course divides by 255.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..data import Dataset, load, split_dataset
from ..errors import GdlabError
from ..i18n import Texts, ljust
from ..models import LogisticRegression
from ..train import flat_params, train
from ..viz import decision_boundary, graph_figure, sigmoid_plot
from ..viz.common import new_figure, styled
from .common import NOTES_SETTINGS, Errata, Figures, Log, curves_figure, paragraph, table

NAME = "ng-logistic"

LR, ITERATIONS, EVERY = 0.005, 2000, 100
POSITIVE, NEGATIVE = 3, 8  # the stand-in: "a 3" plays "cat", "an 8" plays "non-cat"


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^{−z}), without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def propagate(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray, *, loss: str = "cross-entropy"):
    """Forward and backward pass over all m examples; returns (cost, dw, db).

    ``w`` (n_x, 1), ``X`` (n_x, m), ``Y`` (1, m). ``loss`` is "cross-entropy",
    "squared" (½(A − Y)²) or "notes-sign": the notes' cross-entropy with the wrong sign on
    its second term, −Y log A + (1 − Y) log(1 − A), to show what minimizing it does.
    """
    m = X.shape[1]
    # forward: the computational graph X, w, b -> Z -> A -> J
    Z = w.T @ X + b  # (1, n_x) @ (n_x, m) -> (1, m)
    A = sigmoid(Z)
    if loss == "cross-entropy":
        # −[Y log A + (1 − Y) log(1 − A)], written from Z so that log(0) never occurs
        cost = float(np.mean(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))))
        dZ = A - Y  # ∂loss/∂A · ∂A/∂Z = (A − Y)/(A(1 − A)) · A(1 − A)
    elif loss == "squared":
        cost = float(np.mean(0.5 * (A - Y) ** 2))
        dZ = (A - Y) * A * (1 - A)  # ∂loss/∂A · σ'(Z): σ' → 0 when |Z| is large
    elif loss == "notes-sign":
        log_a, log_1ma = -np.logaddexp(0, -Z), -np.logaddexp(0, Z)  # log σ(Z), log(1 − σ(Z))
        cost = float(np.mean(-Y * log_a + (1 - Y) * log_1ma))
        dZ = -Y * (1 - A) - (1 - Y) * A  # for Y = 0 it pushes Z up: towards the wrong class
    else:
        raise ValueError(f"loss must be cross-entropy, squared or notes-sign, got {loss!r}")
    # backward: from dZ to the parameters
    dw = X @ dZ.T / m  # (n_x, m) @ (m, 1) -> (n_x, 1)
    db = float(np.mean(dZ))
    return cost, dw, db


def optimize(X, Y, *, loss: str = "cross-entropy", start=None, log: Log | None = None) -> dict:
    """Gradient descent from ``start`` = (w, b) (default w = 0, b = 0).

    Keeps the cost of every iteration and the training accuracy every 10th.
    """
    w, b = (np.zeros((X.shape[0], 1)), 0.0) if start is None else (start[0].copy(), start[1])
    costs, accuracies = [], []
    for i in range(ITERATIONS):
        if i % 10 == 0:
            accuracies.append((i, accuracy(w, b, X, Y)))
        cost, dw, db = propagate(w, b, X, Y, loss=loss)
        w, b = w - LR * dw, b - LR * db
        costs.append(cost)
        if log is not None and i % EVERY == 0:
            log(f"Cost after iteration {i}: {cost:f}")
    accuracies.append((ITERATIONS, accuracy(w, b, X, Y)))
    return {"w": w, "b": b, "costs": costs, "accuracies": accuracies}


def accuracy(w, b, X, Y) -> float:
    """Percentage of examples where (σ(wᵀX + b) > 0.5) equals the label (the course's formula)."""
    predictions = (sigmoid(w.T @ X + b) > 0.5).astype(np.float64)
    return float(100 - np.mean(np.abs(predictions - Y)) * 100)


def stand_in(tr: Texts | None = None) -> Dataset:
    """The digits 3 and 8, pixels / 16, with a stratified 20% test split (seed 0)."""
    tr = tr or Texts("en", NAME)
    digits = load("digits")
    keep = np.isin(digits.y, (POSITIVE, NEGATIVE))
    data = Dataset(
        X=digits.X[keep] / 16.0, y=(digits.y[keep] == POSITIVE).astype(np.int64),
        feature_names=list(digits.feature_names), target_name=tr("digit"), task="binary",
        classes=[str(NEGATIVE), str(POSITIVE)], name=tr("standin", pos=POSITIVE, neg=NEGATIVE),
    )
    s = split_dataset(data, test_fraction=0.2, val_fraction=0.0, seed=0)
    data.X, data.y, data.X_test, data.y_test = s.X_train, s.y_train, s.X_test, s.y_test
    return data


def user_data(source: str, log: Log, tr: Texts | None = None) -> Dataset:
    """A binary data set from ``--data`` (catvnoncat .h5 or any file/built-in name)."""
    tr = tr or Texts("en", NAME)
    data = load(source)
    if data.task != "binary":
        what = tr("n_classes", n=data.n_classes) if data.classes else tr("numeric")
        raise GdlabError(tr("not_binary", source=source, what=what))
    if data.X_test is None:
        s = split_dataset(data, test_fraction=0.2, val_fraction=0.0, seed=0)
        data.X, data.y, data.X_test, data.y_test = s.X_train, s.y_train, s.X_test, s.y_test
        log(tr("no_test_split", source=source))
    for note in filter(None, [data.meta.get("note")]):
        log(note)
    return data


def notes_loss(a: float, y: float) -> float:
    """One example's loss as the notes write it: −y log a + (1 − y) log(1 − a)."""
    return -y * math.log(a) + (1 - y) * math.log(1 - a)


def true_loss(a: float, y: float) -> float:
    """One example's cross-entropy: −[y log a + (1 − y) log(1 − a)]."""
    return -(y * math.log(a) + (1 - y) * math.log(1 - a))


#: The computational graph's example (two features, as the lecture draws it)
GRAPH_X, GRAPH_Y, GRAPH_W, GRAPH_B = (1.0, 2.0), 1.0, (0.5, -0.2), 0.1


def graph_numbers() -> dict:
    """Forward values and backward gradients of logistic regression on one example.

    The parameter gradients come from gdlab's ``manual`` engine (backward written by
    hand); the inner nodes' from autograd (``retain_grad``), and the two must agree.
    """
    from ..engines import make_engine

    model = LogisticRegression(2).double()
    with torch.no_grad():
        model.layers[0].weight.copy_(torch.tensor([GRAPH_W], dtype=torch.float64))
        model.layers[0].bias.fill_(GRAPH_B)
    X = torch.tensor([GRAPH_X], dtype=torch.float64)
    y = torch.tensor([[GRAPH_Y]], dtype=torch.float64)
    loss, (dW, db) = make_engine("manual", model, loss="bce").loss_and_grads(X, y)
    z = model(X)  # the logit z = w₁x₁ + w₂x₂ + b, recorded by autograd
    z.retain_grad()
    a = torch.sigmoid(z)
    a.retain_grad()
    L = -(y * torch.log(a) + (1 - y) * torch.log(1 - a)).sum()
    L.backward()
    auto = [float(v) for v in model.layers[0].weight.grad.reshape(-1)] + [float(model.layers[0].bias.grad)]
    hand = [float(v) for v in dW.reshape(-1)] + [float(db.reshape(-1)[0])]
    return {
        "z": z.item(), "a": a.item(), "loss": L.item(), "engine_loss": float(loss),
        "dL_da": a.grad.item(), "dL_dz": z.grad.item(), "dw": hand[:2], "db": hand[2],
        "autograd_difference": max(abs(p - q) for p, q in zip(hand, auto, strict=True)),
    }


def run(*, out: Path | None, log: Log = print, data: str | None = None, lang: str = "en") -> dict:
    """Run the lesson; returns the numbers it printed."""
    tr = Texts(lang, NAME)
    errata = Errata(tr, log)
    dataset = stand_in(tr) if data is None else user_data(data, log, tr)
    X, Y = dataset.X.T, dataset.y.reshape(1, -1).astype(np.float64)  # (n_x, m), (1, m)
    X_test, Y_test = dataset.X_test.T, dataset.y_test.reshape(1, -1).astype(np.float64)
    c0, c1 = dataset.classes
    log(tr("data", name=dataset.name, c0=c0, c1=c1))
    log(tr("shapes", x=X.shape, y=Y.shape, m_test=X_test.shape[1], ones=int(Y.sum()), m=Y.shape[1]))

    log("\n" + tr("h.pass"))
    rng = np.random.default_rng(0)
    w_chk, b_chk = 0.01 * rng.standard_normal((X.shape[0], 1)), 0.1
    cost, dw, db = propagate(w_chk, b_chk, X, Y)
    wt = torch.tensor(w_chk, requires_grad=True)
    bt = torch.tensor(b_chk, dtype=torch.float64, requires_grad=True)
    A = torch.sigmoid(wt.T @ torch.from_numpy(X) + bt)  # autograd records this graph
    J = torch.nn.functional.binary_cross_entropy(A, torch.from_numpy(Y))
    J.backward()
    grad_diff = max(float(np.abs(dw - wt.grad.numpy()).max()), abs(db - bt.grad.item()))
    log(tr("grad_check", cost=cost, diff=grad_diff))
    w_up = torch.tensor(w_chk, requires_grad=True)
    log_likelihood = -torch.nn.functional.binary_cross_entropy(
        torch.sigmoid(w_up.T @ torch.from_numpy(X) + b_chk), torch.from_numpy(Y))
    log_likelihood.backward()  # ∇(−J), by autograd
    ascent = w_chk + LR * w_up.grad.numpy()  # climb −J ...
    descent = w_chk - LR * dw  # ... or descend J (hand-written dw)
    ascent_diff = float(np.abs(ascent - descent).max())
    log(tr("ascent", diff=ascent_diff))

    log("\n" + tr("h.graph"))
    g = graph_numbers()
    paragraph(log, tr("graph_forward", x1=GRAPH_X[0], x2=GRAPH_X[1], w1=GRAPH_W[0], w2=GRAPH_W[1],
                      b=GRAPH_B, y=GRAPH_Y, z=g["z"], a=g["a"], loss=g["loss"]))
    paragraph(log, tr("graph_backward", da=g["dL_da"], dz=g["dL_dz"], dw1=g["dw"][0], dw2=g["dw"][1],
                      db=g["db"], diff=g["autograd_difference"]))

    log("\n" + tr("h.train", iterations=ITERATIONS, lr=LR))
    ce = optimize(X, Y, log=log)
    ce_train, ce_test = accuracy(ce["w"], ce["b"], X, Y), accuracy(ce["w"], ce["b"], X_test, Y_test)
    log(f"train accuracy: {ce_train} %")
    log(f"test accuracy: {ce_test} %")

    model = LogisticRegression(X.shape[0])
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    lib = train(model, dataset, optimizer="gd", lr=LR, epochs=ITERATIONS, loss="bce",
                dtype="float64", **NOTES_SETTINGS)  # the default engine: the fast one
    ours = np.concatenate([ce["w"].reshape(-1), [ce["b"]]])
    lib_diff = float(np.abs(flat_params(lib.model) - ours).max())
    lib_test = 100.0 * lib.metrics["test"]["accuracy"]
    log(tr("library", diff=lib_diff, acc=lib_test))
    errata.say("threshold", b=ce["b"], minus_b=-ce["b"])

    log("\n" + tr("h.losses"))
    errata.say("sign", wrong=notes_loss(0.9, 0.0), right=notes_loss(0.1, 0.0),
               true_wrong=true_loss(0.9, 0.0), true_right=true_loss(0.1, 0.0))
    signed = optimize(X, Y, loss="notes-sign")
    signed_acc = signed["accuracies"][-1][1]
    paragraph(log, tr("sign_run", iterations=ITERATIONS, acc=signed_acc, cost=signed["costs"][-1],
                      share=100 * float(Y.mean())))
    z = np.array([-6.0, -3.0, 0.0, 3.0, 6.0])
    a = sigmoid(z)
    rows = [[f"{zi:g}", a_i, -np.log(a_i), a_i - 1, 0.5 * (a_i - 1) ** 2, (a_i - 1) * a_i * (1 - a_i)]
            for zi, a_i in zip(z, a, strict=True)]
    log(tr("one_example"))
    for line in table(["z", "a = σ(z)", tr("col.ce"), "∂CE/∂z", tr("col.se"), "∂SE/∂z"], rows):
        log("  " + line)
    se = optimize(X, Y, loss="squared")
    se_train, se_test = accuracy(se["w"], se["b"], X, Y), accuracy(se["w"], se["b"], X_test, Y_test)
    log(tr("from_zero", iterations=ITERATIONS))
    for key, acc_tr, acc_te in (("ce", ce_train, ce_test), ("se", se_train, se_test)):
        log(tr("acc_line", name=ljust(tr(f"name.{key}"), 14), train=acc_tr, test=acc_te))
    wrong = (-2 * ce["w"], -2 * ce["b"])  # the trained model flipped and doubled
    log(tr("wrong_start", acc=accuracy(*wrong, X, Y), iterations=ITERATIONS))
    ce_wrong, se_wrong = optimize(X, Y, start=wrong), optimize(X, Y, loss="squared", start=wrong)
    for key, r in (("ce", ce_wrong), ("se", se_wrong)):
        log(tr("acc_line", name=ljust(tr(f"name.{key}"), 14), train=r["accuracies"][-1][1],
               test=accuracy(r["w"], r["b"], X_test, Y_test)))

    figures = Figures(out)
    runs = {"ce": ce, "se": se, "ce_wrong": ce_wrong, "se_wrong": se_wrong}
    figures.save("ng-cost.png", lambda: _cost_figure(runs, dataset.name, tr, lang))
    figures.save("ng-accuracy.png", lambda: _accuracy_figure(runs, dataset.name, tr, lang))
    figures.save("ng-sigmoid.png", lambda: sigmoid_plot(lang=lang))
    figures.save("ng-graph.png", lambda: _graph_figure(g, tr, lang))
    figures.save("ng-boundary.png", lambda: decision_boundary(
        lambda Xr: _proba(ce["w"], ce["b"], Xr), dataset.X_test, dataset.y_test,
        classes=dataset.classes, target_name=dataset.target_name, lang=lang,
        title=tr("fig.boundary", name=dataset.name)))
    figures.save("ng-weights.png", lambda: _weights_figure(ce["w"], dataset.name, tr))
    return {
        "n_features": int(X.shape[0]),
        "n_train": int(X.shape[1]),
        "n_test": int(X_test.shape[1]),
        "costs": ce["costs"][::EVERY],
        "squared_error_costs": se["costs"][::EVERY],
        "train_accuracy": ce_train,
        "test_accuracy": ce_test,
        "grad_check": grad_diff,
        "ascent_vs_descent": ascent_diff,
        "library_difference": lib_diff,
        "library_test_accuracy": lib_test,
        "squared_error_train_accuracy": se_train,
        "squared_error_test_accuracy": se_test,
        "wrong_start_train_accuracy": ce_wrong["accuracies"][0][1],
        "wrong_start_cross_entropy_accuracy": ce_wrong["accuracies"][-1][1],
        "wrong_start_squared_error_accuracy": se_wrong["accuracies"][-1][1],
        "notes_sign_accuracy": signed_acc,
        "notes_sign_final_cost": signed["costs"][-1],
        "bias": ce["b"],
        "graph": g,
        "notes_errors": errata.shown,
        "figures": figures.paths,
    }


def _se_grad(z: np.ndarray) -> np.ndarray:
    a = sigmoid(z)
    return (a - 1) * a * (1 - a)


def _proba(w: np.ndarray, b: float, rows: np.ndarray) -> np.ndarray:
    p = sigmoid(np.asarray(rows) @ w + b)  # (n, n_x) @ (n_x, 1) -> (n, 1)
    return np.hstack([1 - p, p])


def _cost_figure(runs: dict, name: str, tr: Texts, lang: str):
    """The cost per iteration (each loss's own cost) and ∂loss/∂z for one example."""
    its = np.arange(ITERATIONS)
    z_grid = np.linspace(-8, 8, 161)
    return curves_figure([
        {"title": tr("fig.from_zero"), "ylabel": tr("fig.cost_y"), "logy": True, "legend": "below",
         "series": {tr("fig.ce_cost"): (its, runs["ce"]["costs"]),
                    tr("fig.se_cost"): (its, runs["se"]["costs"])}},
        {"title": tr("fig.from_wrong"), "ylabel": tr("fig.cost_y"), "logy": True, "legend": "below",
         "series": {tr("fig.ce_cost"): (its, runs["ce_wrong"]["costs"]),
                    tr("fig.se_cost"): (its, runs["se_wrong"]["costs"])}},
        {"title": tr("fig.dz_title"), "ylabel": "∂loss/∂z", "logy": False, "legend": "below",
         "xlabel": "z = wᵀx + b", "series": {
             tr("fig.ce_dz"): (z_grid, sigmoid(z_grid) - 1),
             tr("fig.se_dz"): (z_grid, _se_grad(z_grid))}},
    ], title=tr("fig.cost_title", name=name, lr=LR), xlabel=tr("fig.iteration"), lang=lang, height=6.2)


def _accuracy_figure(runs: dict, name: str, tr: Texts, lang: str):
    def acc(r):
        return tuple(zip(*r["accuracies"], strict=True))

    return curves_figure([
        {"title": tr("fig.from_zero"), "ylabel": tr("fig.acc_y"), "logy": False, "series": {
            tr("name.ce"): acc(runs["ce"]), tr("name.se"): acc(runs["se"])}},
        {"title": tr("fig.from_wrong"), "ylabel": tr("fig.acc_y"), "logy": False, "series": {
            tr("name.ce"): acc(runs["ce_wrong"]), tr("name.se"): acc(runs["se_wrong"])}},
    ], title=tr("fig.acc_title", name=name, lr=LR), xlabel=tr("fig.iteration"), lang=lang)


def _graph_figure(g: dict, tr: Texts, lang: str):
    """The lecture's graph x₁, w₁, x₂, w₂, b → z → a → L with the engine's numbers."""
    (x1, x2), (w1, w2) = GRAPH_X, GRAPH_W
    column = (0.92, 0.74, 0.56, 0.38, 0.20)  # the inputs, top to bottom
    nodes = {
        "x1": {"xy": (0.11, column[0]), "label": "x₁", "value": f"x₁ = {x1:g}"},
        "w1": {"xy": (0.11, column[1]), "label": "w₁", "value": f"w₁ = {w1:g}",
               "grad": f"∂L/∂w₁ = x₁·dz = {g['dw'][0]:.4f}"},
        "x2": {"xy": (0.11, column[2]), "label": "x₂", "value": f"x₂ = {x2:g}"},
        "w2": {"xy": (0.11, column[3]), "label": "w₂", "value": f"w₂ = {w2:g}",
               "grad": f"∂L/∂w₂ = x₂·dz = {g['dw'][1]:.4f}"},
        "b": {"xy": (0.11, column[4]), "label": "b", "value": f"b = {GRAPH_B:g}",
              "grad": f"∂L/∂b = dz = {g['db']:.4f}"},
        "z": {"xy": (0.40, 0.56), "width": 0.22, "label": "z = w₁x₁ + w₂x₂ + b",
              "value": f"z = {g['z']:.4f}", "grad": f"dz = ∂L/∂z = a − y\n= {g['dL_dz']:.4f}"},
        "a": {"xy": (0.665, 0.56), "width": 0.25, "label": "a = σ(z)", "value": f"a = {g['a']:.4f}",
              "grad": f"da = ∂L/∂a = −y/a + (1−y)/(1−a)\n= {g['dL_da']:.4f}"},
        "L": {"xy": (0.905, 0.56), "width": 0.18, "label": "L(a, y)", "value": f"y = {GRAPH_Y:g}, L = {g['loss']:.4f}",
              "grad": "∂L/∂L = 1"},
    }
    edges = [("x1", "z"), ("w1", "z"), ("x2", "z"), ("w2", "z"), ("b", "z"), ("z", "a"), ("a", "L")]
    return graph_figure(nodes, edges, title=tr("fig.graph_title"), subtitle=tr("fig.graph_sub"), lang=lang)


def _as_channels(w: np.ndarray) -> list[np.ndarray]:
    """Square (side, side) pictures of the weights, one per colour channel: the course's
    images are unrolled channel-last (the pixel's R, G, B next to each other)."""
    n = w.size
    for channels in (3, 1):
        side = round((n / channels) ** 0.5)
        if side * side * channels == n:
            image = w.reshape(side, side, channels)
            return [image[:, :, c] for c in range(channels)]
    return [w.reshape(1, n)]  # not an image: one row


@styled
def _weights_figure(w: np.ndarray, name: str, tr: Texts):
    """The learned weights as images, one per colour channel, on one colour scale."""
    channels = _as_channels(w.reshape(-1))
    names = [tr("fig.red"), tr("fig.green"), tr("fig.blue")] if len(channels) == 3 else [tr("fig.grey")]
    fig = new_figure(6.5 if len(channels) == 3 else 7.5, 15.0 if len(channels) == 3 else 8.5)
    axes = fig.subplots(1, len(channels), squeeze=False)[0]
    limit = float(max(np.abs(c).max() for c in channels)) or 1.0
    for ax, image, label in zip(axes, channels, names, strict=True):
        im = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(label, fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.colorbar(im, ax=list(axes), label=tr("fig.weight_bar"), shrink=0.85)
    fig.suptitle(tr("fig.weights_title" if len(channels) == 3 else "fig.weights_title_grey", name=name))
    return fig
