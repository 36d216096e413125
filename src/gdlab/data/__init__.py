"""Data: the Dataset type, built-in data sets, file loaders, columns, splits and standardization.

The order of work for a table: ``load`` (raw-coded ``X`` with ``Dataset.columns``) →
``split_dataset`` → ``Preprocessor.fit`` on the training rows → ``transform`` every split →
``Standardizer``. Data that is all numbers and complete passes the Preprocessor unchanged.

>>> from gdlab.data import load, split_dataset, Preprocessor, Standardizer
>>> data = load("synthetic-linear", seed=0)
>>> splits = split_dataset(data, test_fraction=0.2, val_fraction=0.1, seed=0)
>>> prep = Preprocessor.fit(splits.X_train, data.columns)
>>> scaler = Standardizer().fit(prep.transform(splits.X_train))
"""

from __future__ import annotations

import importlib

_NAMES = {
    "BUILTIN_NAMES": "builtin", "Column": "columns", "Dataset": "dataset",
    "export_builtin": "export", "load_features": "features", "check_finite_for": "finite",
    "Preprocessor": "preprocess", "load": "source", "Splits": "split", "split_dataset": "split",
    "Standardizer": "standardize", "encode_labels": "target", "list_datasets": "catalog",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    """The names above, imported when first used (listing the built-ins needs none of the
    heavy modules: scikit-learn, pandas)."""
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'gdlab.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gdlab.data.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
