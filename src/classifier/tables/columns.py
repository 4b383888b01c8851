"""Column rules, in one place: which columns hold the text and the id when none is named.

Names are compared as :func:`~classifier.tables.header.column_key` spells them (no line
breaks, spaces or bracketed notes, any case), so ``事業概要（200字以内）`` is 事業概要.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..errors import InputFileError
from .header import (
    BRACKETED_NOTE,
    column_key,
    nearest_columns,
    one_line,
    resolve_column,
    shown_columns,
)

# Column names, most specific first, that hold the request text when none is named.
TEXT_COLUMN_CANDIDATES = (
    "text",
    "本文",
    "事業概要",
    "事業の概要",
    "概要",
    "事業内容",
    "内容",
    "説明",
    "description",
)
ID_COLUMN_CANDIDATES = ("id", "request_id", "番号", "事業番号", "No", "No.", "予算事業ID")
# A column naming the programme, used beside a description column (事業概要) when present.
TITLE_COLUMNS = ("事業名", "件名", "title")
# Names that mark a row under the header as the header's second row (header.continued_header).
KNOWN_COLUMN_KEYS = frozenset(
    column_key(c) for c in (*TEXT_COLUMN_CANDIDATES, *ID_COLUMN_CANDIDATES, *TITLE_COLUMNS)
)
# Description columns the programme name is worth adding to.
_DESCRIPTION_COLUMNS = ("事業概要", "事業の概要", "概要", "事業内容")
# A header cell that reads as prose, not a column name: a sentence mark outside brackets
# (a note such as （…を記載してください。） is part of many real names), or a long text.
_SENTENCE_MARKS = re.compile(r"[。、!?]|\.\s|\s.*\.$")
_LONGEST_NAME = 30  # characters of a column name, its bracketed notes left out
_SHOWN = 40  # characters of a prose cell quoted in a message


def _first_match(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    keys: dict[str, str] = {}
    for c in columns:
        keys.setdefault(column_key(c), c)
    for name in candidates:
        if name in columns:
            return name
    for name in candidates:
        if column_key(name) in keys:
            return keys[column_key(name)]
    return None


def pick_column(
    columns: list[str], wanted: list[str] | None, candidates: tuple[str, ...], what: str
) -> list[str]:
    """Resolve ``--text-column``/``--id-column`` (names, 1-based positions or Excel letters),
    or pick the single obvious one."""
    if wanted:
        resolved = [resolve_column(columns, w) for w in wanted]
        missing = [w for w, r in zip(wanted, resolved, strict=True) if r is None]
        if missing:
            hint = nearest_columns(columns, missing[0]) if len(missing) == 1 else ""
            raise InputFileError(
                f"no column named {', '.join(map(repr, missing))}{hint} (a name, a position "
                f"such as 3, or an Excel letter such as C); the columns are: "
                f"{shown_columns(columns)}"
            )
        return [r for r in resolved if r is not None]
    found = _first_match(columns, candidates)
    if found is not None:
        return [found]
    if len(columns) == 1 and _looks_like_prose(columns[0]):
        first = one_line(columns[0])
        shown = first if len(first) <= _SHOWN else first[: _SHOWN - 1] + "…"
        raise InputFileError(
            f"this does not look like a table: its header row is a single cell of text "
            f"({shown!r}), not column names; expected a CSV, TSV or Excel table with a header "
            f"row naming its columns (such as 事業名,事業概要), or name the column that holds "
            f"the {what} with --text-column"
        )
    raise InputFileError(
        f"cannot tell which column holds the {what}; name it with --text-column "
        f"(a name, a position such as 3, or an Excel letter such as C). "
        f"The columns are: {shown_columns(columns)} (if those are not the header, "
        f"--header-row N says which row is)"
    )


def _looks_like_prose(name: str) -> bool:
    """True when a header cell reads as a sentence or a paragraph, not a column name."""
    text = BRACKETED_NOTE.sub("", unicodedata.normalize("NFKC", one_line(name))).strip()
    return bool(_SENTENCE_MARKS.search(text)) or len(text) > _LONGEST_NAME


def resolve_text_columns(columns: list[str], wanted: list[str] | None) -> list[str]:
    """The text columns to read: the named ones, or the obvious one (plus 事業名 if present)."""
    chosen = pick_column(columns, wanted, TEXT_COLUMN_CANDIDATES, "request text")
    if not wanted and column_key(chosen[0]) in {column_key(c) for c in _DESCRIPTION_COLUMNS}:
        # The programme name carries as much signal as the description; use both.
        title = _first_match(columns, TITLE_COLUMNS)
        if title:
            chosen = [title, *chosen]
    return chosen


def pick_id_column(columns: list[str], wanted: str | None) -> str | None:
    """The id column: the one named, else the first of :data:`ID_COLUMN_CANDIDATES` present."""
    if wanted:
        return pick_column(columns, [wanted], (), "id")[0]
    return _first_match(columns, ID_COLUMN_CANDIDATES)
