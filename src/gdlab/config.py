"""One typed configuration for a training run; unknown keys are rejected.

The CLI builds a :class:`TrainConfig` from its flags and ``gdlab.train`` builds one from
its keyword arguments, so both take the same settings with the same defaults.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from .errors import GdlabError

OPTIMIZERS = ("gd", "sgd", "minibatch", "momentum", "nesterov", "adam")
SCHEDULES = ("constant", "step", "invscaling")
ENGINE_NAMES = ("auto", "scalar", "manual", "autograd", "nn", "fast")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float32", "float64")
DEFAULT_BATCH = 32  # mini-batch size when none is given (a common default; d2l uses 10)


@dataclass
class TrainConfig:
    """Every setting of a training run (the flags of ``gdlab train``).

    ``optimizer`` names both how batches are drawn and the update rule:
    ``gd`` full batch, ``sgd`` one sample per update, ``minibatch`` ``batch_size`` samples;
    ``momentum``, ``nesterov`` and ``adam`` use mini-batches of ``batch_size`` (pass
    ``batch_size="full"`` for full-batch updates with those rules).
    """

    model: str | None = None  # linear | logistic | softmax | mlp; None: from the target
    hidden: tuple[int, ...] = (10,)
    activation: str = "sigmoid"
    optimizer: str = "minibatch"
    batch_size: int | str | None = None  # None: 1 for sgd, all for gd, else DEFAULT_BATCH
    lr: float = 0.1
    epochs: int = 100
    engine: str = "auto"
    loss: str | None = None  # mse | half-mse | bce | cross-entropy; None: from the task
    l2: float = 0.0
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
    quiet: bool = False
    record_path: bool = False
    stream: bool = False  # read the file chunk by chunk instead of loading it whole
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_kwargs(cls, **kwargs) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise GdlabError(
                f"unknown setting {unknown[0]!r}; known settings: {', '.join(sorted(known))}"
            )
        cfg = cls(**kwargs)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Raise GdlabError naming the first bad value."""
        self.hidden = tuple(int(h) for h in self.hidden)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("engine", self.engine, ENGINE_NAMES)
        _choice("device", self.device, DEVICES)
        _choice("dtype", self.dtype, DTYPES)
        if not (isinstance(self.lr, int | float) and math.isfinite(self.lr) and self.lr > 0):
            raise GdlabError(f"--lr must be a positive number, got {self.lr}")
        if int(self.epochs) != self.epochs or self.epochs < 1:
            raise GdlabError(f"--epochs must be an integer ≥ 1, got {self.epochs}")
        if self.batch_size is not None and self.batch_size != "full":
            if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int):
                raise GdlabError(f"--batch-size must be an integer ≥ 1 or 'full', got {self.batch_size!r}")
            if self.batch_size < 1:
                raise GdlabError(f"--batch-size must be ≥ 1, got {self.batch_size}")
            if self.optimizer == "gd":
                raise GdlabError(
                    f"--batch-size {self.batch_size} conflicts with --optimizer gd, which always "
                    "uses the full batch; use --optimizer minibatch"
                )
            if self.optimizer == "sgd" and self.batch_size != 1:
                raise GdlabError(
                    f"--batch-size {self.batch_size} conflicts with --optimizer sgd (one sample "
                    "per update); use --optimizer minibatch"
                )
        for name in ("val_fraction", "test_fraction"):
            value = getattr(self, name)
            if not (0 <= value < 1):
                raise GdlabError(f"--{name.replace('_', '-')} must be in [0, 1), got {value}")
        if self.val_fraction + self.test_fraction >= 1:
            raise GdlabError(
                f"--val-fraction {self.val_fraction} and --test-fraction {self.test_fraction} "
                "sum to 1 or more: nothing is left to train on"
            )
        if self.l2 < 0:
            raise GdlabError(f"--l2 must be ≥ 0, got {self.l2}")
        if self.tol is not None and self.tol < 0:
            raise GdlabError(f"--tol must be ≥ 0, got {self.tol}")
        if self.patience < 1:
            raise GdlabError(f"--patience must be ≥ 1, got {self.patience}")
        if self.grad_tol is not None and self.grad_tol <= 0:
            raise GdlabError(f"--grad-tol must be > 0, got {self.grad_tol}")
        if not 0 <= self.momentum < 1:
            raise GdlabError(f"--momentum must be in [0, 1), got {self.momentum}")
        if self.hidden and min(self.hidden) < 1:
            raise GdlabError(f"--hidden sizes must be ≥ 1, got {','.join(map(str, self.hidden))}")

    def rule(self) -> str:
        """The update rule the optimizer implies (sgd for gd/sgd/minibatch)."""
        return self.optimizer if self.optimizer in ("momentum", "nesterov", "adam") else "sgd"

    def resolved_batch_size(self, n_train: int) -> int:
        """The batch size actually used on ``n_train`` training rows."""
        if self.optimizer == "gd" or self.batch_size == "full":
            return n_train
        if self.optimizer == "sgd":
            return 1
        return min(n_train, self.batch_size or DEFAULT_BATCH)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["betas"] = list(self.betas)
        return d


def _choice(name: str, value, choices) -> None:
    if value not in choices:
        raise GdlabError(f"--{name} must be one of {', '.join(choices)}, got {value!r}")
