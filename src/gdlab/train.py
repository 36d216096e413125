"""The training loop, and ``train``: set up, run the loop, finish.

:func:`fit` is the loop, in phases: set lr → the engine's epoch → evaluate → log → stop?
It knows engines and feeds only by their interfaces (``engine.epoch``,
``engine.train_loss``, ``feed.n_batches``, :mod:`gdlab.evaluate`), so the same loop
trains in memory, on a stream or on a shard of a distributed run, and callbacks do the
rest (printing, best weights, checkpoints, the playground's pauses). The stopping rule
is a pure function, :func:`check_stop`.

:func:`train` builds everything with :func:`gdlab.setup.build`, runs :func:`fit`, then
restores the best weights (early stopping), scores the test split and returns a
:class:`~gdlab.run.Run`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import distributed
from .callbacks import BestWeights, Callback, ProgressLog, wants_progress
from .config import MODELS, TrainConfig
from .data import Dataset
from .distributed import Comm
from .engines.base import one_thread
from .errors import DivergedError, GdlabError
from .evaluate import split_loss, split_scores
from .metrics import model_params
from .run import Run
from .setup import (  # noqa: F401  (re-exported: the names other modules used from here)
    build,
    check_compatible,
    model_kind,
    resolve_device,
    target_tensor,
)

DIVERGE_FACTOR = 1e4  # a loss this many times the initial loss counts as diverged
MAX_RECORDED_STEPS = 200_000  # per-update losses kept for plots (memory bound)


@dataclass
class TrainState:
    """Everything needed to continue a run after epoch ``epoch`` (what a checkpoint holds)."""

    epoch: int = 0
    step: int = 0
    history: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    initial_loss: float | None = None
    best_loss: float = math.inf  # the stopping rule's memory (see check_stop)
    best_epoch: int = 0
    no_improve: int = 0
    best_state: dict | None = None  # the best epoch's weights (BestWeights)
    stopped_reason: str | None = None
    seconds: float = 0.0
    model: torch.nn.Module | None = None  # the live model and engine while training
    engine: object | None = None
    path: list | None = None  # flattened parameters after each update (record_path)
    model_state: dict | None = None  # what a loaded checkpoint restores
    engine_state: dict | None = None


def lr_at(cfg: TrainConfig, epoch: int, base: float | None = None) -> float:
    """The learning rate for ``epoch`` (1-based) under the configured schedule, starting
    from ``base`` (default: the configured ``lr``)."""
    lr = cfg.lr if base is None else base
    if cfg.schedule == "step":
        return lr * cfg.lr_gamma ** ((epoch - 1) // cfg.lr_step)
    if cfg.schedule == "invscaling":
        return lr / epoch**cfg.power_t
    return lr


def check_stop(cfg: TrainConfig, initial_loss: float, state: TrainState, entry: dict):
    """The stopping rule, as a pure function of the settings, the rule's memory and the
    new epoch's entry. Returns (reason or None, best_loss, best_epoch, no_improve).

    - ``diverged``: the training loss is not finite, or above DIVERGE_FACTOR × its start;
    - ``grad_tol``: the last update's gradient norm fell below ``grad_tol``;
    - ``early_stopping`` (on the validation loss) or ``tol`` (on the training loss): the
      monitored loss has not beaten its best by more than ``tol`` for ``patience``
      epochs (as scikit-learn counts); the best is kept on any improvement, however small.
    """
    best, best_epoch, waited = state.best_loss, state.best_epoch, state.no_improve
    loss = entry["train_loss"]
    if not math.isfinite(loss) or loss > DIVERGE_FACTOR * max(initial_loss, 1e-12):
        return "diverged", best, best_epoch, waited
    if cfg.grad_tol is not None and entry["grad_norm"] < cfg.grad_tol:
        return "grad_tol", best, best_epoch, waited
    if cfg.early_stopping and entry["val_loss"] is not None:
        monitored, reason = entry["val_loss"], "early_stopping"
    elif cfg.tol is not None:
        monitored, reason = loss, "tol"
    else:
        return None, best, best_epoch, waited
    waited = 0 if monitored < best - (cfg.tol or 0.0) else waited + 1
    if monitored < best:
        best, best_epoch = monitored, entry["epoch"]
    return (reason if waited >= cfg.patience else None), best, best_epoch, waited


class _StepRecorder:
    """After each update: count it, keep its loss and parameters, call the callbacks."""

    def __init__(self, state: TrainState, callbacks, n_batches: int):
        self.state, self.callbacks, self.n_batches = state, callbacks, max(1, n_batches)
        self.epoch, self.i = 0, 0

    def start(self, epoch: int) -> None:
        self.epoch, self.i = epoch, 0

    def __call__(self, loss: float) -> None:
        s = self.state
        self.i += 1
        s.step += 1
        if len(s.steps) < MAX_RECORDED_STEPS:
            s.steps.append({"step": s.step, "epoch": self.epoch - 1 + self.i / self.n_batches, "loss": loss})
        if s.path is not None:
            s.path.append(flat_params(s.model))
        for cb in self.callbacks:
            cb.on_step_end(s, s.step, loss)

    def record(self, losses: list[float]) -> None:
        """The updates of an epoch the engine ran in one go."""
        s = self.state
        room = max(0, MAX_RECORDED_STEPS - len(s.steps))
        s.steps.extend(
            {"step": s.step + i + 1, "epoch": self.epoch - 1 + (i + 1) / self.n_batches, "loss": loss}
            for i, loss in enumerate(losses[:room])
        )
        s.step += len(losses)


def fit(
    engine,
    feed,
    *,
    cfg: TrainConfig,
    state: TrainState | None = None,
    callbacks: Sequence[Callback] = (),
    lr_fn: Callable[[int], float] | None = None,
) -> TrainState:
    """The epoch loop: set lr → the engine's epoch → evaluate → log → stop?

    ``lr_fn(epoch)`` gives each epoch's learning rate (default: ``cfg``'s schedule); a
    caller that changes the rate while the loop runs (the playground's slider) passes
    its own, which the loop reads at the start of every epoch. Returns the final
    :class:`TrainState`; the caller restores nothing.
    """
    state = state or TrainState()
    state.model, state.engine = engine.model, engine
    lr_fn = lr_fn or (lambda epoch: lr_at(cfg, epoch))
    steps = _StepRecorder(state, callbacks, feed.n_batches)
    with _threads_for(feed, engine):
        if state.initial_loss is None:
            state.initial_loss = engine.train_loss(feed)[0]
        if cfg.record_path and state.path is None:
            state.path = [flat_params(engine.model)]
        live = state.path is not None or any(cb.between_steps for cb in callbacks)
        for cb in callbacks:
            cb.on_train_begin(state)
        while state.epoch < cfg.epochs and state.stopped_reason is None:
            epoch = state.epoch + 1
            t0 = time.perf_counter()
            steps.start(epoch)
            lr = lr_fn(epoch)  # --- set lr
            result = engine.epoch(feed, epoch=epoch, lr=lr, on_step=steps if live else None)
            if not live:
                steps.record(result.losses)
            train = result.train or engine.train_loss(feed)  # --- evaluate
            val = result.val or split_loss(engine.model, engine.loss, feed, "val") or (None, None)
            entry = {"epoch": epoch, "train_loss": train[0], "val_loss": val[0], "lr": lr,
                     "grad_norm": result.grad_norm, "seconds": time.perf_counter() - t0}
            if feed.task != "regression":
                entry["accuracy"], entry["val_accuracy"] = train[1], val[1]
            state.history.append(entry)  # --- log
            state.epoch, state.seconds = epoch, state.seconds + entry["seconds"]
            state.stopped_reason, state.best_loss, state.best_epoch, state.no_improve = check_stop(
                cfg, state.initial_loss, state, entry)  # --- stop?
            for cb in callbacks:
                cb.on_epoch_end(state, entry)
        if state.stopped_reason is None:
            state.stopped_reason = "max_epochs"
        for cb in callbacks:
            cb.on_train_end(state)
    return state


SMALL_VALUES = 1 << 20  # a training set this small runs every operation on one thread


def _threads_for(feed, engine):
    """Small data on the CPU trains on one intra-op thread (see :func:`one_thread`)."""
    small = feed.counts()[0] * feed.n_features < SMALL_VALUES
    return one_thread(small and engine.params[0].device.type == "cpu")


def flat_params(model) -> np.ndarray:
    """All parameters flattened in ``model.parameters()`` order, float64."""
    return np.concatenate([p.detach().double().reshape(-1).cpu().numpy() for p in model.parameters()])


# --- train: set up, fit, finish ---------------------------------------------------------------
def train(
    model: torch.nn.Module | None = None,
    data=None,
    /,
    *,
    config: TrainConfig | None = None,
    callbacks: Sequence[Callback] = (),
    log: Callable[[str], None] | None = None,
    progress: bool | None = None,
    resume: TrainState | None = None,
    lr_fn: Callable[[int], float] | None = None,
    **settings,
) -> Run:
    """Train ``model`` on ``data`` and return the :class:`~gdlab.run.Run`.

    Parameters
    ----------
    model : nn.Module or None
        A gdlab model (``gdlab.LinearRegression(2)``, …); None builds the one the data
        calls for (``model="mlp"`` and the other settings choose otherwise).
    data : Dataset, str or path
        A :class:`~gdlab.data.Dataset`, a built-in name or a file (also ``data=``).
    config : TrainConfig, optional
        Settings to start from; keyword settings override them.
    callbacks : sequence of Callback
        Hooks called by the loop (see :mod:`gdlab.callbacks`).
    log : callable, optional
        Where progress lines go (default: print, silenced by ``quiet=True``).
    progress : bool or None
        A progress bar (None: on a terminal for 20 epochs or more; never with ``quiet``).
    resume : TrainState, optional
        Continue from a checkpoint (see ``gdlab.checkpoint``).
    lr_fn : callable, optional
        ``lr_fn(epoch)``: each epoch's learning rate instead of the configured schedule
        (read at the start of every epoch, so it may change while training runs).
    **settings
        Every setting of ``gdlab train`` (see :class:`gdlab.config.TrainConfig`).

    Raises
    ------
    GdlabError
        For bad settings or data (a ``ValueError``), naming them.
    DivergedError
        When training diverged; ``.run`` holds the run up to that point.

    Examples
    --------
    >>> import gdlab
    >>> run = gdlab.train(data="synthetic-linear", optimizer="minibatch", batch_size=10,
    ...                   lr=0.03, epochs=3, loss="half-mse", seed=0, quiet=True)
    >>> [round(w, 1) for w in run.metrics["params"]["weight"]]
    [2.0, -3.4]
    """
    if "data" in settings:
        if data is not None:
            raise GdlabError("data is given twice (as an argument and as data=)")
        data = settings.pop("data")
    if isinstance(settings.get("model"), torch.nn.Module):
        if model is not None:
            raise GdlabError("model is given twice (as an argument and as model=)")
        model = settings.pop("model")
    if data is None and model not in MODELS and (
            isinstance(model, str | Path | Dataset) or hasattr(model, "source")):
        model, data = None, model  # train("iris.csv", ...): the one argument is the data
    if isinstance(model, str):  # train("mlp", data): names the kind to build
        settings["model"], model = model, None
    if model is not None and not isinstance(model, torch.nn.Module):
        raise GdlabError(f"model must be a gdlab model (e.g. gdlab.LinearRegression(2)) or a "
                         f"model name, got {type(model).__name__}")
    if data is None:
        raise GdlabError("train needs data: a Dataset, a built-in name or a file path")
    if not isinstance(data, Dataset | str | Path) and not hasattr(data, "source"):
        raise GdlabError(
            f"data must be a gdlab Dataset, a built-in name or a file path, got "
            f"{type(data).__name__} (for arrays: gdlab.Dataset(X=..., y=..., feature_names=...), "
            "or gdlab.sklearn's estimators)"
        )
    cfg = config.replace(**settings) if config is not None else TrainConfig.from_kwargs(**settings)
    if log is None:
        log = (lambda _msg: None) if cfg.quiet else print
    started = time.perf_counter()

    # --- set up: data, feed, model, engine (gdlab.setup) ---------------------------------
    device = resolve_device(cfg.device)
    rank, size = distributed.init(device)  # (0, 1) unless launched by torchrun
    if rank != 0:  # only rank 0 talks
        log = lambda _msg: None  # noqa: E731
    s = build(data, cfg, model=model, log=log, comm=Comm(size), rank=rank, size=size)
    cfg = s.cfg
    for note in s.notes:
        log(note)
    if resume is not None:
        s.model.load_state_dict(resume.model_state)
        s.engine.load_state_dict(resume.engine_state)
        if resume.best_state is not None:
            resume.best_state = {k: v.to(device=s.device, dtype=s.dtype) for k, v in resume.best_state.items()}

    # --- the loop -------------------------------------------------------------------------
    hooks: list[Callback] = []
    if not cfg.quiet:
        hooks.append(ProgressLog(cfg.epochs, log=log,
                                 progress=wants_progress(progress, quiet=cfg.quiet, epochs=cfg.epochs)))
    if cfg.early_stopping:
        hooks.append(BestWeights())
    state = fit(s.engine, s.feed, cfg=cfg, state=resume, callbacks=[*hooks, *callbacks], lr_fn=lr_fn)

    return finish(s, state, started=started, log=log)


def finish(s, state: TrainState, *, started: float, log: Callable[[str], None] = print) -> Run:
    """After the loop: restore the best weights (early stopping), score the final model,
    and return the :class:`Run` — or raise :class:`DivergedError` (holding it) when the
    loss diverged or ended above where it started."""
    cfg = s.cfg
    if state.stopped_reason == "early_stopping" and state.best_state is not None:
        s.model.load_state_dict(state.best_state)
        log(f"early stopping: restored the weights of epoch {state.best_epoch} "
            f"(best validation loss {state.best_loss:.6g})")
    metrics = _final_metrics(s, state, time.perf_counter() - started)
    ended_above = (state.stopped_reason != "diverged" and metrics["train_loss"] is not None
                   and metrics["train_loss"] > state.initial_loss)
    if ended_above:
        state.stopped_reason = metrics["stopped_reason"] = "diverged"
    run = Run(
        model=s.model, history=state.history, metrics=metrics,
        config={**cfg.to_dict(), "model": s.kind, "loss": s.loss, "engine": s.engine_name,
                "batch_size": s.feed.batch_size, "device": str(s.device), "data": s.data.name,
                "processes": s.size, "task": s.task},
        task=s.task, feature_names=list(s.feature_names), target_name=s.data.target_name,
        classes=s.data.classes, standardizer=s.standardizer, steps=state.steps,
        preprocessor=s.preprocessor,
        path=np.stack(state.path) if state.path is not None else None,
        initial_loss=state.initial_loss, notes=list(s.notes),
    )
    if state.stopped_reason == "diverged":
        last = metrics["train_loss"] if ended_above else state.history[-1]["train_loss"]
        what = "ended above where it started" if ended_above else f"diverged at epoch {state.epoch}"
        raise DivergedError(f"training {what} (loss {last:.4g}, started at {state.initial_loss:.4g})",
                            epoch=state.epoch, run=run, lr=cfg.lr)
    return run


def _final_metrics(s, state: TrainState, seconds: float) -> dict:
    """metrics.json: counts, losses at the final weights, test scores, parameters."""
    last = state.history[-1] if state.history else {}
    if state.stopped_reason == "early_stopping" or not state.history:  # weights changed
        train_loss = split_loss(s.model, s.loss, s.feed, "train")[0]
        val = split_loss(s.model, s.loss, s.feed, "val")
        val_loss = None if val is None else val[0]
    else:  # the last epoch's evaluation is of exactly these parameters
        train_loss, val_loss = last["train_loss"], last["val_loss"]
    n_train, n_val, n_test = s.feed.counts()
    metrics = {
        "model": s.kind,
        "task": s.task,
        "loss": s.loss,
        "n_train": n_train,
        "n_val": n_val,
        "n_test": n_test,
        "n_features": len(s.feature_names),
        "epochs_run": state.epoch,
        "stopped_reason": state.stopped_reason,
        "train_loss": train_loss if math.isfinite(train_loss) else None,
        "val_loss": val_loss if val_loss is None or math.isfinite(val_loss) else None,
        "test": split_scores(s.model, s.feed, "test") if s.rank == 0 else None,
        "seconds": seconds,
    }
    if "accuracy" in last:
        metrics["train_accuracy"] = last["accuracy"]
    params = model_params(s.model, s.standardizer)
    if params is not None:
        metrics["params"] = params
    return metrics


__all__ = ["Callback", "TrainState", "check_stop", "finish", "fit", "flat_params", "lr_at", "train"]
