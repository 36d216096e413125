"""Reading new rows for ``gdlab predict`` / ``gdlab evaluate``: the training features, in order."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gdlab.data.arrays import as_features, as_target, read_npy, read_npz
from gdlab.data.builtin import builtin_key, load_builtin
from gdlab.data.files import check_file, file_format
from gdlab.data.hdf5 import read_hdf5
from gdlab.data.tables import feature_matrix, read_table, target_values
from gdlab.data.target import whole_numbers
from gdlab.errors import GdlabError


def load_features(
    path: str | Path, feature_names: list[str], *, target_name: str | None = None
) -> tuple[np.ndarray, np.ndarray | None, list]:
    """Read the columns a model was trained on from a new file.

    Parameters
    ----------
    path : str or Path
        A data file (or a built-in data set name).
    feature_names : list of str
        The training features, in training order. CSV/Parquet columns are picked by
        name (extra columns are ignored); array files are taken by position.
    target_name : str or None, default=None
        CSV/Parquet: the target column, returned when present. Array files return
        their target when they have one (``.npy``: one column more than the features,
        the last; ``.npz``/HDF5: ``y``).

    Returns
    -------
    X : ndarray of shape (n_rows, len(feature_names)), float64
    y : ndarray of shape (n_rows,) or None
        Raw target values (original labels, not indices), or None without a target.
    row_ids : list of int
        The 0-based position of each row in the file.

    Raises
    ------
    GdlabError
        For a missing training column, a wrong number of columns, or a bad cell.
    """
    feature_names = list(feature_names)
    key = builtin_key(str(path))
    if key is not None and not Path(path).exists():
        X, y = _builtin(key, feature_names)
    else:
        path = Path(path)
        check_file(path)
        kind = file_format(path)
        if kind in ("csv", "parquet"):
            X, y = _table(path, feature_names, target_name)
        elif kind == "npy":
            X, y = _npy(path, feature_names)
        else:
            X, y = _npz(path, feature_names) if kind == "npz" else _hdf5(path, feature_names)
    return X, y, list(range(len(X)))


def _names(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _table(
    path: Path, feature_names: list[str], target_name: str | None
) -> tuple[np.ndarray, np.ndarray | None]:
    table = read_table(path)
    missing = [name for name in feature_names if name not in table.columns]
    if missing:
        raise GdlabError(
            f"{path}: missing column {missing[0]!r} (the model was trained on "
            f"{_names(feature_names)})"
        )
    X = feature_matrix(table, feature_names)
    has_target = target_name is not None and target_name in table.columns
    return X, target_values(table, target_name) if has_target else None


def _check_width(path: Path, X: np.ndarray, feature_names: list[str], hint: str = "") -> None:
    if X.shape[1] != len(feature_names):
        raise GdlabError(
            f"{path}: {X.shape[1]} features per row, the model was trained on "
            f"{len(feature_names)} ({_names(feature_names)}){hint}"
        )


def _npy(path: Path, feature_names: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    array = read_npy(path)
    d = len(feature_names)
    if array.shape[1] == d + 1:  # the target is the last column
        return array[:, :d].astype(np.float64), whole_numbers(array[:, d])
    _check_width(path, array, feature_names, f"; give {d} columns, or {d + 1} with the target last")
    return array.astype(np.float64), None


def _npz(path: Path, feature_names: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    arrays = read_npz(path, required=("X",))
    X = as_features(path, "X", arrays["X"])
    _check_width(path, X, feature_names)
    y = as_target(path, "y", arrays["y"], len(X)) if "y" in arrays else None
    return X, None if y is None else whole_numbers(y)


def _hdf5(path: Path, feature_names: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    content = read_hdf5(path, find_test_file=False)
    _check_width(path, content.X, feature_names)
    if content.classes is None:
        return content.X, whole_numbers(content.y)
    return content.X, np.asarray(content.classes, dtype=object)[content.y]


def _builtin(key: str, feature_names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    data = load_builtin(key)
    missing = [name for name in feature_names if name not in data.feature_names]
    if missing:
        raise GdlabError(
            f"{key}: missing column {missing[0]!r} (the model was trained on "
            f"{_names(feature_names)})"
        )
    X = data.X[:, [data.feature_names.index(name) for name in feature_names]]
    y = data.y if data.classes is None else np.asarray(data.classes, dtype=object)[data.y]
    return X, y
