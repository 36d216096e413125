"""Engines: the same gradient step written four ways (SPEC.md §2), plus ``fast``.

``fast`` is the ``manual`` engine's mathematics fused for speed (one read of X per
full-batch step); ``gdlab.train`` uses it by default where it applies.

``make_engine(name, model, **settings)`` builds one; ``ENGINES`` maps names to classes.
Engines register here so the training loop, the CLI and the tests find them by name.
"""

from __future__ import annotations

from .autograd import AutogradEngine
from .base import RULES, Engine
from .fast import FastEngine
from .manual import ManualEngine
from .nn import NNEngine
from .scalar import ScalarEngine

ENGINES: dict[str, type[Engine]] = {
    "scalar": ScalarEngine,
    "manual": ManualEngine,
    "autograd": AutogradEngine,
    "nn": NNEngine,
    "fast": FastEngine,
}


def make_engine(name: str, model, **settings) -> Engine:
    """Build the engine called ``name`` around ``model``."""
    try:
        cls = ENGINES[name]
    except KeyError:
        raise ValueError(
            f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}"
        ) from None
    return cls(model, **settings)


__all__ = ["ENGINES", "RULES", "Engine", "make_engine"]
