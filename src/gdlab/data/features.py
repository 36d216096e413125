"""Reading new rows for ``gdlab predict`` / ``gdlab evaluate``: the training columns, in order.

With the training description (its :class:`~gdlab.data.columns.Column` list, or the
stored :class:`~gdlab.data.preprocess.Preprocessor`), a table's raw columns are read by
name and coded the way training coded them: numbers as numbers, categories as indices
into the *training* category list, a category the training file never had as code −1
(all zeros after :meth:`~gdlab.data.preprocess.Preprocessor.transform`, and counted in a
note), a missing cell as NaN (filled by the preprocessor; an error with ``impute="none"``).
Without it, every column must be a complete number, as before categories existed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.data.arrays import as_features, as_target, read_npy, read_npz
from gdlab.data.builtin import builtin_key, load_builtin
from gdlab.data.columns import Cells, Column, code, read_cells, text_cells
from gdlab.data.csvscan import parse_delimiter
from gdlab.data.files import check_file, file_format
from gdlab.data.hdf5 import read_hdf5
from gdlab.data.preprocess import Counts, Preprocessor
from gdlab.data.tables import Table, read_table
from gdlab.data.target import whole_numbers
from gdlab.errors import GdlabError


def load_features(
    path: str | Path,
    feature_names: list[str],
    *,
    target_name: str | None = None,
    columns: list[Column] | None = None,
    preprocessor: Preprocessor | dict | None = None,
    delimiter: str | None = None,
    return_notes: bool = False,
) -> tuple:
    """Read the columns a model was trained on from a new file.

    Parameters
    ----------
    path : str or Path
        A data file (or a built-in data set name).
    feature_names : list of str
        The training features (``Dataset.feature_names``: raw column names), in training
        order. CSV/Parquet columns are picked by name (extra columns are ignored); array
        files are taken by position. With ``columns`` or ``preprocessor``, their names are
        used instead.
    target_name : str or None, default=None
        CSV/Parquet: the target column, returned when present (and not entirely empty).
        Array files return their target when they have one (``.npy``: one column more than
        the features, the last; ``.npz``/HDF5: ``y``).
    columns : list of Column or None, default=None
        The training columns (``Dataset.columns``): how to code each one.
    preprocessor : Preprocessor or dict or None, default=None
        The fitted preprocessor (or its :meth:`~Preprocessor.to_dict`); gives ``columns``
        when they are not passed, the ``impute`` setting, and the counts in the notes.
    delimiter : str or None, default=None
        CSV: force the delimiter; None detects it.
    return_notes : bool, default=False
        Also return one-line notes: cells filled, categories unseen in training.

    Returns
    -------
    X : ndarray of shape (n_rows, n_columns), float64
        Raw-coded with ``columns`` (NaN for missing, −1 for an unseen category): give it to
        ``preprocessor.transform``. Without: finite numbers only.
    y : ndarray of shape (n_rows,) or None
        Raw target values (original labels, not indices), or None without a target.
    row_ids : list of int
        The 0-based position of each row in the file.
    notes : list of str
        Only with ``return_notes=True``.

    Raises
    ------
    GdlabError
        For a missing training column, a wrong number of columns, or a bad cell (naming
        its line and column): text in a numeric column, an infinite number, or a missing
        cell where nothing fills it (no preprocessor, or ``impute="none"``).
    """
    prep = _preprocessor(preprocessor)
    if columns is None and prep is not None and prep.columns is not None:
        columns = list(prep.columns)
    feature_names = [c.name for c in columns] if columns is not None else list(feature_names)
    strict = columns is None or (prep is not None and prep.impute == "none")
    delimiter = parse_delimiter(delimiter)
    unseen: dict[str, dict[str, int]] = {}
    key = builtin_key(str(path))
    if key is not None and not Path(path).exists():
        X, y = _builtin(key, feature_names)
    else:
        path = Path(path)
        check_file(path)
        kind = file_format(path)
        if kind in ("csv", "parquet"):
            coded = columns or [Column(name) for name in feature_names]
            X, y, unseen = _table(path, coded, target_name, strict=strict, delimiter=delimiter)
        elif kind == "npy":
            X, y = _npy(path, feature_names)
        else:
            X, y = _npz(path, feature_names) if kind == "npz" else _hdf5(path, feature_names)
    rows = list(range(len(X)))
    if not return_notes:
        return X, y, rows
    return X, y, rows, _notes(Path(str(path)).name, X, prep, unseen)


def _preprocessor(value: Preprocessor | dict | None) -> Preprocessor | None:
    if value is None or isinstance(value, Preprocessor):
        return value
    return Preprocessor.from_dict(value)


def _names(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _table(
    path: Path, columns: list[Column], target_name: str | None, *, strict: bool,
    delimiter: str | None,
) -> tuple[np.ndarray, np.ndarray | None, dict[str, dict[str, int]]]:
    names = [c.name for c in columns]

    def choose(header: list[str]) -> list[str]:
        missing = [name for name in names if name not in header]
        if missing:
            raise GdlabError(
                f"{path}: missing column {missing[0]!r} (the model was trained on {_names(names)})"
            )
        return names + ([target_name] if target_name in header else [])

    text = tuple(c.name for c in columns if c.kind == "categorical")
    table = read_table(path, delimiter=delimiter, choose=choose, text_columns=text)
    X, unseen, problem = code_frame(table.frame, columns, strict=strict)
    if problem:
        raise table.fail(*problem)
    y = None
    if target_name is not None and target_name in table.columns:
        y = _target(table, target_name)
    return X, y, unseen


def code_frame(
    frame: pd.DataFrame, columns: list[Column], *, strict: bool,
) -> tuple[np.ndarray, dict[str, dict[str, int]], tuple[int, str, str] | None]:
    """Code a table's training columns as training coded them (the module docstring).

    The one coder of new rows, for files and for the DataFrames handed to a run: cells are
    stripped, missing tokens (``""``, ``NA``, …) are missing (NaN, filled later), text in
    a numeric column is a problem, and so is a missing cell when ``strict``. Returns the
    codes (n, len(columns)), the unseen categories per column with their counts, and the
    first problem as ``(row, column name, what)`` (or None).
    """
    X = np.empty((len(frame), len(columns)))
    problems, unseen = [], {}
    for j, column in enumerate(columns):
        if column.kind == "numeric":
            cells = read_cells(frame[column.name])
            X[:, j], problem = _numeric(cells)
        else:
            cells = text_cells(frame[column.name])
            strings = cells.text
            X[:, j], problem = code(strings, column.categories), None
            new = pd.Series(strings[X[:, j] == -1]).value_counts()
            if len(new):
                unseen[column.name] = {str(k): int(v) for k, v in new.items()}
        if problem:
            problems.append((problem[0], j, column.name, problem[1]))
        elif strict and cells.missing.any():
            problems.append((int(np.flatnonzero(cells.missing)[0]), j, column.name, "missing value"))
    first = min(problems) if problems else None
    return X, unseen, first and (first[0], first[2], first[3])


def _numeric(cells: Cells) -> tuple[np.ndarray, tuple[int, str] | None]:
    """A numeric training column's cells: every present cell must be a finite number."""
    if cells.kind in ("number", "bool"):
        return cells.numbers, cells.bad
    if cells.kind == "empty":
        return np.full(cells.missing.size, np.nan), None
    parsed = pd.to_numeric(pd.Series(cells.text), errors="coerce").to_numpy(dtype=np.float64)
    row = int(np.flatnonzero(~cells.missing & np.isnan(parsed))[0])
    return parsed, (row, f"{cells.text[row]!r} is not a number")


def _target(table: Table, name: str) -> np.ndarray | None:
    """Raw target values; a column with no value at all is no target (rows to predict)."""
    cells = read_cells(table.frame[name])
    if cells.kind == "empty":
        return None
    if cells.bad:
        raise table.fail(cells.bad[0], name, cells.bad[1])
    if cells.missing.any():
        raise table.fail(int(np.flatnonzero(cells.missing)[0]), name, "missing value")
    if cells.kind == "text":
        return cells.text
    if cells.kind == "bool":
        return cells.numbers.astype(bool)
    return whole_numbers(cells.numbers)


def _notes(where: str, X: np.ndarray, prep: Preprocessor | None,
           unseen: dict[str, dict[str, int]]) -> list[str]:
    """The filled-cells line (from the preprocessor) and the unseen-categories line."""
    if prep is None or prep.columns is None:
        counts = Counts()
    else:
        counts = prep.counts(X)
    notes = prep.notes(Counts(filled=counts.filled), where=where) if prep is not None else []
    per_column = dict(counts.unseen)
    for name, values in unseen.items():
        per_column.setdefault(name, sum(values.values()))
    if per_column:
        n = sum(per_column.values())
        parts = []
        for name, count in sorted(per_column.items(), key=lambda kv: -kv[1]):
            examples = list(unseen.get(name, {}))[:3]
            shown = f" ({', '.join(map(repr, examples))}{', ...' if len(unseen.get(name, {})) > 3 else ''})" if examples else ""
            parts.append(f"{name} {count}{shown}")
        notes.append(f"{where}: {n} cell{'s' if n > 1 else ''} had a category not in the "
                     f"training rows, encoded as all zeros: {', '.join(parts)}")
    return notes


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
