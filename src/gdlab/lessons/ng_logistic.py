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

from pathlib import Path

import numpy as np
import torch

from ..data import Dataset, load, split_dataset
from ..errors import GdlabError
from ..models import LogisticRegression
from ..train import flat_params, train
from ..viz import decision_boundary
from ..viz.common import new_figure, styled
from .common import NOTES_SETTINGS, Figures, Log, curves_figure, table

NAME = "ng-logistic"
TITLE = "Andrew Ng week 2: logistic regression as a neural network"
SUMMARY = "vectorized forward/backward by hand, squared error vs cross-entropy; digits or --data catvnoncat .h5"
PLAYGROUND = None  # 64 or 12288 features: there is no (w, b) plane to play on
EXPLANATION = (
    "Logistic regression is a one-neuron network: the forward pass computes Z = wᵀX + b "
    "and A = σ(Z) for all examples in one matrix product, the backward pass follows the "
    "computational graph back (dZ = A − Y, dw = X·dZᵀ/m, db = mean(dZ)), and the "
    "hand-written gradients match autograd, which records the same graph while the "
    "forward code runs (PyTorch's graph is dynamic, built anew each pass, where a static "
    "graph is declared first and then fed data), and gdlab's engines. The loss is one "
    "example's error; the cost is its mean over the training set. With cross-entropy the "
    "gradient with respect to Z is A − Y, large when the prediction is confidently wrong; "
    "with the squared error it is multiplied by σ'(Z) = A(1 − A), which is almost 0 "
    "there, so training crawls (and the squared-error cost is not convex in w). Descent "
    "moves against the gradient of the cost; maximizing the log-likelihood by gradient "
    "ascent is the same step, since the log-likelihood is the negated cost. On the "
    "course's cat images (2000 iterations, lr 0.005) train accuracy reaches 99% while "
    "test accuracy is 70%: the model memorizes 209 pictures of 12288 pixels."
)

LR, ITERATIONS, EVERY = 0.005, 2000, 100
POSITIVE, NEGATIVE = 3, 8  # the stand-in: "a 3" plays "cat", "an 8" plays "non-cat"


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^{−z}), without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def propagate(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray, *, loss: str = "cross-entropy"):
    """Forward and backward pass over all m examples; returns (cost, dw, db).

    ``w`` (n_x, 1), ``X`` (n_x, m), ``Y`` (1, m). ``loss`` is "cross-entropy" or
    "squared" (½(A − Y)²).
    """
    m = X.shape[1]
    # forward: the computational graph X, w, b -> Z -> A -> J
    Z = w.T @ X + b  # (1, n_x) @ (n_x, m) -> (1, m)
    A = sigmoid(Z)
    if loss == "cross-entropy":
        # −[Y log A + (1 − Y) log(1 − A)], written from Z so that log(0) never occurs
        cost = float(np.mean(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))))
        dZ = A - Y  # ∂loss/∂A · ∂A/∂Z = (A − Y)/(A(1 − A)) · A(1 − A)
    else:
        cost = float(np.mean(0.5 * (A - Y) ** 2))
        dZ = (A - Y) * A * (1 - A)  # ∂loss/∂A · σ'(Z): σ' → 0 when |Z| is large
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


def stand_in() -> Dataset:
    """The digits 3 and 8, pixels / 16, with a stratified 20% test split (seed 0)."""
    digits = load("digits")
    keep = np.isin(digits.y, (POSITIVE, NEGATIVE))
    data = Dataset(
        X=digits.X[keep] / 16.0, y=(digits.y[keep] == POSITIVE).astype(np.int64),
        feature_names=list(digits.feature_names), target_name="digit", task="binary",
        classes=[str(NEGATIVE), str(POSITIVE)], name=f"digits {POSITIVE} vs {NEGATIVE}",
    )
    s = split_dataset(data, test_fraction=0.2, val_fraction=0.0, seed=0)
    data.X, data.y, data.X_test, data.y_test = s.X_train, s.y_train, s.X_test, s.y_test
    return data


def user_data(source: str, log: Log) -> Dataset:
    """A binary data set from ``--data`` (catvnoncat .h5 or any file/built-in name)."""
    data = load(source)
    if data.task != "binary":
        what = f"{data.n_classes} classes" if data.classes else "a numeric target"
        raise GdlabError(f"--data {source}: logistic regression needs two classes; it has {what}")
    if data.X_test is None:
        s = split_dataset(data, test_fraction=0.2, val_fraction=0.0, seed=0)
        data.X, data.y, data.X_test, data.y_test = s.X_train, s.y_train, s.X_test, s.y_test
        log(f"{source} has no test split: using a stratified 20% of it (seed 0)")
    for note in filter(None, [data.meta.get("note")]):
        log(note)
    return data


def run(*, out: Path | None, log: Log = print, data: str | None = None) -> dict:
    """Run the lesson; returns the numbers it printed."""
    dataset = stand_in() if data is None else user_data(data, log)
    X, Y = dataset.X.T, dataset.y.reshape(1, -1).astype(np.float64)  # (n_x, m), (1, m)
    X_test, Y_test = dataset.X_test.T, dataset.y_test.reshape(1, -1).astype(np.float64)
    c0, c1 = dataset.classes
    log(f"data: {dataset.name}; classes 0 = {c0!r}, 1 = {c1!r}")
    log(f"train_set_x: {X.shape} (one unrolled image per column), train_set_y: {Y.shape}; "
        f"test: {X_test.shape[1]} examples; {int(Y.sum())} of {Y.shape[1]} training labels are 1")

    log("\n== 1. the vectorized forward and backward pass, checked against autograd ==")
    rng = np.random.default_rng(0)
    w_chk, b_chk = 0.01 * rng.standard_normal((X.shape[0], 1)), 0.1
    cost, dw, db = propagate(w_chk, b_chk, X, Y)
    wt = torch.tensor(w_chk, requires_grad=True)
    bt = torch.tensor(b_chk, dtype=torch.float64, requires_grad=True)
    A = torch.sigmoid(wt.T @ torch.from_numpy(X) + bt)  # autograd records this graph
    J = torch.nn.functional.binary_cross_entropy(A, torch.from_numpy(Y))
    J.backward()
    grad_diff = max(float(np.abs(dw - wt.grad.numpy()).max()), abs(db - bt.grad.item()))
    log(f"at a random w: cost {cost:.6f}; hand-written dw, db vs autograd: "
        f"largest difference {grad_diff:.2g}")
    w_up = torch.tensor(w_chk, requires_grad=True)
    log_likelihood = -torch.nn.functional.binary_cross_entropy(
        torch.sigmoid(w_up.T @ torch.from_numpy(X) + b_chk), torch.from_numpy(Y))
    log_likelihood.backward()  # ∇(−J), by autograd
    ascent = w_chk + LR * w_up.grad.numpy()  # climb −J ...
    descent = w_chk - LR * dw  # ... or descend J (hand-written dw)
    ascent_diff = float(np.abs(ascent - descent).max())
    log(f"one gradient-ascent step on the log-likelihood −J and one descent step on J "
        f"land on the same w (largest difference {ascent_diff:.2g})")

    log(f"\n== 2. training: {ITERATIONS} iterations, learning rate {LR}, cross-entropy ==")
    ce = optimize(X, Y, log=log)
    ce_train, ce_test = accuracy(ce["w"], ce["b"], X, Y), accuracy(ce["w"], ce["b"], X_test, Y_test)
    log(f"train accuracy: {ce_train} %")
    log(f"test accuracy: {ce_test} %")

    model = LogisticRegression(X.shape[0])
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    lib = train(model, dataset, optimizer="gd", lr=LR, epochs=ITERATIONS, loss="bce",
                engine="manual", dtype="float64", **NOTES_SETTINGS)
    ours = np.concatenate([ce["w"].reshape(-1), [ce["b"]]])
    lib_diff = float(np.abs(flat_params(lib.model) - ours).max())
    lib_test = 100.0 * lib.metrics["test"]["accuracy"]
    log(f"gdlab.train(LogisticRegression, optimizer='gd', engine='manual') reaches the same "
        f"parameters (largest difference {lib_diff:.2g}) and test accuracy {lib_test:g} %")

    log("\n== 3. squared error vs cross-entropy on a sigmoid output ==")
    z = np.array([-6.0, -3.0, 0.0, 3.0, 6.0])
    a = sigmoid(z)
    rows = [[f"{zi:g}", a_i, -np.log(a_i), a_i - 1, 0.5 * (a_i - 1) ** 2, (a_i - 1) * a_i * (1 - a_i)]
            for zi, a_i in zip(z, a, strict=True)]
    log("one example with label y = 1 (z < 0: the prediction is wrong):")
    for line in table(["z", "a = σ(z)", "CE loss", "∂CE/∂z", "SE loss", "∂SE/∂z"], rows):
        log("  " + line)
    se = optimize(X, Y, loss="squared")
    se_train, se_test = accuracy(se["w"], se["b"], X, Y), accuracy(se["w"], se["b"], X_test, Y_test)
    log(f"from w = 0 (every prediction 0.5), {ITERATIONS} iterations:")
    for name, acc_tr, acc_te in (("cross-entropy", ce_train, ce_test), ("squared error", se_train, se_test)):
        log(f"  {name:<14} train accuracy {acc_tr:.2f} %, test accuracy {acc_te:.2f} %")
    wrong = (-2 * ce["w"], -2 * ce["b"])  # the trained model flipped and doubled
    log(f"from a confidently wrong start (w, b = −2 x the trained ones: train accuracy "
        f"{accuracy(*wrong, X, Y):.2f} %), {ITERATIONS} iterations:")
    ce_wrong, se_wrong = optimize(X, Y, start=wrong), optimize(X, Y, loss="squared", start=wrong)
    for name, r in (("cross-entropy", ce_wrong), ("squared error", se_wrong)):
        log(f"  {name:<14} train accuracy {r['accuracies'][-1][1]:.2f} %, test accuracy "
            f"{accuracy(r['w'], r['b'], X_test, Y_test):.2f} %")

    figures = Figures(out)
    z_grid = np.linspace(-8, 8, 161)
    figures.save("ng-cost.png", lambda: curves_figure([
        {"title": "From w = 0", "ylabel": "train accuracy (%)", "logy": False, "series": {
            "cross-entropy": tuple(zip(*ce["accuracies"], strict=True)),
            "squared error": tuple(zip(*se["accuracies"], strict=True))}},
        {"title": "From a confidently wrong w", "ylabel": "train accuracy (%)", "logy": False,
         "series": {"cross-entropy": tuple(zip(*ce_wrong["accuracies"], strict=True)),
                    "squared error": tuple(zip(*se_wrong["accuracies"], strict=True))}},
        {"title": "∂loss/∂z for one example, y = 1", "ylabel": "∂loss/∂z", "logy": False,
         "xlabel": "z = wᵀx + b", "series": {
             "cross-entropy: a − y": (z_grid, sigmoid(z_grid) - 1),
             "squared error: (a − y)·a(1 − a)": (z_grid, _se_grad(z_grid))}},
    ], title=f"Cross-entropy versus squared error on {dataset.name}, lr {LR}", xlabel="iteration"))
    figures.save("ng-boundary.png", lambda: decision_boundary(
        lambda Xr: _proba(ce["w"], ce["b"], Xr), dataset.X_test, dataset.y_test,
        classes=dataset.classes, target_name=dataset.target_name,
        title=f"Test examples of {dataset.name} and the trained logistic regression"))
    figures.save("ng-weights.png", lambda: _weights_figure(ce["w"], dataset.name))
    return {
        "n_features": int(X.shape[0]),
        "n_train": int(X.shape[1]),
        "n_test": int(X_test.shape[1]),
        "costs": ce["costs"][::EVERY],
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
        "figures": figures.paths,
    }


def _se_grad(z: np.ndarray) -> np.ndarray:
    a = sigmoid(z)
    return (a - 1) * a * (1 - a)


def _proba(w: np.ndarray, b: float, rows: np.ndarray) -> np.ndarray:
    p = sigmoid(np.asarray(rows) @ w + b)  # (n, n_x) @ (n_x, 1) -> (n, 1)
    return np.hstack([1 - p, p])


def _as_image(w: np.ndarray) -> np.ndarray:
    """A square (side, side) picture of the weights: RGB images average their 3 channels."""
    n = w.size
    for channels in (3, 1):
        side = round((n / channels) ** 0.5)
        if side * side * channels == n:
            return w.reshape(side, side, channels).mean(axis=2)
    return w.reshape(1, n)  # not an image: one row


@styled
def _weights_figure(w: np.ndarray, name: str):
    """The learned weights as an image: where a bright pixel pushes towards class 1."""
    image = _as_image(w.reshape(-1))
    fig = new_figure(6.5, 7.5)
    ax = fig.subplots(1, 1)
    limit = float(np.abs(image).max()) or 1.0
    im = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.colorbar(im, ax=ax, label="weight (red: pushes towards class 1)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    fig.suptitle(f"The learned weights w as an image ({name})")
    return fig
