"""Loading data files into a Dataset.

The extension decides the format: ``.csv`` and ``.parquet`` (tables with a header),
``.npy`` (one 2-D array), ``.npz`` (arrays ``X`` and ``y``), ``.h5``/``.hdf5``
(catvnoncat or ``X``/``y``). Every problem raises :class:`~gdlab.errors.GdlabError`
with one line naming the file and the row, line, column or value.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from gdlab.data.arrays import as_features, as_target, column_index, read_npy, read_npz
from gdlab.data.csvscan import parse_delimiter
from gdlab.data.dataset import Dataset
from gdlab.data.hdf5 import read_hdf5
from gdlab.data.limits import check_readable
from gdlab.data.preprocess import check_impute
from gdlab.data.tableload import load_table, names_option
from gdlab.data.target import encode_labels, encode_target, task_note, whole_numbers, with_task
from gdlab.errors import GdlabError

FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".npy": "npy",
    ".npz": "npz",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
}
SUPPORTED = ".csv, .parquet, .npy, .npz, .h5/.hdf5"


def file_format(path: Path) -> str:
    """The format of ``path`` from its extension: csv, parquet, npy, npz or hdf5."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise GdlabError(f"unsupported file type {path.suffix!r} for {path.name}; use {SUPPORTED}")
    return kind


def check_file(path: Path) -> None:
    """Fail unless ``path`` is an existing regular file that can be opened for reading."""
    check_readable(path)


def load_file(
    path: Path,
    *,
    target: object = None,
    task: str | None = None,
    features: object = None,
    drop: object = None,
    impute: str = "auto",
    delimiter: str | None = None,
) -> Dataset:
    """Load a data file (see the module docstring for the formats).

    Parameters
    ----------
    path : Path
        The file.
    target : str or int or None, default=None
        CSV/Parquet: the target column's name; ``.npy``: its index (negative allowed).
        None: the last column. Not accepted for ``.npz`` and HDF5 (they name ``y``).
    task : str or None, default=None
        ``"regression"``, ``"binary"``, ``"multiclass"`` or ``"classification"``;
        None detects it from the target.
    features, drop : list of str, or str ``"a,b"``, or None
        Use exactly these columns as features, or all but these (not both). For array
        files the names are ``x0``, ``x1``, ...
    impute : str, default="auto"
        Tables: how missing cells will be filled (see :mod:`gdlab.data.preprocess`);
        ``"none"`` makes a missing cell (or target) an error here, naming its line.
        Array files must be complete whatever it says.
    delimiter : str or None, default=None
        CSV only: force the delimiter (``,`` ``;`` tab ``|``...); None detects it.
    """
    path = Path(path)
    impute = check_impute(impute)
    check_file(path)
    kind = file_format(path)
    if delimiter is not None and kind != "csv":
        raise GdlabError(f"{path}: delimiter applies to CSV files, not to .{path.suffix.lstrip('.')}")
    delimiter = parse_delimiter(delimiter)
    if kind in ("csv", "parquet"):
        data = load_table(path, target=target, task=task, features=features, drop=drop,
                          impute=impute, delimiter=delimiter)
    else:
        if kind == "npy":
            data = _load_npy(path, target=target, task=task)
        elif target is not None:
            raise GdlabError(
                f"{path}: target does not apply to a .{path.suffix.lstrip('.')} file "
                f"(it holds the target as an array); got target={target!r}"
            )
        else:
            data = _load_npz(path, task=task) if kind == "npz" else _load_hdf5(path, task=task)
        data = select_features(data, features=features, drop=drop)
        data.meta.setdefault("notes", [])
        if data.meta.get("note"):
            data.meta["notes"].append(data.meta["note"])
        data.meta["impute"] = impute
    data.meta.update(source="file", format=kind)
    return data


def select_features(data: Dataset, *, features: object = None, drop: object = None) -> Dataset:
    """``data`` with only the named feature columns (``features=``), or without some (``drop=``)."""
    features, drop = names_option("features", features), names_option("drop", drop)
    if features is None and drop is None:
        return data
    if features is not None and drop is not None:
        raise GdlabError("give features or drop, not both")
    names = list(data.feature_names)
    for option, chosen in (("features", features), ("drop", drop)):
        unknown = [n for n in chosen or () if n not in names]
        if unknown:
            raise GdlabError(f"{data.name}: no feature {unknown[0]!r} (in {option}); features: "
                             f"{', '.join(names[:30])}{', ...' if len(names) > 30 else ''}")
    keep = features if features is not None else [n for n in names if n not in set(drop)]
    if not keep:
        raise GdlabError(f"{data.name}: drop leaves no feature columns")
    index = [names.index(n) for n in keep]
    columns = None if data.columns is None else [data.columns[j] for j in index]
    X_test = None if data.X_test is None else data.X_test[:, index]
    return replace(data, X=data.X[:, index], feature_names=keep, X_test=X_test, columns=columns)


def _load_npy(path: Path, *, target: object, task: str | None) -> Dataset:
    array = read_npy(path)
    n_columns = array.shape[1]
    if n_columns < 2:
        raise GdlabError(
            f"{path}: the array has {n_columns} column; need feature columns and a target column"
        )
    index = n_columns - 1 if target is None else column_index(path, target, n_columns)
    target_name = "y" if target is None else f"column {index}"
    X = np.delete(array, index, axis=1).astype(np.float64)
    raw = whole_numbers(array[:, index])
    y, chosen, classes = encode_target(raw, task=task, where=str(path), target_name=target_name)
    names = [f"x{j}" for j in range(X.shape[1])]
    note = task_note(raw, asked=task, task=chosen, classes=classes, target_name=target_name)
    return Dataset(X, y, names, target_name, chosen, classes, name=str(path), meta={"notes": [note]})


def _load_npz(path: Path, *, task: str | None) -> Dataset:
    arrays = read_npz(path)
    X = as_features(path, "X", arrays["X"])
    raw = as_target(path, "y", arrays["y"], len(X))
    X_test = raw_test = None
    if "X_test" in arrays and "y_test" in arrays:
        X_test = as_features(path, "X_test", arrays["X_test"])
        if X_test.shape[1] != X.shape[1]:
            raise GdlabError(f"{path}: X_test has {X_test.shape[1]} columns, X has {X.shape[1]}")
        raw_test = as_target(path, "y_test", arrays["y_test"], len(X_test))
    names = [f"x{j}" for j in range(X.shape[1])]
    return _with_raw_target(path, X, raw, names, X_test, raw_test, task=task)


def _with_raw_target(
    path: Path,
    X: np.ndarray,
    raw: np.ndarray,
    names: list[str],
    X_test: np.ndarray | None,
    raw_test: np.ndarray | None,
    *,
    task: str | None,
) -> Dataset:
    """Encode a raw target (and a test target with the same classes) into a Dataset."""
    asked = task
    y, task, classes = encode_target(
        whole_numbers(raw), task=task, where=str(path), target_name="y"
    )
    note = task_note(whole_numbers(raw), asked=asked, task=task, classes=classes, target_name="y")
    y_test = None
    if raw_test is not None:
        if classes is None:
            y_test = np.asarray(raw_test, dtype=np.float64)
        else:
            y_test = encode_labels(whole_numbers(raw_test), classes, where=f"{path} (y_test)")
    return Dataset(X, y, names, "y", task, classes, str(path), X_test, y_test, {"notes": [note]})


def _load_hdf5(path: Path, *, task: str | None) -> Dataset:
    content = read_hdf5(path)
    if content.classes is None:
        data = _with_raw_target(
            path,
            content.X,
            content.y,
            content.feature_names,
            content.X_test,
            content.y_test,
            task=task,
        )
    else:
        present = np.unique(content.y)
        if present.size < 2:
            label = content.classes[int(present[0])]
            raise GdlabError(
                f"{path}: the labels have only one class ({label!r}); "
                "classification needs at least two"
            )
        kind = "binary" if len(content.classes) == 2 else "multiclass"
        data = Dataset(
            content.X,
            content.y,
            content.feature_names,
            "y",
            kind,
            content.classes,
            str(path),
            content.X_test,
            content.y_test,
        )
        data = with_task(data, task)
    if content.note:
        data.meta["note"] = content.note
    return data
