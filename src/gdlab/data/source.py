"""``load``: one entry point for built-in data sets and data files."""

from __future__ import annotations

import os
from pathlib import Path

from gdlab.data.builtin import builtin_key, load_builtin, unknown_name_message
from gdlab.data.dataset import Dataset
from gdlab.data.files import load_file, select_features
from gdlab.data.preprocess import check_impute
from gdlab.data.target import check_task, with_task
from gdlab.errors import GdlabError


def load(
    source: str | os.PathLike,
    *,
    target: object = None,
    seed: int | None = None,
    task: str | None = None,
    features: object = None,
    drop: object = None,
    impute: str = "auto",
    delimiter: str | None = None,
    **overrides: object,
) -> Dataset:
    """Load a built-in data set by name, or a data file by path.

    Parameters
    ----------
    source : str or path-like
        A built-in name (see :func:`list_datasets`; case and ``_``/``-`` are ignored)
        or a ``.csv``, ``.parquet``, ``.npy``, ``.npz``, ``.h5``/``.hdf5`` file.
    target : str or int or None, default=None
        Files only: the target column (a name for tables, an index for ``.npy``);
        None means the last column.
    seed : int or None, default=None
        Built-ins only: the random seed. None keeps each set's own default: 0, or 42
        for ``classification`` (the notes' ``random_state=42``).
    task : {"regression", "binary", "multiclass", "classification"} or None
        None detects it from the target: text or true/false labels, or at most 10
        distinct whole numbers, make a classification; anything else is a regression.
        The choice is said in ``meta["notes"]`` (files).
    features, drop : list of str, or str ``"a,b"``, or None
        Use exactly these feature columns, or all but these (not both). Unknown names
        are an error listing the columns.
    impute : {"auto", "mean", "median", "most-frequent", "none"}, default="auto"
        Tables: how missing cells will be filled by :class:`~gdlab.data.Preprocessor`
        (recorded in ``meta["impute"]``); ``"none"`` makes a missing cell or target an
        error at load time, naming its line and column.
    delimiter : str or None, default=None
        CSV: force the delimiter; None detects it among ``,`` ``;`` tab ``|``.
    **overrides
        Built-ins only: generator settings such as ``n=200, noise=0.5, w=[1, 2]``.

    Returns
    -------
    Dataset

    Raises
    ------
    GdlabError
        For an unknown name or setting, a missing or unsupported file, or bad content;
        the message is one line naming the file, line, column or value.

    Examples
    --------
    >>> data = load("synthetic-linear", n=200, seed=1)
    >>> data.X.shape, data.meta["true_w"]
    ((200, 2), [2.0, -3.4])
    """
    check_task(task)
    impute = check_impute(impute)
    key = builtin_key(source)
    if key is not None and not _is_file(source):
        if target is not None:
            raise GdlabError(
                f"target applies to data files; built-in dataset {key!r} has its target fixed"
            )
        if delimiter is not None:
            raise GdlabError(f"delimiter applies to CSV files; {key!r} is a built-in dataset")
        data = with_task(load_builtin(key, seed=seed, **overrides), task)
        return select_features(data, features=features, drop=drop)
    if overrides:
        raise GdlabError(
            f"settings {', '.join(overrides)} apply to built-in datasets only, not to a file "
            f"({source})"
        )
    path = Path(source)
    if not path.exists() and not _looks_like_path(str(source)):
        raise GdlabError(unknown_name_message(str(source)))
    return load_file(path, target=target, task=task, features=features, drop=drop,
                     impute=impute, delimiter=delimiter)


def _is_file(source: object) -> bool:
    return _looks_like_path(str(source)) and Path(str(source)).is_file()


def _looks_like_path(text: str) -> bool:
    """A path has a directory separator or an extension; a data set name has neither."""
    return "/" in text or os.sep in text or bool(Path(text).suffix)
