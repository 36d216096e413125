"""The training loop: batching, learning-rate schedules, stopping, history, callbacks.

``train(model, data, **settings)`` reads top to bottom in phases:
prepare (split, standardize, tensors, model, engine) → for each epoch: set lr → draw the
batches → engine step per batch → evaluate → log → stop? → finish (restore best, test
metrics). Engines only do the gradient step; everything else is here.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import distributed
from .batching import Batcher, epoch_order
from .config import TrainConfig
from .data import Dataset, Standardizer, load, split_dataset
from .data.stream import AUTO_STREAM_FRACTION, StreamData, open_stream, should_stream
from .distributed import Comm, shard
from .engines import make_engine
from .engines.fast import FastEngine
from .errors import DivergedError, GdlabError
from .feeds import Pieces, ShardBatcher, StreamFeed
from .losses import LOSSES, compute_loss, default_loss
from .metrics import evaluate_arrays, model_params
from .models import build_model
from .run import Run

DIVERGE_FACTOR = 1e4  # a loss this many times the initial loss counts as diverged
MAX_RECORDED_STEPS = 200_000  # per-update losses kept for plots (memory bound)


class Callback:
    """No-op hooks; subclass and override what you need (STYLE.md §11)."""

    def on_train_begin(self, state: TrainState) -> None: ...
    def on_step_end(self, state: TrainState, step: int, loss: float) -> None: ...
    def on_epoch_end(self, state: TrainState, entry: dict) -> None: ...
    def on_train_end(self, state: TrainState) -> None: ...


@dataclass
class TrainState:
    """Everything needed to continue a run after epoch ``epoch`` (what a checkpoint holds)."""

    epoch: int = 0
    step: int = 0
    history: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    initial_loss: float | None = None
    best_loss: float = math.inf
    best_epoch: int = 0
    best_state: dict | None = None
    no_improve: int = 0
    stopped_reason: str | None = None
    seconds: float = 0.0
    model: torch.nn.Module | None = None  # the live model and engine while training
    engine: object | None = None
    path: list | None = None  # flattened parameters after each update (record_path)
    model_state: dict | None = None  # what a loaded checkpoint restores
    engine_state: dict | None = None


@dataclass
class Prepared:
    """The data as tensors, ready for the loop."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor | None
    y_val: torch.Tensor | None
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    standardizer: Standardizer | None
    note: str | None
    comm: object | None = None  # distributed: X_train is this process's shard

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    def counts(self) -> tuple[int, int, int]:
        """Rows of (train over all processes, validation, test)."""
        n = int(self.X_train.shape[0])
        if self.comm is not None:
            n = int(self.comm.sum([float(n)])[0])
        size = lambda X: 0 if X is None else int(X.shape[0])  # noqa: E731
        return n, size(self.X_val), size(self.X_test)

    def evaluate(self, model, loss: str, task: str, split: str = "train"):
        """(mean loss, accuracy or None) on a split, or None when the split is empty."""
        X, y = {"train": (self.X_train, self.y_train), "val": (self.X_val, self.y_val),
                "test": (self.X_test, self.y_test)}[split]
        if X is None:
            return None
        if split == "train" and self.comm is not None:  # every process's shard together
            from .feeds import _sums, reduce_evaluation

            return reduce_evaluation([_sums(model, loss, X, y, task)], self.comm, task)
        return evaluate_loss(model, loss, X, y, task)

    def test_scores(self, model, task: str) -> dict | None:
        if self.X_test is None:
            return None
        with torch.no_grad():
            out = model(self.X_test).double().cpu().numpy()
        return evaluate_arrays(out, self.y_test.cpu().numpy(), task)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GdlabError("--device cuda: no CUDA device is available here; use --device cpu")
    return torch.device(name)


def target_tensor(y: np.ndarray, task: str, *, dtype, device) -> torch.Tensor:
    """Targets in the shape the losses expect: (n, 1) float, or (n,) int64 class indices."""
    if task == "multiclass":
        return torch.as_tensor(y, dtype=torch.int64, device=device)
    return torch.as_tensor(np.asarray(y, dtype=np.float64).reshape(-1, 1), dtype=dtype, device=device)


def prepare(data: Dataset, cfg: TrainConfig, *, dtype, device, log) -> Prepared:
    """Split, standardize on the training rows only, and move to tensors."""
    s = split_dataset(
        data, test_fraction=cfg.test_fraction, val_fraction=cfg.val_fraction, seed=cfg.seed
    )
    if s.note:
        log(s.note)
    std = Standardizer().fit(s.X_train) if cfg.standardize else None

    def xt(X):
        if X is None:
            return None
        X = std.transform(X) if std is not None else X
        return torch.as_tensor(X, dtype=dtype, device=device)

    def yt(y):
        return None if y is None else target_tensor(y, data.task, dtype=dtype, device=device)

    return Prepared(
        xt(s.X_train), yt(s.y_train), xt(s.X_val), yt(s.y_val), xt(s.X_test), yt(s.y_test),
        std, s.note,
    )


def resolve_model_kind(cfg: TrainConfig, task: str) -> str:
    if cfg.model is not None:
        return cfg.model
    return {"regression": "linear", "binary": "logistic", "multiclass": "softmax"}[task]


def check_compatible(kind: str, loss: str, data: Dataset) -> None:
    """Refuse model/loss/task combinations that cannot work, naming them."""
    task = data.task
    if loss not in LOSSES:
        raise GdlabError(f"--loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    if kind == "linear" and task != "regression":
        raise GdlabError(
            f"--model linear needs a numeric target; {data.name} is {task} classification "
            "(use --model logistic or softmax)"
        )
    if kind == "logistic" and task != "binary":
        raise GdlabError(
            f"--model logistic needs two classes; {data.name} has "
            + (f"{data.n_classes} (use --model softmax)" if task == "multiclass" else "a numeric target")
        )
    if kind == "softmax" and task == "regression":
        raise GdlabError(f"--model softmax needs a class target; {data.name} has a numeric target")
    if task == "multiclass" and loss != "cross-entropy":
        raise GdlabError(f"--loss {loss} does not fit {data.n_classes} classes; use cross-entropy")
    if task == "binary" and loss == "cross-entropy":
        raise GdlabError("--loss cross-entropy needs a softmax output; for two classes use bce")
    if task == "regression" and loss in ("bce", "cross-entropy"):
        raise GdlabError(f"--loss {loss} needs a class target; {data.name} has a numeric target")


def make_model(kind: str, data: Dataset, cfg: TrainConfig):
    out = data.n_classes if data.task == "multiclass" else 1
    return build_model(
        kind, data.n_features, out, hidden=cfg.hidden, activation=cfg.activation,
        init_std=cfg.init_std,
    )


def auto_engine(model) -> str:
    """``--engine auto``: the fused ``fast`` engine for one-layer models, else ``nn``."""
    return "fast" if len(model.layers) == 1 else "nn"


def lr_at(cfg: TrainConfig, epoch: int) -> float:
    """The learning rate for ``epoch`` (1-based) under the configured schedule."""
    if cfg.schedule == "step":
        return cfg.lr * cfg.lr_gamma ** ((epoch - 1) // cfg.lr_step)
    if cfg.schedule == "invscaling":
        return cfg.lr / epoch**cfg.power_t
    return cfg.lr


@torch.no_grad()
def evaluate_loss(model, loss: str, X, y, task: str) -> tuple[float, float | None]:
    """(mean loss, accuracy or None) of the model on (X, y)."""
    out = model(X)
    value = float(compute_loss(loss, out, y))
    if task == "regression":
        return value, None
    pred = out.argmax(1) if task == "multiclass" else (out[:, 0] > 0).to(y.dtype)
    target = y if task == "multiclass" else y[:, 0]
    return value, float((pred == target).double().mean())


def flat_params(model) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().cpu().numpy()


def train(
    model=None,
    data: Dataset | str = "synthetic-linear",
    *,
    callbacks: list[Callback] | None = None,
    resume: TrainState | None = None,
    log: Callable[[str], None] | None = None,
    progress: bool | None = None,
    **settings,
) -> Run:
    """Train ``model`` on ``data`` by gradient descent and return a :class:`Run`.

    Parameters
    ----------
    model : nn.Module or None
        A gdlab model; None builds the default for the data's task (linear regression,
        logistic regression or softmax regression, or ``settings["model"]``). A given
        model is trained from its current parameters.
    data : Dataset or str
        A Dataset, a built-in dataset name or a file path.
    callbacks : list of Callback, optional
    resume : TrainState, optional
        Continue from a checkpoint (see ``gdlab.checkpoint``).
    log : callable, optional
        Where progress lines go (default: print, silenced by ``quiet=True``).
    **settings
        Every setting of ``gdlab train`` (see :class:`gdlab.config.TrainConfig`).

    Examples
    --------
    >>> import gdlab
    >>> run = gdlab.train(data="synthetic-linear", optimizer="minibatch", batch_size=10,
    ...                   lr=0.03, epochs=3, loss="half-mse", seed=0, quiet=True)
    >>> [round(w, 1) for w in run.metrics["params"]["weight"]]
    [2.0, -3.4]
    """
    if isinstance(model, str):  # train(model="mlp", ...) names the kind to build
        settings["model"], model = model, None
    cfg = settings.pop("config", None) or TrainConfig.from_kwargs(**settings)
    if log is None:
        log = (lambda _msg: None) if cfg.quiet else print
    callbacks = list(callbacks or [])
    started = time.perf_counter()

    # --- prepare: data, tensors, model, engine ---------------------------------------
    device = resolve_device(cfg.device)
    rank, size = distributed.init(device)  # (0, 1) unless launched by torchrun
    comm = Comm(size) if size > 1 else None
    if rank != 0:  # only rank 0 talks
        log = lambda _msg: None  # noqa: E731
    if isinstance(data, str | Path):
        data = open_data(str(data), cfg, log=log)
    dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    kind = resolve_model_kind(cfg, data.task) if model is None else model.kind
    if kind == "softmax" and data.task == "binary":  # two classes as two softmax outputs
        data = dataclasses.replace(data, task="multiclass")
    loss_name = cfg.loss or default_loss(data.task)
    check_compatible(kind, loss_name, data)
    torch.manual_seed(cfg.seed)
    if isinstance(data, StreamData):
        prep = batcher = StreamFeed(
            data, batch_size=cfg.resolved_batch_size(data.n_train), seed=cfg.seed, dtype=dtype,
            device=device, standardize=cfg.standardize, comm=comm or Comm(1), rank=rank, size=size,
        )
        n_train = data.n_train
    else:
        prep = prepare(data, cfg, dtype=dtype, device=device, log=log)
        n_train = prep.X_train.shape[0]
        batch_size = cfg.resolved_batch_size(n_train)
        if comm is not None:  # this process keeps its shard of the training rows
            a, b = shard(n_train, rank, size)
            prep.X_train, prep.y_train, prep.comm = prep.X_train[a:b], prep.y_train[a:b], comm
            batcher = ShardBatcher(prep.X_train, prep.y_train, batch_size=batch_size,
                                   seed=cfg.seed, comm=comm, rank=rank, n_global=n_train)
        else:
            batcher = Batcher(prep.X_train, prep.y_train, batch_size=batch_size, seed=cfg.seed)
    if model is None:
        model = make_model(kind, data, cfg)
    model = model.to(device=device, dtype=dtype)
    engine_name = auto_engine(model) if cfg.engine == "auto" else cfg.engine
    engine = make_engine(
        engine_name, model, loss=loss_name, rule=cfg.rule(), l2=cfg.l2,
        momentum=cfg.momentum, betas=cfg.betas, eps=cfg.eps,
    )
    engine.check_data(n_train, data.n_features)
    if resume is not None:
        model.load_state_dict(resume.model_state)
        engine.load_state_dict(resume.engine_state)
        if resume.best_state is not None:
            resume.best_state = {k: v.to(device=device, dtype=dtype) for k, v in resume.best_state.items()}
    state = fit(model, engine, batcher, prep, task=data.task, cfg=cfg, state=resume,
                callbacks=callbacks, log=log, progress=progress)

    # --- finish ----------------------------------------------------------------------
    if state.stopped_reason == "early_stopping" and state.best_state is not None:
        model.load_state_dict(state.best_state)
        log(f"early stopping: restored the weights of epoch {state.best_epoch} "
            f"(best validation loss {state.best_loss:.6g})")
    metrics = _final_metrics(kind, loss_name, data, prep, state, model, time.perf_counter() - started)
    run = Run(
        model=model, history=state.history, metrics=metrics,
        config={**cfg.to_dict(), "model": kind, "loss": loss_name, "engine": engine_name,
                "batch_size": batcher.batch_size, "device": str(device), "data": data.name,
                "processes": size},
        task=data.task, feature_names=list(data.feature_names), target_name=data.target_name,
        classes=data.classes, standardizer=prep.standardizer, steps=state.steps,
        path=np.stack(state.path) if state.path is not None else None,
        initial_loss=state.initial_loss,
        notes=[prep.note] if getattr(prep, "note", None) else [],
    )
    for cb in callbacks:
        cb.on_train_end(state)
    if state.stopped_reason == "diverged":
        e = state.epoch
        raise DivergedError(
            f"training diverged at epoch {e} (loss {state.history[-1]['train_loss']:.4g}, "
            f"started at {state.initial_loss:.4g}); try a smaller learning rate than --lr {cfg.lr}",
            epoch=e, run=run,
        )
    return run


def open_data(source: str, cfg: TrainConfig, *, log=print):
    """A built-in name or a file; a file is streamed with ``stream=True``, or when it is
    too big to load whole (the message says so)."""
    if not cfg.stream and should_stream(source):
        log(f"{source} is larger than {AUTO_STREAM_FRACTION:.0%} of the available memory: "
            "streaming it from disk chunk by chunk (as with --stream)")
        cfg.stream = True
    if cfg.stream:
        return open_stream(source, target=cfg.target, val_fraction=cfg.val_fraction,
                           test_fraction=cfg.test_fraction, seed=cfg.seed, log=log)
    return load(source, target=cfg.target)


def fit(
    model,
    engine,
    batcher: Batcher,
    prep: Prepared,
    *,
    task: str,
    cfg: TrainConfig,
    state: TrainState | None = None,
    callbacks: list[Callback] = (),
    log: Callable[[str], None] = print,
    progress: bool | None = False,
) -> TrainState:
    """The epoch loop on prepared tensors: set lr → batches → step → evaluate → log → stop?

    Used by :func:`train` and by anything that brings its own tensors (the scikit-learn
    estimators). Returns the final :class:`TrainState`; the caller restores nothing.
    """
    state = state or TrainState()
    state.model, state.engine = model, engine
    loss_name = engine.loss
    # Full batch on the fast engine: one pass over X at θ gives the loss (and accuracy)
    # that evaluates the epoch which produced θ *and* the gradient of the next update,
    # so an epoch reads X once instead of three times (update, then evaluation).
    ahead = None
    single = isinstance(prep, Prepared) and prep.comm is None  # one process, in memory
    if single and isinstance(engine, FastEngine) and batcher.full_batch and engine.evaluates(task):
        ahead = engine.full_pass(prep.X_train, prep.y_train)  # at θ₀ (or the resumed θ)
    comm = getattr(batcher, "comm", None)
    if state.initial_loss is None:
        state.initial_loss = (
            ahead.loss if ahead is not None else prep.evaluate(model, loss_name, task)[0]
        )
    if cfg.record_path and state.path is None:
        state.path = [flat_params(model)]
    for cb in callbacks:
        cb.on_train_begin(state)
    bar = _progress_bar(cfg, progress, start=state.epoch)
    n_batches = batcher.n_batches
    whole_epochs = single and _compiled_epochs(engine, batcher, state, callbacks)
    while state.epoch < cfg.epochs and state.stopped_reason is None:
        epoch = state.epoch + 1
        t0 = time.perf_counter()
        lr = lr_at(cfg, epoch)  # set lr
        norm = 0.0
        with _one_thread_for_small_batches(batcher):
            if whole_epochs:  # every update of the epoch in one compiled loop: same batches, same math
                norm = _compiled_epoch(engine, batcher, state, epoch=epoch, lr=lr)
            else:
                for i, batch in enumerate(batcher.epoch(epoch)):  # one update per batch
                    if ahead is not None:  # the gradient came with the last evaluation
                        loss, norm = ahead.loss, engine.apply_(ahead, lr=lr)
                    elif isinstance(batch, Pieces):  # streamed chunks, or this process's share
                        loss, norm = engine.step_chunks(batch, lr=lr, comm=comm)
                    else:
                        loss, norm = engine.step(*batch, lr=lr)  # forward, backward, update
                    state.step += 1
                    if len(state.steps) < MAX_RECORDED_STEPS:
                        state.steps.append({"step": state.step, "epoch": epoch - 1 + (i + 1) / n_batches, "loss": loss})
                    if state.path is not None:
                        state.path.append(flat_params(model))
                    for cb in callbacks:
                        cb.on_step_end(state, state.step, loss)
                    if not math.isfinite(loss):
                        break
        # --- evaluate and log --------------------------------------------------------
        if ahead is not None:  # one read of X: this epoch's loss and the next gradient
            ahead = engine.full_pass(prep.X_train, prep.y_train)
            train_loss, acc = ahead.loss, ahead.accuracy
        else:
            train_loss, acc = prep.evaluate(model, loss_name, task, "train")
        val_loss, val_acc = prep.evaluate(model, loss_name, task, "val") or (None, None)
        seconds = time.perf_counter() - t0
        state.seconds += seconds
        entry = {
            "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "lr": lr,
            "grad_norm": norm, "seconds": seconds,
        }
        if task != "regression":
            entry["accuracy"], entry["val_accuracy"] = acc, val_acc
        state.history.append(entry)
        state.epoch = epoch
        _log_epoch(log, bar, cfg, entry)
        # --- stop? ----------------------------------------------------------------------
        state.stopped_reason = _stop_reason(cfg, state, entry, model)
        for cb in callbacks:
            cb.on_epoch_end(state, entry)
    if bar is not None:
        bar.close()
    if state.stopped_reason is None:
        state.stopped_reason = "max_epochs"
    return state


def _compiled_epoch(engine, batcher: Batcher, state: TrainState, *, epoch: int, lr: float) -> float:
    """One mini-batch epoch through :meth:`FastEngine.minibatch_epoch`, recorded as the
    loop records it (``state.step``, the per-update losses); returns the last gradient norm."""
    order = epoch_order(batcher.n, seed=batcher.seed, epoch=epoch)  # the Batcher's order
    losses, norm = engine.minibatch_epoch(
        batcher.X, batcher.y, order, batch_size=batcher.batch_size, lr=lr
    )
    n_batches = batcher.n_batches
    room = max(0, MAX_RECORDED_STEPS - len(state.steps))
    state.steps.extend(
        {"step": state.step + i + 1, "epoch": epoch - 1 + (i + 1) / n_batches, "loss": loss}
        for i, loss in enumerate(losses[:room])
    )
    state.step += len(losses)
    return norm


def _compiled_epochs(engine, batcher, state: TrainState, callbacks) -> bool:
    """Whether the mini-batch epochs can run in the ``fast`` engine's compiled loop
    (:meth:`FastEngine.minibatch_epoch`) without changing anything observable: an
    in-memory :class:`Batcher` on the CPU, a model and update rule the loop covers, no
    parameter path to record and no callback that acts between updates."""
    return (
        isinstance(engine, FastEngine)
        and type(batcher) is Batcher
        and not batcher.full_batch
        and engine.runs_epochs(batcher.X)
        and state.path is None
        and not any(type(cb).on_step_end is not Callback.on_step_end for cb in callbacks)
    )


@contextlib.contextmanager
def _one_thread_for_small_batches(batcher: Batcher):
    """Mini-batch epochs on the CPU run their small per-batch operations on one
    intra-op thread: splitting a 256-row gather or product between threads costs more
    (a fork and join per operation, and far more when another process holds a core)
    than it saves. Restored afterwards, so the per-epoch evaluation uses every thread."""
    threads = torch.get_num_threads()
    X = getattr(batcher, "X", None)
    small = X is not None and not batcher.full_batch and X.device.type == "cpu"
    if not small or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _stop_reason(cfg: TrainConfig, state: TrainState, entry: dict, model) -> str | None:
    loss = entry["train_loss"]
    if not math.isfinite(loss) or loss > DIVERGE_FACTOR * max(state.initial_loss, 1e-12):
        return "diverged"
    if cfg.grad_tol is not None and entry["grad_norm"] < cfg.grad_tol:
        return "grad_tol"
    if cfg.early_stopping and entry["val_loss"] is not None:
        monitored, reason = entry["val_loss"], "early_stopping"
    elif cfg.tol is not None:
        monitored, reason = loss, "tol"
    else:
        return None
    # patience counts epochs that fail to beat the best by more than tol (as scikit-learn
    # does); the best weights are kept on any improvement, however small
    tol = cfg.tol or 0.0
    state.no_improve = 0 if monitored < state.best_loss - tol else state.no_improve + 1
    if monitored < state.best_loss:
        state.best_loss, state.best_epoch = monitored, entry["epoch"]
        if cfg.early_stopping:
            state.best_state = copy.deepcopy(model.state_dict())
    return reason if state.no_improve >= cfg.patience else None


def _final_metrics(kind, loss_name, data, prep, state, model, seconds) -> dict:
    last = state.history[-1] if state.history else {}
    if state.stopped_reason == "early_stopping" or not state.history:  # weights changed
        train_loss = prep.evaluate(model, loss_name, data.task, "train")[0]
        val = prep.evaluate(model, loss_name, data.task, "val")
        val_loss = None if val is None else val[0]
    else:  # the last epoch's evaluation is of exactly these parameters
        train_loss, val_loss = last["train_loss"], last["val_loss"]
    n_train, n_val, n_test = prep.counts()
    metrics = {
        "model": kind,
        "task": data.task,
        "loss": loss_name,
        "n_train": n_train,
        "n_val": n_val,
        "n_test": n_test,
        "n_features": prep.n_features,
        "epochs_run": state.epoch,
        "stopped_reason": state.stopped_reason,
        "train_loss": train_loss if math.isfinite(train_loss) else None,
        "val_loss": val_loss,
        "test": prep.test_scores(model, data.task),
        "seconds": seconds,
    }
    if "accuracy" in last:
        metrics["train_accuracy"] = last["accuracy"]
    params = model_params(model, prep.standardizer)
    if params is not None:
        metrics["params"] = params
    return metrics


def _progress_bar(cfg: TrainConfig, progress: bool | None, *, start: int):
    if progress is None:
        progress = not cfg.quiet and sys.stdout.isatty() and cfg.epochs >= 20
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=cfg.epochs, initial=start, unit="epoch", leave=False)


def _log_epoch(log, bar, cfg: TrainConfig, entry: dict) -> None:
    if bar is not None:
        bar.update(1)
        bar.set_postfix(loss=f"{entry['train_loss']:.4g}")
    every = max(1, cfg.epochs // 10)
    e = entry["epoch"]
    if e % every and e != cfg.epochs and e != 1:
        return
    parts = [f"epoch {e:>{len(str(cfg.epochs))}}/{cfg.epochs}", f"train_loss {entry['train_loss']:.6g}"]
    if entry["val_loss"] is not None:
        parts.append(f"val_loss {entry['val_loss']:.6g}")
    if entry.get("accuracy") is not None:
        parts.append(f"accuracy {entry['accuracy']:.3f}")
    if entry.get("val_accuracy") is not None:
        parts.append(f"val_accuracy {entry['val_accuracy']:.3f}")
    line = "  ".join(parts)
    if bar is not None:
        bar.write(line)
    else:
        log(line)
