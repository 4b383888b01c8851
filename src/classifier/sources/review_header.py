"""Recognising the review-sheet 1-2 header as analysts retype it.

The download names its columns 予算事業ID, 事業年度, 事業名, 事業の目的, 現状・課題 and
事業の概要. A file that went through Excel or a colleague's hands may write 予算事業ＩＤ,
現状･課題 (a half-width dot), 事業の概要 + Alt-Enter + （500字以内）, or 事業目的. Such a
file is still the download: if it were read as a plain table, its text would silently come
from fewer fields and the in-scope set and the budget summary would move. So names are
compared as :func:`~classifier.tables.header.column_key` (NFKC, no blanks, no bracketed
note, any case) and a text field still missing is matched to a near name; a header that
only looks like the download (its id and some text fields) gets a note saying what it is
read as and how to name the text instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from ..tables import find_column
from ..tables.header import column_key, one_line
from . import rs

# How near a retyped text field's name must be (事業目的 to 事業の目的 is 0.89, 事業概要URL
# to 事業の概要 0.67: the download's own URL column is no description).
_NEAR = 0.8


@dataclass(frozen=True)
class ReviewHeader:
    """Which of a header's columns are the review sheet's, by the download's names."""

    columns: tuple[str, ...]
    found: dict[str, str]  # the download's name -> the column as the file names it
    near: tuple[tuple[str, str], ...]  # (column, the download's name) matched by a near name
    missing: tuple[str, ...]  # the id and text fields the header does not have

    @property
    def complete(self) -> bool:
        """The id and every text field: the file is the download."""
        return not self.missing

    @property
    def resembles(self) -> bool:
        """Not complete, but the id and two text fields, or every text field: a copy of
        the download that lost or renamed a column, not some other table."""
        texts = sum(f in self.found for f in rs.TEXT_FIELDS)
        every = texts == len(rs.TEXT_FIELDS)
        return not self.complete and (every or (rs.ID in self.found and texts >= 2))

    @property
    def text(self) -> list[str]:
        return [self.found[f] for f in rs.TEXT_FIELDS]

    @property
    def id(self) -> str | None:
        return self.found.get(rs.ID)

    @property
    def year(self) -> str | None:
        return self.found.get(rs.YEAR)

    def notes(self) -> list[str]:
        """What a complete header was read as, where a name was only near."""
        return [f"column {one_line(c)} is read as {name}" for c, name in self.near]

    def incomplete_note(self, read_as: str) -> str:
        """Why a header resembling the download is read as a plain table (``read_as``)."""
        missing = ", ".join(self.missing)
        return (
            f"the header looks like the review-sheet download (1-2_RS_…_事業概要等) but has "
            f"no {missing} column{_nearest(self, self.missing)}: it is read as a plain table, "
            f"{read_as}; rename the column to the download's name, or name the text columns "
            f"with --text-column"
        )


def review_header(columns: Sequence[str]) -> ReviewHeader:
    """Find the review-sheet columns in ``columns``, as retyped (module docstring)."""
    found: dict[str, str] = {}
    for name in (rs.ID, rs.YEAR, *rs.TEXT_FIELDS):
        column = find_column(columns, name)
        if column is not None and column not in found.values():
            found[name] = column
    near: list[tuple[str, str]] = []
    for name in rs.TEXT_FIELDS:
        if name in found:
            continue
        free = {column_key(c): c for c in columns if c not in found.values()}
        close = difflib.get_close_matches(column_key(name), list(free), n=2, cutoff=_NEAR)
        # Two near names equally near (事業目的 and 事業の目的２) are a guess: leave both.
        if len(close) == 1 or (len(close) == 2 and _ratio(name, close[0]) > _ratio(name, close[1])):
            found[name] = free[close[0]]
            near.append((free[close[0]], name))
    missing = tuple(n for n in (rs.ID, *rs.TEXT_FIELDS) if n not in found)
    return ReviewHeader(tuple(columns), found, tuple(near), missing)


def _ratio(name: str, key: str) -> float:
    return difflib.SequenceMatcher(None, column_key(name), key).ratio()


def _nearest(header: ReviewHeader, names: Sequence[str]) -> str:
    """`` (the nearest to 事業の目的 is 目的・概要)`` for missing names with a near column."""
    free = {column_key(c): c for c in header.columns if c not in header.found.values()}
    hints = []
    for name in names:
        close = difflib.get_close_matches(column_key(name), list(free), n=1, cutoff=0.5)
        if close:
            hints.append(f"the nearest to {name} is {one_line(free[close[0]])}")
    return f" ({'; '.join(hints)})" if hints else ""
