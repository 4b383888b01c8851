"""Writing results: CSV/TSV, XLSX and JSONL, to a temporary file renamed into place.

An interrupted or failed run (Ctrl-C, SIGTERM, a full disk) never leaves a partial file,
and an existing output is replaced only by a complete one. As Excel users open them:

* CSV cells Excel would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or CR,
  and not a plain number) get a leading ``'``, which Excel shows as text
  (``formula_guard=False`` writes them verbatim);
* a character the output encoding cannot hold stops the run, naming the row and the
  character, or with ``errors="replace"`` is written as 〓 and counted;
* XLSX output has a frozen header row, a filter and column widths, is byte-identical from
  run to run, and refuses more rows than Excel can show.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import io
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from ..errors import InputFileError, OutputFileError
from ..textutil import display_width
from .atomic import publish
from .cells import GETA, Replacements, csv_cell, excel_safe, plain
from .guard import check_regular
from .records import MAIN_SHEET
from .xlsx_save import save_workbook

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CHARS = 32_767  # in one cell; Excel holds no more
EXCEL_MAX_COLUMNS = 16_384  # A to XFD
# Columns worth a wide cell in Excel output (their text is long).
WIDE = (
    "text",
    "事業名",
    "事業概要",
    "事業の目的",
    "現状・課題",
    "事業の概要",
    "evidence",
    "heading",
)


def default_output_path(input_path: str, fmt: str) -> Path:
    """``requests.csv`` → ``requests.classified.csv`` beside the input."""
    p = Path(input_path)
    suffix = {"csv": ".csv", "tsv": ".tsv", "xlsx": ".xlsx", "jsonl": ".jsonl"}[fmt]
    return p.with_name(p.stem + ".classified" + suffix)


class TableWriter:
    """Writes rows to a temporary file beside the target, renamed into place at the end.

    Used as a context manager: leaving the block by an exception (Ctrl-C, SIGTERM, a
    full disk) deletes the temporary file, so no partial output is ever left behind.
    """

    def __init__(
        self,
        path: str | Path | None,
        fmt: str,
        columns: list[str],
        encoding: str = "utf-8-sig",
        errors: str = "strict",
        formula_guard: bool = True,
        sheet: str = MAIN_SHEET,
        source: str | None = None,
        number_formats: Mapping[str, str] | None = None,
    ) -> None:
        self.path = None if path in (None, "-") else Path(path)
        self.source = source  # the input the rows come from, named in row messages
        self.fmt = fmt
        self.columns = columns
        self.encoding = "utf-8" if fmt == "jsonl" else encoding
        self.formula_guard = formula_guard and fmt in ("csv", "tsv")
        self.sheet = sheet
        # XLSX: (column index, Excel's number format) of the main sheet's numbers, once.
        self._main_formats = self._formats(columns, number_formats or {})
        self.replaced = Replacements(self.encoding)
        self.cut_cells = 0  # XLSX cells cut to EXCEL_MAX_CHARS (classify says how many)
        # UTF-8 holds every character; only lone surrogates (from a JSON escape) cannot be
        # written, and their \\uXXXX escape is lossless. Other encodings: as asked.
        utf8 = codecs.lookup(self.encoding).name.startswith("utf-8")
        self._errors = "backslashreplace" if utf8 else errors
        self._rows = 0
        self._header_rows = 0  # rows above the data (the header), for row numbers
        self._tmp: Path | None = None
        self._fh: IO[Any] | None = None
        self._writer: Any = None
        self._wb: Any = None
        self._ws: Any = None

    # ------------------------------------------------------------------ opening

    def __enter__(self) -> TableWriter:
        if self.fmt == "xlsx" and len(self.columns) > EXCEL_MAX_COLUMNS:
            raise OutputFileError(
                f"{self.path}: Excel shows at most {EXCEL_MAX_COLUMNS:,} columns and this output "
                f"has {len(self.columns):,} (the input's and classify's); write CSV "
                "(-o FILE.csv) for this many"
            )
        try:
            return self._open()
        except BaseException:
            # __exit__ does not run when entering fails: the temporary file goes here.
            if self._tmp is not None:
                if self._fh is not None:
                    self._fh.close()
                self._tmp.unlink(missing_ok=True)
            raise

    def _open(self) -> TableWriter:
        if self.path is not None:
            check_regular(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(
                    prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
                )
            except PermissionError as exc:
                raise OutputFileError(
                    f"{self.path}: cannot write in {self.path.parent} (permission denied); "
                    f"choose another place with -o"
                ) from exc
            except OSError as exc:
                raise self._write_error(exc) from exc
            os.close(fd)
            self._tmp = Path(tmp)
        if self.fmt == "xlsx":
            self._open_workbook()
            return self
        handler_name = f"classifier-replace-{id(self)}"
        codecs.register_error(handler_name, self.replaced)
        errors = handler_name if self._errors == "replace" else self._errors
        if self.path is None:
            # A pipe gets no byte-order mark (the next program reads UTF-8 as it is).
            self._fh = io.TextIOWrapper(
                sys.stdout.buffer,
                encoding="utf-8" if self.encoding == "utf-8-sig" else self.encoding,
                newline="",
                write_through=True,
                errors=errors,
            )
        else:
            assert self._tmp is not None
            # Closed by __exit__ (or by __enter__ when opening fails): it outlives this call.
            self._fh = open(  # noqa: SIM115
                self._tmp, "w", encoding=self.encoding, newline="", errors=errors
            )
        if self.fmt in ("csv", "tsv"):
            self._writer = csv.writer(
                self._fh, delimiter="\t" if self.fmt == "tsv" else ",", lineterminator="\r\n"
            )
            self.write(list(self.columns))
            self._rows, self._header_rows = 0, 1
        return self

    def _open_workbook(self) -> None:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        if self.path is None:
            raise InputFileError("Excel output cannot go to standard output; give -o FILE.xlsx")
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet(self.sheet)
        for i, name in enumerate(self.columns, start=1):
            width = 40 if any(w in name for w in WIDE) else min(30, display_width(name) + 2)
            self._ws.column_dimensions[get_column_letter(i)].width = max(8, width)
        self._ws.freeze_panes = "A2"
        # The header is the input's own (a column named =HYPERLINK(…) is text too).
        self._ws.append([self._excel_cell(c) for c in self.columns])
        self._header_rows = 1

    # ------------------------------------------------------------------ writing

    def write(self, cells: list[Any], obj: dict | None = None) -> None:
        self.write_rows([cells], None if obj is None else [obj])

    def write_rows(
        self,
        rows: list[list[Any]],
        objs: list[dict] | None = None,
        lines: list[int] | None = None,
    ) -> None:
        """Write rows (JSONL: the ``objs`` as records, or the rows under the columns).

        ``lines`` are the rows' places in :attr:`source` (as Excel numbers rows), named by
        a message about a row; without them a message names the output's row.
        """
        try:
            self._write_rows(rows, objs)
        except UnicodeEncodeError as exc:
            self._encoding_error(rows, exc, lines)
        except BrokenPipeError:
            raise  # the reader of standard output left (`| head`): the CLI ends quietly
        except OSError as exc:
            raise self._write_error(exc) from exc

    def _write_rows(self, rows: list[list[Any]], objs: list[dict] | None) -> None:
        self._rows += len(rows)
        if self.fmt == "xlsx":
            if self._rows >= EXCEL_MAX_ROWS:
                raise OutputFileError(
                    f"{self.path}: Excel shows at most {EXCEL_MAX_ROWS:,} rows, header included; "
                    f"write CSV (-o FILE.csv) for this many"
                )
            for cells in rows:
                self._ws.append(self._excel_row(cells, self._main_formats))
            return
        assert self._fh is not None
        if self.fmt == "jsonl":
            records = objs or [dict(zip(self.columns, c, strict=True)) for c in rows]
            self._fh.write(
                "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
            )
            return
        if self.formula_guard:
            rows = [[csv_cell(c) for c in cells] for cells in rows]
        else:
            rows = [[plain(c) for c in cells] for cells in rows]
        # An integer cell over Python's str() digit guard is still written out in full; the
        # guard is lifted for the call rather than checking every cell.
        limit = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            self._writer.writerows(rows)
        finally:
            sys.set_int_max_str_digits(limit)

    def _encoding_error(
        self, rows: list[list[Any]], exc: UnicodeEncodeError, lines: list[int] | None = None
    ) -> None:
        bad = exc.object[exc.start : exc.end]
        target = self.path or "standard output"
        where, into = f"{target}: ", ""
        for k, cells in enumerate(rows):
            if any(isinstance(c, str) and bad in c for c in cells):
                if lines is not None and self.source is not None:
                    # The input's row, as label warnings name rows: that is what to fix.
                    where, into = f"{self.source} row {lines[k]}: ", f" to {target}"
                else:
                    where = f"{target} row {self._header_rows + self._rows - len(rows) + k + 1}: "
                break
        raise OutputFileError(
            f"{where}the character {bad[:1]!r} (U+{ord(bad[0]):04X}) cannot be written in "
            f"{self.encoding}{into}; write UTF-8 (the default), or add --output-errors "
            f"replace to write {GETA} for such characters"
        ) from None

    def _write_error(self, exc: OSError) -> OutputFileError:
        target = self.path or "standard output"
        if exc.errno == errno.ENOSPC:
            return OutputFileError(
                f"{target}: the disk is full; nothing was written (the previous file, if any, "
                f"is untouched). Free some space or write elsewhere with -o"
            )
        return OutputFileError(f"{target}: cannot be written ({exc.strerror or exc})")

    @staticmethod
    def _formats(header: list[str], formats: Mapping[str, str]) -> list[tuple[int, str]]:
        return [(i, formats[c]) for i, c in enumerate(header) if c in formats]

    def _excel_row(self, cells: list[Any], formats: list[tuple[int, str]], ws: Any = None) -> list:
        out = [self._excel_cell(c, ws) for c in cells]
        for i, number_format in formats:
            if isinstance(out[i], int | float) and not isinstance(out[i], bool):
                from openpyxl.cell import WriteOnlyCell

                out[i] = WriteOnlyCell(ws or self._ws, value=out[i])
                out[i].number_format = number_format
        return out

    def _excel_cell(self, value: Any, ws: Any = None) -> Any:
        value = excel_safe(plain(value))
        if isinstance(value, str) and len(value) > EXCEL_MAX_CHARS:
            self.cut_cells += 1
            value = value[:EXCEL_MAX_CHARS]
        if isinstance(value, str) and value.startswith("="):
            # Text that looks like a formula must stay text, never be evaluated by Excel.
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(ws or self._ws, value=value)
            cell.data_type = "s"
            return cell
        return value

    def add_sheet(
        self,
        name: str,
        header: list[str],
        rows: list[list[Any]],
        validation: tuple[str, str] | None = None,
        number_formats: Mapping[str, str] | None = None,
    ) -> None:
        """Excel output only: append another sheet (e.g. the list of valid labels), its
        numbers in ``number_formats`` (column -> Excel's format).

        ``validation`` is ``(column of the main sheet, this sheet's column letter)``: that
        column of the main sheet gets a drop-down of this sheet's values (a suggestion:
        other entries, such as two labels, stay allowed).
        """
        ws = self._wb.create_sheet(name)
        ws.freeze_panes = "A2"
        ws.append([self._excel_cell(c, ws) for c in header])
        formats = self._formats(header, number_formats or {})
        for row in rows:
            ws.append(self._excel_row(row, formats, ws))
        if validation is not None:
            self._drop_down(name, len(rows), *validation)

    def _drop_down(self, sheet: str, n: int, column: str, source: str) -> None:
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.datavalidation import DataValidation

        letter = get_column_letter(self.columns.index(column) + 1)
        dv = DataValidation(
            type="list",
            formula1=f"='{sheet}'!${source}$2:${source}${n + 1}",
            allow_blank=True,
            showErrorMessage=False,
        )
        dv.add(f"{letter}2:{letter}{max(2, self._rows + 1)}")
        self._ws.data_validations.append(dv)

    # ------------------------------------------------------------------ closing

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                try:
                    self._finish()
                except OSError as error:
                    if isinstance(error, OutputFileError | BrokenPipeError):
                        raise
                    raise self._write_error(error) from error
                except UnicodeEncodeError as error:
                    self._encoding_error([], error)
            elif self._wb is not None:
                self._abandon_workbook()
        finally:
            if self._fh is not None and self.path is None:
                self._release_stdout()
            elif self._fh is not None and not self._fh.closed:
                with contextlib.suppress(OSError, UnicodeError):  # failing already
                    self._fh.close()
            if self._tmp is not None:
                self._tmp.unlink(missing_ok=True)

    def _release_stdout(self) -> None:
        # Leave standard output open for whoever comes next: detached, the wrapper no
        # longer closes it when collected. After a failed write (a closed pipe) its
        # flush fails again; the bytes are dropped, as the reader is gone.
        assert isinstance(self._fh, io.TextIOWrapper)
        with contextlib.suppress(OSError, ValueError):
            self._fh.detach()
        self._fh = None

    def _abandon_workbook(self) -> None:
        # Close each write-only sheet's row stream now; left to the garbage collector it
        # would write to a closed file and print a traceback after the run has ended.
        for ws in self._wb.worksheets:
            with contextlib.suppress(Exception):  # the workbook is being thrown away
                ws.close()

    def _finish(self) -> None:
        if self.fmt == "xlsx":
            from openpyxl.utils import get_column_letter

            assert self._tmp is not None
            last = get_column_letter(max(1, len(self.columns)))
            self._ws.auto_filter.ref = f"A1:{last}{self._rows + 1}"
            try:
                save_workbook(self._wb, self._tmp)
            except BaseException:
                self._abandon_workbook()
                raise
        elif self._fh is not None:
            if self.path is None:
                self._fh.flush()  # and standard output's buffer: a closed pipe shows here
                self._release_stdout()
            else:
                self._fh.close()
        if self.path is not None and self._tmp is not None:
            check_regular(self.path)  # it may have appeared while we were writing
            publish(self._tmp, self.path)
