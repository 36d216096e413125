"""Reading NumPy files: ``.npy`` (one 2-D array) and ``.npz`` (arrays ``X`` and ``y``).

Nothing is read before its size is known and checked: a ``.npy`` header's shape must match
the file's size and fit in memory; an ``.npz`` archive is opened as the zip file it is, and
only the arrays gdlab uses (:data:`NPZ_ARRAYS`) are read, after their declared sizes (the
zip directory's uncompressed size and each array's header) pass the memory and
expansion checks of :mod:`gdlab.data.limits` (a zip bomb declares a huge size in a few
compressed bytes).
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from gdlab.data.limits import check_expansion, check_fits, size_text
from gdlab.errors import GdlabError

NPZ_ARRAYS = ("X", "y", "X_test", "y_test")


def _header(handle, path: Path, what: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and data bytes declared by a ``.npy`` header at ``handle``'s position."""
    try:
        version = np.lib.format.read_magic(handle)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0  # 2.0 and 3.0 share the layout
        shape, _, dtype = read(handle)
    except Exception as err:
        raise GdlabError(f"{path}: cannot read {what} as a NumPy .npy array: {err}") from None
    if dtype.hasobject:
        raise GdlabError(f"{path}: {what} holds Python objects (dtype {dtype}); numbers are needed")
    return shape, dtype, math.prod(shape) * dtype.itemsize


def read_npy(path: Path) -> np.ndarray:
    """Load one 2-D numeric array with at least one row, every cell finite."""
    with open(path, "rb") as handle:
        try:
            shape, _, n_bytes = _header(handle, path, "the file")
        except GdlabError:
            shape = None
        data_bytes = path.stat().st_size - handle.tell()
    if shape is not None:
        if n_bytes > data_bytes:
            raise GdlabError(
                f"{path}: the header declares shape {shape} ({size_text(n_bytes)}) but the file "
                f"holds {size_text(data_bytes)} of data; is it truncated?"
            )
        check_fits(path, "the array", n_bytes + 8 * math.prod(shape))
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
    """Load the arrays gdlab uses (:data:`NPZ_ARRAYS`) from an ``.npz`` archive, which must
    hold the ``required`` ones; other members are never read."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise GdlabError(
            f"{path}: cannot read as a NumPy .npz archive ({type(err).__name__}: {err})"
        ) from None
    with archive:
        members = {i.filename[: -len(".npy")]: i for i in archive.infolist()
                   if i.filename.endswith(".npy")}
        missing = [key for key in required if key not in members]
        if missing:
            found = ", ".join(list(members)[:20]) or "none"
            raise GdlabError(
                f"{path}: missing array {missing[0]!r}; found arrays: {found} "
                f"(expected {' and '.join(required)})"
            )
        wanted = [key for key in NPZ_ARRAYS if key in members]
        total = 0
        for key in wanted:
            info = members[key]
            check_expansion(path, f"array {key!r}", declared=info.file_size,
                            stored=info.compress_size)
            shape, n_bytes = _member_header(archive, info, path, key)
            if n_bytes > info.file_size:
                raise GdlabError(
                    f"{path}: array {key!r} declares shape {shape} ({size_text(n_bytes)}) but "
                    f"holds {size_text(info.file_size)}"
                )
            total += n_bytes + 8 * math.prod(shape)  # the array and its float64 copy
        check_fits(path, f"arrays {', '.join(wanted)}", total)
        return {key: _read_member(archive, members[key], path, key) for key in wanted}


def _member_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, key: str):
    try:
        with archive.open(info) as handle:
            return _header(handle, path, f"array {key!r}")[0::2]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise GdlabError(f"{path}: cannot read array {key!r} ({type(err).__name__}: {err})") from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, key: str) -> np.ndarray:
    try:
        with archive.open(info) as handle:
            return np.lib.format.read_array(handle, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise GdlabError(f"{path}: cannot read array {key!r} ({type(err).__name__}: {err})") from None


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
