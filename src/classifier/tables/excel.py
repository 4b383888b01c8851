"""XLSX as Excel (and other tools) write it.

* The sheet read is the one named (``--sheet``), else the workbook's active sheet if it is
  visible, else the first visible one: never a hidden sheet by default.
* The ``<dimension>`` a file declares is not trusted (many tools write a stale one; a stray
  corner cell declares A1:XFD1048576): rows are read as the file holds them, by their
  ``r`` numbers, so rows the file leaves out cost nothing to skip.
* Blank rows between rows are rows (empty text); blank rows after the last one are not.
  A run of blank rows is counted, not kept, until a later row shows it is not trailing.
  So a sheet whose last row holding anything is row 4 reads as fast as it looks, however
  far its declared size or its formatted-but-empty rows go. A cell far below the table
  (XFD1048576 holding ``x``) is a row, and the million blank rows above it are rows too:
  that is what the sheet holds, Excel's CSV export and other readers give the same rows,
  and results pasted beside the sheet must line up. They are made only then, as plain
  blank rows (about half a microsecond each), and a note names the far cell so the
  analyst can delete it if it is a stray.
* A formula cell Excel never calculated (no cached value) keeps its formula as text
  (:attr:`Row.uncalculated` says which); a *text* cell holding one marks its row as an
  error, its text cannot be known (see :meth:`Row.error_for`), while other columns (an
  amount) just keep the formula text.
"""

from __future__ import annotations

import io
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import IO, Any

from ..errors import InputFileError
from ..textutil import plural
from .columns import KNOWN_COLUMN_KEYS
from .header import layout_header, one_line, peek_rows
from .records import MAIN_SHEET, InputTable, Row

# What a damaged .xlsx can raise from inside zipfile and openpyxl.
XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    SyntaxError,
    KeyError,
    OSError,
    ValueError,
    EOFError,
    TypeError,
    AttributeError,
    IndexError,
    NotImplementedError,  # zip members packed with Deflate64, patch data
    RuntimeError,  # zip members flagged as encrypted
)
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LONG_GAP = 1000  # empty rows in a row worth a note (a stray cell far below the table)


def _blank(values: tuple) -> bool:
    """No cell holds anything (a cell holding a space is a cell: Excel keeps its row)."""
    return not any(v is not None and v != "" for v in values)


def _visible(value: Any) -> bool:
    """A cell a reader would see something in (not empty, not only blanks)."""
    return value is not None and bool(str(value).strip())


def _choose_sheet(wb: Any, sheet: str | None, path: str) -> tuple[Any, list[str]]:
    names = wb.sheetnames
    notes: list[str] = []
    if sheet is not None:
        if sheet in names:
            return wb[sheet], notes
        if sheet.isdigit() and 1 <= int(sheet) <= len(names):
            return wb[names[int(sheet) - 1]], notes
        raise InputFileError(f"{path}: no sheet {sheet!r}; the sheets are: {', '.join(names)}")
    visible = [n for n in names if getattr(wb[n], "sheet_state", "visible") == "visible"]
    active = wb.active
    if MAIN_SHEET in names:
        # One of classify's workbooks, saved with its labels or summary sheet in front.
        ws = wb[MAIN_SHEET]
    elif active is not None and getattr(active, "sheet_state", "visible") == "visible":
        ws = active
    else:
        ws = wb[(visible or names)[0]]
    if len(names) > 1:
        hidden = len(names) - len(visible)
        notes.append(
            f"read sheet {ws.title!r} (the file has {len(names)}: {', '.join(names)}"
            + (f"; {hidden} hidden" if hidden else "")
            + "; choose with --sheet)"
        )
    return ws, notes


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the file holds a formula (a quick look at its XML)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return any(
            b"<f" in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")
        )


@dataclass
class _SheetFacts:
    """What the sheet's XML says besides the values, known once its rows are read."""

    merged: list[str] = field(default_factory=list)  # merged ranges (after the rows)
    hidden: set[int] = field(default_factory=set)  # rows hidden or filtered out


def _sheet_rows(ws: Any, facts: _SheetFacts | None = None) -> Iterator[tuple[int, tuple]]:
    """``(Excel row number, values)`` of each row the sheet's XML holds, in file order.

    Rows the file leaves out are skipped here at no cost (openpyxl's own iterator yields an
    empty row for each missing one: a million below a stray corner cell). A repeated or
    decreasing row number (a damaged file) is taken as the next row, so no row is lost.
    """
    try:
        from openpyxl.worksheet._reader import WorkSheetParser

        book, strings, get_row, open_source = (
            ws.parent,
            ws._shared_strings,
            ws._get_row,
            ws._get_source,
        )
        options = {
            "data_only": book.data_only,
            "epoch": book.epoch,
            "date_formats": book._date_formats,
            "timedelta_formats": book._timedelta_formats,
        }
    except (ImportError, AttributeError):  # another openpyxl: its public iterator
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, _dates(values)
        return
    with open_source() as src:
        last = 0
        parser = WorkSheetParser(src, strings, **options)
        dimensions = getattr(parser, "row_dimensions", {})  # a row's attributes, if any
        for idx, cells in parser.parse():
            last = max(idx, last + 1)
            if facts is not None and dimensions.get(str(idx), {}).get("hidden") in ("1", "true"):
                facts.hidden.add(last)
            yield last, _dates(get_row(cells, values_only=True))
    # The sheet's merged ranges come after its rows in the file: known once all are read.
    ranges = getattr(getattr(parser, "merged_cells", None), "mergeCell", None) or []
    if facts is not None:
        facts.merged.extend(str(r.ref) for r in ranges)


def _hidden_note(path: str, shown: list[int]) -> list[str]:
    """A note when data rows with values are hidden (by hand or by a filter): they are read
    and classified like any row, which a hidden 小計 row or a filtered-out programme may not
    be meant to be."""
    if not shown:
        return []
    return [
        f"{path}: {plural(len(shown), 'hidden row')} (first row {shown[0]}) "
        f"{'is' if len(shown) == 1 else 'are'} classified like the others, as every row "
        "is; a hidden subtotal (小計) or a row a filter hides comes back in the output too"
    ]


def _merged_note(path: str, header: list[str], merged: list[str], top: int) -> list[str]:
    """A note when merged cells span data rows: Excel keeps the value in the top-left cell
    only, so the rows below read that column as empty (a 事業名 merged over a programme's
    rows names only its first row)."""
    from openpyxl.utils.cell import get_column_letter, range_boundaries

    spans = []
    for ref in merged:
        try:
            min_col, min_row, _, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if min_row is not None and max_row is not None and max_row > min_row > top:
            spans.append((min_row, min_col or 1, ref))
    if not spans:
        return []
    _, col, ref = min(spans)
    name = header[col - 1] if col - 1 < len(header) else get_column_letter(col)
    return [
        f"{path}: {plural(len(spans), 'merged cell')} {'spans' if len(spans) == 1 else 'span'} "
        f"data rows (first {ref}, "
        f"{one_line(name)}): Excel keeps a merged cell's value in its first row only, so the "
        "rows below read that column as empty; unmerge and fill them down if the value "
        "belongs to each row"
    ]


def _dates(values: tuple) -> tuple:
    """A date cell as a date: openpyxl reads 2024/4/1 as a datetime at midnight, which
    would come back as ``2024-04-01 00:00:00`` (and a time format in Excel output)."""
    if not any(v.__class__ is datetime for v in values):
        return values
    return tuple(
        v.date() if v.__class__ is datetime and v.time() == time() and v.tzinfo is None else v
        for v in values
    )


class _Formulas:
    """The formula workbook's row for each Excel row asked for (in increasing order)."""

    def __init__(self, rows: Iterator[tuple[int, tuple]] | None) -> None:
        self._rows = rows
        self._next: tuple[int, tuple] | None = next(rows, None) if rows is not None else None

    def __call__(self, idx: int) -> tuple:
        while self._next is not None and self._next[0] < idx:
            assert self._rows is not None
            self._next = next(self._rows, None)
        return self._next[1] if self._next is not None and self._next[0] == idx else ()


def _blank_rows(first: int, stop: int, top: int, width: int, held: list[Row]) -> Iterator[Row]:
    """Excel rows ``first`` to ``stop - 1`` as blank rows: those held as read, the others
    (not in the file at all) made here."""
    line = first
    for row in held:
        for n in range(line, row.line):
            yield Row(n - top, [None] * width, None, None, n)
        yield row
        line = row.line + 1
    for n in range(line, stop):
        yield Row(n - top, [None] * width, None, None, n)


def _gap_note(path: str, first: int, stop: int, values: tuple) -> str:
    from openpyxl.utils import get_column_letter

    filled = [i for i, v in enumerate(values, 1) if _visible(v)]
    where = f" ({get_column_letter(filled[0])}{stop})" if filled else ""
    return (
        f"{path}: rows {first:,}–{stop - 1:,} are empty and kept as rows, "
        f"because row {stop:,}{where} below them holds something; if that is a stray "
        f"cell, delete it in Excel and save"
    )


def open_xlsx(
    binary: IO[bytes], path: str, sheet: str | None, header_row: int | None
) -> InputTable:
    from openpyxl import load_workbook

    data = binary.read()
    binary.close()
    if data[:8] == _CFB:
        raise InputFileError(
            f"{path}: the workbook is password-protected (encrypted) or an old .xls file; "
            f"open it in Excel, remove the password (File > Info > Protect Workbook) or save "
            f"it as .xlsx, and try again"
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = (
            load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            if _has_formulas(data)
            else None
        )
    except XLSX_ERRORS as exc:
        raise InputFileError(
            f"{path}: not a readable Excel .xlsx file (damaged or truncated?): {exc}"
        ) from exc
    ws, notes = _choose_sheet(wb, sheet, path)
    if not hasattr(ws, "iter_rows"):
        raise InputFileError(
            f"{path}: sheet {ws.title!r} is a chart, not a table; choose another with --sheet"
        )
    ws.reset_dimensions()  # never trust the declared size
    facts = _SheetFacts()  # merged ranges and hidden rows, once every row is read
    values_it = _sheet_rows(ws, facts)
    # The first rows, for the header: position k is Excel row k + 1 (gaps filled).
    head: list[tuple[tuple, tuple]] = []
    beyond: list[tuple[int, tuple]] = []  # the row read past the head, if any
    try:
        formula_for = _Formulas(_sheet_rows(formulas[ws.title]) if formulas else None)
        for idx, values in values_it:
            if idx > peek_rows(header_row):
                beyond.append((idx, values))
                break
            head.extend(((), ()) for _ in range(len(head), idx - 1))
            head.append((values, formula_for(idx)))
    except XLSX_ERRORS as exc:
        raise InputFileError(f"{path}: the sheet cannot be read (damaged file?): {exc}") from exc
    if not head or not any(_visible(x) for v, _ in head for x in v):
        raise InputFileError(f"{path}: sheet {ws.title!r} is empty")
    layout = layout_header(path, [list(v) for v, _ in head], header_row, KNOWN_COLUMN_KEYS)
    at, header = layout.at, layout.names
    notes += layout.notes
    width = len(header)
    top = layout.first  # the header's (last) row, as Excel numbers it

    def source() -> Iterator[tuple[int, tuple, tuple]]:
        for k in range(top, len(head)):
            yield k + 1, *head[k]
        for idx, values in itertools.chain(beyond, values_it):
            yield idx, values, formula_for(idx)

    def rows() -> Iterator[Row]:
        done = top  # the last Excel row emitted (or the header)
        held: list[Row] = []  # blank rows holding empty strings, until shown not trailing
        hidden: list[int] = []  # hidden data rows with values
        try:
            for idx, values, formula in source():
                cells = list(values[:width]) + [None] * (width - len(values))
                uncalculated: tuple[int, ...] = ()
                for i, f in enumerate(formula[:width]):
                    if cells[i] is None and isinstance(f, str) and f.startswith("="):
                        cells[i] = f  # never calculated: keep the formula, not nothing
                        uncalculated += (i,)
                error = None
                extra = [v for v in values[width:] if _visible(v)]
                if extra:
                    error = f"row has {plural(len(extra), 'value')} beyond the header"
                if error is None and not uncalculated and _blank(values):
                    if any(v is not None for v in values):
                        held.append(Row(idx - top, cells, line=idx))
                    continue  # a row of nothing at all is a gap, counted, not kept
                if idx - done > _LONG_GAP:
                    notes.append(_gap_note(path, done + 1, idx, values))
                yield from _blank_rows(done + 1, idx, top, width, held)
                held = []
                done = idx
                if idx in facts.hidden:  # known for the rows read so far
                    hidden.append(idx)
                yield Row(idx - top, cells, error, line=idx, uncalculated=uncalculated)
            notes.extend(_merged_note(path, header, facts.merged, top))
            notes.extend(_hidden_note(path, hidden))
        except XLSX_ERRORS as exc:
            raise InputFileError(f"{path}: the sheet is damaged after row {done}: {exc}") from exc
        finally:
            wb.close()
            if formulas is not None:
                formulas.close()

    return InputTable(
        path, "xlsx", header, None, rows(), sheet=ws.title, notes=notes, header_line=at + 1
    )
