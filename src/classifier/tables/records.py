"""What reading a table gives: rows, and the opened table streaming them."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

CHUNK_ROWS = 2000


# Slots: a sheet can hold a million rows (blank ones included), each one of these.
@dataclass(slots=True)
class Row:
    """One input row: its original cells and, if it could not be read properly, why."""

    number: int  # 1-based data row number (header excluded)
    cells: list[Any]
    error: str | None = None
    extra: dict[str, Any] | None = None  # JSONL: the original object
    line: int = 0  # where the row is, as Excel (or an editor, for JSONL) numbers it
    # XLSX: positions of cells holding a formula Excel never calculated (the cell holds
    # the formula's text). Only the command knows which cells are the text, so it is the
    # command that decides, with :meth:`error_for`, whether that stops the row.
    uncalculated: tuple[int, ...] = ()

    def error_for(self, text_indexes: Iterable[int]) -> str | None:
        """Why the row cannot be classified from the cells at ``text_indexes``: its read
        error, or a text cell whose value is an uncalculated formula (unknown text)."""
        if self.error is not None or not self.uncalculated:
            return self.error
        for i in text_indexes:
            if i in self.uncalculated:
                formula = str(self.cells[i])
                return (
                    f"a text cell holds a formula Excel has not calculated ({formula[:40]}); "
                    f"open and save the file in Excel, or paste values"
                )
        return None


# The sheet of classify's workbooks (its output and the review sheet) that holds the rows;
# their other sheets (summary, labels) are lists, never the table to read.
MAIN_SHEET = "classified"


@dataclass
class InputTable:
    """An opened input: its format, header, encoding and a one-pass row iterator."""

    path: str
    format: str
    columns: list[str]
    encoding: str | None
    rows: Iterator[Row]
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    source: IO[bytes] | None = None  # the underlying file, for progress
    header_line: int = 1  # the header's row, as Excel numbers it

    def sheet_note(self) -> str:
        """Which sheet of a workbook of several was read (empty otherwise): for an error
        about its columns, as the wrong sheet is the likeliest cause."""
        said = [n[n.index("read sheet") :] for n in self.notes if "read sheet" in n]
        return f"; {said[0]}" if said else ""

    def fraction_read(self) -> float | None:
        """How far through the file reading has got (0–1), when that can be known."""
        if self.source is None or self.source.closed:
            return None
        try:
            size = os.fstat(self.source.fileno()).st_size
            return self.source.tell() / size if size else None
        except (OSError, ValueError, io.UnsupportedOperation):
            return None

    def close(self) -> None:
        """Release the file when the rows will not be read to the end."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()
        if self.source is not None:
            self.source.close()

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
        chunk: list[Row] = []
        for row in self.rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
