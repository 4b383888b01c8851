"""XLSX as Excel (and other tools) write it.

* The sheet read is the one named (``--sheet``), else the workbook's active sheet if it is
  visible, else the first visible one: never a hidden sheet by default.
* The ``<dimension>`` a file declares is not trusted (many tools write a stale one; a stray
  corner cell declares A1:XFD1048576): rows are read as the file holds them, so the work is
  proportional to the cells present.
* Blank rows between rows are rows (empty text); blank rows after the last one are not.
* A formula cell Excel never calculated (no cached value) keeps its formula as text, and
  a text cell holding one marks its row as an error: its text cannot be known.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

from ..errors import InputFileError
from .header import PEEK_ROWS, column_names, find_header
from .records import InputTable, Row

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


def _blank(values: tuple) -> bool:
    """No cell holds anything (a cell holding a space is a cell: Excel keeps its row)."""
    return not any(v is not None and v != "" for v in values)


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
    if active is not None and getattr(active, "sheet_state", "visible") == "visible":
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
    values_it = ws.iter_rows(values_only=True)
    formula_it: Iterator[tuple] | None = None
    if formulas is not None:
        fws = formulas[ws.title]
        fws.reset_dimensions()
        formula_it = fws.iter_rows(values_only=True)
    head: list[tuple[tuple, tuple]] = []
    try:
        for values in values_it:
            head.append((values, next(formula_it, ()) if formula_it else ()))
            if len(head) >= PEEK_ROWS:
                break
    except XLSX_ERRORS as exc:
        raise InputFileError(f"{path}: the sheet cannot be read (damaged file?): {exc}") from exc
    if not head or all(not any(str(x).strip() for x in v if x is not None) for v, _ in head):
        raise InputFileError(f"{path}: sheet {ws.title!r} is empty")
    try:
        at = find_header([list(v) for v, _ in head], header_row)
    except InputFileError as exc:
        raise InputFileError(f"{path}: {exc}") from None
    header = column_names(head[at][0])
    width = len(header)
    if at:
        notes.append(f"{path}: the header is row {at + 1}; the {at} row(s) above it were skipped")

    def rows() -> Iterator[Row]:
        number = 0
        blanks: list[Row] = []  # held until a non-blank row shows they are not trailing
        source = iter(head[at + 1 :])
        try:
            while True:
                try:
                    values, formula = next(source)
                except StopIteration:
                    values = next(values_it)
                    formula = next(formula_it, ()) if formula_it else ()
                number += 1
                cells = list(values[:width]) + [None] * (width - len(values))
                error = None
                for i, f in enumerate(formula[:width]):
                    if cells[i] is None and isinstance(f, str) and f.startswith("="):
                        cells[i] = f  # never calculated: keep the formula, not nothing
                        error = (
                            f"a cell holds a formula Excel has not calculated ({f[:40]}); "
                            f"open and save the file in Excel, or paste values"
                        )
                extra = [v for v in values[width:] if v is not None and str(v).strip()]
                if extra:
                    error = f"row has {len(extra)} values beyond the header"
                row = Row(number, cells, error, line=at + 1 + number)
                if error is None and _blank(values):
                    blanks.append(row)
                    continue
                yield from blanks
                blanks = []
                yield row
        except StopIteration:
            return
        except XLSX_ERRORS as exc:
            raise InputFileError(f"{path}: the sheet is damaged after row {number}: {exc}") from exc
        finally:
            wb.close()
            if formulas is not None:
                formulas.close()

    return InputTable(
        path, "xlsx", header, None, rows(), sheet=ws.title, notes=notes, header_line=at + 1
    )
