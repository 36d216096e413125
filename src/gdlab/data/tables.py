"""Reading tables (CSV, Parquet) into a DataFrame, with exact locations for messages.

CSV files are first inspected byte by byte in bounded memory (:mod:`gdlab.data.csvscan`:
dialect, cell sizes, field counts), then parsed by pandas with that dialect and gdlab's
missing-value tokens (:data:`~gdlab.data.columns.MISSING_TOKENS`). Parquet files have
their schema checked (flat columns only) and their declared size compared with the
available memory before any data is read.

Rows are named the way the file counts them: CSV by line (the header is line 1), found by
a second scan only when a message needs one, so clean files load at pandas speed;
Parquet by row index.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.data.columns import MISSING_TOKENS
from gdlab.data.csvscan import Dialect, inspect_csv, record_lines, record_lines_csv
from gdlab.data.limits import MAX_COLUMNS, MAX_FIELD_BYTES, check_fits, size_text
from gdlab.errors import GdlabError


class Table:
    """A parsed table and a way to name its rows.

    Parameters
    ----------
    frame : DataFrame
        The cells, one row per data record, columns named as in the file (as str).
    path : Path
        The file, for messages.
    notes : list of str
        Remarks for people about how the file was read (its dialect).
    """

    def __init__(self, frame: pd.DataFrame, path: Path, notes: list[str] | None = None) -> None:
        self.frame = frame
        self.path = path
        self.notes = list(notes or [])

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

    def __init__(self, frame: pd.DataFrame, path: Path, dialect: Dialect) -> None:
        super().__init__(frame, path, list(dialect.notes))
        self.dialect = dialect
        self._lines: np.ndarray | None = None

    def locate(self, row: int) -> str:
        if self._lines is None:
            self._lines = record_lines(self.path, self.dialect)
        return f"line {int(self._lines[row])}" if row < len(self._lines) else f"row index {row}"


def read_table(
    path: Path,
    *,
    delimiter: str | None = None,
    choose: Callable[[list[str]], list[str]] | None = None,
    text_columns: tuple[str, ...] = (),
) -> Table:
    """Read a ``.csv`` or ``.parquet`` file; fail with a one-line message if it is unusable.

    Parameters
    ----------
    path : Path
        The file.
    delimiter : str or None, default=None
        CSV only: force the delimiter (None detects it).
    choose : callable or None, default=None
        Given the header's names (an unnamed CSV column is ``"Unnamed: j"``, as pandas
        names it), returns the names of the columns to read (None: all); it raises for
        names that are not there.
    text_columns : tuple of str, default=()
        Columns kept as text even when they look like numbers (categories at predict time).
    """
    if path.suffix.lower() == ".parquet":
        table = _read_parquet(path, choose)
    else:
        table = _read_csv(path, delimiter, choose, text_columns)
    if not table.columns:
        raise GdlabError(f"{path}: no columns")
    if len(table.frame) == 0:
        raise GdlabError(f"{path}: no data rows (only a header: {', '.join(table.columns)})")
    return table


def pandas_names(header: tuple[str, ...]) -> list[str]:
    """The names pandas gives CSV columns: an empty name becomes ``Unnamed: j``."""
    return [name if name else f"Unnamed: {j}" for j, name in enumerate(header)]


def _read_csv(
    path: Path,
    delimiter: str | None,
    choose: Callable[[list[str]], list[str]] | None,
    text_columns: tuple[str, ...],
) -> CsvTable:
    dialect = inspect_csv(path, delimiter=delimiter)
    names = pandas_names(dialect.header)
    usecols = None
    if choose is not None:
        wanted = set(choose(names))
        usecols = [j for j, name in enumerate(names) if name in wanted]
    kwargs = dict(
        sep=dialect.delimiter, decimal=dialect.decimal, index_col=False, low_memory=False,
        keep_default_na=False, na_values=list(MISSING_TOKENS),
        usecols=usecols, dtype=dict.fromkeys(text_columns, str) or None,
    )
    try:
        frame = _pandas_csv(path, dialect.encoding, kwargs)
    except UnicodeDecodeError:  # only where a stray quote kept the scan from checking it
        dialect = _latin1(dialect, path)
        frame = _pandas_csv(path, "latin-1", kwargs)
    frame.columns = [str(c) for c in frame.columns]
    if dialect.n_records != len(frame):  # a stray quote misled the byte scan
        record_lines_csv(path, delimiter=dialect.delimiter, encoding=dialect.encoding,
                         width=len(dialect.header), names=dialect.header)
        dialect = replace(dialect, rfc_quotes=False)
    return CsvTable(frame, path, dialect)


def _pandas_csv(path: Path, encoding: str, kwargs: dict) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # a row longer than the header: pandas warns and truncates; we refuse it
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, encoding=encoding, **kwargs)
    except pd.errors.EmptyDataError:
        raise GdlabError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        reason = str(err).strip().splitlines()[-1]
        raise GdlabError(f"{path}: cannot parse as CSV: {reason}") from None


def _latin1(dialect: Dialect, path: Path) -> Dialect:
    note = f"{path.name} is not UTF-8: read as Latin-1"
    return replace(dialect, encoding="latin-1", notes=(*dialect.notes, note))


# --- Parquet ---------------------------------------------------------------------------------
def _read_parquet(path: Path, choose: Callable[[list[str]], list[str]] | None) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        schema = handle.schema_arrow
    except Exception as err:  # pyarrow raises many types for a bad file
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise GdlabError(f"{path}: cannot read as Parquet: {reason}") from None
    index = set(_index_columns(schema))
    names = [f.name for f in schema if f.name not in index]
    if len(names) > MAX_COLUMNS:
        raise GdlabError(f"{path}: {len(names)} columns; gdlab reads at most {MAX_COLUMNS}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise GdlabError(f"{path}: duplicate column names: {', '.join(map(repr, twice))}")
    wanted = names if choose is None else [n for n in names if n in set(choose(names))]
    for field in schema:
        if field.name in wanted and _unreadable(pa, field.type):
            raise GdlabError(
                f"{path}: column {field.name!r} holds {_kind(pa, field.type)} values "
                f"({field.type}); gdlab reads flat columns of numbers, text or true/false "
                "(leave it out with drop)"
            )
    meta = handle.metadata
    declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    check_fits(path, "the table", declared + 8 * meta.num_rows * max(1, len(wanted)))
    try:
        frame = handle.read(columns=wanted, use_pandas_metadata=True).to_pandas()
    except Exception as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise GdlabError(f"{path}: cannot read as Parquet: {reason}") from None
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    _check_cell_sizes(path, frame)
    return Table(frame, path)


def _index_columns(schema) -> list[str]:
    meta = schema.pandas_metadata or {}
    return [c for c in meta.get("index_columns", []) if isinstance(c, str)]


def _unreadable(pa, kind) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind) \
        or pa.types.is_fixed_size_binary(kind)


def _kind(pa, kind) -> str:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return "nested list"
    if pa.types.is_struct(kind):
        return "nested struct"
    if pa.types.is_map(kind):
        return "nested map"
    if pa.types.is_nested(kind):
        return "nested"
    return "binary"


def _check_cell_sizes(path: Path, frame: pd.DataFrame) -> None:
    """Text cells above the CSV limit are refused in Parquet too (one rule for both)."""
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind in "biufcmM":
            continue
        lengths = series.astype("string").str.len()
        longest = lengths.max(skipna=True) if len(lengths) else None
        if pd.notna(longest) and longest > MAX_FIELD_BYTES:
            row = int(np.flatnonzero(lengths.fillna(0).to_numpy() > MAX_FIELD_BYTES)[0])
            raise GdlabError(
                f"{path}: row index {row}, column {name!r}: a cell longer than "
                f"{size_text(MAX_FIELD_BYTES)} (the most gdlab reads in one cell)"
            )
