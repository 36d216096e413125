"""Training flags shared by ``train``, ``compare``, ``sweep`` and ``surface``."""

from __future__ import annotations

import functools

import click

from ..config import DTYPES, ENGINE_NAMES, OPTIMIZERS, SCHEDULES, TrainConfig
from ..errors import GdlabError
from ..losses import LOSSES
from ..models import ACTIVATIONS, MODELS


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
        click.option("--hidden", default="10", show_default=True, help="MLP hidden layer sizes, e.g. 10,10."),
        click.option("--activation", type=click.Choice(ACTIVATIONS), default="sigmoid", show_default=True),
        click.option("--optimizer", type=click.Choice(OPTIMIZERS), default="minibatch", show_default=True, help="gd: full batch; sgd: one sample per update; the others: mini-batches."),
        click.option("--batch-size", default=None, help="Mini-batch size, or 'full' (default: 32; sgd uses 1, gd all rows)."),
        click.option("--lr", type=float, default=0.1, show_default=True, help="Learning rate."),
        click.option("--epochs", type=int, default=100, show_default=True),
        click.option("--engine", type=click.Choice(ENGINE_NAMES), default="auto", show_default=True, help="How the gradient step is computed (auto picks the fastest that applies)."),
        click.option("--loss", type=click.Choice(LOSSES), default=None, help="Default: mse (regression), bce (two classes), cross-entropy (more). All are means over the batch."),
        click.option("--l2", type=float, default=0.0, show_default=True, help="L2 penalty λ/2·‖W‖² on weights (not biases)."),
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
    "target", "model", "hidden", "activation", "optimizer", "batch_size", "lr", "epochs",
    "engine", "loss", "l2", "momentum", "schedule", "tol", "patience", "grad_tol",
    "early_stopping", "val_fraction", "test_fraction", "standardize", "init_std", "seed",
    "device", "dtype",
)


def config_from_options(options: dict, **overrides) -> TrainConfig:
    """Build the TrainConfig from parsed flags (pops them from ``options``)."""
    kw = {k: options.pop(k) for k in TRAINING_KEYS if k in options}
    kw["hidden"] = parse_int_list(kw.get("hidden") or "10", flag="--hidden")
    kw["batch_size"] = parse_batch_size(kw.get("batch_size"))
    target = kw.get("target")
    if isinstance(target, str) and target.lstrip("-").isdigit():
        kw["target"] = target  # the .npy loader reads numeric strings as indices
    kw.update(overrides)
    return TrainConfig.from_kwargs(**kw)
