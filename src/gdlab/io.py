"""Writing files safely: atomically, with the user's umask, and failures said in one line.

Every file gdlab writes goes through :func:`atomic_write_bytes`: the bytes go to a
temporary file in the same folder, which is flushed, synced and renamed over the target,
so a reader (or a crash) sees the old file or the new one, never half of one. The file
gets the permissions any new file of the user gets (0666 minus the umask: 0644 under the
usual 022), not the temporary file's 0600. A write that fails — a full disk, a read-only
folder, no permission — raises :class:`~gdlab.errors.GdlabError` naming the path and the
operating system's reason, and leaves whatever was there before untouched.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import GdlabError


def umask() -> int:
    """The process's umask now: from /proc (thread-safe), else by setting it back."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def writing(path) -> Iterator[None]:
    """Turn an OSError while writing ``path`` into one line: ``cannot write PATH: reason``."""
    try:
        yield
    except OSError as e:
        reason = e.strerror or str(e)
        raise GdlabError(f"cannot write {path}: {reason}") from None


def make_folder(path) -> Path:
    """``mkdir -p`` with failures as one line."""
    path = Path(path)
    with writing(path):
        path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    path = Path(path)
    make_folder(path.parent)
    with writing(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o666 & ~umask())
                f.write(data)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def atomic_write_text(path, text: str, **kw) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), **kw)


def clean_json(value):
    """JSON-safe: NaN/inf become null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def atomic_write_json(path, obj, **kw) -> None:
    atomic_write_text(path, json.dumps(clean_json(obj), indent=2, allow_nan=False) + "\n", **kw)


MAX_JSON_BYTES = 64 * 2**20  # a run's JSON files are small; a huge one is not gdlab's


def read_json(path, *, what: str = "") -> object:
    """Parse a JSON file written by gdlab (bounded in size and depth); errors in one line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise GdlabError(f"{path}: {size:,} bytes is too large for a gdlab {what or 'JSON'} file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GdlabError(f"{path}: not found") from None
    except PermissionError as e:
        raise GdlabError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise GdlabError(f"{path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise GdlabError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    except RecursionError:
        raise GdlabError(f"{path}: JSON nested too deeply") from None
