"""One typed, frozen configuration for a training run; every setting checked here, once.

The CLI builds a :class:`TrainConfig` from its flags, ``gdlab.train`` from its keyword
arguments, the estimators and the playground from theirs, so all of them take the same
settings with the same defaults and the same bounds. A config never changes after it
is validated: :meth:`TrainConfig.replace` makes a new one (``dataclasses.replace`` plus
validation), which is how a sweep changes the learning rate or the surface command the
optimizer.

This module imports nothing heavy (no torch), so the command line can parse and check
flags before it loads PyTorch.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, fields
from numbers import Integral, Real

from .errors import SettingError

OPTIMIZERS = ("gd", "sgd", "minibatch", "momentum", "nesterov", "adam")
SCHEDULES = ("constant", "step", "invscaling")
ENGINE_NAMES = ("auto", "scalar", "manual", "autograd", "nn", "fast")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float32", "float64")
MODELS = ("linear", "logistic", "softmax", "mlp")
ACTIVATIONS = ("sigmoid", "relu", "tanh")
LOSSES = ("mse", "half-mse", "bce", "cross-entropy")
TASKS = ("regression", "binary", "multiclass")
IMPUTE = ("auto", "mean", "median", "most-frequent", "none")
DELIMITERS = (",", ";", "\t", "|")
DEFAULT_BATCH = 32  # mini-batch size when none is given (a common default; d2l uses 10)

# Bounds. Each keeps a setting inside what can run at all; memory is checked against the
# machine when the model is built (gdlab.setup), not here.
MAX_EPOCHS = 10_000_000
MAX_LR = 1e6
MAX_PENALTY = 1e6
MAX_SEED = 2**32 - 1  # numpy's and scikit-learn's seeds are 32-bit
MAX_HIDDEN_LAYERS = 16
MAX_HIDDEN_UNITS = 1_000_000
MAX_INIT_STD = 1e3
MAX_POWER_T = 10.0


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run (the flags of ``gdlab train``).

    ``optimizer`` names both how batches are drawn and the update rule:
    ``gd`` full batch, ``sgd`` one sample per update, ``minibatch`` ``batch_size`` samples;
    ``momentum``, ``nesterov`` and ``adam`` use mini-batches of ``batch_size`` (pass
    ``batch_size="full"`` for full-batch updates with those rules).

    Build one with :meth:`from_kwargs` (unknown keys refused) and change one with
    :meth:`replace`; both validate, and a bad value raises :class:`~gdlab.errors.SettingError`
    naming the setting, the value and the allowed range.
    """

    model: str | None = None  # linear | logistic | softmax | mlp; None: from the target
    hidden: tuple[int, ...] = (10,)
    activation: str = "sigmoid"
    bias: bool = True  # False: y = x wᵀ, as the notes' y = w·x (no intercept)
    optimizer: str = "minibatch"
    batch_size: int | str | None = None  # None: 1 for sgd, all for gd, else DEFAULT_BATCH
    shuffle: bool = True  # False: every epoch visits the rows in their order (course order)
    lr: float | str = "auto"  # a number, or "auto": chosen from the data's curvature (gdlab.setup)
    epochs: int = 100
    engine: str = "auto"
    loss: str | None = None  # mse | half-mse | bce | cross-entropy; None: from the task
    l2: float = 0.0
    l1: float = 0.0
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    schedule: str = "constant"
    lr_step: int = 10  # step schedule: multiply lr by lr_gamma every lr_step epochs
    lr_gamma: float = 0.5
    power_t: float = 0.5  # invscaling: lr / epoch**power_t
    tol: float | None = None
    patience: int = 5
    grad_tol: float | None = None
    early_stopping: bool = False
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    standardize: bool = True
    init_std: float | None = None  # None: PyTorch's default init; d2l uses 0.01
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"
    target: str | int | None = None
    task: str | None = None  # regression | binary | multiclass; None: from the target
    features: tuple[str, ...] | None = None  # train on these columns only
    drop: tuple[str, ...] | None = None  # leave these columns out
    impute: str = "auto"  # missing cells: auto (mean / most frequent) | mean | median | most-frequent | none
    delimiter: str | None = None  # CSV delimiter; None: detected
    class_weight: str | None = None  # None or "balanced"
    quiet: bool = False
    record_path: bool = False
    stream: bool = False  # read the file chunk by chunk instead of loading it

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_kwargs(cls, **kwargs) -> TrainConfig:
        """A validated config from keyword settings; unknown keys are refused."""
        _check_known(kwargs)
        return cls(**kwargs)

    def replace(self, **changes) -> TrainConfig:
        """A new config with ``changes`` applied and validated (this one is unchanged)."""
        _check_known(changes)
        return dataclasses.replace(self, **changes)

    def rule(self) -> str:
        """The update rule the optimizer implies (sgd for gd/sgd/minibatch)."""
        return self.optimizer if self.optimizer in ("momentum", "nesterov", "adam") else "sgd"

    def resolved_batch_size(self, n_train: int) -> int:
        """The batch size actually used on ``n_train`` training rows."""
        if self.optimizer == "gd" or self.batch_size == "full":
            return max(1, n_train)
        if self.optimizer == "sgd":
            return 1
        return max(1, min(n_train, self.batch_size or DEFAULT_BATCH))

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("hidden", "betas", "features", "drop"):
            if d[key] is not None:
                d[key] = list(d[key])
        return d


def setting_names() -> list[str]:
    return [f.name for f in fields(TrainConfig)]


def _check_known(kwargs: dict) -> None:
    known = set(setting_names())
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise SettingError(
            unknown[0], None,
            f"unknown setting {unknown[0]!r}; known settings: {', '.join(sorted(known))}",
        )


# --- validation --------------------------------------------------------------------------
def _validate(cfg: TrainConfig) -> None:
    """Check every setting; normalize sequences to tuples. Raises SettingError."""
    set_ = lambda name, value: object.__setattr__(cfg, name, value)  # noqa: E731 (frozen)
    _choice("model", cfg.model, MODELS, optional=True)
    _choice("activation", cfg.activation, ACTIVATIONS)
    _choice("optimizer", cfg.optimizer, OPTIMIZERS)
    _choice("schedule", cfg.schedule, SCHEDULES)
    _choice("engine", cfg.engine, ENGINE_NAMES)
    _choice("device", cfg.device, DEVICES)
    _choice("dtype", cfg.dtype, DTYPES)
    _choice("loss", cfg.loss, LOSSES, optional=True)
    _choice("task", cfg.task, TASKS, optional=True)
    _choice("impute", cfg.impute, IMPUTE)
    _choice("delimiter", cfg.delimiter, DELIMITERS, optional=True)
    _choice("class_weight", cfg.class_weight, ("balanced",), optional=True)
    for name in ("bias", "shuffle", "early_stopping", "standardize", "quiet", "record_path", "stream"):
        if not isinstance(getattr(cfg, name), bool):
            raise SettingError(name, getattr(cfg, name), f"{name} must be true or false, got "
                               f"{getattr(cfg, name)!r}")

    set_("hidden", _hidden(cfg.hidden))
    if cfg.model == "mlp" and not cfg.hidden:
        raise SettingError("hidden", cfg.hidden, "an mlp needs at least one hidden layer size, e.g. hidden 10")
    if cfg.lr != "auto":
        _real("lr", cfg.lr, 0, MAX_LR, low_open=True)
    set_("epochs", _integer("epochs", cfg.epochs, 1, MAX_EPOCHS))
    set_("patience", _integer("patience", cfg.patience, 1, MAX_EPOCHS))
    set_("lr_step", _integer("lr_step", cfg.lr_step, 1, MAX_EPOCHS))
    set_("seed", _integer("seed", cfg.seed, 0, MAX_SEED))
    _real("l2", cfg.l2, 0, MAX_PENALTY)
    _real("l1", cfg.l1, 0, MAX_PENALTY)
    _real("momentum", cfg.momentum, 0, 1, high_open=True)
    _real("lr_gamma", cfg.lr_gamma, 0, 1, low_open=True)
    _real("power_t", cfg.power_t, 0, MAX_POWER_T)
    _real("eps", cfg.eps, 0, 1, low_open=True)
    betas = cfg.betas
    if isinstance(betas, str) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise SettingError("betas", betas, f"betas must be two numbers (β₁, β₂), got {betas!r}")
    for i, beta in enumerate(betas):
        _real(f"betas[{i}]", beta, 0, 1, high_open=True)
    set_("betas", (float(betas[0]), float(betas[1])))
    if cfg.tol is not None:
        _real("tol", cfg.tol, 0, math.inf)
    if cfg.grad_tol is not None:
        _real("grad_tol", cfg.grad_tol, 0, math.inf, low_open=True)
    if cfg.init_std is not None:
        _real("init_std", cfg.init_std, 0, MAX_INIT_STD)
    _real("val_fraction", cfg.val_fraction, 0, 1, high_open=True)
    _real("test_fraction", cfg.test_fraction, 0, 1, high_open=True)
    if cfg.val_fraction + cfg.test_fraction >= 1:
        raise SettingError(
            "val_fraction", cfg.val_fraction,
            f"val_fraction {cfg.val_fraction} and test_fraction {cfg.test_fraction} sum to 1 "
            "or more: nothing is left to train on",
        )
    _batch_size(cfg)
    if cfg.target is not None and (isinstance(cfg.target, bool) or not isinstance(cfg.target, str | int)):
        raise SettingError("target", cfg.target, f"target must be a column name or index, got {cfg.target!r}")
    for name in ("features", "drop"):
        value = getattr(cfg, name)
        if value is None:
            continue
        if isinstance(value, str):
            value = tuple(v.strip() for v in value.split(",") if v.strip())
        if not all(isinstance(v, str) for v in value) or not value:
            raise SettingError(name, value, f"{name} must be a list of column names, got {value!r}")
        set_(name, tuple(value))
    if cfg.features is not None and cfg.drop is not None:
        raise SettingError("features", cfg.features, "features and drop cannot both be given: "
                           "list the columns to keep, or the ones to leave out")


def _batch_size(cfg: TrainConfig) -> None:
    size = cfg.batch_size
    if size is None:
        return
    if size == "full":
        if cfg.optimizer == "sgd":
            raise SettingError("batch_size", size, "batch_size 'full' conflicts with optimizer "
                               "sgd (one sample per update); use optimizer gd for full-batch steps")
        return
    if isinstance(size, bool) or not isinstance(size, Integral):
        raise SettingError("batch_size", size, f"batch_size must be an integer ≥ 1 or 'full', got {size!r}")
    if size < 1:
        raise SettingError("batch_size", size, f"batch_size must be ≥ 1, got {size}")
    if cfg.optimizer == "gd":
        raise SettingError("batch_size", size, f"batch_size {size} conflicts with optimizer gd, "
                           "which always uses the full batch; use optimizer minibatch")
    if cfg.optimizer == "sgd" and size != 1:
        raise SettingError("batch_size", size, f"batch_size {size} conflicts with optimizer sgd "
                           "(one sample per update); use optimizer minibatch")
    object.__setattr__(cfg, "batch_size", int(size))


def _hidden(hidden) -> tuple[int, ...]:
    if isinstance(hidden, Integral) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if isinstance(hidden, str) or not hasattr(hidden, "__iter__"):
        raise SettingError("hidden", hidden, f"hidden must be a list of layer sizes, got {hidden!r}")
    hidden = tuple(hidden)
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise SettingError("hidden", hidden, f"hidden must list at most {MAX_HIDDEN_LAYERS} layer "
                           f"sizes, got {len(hidden)}")
    for h in hidden:
        if isinstance(h, bool) or not isinstance(h, Integral) or not 1 <= h <= MAX_HIDDEN_UNITS:
            shown = ",".join(map(str, hidden))
            raise SettingError("hidden", hidden, f"hidden sizes must be integers in [1, "
                               f"{MAX_HIDDEN_UNITS:,}], got {shown}")
    return tuple(int(h) for h in hidden)


def _choice(name: str, value, choices, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or value not in choices:
        shown = ", ".join(repr(c) if c in ("\t",) else c for c in choices)
        raise SettingError(name, value, f"{name} must be one of {shown}, got {value!r}")


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    fmt = lambda v: "∞" if v == math.inf else f"{v:g}"  # noqa: E731
    return f"{'(' if low_open else '['}{fmt(low)}, {fmt(high)}{')' if high_open or high == math.inf else ']'}"


def _real(name: str, value, low: float, high: float, *, low_open=False, high_open=False) -> float:
    """A finite real number in the interval; SettingError naming it otherwise."""
    where = _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise SettingError(name, value, f"{name} must be a number in {where}, got {value!r}")
    v = float(value)
    ok = (
        math.isfinite(v)
        and (v > low if low_open else v >= low)
        and (v < high if high_open else v <= high)
    )
    if not ok:
        raise SettingError(name, value, f"{name} must be a number in {where}, got {value!r}")
    return v


def _integer(name: str, value, low: int, high: int) -> int:
    """A whole number in [low, high] (an integral float such as 3.0 is accepted)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise SettingError(name, value, f"{name} must be an integer in [{low:,}, {high:,}], got {value!r}")
    if isinstance(value, Integral):
        v = int(value)
    elif math.isfinite(value) and float(value).is_integer():
        v = int(value)
    else:
        raise SettingError(name, value, f"{name} must be an integer in [{low:,}, {high:,}], got {value!r}")
    if not low <= v <= high:
        raise SettingError(name, value, f"{name} must be an integer in [{low:,}, {high:,}], got {value!r}")
    return v
