"""Saving and loading runs and checkpoints: safetensors + JSON, written atomically.

Nothing here unpickles: tensors go through safetensors, everything else through JSON.
A run folder is built in a sibling ``<out>.partial`` folder and only swapped into place
once complete, so a failed or interrupted run never damages an earlier one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes

from .errors import GdlabError
from .models import build_model
from .run import Run

CHECKPOINT_STEPS_LIMIT = 20_000  # per-update losses kept in a checkpoint (JSON size bound)
HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds"]


# --- atomic files ----------------------------------------------------------------------
def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _clean(value):
    """JSON-safe: NaN/inf become null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def atomic_write_json(path, obj) -> None:
    atomic_write_text(path, json.dumps(_clean(obj), indent=2, allow_nan=False) + "\n")


def read_json(path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise GdlabError(f"{path}: not found") from None
    except json.JSONDecodeError as e:
        raise GdlabError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None


def history_csv(history: list[dict]) -> str:
    cols = list(HISTORY_COLUMNS)
    for entry in history:
        cols += [k for k in entry if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for entry in history:
        w.writerow({k: ("" if entry.get(k) is None else entry.get(k)) for k in cols})
    return buf.getvalue()


def read_history_csv(path) -> list[dict]:
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows.append({k: (None if v == "" else int(v) if k == "epoch" else float(v))
                         for k, v in row.items()})
    return rows


# --- run folders -------------------------------------------------------------------------
def model_description(run: Run) -> dict:
    p = next(run.model.parameters())
    return {
        **run.model.describe(),
        "loss": run.config.get("loss"),
        "dtype": str(p.dtype).removeprefix("torch."),
        "task": run.task,
        "feature_names": run.feature_names,
        "target_name": run.target_name,
        "classes": run.classes,
        "standardization": run.standardizer.to_dict() if run.standardizer is not None else None,
    }


def write_run_files(run: Run, folder: str | os.PathLike) -> None:
    """Write the run-folder files of DESIGN.md into ``folder`` (each file atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_json(folder / "config.json", run.config)
    atomic_write_text(folder / "history.csv", history_csv(run.history))
    atomic_write_json(folder / "metrics.json", run.metrics)
    tensors = {k: v.detach().cpu().contiguous() for k, v in run.model.state_dict().items()}
    atomic_write_bytes(folder / "model.safetensors", safetensors_bytes(tensors))
    atomic_write_json(folder / "model.json", model_description(run))


def partial_dir(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".partial")


def publish(partial: Path, out: Path) -> None:
    """Swap a finished ``partial`` folder into ``out``; an old ``out`` goes only after."""
    out = Path(out)
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(partial, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def save(run: Run, out: str | os.PathLike) -> Path:
    """Save a run as a run folder (config, history, metrics, model); returns the folder."""
    out = Path(out)
    partial = partial_dir(out)
    if partial.exists():
        shutil.rmtree(partial)
    write_run_files(run, partial)
    publish(partial, out)
    return out


def load_run(folder: str | os.PathLike) -> Run:
    """Read a run folder back: the model (safetensors, no pickle), history, metrics."""
    from .data import Standardizer

    folder = Path(folder)
    if not folder.is_dir():
        raise GdlabError(f"run folder not found: {folder}")
    desc = read_json(folder / "model.json")
    weights = folder / "model.safetensors"
    if not weights.exists():
        raise GdlabError(f"{weights}: not found (is {folder} a finished gdlab run folder?)")
    model = build_model(
        desc["model"], desc["in_features"], desc["out_features"],
        hidden=desc.get("hidden") or (10,), activation=desc.get("activation") or "sigmoid",
    )
    dtype = getattr(torch, desc.get("dtype", "float32"))
    try:
        model.load_state_dict(load_file(str(weights)))
    except Exception as e:  # a damaged or foreign file: say which
        raise GdlabError(f"{weights}: cannot load the model ({e})") from None
    model = model.to(dtype=dtype).eval()
    std = desc.get("standardization")
    history = read_history_csv(folder / "history.csv") if (folder / "history.csv").exists() else []
    metrics = read_json(folder / "metrics.json") if (folder / "metrics.json").exists() else {}
    config = read_json(folder / "config.json") if (folder / "config.json").exists() else {}
    return Run(
        model=model, history=history, metrics=metrics, config=config, task=desc["task"],
        feature_names=desc["feature_names"], target_name=desc.get("target_name", "y"),
        classes=desc.get("classes"),
        standardizer=Standardizer.from_dict(std) if std else None,
    )


# --- checkpoints (for --resume) ------------------------------------------------------------
def save_checkpoint(folder: str | os.PathLike, state, *, extra: dict | None = None) -> None:
    """Write the state after a completed epoch: tensors in safetensors, the rest in JSON
    (``extra``, e.g. the run's settings, is stored alongside)."""
    folder = Path(folder)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in state.model.state_dict().items()}
    tensors.update({f"engine.{k}": v.detach().cpu().contiguous() for k, v in state.engine.state_dict().items()})
    if state.best_state is not None:
        tensors.update({f"best.{k}": v.detach().cpu().contiguous() for k, v in state.best_state.items()})
    meta = {
        "epoch": state.epoch, "step": state.step, "history": state.history,
        "steps": state.steps if len(state.steps) <= CHECKPOINT_STEPS_LIMIT else [],
        "initial_loss": state.initial_loss, "best_loss": state.best_loss,
        "best_epoch": state.best_epoch, "no_improve": state.no_improve, "seconds": state.seconds,
        "extra": extra or {},
    }
    # One file: the JSON rides in the safetensors metadata, so tensors and epoch can
    # never disagree after a crash mid-write.
    blob = json.dumps(_clean(meta), allow_nan=False)
    atomic_write_bytes(folder / "checkpoint.safetensors", safetensors_bytes(tensors, metadata={"gdlab": blob}))


def load_checkpoint(folder: str | os.PathLike):
    """Read a checkpoint written by :func:`save_checkpoint`: (TrainState, extra)."""
    from .train import TrainState

    path = Path(folder) / "checkpoint.safetensors"
    if not path.exists():
        raise GdlabError(f"{path}: no checkpoint to resume from")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["gdlab"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:
        raise GdlabError(f"{path}: damaged checkpoint ({e})") from None
    part = lambda prefix: {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}  # noqa: E731
    best = part("best.")
    state = TrainState(
        epoch=meta["epoch"], step=meta["step"], history=meta["history"], steps=meta["steps"],
        initial_loss=meta["initial_loss"],
        best_loss=math.inf if meta["best_loss"] is None else meta["best_loss"],
        best_epoch=meta["best_epoch"], best_state=best or None, no_improve=meta["no_improve"],
        seconds=meta["seconds"], model_state=part("model."), engine_state=part("engine."),
    )
    return state, meta.get("extra", {})
