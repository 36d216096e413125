"""Bounds that keep a small hostile file from exhausting memory, and the checks that use them.

Every loader asks these questions before it reads: can the file be opened at all
(:func:`check_readable`), will what it declares fit in memory (:func:`check_fits`), and does
a small stored size expand into a huge one (:func:`check_expansion`, the zip-bomb check).
CSV parsing is bounded by :data:`MAX_FIELD_BYTES` and :data:`MAX_COLUMNS` (see
:mod:`gdlab.data.csvscan`).
"""

from __future__ import annotations

import os
from pathlib import Path

from gdlab.errors import GdlabError

MAX_FIELD_BYTES = 2**20  # one CSV cell (or header name); real tables stay far below 1 MiB
MAX_COLUMNS = 100_000  # columns of a table; a wider one is refused before pandas sees it
MAX_CATEGORIES = 1_000  # distinct values of a text feature kept as a category (one-hot)
MEMORY_FRACTION = 0.5  # a load may use at most this share of the available memory
EXPANSION_LIMIT = 200  # stored -> in-memory ratio refused for large arrays (deflate tops at ~1032)
EXPANSION_FLOOR = 64 * 2**20  # arrays below this size may expand as much as they like


def available_memory() -> int:
    """Bytes of memory this process may still use: MemAvailable, capped by a cgroup limit.

    A container's limit (cgroup v2 ``memory.max`` or v1 ``memory.limit_in_bytes``) is often
    far below the host's free memory, which is all ``/proc/meminfo`` shows.
    """
    candidates = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) * 1024)
                break
    except (OSError, ValueError):
        pass
    for limit, usage in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            cap = Path(limit).read_text().strip()
            if cap.isdigit():
                candidates.append(max(0, int(cap) - int(Path(usage).read_text().strip())))
                break
        except (OSError, ValueError):
            continue
    if not candidates:
        candidates.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return min(candidates)


def size_text(n_bytes: float) -> str:
    """``2.4 GB``, ``310 kB``: a byte count for people (powers of 1000, as ``ls -h --si``)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n_bytes) < 1000 or unit == "TB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    raise AssertionError("unreachable")


def check_fits(path: Path | None, what: str, n_bytes: int) -> None:
    """Refuse to read (or build) ``what`` if ``n_bytes`` exceed the memory a load may use.

    Parameters
    ----------
    path : Path or None
        The file that declares the size (None: something gdlab computes).

    Raises
    ------
    GdlabError
        ``d.h5: dataset 'X' needs 40.0 GB in memory (as the file declares it), more than 50%
        of the 12.1 GB available``.
    """
    available = available_memory()
    if n_bytes > MEMORY_FRACTION * available:
        where = f"{path}: " if path is not None else ""
        declared = " (as the file declares it)" if path is not None else ""
        raise GdlabError(
            f"{where}{what} needs {size_text(n_bytes)} in memory{declared}, more than "
            f"{MEMORY_FRACTION:.0%} of the {size_text(available)} available"
        )


def check_expansion(path: Path, what: str, *, declared: int, stored: int) -> None:
    """Refuse an array whose few stored bytes declare a huge content (a zip or gzip bomb).

    Arrays under :data:`EXPANSION_FLOOR` bytes pass whatever their ratio; larger ones may
    expand at most :data:`EXPANSION_LIMIT` times their stored size. Real numeric data
    compresses far less (random floats ~1.1x, small integers stored as float64 ~8x).
    """
    if declared > EXPANSION_FLOOR and stored == 0:
        raise GdlabError(
            f"{path}: {what} declares {size_text(declared)} but stores no data (reading it "
            "would fill memory with its fill value); refused"
        )
    if declared > EXPANSION_FLOOR and declared > EXPANSION_LIMIT * stored:
        raise GdlabError(
            f"{path}: {what} expands from {size_text(stored)} stored to {size_text(declared)} "
            f"({declared / stored:.0f}x) when read; refused as a likely compression "
            f"bomb (gdlab accepts at most {EXPANSION_LIMIT}x for arrays over "
            f"{size_text(EXPANSION_FLOOR)}; store it uncompressed)"
        )


def check_readable(path: Path) -> None:
    """Fail unless ``path`` is an existing regular file this process may open for reading.

    Raises
    ------
    GdlabError
        ``file not found: PATH``, ``not a file: PATH`` or ``PATH: cannot open: Permission
        denied`` (the operating system's reason).
    """
    try:
        if not path.exists():
            raise GdlabError(f"file not found: {path}")
        if not path.is_file():
            raise GdlabError(f"not a file: {path}")
        with open(path, "rb"):
            pass
    except OSError as err:
        raise GdlabError(f"{path}: cannot open: {err.strerror or type(err).__name__}") from None
