"""``gdlab train`` end to end: a run folder built beside its target and swapped in whole.

During training the folder ``<out>.partial`` holds a checkpoint after every epoch; when
training ends the run files (and figures) are written there and the folder replaces
``<out>``. An interrupted run is continued with ``--resume``; a failed one leaves any
earlier ``<out>`` untouched.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .checkpoint import load_checkpoint, partial_dir, publish, save_checkpoint, write_run_files
from .config import TrainConfig
from .distributed import finish, launch, launched_by_torchrun, world
from .errors import DivergedError, GdlabError
from .train import Callback, TrainState, open_data, resolve_model_kind, train

MODEL_NAMES = {
    "linear": "linear regression",
    "logistic": "logistic regression",
    "softmax": "softmax regression",
    "mlp": "MLP",
}


class CheckpointCallback(Callback):
    """Save a checkpoint after every epoch (the settings ride along for --resume)."""

    def __init__(self, folder: Path, extra: dict):
        self.folder = folder
        self.extra = extra

    def on_epoch_end(self, state: TrainState, entry: dict) -> None:
        save_checkpoint(self.folder, state, extra=self.extra)


def _resume_state(out: Path, partial: Path, cfg: TrainConfig, explicit: set[str]):
    """Find the checkpoint to continue from and the settings it was started with."""
    if (partial / "checkpoint.safetensors").exists():
        source = partial
    elif (out / "checkpoint.safetensors").exists():
        source = out
    else:
        raise GdlabError(f"--resume: no checkpoint in {partial} or {out}; start without --resume")
    state, extra = load_checkpoint(source)
    settings = dict(extra["settings"])
    if "epochs" in explicit:  # a resumed run may be extended
        settings["epochs"] = cfg.epochs
    settings["quiet"] = cfg.quiet
    if source == out:  # continue a finished run in a fresh partial copy
        if partial.exists():
            shutil.rmtree(partial)
        shutil.copytree(out, partial)
    return state, TrainConfig.from_kwargs(**settings), extra["data"]


def run_training(
    data_arg: str,
    cfg: TrainConfig,
    *,
    out: str | None,
    resume: bool = False,
    plots: bool = True,
    tensorboard: bool = False,
    explicit: set[str] = frozenset(),
    nproc: int | None = None,
    argv: list[str] | None = None,
    log=print,
) -> int:
    """Train from the command line; returns the exit code (0, or raises GdlabError)."""
    if nproc is not None and not launched_by_torchrun():
        if resume:
            raise GdlabError("--resume runs in one process; drop --nproc to resume")
        return launch(nproc, _without_nproc(argv or []))
    try:
        return _run(data_arg, cfg, out=out, resume=resume, plots=plots,
                    tensorboard=tensorboard, explicit=explicit, log=log)
    finally:
        finish()  # leave the process group cleanly (else gloo may abort at exit)


def _run(data_arg, cfg, *, out, resume, plots, tensorboard, explicit, log) -> int:
    rank, _ = world()
    if rank != 0:  # every process trains; only rank 0 prints and writes the run folder
        if out is None:
            raise GdlabError("distributed runs need --out so that every process agrees on it")
        cfg.quiet = True
        train(None, open_data(data_arg, cfg, log=lambda _m: None), config=cfg,
              log=lambda _m: None)
        return 0
    callbacks: list[Callback] = []
    if tensorboard:
        from .tensorboard import TensorBoardCallback  # says how to install it when missing

        callbacks.append(TensorBoardCallback.create())
    if resume and out is None:
        raise GdlabError("--resume needs --out: the run folder to continue")
    state = None
    if resume:
        out_path = Path(out)
        partial = partial_dir(out_path)
        state, cfg, data_arg = _resume_state(out_path, partial, cfg, explicit)
        log(f"resuming {out_path} after epoch {state.epoch} of {cfg.epochs}")
    data = open_data(data_arg, cfg, log=log)
    kind = resolve_model_kind(cfg, data.task)
    if not resume:
        out_path = Path(out or f"runs/{time.strftime('%Y%m%d-%H%M%S')}-{kind}")
        if out_path.exists() and not out_path.is_dir():
            raise GdlabError(f"--out {out_path}: exists and is not a folder")
        partial = partial_dir(out_path)
        if partial.exists():
            shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    if tensorboard:
        callbacks[0].open(partial / "tensorboard")
    callbacks.append(CheckpointCallback(partial, {"settings": cfg.to_dict(), "data": data_arg}))

    if not cfg.quiet:
        log(_headline(data, cfg, kind))
    try:
        run = train(None, data, config=cfg, callbacks=callbacks, resume=state,
                    log=(lambda _m: None) if cfg.quiet else log)
    except DivergedError as e:
        write_run_files(e.run, partial)
        raise DivergedError(f"{e} (partial run kept in {partial})", epoch=e.epoch) from None
    write_run_files(run, partial)
    if plots:
        from .figures import write_run_figures

        write_run_figures(run, data, partial)
    publish(partial, out_path)
    log(summary(run, data, out_path))
    return 0


def _without_nproc(argv: list[str]) -> list[str]:
    """The command line minus ``--nproc N`` (what each torchrun process runs)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def _headline(data, cfg: TrainConfig, kind: str) -> str:
    _, size = world()
    where = f", {size} processes" if size > 1 else ""
    streamed = ", streamed from disk" if cfg.stream else ""
    return (
        f"training {MODEL_NAMES[kind]} on {data.name} ({data.n_samples} rows, "
        f"{data.n_features} features, {data.task}{streamed}) with {cfg.optimizer}, "
        f"lr {cfg.lr}, {cfg.epochs} epochs{where}"
    )


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _equation(names: list[str], weight: list[float], bias: float, target: str) -> str:
    terms = [f"{target} = {_fmt(bias)}"]
    for name, w in zip(names, weight, strict=False):
        terms.append(f"{'-' if w < 0 else '+'} {_fmt(abs(w))}·{name}")
    return " ".join(terms)


def summary(run, data, out: Path) -> str:
    """What the run learned, in a few lines."""
    m, c = run.metrics, run.config
    batch = c["batch_size"]
    lines = [
        f"done: {MODEL_NAMES[m['model']]} on {data.name}, {m['epochs_run']} epochs "
        f"({m['stopped_reason']}), {c['optimizer']} batch {batch}, lr {c['lr']}, "
        f"engine {c['engine']}, {c['device']} {c['dtype']}, {m['seconds']:.2f} s",
        f"  rows: {m['n_train']} train, {m['n_val']} validation, {m['n_test']} test",
    ]
    losses = f"  {m['loss']} loss: train {_fmt(m['train_loss'])}" if m["train_loss"] is not None else "  train loss: -"
    if m["val_loss"] is not None:
        losses += f", validation {_fmt(m['val_loss'])}"
    lines.append(losses)
    if m["test"]:
        lines.append("  test: " + ", ".join(f"{k} {_fmt(v)}" for k, v in m["test"].items()))
    params = m.get("params")
    if params and "weight" in params and m["model"] in ("linear", "logistic") and data.n_features <= 8:
        lines.append("  learned: " + _equation(run.feature_names, params["weight"], params["bias"][0],
                                               "logit" if m["model"] == "logistic" else run.target_name))
        if "true_w" in data.meta:
            lines.append(f"  true:    w = {list(data.meta['true_w'])}, b = {data.meta['true_b']}")
    lines.append(f"  run folder: {out}")
    return "\n".join(lines)
