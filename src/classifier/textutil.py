"""Small text helpers shared by the policy parser, the tokeniser and the I/O layer."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"[\s\u3000]+")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


def display_width(s: str) -> int:
    """Width of ``s`` in half-width columns (full-width and wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def squeeze(s: str) -> str:
    """Remove whitespace that PDF extraction put between characters.

    A run of whitespace is dropped entirely unless it separates two ASCII letters or
    digits (``National CERT``), where one space is kept. Japanese never takes spaces
    between words, so any space next to a Japanese character is an artefact
    (``令 和 ２ 年``, ``３月 30 日``).
    """

    def repl(m: re.Match[str]) -> str:
        before = s[m.start() - 1] if m.start() > 0 else ""
        after = s[m.end()] if m.end() < len(s) else ""
        if before and after and _ASCII_WORD.match(before) and _ASCII_WORD.match(after):
            return " "
        return ""

    return _WS.sub(repl, s).strip()


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines of one paragraph without inventing spaces between Japanese."""
    out = ""
    for line in lines:
        piece = squeeze(line)
        if not piece:
            continue
        if out and _ASCII_WORD.match(out[-1]) and _ASCII_WORD.match(piece[0]):
            out += " "
        out += piece
    return out


def non_ws(s: str) -> str:
    """``s`` with all whitespace removed (used to compare texts across line wrapping)."""
    return _WS.sub("", s)


def cell_text(value: object) -> str:
    """The text of a spreadsheet cell: ``""`` for None/NaN, ``str()`` of anything else.

    A number too long for ``str()`` (Python refuses over 4,300 digits) is not a request
    text; it becomes ``""`` rather than an error.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    try:
        return str(value)
    except ValueError:
        return ""
