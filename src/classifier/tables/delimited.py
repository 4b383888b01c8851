"""CSV and TSV as Excel and other tools write them.

Every record is a row, blank lines included (they are rows in Excel, and results pasted
beside the source must line up), except blank lines after the last row. A quote that
opens a cell and is never closed would swallow the lines after it into one cell, silently
(Excel itself reads such a file that way). Two signs give it away, as Excel never writes
them: a quoted cell still open at the end of the file, and a quoted cell spanning lines
that is "closed" by a quote followed by more text (``2,"b`` … ``4,"d"``: that quote opens
a later cell). Then the line where the stray quote opened comes out as one ``error:`` row
naming it, and the lines after it are read as rows again. A quoted cell spanning lines
and closed before a delimiter or line end is an ordinary multi-line cell and stays one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import IO

from ..errors import InputFileError
from ..textutil import plural
from .columns import KNOWN_COLUMN_KEYS
from .encoding import bad_bytes_error, detect_encoding, encoding_hint
from .header import layout_header, peek_rows
from .records import InputTable, Row

# Request texts pasted from documents can be long; the csv module's default cap is 128 KB.
csv.field_size_limit(2**31 - 1)
# A byte that is not of the encoding, as the "surrogateescape" handler stands for it: no
# decoder gives these characters for valid text, so one in a row places the bad byte.
_ESCAPED = re.compile("[\udc80-\udcff]+")


@dataclass
class _Record:
    cells: list[str]
    line: int  # the physical line it starts on
    error: str | None = None


class _Lines:
    """The text's lines, counted, remembering those of the record being read; lines can be
    put back to be read again (after a stray quote, as rows of their own)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._it = lines
        self._back: list[str] = []  # put back, last first
        self.count = 0
        self.pending: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.pop() if self._back else next(self._it)
        self.count += 1
        self.pending.append(line)
        return line

    def take(self) -> list[str]:
        taken, self.pending = self.pending, []
        return taken

    def put_back(self, lines: list[str]) -> None:
        self._back.extend(reversed(lines))
        self.count -= len(lines)


def _stray_quote(raw: list[str], delimiter: str) -> tuple[int, int | None] | None:
    """Where a record's quotes go wrong, as Excel writes CSV: ``(line of the stray quote,
    line of the quote that took it as closed, or None if nothing closed it)``, indexes
    into ``raw``; None if the record is well formed.

    Excel doubles every quote inside a quoted cell and closes the cell right before a
    delimiter or the line end. So a cell that spans lines and is "closed" by a quote
    followed by more text (``4,"d"``: the quote is really the next cell's opening one)
    was opened by a stray quote; so was one still open at the end of the file.
    """
    opened: int | None = None  # the line whose quote opened the current quoted cell
    for j, line in enumerate(raw):
        i, n = 0, len(line)
        while i < n:
            if opened is None:  # at the start of a cell
                if line[i] == '"':
                    opened, i = j, i + 1
                    continue
                k = line.find(delimiter, i)  # a quote inside an unquoted cell is text
                if k < 0:
                    break
                i = k + 1
                continue
            k = line.find('"', i)
            if k < 0:
                break  # the cell goes on past the line end
            after = line[k + 1 : k + 2]
            if after == '"':
                i = k + 2  # a doubled quote: one quote of text
            elif after in ("", delimiter, "\r", "\n"):
                opened, i = None, k + 2  # closed where Excel closes a cell
            elif opened < j:
                return opened, j
            else:  # "ab"c on one line: read as abc, as Excel and csv read it
                opened = None
                k = line.find(delimiter, k + 1)
                if k < 0:
                    break
                i = k + 1
    return None if opened is None else (opened, None)


def _needs_check(raw: list[str], cells: list[str]) -> bool:
    """Whether a record may hold a stray quote: it spans lines, or its one line ended
    inside a quote (only the last line of a file can)."""
    if len(raw) > 1:
        return True
    line = raw[0]
    ends = ("\r", "\n")
    return '"' in line and (not line.endswith(ends) or (bool(cells) and cells[-1].endswith(ends)))


def _stray_message(first: int, stray: int, closing: int | None) -> str:
    shown = f"line {stray} is" if first == stray else f"lines {first}–{stray} are"
    why = (
        "is never closed"
        if closing is None
        else f"is never closed (the quote on line {closing} opens another cell)"
    )
    return (
        f'a quote (") opened on line {stray} {why}; {shown} shown as read, and the lines '
        f"after it are read as rows again"
    )


def _records(lines: _Lines, delimiter: str) -> Iterator[_Record]:
    """Records with their first line; a stray quote recovered as described above."""
    while True:
        reader = csv.reader(lines, delimiter=delimiter)
        for cells in reader:
            raw = lines.take()
            line = lines.count - len(raw) + 1
            problem = _stray_quote(raw, delimiter) if _needs_check(raw, cells) else None
            if problem is None:
                yield _Record(cells, line)
                continue
            # The row with the stray quote is one error row; the lines after it are read
            # again (with a fresh reader) as the rows they are.
            stray, closing = problem
            kept = raw[: stray + 1]
            kept[-1] = kept[-1].rstrip("\r\n")
            try:
                first = next(csv.reader(kept, delimiter=delimiter), [])
            except csv.Error:
                first = ["".join(kept)]
            message = _stray_message(
                line, line + stray, None if closing is None else line + closing
            )
            yield _Record(first, line, message)
            lines.put_back(raw[stray + 1 :])
            break
        else:
            return


def _without_bad_bytes(
    records: Iterator[_Record], path: str, used: str, given: str | None
) -> Iterator[_Record]:
    """The records, stopping at the first that holds a byte ``used`` cannot decode, with
    the row (as Excel numbers rows) and the bytes named."""
    for number, record in enumerate(records, start=1):
        bad = _ESCAPED.search("".join(record.cells))
        if bad is not None:
            shown = " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in bad.group()[:4])
            raise InputFileError(
                f"{path}: row {number} is not valid {used} text (bytes {shown}); "
                f"{encoding_hint(given)}"
            )
        yield record


def open_delimited(
    binary: IO[bytes], path: str, fmt: str, encoding: str | None, header_row: int | None
) -> InputTable:
    try:
        used, errors = (encoding, "strict") if encoding else detect_encoding(binary)
    except InputFileError as exc:
        binary.close()
        raise InputFileError(f"{path}: {exc}") from None
    # Bad bytes are escaped, not raised: the decoder reads ahead of the rows, so its own
    # error could only say which row was read last, not which holds the byte.
    escape = "surrogateescape" if errors == "strict" else errors
    text = io.TextIOWrapper(binary, encoding=used, errors=escape, newline="")
    records = _records(_Lines(iter(text)), "\t" if fmt == "tsv" else ",")
    if errors == "strict":
        records = _without_bad_bytes(records, path, used, encoding)
    head: list[_Record] = []
    try:
        for record in records:
            head.append(record)
            if len(head) >= peek_rows(header_row):
                break
    except (UnicodeError, csv.Error) as exc:
        raise InputFileError(
            f"{path}: cannot read the first rows ({exc}); {encoding_hint(encoding)}"
        ) from exc
    layout = layout_header(path, [r.cells for r in head], header_row, KNOWN_COLUMN_KEYS)
    at, first, header, notes = layout.at, layout.first, layout.names, layout.notes
    if fmt == "csv" and len(header) == 1 and "\t" in header[0]:
        raise InputFileError(f"{path}: this looks tab-separated; name it .tsv or use --format tsv")
    width = len(header)
    if errors == "replace":
        notes.append(f"{path}: read as UTF-8 though some bytes are not (their rows are marked)")

    def rows() -> Iterator[Row]:
        number = short = 0
        blanks: list[Row] = []  # held until a later row shows they are not trailing
        try:
            for record in chain(head[first:], records):
                number += 1
                cells = record.cells
                error = record.error
                if error is None and len(cells) > width and any(c.strip() for c in cells[width:]):
                    error = f"row has {len(cells)} fields but the header has {width}"
                # Fewer fields is how some tools write empty trailing cells: read, but said.
                short += error is None and 0 < len(cells) < width and any(cells)
                cells = (cells + [""] * width)[:width]
                error = error or bad_bytes_error(errors, "".join(cells))
                row = Row(number, cells, error, line=first + number)
                # Only a line with nothing at all in it is blank: a cell holding a space
                # is a cell (Excel keeps the row).
                if error is None and not any(record.cells):
                    blanks.append(row)
                    continue
                yield from blanks
                blanks = []
                yield row
            if short:
                notes.append(
                    f"{path}: {plural(short, 'row')} with fewer fields than the header "
                    "(their missing cells were read as empty)"
                )
        except UnicodeError as exc:
            raise InputFileError(
                f"{path}: text is not valid {used} after row {first + number}; "
                f"{encoding_hint(encoding)}"
            ) from exc
        except csv.Error as exc:
            raise InputFileError(f"{path}: broken CSV after row {first + number}: {exc}") from exc
        finally:
            binary.close()

    return InputTable(
        path, fmt, header, used, rows(), notes=notes, source=binary, header_line=at + 1
    )
