"""Numbers that the training dtype can hold: :func:`check_finite_for`.

Loading checks that every number is finite in float64; training may run in float32, whose
largest value is about 3.4e38. A feature of 1e308 loads fine and then becomes ``inf`` on
the device, and training would report that as divergence. The training dtype is known
only when the run is set up, so the check is a separate call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gdlab.data.csvscan import record_lines
from gdlab.data.dataset import Dataset
from gdlab.errors import GdlabError

_LOW_PRECISION = {"bfloat16": np.float32}  # bfloat16 has float32's range


def float_dtype(dtype: object) -> np.dtype:
    """A NumPy float dtype from ``"float32"``, ``np.float32``, ``torch.float32``, ``"double"``..."""
    text = str(dtype).replace("torch.", "").replace("<class 'numpy.", "").rstrip("'>")
    text = {"float": "float32", "double": "float64", "half": "float16"}.get(text, text)
    if text in _LOW_PRECISION:
        return np.dtype(_LOW_PRECISION[text])
    try:
        result = np.dtype(text)
    except TypeError:
        raise GdlabError(f"dtype must be a float type such as float32 or float64, got {dtype!r}") from None
    if result.kind != "f":
        raise GdlabError(f"dtype must be a float type such as float32 or float64, got {dtype!r}")
    return result


def check_finite_for(data: Dataset, dtype: object) -> None:
    """Refuse a feature or target value that ``dtype`` cannot hold, naming its row and column.

    Features (``X``, ``X_test``) must have magnitude below the dtype's largest value
    (missing cells, NaN in raw-coded data with ``columns``, are left to the preprocessor);
    a regression target below its square root, since the squared loss squares it.

    Parameters
    ----------
    data : Dataset
        Loaded data.
    dtype : str or dtype
        The training dtype: ``"float32"``, ``torch.float64``, ...

    Raises
    ------
    GdlabError
        ``d.csv: line 19, column 'income': 1e+308 does not fit in float32 (largest
        3.4e+38); train with dtype float64, or rescale the column``.
    """
    dtype = float_dtype(dtype)
    largest = float(np.finfo(dtype).max)
    for split, X in (("", data.X), ("test ", data.X_test)):
        if X is None:
            continue
        X = np.asarray(X)
        if X.dtype.kind == "f" and float(np.finfo(X.dtype).max) <= largest and np.isfinite(X).all():
            continue  # a narrower float type always fits
        with np.errstate(invalid="ignore", over="ignore"):
            bad = ~(np.abs(X.astype(np.float64, copy=False)) <= largest)
        if data.columns is not None:
            bad &= ~np.isnan(X)
        if bad.any():
            row, j = (int(i) for i in np.argwhere(bad)[0])
            raise GdlabError(
                f"{data.name}: {locate_row(data, row, test=bool(split))}, column "
                f"{data.feature_names[j]!r}: {_value(X[row, j], dtype, largest)}"
            )
    if data.task != "regression":
        return
    limit = float(np.sqrt(largest))
    for split, y in (("", data.y), ("test ", data.y_test)):
        if y is None:
            continue
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(~(np.abs(np.asarray(y, dtype=np.float64)) <= limit))
        if bad.size:
            row = int(bad[0])
            raise GdlabError(
                f"{data.name}: {locate_row(data, row, test=bool(split))}, column "
                f"{data.target_name!r}: the target {y[row]:g} is too large for {dtype} (its "
                f"square must stay below {largest:.2g}, so |y| < {limit:.2g}); train with "
                "dtype float64, or rescale the target"
            )


def _value(value: float, dtype: np.dtype, largest: float) -> str:
    if not np.isfinite(value):
        return "missing value" if np.isnan(value) else f"{value} is not a finite number"
    return (f"{value:g} does not fit in {dtype} (largest {largest:.2g}); train with dtype "
            "float64, or rescale the column")


def locate_row(data: Dataset, row: int, *, test: bool = False) -> str:
    """Name row ``row`` of ``data.X`` (or ``X_test``) as its file counts it.

    CSV rows are named by line (read again from the file: only for messages), Parquet rows
    by row index; rows dropped for a missing target are accounted for.
    """
    if test:
        return f"test row {row}"
    file_rows = data.meta.get("file_rows")
    source_row = int(file_rows[row]) if file_rows is not None else row
    dialect = data.meta.get("dialect")
    if dialect is not None:
        try:
            return f"line {int(record_lines(Path(data.name), dialect)[source_row])}"
        except (GdlabError, OSError, IndexError):
            pass  # the file changed since: fall back to the row
    if data.meta.get("format") == "parquet":
        return f"row index {source_row}"
    return f"row {source_row}"
