"""Train / validation / test splits: seeded, stratified for classification.

Fractions are of the whole data set: ``test_fraction=0.2, val_fraction=0.1`` on 1000
rows gives 700 / 100 / 200. A split's size is rounded up (``ceil(fraction · n)``), as
scikit-learn does. When the data came with its own test split (``Dataset.X_test``),
that is the test split and validation is carved from ``X``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from gdlab.data.dataset import Dataset
from gdlab.errors import GdlabError

MIN_ROWS_TO_SPLIT = 10


@dataclass
class Splits:
    """The rows for training, validation and testing.

    ``X_val``/``y_val`` and ``X_test``/``y_test`` are None when there is no such split;
    ``note`` says why a split was skipped or not stratified. ``*_index`` are the rows
    of ``Dataset.X`` in each split (``test_index`` is None for a test set that came
    with the data).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    note: str | None = None
    train_index: np.ndarray | None = None
    val_index: np.ndarray | None = None
    test_index: np.ndarray | None = None

    @property
    def n_train(self) -> int:
        return len(self.y_train)


def check_fractions(test_fraction: object, val_fraction: object) -> tuple[float, float]:
    """Each fraction must be in [0, 1) and together they must leave rows for training."""
    values = []
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise GdlabError(f"{name} must be a number in [0, 1), got {value!r}") from None
        if not 0 <= number < 1:
            raise GdlabError(f"{name} must be in [0, 1), got {value!r}")
        values.append(number)
    if sum(values) >= 1:
        raise GdlabError(
            f"test_fraction={test_fraction} and val_fraction={val_fraction} add up to "
            f"{sum(values):g}; they must add up to less than 1 to leave rows for training"
        )
    return values[0], values[1]


def split_dataset(
    data: Dataset, *, test_fraction: float = 0.2, val_fraction: float = 0.1, seed: int = 0
) -> Splits:
    """Split ``data`` into training, validation and test rows.

    Parameters
    ----------
    data : Dataset
        The data. If it has ``X_test``/``y_test``, those are the test split.
    test_fraction, val_fraction : float, default=0.2, 0.1
        Fractions of the whole data set, each in [0, 1), summing to less than 1;
        0 means no such split.
    seed : int, default=0
        The same seed gives the same split.

    Returns
    -------
    Splits
        With a ``note`` when data too small to split is used whole for training, or
        when a class too small to stratify made the split unstratified.

    Examples
    --------
    >>> from gdlab.data import load
    >>> s = split_dataset(load("iris"), test_fraction=0.2, val_fraction=0.1)
    >>> len(s.y_train), len(s.y_val), len(s.y_test)
    (105, 15, 30)
    """
    test_fraction, val_fraction = check_fractions(test_fraction, val_fraction)
    given_test = data.X_test is not None and data.y_test is not None
    n = data.n_samples
    n_test = 0 if given_test else _size(test_fraction, n)
    n_val = _size(val_fraction, n)
    if n_test + n_val == 0:
        return _no_split(data, given_test, note=None)
    if n < MIN_ROWS_TO_SPLIT or n - n_test - n_val < 1:
        what = "validation split" if given_test else "validation or test split"
        note = f"{data.name} has {n} rows: too few to split; training on all of them (no {what})"
        return _no_split(data, given_test, note=note)
    notes: list[str] = []
    rows = np.arange(n)
    rest, test = _carve(data, rows, n_test, seed, notes)
    train, val = _carve(data, rest, n_val, seed, notes)
    return Splits(
        X_train=data.X[train],
        y_train=data.y[train],
        X_val=data.X[val] if n_val else None,
        y_val=data.y[val] if n_val else None,
        X_test=data.X_test if given_test else (data.X[test] if n_test else None),
        y_test=data.y_test if given_test else (data.y[test] if n_test else None),
        note="; ".join(dict.fromkeys(notes)) or None,
        train_index=train,
        val_index=val if n_val else None,
        test_index=test if n_test else None,
    )


def _size(fraction: float, n: int) -> int:
    # round first so 0.7 * 100 = 70.00000000000001 does not become 71
    return math.ceil(round(fraction * n, 9))


def _no_split(data: Dataset, given_test: bool, *, note: str | None) -> Splits:
    return Splits(
        X_train=data.X,
        y_train=data.y,
        X_test=data.X_test if given_test else None,
        y_test=data.y_test if given_test else None,
        note=note,
        train_index=np.arange(data.n_samples),
    )


def _carve(
    data: Dataset, rows: np.ndarray, size: int, seed: int, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``rows`` into (kept, carved) with ``size`` carved rows, stratified if possible."""
    if size == 0:
        return rows, rows[:0]
    stratify = None if data.task == "regression" else data.y[rows]
    try:
        kept, carved = train_test_split(rows, test_size=size, random_state=seed, stratify=stratify)
    except ValueError:
        if stratify is None:
            raise
        notes.append(_unstratified_note(data, stratify, size))
        kept, carved = train_test_split(rows, test_size=size, random_state=seed)
    return np.sort(kept), np.sort(carved)


def _unstratified_note(data: Dataset, labels: np.ndarray, size: int) -> str:
    """Say why scikit-learn could not stratify a split of ``size`` rows."""
    counts = np.bincount(labels, minlength=data.n_classes)
    present = np.flatnonzero(counts)
    smallest = present[np.argmin(counts[present])]
    if counts[smallest] < 2:
        why = f"class {data.classes[smallest]!r} has {counts[smallest]} row"
    else:
        why = f"a {size}-row split cannot hold all {present.size} classes"
    return f"{why}, too few to stratify; split without stratification"
