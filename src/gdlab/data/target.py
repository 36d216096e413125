"""What a target column means: task detection and label encoding.

A target is **classification** when it is text or true/false, or when it is numeric with
only integer values and at most :data:`MAX_INTEGER_CLASSES` distinct ones; otherwise it
is **regression**. ``task=`` overrides the rule (``"classification"`` picks binary or
multiclass from the number of classes). Class labels are encoded as indices ``0..k-1``
into ``classes``, the original labels in sorted order. :func:`task_note` words the choice
for people, with the setting that changes it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from gdlab.data.dataset import Dataset
from gdlab.errors import GdlabError

MAX_INTEGER_CLASSES = 10  # an integer target with more distinct values is a count: regression
TASK_CHOICES = ("regression", "binary", "multiclass", "classification")


def is_numeric(values: np.ndarray) -> bool:
    """Whether ``values`` is a numeric (or boolean) array."""
    return np.asarray(values).dtype.kind in "biuf"


def infer_task(values: np.ndarray) -> str:
    """Guess the task of a 1-D target: ``"regression"``, ``"binary"`` or ``"multiclass"``."""
    values = np.asarray(values)
    if is_numeric(values) and values.dtype.kind != "b":
        if values.dtype.kind == "f" and not np.all(values == np.round(values)):
            return "regression"  # fractional: no need to sort a million floats
        distinct = np.unique(values)
        if distinct.size > MAX_INTEGER_CLASSES or not np.all(distinct == np.round(distinct)):
            return "regression"
        n_classes = distinct.size
    else:
        n_classes = len(_unique_labels(values))
    return "binary" if n_classes <= 2 else "multiclass"


def task_note(values: np.ndarray, *, asked: str | None, task: str, classes: list | None,
              target_name: str) -> str:
    """One line saying how the target is treated and which setting changes it.

    Examples
    --------
    >>> task_note(np.array([4, 6, 8, 6]), asked=None, task="multiclass", classes=[4, 6, 8],
    ...           target_name="cyl")
    "target 'cyl' has 3 integer values: treated as 3 classes (--task regression to fit it as a number)"
    """
    values = np.asarray(values)
    name = repr(target_name)
    if asked is not None:
        if task == "regression":
            return f"target {name} fitted as a number (task {asked} as asked)"
        return f"target {name} treated as {len(classes)} classes (task {asked} as asked)"
    if not is_numeric(values):
        return f"target {name} is text: treated as {len(classes)} classes ({_preview(classes, 5)})"
    if values.dtype.kind == "b":
        return f"target {name} is true/false: treated as 2 classes"
    if values.dtype.kind in "iu" or np.all(values == np.round(values)):
        distinct = np.unique(values)
        if task != "regression":
            return (f"target {name} has {distinct.size} integer values: treated as "
                    f"{distinct.size} classes (--task regression to fit it as a number)")
        return (f"target {name} has {distinct.size} integer values (more than "
                f"{MAX_INTEGER_CLASSES}): fitted as a number (--task multiclass to treat them "
                "as classes)")
    return f"target {name} has fractional values: fitted as a number (regression)"


def check_task(task: str | None) -> str | None:
    """Validate a ``task=`` option (None means: detect it)."""
    if task is not None and task not in TASK_CHOICES:
        raise GdlabError(f"unknown task {task!r}; use one of {', '.join(TASK_CHOICES)}")
    return task


def encode_target(
    values: np.ndarray, *, task: str | None, where: str, target_name: str
) -> tuple[np.ndarray, str, list | None]:
    """Turn raw target values into ``(y, task, classes)``.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
        Raw target values (numbers or labels). Must hold no missing values.
    task : {"regression", "binary", "multiclass", "classification"} or None
        None detects it (see the module docstring); "classification" picks binary or
        multiclass from the number of classes.
    where : str
        The file or data set name, for messages.
    target_name : str
        The target column's name, for messages.

    Returns
    -------
    y : ndarray of shape (n_samples,)
        float64 for regression, int64 class indices otherwise.
    task : str
        ``"regression"``, ``"binary"`` or ``"multiclass"``.
    classes : list or None
        The original labels in index order; None for regression.
    """
    values = np.asarray(values)
    task = check_task(task) or infer_task(values)
    if task == "regression":
        if not is_numeric(values):
            example = _plain(next(v for v in values.tolist() if not _is_number(v)))
            raise GdlabError(
                f"{where}: target {target_name!r} is not numeric ({example!r}); "
                "regression needs a numeric target"
            )
        return values.astype(np.float64), "regression", None
    classes = _unique_labels(values)
    if len(classes) < 2:
        raise GdlabError(
            f"{where}: target {target_name!r} has only one class ({classes[0]!r}); "
            "classification needs at least two"
        )
    if task == "binary" and len(classes) != 2:
        raise GdlabError(
            f"{where}: task 'binary' needs 2 classes, target {target_name!r} has "
            f"{len(classes)}: {_preview(classes)}"
        )
    if task == "classification":
        task = "binary" if len(classes) == 2 else "multiclass"
    return encode_labels(values, classes, where=where), task, classes


def encode_labels(values: np.ndarray, classes: list, *, where: str = "data") -> np.ndarray:
    """Map original labels to indices into ``classes``.

    Raises
    ------
    GdlabError
        For a label that is not in ``classes`` (named with its row).

    Examples
    --------
    >>> encode_labels(np.array(["b", "a", "b"]), ["a", "b"]).tolist()
    [1, 0, 1]
    """
    values = np.asarray(values)
    if is_numeric(values) and all(_is_number(c) for c in classes):
        lookup, keys = pd.Index(np.asarray(classes, dtype=np.float64)), values.astype(np.float64)
    else:  # labels compare as text: "cat" == "cat", and "1" == 1 when a column was read as text
        lookup, keys = pd.Index([str(c) for c in classes]), [str(v) for v in values.tolist()]
    y = lookup.get_indexer(keys)
    bad = np.flatnonzero(y < 0)
    if bad.size:
        raise GdlabError(
            f"{where}: row {bad[0]}: label {values[bad[0]].item()!r} is not one of the "
            f"classes {_preview(classes)}"
        )
    return y.astype(np.int64)


def with_task(data: Dataset, task: str | None) -> Dataset:
    """Return ``data`` treated as ``task`` (None: unchanged).

    binary ↔ multiclass keeps the labels; regression ↔ classification re-encodes the
    original labels (regression needs numeric labels).
    """
    task = check_task(task)
    same_kind = (task == "classification" and data.task != "regression") or task == data.task
    if task is None or same_kind:
        return data
    if task == "multiclass" and data.task == "binary":
        return replace(data, task="multiclass")
    labels = _labels(data, data.y)
    test = None if data.y_test is None else _labels(data, data.y_test)
    y, new_task, classes = encode_target(
        labels if test is None else np.concatenate([labels, test]),
        task=task,
        where=data.name,
        target_name=data.target_name,
    )
    n = len(labels)
    return replace(
        data, y=y[:n], y_test=None if test is None else y[n:], task=new_task, classes=classes
    )


def whole_numbers(values: np.ndarray) -> np.ndarray:
    """Float labels that are all whole numbers become int64 (so 1.0 and 1 are one class)."""
    values = np.asarray(values)
    if (
        values.dtype.kind == "f"
        and np.all(values == np.round(values))
        and np.all(np.abs(values) < 2**53)  # exactly representable as int64
    ):
        return values.astype(np.int64)
    return values


def _labels(data: Dataset, y: np.ndarray) -> np.ndarray:
    """The original labels of encoded targets."""
    if data.classes is None:
        return y
    return np.asarray(data.classes)[y]


def _unique_labels(values: np.ndarray) -> list:
    """Distinct labels in sorted order, as plain Python values (ints for integral numbers)."""
    distinct = {_key(v): _plain(v) for v in pd.unique(np.asarray(values, dtype=object)).tolist()}
    return sorted(distinct.values(), key=_sort_key)


def _sort_key(label: object) -> tuple:
    """Sort numbers before text, numbers by value and text alphabetically."""
    return (0, label, "") if _is_number(label) else (1, 0, str(label))


def _plain(value: object) -> object:
    """A label as a plain Python value: integral floats become ints."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return int(value) if float(value).is_integer() else float(value)
    return str(value)


def _key(value: object) -> object:
    """A hashable key under which equal labels (1, 1.0, np.int64(1)) coincide."""
    plain = _plain(value)
    return ("num", plain) if _is_number(plain) else ("str", plain)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _preview(classes: list, limit: int = 10) -> str:
    shown = ", ".join(repr(c) for c in classes[:limit])
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > limit else "")
