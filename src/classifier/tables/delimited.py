"""CSV and TSV as Excel and other tools write them.

Every record is a row, blank lines included (they are rows in Excel, and results pasted
beside the source must line up), except blank lines after the last row. A quote that
opens a cell and is never closed would make the rest of the file one cell: it is caught at
the end of the file, the line where it opened comes out as one ``error:`` row, and the
lines after it are read as rows again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import IO

from ..errors import InputFileError
from .encoding import bad_bytes_error, detect_encoding
from .header import PEEK_ROWS, column_names, find_header
from .records import InputTable, Row

# Request texts pasted from documents can be long; the csv module's default cap is 128 KB.
csv.field_size_limit(2**31 - 1)


@dataclass
class _Record:
    cells: list[str]
    line: int  # the physical line it starts on
    error: str | None = None


class _Lines:
    """The text's lines, counted, remembering those of the record being read."""

    def __init__(self, lines: Iterator[str], offset: int = 0) -> None:
        self._it = lines
        self.count = offset
        self.pending: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._it)
        self.count += 1
        self.pending.append(line)
        return line

    def take(self) -> list[str]:
        taken, self.pending = self.pending, []
        return taken


def _records(lines: _Lines, delimiter: str) -> Iterator[_Record]:
    """Records with their first line; an unclosed quote recovered as described above."""
    reader = csv.reader(lines, delimiter=delimiter)
    held: tuple[_Record, list[str]] | None = None  # a multi-line record, until the next
    for cells in reader:
        raw = lines.take()
        record = _Record(cells, lines.count - len(raw) + 1)
        if held is not None:
            yield held[0]
            held = None
        if len(raw) > 1:
            held = (record, raw)
        else:
            yield record
    if held is None:
        return
    record, raw = held
    if "".join(raw).count('"') % 2 == 0:
        yield record
        return
    # The record ran to the end of the file inside a quote: the quote was never closed.
    first = next(csv.reader([raw[0]], delimiter=delimiter), [])
    yield _Record(
        first,
        record.line,
        f'a quote (") opened on line {record.line} is never closed; this line is shown '
        f"as read, and the lines after it are read as rows again",
    )
    yield from _records(_Lines(iter(raw[1:]), record.line), delimiter)


def open_delimited(
    binary: IO[bytes], path: str, fmt: str, encoding: str | None, header_row: int | None
) -> InputTable:
    used, errors = (encoding, "strict") if encoding else detect_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=used, errors=errors, newline="")
    records = _records(_Lines(iter(text)), "\t" if fmt == "tsv" else ",")
    head: list[_Record] = []
    try:
        for record in records:
            head.append(record)
            if len(head) >= PEEK_ROWS:
                break
    except (UnicodeError, csv.Error) as exc:
        raise InputFileError(
            f"{path}: cannot read the first rows ({exc}); name the encoding with --encoding"
        ) from exc
    try:
        at = find_header([r.cells for r in head], header_row)
    except InputFileError as exc:
        raise InputFileError(f"{path}: {exc}") from None
    header = column_names(head[at].cells)
    if fmt == "csv" and len(header) == 1 and "\t" in header[0]:
        raise InputFileError(f"{path}: this looks tab-separated; name it .tsv or use --format tsv")
    width = len(header)
    notes = []
    if at:
        notes.append(f"{path}: the header is row {at + 1}; the {at} row(s) above it were skipped")
    if errors == "replace":
        notes.append(f"{path}: read as UTF-8 though some bytes are not (their rows are marked)")

    def rows() -> Iterator[Row]:
        number = 0
        blanks: list[Row] = []  # held until a later row shows they are not trailing
        try:
            for record in chain(head[at + 1 :], records):
                number += 1
                cells = record.cells
                error = record.error
                if error is None and len(cells) > width and any(c.strip() for c in cells[width:]):
                    error = f"row has {len(cells)} fields but the header has {width}"
                cells = (cells + [""] * width)[:width]
                error = error or bad_bytes_error(errors, "".join(cells))
                row = Row(number, cells, error, line=at + 1 + number)
                # Only a line with nothing at all in it is blank: a cell holding a space
                # is a cell (Excel keeps the row).
                if error is None and not any(record.cells):
                    blanks.append(row)
                    continue
                yield from blanks
                blanks = []
                yield row
        except UnicodeError as exc:
            raise InputFileError(
                f"{path}: text is not valid {used} after row {at + 1 + number}; "
                f"name the encoding with --encoding"
            ) from exc
        except csv.Error as exc:
            raise InputFileError(f"{path}: broken CSV after row {at + 1 + number}: {exc}") from exc
        finally:
            binary.close()

    return InputTable(
        path, fmt, header, used, rows(), notes=notes, source=binary, header_line=at + 1
    )
