"""Finding and naming a table's header, as Excel users make them.

* The header is the first row that looks like one: most non-empty cells of the first rows,
  text rather than numbers. Title rows above it (a title, a units line, a blank row, as
  review sheets and 概算要求 exports have) are skipped and reported; ``--header-row N``
  says where it is instead.
* Column names are compared after removing line breaks, spaces and bracketed notes, so
  ``事業概要`` + Alt-Enter + ``（200字以内）`` is the 事業概要 column.
* Every column keeps a distinct name: a repeated name gets ``.2``, ``.3``, … (never the
  name of another column) and an empty one ``column_N`` (N its position), so no column is
  lost in JSONL output. An empty cell
  at the end of the header counts as a column when the rows below have values there.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputFileError
from ..textutil import cell_text

PEEK_ROWS = 30  # rows looked at to find the header
FOLLOWING = 10  # rows below a candidate whose width it is compared with
BRACKETED_NOTE = re.compile(r"[(（【\[<＜][^)）】\]>＞]*[)）】\]>＞]")
_BLANKS = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+\-−]?[\d,]+(\.\d+)?%?$")
_EXCEL_COLUMN = re.compile(r"^[A-Za-z]{1,3}$")
_LINE_BREAKS = re.compile(r"\s*[\r\n\x0b\x0c\x85\u2028\u2029]+\s*")


def column_key(name: object) -> str:
    """A column name as compared: NFKC, no blanks or line breaks, no bracketed notes."""
    text = unicodedata.normalize("NFKC", cell_text(name))
    return _BLANKS.sub("", BRACKETED_NOTE.sub("", text)).lower()


def one_line(name: object) -> str:
    """A column name as messages show it: on one line, each line break (Alt-Enter in an
    Excel header cell) as a space. Typed back as a name it still matches its column."""
    return _LINE_BREAKS.sub(" ", cell_text(name)).strip()


def shown_columns(columns: Sequence[object]) -> str:
    """Column names listed in a message, each on one line."""
    return ", ".join(one_line(c) for c in columns)


def _filled(cell: object) -> bool:
    return bool(cell_text(cell).strip())


def _is_label(cell: object) -> bool:
    """A header cell: text, not a number (a year or an amount is data)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return False
    return not _NUMBER.match(unicodedata.normalize("NFKC", cell_text(cell)).strip())


def peek_rows(explicit: int | None) -> int:
    """How many first rows to read for the header: PEEK_ROWS, or past a ``--header-row``
    further down (a long block of notes above the table), with the rows below it."""
    return max(PEEK_ROWS, (explicit or 0) + FOLLOWING)


def find_header(rows: Sequence[Sequence[Any]], explicit: int | None = None) -> int:
    """Index in ``rows`` (the first rows of a sheet) of its header row.

    ``explicit`` is ``--header-row`` (1-based, as Excel numbers rows).
    """
    if explicit is not None:
        if explicit < 1 or explicit > len(rows):
            raise InputFileError(
                f"--header-row {explicit} is not a row of the file"
                + (f" (it has {len(rows)})" if explicit >= 1 else "")
            )
        return explicit - 1
    counts = [sum(map(_filled, row)) for row in rows]
    if not any(counts):
        raise InputFileError("the file is empty (no row with any text)")
    for i, (row, n) in enumerate(zip(rows, counts, strict=True)):
        if not n:
            continue
        # A header is about as wide as the rows under it; a title row is much narrower.
        below = sorted(c for c in counts[i + 1 : i + 1 + FOLLOWING] if c)
        typical = below[len(below) // 2] if below else n
        if n >= max(1, math.ceil(0.6 * typical)) and all(_is_label(c) for c in row if _filled(c)):
            return i
    return next(i for i, n in enumerate(counts) if n)


def continued_header(
    cells: Sequence[Any], following: Sequence[Any], known: Collection[str]
) -> list[Any] | None:
    """The header completed by the row under it, when that row continues it; else None.

    A two-row Excel header (事業名 merged over both rows, 内容 above 事業概要) leaves a second
    row that fills only some columns, with names: it continues the header when every cell
    it fills is text, it fills fewer cells than the header, and one of them is a column
    name ``known`` holds (as :func:`column_key`). Its cells name their columns; the merged
    ones keep the name above.
    """
    filled = [i for i, c in enumerate(following) if _filled(c)]
    if not filled or len(filled) >= sum(map(_filled, cells)):
        return None
    if not all(_is_label(following[i]) for i in filled):
        return None
    if not any(column_key(following[i]) in known for i in filled):
        return None
    width = max(len(cells), len(following))
    padded = [*cells, *[None] * (width - len(cells))]
    return [following[i] if i in filled else padded[i] for i in range(width)]


@dataclass(frozen=True)
class HeaderLayout:
    """Where a table's header is in its first rows, its column names, and what to say."""

    at: int  # index of the (first) header row
    first: int  # index of the first data row (after a second header row, if any)
    names: list[str]
    notes: list[str]  # the unnamed-columns, skipped-rows and two-row-header notes


def layout_header(
    path: str, rows: Sequence[Sequence[Any]], explicit: int | None, known: Collection[str]
) -> HeaderLayout:
    """The header of a table from its first ``rows``, as every reader finds it: found
    (:func:`find_header`; ``explicit`` is ``--header-row``), completed by a second header
    row (:func:`continued_header`, ``known`` the column names that mark one) and named
    (:func:`column_names`); errors and notes name ``path``."""
    try:
        at = find_header(rows, explicit)
    except InputFileError as exc:
        raise InputFileError(f"{path}: {exc}") from None
    cells = list(rows[at])
    more = continued_header(cells, list(rows[at + 1]) if at + 1 < len(rows) else [], known)
    if more is not None:
        cells = more
    first = at + 1 + (more is not None)
    below = rows[first:]
    names = column_names(cells, below)
    notes = [n for n in [unnamed_note(path, cells, names, below)] if n]
    if at:
        notes.append(skipped_note(path, at))
    if more is not None:
        notes.append(continued_note(path, at))
    return HeaderLayout(at, first, names, notes)


def continued_note(path: str, at: int) -> str:
    """The note for a header read from two rows (``at``: the first one's index)."""
    return f"{path}: the header is rows {at + 1}–{at + 2} (a two-row header, read as one)"


def column_names(cells: Sequence[Any], below: Sequence[Sequence[Any]] = ()) -> list[str]:
    """Header cells as distinct column names.

    Empty cells at the end of the header are dropped, unless the rows of ``below`` (those
    read under the header) show a column there: a value under a cell the header has (a
    trailing comma in a CSV header), or values in more than half of those rows (a merged
    cell in a two-row Excel header leaves every row a value with no name above it). Such
    a column is kept as ``column_N`` instead of turning every row into an error; a stray
    value in one row beyond the header is still that row's error.
    """
    names = [cell_text(c).lstrip("\ufeff").strip() for c in cells]
    rows = [row for row in below if _last_filled(row)]
    used = max((min(_last_filled(row), len(names)) for row in rows), default=0)
    ends = sorted((_last_filled(row) for row in rows), reverse=True)
    if ends:
        used = max(used, ends[len(ends) // 2])  # reached by more than half the rows
    while len(names) > used and not names[-1]:
        names.pop()
    names += [""] * (used - len(names))
    # A made-up name never takes the name of a real column, before or after it: only the
    # repeats and the blanks are named anew (事業概要, 事業概要, 事業概要.2 → 事業概要,
    # 事業概要.3, 事業概要.2).
    taken = {name for name in names if name}
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            name = f"column_{i + 1}"
            while name in taken:
                name += "_"
        elif name in seen:
            k = seen[name] + 1
            while f"{name}.{k}" in taken:
                k += 1
            seen[name] = k
            name = f"{name}.{k}"
        else:
            seen[name] = 1
        taken.add(name)
        out.append(name)
    return out


def unnamed_note(
    path: str, cells: Sequence[Any], names: Sequence[str], below: Sequence[Sequence[Any]]
) -> str | None:
    """A note naming the columns that have values in ``below`` but an empty header cell
    (they are called ``column_N``), so the analyst knows where those names come from."""
    blank = [
        name
        for i, name in enumerate(names)
        if (i >= len(cells) or not _filled(cells[i]))
        and any(i < len(row) and _filled(row[i]) for row in below)
    ]
    if not blank:
        return None
    which = "column has" if len(blank) == 1 else "columns have"
    return (
        f"{path}: {len(blank)} {which} values but no name in the header; "
        f"called {shown_columns(blank)}"
    )


def skipped_note(path: str, at: int) -> str:
    """The note for title rows skipped above the header (``at``: the header's index)."""
    above = "the row above it was" if at == 1 else f"the {at} rows above it were"
    return f"{path}: the header is row {at + 1}; {above} skipped"


def _last_filled(row: Sequence[Any]) -> int:
    """1 + the position of a row's last non-empty cell (0 for an empty row)."""
    return next((i + 1 for i in range(len(row) - 1, -1, -1) if _filled(row[i])), 0)


def find_column(columns: Sequence[str], name: str) -> str | None:
    """The column called ``name`` as it may have been retyped: compared as
    :func:`column_key`, then with ``_`` counting as a blank (``Accepted Label``,
    full-width ``ａｃｃｅｐｔｅｄ＿ｌａｂｅｌ``). ``None`` if none, or several, match."""
    if name in columns:
        return name
    for key in (column_key, _loose_key):
        matches = [c for c in columns if key(c) == key(name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            return None
    return None


def _loose_key(name: object) -> str:
    return column_key(name).replace("_", "")


def nearest_columns(columns: Sequence[str], name: str) -> str:
    """`` (did you mean 'labels'?)`` for a name that is not a column but is near one."""
    keys = {column_key(c): c for c in columns}
    near = difflib.get_close_matches(column_key(name), list(keys), n=1, cutoff=0.6)
    return f" (did you mean {one_line(keys[near[0]])!r}?)" if near else ""


def resolve_column(columns: Sequence[str], wanted: str) -> str | None:
    """A column named by the user: its name (as :func:`find_column` matches it), a 1-based
    position, or an Excel letter (A, B, …, AA). ``None`` if it matches none."""
    named = find_column(columns, wanted)
    if named is not None:
        return named
    if wanted.isdigit() and 1 <= int(wanted) <= len(columns):
        return columns[int(wanted) - 1]
    if _EXCEL_COLUMN.match(wanted):
        index = 0
        for ch in wanted.upper():
            index = index * 26 + (ord(ch) - ord("A") + 1)
        if 1 <= index <= len(columns):
            return columns[index - 1]
    return None
