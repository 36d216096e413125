"""Writing a built-in data set as a table: ``gdlab datasets --export iris iris.csv``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.data.builtin import builtin_key, load_builtin, unknown_name_message
from gdlab.errors import GdlabError

EXPORT_FORMATS = (".csv", ".parquet")


def export_builtin(name: str, path: str | os.PathLike) -> Path:
    """Write the built-in data set ``name`` as a CSV or Parquet table (by ``path``'s extension).

    The table has one column per feature, under the feature names, and the target last
    (original class labels for classification), so ``gdlab.load(path)`` reads back the
    same features and classes. The file is written whole or not at all.

    Parameters
    ----------
    name : str
        A built-in data set (see :func:`~gdlab.data.list_datasets`), at its default settings.
    path : str or path-like
        The file to write: ``.csv`` or ``.parquet``.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = export_builtin("iris", pathlib.Path(tempfile.mkdtemp()) / "iris.csv")
    >>> out.read_text().splitlines()[0]
    'sepal length (cm),sepal width (cm),petal length (cm),petal width (cm),species'
    """
    key = builtin_key(name)
    if key is None:
        raise GdlabError(unknown_name_message(str(name)))
    path = Path(path)
    if path.suffix.lower() not in EXPORT_FORMATS:
        raise GdlabError(
            f"cannot export to {path.name}: use a .csv or .parquet file name"
        )
    data = load_builtin(key)
    if data.target_name in data.feature_names:
        raise GdlabError(f"{key}: the target {data.target_name!r} is also a feature name")
    frame = pd.DataFrame(data.X, columns=list(data.feature_names))
    labels = data.y if data.classes is None else np.asarray(data.classes, dtype=object)[data.y]
    frame[data.target_name] = labels
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GdlabError(f"cannot export to {path}: folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    os.close(handle)
    try:
        if path.suffix.lower() == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            frame.to_parquet(temporary, index=False)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
