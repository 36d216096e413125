"""Benchmark rows beside ``gdlab bench``'s: wide data, and the tools a practitioner
would pick instead of gdlab.

**Wide data** (:func:`wide_rows`): Andrew Ng's week-2 exercise, logistic regression by
full-batch gradient descent on catvnoncat's shape, 209 images × 12288 pixels, 2000
iterations of lr 0.005 from w = 0, b = 0. gdlab's side is a synthetic ``.npy`` file of
that shape trained through ``gdlab.setup.build`` and ``gdlab.train.fit``, as ``gdlab
train`` runs it (:func:`wide_fit_seconds`); the baseline is the course's NumPy loop on
the course's layout X (n_x, m) (:func:`wide_numpy_loop`), with a plain PyTorch loop
(:func:`wide_torch_loop`) shown beside it. The ratio is NumPy's time / gdlab's, paired
run by run (median); the issue's target "≤ 1.5× NumPy's time" is a ratio ≥ 0.667.

**Peers** (:func:`peer_rows`): the same standardized float32 data for every contender,
a linear and a logistic regression task, and for each contender its samples/s and its
**time to target** — training seconds until its held-out loss (mse; mean log-loss) is
within 1 % of the best that any contender reaches. Held-out losses are computed outside
the timing, in float64, from each model's weights or predictions. Each contender runs:

- ``gdlab-gd``: full-batch gradient descent through ``fit`` (what ``gdlab.train`` runs),
  fixed lr (``LR``), from zero weights;
- ``gdlab-mb``: mini-batch SGD through ``fit`` (batch 256, a fresh permutation per
  epoch, fixed lr);
- ``sgd``: scikit-learn ``SGDRegressor`` / ``SGDClassifier(loss="log_loss")`` with their
  default learning-rate schedules, ``penalty=None`` (the objective the others minimize),
  one ``partial_fit`` (an epoch) per step, float64 data prepared beforehand;
- ``exact`` (linear only): scikit-learn ``LinearRegression`` (a least-squares solve);
- ``lbfgs`` (logistic only): ``LogisticRegression(solver="lbfgs")`` with its defaults,
  refitted from scratch with ``max_iter`` 1, 2, 3, 5, 8, … (each point is one full fit's
  time), float64 data;
- ``vw`` (when the ``vowpalwabbit`` package is installed): Vowpal Wabbit with its
  defaults (adaptive, normalized, invariant updates), ``--holdout_off``, reading its
  binary cache (made beforehand, untimed), retrained from scratch with 1, 2, 3, 5, …
  passes.

Every function takes ``quick=True`` for tiny sizes (CI smoke tests; the figures then mean
nothing).
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .bench import Row
from .callbacks import Callback
from .config import TrainConfig
from .data import Dataset
from .data.split import Splits
from .setup import build
from .train import fit

WIDE = {"n": 209, "d": 12288, "iterations": 2000, "lr": 0.005, "repeats": 3}
WIDE_QUICK = {"n": 20, "d": 300, "iterations": 20, "lr": 0.005, "repeats": 1}
PEERS = {"n_train": 200_000, "n_test": 50_000, "d": 100, "budget": 3.0, "max_steps": 40}
PEERS_QUICK = {"n_train": 2_000, "n_test": 500, "d": 10, "budget": 0.5, "max_steps": 4}
LR = {"linear": {"gd": 0.1, "mb": 0.01}, "logistic": {"gd": 1.0, "mb": 0.1}}  # fixed learning rates
WITHIN = 0.01  # time to target: held-out loss within 1 % of the best any contender reaches
BATCH = 256


def _threads() -> int:
    return os.cpu_count() or 1


# --- wide data: Ng's exercise on catvnoncat's shape ---------------------------------------------
def wide_data(n: int, d: int, dtype, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-like X (n, d) in [0, 1] (the course divides by 255) and labels y (n,) of a
    noisy linear rule, in ``dtype``."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, d)).astype(dtype) / dtype(255)
    score = (X - 0.5) @ rng.normal(size=d) / math.sqrt(d) + 0.3 * rng.normal(size=n)
    return X, (score > 0).astype(dtype)


def wide_numpy_loop(X_cols: np.ndarray, y: np.ndarray, *, iterations: int,
                    lr: float) -> tuple[float, np.ndarray, float]:
    """The course's loop, in X's dtype, on its layout X (n_x, m)::

        A = σ(wᵀX + b); cost = −mean(Y log A + (1 − Y) log(1 − A))
        dw = X (A − Y)ᵀ / m; db = mean(A − Y); w ← w − lr dw; b ← b − lr db

    Returns (seconds, w, b)."""
    d, m = X_cols.shape
    Y = y.reshape(1, m)
    w, b = np.zeros((d, 1), X_cols.dtype), X_cols.dtype.type(0)
    t0 = time.perf_counter()
    for _ in range(iterations):
        A = 1 / (1 + np.exp(-(w.T @ X_cols + b)))  # (1, n_x) @ (n_x, m) -> (1, m)
        cost = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))  # noqa: F841 (the course logs it)
        dZ = A - Y
        dw = X_cols @ dZ.T / m  # (n_x, m) @ (m, 1) -> (n_x, 1)
        db = np.mean(dZ)
        w = w - lr * dw
        b = b - lr * db
    return time.perf_counter() - t0, w[:, 0], float(b)


def wide_torch_loop(X: np.ndarray, y: np.ndarray, *, iterations: int,
                    lr: float) -> tuple[float, np.ndarray, float]:
    """The same loop in plain PyTorch on rows X (m, n_x): z = Xw + b, σ, the cost, then
    dw = Xᵀ(A − Y)/m and db = mean(A − Y). Returns (seconds, w, b)."""
    import torch

    Xt = torch.from_numpy(X)
    Y = torch.from_numpy(y.reshape(-1, 1))
    m, d = Xt.shape
    w, b = torch.zeros(d, 1, dtype=Xt.dtype), torch.zeros((), dtype=Xt.dtype)
    t0 = time.perf_counter()
    for _ in range(iterations):
        A = torch.sigmoid(Xt @ w + b)
        cost = -torch.mean(Y * torch.log(A) + (1 - Y) * torch.log(1 - A))  # noqa: F841
        dZ = A - Y
        w = w - lr * (Xt.T @ dZ) / m
        b = b - lr * dZ.mean()
    return time.perf_counter() - t0, w[:, 0].numpy(), float(b)


def wide_fit_seconds(path: Path, *, dtype: str, iterations: int, lr: float) -> float:
    """Seconds of the exercise's epochs through ``gdlab.train.fit`` on the file at ``path``
    (logistic regression, full-batch GD from w = 0, b = 0, no standardization, every row
    trains): the epochs as ``gdlab train`` runs and records them, evaluation included."""
    cfg = TrainConfig.from_kwargs(model="logistic", optimizer="gd", lr=lr, epochs=iterations,
                                  standardize=False, val_fraction=0.0, test_fraction=0.0,
                                  init_std=0.0, dtype=dtype, quiet=True)
    s = build(path, cfg, log=lambda _m: None)
    state = fit(s.engine, s.feed, cfg=cfg)
    return sum(h["seconds"] for h in state.history)


def wide_rows(*, quick: bool = False, log: Callable[[str], None] = lambda _m: None) -> list[Row]:
    """One row per dtype: the exercise on a synthetic file of catvnoncat's shape through
    ``fit``, its iterations/s, and the course's NumPy loop's time / gdlab's (paired,
    median of ``repeats``; a plain PyTorch loop's time shown beside it)."""
    s = WIDE_QUICK if quick else WIDE
    n, d, iterations, lr = s["n"], s["d"], s["iterations"], s["lr"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="gdlab-wide-") as tmp:
        for dtype in (np.float32, np.float64):
            name = np.dtype(dtype).name
            X, y = wide_data(n, d, dtype)
            path = Path(tmp) / f"wide-{name}.npy"
            np.save(path, np.column_stack([X, y]))
            X_cols = np.ascontiguousarray(X.T)  # the course's layout: one column per image
            wide_fit_seconds(path, dtype=name, iterations=2, lr=lr)  # compile, untimed
            wide_numpy_loop(X_cols, y, iterations=1, lr=lr)
            triples = []
            for _ in range(s["repeats"]):
                t_np = wide_numpy_loop(X_cols, y, iterations=iterations, lr=lr)[0]
                t_torch = wide_torch_loop(X, y, iterations=iterations, lr=lr)[0]
                t_fit = wide_fit_seconds(path, dtype=name, iterations=iterations, lr=lr)
                triples.append((t_np, t_torch, t_fit))
            t_np, t_torch, t_fit = (statistics.median(t[i] for t in triples) for i in range(3))
            rows.append(Row(
                f"wide:{'f32' if dtype == np.float32 else 'f64'}",
                f"wide data ({n} × {d}, {name}): {iterations} GD epochs through fit / NumPy loop",
                n * iterations / t_fit, statistics.median(t[0] / t[2] for t in triples),
                f"NumPy loop {t_np:.3g} s, PyTorch loop {t_torch:.3g} s; gdlab {t_fit:.3g} s",
            ))
            log(f"  wide {name}: gdlab {t_fit:.3g} s, NumPy {t_np:.3g} s, PyTorch {t_torch:.3g} s")
    return rows


# --- peers: samples/s and time to target --------------------------------------------------------
def peer_data(n_train: int, n_test: int, d: int, seed: int = 0) -> dict:
    """Correlated features (independent noise plus 5 shared factors; the covariance's
    condition number is about 10), standardized with the training statistics, float32;
    a linear target with noise and a logistic one."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    X = rng.normal(size=(n, d)) + rng.normal(size=(n, 5)) @ (0.3 * rng.normal(size=(5, d)))
    X = (X - X[:n_train].mean(0)) / X[:n_train].std(0)
    w = rng.normal(size=d) / math.sqrt(d)
    score = X @ w
    y_lin = score + 0.5 * rng.normal(size=n)
    y_bin = (rng.random(n) < 1 / (1 + np.exp(-3 * score))).astype(np.float64)
    X = X.astype(np.float32)
    return {"X": X[:n_train], "X_test": X[n_train:], "linear": (y_lin[:n_train], y_lin[n_train:]),
            "logistic": (y_bin[:n_train], y_bin[n_train:])}


def held_out_loss(task: str, margin: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error (linear) or mean log-loss (logistic) of predictions ``margin``
    (x·w + b), in float64."""
    margin = np.asarray(margin, np.float64).ravel()
    if task == "linear":
        return float(np.mean((margin - y) ** 2))
    return float(np.mean(np.logaddexp(0.0, margin) - y * margin))  # log(1 + e^z) − y z


class _Curve:
    """(training seconds so far, held-out loss) after each step of one contender."""

    def __init__(self, name: str, what: str):
        self.name, self.what = name, what
        self.points: list[tuple[float, float]] = []
        self.samples = 0.0
        self.seconds = 0.0

    def add(self, seconds: float, loss: float, samples: float) -> None:
        self.points.append((seconds, loss))
        self.samples, self.seconds = samples, seconds

    def time_to(self, target: float) -> float | None:
        return next((t for t, loss in self.points if loss <= target), None)

    def settled(self, steps: int = 10, rel: float = 1e-4) -> bool:
        """Whether the last ``steps`` steps improved the held-out loss by less than ``rel``."""
        if len(self.points) <= steps:
            return False
        before, now = self.points[-steps - 1][1], min(p[1] for p in self.points[-steps:])
        return not math.isfinite(now) or now > before * (1 - rel)


class _Follow(Callback):
    """Records a contender's curve after each epoch of ``fit`` (outside the epoch's
    timing: fit takes an epoch's seconds before its callbacks run) and stops the run at
    the budget or once the held-out loss has settled."""

    def __init__(self, curve: _Curve, task: str, X_test, y_test, n: int, budget: float, settle: int):
        self.curve, self.task, self.X_test, self.y_test = curve, task, X_test, y_test
        self.n, self.budget, self.settle = n, budget, settle

    def on_epoch_end(self, state, entry: dict) -> None:
        layer = state.model.layers[0]
        w = layer.weight.detach().double().numpy()[0]
        b = float(layer.bias.detach()[0])
        self.curve.add(state.seconds, held_out_loss(self.task, self.X_test @ w + b, self.y_test),
                       state.epoch * self.n)
        if state.seconds > self.budget or self.curve.settled(self.settle):
            state.stopped_reason = "bench budget"


def _gdlab_fit(data, task, s, X_test, y_test, *, minibatch: bool) -> _Curve:
    """gdlab as a user runs it: ``gdlab.setup.build`` and ``gdlab.train.fit`` (the loop
    of ``gdlab.train``, auto engine, per-epoch evaluation included), fixed lr."""
    import torch

    X, (y, _) = data["X"], data[task]
    n, d = X.shape
    lr = LR[task]["mb" if minibatch else "gd"]
    name, what = (("gdlab-mb", f"gdlab fit, mini-batch {BATCH}, sgd lr {lr:g}") if minibatch else
                  ("gdlab-gd", f"gdlab fit, full-batch GD, lr {lr:g}"))
    c = _Curve(name, what)
    steps = s["max_steps"] if minibatch else 50 * s["max_steps"]
    cfg = TrainConfig.from_kwargs(
        model="linear" if task == "linear" else "logistic", loss="mse" if task == "linear" else "bce",
        optimizer="minibatch" if minibatch else "gd", batch_size=BATCH if minibatch else None,
        lr=lr, epochs=steps, quiet=True, val_fraction=0.0, test_fraction=0.0, standardize=False,
        init_std=0.0, seed=0,
    )
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.float32).reshape(n, 1))
    dataset = Dataset(X=Xt, y=yt, feature_names=[f"x{j}" for j in range(d)],
                      task="regression" if task == "linear" else "binary",
                      classes=None if task == "linear" else [0, 1], name="peers")
    warm = build(dataset, cfg.replace(epochs=1), splits=Splits(X_train=Xt[:256], y_train=yt[:256]),
                 log=lambda _m: None)
    fit(warm.engine, warm.feed, cfg=cfg.replace(epochs=1))  # compile, untimed
    run = build(dataset, cfg, splits=Splits(X_train=Xt, y_train=yt), log=lambda _m: None)
    fit(run.engine, run.feed, cfg=cfg,
        callbacks=[_Follow(c, task, X_test, y_test, n, s["budget"], 3 if minibatch else 10)])
    return c


def _gdlab_gd(data, task, s, X_test, y_test) -> _Curve:
    return _gdlab_fit(data, task, s, X_test, y_test, minibatch=False)


def _gdlab_mb(data, task, s, X_test, y_test) -> _Curve:
    return _gdlab_fit(data, task, s, X_test, y_test, minibatch=True)


def _sklearn_sgd(data, task, s, X_test, y_test) -> _Curve:
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    X64 = data["X"].astype(np.float64)
    y = data[task][0]
    if task == "linear":
        est, what = SGDRegressor(penalty=None, random_state=0), "scikit-learn SGDRegressor"
    else:
        est = SGDClassifier(loss="log_loss", penalty=None, random_state=0)
        what = "scikit-learn SGDClassifier(log_loss)"
    c = _Curve("sgd", f"{what}, penalty=None, one partial_fit per epoch")
    elapsed = 0.0
    for epoch in range(1, s["max_steps"] + 1):
        t0 = time.perf_counter()
        if task == "linear":
            est.partial_fit(X64, y)
        else:
            est.partial_fit(X64, y, classes=np.array([0.0, 1.0]))
        elapsed += time.perf_counter() - t0
        c.add(elapsed, held_out_loss(task, X_test @ est.coef_.ravel() + est.intercept_[0], y_test),
              epoch * len(y))
        if elapsed > s["budget"] or c.settled(3):
            break
    return c


def _refits(max_steps: int) -> list[int]:
    """1, 2, 3, 5, 8, 13, …: iteration or pass counts for contenders refitted from scratch."""
    out, a, b = [], 1, 2
    while len(out) < max_steps:
        out.append(a)
        a, b = b, a + b
    return out


def _sklearn_exact(data, task, s, X_test, y_test) -> _Curve:
    from sklearn.linear_model import LinearRegression

    X64, y = data["X"].astype(np.float64), data[task][0]
    c = _Curve("exact", "scikit-learn LinearRegression (least squares)")
    t0 = time.perf_counter()
    est = LinearRegression().fit(X64, y)
    c.add(time.perf_counter() - t0, held_out_loss(task, X_test @ est.coef_ + est.intercept_, y_test),
          len(y))
    return c


def _sklearn_lbfgs(data, task, s, X_test, y_test) -> _Curve:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    X64, y = data["X"].astype(np.float64), data[task][0]
    c = _Curve("lbfgs", "scikit-learn LogisticRegression(solver='lbfgs'), refitted with max_iter 1, 2, 3, 5, …")
    spent = 0.0
    for iters in _refits(s["max_steps"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            est = LogisticRegression(solver="lbfgs", max_iter=iters).fit(X64, y)
            seconds = time.perf_counter() - t0
        used = int(est.n_iter_[0])
        c.add(seconds, held_out_loss(task, X_test @ est.coef_[0] + est.intercept_[0], y_test), used * len(y))
        spent += seconds
        if used < iters or spent > 2 * s["budget"]:  # converged, or too slow to go on
            break
    return c


def _vw_rows(X: np.ndarray) -> list[str]:
    """Vowpal Wabbit's text format for the features of each row: `` | 0:x0 1:x1 …``."""
    return [" |" + "".join(f" {j}:{v:.5g}" for j, v in enumerate(row)) for row in X.tolist()]


def _vw_file(path: Path, rows: list[str], y: np.ndarray) -> None:
    with open(path, "w") as f:
        for label, row in zip(y.tolist(), rows, strict=True):
            f.write(f"{label:.6g}{row}\n")


def _vw(data, task, s, X_test, y_test) -> _Curve | None:
    try:
        from vowpalwabbit import pyvw
    except ImportError:
        return None

    def run(args: str) -> None:
        ws = pyvw.Workspace(args + " --quiet")
        ws.run_parser()
        ws.finish()

    X, y = data["X"], data[task][0]
    loss = "squared" if task == "linear" else "logistic"
    labels = y if task == "linear" else 2 * y - 1  # VW's logistic loss wants ±1
    test_labels = y_test if task == "linear" else 2 * y_test - 1
    import vowpalwabbit

    c = _Curve("vw", f"Vowpal Wabbit {vowpalwabbit.__version__} (defaults, --loss_function {loss}), "
                     "from its cache, retrained with 1, 2, 3, 5, … passes")
    with tempfile.TemporaryDirectory(prefix="gdlab-vw-") as tmp:
        train, test, cache = Path(tmp) / "train.vw", Path(tmp) / "test.vw", Path(tmp) / "train.cache"
        model, preds = Path(tmp) / "model.vw", Path(tmp) / "preds.txt"
        if "vw" not in data:  # the features' text, shared by both tasks (untimed)
            data["vw"] = (_vw_rows(X), _vw_rows(X_test))
        _vw_file(train, data["vw"][0], labels)
        _vw_file(test, data["vw"][1], test_labels)
        common = f"--loss_function {loss} --holdout_off -d {train} --cache_file {cache} -f {model}"
        run(common)  # parse the text once into the binary cache (untimed)
        spent = 0.0
        for passes in _refits(s["max_steps"]):
            t0 = time.perf_counter()
            run(common + (f" --passes {passes}" if passes > 1 else ""))
            seconds = time.perf_counter() - t0
            run(f"-t -i {model} -d {test} -p {preds}")
            margin = np.loadtxt(preds, ndmin=1)
            c.add(seconds, held_out_loss(task, margin, y_test), passes * len(y))
            spent += seconds
            if spent > 2 * s["budget"] or (len(c.points) > 1 and c.settled(1, 1e-3)):
                break
    return c


CONTENDERS = {
    "linear": (_gdlab_gd, _gdlab_mb, _sklearn_sgd, _sklearn_exact, _vw),
    "logistic": (_gdlab_gd, _gdlab_mb, _sklearn_sgd, _sklearn_lbfgs, _vw),
}


def peer_curves(*, quick: bool = False, log: Callable[[str], None] = lambda _m: None) -> dict:
    """Every contender's curve for each task: ``{task: [curve, …]}`` (see the module
    docstring for what each runs)."""
    s = PEERS_QUICK if quick else PEERS
    data = peer_data(s["n_train"], s["n_test"], s["d"])
    X_test = data["X_test"].astype(np.float64)
    out = {}
    for task, contenders in CONTENDERS.items():
        y_test = data[task][1]
        curves = []
        for run in contenders:
            curve = run(data, task, s, X_test, y_test)
            if curve is not None:
                curves.append(curve)
                log(f"  {task} {curve.name}: best held-out {min(p[1] for p in curve.points):.5g} "
                    f"after {curve.seconds:.3g} s")
        out[task] = curves
    return out


def peer_rows(*, quick: bool = False, log: Callable[[str], None] = lambda _m: None) -> list[Row]:
    """One row per task and contender: samples/s, and its time to target relative to
    the faster gdlab contender's (> 1: gdlab gets there sooner); None where it never
    gets within 1 % of the best."""
    rows = []
    for task, curves in peer_curves(quick=quick, log=log).items():
        best = min(loss for c in curves for _, loss in c.points)
        target = best * (1 + WITHIN)
        times = {c.name: c.time_to(target) for c in curves}
        ours = [t for name, t in times.items() if name.startswith("gdlab") and t is not None]
        reference = min(ours) if ours else None
        metric = "mse" if task == "linear" else "log-loss"
        for c in curves:
            t = times[c.name]
            ratio = None if t is None or reference is None else t / reference
            reached = (f"{t:.3g} s to within 1 % of the best held-out {metric} ({best:.4g})"
                       if t is not None else
                       f"never within 1 % of {best:.4g} (its best {min(p[1] for p in c.points):.4g})")
            rows.append(Row(f"peer:{task}:{c.name}", f"{task}: {c.what}",
                            c.samples / c.seconds if c.seconds > 0 else None, ratio, reached))
    return rows
