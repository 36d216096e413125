"""The data a page can train on: built-in sets, a lesson's stand-in, and uploaded tables.

- **built-in**: the 1-D and 2-D sets of the lessons and the toys, made by
  ``gdlab.load(name, n=…, noise=…, seed=…)`` with the page's sliders;
- **stand-ins**: data a lesson needs that no slider makes — ``ng-digits``, the digits the
  ng-logistic lesson trains on instead of the course's cat pictures
  (``gdlab.lessons.ng_logistic.stand_in``);
- **uploads**: a small CSV table sent by the page (``POST /api/upload``), read by
  ``gdlab.data.load`` from a temporary file — the loader ``gdlab train`` uses, with its
  rules for the target (the last column unless one is named), task and cells — and kept
  in this server's memory as ``upload:<digest>`` (at most ``limits.MAX_UPLOADS``, the
  oldest forgotten first). A link naming an upload works while this server holds it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from ..data import Dataset, load
from ..data.builtin import REGISTRY
from ..errors import GdlabError
from . import limits

#: The built-in sets the playground offers: the 1-D and 2-D lessons' data and the toys.
BUILTIN = (
    "line-1d", "toy-1d", "synthetic-linear", "classification", "blobs", "moons", "circles", "xor",
)
UPLOAD_PREFIX = "upload:"


def _ng_digits() -> Dataset:
    from ..lessons import ng_logistic

    return ng_logistic.stand_in()


#: Lesson stand-ins: name → (maker, one line).
STAND_INS = {
    "ng-digits": (_ng_digits, "ng-logistic's stand-in for the cat pictures: 8×8 digit images, "
                              "two digits as the two classes (pixels / 16)"),
}


def offered() -> tuple[str, ...]:
    """The names the page's data menu lists (uploads are added as they come)."""
    return BUILTIN + tuple(STAND_INS)


def is_known(name: str) -> bool:
    return name in BUILTIN or name in STAND_INS or name in _UPLOADS


def noise_key(name: str) -> str:
    """The generator setting the noise slider moves (blobs call it the cluster std)."""
    return "std" if name == "blobs" else "noise"


def takes(name: str) -> tuple[str, ...]:
    """The generator settings of ``name`` (none for stand-ins and uploads)."""
    return REGISTRY[name].settings if name in BUILTIN else ()


def facts(name: str) -> dict:
    """What the page needs to know about a data set: its task and shape, and the
    defaults of the settings it takes (None: the set has no such setting)."""
    if name in BUILTIN:
        return _builtin_facts(name)
    if name in STAND_INS:
        return _fixed_facts(name, _stand_in(name), STAND_INS[name][1])
    upload = _UPLOADS.get(name)
    if upload is None:
        raise GdlabError(f"data {name!r} is not on this server (an upload is kept only while the "
                         "server runs); upload the file again")
    return upload["facts"]


def make(name: str, **kwargs) -> Dataset:
    """The data set ``name`` (a fresh copy: a run may not change another's data)."""
    if name in BUILTIN:
        return load(name, **kwargs)
    if name in STAND_INS:
        return copy.deepcopy(_stand_in(name))
    facts(name)  # (refuses a forgotten upload)
    return copy.deepcopy(_UPLOADS[name]["data"])


@functools.cache
def _builtin_facts(name: str) -> dict:
    params = inspect.signature(REGISTRY[name].make).parameters
    data = load(name)
    key = noise_key(name)
    return {
        "name": name, "kind": "builtin", "description": data.meta["description"],
        "task": data.task, "n_features": data.n_features, "n_classes": data.n_classes,
        "n": params["n"].default if "n" in params else None,
        "noise": params[key].default if key in params else None,
        "noise_name": key if key in params else None,
        "data_seed": data.meta.get("seed"),  # None for the fixed sets
    }


@functools.cache
def _stand_in(name: str) -> Dataset:
    return STAND_INS[name][0]()


def _fixed_facts(name: str, data: Dataset, description: str, **extra) -> dict:
    n_test = 0 if data.X_test is None else int(data.X_test.shape[0])
    return {
        "name": name, "kind": "upload" if name.startswith(UPLOAD_PREFIX) else "stand-in",
        "description": description, "task": data.task, "n_features": data.n_features,
        "n_classes": data.n_classes, "n": None, "noise": None, "noise_name": None,
        "data_seed": None, "rows": int(data.X.shape[0]) + n_test, **extra,
    }


# --- uploads ---------------------------------------------------------------------------------
_UPLOADS: OrderedDict[str, dict] = OrderedDict()
_LOCK = threading.Lock()


def add_upload(content: bytes, *, filename: str = "upload.csv", target: str | None = None) -> dict:
    """Read an uploaded CSV table with gdlab's loader and keep it; returns its facts
    (``name`` is what the page's ``data`` setting names it by).

    Raises
    ------
    GdlabError
        One line: too large, too many rows or columns, or what the loader refuses.
    """
    shown = Path(filename).name or "upload.csv"
    if len(content) > limits.MAX_UPLOAD_BYTES:
        raise GdlabError(f"{shown}: {len(content):,} bytes is over the upload limit of "
                         f"{limits.MAX_UPLOAD_BYTES:,} bytes")
    if not content.strip():
        raise GdlabError(f"{shown}: the file is empty")
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    if lines - 1 > limits.MAX_UPLOAD_ROWS:  # (the header line does not count)
        raise GdlabError(f"{shown}: {lines - 1:,} rows is over the upload limit of "
                         f"{limits.MAX_UPLOAD_ROWS:,} rows")
    digest = hashlib.sha256(content + b"\0" + (target or "").encode()).hexdigest()[:16]
    name = f"{UPLOAD_PREFIX}{digest}"
    with _LOCK:
        if name in _UPLOADS:
            _UPLOADS.move_to_end(name)
            return _UPLOADS[name]["facts"]
    data = _read_csv(content, shown, target)
    if data.X.shape[0] > limits.MAX_UPLOAD_ROWS:  # (a quoted cell may hold line breaks)
        raise GdlabError(f"{shown}: {data.X.shape[0]:,} rows is over the upload limit of "
                         f"{limits.MAX_UPLOAD_ROWS:,} rows")
    if data.n_features > limits.MAX_FEATURES:
        raise GdlabError(f"{shown}: {data.n_features} feature columns; the playground allows at "
                         f"most {limits.MAX_FEATURES}")
    data.name = shown
    info = _fixed_facts(name, data, f"{shown}: {data.X.shape[0]} rows, target {data.target_name!r}",
                        filename=shown, target_name=data.target_name,
                        feature_names=list(data.feature_names))
    with _LOCK:
        _UPLOADS[name] = {"data": data, "facts": info}
        while len(_UPLOADS) > limits.MAX_UPLOADS:
            _UPLOADS.popitem(last=False)
    return info


def _read_csv(content: bytes, shown: str, target: str | None) -> Dataset:
    """``gdlab.data.load`` on a temporary copy, messages naming the uploaded file."""
    fd, tmp = tempfile.mkstemp(prefix="gdlab-upload-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        try:
            return load(tmp, target=target or None)
        except GdlabError as e:
            raise GdlabError(str(e).replace(tmp, shown).replace(Path(tmp).name, shown)) from None
    finally:
        os.unlink(tmp)
