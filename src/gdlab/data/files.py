"""Loading data files into a Dataset.

The extension decides the format: ``.csv`` and ``.parquet`` (tables with a header),
``.npy`` (one 2-D array), ``.npz`` (arrays ``X`` and ``y``), ``.h5``/``.hdf5``
(catvnoncat or ``X``/``y``). Every problem raises :class:`~gdlab.errors.GdlabError`
with one line naming the file and the row, line, column or value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gdlab.data.arrays import as_features, as_target, column_index, read_npy, read_npz
from gdlab.data.dataset import Dataset
from gdlab.data.hdf5 import read_hdf5
from gdlab.data.tables import feature_matrix, read_table, target_values
from gdlab.data.target import encode_labels, encode_target, whole_numbers, with_task
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
    """Fail unless ``path`` is an existing regular file."""
    if not path.exists():
        raise GdlabError(f"file not found: {path}")
    if not path.is_file():
        raise GdlabError(f"not a file: {path}")


def load_file(path: Path, *, target: object = None, task: str | None = None) -> Dataset:
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
    """
    path = Path(path)
    check_file(path)
    kind = file_format(path)
    if kind in ("csv", "parquet"):
        data = _load_table(path, target=target, task=task)
    elif kind == "npy":
        data = _load_npy(path, target=target, task=task)
    else:
        if target is not None:
            raise GdlabError(
                f"{path}: target does not apply to a .{path.suffix.lstrip('.')} file "
                f"(it holds the target as an array); got target={target!r}"
            )
        data = _load_npz(path, task=task) if kind == "npz" else _load_hdf5(path, task=task)
    data.meta.update(source="file", format=kind)
    return data


def _load_table(path: Path, *, target: object, task: str | None) -> Dataset:
    table = read_table(path)
    target_name = table.columns[-1] if target is None else str(target)
    if target_name not in table.columns:
        raise GdlabError(
            f"{path}: no column {target_name!r} for the target; columns: {', '.join(table.columns)}"
        )
    features = [c for c in table.columns if c != target_name]
    if not features:
        raise GdlabError(
            f"{path}: only one column ({target_name}); need feature columns besides the target"
        )
    X = feature_matrix(table, features)
    values = target_values(table, target_name)
    y, task, classes = encode_target(values, task=task, where=str(path), target_name=target_name)
    return Dataset(X, y, features, target_name, task, classes, name=str(path))


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
    y, task, classes = encode_target(
        whole_numbers(array[:, index]), task=task, where=str(path), target_name=target_name
    )
    names = [f"x{j}" for j in range(X.shape[1])]
    return Dataset(X, y, names, target_name, task, classes, name=str(path))


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
    y, task, classes = encode_target(
        whole_numbers(raw), task=task, where=str(path), target_name="y"
    )
    y_test = None
    if raw_test is not None:
        if classes is None:
            y_test = np.asarray(raw_test, dtype=np.float64)
        else:
            y_test = encode_labels(whole_numbers(raw_test), classes, where=f"{path} (y_test)")
    return Dataset(X, y, names, "y", task, classes, str(path), X_test, y_test)


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
