"""A CSV file's dialect and structure, read from its bytes in bounded memory.

Before pandas parses a CSV file, :func:`inspect_csv` reads it once, a few MiB at a time,
with NumPy, and checks what pandas would otherwise find out only after allocating for it:

- the **dialect**: UTF-8 with or without a byte-order mark, or else Latin-1 (with a note);
  the delimiter among ``,`` ``;`` tab ``|`` (detected from the first 256 KiB, or forced);
  a decimal comma when a non-comma file writes its numbers ``1,5`` and never ``1.5``;
- the **structure**: every cell is at most :data:`~gdlab.data.limits.MAX_FIELD_BYTES`, the
  header has at most :data:`~gdlab.data.limits.MAX_COLUMNS` names, none of them twice, and
  every record has as many fields as the header (blank lines are skipped, as pandas skips
  them); no NUL bytes (a binary file).

Quotes follow RFC 4180: ``"`` quotes a field, ``""`` inside quotes is one quote, and
delimiters and newlines inside quotes belong to the field. A quote inside an *unquoted*
field (``5'11"``) is a plain character to pandas and to :mod:`csv`, but flips this scan's
quote state; so when the scan finds a problem in a file that has quotes, the :mod:`csv`
module (bounded the same way) confirms it before the file is refused. Line numbers count
the header as line 1; a record spanning lines is named by its first line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gdlab.data.limits import MAX_COLUMNS, MAX_FIELD_BYTES, size_text
from gdlab.errors import GdlabError

DELIMITERS = (",", ";", "\t", "|")  # detection order; ties go to the earlier one
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
SAMPLE_BYTES = 256 * 1024  # what delimiter detection looks at
CHUNK_BYTES = 4 * 2**20  # bytes scanned at a time
MAX_HEADER_BYTES = 16 * 2**20  # the whole header record
MAX_LINE_CHARS = 8 * 2**20  # one physical line, in the csv-module confirmation only
_QUOTE, _NL = 34, 10
_WHITESPACE = np.array([9, 10, 13, 32], dtype=np.uint8)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$")
_DECIMAL_POINT = re.compile(r"^[+-]?\d*\.\d+(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written, as pandas needs to be told.

    Attributes
    ----------
    delimiter : str
        One of ``,`` ``;`` tab ``|`` (or a forced one).
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` (a byte-order mark) or ``"latin-1"``.
    decimal : str
        ``"."``, or ``","`` for numbers written ``1,5``.
    header : tuple of str
        The column names as written in the file (no two alike).
    rfc_quotes : bool
        Whether the byte scan's record boundaries are exact (no stray quote misled it);
        when False, line numbers come from the :mod:`csv` module instead.
    n_records : int
        Data records the scan counted (pandas should read as many rows; if not, a stray
        quote misled the scan and the :mod:`csv` module takes over).
    notes : tuple of str
        One-line remarks for people (``read as Latin-1``, the detected delimiter).
    """

    delimiter: str
    encoding: str
    decimal: str = "."
    header: tuple[str, ...] = ()
    rfc_quotes: bool = True
    notes: tuple[str, ...] = ()
    n_records: int = -1


def parse_delimiter(value: object) -> str | None:
    """A ``delimiter=`` option: None (detect), one character, or ``tab``/``\\t``/``comma``..."""
    if value is None:
        return None
    text = str(value)
    named = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
    text = named.get(text.lower(), text)
    if len(text) != 1 or text in "\"\r\n. " or text.isalnum():
        raise GdlabError(
            f"delimiter must be one character such as ',' ';' '|' or tab ('\\t'), got {value!r}"
        )
    return text


# --- the dialect ---------------------------------------------------------------------------
def _head(path: Path) -> tuple[bytes, int, bool]:
    """The first bytes (after a UTF-8 byte-order mark), the mark's length, and whether that is all."""
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES + 1)
    whole = len(head) <= SAMPLE_BYTES
    head = head[:SAMPLE_BYTES]
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if head.startswith(bom):
            raise GdlabError(f"{path}: {name} text; save it as UTF-8 to read it")
    offset = 3 if head.startswith(codecs.BOM_UTF8) else 0
    nul = head.find(b"\0")
    if nul >= 0:
        raise GdlabError(f"{path}: not a text file (a NUL byte at offset {nul}); is it a CSV file?")
    if b"\r" in head and b"\n" not in head and not whole:
        raise GdlabError(
            f"{path}: lines end with CR only (old Mac style); save it with LF or CRLF line ends"
        )
    return head[offset:], offset, whole


def _sample_records(text: str, delimiter: str, limit: int = 100) -> list[list[str]]:
    """Up to ``limit`` records of ``text`` split by ``delimiter`` (blank lines skipped)."""
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text), delimiter=delimiter):
            if record and not (len(record) == 1 and not record[0].strip()):
                records.append(record)
                if len(records) >= limit:
                    break
    except csv.Error:  # a cell over csv's default limit in the sample: judge what was read
        pass
    return records


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV sample.

    Each candidate with at least 2 header fields is scored by the share of sample records
    that have the header's field count, then by that count; the best wins (ties: ``,`` ``;``
    tab ``|``). A file that is one column under every candidate is read with ``,``.

    Examples
    --------
    >>> detect_delimiter("crim;zn;medv\\n0,1;18;24\\n0,2;0;21,6\\n")
    ';'
    """
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        records = _sample_records(text, delimiter)
        if not records or len(records[0]) < 2:
            continue
        width, rest = len(records[0]), records[1:]
        agree = sum(len(r) == width for r in rest) / len(rest) if rest else 1.0
        if (agree, width) > best_score:
            best, best_score = delimiter, (agree, width)
    return best


def detect_decimal(text: str, delimiter: str) -> str:
    """``","`` when a non-comma sample writes numbers ``1,5`` and never ``1.5``; else ``"."``."""
    if delimiter == ",":
        return "."
    commas = points = 0
    for record in _sample_records(text, delimiter)[1:]:
        for cell in record:
            cell = cell.strip()
            commas += bool(_DECIMAL_COMMA.match(cell))
            points += bool(_DECIMAL_POINT.match(cell))
    return "," if commas and not points else "."


# --- the byte scan -------------------------------------------------------------------------
class _Problem(Exception):
    """A structural problem the byte scan found; confirmed before it is reported."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


@dataclass
class _Chunk:
    """Boundaries in one chunk: ``pos`` are delimiters and newlines outside quotes."""

    nl: np.ndarray  # (n,) bool: every newline (for line numbers)
    pos: np.ndarray  # (m,) in-chunk positions of the boundaries
    is_nl: np.ndarray  # (m,) whether boundary ends a record
    lens: np.ndarray  # (m,) bytes of the field each boundary ends
    field: np.ndarray  # (m,) index of that field in its record
    prev: np.ndarray  # (m,) index of the record break before each boundary, or -1
    ends: np.ndarray  # (r,) boundaries that end a record
    counts: np.ndarray  # (r,) fields of each record ending here
    blank: np.ndarray  # (r,) whether that record is a blank line
    parity: int  # quote state after the chunk


class _Scan:
    """Record and field boundaries of CSV bytes, checked chunk by chunk.

    Carried between chunks: the quote parity, the current field's length and index, and
    where the current record started (line, byte) and whether it is blank so far.
    ``width`` is None until the header record has been read.
    """

    def __init__(self, path: Path, delimiter: str, *, offset: int, line: int = 1,
                 width: int | None = None, names: tuple[str, ...] = (), want_lines: bool = False):
        self.path, self.delim = path, ord(delimiter)
        self.offset, self.line = offset, line  # file offset and physical line of the next byte
        self.parity = self.field_len = self.field_idx = 0
        self.rec_line, self.rec_start, self.rec_blank = line, offset, True
        self.width, self.names = width, names
        self.header_span: tuple[int, int] | None = None
        self.want_lines, self.lines = want_lines, []
        self.n_records = 0

    def _analyse(self, a: np.ndarray) -> _Chunk | None:
        nl = a == _NL
        quotes = a == _QUOTE
        outside, parity = None, self.parity
        if quotes.any():
            inside = np.cumsum(quotes, dtype=np.uint8)  # mod 256 keeps the parity
            inside += self.parity
            inside &= 1
            outside, parity = inside == 0, int(inside[-1])
        if outside is None and self.parity:
            self._skip(a, nl, parity)  # all inside one quoted field
            return None
        mask = nl | (a == self.delim)
        if outside is not None:
            mask &= outside
        pos = np.flatnonzero(mask)
        if pos.size == 0:
            self._skip(a, nl, parity)
            return None
        is_nl = nl[pos]
        k = np.arange(pos.size)
        lens = np.diff(pos, prepend=-1) - 1
        lens[0] += self.field_len
        prev = np.concatenate(([-1], np.maximum.accumulate(np.where(is_nl, k, -1))[:-1]))
        field = k - prev - 1
        field[prev == -1] += self.field_idx
        ends = np.flatnonzero(is_nl)
        counts = field[ends] + 1
        blank = counts == 1
        if blank.any():  # one field: blank if only whitespace (cumulative non-space count)
            non_space = np.cumsum(~np.isin(a, _WHITESPACE), dtype=np.int64)
            starts = np.where(prev[ends] >= 0, pos[np.maximum(prev[ends], 0)] + 1, 0)
            before = np.where(starts > 0, non_space[np.maximum(starts - 1, 0)], 0)
            blank &= non_space[pos[ends]] == before
            blank &= (prev[ends] >= 0) | self.rec_blank
        return _Chunk(nl, pos, is_nl, lens, field, prev, ends, counts, blank, parity)

    def _skip(self, a: np.ndarray, nl: np.ndarray, parity: int) -> None:
        """A chunk with no boundary: the current field just grows."""
        self.field_len += a.size
        if self.rec_blank:
            self.rec_blank = bool(np.isin(a, _WHITESPACE).all())
        self._advance(a, nl, parity)
        self._check_open_field()

    def _advance(self, a: np.ndarray, nl: np.ndarray, parity: int) -> None:
        self.line += int(np.count_nonzero(nl))
        self.offset += a.size
        self.parity = parity

    def _record_line(self, c: _Chunk, j: int) -> int:
        """The first line of the record holding boundary ``j``."""
        if c.prev[j] == -1:
            return self.rec_line
        return self.line + int(np.count_nonzero(c.nl[: c.pos[c.prev[j]] + 1]))

    def _carry(self, a: np.ndarray, c: _Chunk) -> None:
        """State past the chunk's last boundary, for the next chunk."""
        last = int(c.pos[-1])
        self.field_len = a.size - last - 1
        if c.ends.size:  # the current record starts after the chunk's last record break
            brk = int(c.pos[c.ends[-1]])
            self.rec_line = self.line + int(np.count_nonzero(c.nl[: brk + 1]))
            self.rec_start = self.offset + brk + 1
        if c.is_nl[-1]:
            self.field_idx = 0
            self.rec_blank = bool(np.isin(a[last + 1 :], _WHITESPACE).all())
        else:
            self.field_idx = int(c.field[-1]) + 1
            self.rec_blank = False
        self._advance(a, c.nl, c.parity)
        self._check_open_field()

    # the header ---------------------------------------------------------------------------
    def read_header(self, chunks: Iterator[bytes]) -> np.ndarray:
        """Scan up to the end of the header record; return the rest of the chunk it ends in."""
        for chunk in chunks:
            a = np.frombuffer(chunk, dtype=np.uint8)
            c = self._analyse(a)
            if c is None:
                self._check_header_size()
                continue
            real = np.flatnonzero(~c.blank)
            if not real.size:
                self._check_header_fields(c, c.lens.size)
                self._carry(a, c)
                self._check_header_size()
                continue
            end = int(c.ends[real[0]])
            self._check_header_fields(c, end + 1)
            self.width = int(c.counts[real[0]])
            start = self.rec_start if c.prev[end] == -1 else self.offset + int(c.pos[c.prev[end]]) + 1
            stop = int(c.pos[end])
            self.header_span = (start, self.offset + stop)
            self.line += int(np.count_nonzero(c.nl[: stop + 1]))
            self.offset += stop + 1
            self.parity = self.field_len = self.field_idx = 0
            self.rec_line, self.rec_start, self.rec_blank = self.line, self.offset, True
            return a[stop + 1 :]
        if self.field_len or self.field_idx or not self.rec_blank:  # a header without a newline
            self.width = self.field_idx + 1
            self.header_span = (self.rec_start, self.offset)
        return np.empty(0, dtype=np.uint8)

    def _check_header_fields(self, c: _Chunk, upto: int) -> None:
        long = np.flatnonzero(c.lens[:upto] > MAX_FIELD_BYTES)
        if long.size:
            raise GdlabError(
                f"{self.path}: line {self.rec_line}: header column {int(c.field[long[0]]) + 1} "
                f"has a name longer than {size_text(MAX_FIELD_BYTES)}"
            )
        fields = int(c.field[upto - 1]) + 1
        if fields > MAX_COLUMNS:
            raise GdlabError(
                f"{self.path}: the header has {fields} or more columns; gdlab reads at most "
                f"{MAX_COLUMNS}"
            )

    def _check_header_size(self) -> None:
        if self.field_len > MAX_FIELD_BYTES:
            raise GdlabError(
                f"{self.path}: line {self.rec_line}: header column {self.field_idx + 1} has a "
                f"name longer than {size_text(MAX_FIELD_BYTES)}"
            )
        if self.offset - self.rec_start > MAX_HEADER_BYTES:
            raise GdlabError(
                f"{self.path}: the header is longer than {size_text(MAX_HEADER_BYTES)}"
            )

    # the records --------------------------------------------------------------------------
    def feed(self, a: np.ndarray) -> None:
        """Scan the data bytes ``a``; raise :class:`_Problem` at the first bad record."""
        if not a.size or self._fast(a):
            return
        c = self._analyse(a)
        if c is None:
            return
        long = np.flatnonzero(c.lens > MAX_FIELD_BYTES)
        bad = np.flatnonzero(~c.blank & (c.counts != self.width))
        at_long = int(c.pos[long[0]]) if long.size else a.size
        at_bad = int(c.pos[c.ends[bad[0]]]) if bad.size else a.size
        if long.size and at_long <= at_bad:
            j = int(long[0])
            self._fail_long(self._record_line(c, j), int(c.field[j]))
        if bad.size:
            r = int(bad[0])
            self._fail_count(self._record_line(c, int(c.ends[r])), int(c.counts[r]))
        self.n_records += int(np.count_nonzero(~c.blank))
        if self.want_lines and c.ends.size:
            cum = np.cumsum(c.nl, dtype=np.int64)
            prev = c.prev[c.ends]
            first = np.where(prev >= 0, self.line + cum[c.pos[np.maximum(prev, 0)]], self.rec_line)
            self.lines.append(first[~c.blank])
        self._carry(a, c)

    def _fast(self, a: np.ndarray) -> bool:
        """A chunk without quotes, whose lines are all shorter than a cell may be: every
        newline ends a record, so a sum of delimiters per line gives each record's
        field count (a few passes over the bytes instead of ten). False: use the full scan."""
        if self.parity:
            return False
        nl = a == _NL
        breaks = np.flatnonzero(nl)
        if not breaks.size or (a == _QUOTE).any():
            return False
        if (breaks[0] + self.field_len > MAX_FIELD_BYTES or a.size - breaks[-1] - 1 > MAX_FIELD_BYTES
                or (breaks.size > 1 and np.diff(breaks).max() > MAX_FIELD_BYTES)):
            return False
        starts = np.concatenate(([0], breaks[:-1] + 1))
        is_delim = a[: breaks[-1] + 1] == self.delim
        counts = np.add.reduceat(is_delim, starts, dtype=np.int64) + 1  # (r,) fields per record
        counts[0] += self.field_idx
        blank = counts == 1
        if blank.any():
            non_space = np.cumsum(~np.isin(a, _WHITESPACE), dtype=np.int64)
            before = np.concatenate(([0], non_space[breaks[:-1]]))
            blank &= non_space[breaks] == before
            blank[0] &= self.rec_blank
        bad = np.flatnonzero(~blank & (counts != self.width))
        if bad.size:
            r = int(bad[0])
            self._fail_count(self.rec_line if r == 0 else self.line + r, int(counts[r]))
        self.n_records += int(np.count_nonzero(~blank))
        if self.want_lines:
            first = self.line + np.arange(breaks.size, dtype=np.int64)
            first[0] = self.rec_line
            self.lines.append(first[~blank])
        last = int(breaks[-1])
        tail = a[last + 1 :]
        tail_delims = np.flatnonzero(tail == self.delim)
        self.field_idx = int(tail_delims.size)
        self.field_len = int(tail.size - (tail_delims[-1] + 1 if tail_delims.size else 0))
        self.rec_line = self.line + int(breaks.size)
        self.rec_start = self.offset + last + 1
        self.rec_blank = not tail_delims.size and bool(np.isin(tail, _WHITESPACE).all())
        self.line += int(breaks.size)
        self.offset += a.size
        return True

    def finish(self) -> None:
        """End of file: a last record without its newline, or a quote left open."""
        if self.parity:
            raise _Problem(
                f"line {self.rec_line}: a quoted field is not closed before the end of the file",
                self.rec_line,
            )
        if self.field_idx == 0 and self.rec_blank:
            return
        if self.field_idx + 1 != self.width:
            self._fail_count(self.rec_line, self.field_idx + 1)
        self.n_records += 1
        if self.want_lines:
            self.lines.append(np.array([self.rec_line], dtype=np.int64))

    def _check_open_field(self) -> None:
        if self.field_len > MAX_FIELD_BYTES and self.width is not None:
            self._fail_long(self.rec_line, self.field_idx)

    def _column(self, index: int) -> str:
        if index < len(self.names):
            return f"column {self.names[index]!r}"
        return f"field {index + 1} (the header has {self.width} columns)"

    def _fail_long(self, line: int, index: int) -> None:
        raise _Problem(
            f"line {line}, {self._column(index)}: a cell longer than {size_text(MAX_FIELD_BYTES)} "
            "(the most gdlab reads in one cell)",
            line,
        )

    def _fail_count(self, line: int, count: int) -> None:
        shown = ", ".join(self.names[:10]) + (", ..." if len(self.names) > 10 else "")
        raise _Problem(
            f"line {line} has {count} fields, the header has {self.width} ({shown})", line
        )


def _chunks(path: Path, start: int) -> Iterator[bytes]:
    """The file's bytes from ``start``: 64 KiB first (the header is usually in it), then
    :data:`CHUNK_BYTES` at a time."""
    size = min(2**16, CHUNK_BYTES)
    with open(path, "rb") as handle:
        handle.seek(start)
        while chunk := handle.read(size):
            yield chunk
            size = CHUNK_BYTES


def _header_names(path: Path, span: tuple[int, int], delimiter: str, encoding: str) -> tuple[str, ...]:
    with open(path, "rb") as handle:
        handle.seek(span[0])
        raw = handle.read(span[1] - span[0])
    text = raw.decode("latin-1" if encoding == "latin-1" else "utf-8", errors="replace")
    record = next(csv.reader(io.StringIO(text.rstrip("\r\n")), delimiter=delimiter), [])
    return tuple(record)


def _check_duplicates(path: Path, names: tuple[str, ...]) -> None:
    seen: set[str] = set()
    twice = [n for n in names if n.strip() and (n in seen or seen.add(n))]
    if twice:
        where = {n: [j + 1 for j, m in enumerate(names) if m == n] for n in dict.fromkeys(twice)}
        listed = "; ".join(f"{n!r} (columns {', '.join(map(str, cols))})" for n, cols in where.items())
        raise GdlabError(
            f"{path}: duplicate column names in the header: {listed}; give each column its own name"
        )


def _scan(path: Path, delimiter: str, start: int, *, want_lines: bool, names=()) -> tuple[_Scan, str | None]:
    """Header and body scan; also returns where the text stops being UTF-8 (or None)."""
    header = _Scan(path, delimiter, offset=start)
    chunks = _chunks(path, start)
    decoder = codecs.getincrementaldecoder("utf-8")()
    state = {"utf8": True, "bad": None, "offset": start}

    def checked() -> Iterator[bytes]:
        for chunk in chunks:
            a = np.frombuffer(chunk, dtype=np.uint8)
            nul = np.flatnonzero(a == 0)
            if nul.size:
                raise GdlabError(
                    f"{path}: not a text file (a NUL byte at offset "
                    f"{state['offset'] + int(nul[0])}); is it a CSV file?"
                )
            if state["utf8"] and (decoder.getstate()[0] or (a >= 0x80).any()):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as err:
                    state["utf8"] = False
                    state["bad"] = f"byte 0x{chunk[err.start]:02X} at offset {state['offset'] + err.start}"
            state["offset"] += len(chunk)
            yield chunk

    stream = checked()
    rest = header.read_header(stream)
    if header.width is None:
        raise GdlabError(f"{path}: file is empty")
    body = _Scan(path, delimiter, offset=header.offset, line=header.line, width=header.width,
                 names=tuple(names), want_lines=want_lines)
    body.header_span = header.header_span
    body.feed(rest)
    for chunk in stream:
        body.feed(np.frombuffer(chunk, dtype=np.uint8))
    body.finish()
    if state["utf8"]:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            state["bad"] = "a character cut off at the end"
    return body, state["bad"]


def inspect_csv(path: Path, *, delimiter: str | None = None) -> Dialect:
    """Read ``path`` once, in bounded memory, and return its dialect.

    Parameters
    ----------
    path : Path
        A CSV file.
    delimiter : str or None, default=None
        Force the delimiter (see :func:`parse_delimiter`); None detects it.

    Raises
    ------
    GdlabError
        For an empty, binary or UTF-16 file; a header with duplicate or too many names; a
        cell longer than :data:`~gdlab.data.limits.MAX_FIELD_BYTES`; or a record whose field
        count differs from the header's (``line 3 has 4 fields, the header has 3 (a, b, y)``).
    """
    head, start, whole = _head(path)
    if not head.strip():
        raise GdlabError(f"{path}: file is empty")
    sample = head.decode("utf-8", errors="replace")
    if not whole and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    chosen = parse_delimiter(delimiter) or detect_delimiter(sample)
    names = _read_names(path, chosen, start, "utf-8")  # first, so every message names columns
    rfc = True
    try:
        scan, bad = _scan(path, chosen, start, want_lines=False, names=names)
        n_records = scan.n_records
    except _Problem as problem:
        n_records = _confirm(path, problem, chosen, "utf-8-sig" if start else "utf-8", names)
        rfc, bad = False, None
    notes = []
    if bad:
        notes.append(f"{path.name} is not UTF-8 ({bad}): read as Latin-1")
        names = _read_names(path, chosen, start, "latin-1")
    _check_duplicates(path, names)
    decimal = detect_decimal(sample, chosen)
    if delimiter is None and chosen != ",":
        notes.append(f"{path.name}: columns separated by {DELIMITER_NAMES[chosen]} "
                     "(detected; --delimiter to force one)")
    if decimal == ",":
        notes.append(f"{path.name}: numbers written with a decimal comma (1,5 = 1.5)")
    encoding = "latin-1" if bad else ("utf-8-sig" if start else "utf-8")
    return Dialect(chosen, encoding, decimal, names, rfc, tuple(notes), n_records)


def _read_names(path: Path, delimiter: str, start: int, encoding: str) -> tuple[str, ...]:
    """The header's names, from a scan of the header record alone."""
    scan = _Scan(path, delimiter, offset=start)
    scan.read_header(_chunks(path, start))
    if scan.header_span is None:
        raise GdlabError(f"{path}: file is empty")
    return _header_names(path, scan.header_span, delimiter, encoding)


def _confirm(path: Path, problem: _Problem, delimiter: str, encoding: str, names) -> int:
    """Report the byte scan's ``problem`` unless the :mod:`csv` module, which reads a stray
    quote as pandas does, finds the file sound; then return its count of records.

    (Such a file is not checked for UTF-8: pandas says so if it is not.)"""
    if not _quotes_before(path, problem.line):
        raise GdlabError(f"{path}: {problem}") from None
    try:
        lines = record_lines_csv(path, delimiter=delimiter, encoding=encoding, width=len(names),
                                 names=names)
    except GdlabError as err:
        if getattr(err, "line", None) == problem.line:  # same place: the scan's words name the column
            raise GdlabError(f"{path}: {problem}") from None
        raise
    return len(lines)


def _quotes_before(path: Path, line: int) -> bool:
    """Whether a quote appears in the file before the end of physical line ``line``."""
    seen = 1
    for chunk in _chunks(path, 0):
        a = np.frombuffer(chunk, dtype=np.uint8)
        breaks = np.flatnonzero(a == _NL)
        if seen + breaks.size > line:
            return bool((a[: int(breaks[line - seen]) + 1] == _QUOTE).any())
        if (a == _QUOTE).any():
            return True
        seen += breaks.size
    return False


def record_lines(path: Path, dialect: Dialect) -> np.ndarray:
    """The first physical line of each data record, in file order (the header is line 1).

    Needed only to name a line in a message: a second pass over the bytes.
    """
    if not dialect.rfc_quotes:
        return record_lines_csv(path, delimiter=dialect.delimiter, encoding=dialect.encoding,
                                width=len(dialect.header), names=dialect.header)
    start = 3 if dialect.encoding == "utf-8-sig" else 0
    scan, _ = _scan(path, dialect.delimiter, start, want_lines=True, names=dialect.header)
    return np.concatenate(scan.lines) if scan.lines else np.empty(0, dtype=np.int64)


def _bounded_lines(handle, path: Path, raw: list[str]) -> Iterator[str]:
    """Physical lines of at most :data:`MAX_LINE_CHARS`; each is also kept in ``raw`` (the
    caller empties it after each record, so it holds that record's text)."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            err = GdlabError(f"{path}: line {number} is longer than {size_text(MAX_LINE_CHARS)}")
            err.line = number
            raise err
        raw.append(line)
        yield line


def record_lines_csv(path: Path, *, delimiter: str, encoding: str, width: int,
                     names: tuple[str, ...] = ()) -> np.ndarray:
    """:func:`record_lines` by the :mod:`csv` module, lines and cells bounded as above.

    Raises
    ------
    GdlabError
        At the first record whose field count differs from ``width``, or a cell or line
        over the limits; the error's ``line`` attribute is that line.
    """
    lines: list[int] = []
    saved = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_BYTES)
    previous = 0
    try:
        with open(path, newline="", encoding=encoding, errors="replace") as handle:
            raw: list[str] = []
            reader = csv.reader(_bounded_lines(handle, path, raw), delimiter=delimiter)
            for record in reader:
                first, previous = previous + 1, reader.line_num
                text = "".join(raw)
                raw.clear()
                if not text.strip() and '"' not in text:  # a blank line, as pandas skips it
                    continue
                lines.append(first)
                if len(lines) > 1 and len(record) != width:
                    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
                    err = GdlabError(f"{path}: line {first} has {len(record)} fields, the header "
                                     f"has {width} ({shown})")
                    err.line = first
                    raise err
    except csv.Error as problem:
        err = GdlabError(f"{path}: line {previous + 1}: cannot parse ({problem})")
        err.line = previous + 1
        raise err from None
    finally:
        csv.field_size_limit(saved)
    return np.asarray(lines[1:], dtype=np.int64)
