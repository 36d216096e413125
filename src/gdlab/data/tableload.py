"""A table (CSV or Parquet) as a Dataset.

The steps, each of which may add a one-line note to ``Dataset.meta["notes"]``:

1. read the file (:func:`~gdlab.data.tables.read_table`: dialect, bounds);
2. choose the target (``target=``, default the last column) and the features
   (``features=`` exactly those, ``drop=`` all but those; default every other column);
3. read each feature column (:mod:`gdlab.data.columns`): numbers, category codes, or left
   out (no values, an id, too many categories); a bad cell is an error naming its line and
   column, the first by row and then by column;
4. drop the rows whose target is missing (``impute="none"``: an error instead, as before
   imputation existed), and encode the target (:mod:`gdlab.data.target`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gdlab.data.columns import Cells, as_feature, read_cells
from gdlab.data.dataset import Dataset
from gdlab.data.preprocess import check_impute
from gdlab.data.tables import Table, read_table
from gdlab.data.target import encode_target, task_note, whole_numbers
from gdlab.errors import GdlabError


def names_option(option: str, value: object) -> list[str] | None:
    """A ``features=``/``drop=`` value: None, a list of names, or one comma-separated string."""
    if value is None:
        return None
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        raise GdlabError(f"{option} must be column names (a list of str, or 'a,b,c'), got {value!r}")
    if not names:
        raise GdlabError(f"{option} names no column")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise GdlabError(f"{option} names {', '.join(map(repr, twice))} more than once")
    return names


class _Choice:
    """The target and feature columns, resolved against the file's header."""

    def __init__(self, path: Path, target: object, features: list[str] | None,
                 drop: list[str] | None) -> None:
        if features is not None and drop is not None:
            raise GdlabError("give features or drop, not both")
        self.path, self.asked_target, self.features, self.drop = path, target, features, drop
        self.target = ""
        self.feature_names: list[str] = []

    def __call__(self, header: list[str]) -> list[str]:
        path = self.path
        listing = ", ".join(header)
        self.target = header[-1] if self.asked_target is None else str(self.asked_target)
        if self.target not in header:
            raise GdlabError(f"{path}: no column {self.target!r} for the target; columns: {listing}")
        for option, names in (("features", self.features), ("drop", self.drop)):
            unknown = [n for n in names or () if n not in header]
            if unknown:
                raise GdlabError(f"{path}: no column {unknown[0]!r} (in {option}); columns: {listing}")
            if names and self.target in names:
                raise GdlabError(
                    f"{path}: {self.target!r} is the target; it cannot be in {option}"
                    + (" (name the target with target=)" if self.asked_target is None else "")
                )
        if self.features is not None:
            self.feature_names = list(self.features)
        else:
            dropped = set(self.drop or ())
            self.feature_names = [n for n in header if n != self.target and n not in dropped]
        if not self.feature_names and self.drop:
            raise GdlabError(f"{path}: drop leaves no feature columns besides the target")
        if not self.feature_names:
            raise GdlabError(
                f"{path}: only one column ({self.target}); need feature columns besides the target"
            )
        return [n for n in header if n in set(self.feature_names) | {self.target}]


def load_table(
    path: Path,
    *,
    target: object = None,
    task: str | None = None,
    features: object = None,
    drop: object = None,
    impute: str = "auto",
    delimiter: str | None = None,
) -> Dataset:
    """Load a CSV or Parquet table (see the module docstring for the steps).

    Returns
    -------
    Dataset
        With ``columns`` set (a :class:`~gdlab.data.columns.Column` per feature) and ``X``
        raw-coded; ``meta["notes"]`` holds the remarks for people.
    """
    impute = check_impute(impute)
    choice = _Choice(path, target, names_option("features", features), names_option("drop", drop))
    table = read_table(path, delimiter=delimiter, choose=choice)
    frame, names = table.frame, choice.feature_names
    cells = {name: read_cells(frame[name]) for name in names}
    _raise_first(table, [(c.bad[0], j, names[j], c.bad[1]) for j, c in enumerate(cells.values()) if c.bad])
    decided = [as_feature(n, cells[n], explicit=features is not None) for n in names]
    used = [f for f in decided if f.column is not None]
    notes = list(table.notes) + [f.note for f in decided if f.note]
    if not used:
        raise GdlabError(f"{path}: no feature columns left to learn from ({'; '.join(notes)})")
    if impute == "none":
        _raise_first(table, [(int(np.flatnonzero(cells[f.name].missing)[0]), j, f.name, "missing value")
                             for j, f in enumerate(used) if cells[f.name].missing.any()])
    y_cells = read_cells(frame[choice.target])
    keep = _rows_with_target(table, choice.target, y_cells, impute, notes)
    values = _target_values(table, choice.target, y_cells, keep)
    y, task_chosen, classes = encode_target(values, task=task, where=str(path),
                                            target_name=choice.target)
    notes.append(task_note(values, asked=task, task=task_chosen, classes=classes,
                           target_name=choice.target))
    X = np.column_stack([f.values[keep] if keep is not None else f.values for f in used])
    meta = {"notes": notes, "impute": impute}
    if keep is not None:
        meta["file_rows"] = np.flatnonzero(keep)
    if hasattr(table, "dialect"):
        meta["dialect"] = table.dialect
    return Dataset(X.astype(np.float64, copy=False), y, [f.name for f in used], choice.target,
                   task_chosen, classes, name=str(path), meta=meta, columns=[f.column for f in used])


def _raise_first(table: Table, problems: list[tuple[int, int, str, str]]) -> None:
    """Raise the first problem by row, then by column position."""
    if problems:
        row, _, column, problem = min(problems)
        raise table.fail(row, column, problem)


def _rows_with_target(table: Table, target: str, cells: Cells, impute: str,
                      notes: list[str]) -> np.ndarray | None:
    """The rows to keep (None: all), after dropping those without a target value."""
    if cells.bad:
        raise table.fail(cells.bad[0], target, cells.bad[1])
    if not cells.missing.any():
        return None
    if impute == "none":
        raise table.fail(int(np.flatnonzero(cells.missing)[0]), target, "missing value")
    n = int(np.count_nonzero(cells.missing))
    if n == cells.missing.size:
        raise GdlabError(f"{table.path}: column {target!r} (the target) has no values")
    notes.append(f"dropped {n} row{'s' if n > 1 else ''} with no {target!r}")
    return ~cells.missing


def _target_values(table: Table, target: str, cells: Cells, keep: np.ndarray | None) -> np.ndarray:
    """Raw target labels or numbers of the kept rows: int64, float64, bool or str objects."""
    if cells.kind == "empty":
        raise GdlabError(f"{table.path}: column {target!r} (the target) has no values")
    rows = slice(None) if keep is None else keep
    if cells.kind == "text":
        return cells.text[rows]
    values = cells.numbers[rows]
    if cells.kind == "bool":
        return values.astype(bool)
    return whole_numbers(values) if cells.integral else values
