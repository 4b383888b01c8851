"""What one cell becomes on its way out: JSON text for lists and objects, a ``'`` before
CSV text Excel would run as a formula, 〓 for a character the encoding cannot hold, and no
character XML cannot hold in XLSX."""

from __future__ import annotations

import json
import re
from typing import Any

_RISKY = frozenset("=+-@\t\r")
# A number Excel reads as a number, not a formula: -1,000 and +3% (budget tables' 増減)
# too. \Z, not $: "-1\n" (a line break after it) is not a plain number.
_PLAIN_NUMBER = re.compile(
    r"^[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?\Z"
)
# XML (and so XLSX) cannot hold control characters, lone surrogates or U+FFFE/FFFF.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
GETA = "〓"  # the mark Japanese typesetting uses for a character it cannot show


class Replacements:
    """A codec error handler writing 〓 (or ? where the encoding lacks it), counting."""

    def __init__(self, encoding: str) -> None:
        self.count = 0
        try:
            GETA.encode(encoding)
            self.mark = GETA
        except UnicodeEncodeError:
            self.mark = "?"

    def __call__(self, exc: UnicodeError) -> tuple[str, int]:
        assert isinstance(exc, UnicodeEncodeError)
        self.count += exc.end - exc.start
        return self.mark * (exc.end - exc.start), exc.end


def guard_formula(value: Any) -> Any:
    """A CSV cell as Excel will not run it: text Excel reads as a formula gets a ``'``."""
    if value.__class__ is str and value and value[0] in _RISKY and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    """``guard_formula(plain(value))``, skipping ``plain`` for the common case of a plain
    string (this runs for every cell written)."""
    return guard_formula(value if value.__class__ is str else plain(value))


def plain(value: Any) -> Any:
    """A cell value a table can hold: lists and objects (from JSON) as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def excel_safe(value: Any) -> Any:
    """An XLSX cell value without the characters XML cannot hold (exports may have them)."""
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    return value
