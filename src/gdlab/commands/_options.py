"""Training flags shared by ``train``, ``compare``, ``sweep`` and ``surface``."""

from __future__ import annotations

import functools

import click

from ..config import (
    ACTIVATIONS,
    DELIMITERS,
    DTYPES,
    ENGINE_NAMES,
    IMPUTE,
    LOSSES,
    MODELS,
    OPTIMIZERS,
    SCHEDULES,
    TASKS,
    TrainConfig,
)
from ..errors import GdlabError


def parse_int_list(text: str, *, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise GdlabError(f"{flag} must be comma-separated integers, got {text!r}") from None
    if not values:
        raise GdlabError(f"{flag} needs at least one value, got {text!r}")
    return values


def parse_batch_size(text: str | None):
    if text is None or text == "full":
        return text
    try:
        return int(text)
    except ValueError:
        raise GdlabError(f"--batch-size must be an integer ≥ 1 or 'full', got {text!r}") from None


def training_options(func):
    """Add every training flag of ``gdlab train`` (DESIGN.md) to a click command."""
    options = [
        click.option("--target", default=None, help="Label column: a name, or an index for .npy (default: last column)."),
        click.option("--model", type=click.Choice(MODELS), default=None, help="Default: linear for a numeric target, logistic for two classes, softmax for more."),
        click.option("--task", type=click.Choice(TASKS), default=None, help="regression, binary or multiclass (default: from the target; the run says which and why)."),
        click.option("--features", default=None, help="Train on these columns only (comma-separated names)."),
        click.option("--drop", default=None, help="Leave these columns out (comma-separated names)."),
        click.option("--impute", type=click.Choice(IMPUTE), default="auto", show_default=True, help="Missing cells: auto = mean for numbers, most frequent for categories; none = an error."),
        click.option("--delimiter", default=None, help="CSV delimiter: , ; tab or | (default: detected)."),
        click.option("--class-weight", type=click.Choice(["balanced"]), default=None, help="balanced: weigh each class by n / (k · n_class), as scikit-learn does."),
        click.option("--hidden", default="10", show_default=True, help="MLP hidden layer sizes, e.g. 10,10."),
        click.option("--activation", type=click.Choice(ACTIVATIONS), default="sigmoid", show_default=True),
        click.option("--bias/--no-bias", default=True, show_default=True, help="--no-bias fits y = x·w through the origin (the notes' y = w·x)."),
        click.option("--optimizer", type=click.Choice(OPTIMIZERS), default="minibatch", show_default=True, help="gd: full batch; sgd: one sample per update; the others: mini-batches."),
        click.option("--batch-size", default=None, help="Mini-batch size, or 'full' (default: 32; sgd uses 1, gd all rows)."),
        click.option("--shuffle/--no-shuffle", default=True, show_default=True, help="--no-shuffle visits the rows in their order every epoch (the course order)."),
        click.option("--lr", default="auto", show_default=True, help="Learning rate: a number, or 'auto' (chosen from the data's curvature)."),
        click.option("--epochs", type=int, default=100, show_default=True),
        click.option("--engine", type=click.Choice(ENGINE_NAMES), default="auto", show_default=True, help="How the gradient step is computed (auto picks the fastest that applies)."),
        click.option("--loss", type=click.Choice(LOSSES), default=None, help="Default: mse (regression), bce (two classes), cross-entropy (more). All are means over the batch."),
        click.option("--l2", type=float, default=0.0, show_default=True, help="L2 penalty λ/2·‖W‖² on weights (not biases)."),
        click.option("--l1", type=float, default=0.0, show_default=True, help="L1 penalty λ·Σ|W| on weights (a subgradient step; elastic net with --l2)."),
        click.option("--momentum", type=float, default=0.9, show_default=True, help="Momentum μ for momentum and nesterov."),
        click.option("--schedule", type=click.Choice(SCHEDULES), default="constant", show_default=True, help="Learning-rate schedule per epoch."),
        click.option("--tol", type=float, default=None, help="Stop when the loss has not improved by tol for --patience epochs."),
        click.option("--patience", type=int, default=5, show_default=True),
        click.option("--grad-tol", type=float, default=None, help="Stop when the gradient norm falls below this."),
        click.option("--early-stopping", is_flag=True, help="Stop on the validation loss and restore the best weights."),
        click.option("--val-fraction", type=float, default=0.1, show_default=True),
        click.option("--test-fraction", type=float, default=0.2, show_default=True),
        click.option("--standardize/--no-standardize", default=True, show_default=True, help="Scale features with training-split mean and std."),
        click.option("--init-std", type=float, default=None, help="Initial weights ~ N(0, std²), bias 0 (default: PyTorch's init)."),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True),
        click.option("--dtype", type=click.Choice(DTYPES), default="float32", show_default=True),
    ]

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


TRAINING_KEYS = (
    "target", "task", "features", "drop", "impute", "delimiter", "class_weight", "model",
    "hidden", "activation", "bias", "optimizer", "batch_size", "shuffle", "lr", "epochs",
    "engine", "loss", "l2", "l1", "momentum", "schedule", "tol", "patience", "grad_tol",
    "early_stopping", "val_fraction", "test_fraction", "standardize", "init_std", "seed",
    "device", "dtype",
)
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def parse_lr(text):
    if text is None or text == "auto" or not isinstance(text, str):
        return text
    try:
        return float(text)
    except ValueError:
        raise GdlabError(f"--lr must be a number or 'auto', got {text!r}") from None


def config_from_options(options: dict, **overrides) -> TrainConfig:
    """Build the TrainConfig from parsed flags (pops them from ``options``)."""
    kw = {k: options.pop(k) for k in TRAINING_KEYS if k in options}
    kw["hidden"] = parse_int_list(kw.get("hidden") or "10", flag="--hidden")
    kw["batch_size"] = parse_batch_size(kw.get("batch_size"))
    kw["lr"] = parse_lr(kw.get("lr", "auto"))
    if kw.get("delimiter") is not None:
        kw["delimiter"] = DELIMITER_NAMES.get(kw["delimiter"].lower(), kw["delimiter"])
        if kw["delimiter"] not in DELIMITERS:
            raise GdlabError(f"--delimiter must be one of , ; tab |, got {kw['delimiter']!r}")
    target = kw.get("target")
    if isinstance(target, str) and target.lstrip("-").isdigit():
        kw["target"] = target  # the .npy loader reads numeric strings as indices
    kw.update(overrides)
    return TrainConfig.from_kwargs(**kw)
