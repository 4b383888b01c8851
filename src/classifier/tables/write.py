"""Writing results: CSV/TSV, XLSX and JSONL, to a temporary file renamed into place.

An interrupted run never leaves a partial file, and an existing output is replaced only
by a complete one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from ..errors import InputFileError
from .atomic import publish


def default_output_path(input_path: str, fmt: str) -> Path:
    """``requests.csv`` → ``requests.classified.csv`` beside the input."""
    p = Path(input_path)
    suffix = {"csv": ".csv", "tsv": ".tsv", "xlsx": ".xlsx", "jsonl": ".jsonl"}[fmt]
    return p.with_name(p.stem + ".classified" + suffix)


class TableWriter:
    """Writes rows to a temporary file; :meth:`commit` renames it into place.

    Used as a context manager: leaving the block by an exception (or Ctrl-C) deletes the
    temporary file, so no partial output is ever left behind.
    """

    def __init__(
        self, path: str | Path | None, fmt: str, columns: list[str], encoding: str = "utf-8-sig"
    ) -> None:
        self.path = None if path in (None, "-") else Path(path)
        self.fmt = fmt
        self.columns = columns
        self.encoding = encoding
        self._tmp: Path | None = None
        self._fh: IO[Any] | None = None
        self._writer: Any = None
        self._wb: Any = None
        self._ws: Any = None

    def __enter__(self) -> TableWriter:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
            )
            os.close(fd)
            self._tmp = Path(tmp)
        if self.fmt == "xlsx":
            from openpyxl import Workbook

            if self.path is None:
                raise InputFileError("Excel output cannot go to standard output; give -o FILE.xlsx")
            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet("classified")
            self._ws.append(self.columns)
            return self
        if self.path is None:
            self._fh = io.TextIOWrapper(
                sys.stdout.buffer,
                encoding="utf-8",
                newline="",
                write_through=True,
                errors="backslashreplace",
            )
        else:
            assert self._tmp is not None
            encoding = "utf-8" if self.fmt == "jsonl" else self.encoding
            # A character the output encoding cannot hold (a lone surrogate from a JSON
            # escape, an emoji in CP932) is written as a visible \\uXXXX escape.
            self._fh = open(
                self._tmp, "w", encoding=encoding, newline="", errors="backslashreplace"
            )
        if self.fmt in ("csv", "tsv"):
            self._writer = csv.writer(
                self._fh, delimiter="\t" if self.fmt == "tsv" else ",", lineterminator="\r\n"
            )
            self._writer.writerow(self.columns)
        return self

    def write(self, cells: list[Any], obj: dict | None = None) -> None:
        if self.fmt == "xlsx":
            self._ws.append([self._excel_cell(c) for c in cells])
        elif self.fmt == "jsonl":
            assert self._fh is not None
            record = obj if obj is not None else dict(zip(self.columns, cells, strict=True))
            self._fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        else:
            try:  # the csv module writes None as an empty cell
                self._writer.writerow(cells)
            except ValueError:  # an integer over Python's str() digit limit
                self._writer.writerow([_csv_cell(c) for c in cells])

    def write_rows(self, rows: list[list[Any]]) -> None:
        """Write several rows (CSV, TSV or Excel) in one call."""
        if self.fmt not in ("csv", "tsv"):
            for cells in rows:
                self.write(cells)
            return
        # An integer cell over Python's str() digit guard is still written out in full; the
        # guard is lifted for the call rather than checking every cell.
        limit = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            self._writer.writerows(rows)
        finally:
            sys.set_int_max_str_digits(limit)

    def _excel_cell(self, value: Any) -> Any:
        value = _excel_safe(value)
        if isinstance(value, str) and value.startswith("="):
            # Text that looks like a formula must stay text, never be evaluated by Excel.
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(self._ws, value=value)
            cell.data_type = "s"
            return cell
        return value

    def add_sheet(self, name: str, header: list[str], rows: list[list[Any]]) -> None:
        """Excel output only: append another sheet (e.g. the list of valid labels)."""
        ws = self._wb.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append([_excel_safe(c) for c in row])

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._finish()
            elif self._wb is not None:
                self._abandon_workbook()
        finally:
            if self._fh is not None and self.path is not None and not self._fh.closed:
                self._fh.close()
            if self._tmp is not None and self._tmp.exists():
                self._tmp.unlink()

    def _abandon_workbook(self) -> None:
        # Close each write-only sheet's row stream now; left to the garbage collector it
        # would write to a closed file and print a traceback after the run has ended.
        for ws in self._wb.worksheets:
            with contextlib.suppress(Exception):  # the workbook is being thrown away
                ws.close()

    def _finish(self) -> None:
        if self.fmt == "xlsx":
            assert self._tmp is not None
            self._wb.save(self._tmp)
        elif self._fh is not None:
            if self.path is None:
                self._fh.flush()
                assert isinstance(self._fh, io.TextIOWrapper)
                self._fh.detach()  # leave standard output open for whoever comes next
                self._fh = None
            else:
                self._fh.close()
        if self.path is not None and self._tmp is not None:
            publish(self._tmp, self.path)


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _excel_safe(value: Any) -> Any:
    # XML (and so .xlsx) cannot hold control characters, lone surrogates or U+FFFE/FFFF;
    # an analyst's export may contain them. A formula-looking text stays text.
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # over Python's 4,300-digit guard: write it out anyway
            limit = sys.get_int_max_str_digits()
            sys.set_int_max_str_digits(0)
            try:
                return str(value)
            finally:
                sys.set_int_max_str_digits(limit)
    return value
