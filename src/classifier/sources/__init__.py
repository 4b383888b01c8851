"""Known exports, by what their files hold: the review-sheet download (:mod:`.rs`).

:func:`resolve_columns` is where a table's layout is recognised: a review-sheet header
needs no options (its text is 事業名 + 事業の目的 + 現状・課題 + 事業の概要, its id
予算事業ID, as retyped: :mod:`.review_header`); any other table goes through the generic
column rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputFileError
from ..tables import pick_id_column, resolve_text_columns
from ..tables.header import one_line
from .review_header import review_header


@dataclass(frozen=True)
class Columns:
    """Which columns hold a table's text and id, and which known layout it is."""

    text: list[str]
    id: str | None
    layout: str  # "review_sheet" or "table"
    # What the analyst should know about how the header was read (a retyped review-sheet
    # column, or a header that resembles the download but is read as a plain table).
    notes: tuple[str, ...] = ()

    @property
    def is_review_sheet(self) -> bool:
        return self.layout == REVIEW_SHEET


REVIEW_SHEET = "review_sheet"


def resolve_columns(
    columns: Sequence[str],
    text: Sequence[str] | None = None,
    id_column: str | None = None,
    path: str | None = None,
) -> Columns:
    """The text and id columns: the ones named, else those of a known layout, else the
    obvious ones (see :mod:`classifier.tables.columns`). An error names ``path``."""
    try:
        return _resolve(list(columns), text, id_column)
    except InputFileError as exc:
        if path is None:
            raise
        raise InputFileError(f"{path}: {exc}") from None


def _resolve(header: list[str], text: Sequence[str] | None, id_column: str | None) -> Columns:
    known = review_header(header)
    if known.complete:
        layout, notes = REVIEW_SHEET, known.notes()
    else:
        layout, notes = "table", []
    if text:
        text_columns = resolve_text_columns(header, list(text))
    elif layout == REVIEW_SHEET:
        text_columns = known.text
    else:
        text_columns = resolve_text_columns(header, None)
    if id_column is None and layout == REVIEW_SHEET:
        ident = known.id
    else:
        ident = pick_id_column(header, id_column)
    if known.resembles and not text:
        read = f"the text from {' + '.join(map(one_line, text_columns))}"
        read += f" and the id from {one_line(ident)}" if ident else " and no id column"
        notes.append(known.incomplete_note(read))
    return Columns(text_columns, ident, layout, tuple(notes))
