"""Reading tables (CSV, Parquet) and checking their cells, with exact locations in messages.

pandas does the parsing; this module turns what goes wrong into one-line messages
that name the file, the line (CSV) or row index (Parquet), the column and the value.
CSV line numbers count the header as line 1; they are found by re-reading the file
with the :mod:`csv` module only when something needs reporting, so clean files load at
pandas speed.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from gdlab.errors import GdlabError


class Table:
    """A parsed table and a way to name its rows.

    Parameters
    ----------
    frame : DataFrame
        The cells, one row per data record, columns named as in the file (as str).
    path : Path
        The file, for messages.
    """

    def __init__(self, frame: pd.DataFrame, path: Path) -> None:
        self.frame = frame
        self.path = path

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def locate(self, row: int) -> str:
        """Name data row ``row`` (0-based) as the file counts it."""
        return f"row index {row}"

    def fail(self, row: int, column: str, problem: str) -> GdlabError:
        """The error for a bad cell: ``file: line 4, column 'x2': problem``."""
        return GdlabError(f"{self.path}: {self.locate(row)}, column {column!r}: {problem}")


class CsvTable(Table):
    """A CSV table; rows are named by their line in the file (the header is line 1)."""

    _lines: list[int] | None = None

    def locate(self, row: int) -> str:
        if self._lines is None:
            self._lines = scan_csv(self.path)  # raises first if a line is ragged
        return f"line {self._lines[row]}"


def read_table(path: Path) -> Table:
    """Read a ``.csv`` or ``.parquet`` file; fail with a one-line message if it is unusable."""
    table = _read_parquet(path) if path.suffix.lower() == ".parquet" else _read_csv(path)
    if not table.columns:
        raise GdlabError(f"{path}: no columns")
    if len(table.frame) == 0:
        raise GdlabError(f"{path}: no data rows (only a header: {', '.join(table.columns)})")
    return table


def _read_csv(path: Path) -> CsvTable:
    try:
        with warnings.catch_warnings():
            # a row longer than the header: pandas warns and truncates; we refuse it
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, index_col=False, encoding="utf-8", low_memory=False)
    except pd.errors.EmptyDataError:
        raise GdlabError(f"{path}: file is empty") from None
    except UnicodeDecodeError:
        raise GdlabError(f"{path}: not UTF-8 text; is it a CSV file?") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        scan_csv(path)  # names the ragged line if there is one
        reason = str(err).strip().splitlines()[-1]
        raise GdlabError(f"{path}: cannot parse as CSV: {reason}") from None
    frame.columns = [str(c) for c in frame.columns]
    return CsvTable(frame, path)


def _read_parquet(path: Path) -> Table:
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many types for a bad file
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise GdlabError(f"{path}: cannot read as Parquet: {reason}") from None
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    return Table(frame, path)


def scan_csv(path: Path) -> list[int]:
    """Line numbers of the data records of a CSV file, like pandas reads them.

    Blank lines are skipped (as pandas does); a record may span lines when a quoted
    field holds a newline (its first line is returned).

    Raises
    ------
    GdlabError
        At the first record whose field count differs from the header's.
    """
    lines: list[int] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        previous = reader.line_num
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) != len(header):
                raise GdlabError(
                    f"{path}: line {start} has {len(record)} fields, the header has "
                    f"{len(header)} ({', '.join(header)})"
                )
            lines.append(start)
    return lines


def feature_matrix(table: Table, columns: list[str]) -> np.ndarray:
    """The cells of ``columns`` as a float64 matrix of shape (n_rows, len(columns)).

    Raises
    ------
    GdlabError
        Naming the first cell (by row, then column) that is not a number, is missing,
        or is infinite.
    """
    frame = table.frame[columns]
    if all(is_numeric_dtype(frame[c]) for c in columns):
        X = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    else:  # text columns: cells that are not numbers become NaN, found below
        X = np.column_stack([_to_numbers(frame[c]) for c in columns])
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        row, j = (int(i) for i in bad[0])
        raise table.fail(row, columns[j], _cell_problem(frame[columns[j]].iloc[row]))
    return X


def _to_numbers(series: pd.Series) -> np.ndarray:
    numbers = series if is_numeric_dtype(series) else pd.to_numeric(series, errors="coerce")
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _cell_problem(value: object) -> str:
    """Say what is wrong with a cell that did not give a finite number."""
    if pd.isna(value):
        return "missing value"
    if isinstance(value, str):
        number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
        if pd.isna(number):
            return f"{value!r} is not a number"
        value = number
    return f"{value} is not a finite number"


def target_values(table: Table, column: str) -> np.ndarray:
    """The raw target cells: numbers (int, float or bool array) or labels (object array of str).

    Raises
    ------
    GdlabError
        At the first missing or infinite value.
    """
    series = table.frame[column]
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        raise table.fail(int(missing[0]), column, "missing value")
    if is_numeric_dtype(series):
        if series.dtype.kind == "b" or str(series.dtype) == "boolean":
            return series.to_numpy(dtype=bool)
        if series.dtype.kind in "iu" or str(series.dtype).startswith(("Int", "UInt")):
            return series.to_numpy(dtype=np.int64)
        return feature_matrix(table, [column])[:, 0]
    return series.astype(str).to_numpy(dtype=object)
