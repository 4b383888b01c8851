"""Known exports, by what their files hold: the review-sheet download (:mod:`.rs`).

:func:`resolve_columns` is where a table's layout is recognised: a review-sheet header
needs no options (its text is 事業名 + 事業の目的 + 現状・課題 + 事業の概要, its id
予算事業ID); any other table goes through the generic column rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputFileError
from ..tables import pick_id_column, resolve_text_columns
from . import rs


@dataclass(frozen=True)
class Columns:
    """Which columns hold a table's text and id, and which known layout it is."""

    text: list[str]
    id: str | None
    layout: str  # "review_sheet" or "table"

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
    layout = REVIEW_SHEET if rs.is_review_sheet(header) else "table"
    if text:
        text_columns = resolve_text_columns(header, list(text))
    elif layout == REVIEW_SHEET:
        text_columns = list(rs.TEXT_FIELDS)
    else:
        text_columns = resolve_text_columns(header, None)
    if id_column is None and layout == REVIEW_SHEET:
        return Columns(text_columns, rs.ID, layout)
    return Columns(text_columns, pick_id_column(header, id_column), layout)
