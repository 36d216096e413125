"""Checks for generator settings: turn a user's value into the right type or say why not.

Values may arrive as numbers or as strings (from the command line or a URL), so each
check accepts both and raises :class:`~gdlab.errors.GdlabError` naming the setting and
the bad value.
"""

from __future__ import annotations

import math

import numpy as np

from gdlab.errors import GdlabError


def check_number(name: str, value: object) -> float:
    """Return ``value`` as a finite float."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise GdlabError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise GdlabError(f"{name} must be a finite number, got {value!r}")
    return number


def check_count(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` as an int of at least ``minimum``."""
    number = check_number(name, value)
    if number != int(number) or number < minimum:
        raise GdlabError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(number)


def check_non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float >= 0."""
    number = check_number(name, value)
    if number < 0:
        raise GdlabError(f"{name} must be >= 0, got {value!r}")
    return number


def check_open_unit(name: str, value: object) -> float:
    """Return ``value`` as a float strictly between 0 and 1."""
    number = check_number(name, value)
    if not 0 < number < 1:
        raise GdlabError(f"{name} must be between 0 and 1 (exclusive), got {value!r}")
    return number


def check_vector(name: str, value: object) -> np.ndarray:
    """Return ``value`` (a number, a sequence, or a string like ``"2,-3.4"``) as a 1-D float array."""
    if isinstance(value, str):
        parts = [p for p in value.replace("[", "").replace("]", "").split(",") if p.strip()]
    else:
        parts = list(np.atleast_1d(np.asarray(value, dtype=object)).ravel())
    if not parts:
        raise GdlabError(f"{name} must have at least one number, got {value!r}")
    return np.array([check_number(f"{name}[{i}]", p) for i, p in enumerate(parts)])


def check_seed(value: object) -> int:
    """Return ``value`` as a seed for :func:`numpy.random.default_rng` (an int >= 0)."""
    seed = check_count("seed", value, minimum=0)
    if seed >= 2**32:  # scikit-learn's generators take a 32-bit seed
        raise GdlabError(f"seed must be below 2**32, got {value!r}")
    return seed
