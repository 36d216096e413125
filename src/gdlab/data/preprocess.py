"""The Preprocessor: missing cells filled and categories one-hot encoded, fitted on training rows.

Input is a *raw-coded* matrix (``Dataset.X`` with ``Dataset.columns``): numeric columns as
numbers, categorical columns as codes into that column's ``categories``; NaN is a missing
cell and code −1 a category the training file never had (from
:func:`~gdlab.data.load_features`).

Output is float64 with no NaN. A numeric column stays as it is, its missing cells filled.
A categorical column becomes one 0/1 column per category **present in the training
rows**, in category order, named ``"island=Torgersen"``; a missing cell takes the fill
category; a category not present in the training rows (one seen only in validation or
test rows, or new at predict time) encodes as all zeros and is counted
(:meth:`Preprocessor.counts`).

Fill values, from the training rows (``impute=``):

==================  ======================  ====================
impute              numeric columns         categorical columns
==================  ======================  ====================
``auto`` (default)  mean                    most frequent
``mean``            mean                    most frequent
``median``          median                  most frequent
``most-frequent``   most frequent           most frequent
``none``            no filling: a missing cell is an error
==================  ======================  ====================

Ties for the most frequent value go to the smallest number or the first category. With
nothing to do (no categorical column and no missing cell) :meth:`~Preprocessor.transform`
returns its input unchanged, without a copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gdlab.data.columns import KINDS, Column
from gdlab.data.limits import MAX_COLUMNS, MAX_FIELD_BYTES, check_fits
from gdlab.errors import GdlabError

IMPUTE_CHOICES = ("auto", "mean", "median", "most-frequent", "none")
FORMAT_VERSION = 1
MAX_STORED_CATEGORIES = 100_000  # per column, in a stored preprocessor
MAX_STORED_OUTPUTS = 1_000_000  # one-hot columns in all
_HOW = {
    "auto": "mean for numbers, most frequent for categories",
    "mean": "mean for numbers, most frequent for categories",
    "median": "median for numbers, most frequent for categories",
    "most-frequent": "most frequent value",
}


def check_impute(value: object) -> str:
    """An ``impute=`` option, normalised (``most_frequent`` is accepted for ``most-frequent``)."""
    text = str(value).strip().lower().replace("_", "-") if isinstance(value, str) else value
    if text not in IMPUTE_CHOICES:
        raise GdlabError(f"impute must be one of {', '.join(IMPUTE_CHOICES)}, got {value!r}")
    return text


@dataclass(frozen=True)
class Counts:
    """Cells filled and cells with a category unseen in training, per column name."""

    filled: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Counts) -> Counts:
        def merge(a: dict, b: dict) -> dict:
            return {k: a.get(k, 0) + b.get(k, 0) for k in {**a, **b} if a.get(k, 0) + b.get(k, 0)}

        return Counts(merge(self.filled, other.filled), merge(self.unseen, other.unseen))


@dataclass(frozen=True)
class Preprocessor:
    """Fill missing cells and one-hot encode categories (see the module docstring).

    Build one with :meth:`fit` on the training rows, or :meth:`from_dict` from a stored
    model; the fields are what :meth:`to_dict` stores.

    Attributes
    ----------
    columns : tuple of Column or None
        The raw input columns; None for all-numeric complete data (the identity).
    impute : str
        One of :data:`IMPUTE_CHOICES`.
    fill : tuple
        Per column, the value filled in: a number, a category code, or None (``none``).
    onehot : tuple
        Per column, the category codes present in the training rows (categorical), or
        None (numeric).
    n_in : int
        Input columns.

    Examples
    --------
    >>> cols = [Column("mass"), Column("island", "categorical", ("Biscoe", "Dream"))]
    >>> X = np.array([[3.0, 0.0], [np.nan, 1.0], [5.0, np.nan]])
    >>> prep = Preprocessor.fit(X, cols)
    >>> prep.feature_names
    ['mass', 'island=Biscoe', 'island=Dream']
    >>> prep.transform(X).tolist()
    [[3.0, 1.0, 0.0], [4.0, 0.0, 1.0], [5.0, 1.0, 0.0]]
    """

    columns: tuple[Column, ...] | None
    impute: str = "auto"
    fill: tuple = ()
    onehot: tuple = ()
    n_in: int = 0

    # --- fitting -----------------------------------------------------------------------------
    @classmethod
    def fit(cls, X_raw: np.ndarray, columns: list[Column] | None, *, impute: str = "auto") -> Preprocessor:
        """Learn fill values and the categories present, from training rows only.

        Parameters
        ----------
        X_raw : ndarray of shape (n_train, n_columns)
            Raw-coded training rows (``Dataset.X`` rows of the training split).
        columns : list of Column or None
            ``Dataset.columns``; None gives the identity.
        impute : str, default="auto"
            See the module docstring.

        Raises
        ------
        GdlabError
            For a column with no value in the training rows (nothing to fill it from), or
            a shape that does not match ``columns``.
        """
        impute = check_impute(impute)
        X = _matrix(X_raw)
        if columns is None:
            return cls(None, impute, n_in=X.shape[1])
        columns = tuple(columns)
        if X.shape[1] != len(columns):
            raise GdlabError(f"Preprocessor.fit: X has {X.shape[1]} columns, columns describes {len(columns)}")
        if X.shape[0] == 0:
            raise GdlabError("Preprocessor.fit needs at least one training row")
        fill, onehot = [], []
        for j, column in enumerate(columns):
            values = X[:, j]
            present = values[~np.isnan(values)]
            if column.kind == "categorical":
                _check_codes(values, column, row_offset=0)
                present = present[present >= 0].astype(np.int64)
                onehot.append(tuple(int(c) for c in np.unique(present)))
            else:
                onehot.append(None)
            if impute == "none":
                fill.append(None)
                continue
            if not present.size:
                raise GdlabError(
                    f"column {column.name!r} has no value in the {X.shape[0]} training rows "
                    f"(every cell is missing): nothing to fill it from; leave it out "
                    f"(drop={column.name!r})"
                )
            fill.append(_fill_value(present, column.kind, impute))
        return cls(columns, impute, tuple(fill), tuple(onehot), len(columns))

    # --- shape -------------------------------------------------------------------------------
    @property
    def is_identity(self) -> bool:
        """Whether complete inputs pass through unchanged (no categorical column)."""
        return self.columns is None or all(c.kind == "numeric" for c in self.columns)

    @property
    def n_out(self) -> int:
        """Output columns."""
        if self.columns is None:
            return self.n_in
        return sum(1 if k is None else len(k) for k in self.onehot)

    @property
    def feature_names(self) -> list[str] | None:
        """Output column names (``"island=Torgersen"`` for one-hot); None for the identity
        without columns (the input names are the output names)."""
        if self.columns is None:
            return None
        names = []
        for column, kept in zip(self.columns, self.onehot, strict=True):
            if kept is None:
                names.append(column.name)
            else:
                names.extend(f"{column.name}={column.categories[c]}" for c in kept)
        return names

    # --- applying ----------------------------------------------------------------------------
    def transform(self, X_raw: np.ndarray) -> np.ndarray:
        """Filled and one-hot encoded rows: float64 of shape (n, :attr:`n_out`), no NaN.

        Raises
        ------
        GdlabError
            For a missing cell with ``impute="none"``, an infinite value, or a code that
            is not a category of its column, naming the row and column.
        """
        X = _matrix(X_raw)
        if X.shape[1] != self.n_in:
            raise GdlabError(f"the preprocessor takes {self.n_in} columns, got {X.shape[1]}")
        if self.is_identity and np.isfinite(X).all():  # nothing to do: one pass, no copy
            return X
        if self.columns is None:
            self._check_finite(X)  # raises: the identity has nothing to fill with
        check_fits(None, "the encoded features", 8 * X.shape[0] * self.n_out)
        out = np.zeros((X.shape[0], self.n_out))
        at = 0
        for j, (column, kept) in enumerate(zip(self.columns, self.onehot, strict=True)):
            values = self._filled(X[:, j], j)
            if kept is None:  # (n,) -> one output column
                out[:, at] = values
                at += 1
                continue
            _check_codes(values, column, row_offset=0)
            lookup = np.full(len(column.categories) + 1, -1)  # code -> output column; -1 is unseen
            lookup[list(kept)] = np.arange(len(kept))
            slot = lookup[values.astype(np.int64)]  # code -1 reads lookup[-1] = -1
            rows = np.flatnonzero(slot >= 0)
            out[rows, at + slot[rows]] = 1.0  # (n,) codes -> (n, len(kept)) one-hot
            at += len(kept)
        return out

    def _filled(self, values: np.ndarray, j: int) -> np.ndarray:
        column = self.columns[j]
        missing = np.isnan(values)
        if missing.any():
            if self.fill[j] is None:
                row = int(np.flatnonzero(missing)[0])
                raise GdlabError(
                    f"row {row}, column {column.name!r}: missing value (imputation is off: "
                    "impute='none')"
                )
            values = np.where(missing, self.fill[j], values)
        if column.kind == "numeric":
            self._check_finite(values[:, None], offset=j)
        return values

    def _check_finite(self, X: np.ndarray, offset: int = 0) -> None:
        bad = np.argwhere(np.isinf(X))
        if bad.size:
            row, j = (int(i) for i in bad[0])
            name = self.columns[offset + j].name if self.columns else str(offset + j)
            raise GdlabError(f"row {row}, column {name!r}: {X[row, j]} is not a finite number")
        if self.columns is None and np.isnan(X).any():
            row, j = (int(i) for i in np.argwhere(np.isnan(X))[0])
            raise GdlabError(f"row {row}, column {j}: missing value")

    def counts(self, X_raw: np.ndarray) -> Counts:
        """How many cells :meth:`transform` fills, and how many have a category unseen in
        training (encoded as all zeros), per column name."""
        X = _matrix(X_raw)
        filled, unseen = {}, {}
        for j, column in enumerate(self.columns or ()):
            values = X[:, j]
            missing = np.isnan(values)
            if missing.any() and self.fill[j] is not None:
                filled[column.name] = int(np.count_nonzero(missing))
            kept = self.onehot[j]
            if kept is not None:
                n = int(np.count_nonzero(~missing & ~np.isin(values, kept)))
                if n:
                    unseen[column.name] = n
        return Counts(filled, unseen)

    def notes(self, counts: Counts, *, where: str = "") -> list[str]:
        """One line for the filled cells and one for unseen categories (none if nothing)."""
        prefix = f"{where}: " if where else ""
        lines = []
        if counts.filled:
            n = sum(counts.filled.values())
            lines.append(
                f"{prefix}filled {n} missing cell{'s' if n > 1 else ''} with the training rows' "
                f"{_HOW[self.impute]}: {_per_column(counts.filled)}"
            )
        if counts.unseen:
            n = sum(counts.unseen.values())
            lines.append(
                f"{prefix}{n} cell{'s' if n > 1 else ''} had a category not in the training rows, "
                f"encoded as all zeros: {_per_column(counts.unseen)}"
            )
        return lines

    # --- storing -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-safe description (see :meth:`from_dict` for the format)."""
        columns = None
        if self.columns is not None:
            columns = []
            for column, fill, kept in zip(self.columns, self.fill, self.onehot, strict=True):
                entry = {"name": column.name, "kind": column.kind}
                if column.kind == "categorical":
                    entry["categories"] = list(column.categories)
                    entry["onehot"] = [column.categories[c] for c in kept]
                    entry["fill"] = None if fill is None else column.categories[int(fill)]
                else:
                    entry["fill"] = None if fill is None else float(fill)
                columns.append(entry)
        return {"version": FORMAT_VERSION, "impute": self.impute, "n_in": self.n_in,
                "columns": columns}

    @classmethod
    def from_dict(cls, d: object) -> Preprocessor:
        """Rebuild a preprocessor from :meth:`to_dict`'s output, validating every field.

        The format::

            {"version": 1, "impute": "auto", "n_in": 2, "columns": [
                {"name": "mass", "kind": "numeric", "fill": 4.2},
                {"name": "island", "kind": "categorical", "categories": ["Biscoe", "Dream"],
                 "onehot": ["Biscoe", "Dream"], "fill": "Biscoe"}]}

        ``columns`` is null for the identity; ``fill`` is null with ``impute="none"``.

        Raises
        ------
        GdlabError
            Naming the field: ``preprocessor.columns[1].categories: expected a list of
            strings, got int``.
        """
        d = _fields(d, "preprocessor", {"version", "impute", "n_in", "columns"})
        if d["version"] != FORMAT_VERSION or isinstance(d["version"], bool):
            raise GdlabError(f"preprocessor.version: expected {FORMAT_VERSION}, got {d['version']!r}")
        if not isinstance(d["impute"], str) or d["impute"] not in IMPUTE_CHOICES:
            raise GdlabError(f"preprocessor.impute: expected one of {', '.join(IMPUTE_CHOICES)}, "
                             f"got {_short(d['impute'])}")
        impute, n_in, entries = d["impute"], d["n_in"], d["columns"]
        if not isinstance(n_in, int) or isinstance(n_in, bool) or not 1 <= n_in <= MAX_COLUMNS:
            raise GdlabError(f"preprocessor.n_in: expected an integer 1..{MAX_COLUMNS}, got {_short(n_in)}")
        if entries is None:
            return cls(None, impute, n_in=n_in)
        if not isinstance(entries, list) or len(entries) != n_in:
            raise GdlabError(f"preprocessor.columns: expected a list of {n_in} columns (n_in), "
                             f"got {_short(entries)}")
        columns, fill, onehot, outputs = [], [], [], 0
        for i, entry in enumerate(entries):
            column, value, kept = _column_from_dict(entry, f"preprocessor.columns[{i}]", impute)
            outputs += 1 if kept is None else len(kept)
            if outputs > MAX_STORED_OUTPUTS:
                raise GdlabError(f"preprocessor.columns: more than {MAX_STORED_OUTPUTS} one-hot outputs")
            columns.append(column)
            fill.append(value)
            onehot.append(kept)
        names = [c.name for c in columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise GdlabError(f"preprocessor.columns: duplicate names {', '.join(map(repr, twice[:5]))}")
        return cls(tuple(columns), impute, tuple(fill), tuple(onehot), n_in)


# --- helpers ---------------------------------------------------------------------------------
def _matrix(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise GdlabError(f"expected a 2-D array (rows x columns), got shape {X.shape}")
    return X


def _check_codes(codes: np.ndarray, column: Column, *, row_offset: int) -> None:
    """Category codes must be whole numbers in -1..k-1 (or NaN: missing)."""
    present = ~np.isnan(codes)
    bad = present & ((codes != np.round(codes)) | (codes < -1) | (codes >= len(column.categories)))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise GdlabError(
            f"row {row + row_offset}, column {column.name!r}: {codes[row]} is not a category "
            f"code (0..{len(column.categories) - 1}, or -1 for a category unseen in training)"
        )


def _fill_value(present: np.ndarray, kind: str, impute: str) -> float:
    if kind == "categorical" or impute == "most-frequent":
        values, counts = np.unique(present, return_counts=True)
        return float(values[np.argmax(counts)])  # first of the most frequent: the smallest
    return float(np.median(present) if impute == "median" else np.mean(present))


def _per_column(counts: dict[str, int], limit: int = 10) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{name} {n}" for name, n in items[:limit])
    return shown + (f", ... ({len(items)} columns)" if len(items) > limit else "")


def _short(value: object) -> str:
    text = repr(value) if not isinstance(value, (list, dict)) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _fields(d: object, where: str, expected: set[str]) -> dict:
    if not isinstance(d, dict):
        raise GdlabError(f"{where}: expected an object (dict), got {type(d).__name__}")
    unknown = sorted(str(k) for k in d if k not in expected)
    if unknown:
        raise GdlabError(f"{where}: unknown field {_short(unknown[0])}")
    missing = sorted(expected - set(d))
    if missing:
        raise GdlabError(f"{where}: missing field {missing[0]!r}")
    return d


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise GdlabError(f"{where}: expected a string, got {type(value).__name__}")
    if len(value) > MAX_FIELD_BYTES:
        raise GdlabError(f"{where}: a string of {len(value)} characters (at most {MAX_FIELD_BYTES})")
    return value


def _strings(value: object, where: str, limit: int) -> list[str]:
    if not isinstance(value, list):
        raise GdlabError(f"{where}: expected a list of strings, got {type(value).__name__}")
    if len(value) > limit:
        raise GdlabError(f"{where}: {len(value)} entries (at most {limit})")
    items = [_string(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if len(set(items)) != len(items):
        raise GdlabError(f"{where}: an entry appears twice")
    return items


def _column_from_dict(entry: object, where: str, impute: str) -> tuple[Column, object, tuple | None]:
    if not isinstance(entry, dict):
        raise GdlabError(f"{where}: expected an object (dict), got {type(entry).__name__}")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise GdlabError(f"{where}.kind: expected one of {', '.join(KINDS)}, got {_short(kind)}")
    keys = {"name", "kind", "fill"} | ({"categories", "onehot"} if kind == "categorical" else set())
    entry = _fields(entry, where, keys)
    name = _string(entry["name"], f"{where}.name")
    fill = entry["fill"]
    if (fill is None) != (impute == "none"):
        raise GdlabError(f"{where}.fill: {'must be null' if impute == 'none' else 'missing'} "
                         f"with impute={impute!r}")
    if kind == "numeric":
        if fill is not None and (isinstance(fill, bool) or not isinstance(fill, (int, float))
                                 or not math.isfinite(fill)):
            raise GdlabError(f"{where}.fill: expected a finite number, got {_short(fill)}")
        return Column(name), None if fill is None else float(fill), None
    categories = _strings(entry["categories"], f"{where}.categories", MAX_STORED_CATEGORIES)
    if categories != sorted(categories) or not categories:
        raise GdlabError(f"{where}.categories: expected a non-empty sorted list")
    kept = _strings(entry["onehot"], f"{where}.onehot", MAX_STORED_CATEGORIES)
    index = {c: i for i, c in enumerate(categories)}
    if any(c not in index for c in kept) or [index[c] for c in kept] != sorted(index[c] for c in kept):
        raise GdlabError(f"{where}.onehot: expected categories of the column, in their order")
    if fill is not None:
        if not isinstance(fill, str) or fill not in index:
            raise GdlabError(f"{where}.fill: expected one of the column's categories, got {_short(fill)}")
        fill = float(index[fill])
    return Column(name, "categorical", tuple(categories)), fill, tuple(index[c] for c in kept)
