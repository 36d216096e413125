"""The registry of built-in data sets: names, settings, one-line descriptions."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from gdlab.data import shipped, synthetic
from gdlab.data.catalog import BUILTINS
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


_MAKERS = {
    "synthetic-linear": synthetic.synthetic_linear, "toy-1d": synthetic.toy_1d,
    "line-1d": synthetic.line_1d, "classification": synthetic.classification,
    "blobs": synthetic.blobs, "moons": synthetic.moons, "circles": synthetic.circles,
    "xor": synthetic.xor, "diabetes": shipped.diabetes, "breast-cancer": shipped.breast_cancer,
    "iris": shipped.iris, "wine": shipped.wine, "digits": shipped.digits,
}
# in the catalogue's order, with its one-line descriptions (gdlab.data.catalog)
REGISTRY: dict[str, Builtin] = {
    name: Builtin(name, _MAKERS[name], facts.description) for name, facts in BUILTINS.items()
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


def list_datasets() -> list[dict]:
    """Every built-in data set at its default settings (see :mod:`gdlab.data.catalog`)."""
    from gdlab.data.catalog import list_datasets as facts

    return facts()
