"""The experiments behind ``gdlab compare``, ``gdlab sweep`` and ``gdlab surface``.

Each trains the same data several times through :func:`gdlab.train` (and so through
:func:`gdlab.setup.build`), changing one thing — the engine, the learning rate, the
optimizer — with a new config per run (``TrainConfig.replace``), never by editing one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

from .config import ENGINE_NAMES, TrainConfig
from .errors import DivergedError, GdlabError

ENGINES = tuple(e for e in ENGINE_NAMES if e != "auto")
REFERENCE = "nn"
OPTIMIZER_NAMES = ("gd", "sgd", "minibatch", "momentum", "nesterov", "adam")


def read_data(data, cfg: TrainConfig):
    """A built-in name or a file read as ``gdlab train`` reads it (target, task, features,
    drop, impute, delimiter), or a Dataset as it is."""
    from .data import load

    if not isinstance(data, str):
        return data
    return load(data, target=cfg.target, task=cfg.task, features=cfg.features, drop=cfg.drop,
                impute=cfg.impute, delimiter=cfg.delimiter)


# --- compare: one training, several engines ---------------------------------------------------
def start_model(dataset, cfg: TrainConfig, start):
    """The initial model of a run as ``gdlab.train`` builds it (:func:`gdlab.setup.build`:
    seeded, one input per encoded column, the loss and task checked), its parameters set
    to ``start`` when given: numbers in ``model.parameters()`` order (w then b)."""
    import torch

    from .setup import build

    model = build(dataset, cfg, log=lambda _m: None).model.cpu()
    if start is not None:
        params = list(model.parameters())
        n = sum(p.numel() for p in params)
        if len(start) != n:
            raise GdlabError(f"--start gives {len(start)} number(s); the model has {n} parameter(s) "
                             f"({', '.join(name for name, _ in model.named_parameters())})")
        with torch.no_grad():
            flat = torch.as_tensor([float(v) for v in start], dtype=torch.float64)
            i = 0
            for p in params:
                p.copy_(flat[i : i + p.numel()].reshape(p.shape))
                i += p.numel()
    return model


def compare_engines(data, cfg: TrainConfig, engines: list[str], *, start=None) -> list[dict]:
    """Train ``data`` with ``cfg`` once per engine; one row per engine.

    Every engine gets the same data, split, seed, initial parameters and batch order, so
    the runs differ only in how the gradient step is computed (SPEC.md §2). Each row:
    ``engine``, ``status`` ("ok", "diverged at epoch k" or "refused: …", with the epoch in
    ``diverged_at`` and the reason in ``refused`` for :func:`status_text`), ``final_loss``,
    ``max_param_diff`` (largest |θ − θ_ref| against the reference engine: ``nn`` when
    listed, else the first that ran), ``seconds_per_epoch`` (mean of the history's
    per-epoch seconds: the updates plus that epoch's evaluation) and ``speed_ratio``
    (slowest engine's seconds per epoch / this one's). ``start``: the initial parameters
    (numbers in ``model.parameters()`` order), as the lessons' ``w = 1.0``.
    """
    import copy

    import numpy as np

    from .train import flat_params, train

    dataset = read_data(data, cfg)
    init = start_model(dataset, cfg, start)
    rows, params = [], {}
    for name in engines:
        row = {"engine": name, "status": "ok", "final_loss": None, "max_param_diff": None,
               "seconds_per_epoch": None, "speed_ratio": None, "diverged_at": None, "refused": None}
        try:
            run = train(copy.deepcopy(init), dataset, config=cfg.replace(engine=name),
                        log=lambda _m: None)
        except DivergedError as e:
            run, row["status"], row["diverged_at"] = e.run, f"diverged at epoch {e.epoch}", e.epoch
        except GdlabError as e:  # e.g. the scalar engine refusing large data
            row["refused"] = str(e).split(";")[0]
            row["status"] = f"refused: {row['refused']}"
            rows.append(row)
            continue
        row["final_loss"] = run.history[-1]["train_loss"]
        row["seconds_per_epoch"] = sum(h["seconds"] for h in run.history) / len(run.history)
        params[name] = flat_params(run.model)
        rows.append(row)
    if not params:
        raise GdlabError("no engine could run this training: " + "; ".join(
            f"{r['engine']}: {r['status']}" for r in rows))
    reference = REFERENCE if REFERENCE in params else next(iter(params))
    slowest = max(r["seconds_per_epoch"] for r in rows if r["seconds_per_epoch"] is not None)
    for r in rows:
        if r["engine"] in params:
            r["max_param_diff"] = float(np.abs(params[r["engine"]] - params[reference]).max())
            r["speed_ratio"] = slowest / r["seconds_per_epoch"] if r["seconds_per_epoch"] > 0 else math.inf
        r["reference"] = reference
    return rows


# --- sweep: one training, several learning rates -------------------------------------------------
def status_text(lang: str, *, diverged_at: int | None = None, refused: str | None = None) -> str:
    """A run's status for people: ok, diverged at epoch k, or refused (and why)."""
    from .i18n import t

    if refused is not None:
        return t("exp.status.refused", lang, why=refused)
    if diverged_at is not None:
        return t("exp.status.diverged", lang, epoch=diverged_at)
    return t("exp.status.ok", lang)


def sweep(data, cfg: TrainConfig, lrs: list[float], *, log: Callable[[str], None] = print,
          lang: str = "en") -> tuple[dict, dict]:
    """Train once per learning rate: (lr → history, lr → epoch it diverged at or None)."""
    from .i18n import t
    from .train import train

    dataset = read_data(data, cfg)
    curves, diverged = {}, {}
    for lr in lrs:
        try:
            run = train(None, dataset, config=cfg.replace(lr=lr), log=lambda _m: None)
            diverged[lr] = None
        except DivergedError as e:
            run, diverged[lr] = e.run, e.epoch
        curves[lr] = run.history
        last = run.history[-1]
        log(t("sweep.progress", lang, lr=lr, loss=last["train_loss"],
              status=status_text(lang, diverged_at=diverged[lr])))
    return curves, diverged


# --- surface: one start, several optimizers --------------------------------------------------------
def optimizer_paths(dataset, cfg: TrainConfig, specs, *, start=None, log: Callable[[str], None] = print,
                    lang: str = "en") -> dict:
    """Train once per optimizer spec (label, optimizer, batch size) from the same initial
    parameters (``start`` = (w, b) for a two-parameter model); label → (run, diverged)."""

    from .i18n import ljust, t
    from .train import train

    init = start_model(dataset, cfg, None)
    if start is not None:
        if sum(p.numel() for p in init.parameters()) != 2:
            raise GdlabError("--start W,B needs a model with two parameters (one feature, "
                             f"linear or logistic regression); {dataset.name} gives more")
        init = start_model(dataset, cfg, start)
    results = {}
    for label, name, size in specs:
        try:
            run = train(copy.deepcopy(init), dataset, config=cfg.replace(optimizer=name, batch_size=size),
                        log=lambda _m: None)
            diverged = None
        except DivergedError as e:
            run, diverged = e.run, e.epoch
        results[label] = (run, diverged)
        last = run.history[-1]["train_loss"]
        status = "" if diverged is None else "  " + status_text(lang, diverged_at=diverged)
        log(t("surface.progress", lang, label=ljust(label, 14), updates=len(run.path) - 1, loss=last,
              status=status).rstrip())
    return results


def parse_optimizers(text: str) -> list[tuple[str, str, int | str | None]]:
    """'gd,minibatch:5' → [(label, optimizer, batch_size), ...]."""
    specs = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, batch = part.partition(":")
        if name not in OPTIMIZER_NAMES:
            raise GdlabError(f"--optimizers: unknown optimizer {name!r} in {text!r}; "
                             f"choose from {', '.join(OPTIMIZER_NAMES)}")
        if batch:
            if name in ("gd", "sgd"):
                raise GdlabError(f"--optimizers: {part!r}: {name} takes no batch size")
            try:
                size: int | str | None = int(batch)
            except ValueError:
                raise GdlabError(f"--optimizers: batch size in {part!r} must be an integer") from None
            if size < 1:
                raise GdlabError(f"--optimizers: batch size in {part!r} must be ≥ 1")
        else:
            size = None if name in ("gd", "sgd", "minibatch") else "full"
        specs.append((part, name, size))
    if not specs:
        raise GdlabError("--optimizers needs at least one optimizer")
    return specs
