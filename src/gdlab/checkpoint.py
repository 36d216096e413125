"""The run-folder format (DESIGN.md): saving and loading runs and checkpoints.

Nothing here unpickles: tensors go through safetensors, everything else through JSON,
and every file is written atomically (:mod:`gdlab.io`). A run folder holds
``config.json``, ``history.csv``, ``metrics.json``, ``model.safetensors`` +
``model.json`` and ``checkpoint.safetensors``. It is built in ``<out>.partial`` and
only swapped into place once complete (:func:`publish`), so a failed or interrupted run
never damages an earlier one.

``model.json`` is validated against the tensors of ``model.safetensors`` before
anything is allocated, so a tampered file is refused with one line, whatever it says.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import shutil
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes

from .config import ACTIVATIONS, DTYPES, MAX_HIDDEN_LAYERS, MAX_HIDDEN_UNITS, MODELS, TASKS
from .errors import GdlabError
from .io import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    clean_json,
    read_json,
    writing,
)
from .models import build_model
from .run import Run

CHECKPOINT_STEPS_LIMIT = 20_000  # per-update losses kept in a checkpoint (JSON size bound)
HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds"]
MAX_FEATURES = 10_000_000  # columns a model.json may declare (a 12288-pixel image is far below)
MAX_CLASSES = 1_000_000

__all__ = [
    "atomic_write_bytes", "atomic_write_json", "atomic_write_text", "load_checkpoint",
    "load_run", "publish", "save", "save_checkpoint", "write_run_files",
]


# --- history -------------------------------------------------------------------------------
def history_columns(history: list[dict]) -> list[str]:
    cols = list(HISTORY_COLUMNS)
    for entry in history:
        cols += [k for k in entry if k not in cols]
    return cols


def history_csv(history: list[dict], *, columns: list[str] | None = None, header: bool = True) -> str:
    cols = columns or history_columns(history)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    if header:
        w.writeheader()
    for entry in history:
        w.writerow({k: ("" if entry.get(k) is None else entry.get(k)) for k in cols})
    return buf.getvalue()


def read_history_csv(path, *, rows: int | None = None) -> list[dict]:
    """The history rows of a history.csv (the first ``rows`` of them, if given)."""
    out = []
    try:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if rows is not None and len(out) >= rows:
                    break
                out.append({k: (None if v == "" else int(v) if k == "epoch" else float(v))
                            for k, v in row.items() if k is not None})
    except (OSError, ValueError) as e:
        raise GdlabError(f"{path}: cannot read the history ({e})") from None
    return out


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
        "preprocessor": run.preprocessor.to_dict() if run.preprocessor is not None else None,
        "status": run.metrics.get("stopped_reason"),
    }


def write_run_files(run: Run, folder: str | os.PathLike) -> None:
    """Write the run-folder files of DESIGN.md into ``folder`` (each file atomically)."""
    folder = Path(folder)
    atomic_write_json(folder / "config.json", run.config)
    atomic_write_text(folder / "history.csv", history_csv(run.history))
    atomic_write_json(folder / "metrics.json", run.metrics)
    tensors = {k: v.detach().cpu().contiguous() for k, v in run.model.state_dict().items()}
    atomic_write_bytes(folder / "model.safetensors", safetensors_bytes(tensors))
    atomic_write_json(folder / "model.json", model_description(run))


def partial_dir(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".partial")


def _old_dirs(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.old-*")) if out.parent.is_dir() else []


def publish(partial: Path, out: Path) -> None:
    """Swap a finished ``partial`` folder into ``out``; an old ``out`` goes only after."""
    out = Path(out)
    old = None
    with writing(out):
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(partial, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def recover(out: Path, *, log=print) -> None:
    """Mend what a kill between the two renames of :func:`publish` left: the previous run
    hidden as ``.NAME.old-PID`` is put back (when ``out`` is missing) or removed."""
    for old in _old_dirs(Path(out)):
        if not Path(out).exists() and is_run_folder(old):
            os.replace(old, out)
            log(f"restored {out} from {old.name}, left by an interrupted publish")
        else:
            shutil.rmtree(old, ignore_errors=True)
            log(f"removed {old}, a previous run left behind by an interrupted publish")


def is_run_folder(path: Path) -> bool:
    return (Path(path) / "model.json").is_file() and (Path(path) / "model.safetensors").is_file()


def save(run: Run, out: str | os.PathLike) -> Path:
    """Save a run as a run folder (config, history, metrics, model); returns the folder.

    An existing ``out`` is replaced only if it is a gdlab run folder."""
    out = Path(out)
    if out.exists() and not (out.is_dir() and (is_run_folder(out) or not any(out.iterdir()))):
        raise GdlabError(f"{out}: exists and is not a gdlab run folder; choose another path")
    partial = partial_dir(out)
    if partial.exists():
        shutil.rmtree(partial)
    write_run_files(run, partial)
    publish(partial, out)
    return out


# --- reading a run folder back, validated ------------------------------------------------------
def _int_field(desc: dict, key: str, low: int, high: int, where) -> int:
    v = desc.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise GdlabError(f"{where}: {key} must be an integer in [{low}, {high:,}], got {v!r}")
    return v


def describe_checked(desc: object, weights: Path, where: Path) -> dict:
    """model.json checked field by field, and against the tensor shapes in ``weights``."""
    if not isinstance(desc, dict):
        raise GdlabError(f"{where}: must hold a JSON object, got {type(desc).__name__}")
    kind = desc.get("model")
    if kind not in MODELS:
        raise GdlabError(f"{where}: model must be one of {', '.join(MODELS)}, got {kind!r}")
    if desc.get("task") not in TASKS:
        raise GdlabError(f"{where}: task must be one of {', '.join(TASKS)}, got {desc.get('task')!r}")
    if desc.get("dtype", "float32") not in DTYPES:
        raise GdlabError(f"{where}: dtype must be one of {', '.join(DTYPES)}, got {desc.get('dtype')!r}")
    d = _int_field(desc, "in_features", 1, MAX_FEATURES, where)
    k = _int_field(desc, "out_features", 1, MAX_CLASSES, where)
    hidden = desc.get("hidden") or []
    if kind == "mlp":
        if (not isinstance(hidden, list) or not 1 <= len(hidden) <= MAX_HIDDEN_LAYERS
                or not all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= MAX_HIDDEN_UNITS for h in hidden)):
            raise GdlabError(f"{where}: hidden must list 1 to {MAX_HIDDEN_LAYERS} layer sizes, got {hidden!r}")
        if desc.get("activation") not in ACTIVATIONS:
            raise GdlabError(f"{where}: activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {desc.get('activation')!r}")
    else:
        hidden = []
    names = desc.get("feature_names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise GdlabError(f"{where}: feature_names must be a list of names")
    classes = desc.get("classes")
    if desc["task"] != "regression":
        if not isinstance(classes, list) or len(classes) < 2:
            raise GdlabError(f"{where}: a classifier needs a list of at least 2 classes, got {classes!r}")
        if len(classes) != (k if k > 1 else 2):
            raise GdlabError(f"{where}: {len(classes)} classes for {k} outputs")
    bias = desc.get("bias", True)
    if not isinstance(bias, bool):
        raise GdlabError(f"{where}: bias must be true or false, got {bias!r}")
    # the tensors the description implies, against the file's own header (nothing loaded)
    sizes = [d, *hidden, k]
    want = {}
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        want[f"layers.{i}.weight"] = [b, a]
        if bias:
            want[f"layers.{i}.bias"] = [b]
    try:
        with safe_open(str(weights), framework="pt") as f:
            have = {name: list(f.get_slice(name).get_shape()) for name in f.keys()}
    except Exception as e:
        raise GdlabError(f"{weights}: not a readable safetensors file ({str(e).splitlines()[0]})") from None
    if have != want:
        raise GdlabError(f"{weights}: its tensors {have} do not match {where.name}, which "
                         f"describes {want}")
    desc["hidden"] = hidden
    return desc


def load_run(folder: str | os.PathLike) -> Run:
    """Read a run folder back: the model (safetensors, no pickle), history, metrics."""
    from .data import Preprocessor, Standardizer

    folder = Path(folder)
    if not folder.is_dir():
        raise GdlabError(f"run folder not found: {folder}")
    weights = folder / "model.safetensors"
    desc_path = folder / "model.json"
    if not desc_path.exists() or not weights.exists():
        missing = desc_path.name if not desc_path.exists() else weights.name
        raise GdlabError(f"{folder}: no {missing} (is it a finished gdlab run folder?)")
    desc = describe_checked(read_json(desc_path, what="model.json"), weights, desc_path)
    model = build_model(
        desc["model"], desc["in_features"], desc["out_features"],
        hidden=desc["hidden"] or (10,), activation=desc.get("activation") or "sigmoid",
        bias=desc.get("bias", True),
    )
    try:
        model.load_state_dict(load_file(str(weights)))
    except Exception as e:  # a damaged file: say which
        raise GdlabError(f"{weights}: cannot load the model ({str(e).splitlines()[0]})") from None
    model = model.to(dtype=getattr(torch, desc.get("dtype", "float32"))).eval()
    std = desc.get("standardization")
    prep = desc.get("preprocessor")
    prep = Preprocessor.from_dict(prep) if prep is not None else None
    if prep is not None and prep.n_out != desc["in_features"]:
        raise GdlabError(f"{desc_path}: its preprocessor gives {prep.n_out} features, the model "
                         f"takes {desc['in_features']}")
    standardizer = Standardizer.from_dict(std) if std else None
    if standardizer is not None and standardizer.mean_.size != desc["in_features"]:
        raise GdlabError(f"{desc_path}: its standardization has {standardizer.mean_.size} "
                         f"features, the model takes {desc['in_features']}")
    if len(desc["feature_names"]) != desc["in_features"]:
        raise GdlabError(f"{desc_path}: {len(desc['feature_names'])} feature names for "
                         f"{desc['in_features']} inputs")
    history = read_history_csv(folder / "history.csv") if (folder / "history.csv").exists() else []
    metrics = read_json(folder / "metrics.json") if (folder / "metrics.json").exists() else {}
    config = read_json(folder / "config.json") if (folder / "config.json").exists() else {}
    return Run(
        model=model, history=history, metrics=metrics if isinstance(metrics, dict) else {},
        config=config if isinstance(config, dict) else {}, task=desc["task"],
        feature_names=desc["feature_names"], target_name=str(desc.get("target_name", "y")),
        classes=desc.get("classes"), standardizer=standardizer, status=desc.get("status"),
        preprocessor=prep,
    )


# --- checkpoints (for --resume) ------------------------------------------------------------
def save_checkpoint(folder: str | os.PathLike, state, *, extra: dict | None = None,
                    history_rows: int | None = None) -> None:
    """Write the state after a completed epoch: tensors in safetensors, the rest in JSON
    (``extra``, e.g. the run's settings, alongside). The history itself lives in the
    folder's history.csv (``history_rows`` of it belong to this checkpoint); without
    ``history_rows`` it is stored inside the checkpoint."""
    folder = Path(folder)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in state.model.state_dict().items()}
    tensors.update({f"engine.{k}": v.detach().cpu().contiguous() for k, v in state.engine.state_dict().items()})
    if state.best_state is not None:
        tensors.update({f"best.{k}": v.detach().cpu().contiguous() for k, v in state.best_state.items()})
    meta = {
        "epoch": state.epoch, "step": state.step,
        "steps": state.steps if len(state.steps) <= CHECKPOINT_STEPS_LIMIT else [],
        "initial_loss": state.initial_loss, "best_loss": state.best_loss,
        "best_epoch": state.best_epoch, "no_improve": state.no_improve, "seconds": state.seconds,
        "extra": extra or {},
    }
    if history_rows is None:
        meta["history"] = state.history
    else:
        meta["history_rows"] = history_rows
    # One file: the JSON rides in the safetensors metadata, so tensors and epoch can
    # never disagree after a crash mid-write.
    blob = json.dumps(clean_json(meta), allow_nan=False)
    atomic_write_bytes(folder / "checkpoint.safetensors", safetensors_bytes(tensors, metadata={"gdlab": blob}))


def load_checkpoint(folder: str | os.PathLike):
    """Read a checkpoint written by :func:`save_checkpoint`: (TrainState, extra)."""
    from .train import TrainState

    folder = Path(folder)
    path = folder / "checkpoint.safetensors"
    if not path.exists():
        raise GdlabError(f"{path}: no checkpoint to resume from")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["gdlab"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        history = (meta["history"] if "history" in meta
                   else read_history_csv(folder / "history.csv", rows=meta["history_rows"]))
        if len(history) != meta["epoch"]:
            raise ValueError(f"{len(history)} history rows for epoch {meta['epoch']}")
        part = lambda prefix: {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}  # noqa: E731
        best = part("best.")
        state = TrainState(
            epoch=meta["epoch"], step=meta["step"], history=history, steps=meta["steps"],
            initial_loss=meta["initial_loss"],
            best_loss=math.inf if meta["best_loss"] is None else meta["best_loss"],
            best_epoch=meta["best_epoch"], best_state=best or None, no_improve=meta["no_improve"],
            seconds=meta["seconds"], model_state=part("model."), engine_state=part("engine."),
        )
    except GdlabError:
        raise
    except Exception as e:
        raise GdlabError(f"{path}: damaged checkpoint ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    return state, meta.get("extra", {})
