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

from gdlab.data.builtin import BUILTIN_NAMES, list_datasets
from gdlab.data.columns import Column
from gdlab.data.dataset import Dataset
from gdlab.data.export import export_builtin
from gdlab.data.features import load_features
from gdlab.data.finite import check_finite_for
from gdlab.data.preprocess import Preprocessor
from gdlab.data.source import load
from gdlab.data.split import Splits, split_dataset
from gdlab.data.standardize import Standardizer
from gdlab.data.target import encode_labels

__all__ = [
    "BUILTIN_NAMES",
    "Column",
    "Dataset",
    "Preprocessor",
    "Splits",
    "Standardizer",
    "check_finite_for",
    "encode_labels",
    "export_builtin",
    "list_datasets",
    "load",
    "load_features",
    "split_dataset",
]
