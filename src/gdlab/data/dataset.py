"""The Dataset type: features, target and what the target means."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gdlab.data.columns import Column

TASKS = ("regression", "binary", "multiclass")


@dataclass
class Dataset:
    """A table of features and one target.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        Feature matrix. With ``columns`` given, *raw-coded*: numeric columns as numbers,
        categorical columns as category codes (indices into that column's
        ``categories``), NaN for a missing cell; :class:`~gdlab.data.Preprocessor` turns
        it into model inputs (imputed, one-hot) after the split.
    y : ndarray of shape (n_samples,)
        Target. float64 for regression; int64 class indices ``0..k-1`` for
        classification (``classes[y[i]]`` is the original label of row ``i``).
    feature_names : list of str
        One name per column of ``X`` (the raw column names).
    target_name : str
        Name of the target column.
    task : {"regression", "binary", "multiclass"}
        What the target is.
    classes : list or None
        Original class labels (str, int or float) in index order; None for regression.
    name : str
        Where the data came from (a built-in name or a file path), for messages.
    X_test, y_test : ndarray or None
        A test split that came with the data (the catvnoncat HDF5 files have one);
        when given, the split uses it instead of carving one out of ``X``.
    meta : dict
        Facts about the data: ``"notes"`` (one-line remarks for people: a left-out
        column, dropped rows, the task chosen), ``"impute"``, ``"source"``, ...
    columns : list of Column or None
        What each column of ``X`` holds; None when every column is a complete number
        (built-in sets and array files).
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str = "y"
    task: str = "regression"
    classes: list | None = None
    name: str = "data"
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    columns: list[Column] | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D, got shape {self.X.shape}")
        if len(self.feature_names) != self.X.shape[1]:
            raise ValueError("one feature name per column of X is required")
        if self.columns is not None and [c.name for c in self.columns] != list(self.feature_names):
            raise ValueError("columns must describe the columns of X, in order")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return 0 if self.classes is None else len(self.classes)

    def __repr__(self) -> str:
        extra = f", classes={self.classes!r}" if self.classes is not None else ""
        return (
            f"Dataset({self.name!r}, n={self.n_samples}, features={self.n_features}, "
            f"task={self.task!r}{extra})"
        )

    def _repr_html_(self) -> str:
        """Jupyter's view: shape, task, target, classes, columns and the first rows."""
        from ..display import dataset_html

        return dataset_html(self)
