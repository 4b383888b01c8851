"""Column rules, in one place: which columns hold the text and the id when none is named."""

from __future__ import annotations

from ..errors import InputFileError

# Column names, most specific first, that hold the request text when none is named.
TEXT_COLUMN_CANDIDATES = (
    "text",
    "本文",
    "事業概要",
    "概要",
    "事業内容",
    "内容",
    "説明",
    "description",
)
ID_COLUMN_CANDIDATES = ("id", "request_id", "ID", "番号", "事業番号", "No", "No.")
# A column naming the programme, used beside a description column (事業概要) when present.
TITLE_COLUMNS = ("事業名", "件名", "title")
# Description columns the programme name is worth adding to.
_DESCRIPTION_COLUMNS = ("事業概要", "概要", "事業内容")


def pick_column(
    columns: list[str], wanted: list[str] | None, candidates: tuple[str, ...], what: str
) -> list[str]:
    """Resolve ``--text-column``/``--id-column`` names, or pick the single obvious one."""
    if wanted:
        missing = [w for w in wanted if w not in columns]
        if missing:
            raise InputFileError(
                f"no column named {', '.join(map(repr, missing))}; "
                f"the columns are: {', '.join(columns)}"
            )
        return wanted
    for name in candidates:
        if name in columns:
            return [name]
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name.lower() in lowered:
            return [lowered[name.lower()]]
    raise InputFileError(
        f"cannot tell which column holds the {what}; name it with --text-column. "
        f"The columns are: {', '.join(columns)}"
    )


def resolve_text_columns(columns: list[str], wanted: list[str] | None) -> list[str]:
    """The text columns to read: the named ones, or the obvious one (plus 事業名 if present)."""
    chosen = pick_column(columns, wanted, TEXT_COLUMN_CANDIDATES, "request text")
    if wanted is None and chosen[0] in _DESCRIPTION_COLUMNS:
        # The programme name carries as much signal as the description; use both.
        title = next((c for c in TITLE_COLUMNS if c in columns), None)
        if title:
            chosen = [title, *chosen]
    return chosen


def pick_id_column(columns: list[str], wanted: str | None) -> str | None:
    """The id column: the one named, else the first of :data:`ID_COLUMN_CANDIDATES` present."""
    if wanted:
        return pick_column(columns, [wanted], (), "id")[0]
    return next((c for c in ID_COLUMN_CANDIDATES if c in columns), None)
