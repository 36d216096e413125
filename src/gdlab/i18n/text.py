"""Terminal text in both languages: display widths and line wrapping.

A CJK character takes two terminal columns, so tables align by display width, not
``len``; and Chinese has no spaces between words, so a paragraph wraps between any two
characters — but not before closing punctuation (，。：) nor inside an ASCII word or
number, which stay whole.
"""

from __future__ import annotations

import unicodedata

# punctuation that must not start a line (Chinese line-breaking rule, 行首禁则)
_NO_LINE_START = set("，。、；：！？）》」』】〕…%,.;:!?)]}")
# punctuation that must not end a line
_NO_LINE_END = set("（《「『【〔([{")


def char_width(ch: str) -> int:
    """Columns a character takes in a terminal: 2 for wide (CJK) characters, 0 for
    combining marks, 1 otherwise."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters count twice)."""
    return sum(char_width(ch) for ch in text)


def ljust(text: str, width: int) -> str:
    """``text`` padded on the right to ``width`` display columns."""
    return text + " " * max(0, width - display_width(text))


def rjust(text: str, width: int) -> str:
    """``text`` padded on the left to ``width`` display columns."""
    return " " * max(0, width - display_width(text)) + text


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: a run of spaces, an ASCII/Latin word, or one wide character."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch == " ":
            if word and not word.endswith(" "):
                out.append(word)
                word = ""
            word += ch
        elif char_width(ch) == 2:
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            if word.endswith(" "):
                out.append(word)
                word = ""
            word += ch
    if word:
        out.append(word)
    return out


def wrap(text: str, width: int = 88) -> list[str]:
    """``text`` as lines of at most ``width`` display columns (a longer word stays whole).

    Breaks at spaces, and between wide characters; closing punctuation stays with the
    character before it, opening punctuation with the one after.
    """
    lines: list[str] = []
    line = ""
    for tok in _tokens(" ".join(text.split())):
        if tok.isspace():
            if line:
                line += " "
            continue
        if line and display_width(line + tok) > width:
            if tok[0] in _NO_LINE_START or line.rstrip()[-1:] in _NO_LINE_END:
                # keep the punctuation with its neighbour: move the last piece down
                head, last = _split_last(line.rstrip())
                if head:
                    lines.append(head.rstrip())
                    line = last + tok
                    continue
            lines.append(line.rstrip())
            line = tok
        else:
            line = line + tok if line else tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _split_last(line: str) -> tuple[str, str]:
    """(line without its last piece, the last piece)."""
    toks = _tokens(line)
    if len(toks) <= 1:
        return "", line
    return "".join(toks[:-1]), toks[-1]
