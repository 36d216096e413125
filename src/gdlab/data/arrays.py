"""Reading NumPy files: ``.npy`` (one 2-D array) and ``.npz`` (arrays ``X`` and ``y``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gdlab.errors import GdlabError


def read_npy(path: Path) -> np.ndarray:
    """Load one 2-D numeric array with at least one row, every cell finite."""
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise GdlabError(f"{path}: cannot read as a NumPy .npy array: {err}") from None
    except Exception as err:  # a truncated or foreign file
        raise GdlabError(
            f"{path}: cannot read as a NumPy .npy array ({type(err).__name__})"
        ) from None
    if not isinstance(array, np.ndarray):
        raise GdlabError(f"{path}: holds several arrays; a .npy file must hold one 2-D array")
    if array.ndim != 2:
        raise GdlabError(
            f"{path}: expected one 2-D array (rows x columns), got shape {array.shape}"
        )
    check_numeric(path, "the array", array)
    if array.shape[0] == 0:
        raise GdlabError(f"{path}: the array has no rows (shape {array.shape})")
    check_cells(path, array)
    return array


def column_index(path: Path, target: object, n_columns: int) -> int:
    """Resolve a ``.npy`` target (an int or numeric string, negative allowed) to an index."""
    try:
        index = int(str(target).strip())
    except ValueError:
        raise GdlabError(
            f"{path}: the target of a .npy file is a column index, got {target!r}"
        ) from None
    if not -n_columns <= index < n_columns:
        raise GdlabError(
            f"{path}: target column {index} is out of range; the array has {n_columns} columns"
        )
    return index % n_columns


def read_npz(path: Path, *, required: tuple[str, ...] = ("X", "y")) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` file, which must hold the ``required`` ones."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except ValueError as err:
        raise GdlabError(f"{path}: cannot read as a NumPy .npz archive: {err}") from None
    except Exception as err:  # not a zip file, or a damaged one
        raise GdlabError(
            f"{path}: cannot read as a NumPy .npz archive ({type(err).__name__})"
        ) from None
    missing = [key for key in required if key not in arrays]
    if missing:
        found = ", ".join(arrays) or "none"
        raise GdlabError(
            f"{path}: missing array {missing[0]!r}; found arrays: {found} "
            f"(expected {' and '.join(required)})"
        )
    return arrays


def as_features(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """A feature array as float64 of shape (n, d): 1-D is one column, images are unrolled."""
    check_numeric(path, f"array {key!r}", array)
    if array.ndim == 0 or array.shape[0] == 0:
        raise GdlabError(f"{path}: array {key!r} has no rows (shape {array.shape})")
    X = array.reshape(array.shape[0], -1).astype(np.float64)
    check_cells(path, X, key=key)
    return X


def as_target(path: Path, key: str, array: np.ndarray, n_rows: int) -> np.ndarray:
    """A target array as 1-D, one value per row; a (1, n) or (n, 1) array is flattened."""
    if array.ndim == 2 and 1 in array.shape:
        array = array.ravel()
    if array.ndim != 1:
        raise GdlabError(f"{path}: array {key!r} must be 1-D, got shape {array.shape}")
    if array.shape[0] != n_rows:
        raise GdlabError(
            f"{path}: array {key!r} has {array.shape[0]} values but the features have {n_rows} rows"
        )
    if array.dtype.kind == "f":
        check_cells(path, array.reshape(-1, 1), key=key)
    elif array.dtype.kind not in "biuUS":
        raise GdlabError(f"{path}: array {key!r} has unsupported dtype {array.dtype}")
    if array.dtype.kind == "S":
        array = np.char.decode(array, "utf-8")
    return array.astype(object) if array.dtype.kind == "U" else array


def check_numeric(path: Path, what: str, array: np.ndarray) -> None:
    if array.dtype.kind not in "biuf":
        raise GdlabError(f"{path}: {what} has dtype {array.dtype}; numbers are needed")


def check_cells(path: Path, array: np.ndarray, *, key: str | None = None) -> None:
    """Fail at the first NaN or infinite cell of a 2-D array, naming its row and column."""
    if array.dtype.kind != "f":
        return
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        row, column = (int(i) for i in bad[0])
        where = f"array {key!r}, " if key else ""
        value = array[row, column]
        problem = "missing value (nan)" if np.isnan(value) else f"{value} is not a finite number"
        raise GdlabError(f"{path}: {where}row {row}, column {column}: {problem}")
