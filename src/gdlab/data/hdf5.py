"""Reading HDF5 files: the Coursera catvnoncat layout, or generic ``X``/``y`` arrays.

catvnoncat (Andrew Ng's course, week 2) stores images as ``train_set_x`` of shape
(m, height, width, 3), uint8, labels ``train_set_y`` (0/1 indices into
``list_classes``, e.g. ``[b"non-cat", b"cat"]``), and the same ``test_set_*`` keys in a
second file. Images are unrolled to rows of ``height·width·3`` values and integer
pixels are scaled to [0, 1] by dividing by 255, as the course does.

Only the datasets gdlab uses (:data:`KNOWN`) are read, and each one is checked first: no
external link to another file, no external raw storage (which would read any local file
into the features), no virtual dataset, only HDF5's built-in compression filters, and its
declared shape × item size must fit in memory and not expand absurdly from what is stored
(:mod:`gdlab.data.limits`). Any other dataset in the file, however large, is never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from gdlab.data.arrays import as_features, as_target
from gdlab.data.limits import check_expansion, check_fits
from gdlab.errors import GdlabError

TRAIN_KEYS = ("train_set_x", "train_set_y")
TEST_KEYS = ("test_set_x", "test_set_y")
KNOWN = (*TRAIN_KEYS, *TEST_KEYS, "list_classes", "X", "y", "X_test", "y_test")
# HDF5's own filters: deflate, shuffle, fletcher32, szip, nbit, scaleoffset, and h5py's lzf.
# Any other filter id would make HDF5 look for a plugin library to load.
SAFE_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit",
                6: "scaleoffset", 32000: "lzf"}


@dataclass
class Hdf5Data:
    """What an HDF5 file holds.

    ``y`` and ``y_test`` are indices into ``classes`` when ``classes`` is given (the
    catvnoncat layout), otherwise raw target values.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    classes: list | None = None
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    note: str | None = None


def read_hdf5(path: Path, *, find_test_file: bool = True) -> Hdf5Data:
    """Read ``path`` in whichever layout it has.

    Parameters
    ----------
    path : Path
        An ``.h5``/``.hdf5`` file.
    find_test_file : bool, default=True
        For a catvnoncat file named ``train_*.h5`` without test arrays, also read the
        sibling ``test_*.h5`` if there is one.
    """
    arrays = _read_all(path)
    if "train_set_x" in arrays:
        return _catvnoncat(path, arrays, "train_set", find_test_file=find_test_file)
    if "test_set_x" in arrays:
        data = _catvnoncat(path, arrays, "test_set", find_test_file=False)
        data.note = f"{path.name} holds only test_set_* arrays; they are the data"
        return data
    if "X" in arrays and "y" in arrays:
        return _generic(path, arrays)
    found = _keys(arrays)
    raise GdlabError(
        f"{path}: no data set found; it has keys {found}; expected train_set_x, train_set_y, "
        "list_classes (the catvnoncat layout) or X and y"
    )


def _read_all(path: Path) -> dict[str, np.ndarray]:
    """The datasets of :data:`KNOWN` that ``path`` holds, each checked before it is read;
    the key ``"__keys__"`` lists every top-level name (for messages)."""
    try:
        with h5py.File(path, "r") as handle:
            names = list(handle.keys())
            chosen = {key: _dataset(path, handle, key) for key in KNOWN if key in handle.keys()}
            chosen = {key: ds for key, ds in chosen.items() if ds is not None}
            check_fits(path, f"datasets {', '.join(chosen)}",
                       sum(ds.size * (ds.dtype.itemsize + 8) for ds in chosen.values()))
            arrays = {key: _read(path, key, ds) for key, ds in chosen.items()}
    except OSError as err:
        raise GdlabError(f"{path}: cannot read as HDF5 ({str(err).split(';')[0]})") from None
    arrays["__keys__"] = names
    return arrays


def _dataset(path: Path, handle: h5py.File, key: str) -> h5py.Dataset | None:
    """The dataset ``key``, refused if reading it could reach outside the file or memory."""
    link = handle.get(key, getlink=True)
    if isinstance(link, h5py.ExternalLink):
        raise GdlabError(
            f"{path}: dataset {key!r} is a link to another file ({link.filename}); gdlab reads "
            "only data stored in the file itself"
        )
    obj = handle.get(key)
    if not isinstance(obj, h5py.Dataset):
        return None
    if obj.is_virtual:
        raise GdlabError(f"{path}: dataset {key!r} is a virtual dataset (made of other files' "
                         "data); gdlab reads only data stored in the file itself")
    if obj.external:
        raise GdlabError(f"{path}: dataset {key!r} keeps its data in external files "
                         f"({obj.external[0][0]!r}...); gdlab reads only data stored in the file itself")
    plist = obj.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in SAFE_FILTERS:
            raise GdlabError(f"{path}: dataset {key!r} uses HDF5 filter {code}, which is not one "
                             f"of HDF5's own ({', '.join(SAFE_FILTERS.values())})")
    if obj.dtype.kind not in "biufSUO":
        raise GdlabError(f"{path}: dataset {key!r} has dtype {obj.dtype}; numbers are needed")
    declared = obj.size * obj.dtype.itemsize
    check_expansion(path, f"dataset {key!r}", declared=declared, stored=obj.id.get_storage_size())
    return obj


def _read(path: Path, key: str, obj: h5py.Dataset) -> np.ndarray:
    try:
        return obj[()]
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        raise GdlabError(f"{path}: cannot read dataset {key!r} ({str(err).split(';')[0]})") from None


def _keys(arrays: dict) -> str:
    names = arrays.get("__keys__", [k for k in arrays if k != "__keys__"])
    return (", ".join(names[:20]) + (", ..." if len(names) > 20 else "")) or "none"


def _images(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """Unroll (m, h, w, c) images to (m, h·w·c); integer pixels (0–255) are scaled to [0, 1]."""
    X = as_features(path, key, array)
    return X / 255.0 if array.dtype.kind in "iu" else X


def _catvnoncat(
    path: Path, arrays: dict[str, np.ndarray], prefix: str, *, find_test_file: bool
) -> Hdf5Data:
    x_key, y_key = f"{prefix}_x", f"{prefix}_y"
    if y_key not in arrays:
        raise GdlabError(f"{path}: has {x_key} but no {y_key}; keys: {_keys(arrays)}")
    X = _images(path, x_key, arrays[x_key])
    classes = _classes(path, arrays)
    if classes is None:  # no list_classes: the labels 0..k-1 name themselves
        raw = as_target(path, y_key, arrays[y_key], len(X))
        top = int(np.max(raw)) if raw.dtype.kind in "biuf" else 1
        classes = list(range(max(2, top + 1)))
    y = _indices(path, y_key, arrays[y_key], len(X), classes)
    data = Hdf5Data(X, y, [f"pixel_{i}" for i in range(X.shape[1])], classes)
    if prefix == "train_set" and "test_set_x" in arrays:
        data.X_test, data.y_test = _test_split(path, arrays, X.shape[1], classes)
    elif find_test_file:
        _add_sibling_test(path, data)
    return data


def _classes(path: Path, arrays: dict[str, np.ndarray]) -> list | None:
    if "list_classes" not in arrays:
        return None
    names = np.asarray(arrays["list_classes"]).ravel()
    return [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names.tolist()]


def _indices(path: Path, key: str, array: np.ndarray, n_rows: int, classes: list) -> np.ndarray:
    """Labels stored as indices into ``classes``; each must be a valid index."""
    labels = as_target(path, key, array, n_rows)
    if labels.dtype.kind not in "biuf":
        raise GdlabError(f"{path}: {key} must hold class indices, got dtype {labels.dtype}")
    bad = np.flatnonzero((labels != np.round(labels)) | (labels < 0) | (labels >= len(classes)))
    if bad.size:
        row = int(bad[0])
        raise GdlabError(
            f"{path}: {key} row {row}: label {labels[row].item()!r} is not a class index "
            f"0..{len(classes) - 1} ({', '.join(map(str, classes))})"
        )
    return labels.astype(np.int64)


def _test_split(
    path: Path, arrays: dict[str, np.ndarray], n_features: int, classes: list
) -> tuple[np.ndarray, np.ndarray]:
    missing = [key for key in TEST_KEYS if key not in arrays]
    if missing:
        raise GdlabError(f"{path}: has test_set_x but no {missing[0]}; keys: {_keys(arrays)}")
    X_test = _images(path, "test_set_x", arrays["test_set_x"])
    if X_test.shape[1] != n_features:
        raise GdlabError(
            f"{path}: test images have {X_test.shape[1]} values each, training images "
            f"{n_features}; they must have the same size"
        )
    if _classes(path, arrays) not in (None, classes):
        raise GdlabError(
            f"{path}: test list_classes {_classes(path, arrays)} differ from training {classes}"
        )
    return X_test, _indices(path, "test_set_y", arrays["test_set_y"], len(X_test), classes)


def _add_sibling_test(path: Path, data: Hdf5Data) -> None:
    """For ``train_NAME.h5``, read ``test_NAME.h5`` (the course ships the two apart)."""
    if not path.name.lower().startswith("train_"):
        return
    sibling = path.with_name("test_" + path.name[len("train_") :])
    if not sibling.is_file():
        return
    arrays = _read_all(sibling)
    if "test_set_x" not in arrays:
        data.note = f"found {sibling.name} but it has no test_set_x; no test split loaded"
        return
    data.X_test, data.y_test = _test_split(sibling, arrays, data.X.shape[1], data.classes)
    data.note = f"test split read from {sibling.name} (next to {path.name})"


def _generic(path: Path, arrays: dict[str, np.ndarray]) -> Hdf5Data:
    X = as_features(path, "X", arrays["X"])
    y = as_target(path, "y", arrays["y"], len(X))
    data = Hdf5Data(X, y, [f"x{i}" for i in range(X.shape[1])])
    if "X_test" in arrays and "y_test" in arrays:
        data.X_test = as_features(path, "X_test", arrays["X_test"])
        if data.X_test.shape[1] != X.shape[1]:
            raise GdlabError(
                f"{path}: X_test has {data.X_test.shape[1]} columns, X has {X.shape[1]}"
            )
        data.y_test = as_target(path, "y_test", arrays["y_test"], len(data.X_test))
    return data
