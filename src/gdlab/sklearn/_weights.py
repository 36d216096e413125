"""``sample_weight`` and ``class_weight``: the weighted objective, two ways.

Every engine takes per-row weights wᵢ, training on J(θ) = Σᵢ wᵢ ℓᵢ(θ) / Σᵢ wᵢ (+ the
penalties). Weights are relative: only their ratios matter. Two ways to get there:

- **whole-number multiplicities** (weights that are small whole multiples of one another,
  ``[0.5, 1, 1.5]`` is ``[1, 2, 3]``) repeat rows: a row of weight k counts as k copies of
  itself, so a fit with such weights *is* a fit on the repeated rows, mini-batch for
  mini-batch (scikit-learn's sample-weight equivalence, exactly);
- **any other weights** (and every ``class_weight``) are row weights in the loss: the same
  objective, each batch its weighted mean.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _check_sample_weight

MAX_DENOMINATOR = 10  # weight ratios may be fractions p/q with q ≤ this (0.5, 1/3, 0.1, …)
MAX_GROWTH = 10  # repeated rows may number at most this many times the original rows
_ATOL = 1e-9  # how close to a whole number a scaled weight must be


def checked_weights(sample_weight, X) -> np.ndarray | None:
    """``sample_weight`` as a float64 array (validated: finite, ≥ 0), or None."""
    if sample_weight is None:
        return None
    return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)


def as_multiplicities(w: np.ndarray | None) -> np.ndarray | None:
    """Whole-number repeat counts with the ratios of ``w`` (None for equal weights, or for
    weights that are not small whole multiples of one another, or would grow the data
    more than MAX_GROWTH times)."""
    if w is None or np.all(w == w[0]):
        return None
    if not (w > 0).any():
        return None
    ratio = w / w[w > 0].min()
    for q in range(1, MAX_DENOMINATOR + 1):
        counts = np.rint(ratio * q)
        if np.all(np.abs(ratio * q - counts) <= _ATOL * np.maximum(1.0, counts)):
            break
    else:
        return None
    if int(counts.sum()) > MAX_GROWTH * len(w):
        return None
    return counts.astype(np.int64)


def repeat_rows(X: np.ndarray, y: np.ndarray, counts: np.ndarray | None):
    """(X, y) with row i repeated ``counts[i]`` times (unchanged when counts is None)."""
    if counts is None:
        return X, y
    return np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0)
