"""Dive into Deep Learning 3.2–3.3: linear regression from scratch and concise (seed 002).

Data: 1000 rows, X ~ N(0, 1) with 2 features, y = X·[2, −3.4] + 4.2 + N(0, 0.01²).

- Vectorization: adding two 1000-vectors element by element in a Python loop versus
  one tensor operation; then where it starts to pay: Python floats against one tensor
  call for growing n, and gdlab's ``scalar`` engine against its ``manual`` one for growing
  numbers of rows (the crossovers).
- From scratch: shuffled mini-batches of 10, ŷ = Xw + b, the half squared loss
  ½(ŷ − y)² averaged over the batch, w ~ N(0, 0.01²), b = 0, mini-batch SGD with lr 0.03
  for 3 epochs; gradients by autograd, the update written by hand (``autograd`` engine)::

      ∂/∂w mean ½(ŷ − y)² = (1/|B|) Σᵢ (ŷᵢ − yᵢ) xᵢ,   w ← w − η ∂/∂w

- Concise: ``nn.Linear(2, 1)``, ``MSELoss`` (mean of (ŷ − y)², no ½) and
  ``torch.optim.SGD`` (``nn`` engine), same lr, same start, same batches. Its gradient
  is exactly twice the scratch one, so at lr 0.03 it moves like scratch at lr 0.06.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import numpy as np
import torch

from ..data import load
from ..i18n import Texts
from ..models import LinearRegression
from ..train import flat_params, train
from ..viz.common import COLORS, new_figure, styled
from .common import (
    NOTES_SETTINGS,
    EpochPrinter,
    Errata,
    Figures,
    Log,
    curves_figure,
    paragraph,
    table,
)

NAME = "d2l-linear"

N, NOISE, SEED = 1000, 0.01, 0
BATCH, LR, EPOCHS, INIT_STD = 10, 0.03, 3, 0.01
VECTOR_N = 1000  # the notes add two 1000-vectors (d2l's book uses 10000)
SWEEP_N = (1, 4, 16, 64, 256, 1024, 4096)  # vector lengths: where one tensor call pays
ENGINE_ROWS = (3, 10, 30, 100, 300, 1000)  # rows: where the vectorized engine pays
ENGINE_EPOCHS = 20


def time_vectorization(n: int = VECTOR_N, *, repeats: int = 5, calls: int = 100) -> tuple[float, float]:
    """Seconds to add two n-vectors in a Python loop and as one operation.

    The best of ``repeats`` timings each; the vector sum is timed over ``calls`` calls and
    divided, since one call is close to the clock's resolution.
    """
    a, b = torch.ones(n), torch.ones(n)
    loop, vector = [], []
    for _ in range(repeats):
        c = torch.zeros(n)
        t0 = time.perf_counter()
        for i in range(n):
            c[i] = a[i] + b[i]  # one interpreted operation per element
        loop.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(calls):
            d = a + b  # one call for all n elements
        vector.append((time.perf_counter() - t0) / calls)
    if not torch.equal(c, d):
        raise AssertionError("the loop and the vector sum disagree")
    return min(loop), min(vector)


def notes_timing(n: int = VECTOR_N) -> dict:
    """One ``a + b`` timed as the notes time it — ``time.time()`` around a single call,
    printed with ``'%.5f sec'`` — beside what that clock and format can resolve."""
    a, b = torch.ones(n), torch.ones(n)
    start = time.time()
    d = a + b  # the notes' measurement: one call, the first one
    first = time.time() - start
    t0 = time.perf_counter()
    for _ in range(1000):
        d = a + b
    per_call = (time.perf_counter() - t0) / 1000
    del d
    return {"printed": f"{first:.5f} sec",  # as the notes print it: '%.5f sec'
            "first_seconds": first, "per_call_seconds": per_call,
            "clock_step_seconds": math.ulp(time.time())}


def _best(fn, *, repeats: int = 5, calls: int = 20) -> float:
    """Seconds per call of ``fn``: the best of ``repeats`` averages over ``calls`` calls."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


def vector_sweep(lengths=SWEEP_N) -> list[dict]:
    """For each n: a Python loop adding two lists of n floats, against one tensor ``a + b``."""
    rows = []
    for n in lengths:
        xs, ys = [1.0] * n, [1.0] * n
        a, b = torch.ones(n), torch.ones(n)
        loop = _best(lambda xs=xs, ys=ys: [x + y for x, y in zip(xs, ys, strict=True)])
        vector = _best(lambda a=a, b=b: a + b)
        rows.append({"n": n, "loop_seconds": loop, "vector_seconds": vector})
    return rows


def engine_sweep(rows=ENGINE_ROWS) -> list[dict]:
    """For each number of rows: seconds per full-batch epoch of gdlab's ``scalar`` engine
    (Python floats) and ``manual`` engine (vectorized tensors), float64, the best epoch."""
    out = []
    for n in rows:
        data = load("synthetic-linear", n=n, noise=NOISE, seed=SEED)
        seconds = {}
        for engine in ("scalar", "manual"):
            run = train(None, data, optimizer="gd", lr=LR, epochs=ENGINE_EPOCHS, engine=engine,
                        dtype="float64", seed=SEED, **NOTES_SETTINGS)
            seconds[engine] = min(h["seconds"] for h in run.history)
        out.append({"n": n, "scalar_seconds": seconds["scalar"], "manual_seconds": seconds["manual"]})
    return out


def crossover(rows: list[dict], *, slow: str, fast: str) -> int | None:
    """The first size from which ``fast`` takes less time than ``slow`` at every larger
    size (``rows`` in increasing size), or None."""
    for i, r in enumerate(rows):
        if all(q[fast] < q[slow] for q in rows[i:]):
            return r["n"]
    return None


def _train(model, data, *, lr: float, loss: str, engine: str, log: Log | None, line: str):
    callbacks = [] if log is None else [EpochPrinter(log, lambda e: line.format(**e))]  # a catalogue template
    return train(model, data, optimizer="minibatch", batch_size=BATCH, lr=lr, epochs=EPOCHS,
                 loss=loss, engine=engine, seed=SEED, callbacks=callbacks, **NOTES_SETTINGS)


def _errors(run, true_w, true_b, log: Log, tr: Texts) -> tuple[list[float], float]:
    params = run.metrics["params"]
    w_err = [float(t - w) for t, w in zip(true_w, params["weight"], strict=True)]
    b_err = float(true_b - params["bias"][0])
    log(tr("w_error", w0=w_err[0], w1=w_err[1]))
    log(tr("b_error", b=b_err))
    return w_err, b_err


def run(*, out: Path | None, log: Log = print, data: str | None = None, lang: str = "en") -> dict:
    """Run the lesson; returns the numbers it printed."""
    tr = Texts(lang, NAME)
    errata = Errata(tr, log)
    dataset = load("synthetic-linear", n=N, noise=NOISE, seed=SEED)
    true_w, true_b = dataset.meta["true_w"], dataset.meta["true_b"]
    log(tr("data", n=N, w=true_w, b=true_b, noise=NOISE))
    log(tr("first_row", x=np.round(dataset.X[0], 4).tolist(), y=dataset.y[0]))

    log("\n" + tr("h.vector", n=VECTOR_N))
    loop_s, vector_s = time_vectorization()
    log(tr("loop_time", seconds=loop_s))
    log(tr("vector_time", seconds=vector_s, us=vector_s * 1e6))
    log(tr("ratio", ratio=loop_s / vector_s))
    timing = notes_timing()
    errata.say("timer", printed=timing["printed"], per_call=timing["per_call_seconds"] * 1e6,
               step=timing["clock_step_seconds"] * 1e6, first=timing["first_seconds"] * 1e6)

    log("\n" + tr("h.pays"))
    sweep = vector_sweep()
    for line in table([tr("col.n"), tr("col.loop"), tr("col.vector"), tr("col.ratio")],
                      [[r["n"], f"{r['loop_seconds'] * 1e6:.2f}", f"{r['vector_seconds'] * 1e6:.2f}",
                        f"{r['loop_seconds'] / r['vector_seconds']:.2f}"] for r in sweep]):
        log("  " + line)
    vector_cross = crossover(sweep, slow="loop_seconds", fast="vector_seconds")
    call = min(r["vector_seconds"] for r in sweep) * 1e6
    paragraph(log, tr("pays_vector", n=vector_cross, call=call) if vector_cross is not None
              else tr("pays_vector_none", n=sweep[-1]["n"], call=call), indent="  ")
    engines = engine_sweep()
    for line in table([tr("col.rows"), tr("col.scalar"), tr("col.manual"), tr("col.ratio_engines")],
                      [[r["n"], f"{r['scalar_seconds'] * 1e3:.3f}", f"{r['manual_seconds'] * 1e3:.3f}",
                        f"{r['scalar_seconds'] / r['manual_seconds']:.2f}"] for r in engines]):
        log("  " + line)
    engine_cross = crossover(engines, slow="scalar_seconds", fast="manual_seconds")
    last = engines[-1]
    ratio = last["scalar_seconds"] / last["manual_seconds"]
    paragraph(log, tr("pays_engines", n=engine_cross, rows=last["n"], ratio=ratio)
              if engine_cross is not None else tr("pays_engines_none", rows=last["n"], ratio=ratio),
              indent="  ")

    log("\n" + tr("h.scratch", batch=BATCH, lr=LR, epochs=EPOCHS))
    torch.manual_seed(SEED)
    model = LinearRegression(2, init_std=INIT_STD)  # w ~ N(0, 0.01²), b = 0
    start = copy.deepcopy(model.state_dict())
    scratch = _train(model, dataset, lr=LR, loss="half-mse", engine="autograd", log=log,
                     line=tr.template("scratch_epoch"))
    s_w, s_b = _errors(scratch, true_w, true_b, log, tr)

    log("\n" + tr("h.concise", lr=LR))
    model = LinearRegression(2)
    model.load_state_dict(start)
    concise = _train(model, dataset, lr=LR, loss="mse", engine="nn", log=log,
                     line=tr.template("concise_epoch"))
    c_w, c_b = _errors(concise, true_w, true_b, log, tr)

    log("\n" + tr("h.differ"))
    model = LinearRegression(2)
    model.load_state_dict(start)
    double = _train(model, dataset, lr=2 * LR, loss="half-mse", engine="autograd", log=None, line="")
    diff = float(np.abs(flat_params(double.model) - flat_params(concise.model)).max())
    s1, c1 = scratch.history[0]["train_loss"], concise.history[0]["train_loss"]
    log(tr("same_units", scratch=2 * s1, concise=c1))
    same = tr("same_exact") if diff == 0 else tr("same_rounding", diff=diff)
    log(tr("twice", lr=2 * LR, same=same))

    figures = Figures(out)
    figures.save("d2l-data.png", lambda: _scatter(dataset, tr))
    figures.save("d2l-loss.png", lambda: _loss_figure(scratch, concise, double, tr, lang))
    figures.save("d2l-vectorization.png", lambda: _speed_figure(sweep, engines, tr))
    return {
        "true_w": list(true_w),
        "true_b": true_b,
        "loop_seconds": loop_s,
        "vector_seconds": vector_s,
        "ratio": loop_s / vector_s,
        "notes_timing": timing,
        "vector_sweep": sweep,
        "vector_crossover": vector_cross,
        "engine_sweep": engines,
        "engine_crossover": engine_cross,
        "scratch_losses": [h["train_loss"] for h in scratch.history],
        "scratch_w_error": s_w,
        "scratch_b_error": s_b,
        "concise_losses": [h["train_loss"] for h in concise.history],
        "concise_w_error": c_w,
        "concise_b_error": c_b,
        "scratch_lr_x2_vs_concise": diff,
        "updates_per_epoch": N // BATCH,
        "notes_errors": errata.shown,
        "figures": figures.paths,
    }


@styled
def _scatter(dataset, tr: Texts):
    fig = new_figure(5.5)
    ax = fig.subplots(1, 1)
    ax.scatter(dataset.X[:, 1], dataset.y, s=4, color=COLORS[0], alpha=0.6)
    ax.set_xlabel(tr("fig.x2"))
    ax.set_ylabel(tr("fig.label"))
    ax.set_title(tr("fig.scatter_sub"), fontsize=12)
    fig.suptitle(tr("fig.scatter_title"))
    return fig


def _loss_figure(scratch, concise, double, tr: Texts, lang: str):
    """Loss in the same units (mean (ŷ − y)²) per epoch and per update."""
    epochs = list(range(EPOCHS + 1))

    def per_epoch(r, factor):
        return epochs, [factor * r.initial_loss] + [factor * h["train_loss"] for h in r.history]

    def per_update(r, factor, k=100):
        steps = r.steps[:k]
        return [s["step"] for s in steps], [factor * s["loss"] for s in steps]

    runs = {
        tr("fig.scratch", lr=LR): (scratch, 2.0),
        tr("fig.concise", lr=LR): (concise, 1.0),
        tr("fig.scratch", lr=2 * LR): (double, 2.0),
    }
    return curves_figure([
        {"title": tr("fig.per_epoch"), "ylabel": tr("fig.mse_all"),
         "series": {k: per_epoch(r, f) for k, (r, f) in runs.items()}},
        {"title": tr("fig.per_update"), "ylabel": tr("fig.mse_batch"),
         "xlabel": tr("fig.update_axis"),
         "series": {k: per_update(r, f) for k, (r, f) in runs.items()}},
    ], title=tr("fig.loss_title"), lang=lang)


@styled
def _speed_figure(sweep: list[dict], engines: list[dict], tr: Texts):
    """Time against size, log-log: a loop grows with n, one call costs the same until n is large."""
    fig = new_figure(5.6)
    ax1, ax2 = fig.subplots(1, 2)
    n = [r["n"] for r in sweep]
    ax1.plot(n, [1e6 * r["loop_seconds"] for r in sweep], marker="o", color=COLORS[1],
             label=tr("fig.loop_series"))
    ax1.plot(n, [1e6 * r["vector_seconds"] for r in sweep], marker="s", color=COLORS[0],
             label=tr("fig.vector_series"))
    ax1.set_xlabel(tr("fig.n_axis"))
    ax1.set_ylabel(tr("fig.us_axis"))
    ax1.set_title(tr("fig.vector_panel"), fontsize=12)
    rows = [r["n"] for r in engines]
    ax2.plot(rows, [1e3 * r["scalar_seconds"] for r in engines], marker="o", color=COLORS[1],
             label=tr("fig.scalar_series"))
    ax2.plot(rows, [1e3 * r["manual_seconds"] for r in engines], marker="s", color=COLORS[0],
             label=tr("fig.manual_series"))
    ax2.set_xlabel(tr("fig.rows_axis"))
    ax2.set_ylabel(tr("fig.ms_axis"))
    ax2.set_title(tr("fig.engine_panel"), fontsize=12)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(loc="upper left")
    fig.suptitle(tr("fig.speed_title"))
    return fig
