"""The registry of built-in data sets: names, settings, one-line descriptions."""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from gdlab.data import shipped, synthetic
from gdlab.data.dataset import Dataset
from gdlab.errors import GdlabError


@dataclass(frozen=True)
class Builtin:
    """One built-in data set.

    Parameters
    ----------
    name : str
        The name users type (``gdlab train iris``).
    make : callable
        Builds the Dataset; its keyword parameters (other than ``seed``) are the
        settings a user may override.
    description : str
        One line for ``gdlab datasets``.
    """

    name: str
    make: Callable[..., Dataset]
    description: str

    @property
    def settings(self) -> tuple[str, ...]:
        """Names of the generator settings a user may override (``seed`` excluded)."""
        params = inspect.signature(self.make).parameters
        return tuple(p for p in params if p != "seed")

    @property
    def seeded(self) -> bool:
        """Whether the set is random (takes a ``seed``)."""
        return "seed" in inspect.signature(self.make).parameters


REGISTRY: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin(
            "synthetic-linear",
            synthetic.synthetic_linear,
            "d2l 3.2: y = Xw + b + noise, w=[2,-3.4], b=4.2, noise N(0, 0.01²)",
        ),
        Builtin("toy-1d", synthetic.toy_1d, "Liu Er lecture 3: x = [1, 2, 3], y = 2x"),
        Builtin(
            "line-1d",
            synthetic.line_1d,
            "Coursera PyTorch module 2: y = x - 1 + N(0, 0.1²), x from -3 to 2.9 by 0.1",
        ),
        Builtin(
            "classification",
            synthetic.classification,
            "seed-004: make_classification, 4 features (2 informative), random_state=42",
        ),
        Builtin("blobs", synthetic.blobs, "3 Gaussian blobs in 2-D"),
        Builtin("moons", synthetic.moons, "two interleaving half circles, noise 0.2"),
        Builtin("circles", synthetic.circles, "a circle inside a circle, noise 0.1, factor 0.5"),
        Builtin("xor", synthetic.xor, "XOR of the signs of x1 and x2, jitter 0.1"),
        Builtin(
            "diabetes",
            shipped.diabetes,
            "scikit-learn: disease progression from 10 baseline features",
        ),
        Builtin(
            "breast-cancer",
            shipped.breast_cancer,
            "scikit-learn: malignant or benign tumour from 30 features",
        ),
        Builtin("iris", shipped.iris, "scikit-learn: iris species from 4 flower measurements"),
        Builtin("wine", shipped.wine, "scikit-learn: wine cultivar from 13 chemical measurements"),
        Builtin(
            "digits",
            shipped.digits,
            "scikit-learn: 8x8 digit images (64 pixels, 0-16); the catvnoncat stand-in",
        ),
    )
}

BUILTIN_NAMES: tuple[str, ...] = tuple(REGISTRY)


def builtin_key(source: object) -> str | None:
    """Return the registry name for ``source`` (case and ``_``/``-`` ignored), else None."""
    if not isinstance(source, str):
        return None
    key = source.strip().lower().replace("_", "-")
    return key if key in REGISTRY else None


def unknown_name_message(source: str) -> str:
    """The one-line error for a name that is neither a built-in nor a file."""
    message = f"unknown dataset {source!r}; built-in datasets: {', '.join(BUILTIN_NAMES)}"
    close = difflib.get_close_matches(source.lower(), BUILTIN_NAMES, n=1)
    return message + (f" (did you mean {close[0]!r}?)" if close else "")


def load_builtin(name: str, *, seed: int | None = None, **overrides: object) -> Dataset:
    """Build the built-in set ``name`` with its default settings updated by ``overrides``.

    Parameters
    ----------
    name : str
        A name in :data:`BUILTIN_NAMES`.
    seed : int or None, default=None
        Random seed; None keeps the set's own default (0, or 42 for ``classification``).
        Ignored by the fixed sets (``toy-1d`` and scikit-learn's shipped sets).
    **overrides
        Generator settings, e.g. ``n=200, noise=0.5``.

    Raises
    ------
    GdlabError
        For an unknown setting (the message lists the accepted ones) or a bad value.
    """
    builtin = REGISTRY[name]
    unknown = [key for key in overrides if key not in builtin.settings]
    if unknown:
        accepted = ", ".join(builtin.settings) or "none"
        raise GdlabError(
            f"unknown setting {unknown[0]!r} for built-in dataset {name!r}; accepted: {accepted}"
        )
    kwargs = dict(overrides)
    if seed is not None and builtin.seeded:
        kwargs["seed"] = seed
    try:
        data = builtin.make(**kwargs)
    except GdlabError as err:
        raise GdlabError(f"{name}: {err}") from None
    data.meta.setdefault("description", builtin.description)
    data.meta["source"] = "built-in"
    if builtin.seeded:
        data.meta["seed"] = kwargs.get("seed", _default_seed(builtin))
    return data


def _default_seed(builtin: Builtin) -> int:
    default = inspect.signature(builtin.make).parameters["seed"].default
    return synthetic.CLASSIFICATION_SEED if default is None else default


@functools.cache
def _summary(name: str) -> dict:
    data = load_builtin(name)
    return {
        "name": name,
        "n_samples": data.n_samples,
        "n_features": data.n_features,
        "task": data.task,
        "n_classes": data.n_classes,
        "target": data.target_name,
        "description": REGISTRY[name].description,
    }


def list_datasets() -> list[dict]:
    """Describe every built-in data set at its default settings.

    Returns
    -------
    list of dict
        One dict per set with keys ``name``, ``n_samples``, ``n_features``, ``task``,
        ``n_classes`` (0 for regression), ``target`` (the target column's name, as
        :func:`~gdlab.data.export_builtin` writes it) and ``description``.

    Examples
    --------
    >>> [d["name"] for d in list_datasets()][:2]
    ['synthetic-linear', 'toy-1d']
    """
    return [dict(_summary(name)) for name in BUILTIN_NAMES]
