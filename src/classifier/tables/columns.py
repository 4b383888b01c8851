"""Column rules, in one place: which columns hold the text and the id when none is named.

Names are compared as :func:`~classifier.tables.header.column_key` spells them (no line
breaks, spaces or bracketed notes, any case), so ``事業概要（200字以内）`` is 事業概要.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputFileError
from .header import column_key, resolve_column, shown_columns

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
# Description columns the programme name is worth adding to.
_DESCRIPTION_COLUMNS = ("事業概要", "事業の概要", "概要", "事業内容")


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
            raise InputFileError(
                f"no column named {', '.join(map(repr, missing))} (a name, a position such as "
                f"3, or an Excel letter such as C); the columns are: {shown_columns(columns)}"
            )
        return [r for r in resolved if r is not None]
    found = _first_match(columns, candidates)
    if found is not None:
        return [found]
    raise InputFileError(
        f"cannot tell which column holds the {what}; name it with --text-column "
        f"(a name, a position such as 3, or an Excel letter such as C). "
        f"The columns are: {shown_columns(columns)}"
    )


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
