"""Columns of a table: numbers or categories, and which cells are missing.

How a column is read (the same for CSV and Parquet):

- **missing cells**: a cell that is empty or only spaces, or one of :data:`MISSING_TOKENS`
  (``NA``, ``N/A``, ``NaN``, ``?``, ``null``, ``None``, ``#N/A``, ``<NA>`` and their usual
  capitalisations: ``nan``, ``NULL``, ``Null``, ``n/a``). Lower-case ``none`` and ``na`` are
  *not* missing: they are plausible category words ("alcohol: none"). Cells are compared
  after stripping surrounding spaces. Parquet nulls and float NaN are missing too.
- **numbers**: a column whose present cells are all numbers is numeric (float64; booleans
  are numbers 0/1). ``inf`` is not missing: it is an error, as is any infinite cell.
- **categories**: a column of text is categorical; its categories are all distinct values
  in the file, sorted (Python string order), and a cell is coded as the index of its
  value in that list. A column that is *mostly* numbers (at least half of its present
  cells) with some text is not a category column but a numeric column with bad cells:
  the first one is an error (``line 4, column 'x2': 'abc' is not a number``).
- **left out, with a note**: a column with no values at all; a text column whose values
  are all different when it has at least :data:`MIN_ROWS_FOR_ID` values (an id or a
  name: one category per row teaches nothing; on smaller tables distinct values are
  normal and the column is kept); a text column with more than
  :data:`~gdlab.data.limits.MAX_CATEGORIES` distinct values (too many to one-hot). A
  column the user named in ``features=`` is never left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from gdlab.data.limits import MAX_CATEGORIES
from gdlab.errors import GdlabError

MISSING_TOKENS = (
    "", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "?", "null", "NULL", "Null", "None",
    "#N/A", "<NA>",
)
MIN_ROWS_FOR_ID = 20
KINDS = ("numeric", "categorical")


@dataclass(frozen=True)
class Column:
    """What one raw feature column holds.

    Parameters
    ----------
    name : str
        The column's name in the file.
    kind : {"numeric", "categorical"}
        Numbers (float64, NaN for missing) or category codes.
    categories : tuple of str or None
        For a categorical column, its values in code order (sorted); None for numeric.

    Examples
    --------
    >>> Column("island", "categorical", ("Biscoe", "Dream", "Torgersen"))
    Column(name='island', kind='categorical', categories=('Biscoe', 'Dream', 'Torgersen'))
    """

    name: str
    kind: str = "numeric"
    categories: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise GdlabError(f"column {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if (self.kind == "categorical") != (self.categories is not None):
            raise GdlabError(
                f"column {self.name!r}: a categorical column needs its categories and a "
                "numeric one has none"
            )


@dataclass
class Cells:
    """One column's cells, classified (see the module docstring).

    Attributes
    ----------
    kind : {"number", "bool", "text", "empty"}
    numbers : ndarray of shape (n,), float64, or None
        For numbers and booleans (0/1): the values, NaN where missing.
    text : ndarray of shape (n,), object, or None
        For text: the stripped strings, None where missing.
    missing : ndarray of shape (n,), bool
    bad : tuple of (int, str) or None
        The first bad cell: its row and what is wrong (``'abc' is not a number``).
    integral : bool
        For numbers: every present value is a whole number (so it may be a class label).
    """

    kind: str
    numbers: np.ndarray | None
    text: np.ndarray | None
    missing: np.ndarray
    bad: tuple[int, str] | None = None
    integral: bool = False

    @property
    def n_present(self) -> int:
        return int(self.missing.size - np.count_nonzero(self.missing))


def read_cells(series: pd.Series) -> Cells:
    """Classify the cells of one column (see the module docstring)."""
    missing = series.isna().to_numpy(dtype=bool)
    if is_bool_dtype(series.dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return Cells("bool", numbers, None, missing)
    if is_numeric_dtype(series.dtype):
        return _numbers(series.to_numpy(dtype=np.float64, na_value=np.nan), missing,
                        integral_dtype=series.dtype.kind in "iu" or str(series.dtype)[:3] in ("Int", "UIn"))
    values = series.to_numpy(dtype=object)
    present = values[~missing]
    if present.size and all(isinstance(v, (bool, np.bool_)) for v in present):
        numbers = np.full(values.size, np.nan)
        numbers[~missing] = present.astype(np.float64)
        return Cells("bool", numbers, None, missing)
    strings, missing = _stripped(present, missing)
    text = strings[~missing]
    if not text.size:
        return Cells("empty", None, None, missing)
    parsed = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=np.float64)
    is_number = ~np.isnan(parsed)
    if is_number.all():
        numbers = np.full(values.size, np.nan)
        numbers[~missing] = parsed
        return _numbers(numbers, missing, integral_dtype=False)
    if 2 * np.count_nonzero(is_number) >= is_number.size:  # mostly numbers: the text is a typo
        row = int(np.flatnonzero(~missing)[np.flatnonzero(~is_number)[0]])
        return Cells("text", None, strings, missing, bad=(row, f"{strings[row]!r} is not a number"))
    return Cells("text", None, strings, missing)


def text_cells(series: pd.Series) -> Cells:
    """The cells of a column known to hold categories, as stripped text (no number guessing:
    ``01`` stays ``01``; a number stored as such, in Parquet, is written as ``1`` or ``1.5``)."""
    missing = series.isna().to_numpy(dtype=bool)
    values = series.to_numpy(dtype=object)
    present = [str(int(v)) if isinstance(v, (float, np.floating)) and float(v).is_integer()
               else str(v) for v in values[~missing].tolist()]
    strings, missing = _stripped(np.array(present, dtype=object), missing)
    return Cells("text" if (~missing).any() else "empty", None, strings, missing)


def _stripped(present: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All cells as stripped strings (None where missing), missing tokens now missing too."""
    text = pd.Series(present, dtype=object).astype(str).str.strip()
    token = text.isin(MISSING_TOKENS).to_numpy()
    if token.any():
        missing = missing.copy()
        missing[np.flatnonzero(~missing)[token]] = True
        text = text[~token]
    strings = np.full(missing.size, None, dtype=object)
    strings[~missing] = text.to_numpy(dtype=object)
    return strings, missing


def _numbers(numbers: np.ndarray, missing: np.ndarray, *, integral_dtype: bool) -> Cells:
    present = numbers[~missing]
    if not present.size:
        return Cells("empty", None, None, missing)
    infinite = np.flatnonzero(np.isinf(numbers))
    bad = None
    if infinite.size:
        row = int(infinite[0])
        bad = (row, f"{numbers[row]} is not a finite number")
    integral = integral_dtype or bool(
        np.all(present == np.round(present)) and np.all(np.abs(present) < 2**53)
    )
    return Cells("number", numbers, None, missing, bad=bad, integral=integral)


@dataclass
class Feature:
    """A feature column as the loader decided it: used (``column`` set) or left out."""

    name: str
    column: Column | None
    values: np.ndarray | None  # float64 (n,): numbers, or category codes; NaN for missing
    note: str | None = None


def as_feature(name: str, cells: Cells, *, explicit: bool) -> Feature:
    """Decide how a feature column is used: numbers, category codes, or left out (a note).

    Parameters
    ----------
    name : str
        The column name.
    cells : Cells
        Its cells, from :func:`read_cells` (with no bad cell).
    explicit : bool
        Whether the user named it in ``features=`` (then it is never left out).
    """
    if cells.kind == "empty":
        if explicit:
            raise GdlabError(f"column {name!r} (in features) has no values: every cell is missing")
        return Feature(name, None, None, f"left out column {name!r}: it has no values (every cell is missing)")
    if cells.kind in ("number", "bool"):
        return Feature(name, Column(name), cells.numbers)
    categories = tuple(sorted(set(cells.text[~cells.missing].tolist())))
    n = cells.n_present
    if not explicit and n >= MIN_ROWS_FOR_ID and len(categories) == n:
        return Feature(name, None, None,
                       f"left out column {name!r}: its {n} values are all different (an id or a "
                       "name); name it in features to use it")
    if not explicit and len(categories) > MAX_CATEGORIES:
        return Feature(name, None, None,
                       f"left out column {name!r}: {len(categories)} different values, too many "
                       f"categories to one-hot (more than {MAX_CATEGORIES}); name it in features "
                       "to use it anyway")
    return Feature(name, Column(name, "categorical", categories), code(cells.text, categories))


def code(strings: np.ndarray, categories: tuple[str, ...]) -> np.ndarray:
    """Category codes of ``strings`` (None: missing → NaN; a value not in ``categories`` → −1).

    Examples
    --------
    >>> code(np.array(["b", None, "z", "a"], dtype=object), ("a", "b")).tolist()
    [1.0, nan, -1.0, 0.0]
    """
    missing = pd.isna(strings)
    codes = np.full(strings.shape, np.nan)
    codes[~missing] = pd.Index(categories).get_indexer(strings[~missing].tolist())
    return codes
