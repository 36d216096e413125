"""JSON from the page, parsed within bounds: one clear line instead of a 500.

Python's parser has no limits of its own that fail politely: a 5,001-digit integer
raises ``ValueError`` (CPython's int-conversion limit), a 4,000-digit one parses and then
overflows ``float()``, and 10,000 nested brackets exhaust the recursion limit. Here a
number may have at most :data:`~gdlab.web.limits.MAX_NUMBER_CHARS` characters and arrays
and objects nest at most :data:`~gdlab.web.limits.MAX_JSON_DEPTH` deep; the depth is
measured by a scan that skips strings, before the parser recurses at all.
"""

from __future__ import annotations

import json
import re

from ..errors import GdlabError
from . import limits

# a string (with escapes), or one bracket: the scan that measures nesting
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (brackets inside strings
    do not count)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _number(parse):
    def checked(text: str):
        if len(text) > limits.MAX_NUMBER_CHARS:
            raise GdlabError(f"a number of {len(text):,} characters is over the limit of "
                             f"{limits.MAX_NUMBER_CHARS}")
        return parse(text)

    return checked


def loads(text: str, *, what: str = "request body"):
    """``json.loads`` within the bounds above; GdlabError (one line naming ``what``)
    for text that is not JSON or is outside them."""
    depth = nesting_depth(text)
    if depth > limits.MAX_JSON_DEPTH:
        raise GdlabError(f"{what} nests arrays or objects {depth:,} deep; the limit is "
                         f"{limits.MAX_JSON_DEPTH}")
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float))
    except json.JSONDecodeError as e:
        raise GdlabError(f"{what} is not valid JSON ({e.msg} at column {e.colno})") from None
    except GdlabError as e:
        raise GdlabError(f"{what}: {e}") from None
