"""The benchmark harness behind ``gdlab bench``: ratios measured in one run.

Absolute times on shared machines are noise, so every figure is a ratio to a baseline
measured in the same run, on the same data (float32, N rows × d features):

- **full-batch epochs**: effective bandwidth = bytes of X / epoch time, as a fraction
  of one read of X (``X.sum()``), for linear, logistic and softmax regression through
  ``gdlab.train.fit`` (the loop ``gdlab.train`` runs), beside a plain PyTorch epoch;
- **mini-batch epochs**: samples/s of gdlab's loop against
  ``DataLoader(TensorDataset(X, y), batch_size, shuffle=True)`` with nn.Linear, MSELoss
  and torch.optim.SGD, and against the notes' shuffled-index iterator with the notes'
  autograd update, at batch 32, 256 and 4096;
- **scikit-learn**: one epoch of ``SGDRegressor`` / ``SGDClassifier`` against gdlab's
  mini-batch epoch at batch 256;
- **memory**: peak resident memory of a full-batch and a mini-batch run as a multiple
  of the size of X (Linux only);
- **the small end, the CLI, start-up, streaming and DDP**: see :func:`small_rows`,
  :func:`cli_row`, :func:`startup_row`, :func:`stream_row` and :func:`ddp_row`;
- **wide data and peers** (CPU): Ng's exercise on a 209 × 12288 file against the
  course's NumPy loop, and scikit-learn's and Vowpal Wabbit's learners against gdlab's
  by time to a held-out target (:mod:`gdlab.bench_peers`).

Every ratio pairs a measurement with its baseline taken right beside it (the baseline
runs after each of gdlab's epochs, from a ``Callback``, outside the epoch's timing) and
reports the median of the paired ratios, so that a change of load on a shared machine
moves both sides alike. Slow baselines run on a prefix of an epoch (a number of samples
or seconds, iterator set-up included), which leaves samples/s unchanged; gdlab's
figures are whole epochs as ``fit`` records them, per-epoch evaluation included.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from .callbacks import Callback
from .config import TrainConfig
from .data import Dataset
from .data.split import Splits
from .setup import build
from .train import fit

# prefix / budget: a baseline's mini-batch run stops after this many samples or seconds
FULL = {"n": 2_000_000, "d": 100, "classes": 10, "repeats": 5, "prefix": 200_000,
        "budget": 1.0, "sk_rows": 500_000}
QUICK = {"n": 20_000, "d": 20, "classes": 10, "repeats": 3, "prefix": 4_000,
         "budget": 0.05, "sk_rows": 20_000}
BATCHES = (32, 256, 4096)

# Targets: (row key, minimum ratio; the keys in CEILINGS are maxima). Issue 6 set the
# mini-batch and memory ones, issue 11 the small end, CLI, DDP and streaming ones, issue 15
# the full-batch ones.
TARGETS = {
    "full:linear": 0.8, "full:logistic": 0.7, "full:softmax": 0.4,
    "mb:256:dataloader": 20.0, "mb:4096:dataloader": 50.0, "sk:regressor": 2.0,
    "mem:full": 1.3,
    "small:gd": 1.5, "small:mb32": 1.5, "cli:diabetes": 1.3,
    "ddp:2": 0.85, "stream:full": 0.8,
    "wide:f32": 1 / 1.5, "wide:f64": 1 / 1.5,  # ≤ 1.5× the course's NumPy loop's time
}
CEILINGS = {"mem:full", "small:gd", "small:mb32", "cli:diabetes"}


@dataclass
class Row:
    """One line of the table."""

    key: str
    what: str
    samples_per_s: float | None
    ratio: float | None
    baseline: str
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    machine: dict
    sizes: dict
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        goal = TARGETS.get(row.key)
        if goal is not None and row.ratio is not None:
            if row.key in CEILINGS:
                row.target, row.met = f"≤ {goal:.3g}", row.ratio <= goal
            else:
                row.target, row.met = f"≥ {goal:.3g}", row.ratio >= goal
        self.rows.append(row)
        return row

    def table(self) -> str:
        """The rows as a fixed-width text table (also valid Markdown)."""
        head = ("what", "samples/s", "ratio", "baseline", "target", "met")
        body = [
            (
                r.what,
                "" if r.samples_per_s is None else _si(r.samples_per_s),
                "" if r.ratio is None else f"{r.ratio:.3g}",
                r.baseline,
                r.target,
                "" if r.met is None else ("yes" if r.met else "NO"),
            )
            for r in self.rows
        ]
        widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
        line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
        rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([line(head), rule, *(line(b) for b in body)])

    def machine_lines(self) -> str:
        m = self.machine
        return "\n".join(f"- {k}: {v}" for k, v in m.items())

    def markdown(self) -> str:
        s = self.sizes
        return (
            f"# gdlab bench\n\n{self.machine_lines()}\n- data: float32, N = {s['n']:,} rows × "
            f"d = {s['d']} features ({s['n'] * s['d'] * 4 / 1e9:.2f} GB), softmax with "
            f"{s['classes']} classes; median of {s['repeats']} repeats\n\n{self.table()}\n"
        )

    def to_json(self) -> str:
        return json.dumps(
            {"machine": self.machine, "sizes": self.sizes, "rows": [asdict(r) for r in self.rows]},
            indent=2,
        )


def _si(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g}"


def machine(device: torch.device) -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "device": str(device),
    }
    if hasattr(os, "getloadavg"):  # other work on the machine shows in every figure
        info["load average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        import numba

        info["numba"] = f"{numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)"
    except ImportError:  # the fast engine then uses tensor operations only
        info["numba"] = "not installed"
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


# --- the data ------------------------------------------------------------------------------
def make_data(n: int, d: int, classes: int, *, device, seed: int = 0) -> dict:
    """Float32 X with a regression, a binary and a ``classes``-class target."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    w = torch.randn(d, classes, generator=g) / math.sqrt(d)
    scores = X @ w  # (n, d) @ (d, c) -> (n, c)
    y = scores[:, :1] + 0.1 * torch.randn(n, 1, generator=g)
    return {
        "X": X.to(device),
        "regression": y.to(device),
        "binary": (scores[:, :1] > 0).float().to(device),
        "multiclass": scores.argmax(1).to(device),
    }


MODELS = {  # key: (model kind, task, loss)
    "linear": ("linear", "regression", "mse"),
    "logistic": ("logistic", "binary", "bce"),
    "softmax": ("softmax", "multiclass", "cross-entropy"),
}


class _Between(Callback):
    """Runs ``between`` right after each epoch (outside its timing) and times it."""

    def __init__(self, between: Callable[[], float] | None):
        self.between, self.times = between, []

    def on_epoch_end(self, state, entry) -> None:
        if self.between is not None:
            self.times.append(self.between())


def gdlab_epochs(
    data: dict, kind: str, *, batch_size, epochs: int, between: Callable[[], float] | None = None,
    lr: float = 0.01,
) -> tuple[list[float], list[float]]:
    """Epoch times of ``gdlab.train.fit`` (auto engine, as ``gdlab.train`` sets it up)
    on the benchmark data, and the value ``between()`` returned after each epoch."""
    model_kind, task, loss = MODELS[kind]
    X, y = data["X"], data[task]
    cfg = TrainConfig.from_kwargs(
        model=model_kind, optimizer="gd" if batch_size is None else "minibatch",
        batch_size=batch_size, lr=lr, epochs=epochs, quiet=True, val_fraction=0.0,
        test_fraction=0.0, standardize=False, device=X.device.type, loss=loss,
    )
    k = int(data["multiclass"].max()) + 1 if task == "multiclass" else 0
    dataset = Dataset(X=X, y=y, feature_names=[f"x{j}" for j in range(X.shape[1])], task=task,
                      classes=list(range(k)) if k else None, name="bench")
    # the tensors as they are: gdlab.setup.build takes given splits without a copy
    s = build(dataset, cfg, splits=Splits(X_train=X, y_train=y), log=lambda _m: None)
    cb = _Between(between)
    state = fit(s.engine, s.feed, cfg=cfg, callbacks=[cb])
    return [h["seconds"] for h in state.history], cb.times


def timed(fn: Callable[[], object], *, sync: Callable[[], None] = lambda: None) -> Callable[[], float]:
    """``fn`` wrapped to return its wall time."""

    def run() -> float:
        t0 = time.perf_counter()
        fn()
        sync()
        return time.perf_counter() - t0

    return run


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Median of the ratios of measurements taken side by side (robust to load drifts)."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


# --- baselines -----------------------------------------------------------------------------
def torch_full_epoch(X, y, *, lr: float = 0.01) -> Callable[[], None]:
    """A plain PyTorch full-batch epoch: nn.Linear, MSELoss, SGD."""
    model = torch.nn.Linear(X.shape[1], 1).to(X.device)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()

    def epoch():
        opt.zero_grad()
        loss_fn(model(X), y).backward()
        opt.step()

    return epoch


def dataloader_samples(X, y, batch_size: int, prefix: int, budget: float, *, lr: float = 0.01) -> Callable[[], float]:
    """The usual PyTorch loop: DataLoader(TensorDataset, shuffle=True), nn.Linear, MSELoss, SGD."""
    from torch.utils.data import DataLoader, TensorDataset

    model = torch.nn.Linear(X.shape[1], 1).to(X.device)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)

    def run() -> float:
        seen, t0 = 0, time.perf_counter()
        for Xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(Xb), yb).backward()
            opt.step()
            seen += Xb.shape[0]
            if seen >= prefix or time.perf_counter() - t0 > budget:
                break
        return seen / (time.perf_counter() - t0)

    return run


def notes_samples(X, y, batch_size: int, prefix: int, budget: float, *, lr: float = 0.01) -> Callable[[], float]:
    """The notes' from-scratch loop: a shuffled Python index list, X[j], autograd, sgd.

    The epoch's shuffle of a Python list of all n indices is timed apart and charged
    pro rata to the samples run, as a whole epoch would spread it.
    """
    n, d = X.shape
    w = torch.zeros(d, 1, device=X.device, requires_grad=True)
    b = torch.zeros(1, device=X.device, requires_grad=True)

    def run() -> float:
        t0 = time.perf_counter()
        indices = list(range(n))
        random.shuffle(indices)
        setup = time.perf_counter() - t0
        seen, t0 = 0, time.perf_counter()
        for i in range(0, n, batch_size):
            j = torch.tensor(indices[i : i + batch_size], device=X.device)
            Xb, yb = X[j], y[j]
            loss = ((Xb @ w + b - yb) ** 2 / 2).sum()
            loss.backward()
            with torch.no_grad():
                for p in (w, b):
                    p -= lr * p.grad / batch_size
                    p.grad.zero_()
            seen += Xb.shape[0]
            if seen >= prefix or time.perf_counter() - t0 > budget:
                break
        return seen / (time.perf_counter() - t0 + setup * seen / n)

    return run


def sklearn_epoch(X: np.ndarray, y: np.ndarray, *, classifier: bool) -> Callable[[], None]:
    """One epoch (max_iter=1) of scikit-learn's SGDRegressor or SGDClassifier."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    def run():
        est = (
            SGDClassifier(loss="log_loss", penalty=None, max_iter=1, tol=None, random_state=0)
            if classifier
            else SGDRegressor(penalty=None, max_iter=1, tol=None, learning_rate="constant",
                              eta0=1e-3, random_state=0)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch is the point
            est.fit(X, y)

    return run


# --- memory --------------------------------------------------------------------------------
def _proc_kb(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_memory_ratio(run: Callable[[], object], x_bytes: int) -> float | None:
    """(size of X + extra peak resident memory while ``run`` runs) / size of X.

    Resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), so X, already resident,
    counts once; None where that is not available.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    before = _proc_kb("VmRSS")
    run()
    peak = _proc_kb("VmHWM")
    if before is None or peak is None:
        return None
    return (x_bytes + max(0, peak - before) * 1024) / x_bytes


# --- the small end: a small table, the command line, start-up ---------------------------------
def _plain_epochs(X, y, Xv, yv, *, batch_size, epochs: int, lr: float) -> list[float]:
    """A plain PyTorch loop doing what gdlab's epoch does: the same updates (nn.Linear,
    BCEWithLogitsLoss, SGD; a shuffled index per epoch for mini-batches) and the
    training and validation loss after each epoch. Seconds per epoch."""
    torch.manual_seed(0)
    model = torch.nn.Linear(X.shape[1], 1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n, times = X.shape[0], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        if batch_size is None:
            opt.zero_grad()
            loss_fn(model(X), y).backward()
            opt.step()
        else:
            perm = torch.randperm(n)
            for a in range(0, n, batch_size):
                idx = perm[a : a + batch_size]
                opt.zero_grad()
                loss_fn(model(X[idx]), y[idx]).backward()
                opt.step()
        with torch.no_grad():
            _ = loss_fn(model(X), y).item(), loss_fn(model(Xv), yv).item()
        times.append(time.perf_counter() - t0)
    return times


def small_rows(report: Report, *, epochs: int, log) -> None:
    """Logistic regression on breast-cancer (standardized, train/val/test split), full
    batch and mini-batch 32: gdlab's seconds per epoch over a plain PyTorch loop's."""
    from .data import load

    data = load("breast-cancer")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 400-row table: what both loops are fastest with
    try:
        for key, optimizer, bs in (("small:gd", "gd", None), ("small:mb32", "minibatch", 32)):
            cfg = TrainConfig.from_kwargs(optimizer=optimizer, batch_size=bs, lr=0.1, epochs=epochs,
                                          quiet=True, device="cpu")
            s = build(data, cfg, log=lambda _m: None)
            train, val = next(s.feed.pieces("train")), next(s.feed.pieces("val"))
            plain = _plain_epochs(train.X, train.y, val.X, val.y, batch_size=bs, epochs=epochs, lr=0.1)
            state = fit(s.engine, s.feed, cfg=cfg)
            ours = [h["seconds"] for h in state.history]
            ratio = statistics.median(ours) / statistics.median(plain)
            what = "full batch" if bs is None else f"batch {bs}"
            report.add(Row(key, f"small table ({what}, 398 × 30): gdlab / plain PyTorch, s per epoch",
                           1 / statistics.median(ours), ratio,
                           f"plain PyTorch {statistics.median(plain) * 1e6:.0f} µs/epoch"))
            log(f"  small table, {what}: {statistics.median(ours) * 1e6:.0f} µs/epoch, "
                f"{ratio:.3g}× a plain PyTorch loop")
    finally:
        torch.set_num_threads(threads)


def cli_row(report: Report, *, long: int, short: int, log) -> None:
    """``gdlab train diabetes --optimizer gd`` from the command line against the library:
    (CLI ``long`` epochs − CLI ``short``) / (library long − library short), so start-up and
    the run folder's fixed costs cancel out and what is left is the cost per epoch."""
    import subprocess
    import sys
    import tempfile

    from .train import train

    def cli(epochs: int, folder: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gdlab", "train", "diabetes", "--optimizer", "gd",
                        "--epochs", str(epochs), "--quiet", "--out", folder],
                       check=True, capture_output=True, timeout=1800)
        return time.perf_counter() - t0

    def lib(epochs: int) -> float:
        t0 = time.perf_counter()
        train(data="diabetes", optimizer="gd", epochs=epochs, quiet=True)
        return time.perf_counter() - t0

    lib(short)
    with tempfile.TemporaryDirectory(prefix="gdlab-bench-cli-") as tmp:
        pairs = [(cli(long, f"{tmp}/a"), cli(short, f"{tmp}/b"), lib(long), lib(short)) for _ in range(2)]
    ratios = [(a - b) / (c - d) for a, b, c, d in pairs]
    ratio = statistics.median(ratios)
    per = statistics.median((a - b) / (long - short) for a, b, _, _ in pairs)
    report.add(Row("cli:diabetes", f"CLI / library, diabetes full batch ({long} − {short} epochs)",
                   1 / per, ratio, f"library {statistics.median((c - d) for _, _, c, d in pairs):.2f} s"))
    log(f"  CLI vs library: {ratio:.3g}")


def startup_row(report: Report, *, log) -> None:
    """``gdlab --help``: its time over a bare ``python -c pass``, and the heavy modules it
    loaded (none is the contract)."""
    import subprocess
    import sys

    probe = ("import sys, gdlab.cli\n"
             "try:\n    gdlab.cli.cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
             "print('HEAVY:' + ','.join(m for m in ('torch', 'sklearn', 'matplotlib', 'numba') if m in sys.modules))")

    def run(code: str) -> tuple[float, str]:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        marked = [line for line in p.stdout.splitlines() if line.startswith("HEAVY:")]
        return time.perf_counter() - t0, marked[0].removeprefix("HEAVY:") if marked else ""

    pairs = [(run(probe), run("pass")) for _ in range(3)]
    ratio = statistics.median(a[0] / b[0] for a, b in pairs)
    heavy = pairs[0][0][1] or "none"
    report.add(Row("help:startup", "gdlab --help / python -c pass, wall time", None, ratio,
                   f"{statistics.median(a[0] for a, _ in pairs):.2f} s; heavy modules loaded: {heavy}"))
    log(f"  gdlab --help: {ratio:.3g}× python's own start-up; heavy modules: {heavy}")


# --- the whole run -------------------------------------------------------------------------
def run_bench(*, quick: bool = False, device: str = "cpu", log: Callable[[str], None] = print) -> Report:
    """Measure every comparison of the table; returns the :class:`Report`."""
    sizes = dict(QUICK if quick else FULL)
    dev = torch.device(device)
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    n, d, reps, prefix = sizes["n"], sizes["d"], sizes["repeats"], sizes["prefix"]
    budget, sk_rows = sizes["budget"], sizes["sk_rows"]
    report = Report(machine(dev), sizes)
    log(f"gdlab bench: N = {n:,}, d = {d}, float32, {dev}; median of {reps} repeats")
    data = make_data(n, d, sizes["classes"], device=dev)
    X = data["X"]
    x_bytes = X.numel() * X.element_size()

    # --- one read of X: the bandwidth every full-batch figure is compared with. Every
    # ratio pairs a figure with a baseline measured right beside it (after each epoch).
    read = timed(lambda: X.sum(), sync=sync)
    read()
    t_read = statistics.median(read() for _ in range(reps))
    report.add(Row("read", "one read of X (X.sum())", n / t_read, 1.0,
                   f"{x_bytes / t_read / 1e9:.3g} GB/s"))
    log(f"  read: {x_bytes / t_read / 1e9:.3g} GB/s")

    # --- full-batch epochs: effective bandwidth / read bandwidth
    torch_epoch = timed(torch_full_epoch(X, data["regression"]), sync=sync)
    torch_epoch()
    pairs = [(read(), torch_epoch()) for _ in range(reps)]
    t = statistics.median(p[1] for p in pairs)
    report.add(Row("full:torch", "full batch: PyTorch nn.Linear + MSELoss + SGD", n / t,
                   paired_ratio([p[0] for p in pairs], [p[1] for p in pairs]), "one read of X"))
    for kind in MODELS:
        epochs, reads = gdlab_epochs(data, kind, batch_size=None, epochs=reps, between=read)
        ratio = paired_ratio(reads, epochs)
        report.add(Row(f"full:{kind}", f"full batch: gdlab {kind} regression",
                       n / statistics.median(epochs), ratio, "one read of X"))
        log(f"  full batch {kind}: {ratio:.3g} of a read")

    # --- mini-batch epochs (linear regression): samples/s against two common loops
    mb_reps = max(2, reps // 2 + 1)
    for bs in BATCHES:
        if bs >= n:
            continue
        dl = dataloader_samples(X, data["regression"], bs, prefix, budget)
        nt = notes_samples(X, data["regression"], bs, prefix, budget)
        dl(), nt()  # warm up
        epochs, rates = gdlab_epochs(data, "linear", batch_size=bs, epochs=mb_reps,
                                     between=lambda dl=dl, nt=nt: (dl(), nt()))
        ours = [n / t for t in epochs]
        mine = statistics.median(ours)
        report.add(Row(f"mb:{bs}:gdlab", f"batch {bs}: gdlab linear regression", mine, None, ""))
        dl_rate = statistics.median(r[0] for r in rates)
        nt_rate = statistics.median(r[1] for r in rates)
        report.add(Row(f"mb:{bs}:dataloader", f"batch {bs}: gdlab / DataLoader loop", mine,
                       paired_ratio(ours, [r[0] for r in rates]), f"DataLoader {_si(dl_rate)}/s"))
        report.add(Row(f"mb:{bs}:notes", f"batch {bs}: gdlab / the notes' iterator", mine,
                       paired_ratio(ours, [r[1] for r in rates]), f"notes {_si(nt_rate)}/s"))
        log(f"  batch {bs}: gdlab {_si(mine)}/s, DataLoader {_si(dl_rate)}/s, notes {_si(nt_rate)}/s")

    # --- scikit-learn's SGD, one epoch, on the same rows (float64: what it computes in)
    bs = min(256, n)
    m = min(n, sk_rows)
    Xs = X[:m].double().cpu().numpy()
    for key, kind, task, name in (("sk:regressor", "linear", "regression", "SGDRegressor"),
                                  ("sk:classifier", "logistic", "binary", "SGDClassifier")):
        sk = timed(sklearn_epoch(Xs, data[task][:m, 0].double().cpu().numpy(),
                                 classifier=task == "binary"))
        epochs, sk_times = gdlab_epochs(data, kind, batch_size=bs, epochs=mb_reps,
                                        between=sk)
        ours = [n / t for t in epochs]
        report.add(Row(key, f"batch {bs}: gdlab {kind} / {name} epoch", statistics.median(ours),
                       paired_ratio(ours, [m / t for t in sk_times]),
                       f"{name} {_si(m / statistics.median(sk_times))}/s"))
        log(f"  {name}: {_si(m / statistics.median(sk_times))}/s")
    del Xs

    # --- memory: peak resident memory of a run as a multiple of X (CPU only)
    if dev.type == "cpu":
        for key, bs_, what in (("mem:full", None, "full batch"), ("mem:mb", 256, "batch 256")):
            ratio = peak_memory_ratio(
                lambda bs_=bs_: gdlab_epochs(data, "linear", batch_size=bs_, epochs=2), x_bytes
            )
            report.add(Row(key, f"peak memory, {what} run (× size of X)", None, ratio, "size of X"))

    # --- the small end (issue 11)
    small_rows(report, epochs=60 if quick else 400, log=log)
    if dev.type == "cpu":
        cli_row(report, long=200 if quick else 5000, short=20, log=log)
    startup_row(report, log=log)

    # --- beyond memory and one process (issue 7)
    with tempfile.TemporaryDirectory(prefix="gdlab-bench-") as tmp:
        path = Path(tmp) / "bench.npy"
        np.save(path, torch.cat([X, data["regression"]], dim=1).cpu().numpy())
        stream_row(report, path, reps=reps, log=log)
        ddp_row(report, path, quick=quick, log=log)

    # --- wide data, and the tools a practitioner would pick instead (issue 15)
    if dev.type == "cpu":
        from .bench_peers import peer_rows, wide_rows

        for row in wide_rows(quick=quick, log=log) + peer_rows(quick=quick, log=log):
            report.add(row)
    return report


def sequential_read(path: Path, block: int = 16 << 20) -> Callable[[], float]:
    """Seconds to read a file front to back into one reused buffer (the plain-read baseline)."""
    buf = bytearray(block)

    def run() -> float:
        t0 = time.perf_counter()
        with open(path, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass
        return time.perf_counter() - t0

    return run


def stream_row(report: Report, path: Path, *, reps: int, log) -> None:
    """A streamed full-batch gradient pass over the file vs a plain sequential read of it."""
    from .data.stream import open_stream

    data = open_stream(path, val_fraction=0, test_fraction=0, log=lambda _m: None)
    cfg = TrainConfig.from_kwargs(optimizer="gd", lr=0.01, epochs=1, quiet=True, device="cpu")
    s = build(data, cfg, log=lambda _m: None)
    epochs = iter(range(1, 10**9))

    def epoch() -> float:  # one full-batch epoch as fit runs it: the update and the next pass
        t0 = time.perf_counter()
        s.engine.epoch(s.feed, epoch=next(epochs), lr=0.01)
        return time.perf_counter() - t0

    read = sequential_read(path)
    epoch(), read()  # warm: page cache and the kernel
    pairs = [(read(), epoch()) for _ in range(reps)]
    size = path.stat().st_size
    t = statistics.median(p[1] for p in pairs)
    ratio = paired_ratio([p[0] for p in pairs], [p[1] for p in pairs])
    report.add(Row("stream:full", "streamed full-batch gradient pass over a .npy file",
                   data.n_train / t, ratio, f"sequential read {size / statistics.median(p[0] for p in pairs) / 1e9:.3g} GB/s"))
    log(f"  streamed full batch: {ratio:.3g} of a sequential read of the file")


def ddp_row(report: Report, path: Path, *, quick: bool, log) -> None:
    """Training throughput of 2 DDP processes × 1 thread (torchrun, gloo) relative to 1
    process × the machine's threads: full-batch GD, and mini-batches of 256 (per process)."""
    import subprocess
    import sys

    epochs = 3 if quick else 15
    for key, extra, what in (("ddp:2", ["--optimizer", "gd"], "full batch"),
                             ("ddp:2:mb", ["--optimizer", "minibatch", "--batch-size", "256"], "batch 256")):
        rates = []
        for nproc in (1, 2):
            out = path.parent / f"ddp{nproc}-{key.replace(':', '-')}"
            cmd = [sys.executable, "-m", "gdlab", "train", str(path), *extra,
                   "--lr", "0.01", "--epochs", str(epochs), "--no-plots", "--quiet",
                   "--val-fraction", "0", "--test-fraction", "0", "--out", str(out)]
            if nproc > 1:
                cmd += ["--nproc", str(nproc)]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
            if p.returncode != 0:
                log(f"  DDP with {nproc} processes failed: {p.stderr.strip().splitlines()[-1:]}")
                return
            history = (out / "history.csv").read_text().splitlines()[1:]
            seconds = sorted(float(row.split(",")[5]) for row in history)[len(history) // 2]  # median epoch
            n = json.loads((out / "metrics.json").read_text())["n_train"]
            rates.append(n / seconds)
        report.add(Row(key, f"2 DDP processes × 1 thread / 1 process, {what}", rates[1],
                       rates[1] / rates[0], f"1 process {_si(rates[0])}/s"))
        log(f"  DDP, {what}: 2 processes at {rates[1] / rates[0]:.3g}× one process")
