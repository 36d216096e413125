"""Setup: the ONE place that builds model, loss, engine and feed from a config and data.

Every entry point — ``gdlab.train`` (and so the CLI), the scikit-learn estimators,
``gdlab bench``, the playground, ``compare``, ``sweep`` and ``surface`` — calls
:func:`build`, so the rules live here once:

- **model from task**: a numeric target → linear regression, two classes → logistic,
  more → softmax (:func:`model_kind`); softmax on two classes trains two outputs, and
  linear regression on integer class labels fits them as numbers (:func:`task_for`);
- **compatibility** of model, loss and task (:func:`check_compatible`);
- **the data path**: split (seeded, stratified), standardization fitted on the training
  rows only, class weights, tensors on the device, and the feed that batches them —
  in memory, this process's shard, or a stream of chunks;
- **the engine** ``auto`` picks (:func:`engine_for`) and the size bounds a model must
  fit in memory (:func:`check_model_size`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .config import TrainConfig
from .data import Dataset, Preprocessor, Standardizer, check_finite_for, load, split_dataset
from .data.split import Splits
from .data.stream import (
    AUTO_STREAM_FRACTION,
    StreamData,
    available_memory,
    open_stream,
    should_stream,
)
from .distributed import Comm
from .engines import make_engine
from .errors import GdlabError, SettingError
from .feeds import MemoryFeed, StreamFeed
from .losses import default_loss
from .models import build_model

MODEL_FOR_TASK = {"regression": "linear", "binary": "logistic", "multiclass": "softmax"}
MEMORY_SHARE = 0.8  # a model may use at most this share of the available memory
# lr "auto": the loss's largest second derivative in the model's output, per row —
# (z − y)² → 2, ½(z − y)² → 1, bce σ'(z) ≤ ¼, cross-entropy λmax(diag(p) − ppᵀ) ≤ ½
CURVATURE = {"mse": 2.0, "half-mse": 1.0, "bce": 0.25, "cross-entropy": 0.5}
AUTO_SAMPLE_ROWS = 50_000  # rows the curvature is estimated on
ADAM_LR = 0.001  # lr "auto" with adam: Kingma & Ba's default
MLP_LR = 0.1  # lr "auto" cap with hidden layers, where the bound holds for the last layer only
# lr "auto" with mini-batches of the squared error: this share of the stability bound. At
# the bound the batches' noise — unbounded, as the residuals are — keeps a constant-step run
# hovering well above the minimum (a tenth of it keeps the excess loss small on the tables
# gdlab is tested on); the log losses' gradients are bounded, and they take the bound itself.
MINIBATCH_LR_SHARE = 0.1


@dataclass
class Setup:
    """Everything a training run is made of, built by :func:`build`."""

    cfg: TrainConfig  # as resolved (the learning rate chosen, streaming decided)
    data: Dataset | StreamData
    task: str
    kind: str
    loss: str
    model: torch.nn.Module
    engine: object
    engine_name: str
    feed: object
    device: torch.device
    dtype: torch.dtype
    standardizer: Standardizer | None = None
    preprocessor: Preprocessor | None = None  # filling and one-hot encoding, before standardizing
    feature_names: list[str] = field(default_factory=list)  # the model's inputs, in order
    splits: Splits | None = None
    rank: int = 0
    size: int = 1
    notes: list[str] = field(default_factory=list)


# --- the rules ----------------------------------------------------------------------------
def model_kind(cfg_model: str | None, task: str) -> str:
    """The model a run trains: the configured one, else the task's natural one."""
    return cfg_model if cfg_model is not None else MODEL_FOR_TASK[task]


def task_for(kind: str, data) -> str:
    """The task a model trains on ``data``: softmax on two classes is two-output
    multiclass; linear regression on integer class labels fits them as numbers."""
    if kind == "softmax" and data.task == "binary":
        return "multiclass"
    if kind == "linear" and data.task != "regression" and _numeric_classes(data):
        return "regression"
    return data.task


def _numeric_classes(data) -> bool:
    classes = getattr(data, "classes", None)
    return bool(classes) and all(isinstance(c, int | float) and not isinstance(c, bool) for c in classes)


def check_compatible(kind: str, loss: str, task: str, *, name: str = "the data", n_classes: int = 0) -> None:
    """Refuse model/loss/task combinations that cannot work, naming them."""
    if kind == "linear" and task != "regression":
        raise GdlabError(
            f"--model linear needs a numeric target; {name} is {task} classification with "
            "text labels (use --model logistic or softmax)"
        )
    if kind == "logistic" and task != "binary":
        raise GdlabError(
            f"--model logistic needs two classes; {name} has "
            + (f"{n_classes} (use --model softmax)" if task == "multiclass" else "a numeric target")
        )
    if kind == "softmax" and task == "regression":
        raise GdlabError(f"--model softmax needs a class target; {name} has a numeric target")
    if task == "multiclass" and loss != "cross-entropy":
        raise GdlabError(f"--loss {loss} does not fit {n_classes} classes; use cross-entropy")
    if task == "binary" and loss == "cross-entropy":
        raise GdlabError("--loss cross-entropy needs a softmax output; for two classes use bce")
    if task == "regression" and loss in ("bce", "cross-entropy"):
        raise GdlabError(f"--loss {loss} needs a class target; {name} has a numeric target")


def n_outputs(task: str, n_classes: int) -> int:
    return n_classes if task == "multiclass" else 1


def check_model_size(kind: str, n_features: int, n_out: int, hidden, *, rows: int, dtype: torch.dtype) -> None:
    """Refuse, before allocating anything, a model whose parameters, gradients, optimizer
    state and one batch of activations would not fit in the available memory."""
    sizes = [n_features, *(hidden if kind == "mlp" else ()), n_out]
    params = sum(a * b + b for a, b in itertools.pairwise(sizes))
    width = sum(sizes[1:])
    item = torch.finfo(dtype).bits // 8
    need = (4 * params + 2 * rows * width) * item  # θ, ∇, two optimizer buffers; activations
    have = available_memory()
    if need > MEMORY_SHARE * have:
        raise SettingError(
            "hidden", tuple(hidden),
            f"the model would have {params:,} parameters and need about {need / 1e9:.1f} GB "
            f"for training; {have / 1e9:.1f} GB of memory is available (use fewer hidden "
            "units or a smaller batch)",
        )


def engine_for(name: str, model) -> str:
    """``--engine auto``: the fused ``fast`` engine for one-layer models (it never does
    more work than ``manual``), and ``manual`` — hand-written backpropagation, no autograd
    graph — for networks with hidden layers."""
    if name != "auto":
        return name
    return "fast" if len(model.layers) == 1 else "manual"


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GdlabError("--device cuda: no CUDA device is available here; use --device cpu")
    return torch.device(name)


def torch_dtype(name: str) -> torch.dtype:
    return torch.float64 if name == "float64" else torch.float32


def target_tensor(y: np.ndarray, task: str, *, dtype, device) -> torch.Tensor:
    """Targets in the shape the losses expect: (n, 1) float, or (n,) int64 class indices."""
    if torch.is_tensor(y):  # already a tensor (bench data): no copy when it fits
        if task == "multiclass":
            return y.to(device=device, dtype=torch.int64)
        return y.reshape(-1, 1).to(device=device, dtype=dtype)
    if task == "multiclass":
        return _tensor(np.asarray(y), dtype=torch.int64, device=device)
    return _tensor(np.asarray(y, dtype=np.float64).reshape(-1, 1), dtype=dtype, device=device)


def class_weights(y_train: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's ``class_weight="balanced"``: class c weighs n / (k · n_c) on the
    training rows (k classes present, n_c rows of class c), so every class contributes
    equally to the loss. Returns the weight of each class (0 for a class not present)."""
    counts = np.bincount(np.asarray(y_train, dtype=np.int64), minlength=n_classes).astype(np.float64)
    present = counts > 0
    per_class = np.zeros(n_classes)
    per_class[present] = counts.sum() / (present.sum() * counts[present])
    return per_class


# --- data in ----------------------------------------------------------------------------------
def open_data(source, cfg: TrainConfig, *, log: Callable[[str], None] = print):
    """(data, cfg): a built-in name or a file; a file is streamed with ``stream=True``, or
    when it is too big to load whole (the message says so, and the config records it)."""
    source = str(source)
    if not cfg.stream and should_stream(source):
        log(f"{source} is larger than {AUTO_STREAM_FRACTION:.0%} of the available memory: "
            "streaming it from disk chunk by chunk (as with --stream)")
        cfg = cfg.replace(stream=True)
    if cfg.stream:
        data = open_stream(source, target=cfg.target, val_fraction=cfg.val_fraction,
                           test_fraction=cfg.test_fraction, seed=cfg.seed, log=log)
    else:
        data = load(source, target=cfg.target, task=cfg.task, features=cfg.features,
                    drop=cfg.drop, impute=cfg.impute, delimiter=cfg.delimiter)
        for note in data.meta.get("notes", ()):
            log(note)
    return data, cfg


# --- the one setup ------------------------------------------------------------------------------
def build(
    data,
    cfg: TrainConfig,
    *,
    model: torch.nn.Module | None = None,
    splits: Splits | None = None,
    weights: np.ndarray | None = None,
    log: Callable[[str], None] = print,
    comm: Comm | None = None,
    rank: int = 0,
    size: int = 1,
    seed_model: bool = True,
) -> Setup:
    """Build model, loss, engine and feed for training ``data`` with ``cfg``.

    Parameters
    ----------
    data : Dataset, StreamData, str or path
        What to train on (a name or path is opened with :func:`open_data`).
    cfg : TrainConfig
    model : nn.Module, optional
        Train this model instead of building one (it is moved to the device and dtype).
    splits : Splits, optional
        The rows of each split, when the caller made them (the estimators); else the
        data is split by ``cfg``'s fractions and seed.
    weights : ndarray of shape (n_samples,) or dict, optional
        Per-row weights of ``data`` (sample weights), split with the rows; or, with given
        ``splits``, ``{"train": w, "val": w}`` for the split rows themselves.
    comm, rank, size
        Distributed data parallel: this process keeps its shard of the training rows.
    seed_model : bool, default=True
        Seed torch's generator with ``cfg.seed`` before building the model (so the same
        seed gives the same initial weights).
    """
    notes: list[str] = []
    if isinstance(data, str | Path):
        data, cfg = open_data(data, cfg, log=log)
    device = resolve_device(cfg.device)
    dtype = torch_dtype(cfg.dtype)
    kind = model.kind if model is not None else model_kind(cfg.model, data.task)
    task = task_for(kind, data)
    if task == "regression" and data.task != "regression":
        notes.append(f"{data.target_name!r} holds integer labels: --model linear fits them as numbers "
                     "(regression)")
        data = _as_regression(data)
    elif task != data.task:
        data = dataclasses.replace(data, task=task)
    loss = cfg.loss or default_loss(task)
    check_compatible(kind, loss, task, name=data.name, n_classes=data.n_classes)
    n_outputs(task, data.n_classes)

    # --- the feed: rows, split, filled and encoded, standardized, weighted, on the device ---
    comm = comm or Comm(size)
    preprocessor = None
    feature_names = list(data.feature_names)
    n_features = data.n_features
    if isinstance(data, StreamData):
        standardizer = None
        feed = StreamFeed(data, batch_size=cfg.resolved_batch_size(data.n_train), seed=cfg.seed,
                          dtype=dtype, device=device, standardize=cfg.standardize,
                          shuffle=cfg.shuffle, comm=comm, rank=rank, size=size)
        standardizer = feed.standardizer
        n_rows = data.n_train
    else:
        if not torch.is_tensor(data.X):
            check_finite_for(data, dtype)  # 1e308 in a float32 run is bad data, not divergence
        if splits is None:
            splits = split_dataset(data, test_fraction=cfg.test_fraction,
                                   val_fraction=cfg.val_fraction, seed=cfg.seed)
            if splits.note:
                notes.append(splits.note)
        splits, preprocessor = _preprocess(data, splits, cfg, notes)
        if preprocessor is not None and preprocessor.feature_names is not None:
            feature_names = preprocessor.feature_names
        n_features = splits.X_train.shape[1]
        standardizer = _standardizer(cfg, splits.X_train)
        part_weights = _weights(cfg, splits, weights, task, data.n_classes)
        tensors = {}
        for name, X, y in (("train", splits.X_train, splits.y_train), ("val", splits.X_val, splits.y_val),
                           ("test", splits.X_test, splits.y_test)):
            if X is None or len(X) == 0:
                tensors[name] = None if name != "train" else _empty_train(data)
                continue
            Xs = standardizer.transform(X) if standardizer is not None else X
            w = part_weights.get(name)
            tensors[name] = (
                _tensor(Xs, dtype=dtype, device=device),
                target_tensor(y, task, dtype=dtype, device=device),
                None if w is None else torch.as_tensor(w, dtype=dtype, device=device),
            )
        n_rows = int(tensors["train"][0].shape[0])
        feed = MemoryFeed(tensors, batch_size=cfg.resolved_batch_size(n_rows), seed=cfg.seed,
                          shuffle=cfg.shuffle, task=task, comm=comm, rank=rank, size=size,
                          standardizer=standardizer)

    # --- the learning rate, when it is to be chosen from the data ------------------------------
    if cfg.lr == "auto":
        lr, how = auto_lr(cfg, feed, loss=loss, kind=kind if model is None else model.kind)
        cfg = cfg.replace(lr=lr)
        notes.append(f"lr auto: {lr:.4g} ({how}; --lr to set it)")

    # --- the model and its engine ----------------------------------------------------------------
    if model is None:
        model = initial_model(data, cfg, kind=kind, task=task, rows=cfg.resolved_batch_size(n_rows),
                              seed=seed_model, n_features=n_features)
        _start_at_the_mean(model, cfg, task, _target_mean(data, splits))
    elif model.in_features != n_features:
        raise GdlabError(
            f"the model takes {model.in_features} features, but {data.name} has "
            f"{n_features} ({', '.join(map(str, feature_names[:8]))}"
            f"{', …' if n_features > 8 else ''})"
        )
    model = model.to(device=device, dtype=dtype)
    engine_name = engine_for(cfg.engine, model)
    engine = make_engine(
        engine_name, model, loss=loss, rule=cfg.rule(), l2=cfg.l2, l1=cfg.l1,
        momentum=cfg.momentum, betas=cfg.betas, eps=cfg.eps,
    )
    engine.check_data(n_rows, n_features, updates=cfg.epochs * feed.n_batches)
    return Setup(cfg=cfg, data=data, task=task, kind=kind, loss=loss, model=model, engine=engine,
                 engine_name=engine_name, feed=feed, device=device, dtype=dtype,
                 standardizer=standardizer, preprocessor=preprocessor, feature_names=feature_names,
                 splits=splits, rank=rank, size=size, notes=notes)


def initial_model(data, cfg: TrainConfig, *, kind: str | None = None, task: str | None = None,
                  rows: int = 1, seed: bool = True, n_features: int | None = None) -> torch.nn.Module:
    """The model a run on ``data`` starts from: its kind and outputs from the task, its
    size checked against the memory, its weights from ``cfg.seed`` (float32, CPU).
    ``n_features``: the model's inputs when encoding changed them (one-hot columns)."""
    kind = kind or model_kind(cfg.model, data.task)
    task = task or task_for(kind, data)
    n_out = n_outputs(task, data.n_classes)
    d = data.n_features if n_features is None else n_features
    check_model_size(kind, d, n_out, cfg.hidden, rows=rows, dtype=torch_dtype(cfg.dtype))
    if seed:  # the CPU generator, which the weights are drawn from (torch.manual_seed would
        # also seed every accelerator's, at a millisecond a call)
        torch.random.default_generator.manual_seed(cfg.seed)
    return build_model(kind, d, n_out, hidden=cfg.hidden,
                       activation=cfg.activation, init_std=cfg.init_std, bias=cfg.bias)


def _preprocess(data, splits: Splits, cfg: TrainConfig, notes: list[str]):
    """(splits with every feature filled and encoded, the preprocessor or None): fitted on
    the training rows only, applied to each split; the cells it filled said in one note."""
    columns = getattr(data, "columns", None)
    if columns is None:
        return splits, None
    prep = Preprocessor.fit(splits.X_train, columns, impute=cfg.impute)
    parts = {name: getattr(splits, f"X_{name}") for name in ("train", "val", "test")}
    counts = None
    for X in parts.values():
        if X is not None and len(X):
            c = prep.counts(X)
            counts = c if counts is None else counts + c
    if counts is not None:
        notes.extend(prep.notes(counts, where=""))
    done = {f"X_{name}": (None if X is None else prep.transform(X)) for name, X in parts.items()}
    return dataclasses.replace(splits, **done), prep


def _tensor(a, *, dtype, device) -> torch.Tensor:
    """A row-major tensor of ``a``, sharing its memory where it can (a read-only or
    column-major array is copied: the engines read rows)."""
    if isinstance(a, np.ndarray) and (not a.flags.writeable or not a.flags.c_contiguous):
        a = np.array(a, order="C")
    return torch.as_tensor(a, dtype=dtype, device=device)


def auto_lr(cfg: TrainConfig, feed, *, loss: str, kind: str) -> tuple[float, str]:
    r"""(η, how it was chosen) for ``lr="auto"``, from the curvature of the training rows.

    For a one-layer model the loss's Hessian is bounded by c·(1/N) Σᵢ x̃ᵢx̃ᵢᵀ (x̃ = x with a
    1 for the bias; c from :data:`CURVATURE`), so with λ its largest eigenvalue a
    full-batch step of η = 1/(c·λ) never overshoots. A batch of B rows is noisier: its
    curvature is about λ + (R² − λ)/B, R² the mean of wᵢ²‖x̃ᵢ‖² (‖x̃ᵢ‖² without weights)
    or, when larger, w_max times the mean of wᵢ‖x̃ᵢ‖² (the batch that holds the heaviest
    row: a class of one row weighted 33× under ``class_weight="balanced"``; without
    weights both are the mean of ‖x̃ᵢ‖²), so η = 1/(c·(λ + (R² − λ)/B)),
    which is 1/(c·R²) for one row at a time; for the squared error (whose batch noise grows
    with the residuals) a tenth of that, :data:`MINIBATCH_LR_SHARE`. Momentum μ multiplies
    the step by 1/(1 − μ),
    so η is scaled by (1 − μ). λ comes from up to :data:`AUTO_SAMPLE_ROWS` training rows
    (as the model sees them: encoded and standardized). With hidden layers η is at most
    :data:`MLP_LR`; with adam it is :data:`ADAM_LR`, times the target's standard deviation
    for the squared error (Adam moves each parameter by about η per step, and a
    regression's weights must reach the target's scale).
    """
    if cfg.optimizer == "adam":  # Adam moves each parameter by about η per step
        scale = _target_scale(feed) if loss in ("mse", "half-mse") else 1.0
        if scale != 1.0:
            return ADAM_LR * scale, (f"Adam's usual step {ADAM_LR:g} times the target's standard "
                                     f"deviation {scale:.4g}, the scale its weights must reach")
        return ADAM_LR, "Adam's usual step"
    X, w = _sample_rows(feed)
    if cfg.bias:
        X = np.hstack([X, np.ones((len(X), 1))])
    w = np.ones(len(X)) if w is None else w / w.mean()  # as the feed scales them: mean 1
    cov = (X * (w / len(w))[:, None]).T @ X  # (d+1, d+1): (1/n) Σ wᵢ x̃ᵢx̃ᵢᵀ
    lam = float(np.linalg.eigvalsh(cov)[-1]) if len(cov) <= 2000 else _power_iteration(cov)
    # one row's share of a batch's curvature: wᵢ‖x̃ᵢ‖², whose mean over the rows a batch
    # draws is (1/n) Σ wᵢ²‖x̃ᵢ‖² (heavy class weights make batches noisier); and every
    # epoch has the batch that holds the heaviest row, w_max times a typical row
    sq = np.einsum("ij,ij->i", X, X)
    r2 = max(float(np.mean(w * w * sq)), float(w.max() * np.mean(w * sq)))
    b = feed.batch_size
    n = feed.counts()[0]
    full = b >= n
    curvature = lam if full else lam + max(0.0, r2 - lam) / b
    c = CURVATURE.get(loss, 2.0)
    lr = 1.0 / max(c * curvature, 1e-12)
    how = f"1/(c·λ) with the data's largest curvature λ = {curvature:.4g}, c = {c:g}"
    if not full and loss in ("mse", "half-mse"):
        lr *= MINIBATCH_LR_SHARE
        how = f"{MINIBATCH_LR_SHARE:g}/(c·λ) for batches of {b}, with the batch curvature λ = {curvature:.4g}, c = {c:g}"
    if cfg.rule() in ("momentum", "nesterov"):
        lr *= 1.0 - cfg.momentum
        how += ", times 1 − momentum"
    if kind == "mlp" and lr > MLP_LR:
        lr, how = MLP_LR, f"{how}, capped at {MLP_LR:g} with hidden layers"
    return min(lr, 1e3), how


def _target_scale(feed) -> float:
    """The standard deviation of a regression target over the training rows (≥ 1)."""
    ys = []
    for piece in feed.pieces("train"):
        piece = piece.standardized()
        ys.append(piece.y.detach().to("cpu", torch.float64).numpy().reshape(len(piece.y), -1))
        if sum(len(y) for y in ys) >= AUTO_SAMPLE_ROWS:
            break
    y = np.concatenate(ys) if ys else np.zeros((1, 1))
    return max(1.0, float(y.std(axis=0).max()))


def _target_mean(data, splits) -> np.ndarray | None:
    """The training target's mean per output (a stream's from its statistics pass)."""
    if isinstance(data, StreamData):
        return None if data.target_mean is None else np.array([data.target_mean])
    if splits is None or splits.y_train is None or len(splits.y_train) == 0:
        return None
    y = np.asarray(splits.y_train, dtype=np.float64)
    return y.reshape(len(y), -1).mean(axis=0)


def _start_at_the_mean(model, cfg: TrainConfig, task: str, mean) -> None:
    """A regression model on standardized (so centred) features, with PyTorch's default
    initialization, starts its output bias at the training target's mean — where a linear
    model's optimal intercept is for centred features — so the first epochs learn the
    features, not the offset (``init_std`` keeps d2l's bias of 0; ``--no-bias`` has none;
    raw features keep the default start, as the course's experiments use it)."""
    if (task != "regression" or cfg.init_std is not None or not cfg.bias or not cfg.standardize
            or mean is None):
        return
    with torch.no_grad():
        model.layers[-1].bias.copy_(torch.as_tensor(mean, dtype=model.layers[-1].bias.dtype))


def _sample_rows(feed) -> tuple[np.ndarray, np.ndarray | None]:
    """Up to AUTO_SAMPLE_ROWS training rows as the model sees them (float64), and weights."""
    xs, ws, got = [], [], 0
    for piece in feed.pieces("train"):
        piece = piece.standardized()
        X = piece.X.detach().to("cpu", torch.float64).numpy()
        w = None if piece.w is None else piece.w.detach().to("cpu", torch.float64).numpy()
        if w is not None:
            keep = w > 0
            X, w = X[keep], w[keep]
        take = min(len(X), AUTO_SAMPLE_ROWS - got)
        if take < len(X):  # a spread of rows, not the first ones
            idx = np.linspace(0, len(X) - 1, take).astype(np.int64)
            X, w = X[idx], None if w is None else w[idx]
        xs.append(X)
        ws.append(np.ones(len(X)) if w is None else w)
        got += len(X)
        if got >= AUTO_SAMPLE_ROWS:
            break
    if not xs or got == 0:
        raise GdlabError("lr auto: no training rows to estimate the curvature from")
    return np.concatenate(xs), np.concatenate(ws)


def _power_iteration(M: np.ndarray, steps: int = 50) -> float:
    v = np.random.default_rng(0).normal(size=M.shape[0])
    for _ in range(steps):
        v = M @ v
        v /= np.linalg.norm(v)
    return float(v @ M @ v)


def _standardizer(cfg: TrainConfig, X_train: np.ndarray) -> Standardizer | None:
    """Fitted on the training rows only. Without a bias the features are scaled but not
    centred: a shift would bring an intercept back into y = x wᵀ."""
    if not cfg.standardize or len(X_train) == 0:
        return None
    std = Standardizer().fit(X_train)
    if not cfg.bias:
        std.mean_ = np.zeros_like(std.mean_)
    return std


def _weights(cfg: TrainConfig, splits: Splits, weights, task: str, n_classes: int) -> dict:
    """Per-row weights of the training and validation rows: sample weights times the
    balanced class weights (fitted on the training rows); None where there are neither.
    The training weights are scaled to mean 1, so a batch's mean of weighted losses is an
    unbiased estimate of the weighted mean over every training row (and a full batch is
    exactly it)."""
    per_class = None
    if cfg.class_weight == "balanced" and task != "regression":
        per_class = class_weights(splits.y_train, n_classes)
    out: dict = {}
    for name, index, y in (("train", splits.train_index, splits.y_train), ("val", splits.val_index, splits.y_val)):
        w = None
        if isinstance(weights, dict):
            w = None if weights.get(name) is None else np.asarray(weights[name], dtype=np.float64)
        elif weights is not None and index is not None:
            w = np.asarray(weights, dtype=np.float64)[index]
        if per_class is not None and y is not None:
            cw = per_class[np.asarray(y, dtype=np.int64)]
            w = cw if w is None else w * cw
        if w is not None and name == "train":
            mean = float(w.mean()) if len(w) else 0.0
            if not mean > 0:
                raise GdlabError("every training row has weight 0: nothing to train on")
            w = w / mean
        out[name] = w
    return out


def _empty_train(data):
    raise GdlabError(f"{data.name}: no rows left to train on after the split")


def _as_regression(data):
    """Class labels that are numbers, as a numeric target."""
    values = np.asarray(data.classes, dtype=np.float64)
    y_test = None if data.y_test is None else values[data.y_test]
    return dataclasses.replace(data, y=values[data.y], y_test=y_test, task="regression", classes=None)
