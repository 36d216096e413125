"""Benchmark rows beside ``gdlab bench``'s: wide data, and the tools a practitioner
would pick instead of gdlab.

**Wide data** (:func:`wide_rows`): Andrew Ng's week-2 exercise, logistic regression by
full-batch gradient descent on catvnoncat's shape, 209 images × 12288 pixels, 2000
iterations of lr 0.005 from w = 0, b = 0. gdlab's side is the compiled kernel alone
(:func:`wide_gdlab_loop`: one ``pass_sums`` + ``finish`` + update per iteration); the
baseline is the course's NumPy loop on the course's layout X (n_x, m)
(:func:`wide_numpy_loop`). The ratio is NumPy's time / gdlab's, paired run by run
(median); the issue's target "≤ 1.5× NumPy's time" is a ratio ≥ 0.67.

**Peers** (:func:`peer_rows`): the same standardized float32 data for every contender,
a linear and a logistic regression task, and for each contender its samples/s and its
**time to target** — training seconds until its held-out loss (mse; mean log-loss) is
within 1 % of the best that any contender reaches. Held-out losses are computed outside
the timing, in float64, from each model's weights or predictions. Each contender runs:

- ``gdlab-gd``: full-batch gradient descent, one ``pass_sums`` + ``finish`` + update per
  iteration, fixed lr (``LR``), all cores;
- ``gdlab-mb``: ``minibatch_epoch`` (batch 256, plain SGD, fixed lr), a fresh permutation
  per epoch, one thread;
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
from .engines import kernels

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


def wide_gdlab_loop(X: np.ndarray, y: np.ndarray, *, iterations: int, lr: float,
                    n_threads: int | None = None) -> tuple[float, np.ndarray, float]:
    """gdlab's kernel on the exercise: per iteration one ``pass_sums`` (bce; X rows are
    the examples), ``finish`` (scale 1/m) and w ← w − lr·g. Returns (seconds, w, b)."""
    n, d = X.shape
    dt = X.dtype
    W, b = np.zeros((1, d), dt), np.zeros(1, dt)
    gW, gb = np.empty_like(W), np.empty_like(b)
    Y, labels = kernels.targets(y.reshape(n, 1), kernels.BCE, dt)
    sums = np.empty(kernels.sums_size(1, d))
    threads = n_threads or _threads()
    t0 = time.perf_counter()
    for _ in range(iterations):
        sums[:] = 0.0
        kernels.pass_sums(X, Y, labels, None, W, b, kernels.BCE, threads, sums)
        kernels.finish(sums, W, scale=1.0 / n, l2=0.0, l1=0.0, gW=gW, gb=gb)
        W -= dt.type(lr) * gW
        b -= dt.type(lr) * gb
    return time.perf_counter() - t0, W[0], float(b[0])


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


def kernel_only_wide_seconds(*, n: int = 209, d: int = 12288, iterations: int = 2000,
                             dtype=np.float32, lr: float = 0.005, n_threads: int | None = None,
                             seed: int = 0) -> float:
    """Seconds of :func:`wide_gdlab_loop` on :func:`wide_data` of shape (n, d) (after one
    untimed iteration, which compiles the kernel)."""
    X, y = wide_data(n, d, np.dtype(dtype).type, seed)
    wide_gdlab_loop(X, y, iterations=1, lr=lr, n_threads=n_threads)
    return wide_gdlab_loop(X, y, iterations=iterations, lr=lr, n_threads=n_threads)[0]


def wide_rows(*, quick: bool = False, log: Callable[[str], None] = lambda _m: None) -> list[Row]:
    """One row per dtype: the exercise's iterations/s through gdlab's kernel, and NumPy's
    time / gdlab's (paired, median of ``repeats``)."""
    s = WIDE_QUICK if quick else WIDE
    n, d, iterations, lr = s["n"], s["d"], s["iterations"], s["lr"]
    rows = []
    for dtype in (np.float32, np.float64):
        X, y = wide_data(n, d, dtype)
        X_cols = np.ascontiguousarray(X.T)  # the course's layout: one column per image
        wide_gdlab_loop(X, y, iterations=1, lr=lr)  # compile
        wide_numpy_loop(X_cols, y, iterations=1, lr=lr)
        pairs = []
        for _ in range(s["repeats"]):
            t_np = wide_numpy_loop(X_cols, y, iterations=iterations, lr=lr)[0]
            t_gd = wide_gdlab_loop(X, y, iterations=iterations, lr=lr)[0]
            pairs.append((t_np, t_gd))
        t_gd = statistics.median(p[1] for p in pairs)
        t_np = statistics.median(p[0] for p in pairs)
        name = np.dtype(dtype).name
        rows.append(Row(
            f"wide:{'f32' if dtype == np.float32 else 'f64'}",
            f"wide data ({n} × {d}, {name}): {iterations} GD iterations, gdlab kernel",
            n * iterations / t_gd, statistics.median(a / b for a, b in pairs),
            f"NumPy loop ({name}) {t_np:.3g} s; gdlab {t_gd:.3g} s",
        ))
        log(f"  wide {name}: gdlab {t_gd:.3g} s, NumPy {t_np:.3g} s")
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


def _gdlab_gd(data, task, s, X_test, y_test) -> _Curve:
    X, (y, _) = data["X"], data[task]
    n, d = X.shape
    code = kernels.SQUARED if task == "linear" else kernels.BCE
    lr = LR[task]["gd"]
    c = _Curve("gdlab-gd", f"gdlab full-batch GD (pass_sums + finish), lr {lr:g}")
    W, b = np.zeros((1, d), np.float32), np.zeros(1, np.float32)
    gW, gb = np.empty_like(W), np.empty_like(b)
    Y, labels = kernels.targets(y.astype(np.float32).reshape(n, 1), code, np.float32)
    sums = np.empty(kernels.sums_size(1, d))
    scale = (2.0 if code == kernels.SQUARED else 1.0) / n
    kernels.pass_sums(X[:64], Y[:64], labels, None, W, b, code, 1, sums)  # compile, untimed
    elapsed = 0.0
    for step in range(1, 50 * s["max_steps"] + 1):
        t0 = time.perf_counter()
        sums[:] = 0.0
        kernels.pass_sums(X, Y, labels, None, W, b, code, _threads(), sums)
        kernels.finish(sums, W, scale=scale, l2=0.0, l1=0.0, gW=gW, gb=gb)
        W -= np.float32(lr) * gW
        b -= np.float32(lr) * gb
        elapsed += time.perf_counter() - t0
        c.add(elapsed, held_out_loss(task, X_test @ W[0] + b[0], y_test), step * n)
        if elapsed > s["budget"] or c.settled():
            break
    return c


def _gdlab_mb(data, task, s, X_test, y_test) -> _Curve:
    X, (y, _) = data["X"], data[task]
    n, d = X.shape
    code = kernels.SQUARED if task == "linear" else kernels.BCE
    lr = LR[task]["mb"]
    c = _Curve("gdlab-mb", f"gdlab minibatch_epoch, batch {BATCH}, sgd lr {lr:g}")
    W, b = np.zeros((1, d), np.float32), np.zeros(1, np.float32)
    Y, labels = kernels.targets(y.astype(np.float32).reshape(n, 1), code, np.float32)
    rng = np.random.default_rng(0)
    empty_W, empty_b = np.zeros((0, 0), np.float32), np.zeros(0, np.float32)
    kernels.minibatch_epoch(X[:64], Y[:64], labels, np.arange(64), W.copy(), b.copy(),
                            batch_size=BATCH, loss=code, half=False, rule="sgd", lr=lr, l2=0.0,
                            momentum=0.0, bufW=empty_W, bufb=empty_b, has_buf=False)  # compile
    elapsed = 0.0
    for epoch in range(1, s["max_steps"] + 1):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        kernels.minibatch_epoch(X, Y, labels, order, W, b, batch_size=BATCH, loss=code,
                                half=False, rule="sgd", lr=lr, l2=0.0, momentum=0.0,
                                bufW=empty_W, bufb=empty_b, has_buf=False)
        elapsed += time.perf_counter() - t0
        c.add(elapsed, held_out_loss(task, X_test @ W[0] + b[0], y_test), epoch * n)
        if elapsed > s["budget"] or c.settled(3):
            break
    return c


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
