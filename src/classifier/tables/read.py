"""Reading request tables: CSV/TSV (UTF-8, UTF-8 BOM, CP932), XLSX, JSONL, and any of
them inside a ``.zip`` that holds just that one file (as the review-sheet site ships them).

Inputs are streamed in chunks of rows so a file of any length is processed in bounded
memory. Every input row comes out exactly once, in order, with its original cells
untouched (CSV cells stay strings, Excel cells keep their types). A row that cannot be
read (a CSV line with too many fields, a JSONL line that is not JSON) is still emitted,
with a row error that the classifier turns into ``status = error: …``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import InputFileError

FORMATS = ("csv", "tsv", "xlsx", "jsonl")
_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
CHUNK_ROWS = 2000
# What a damaged .xlsx can raise from inside zipfile and openpyxl.
_XLSX_ERRORS = (
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
# Request texts pasted from documents can be long; the csv module's default cap is 128 KB.
csv.field_size_limit(2**31 - 1)


@dataclass
class Row:
    """One input row: its original cells and, if it could not be read properly, why."""

    number: int  # 1-based data row number (header excluded)
    cells: list[Any]
    error: str | None = None
    extra: dict[str, Any] | None = None  # JSONL: the original object


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

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
        chunk: list[Row] = []
        for row in self.rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def detect_format(path: str, explicit: str | None = None) -> str:
    """The table format from ``--format`` or the file suffix (``-`` means CSV)."""
    if explicit:
        if explicit not in FORMATS:
            raise InputFileError(f"unknown format {explicit!r}; use one of {', '.join(FORMATS)}")
        return explicit
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix == ".xls":
        raise InputFileError(
            f"{path}: old Excel .xls files cannot be read; in Excel use 'Save As' → .xlsx or CSV"
        )
    fmt = _SUFFIX_FORMAT.get(suffix)
    if fmt is None:
        raise InputFileError(
            f"{path}: cannot tell the format from the name; use .csv, .tsv, .xlsx or .jsonl "
            f"(or --format)"
        )
    return fmt


def _detect_encoding(sample_stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) or CP932, checked over the whole stream."""
    head = sample_stream.read(4)
    sample_stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp932"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for block in iter(lambda: sample_stream.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
            sample_stream.seek(0)
            return encoding
        except UnicodeDecodeError:
            sample_stream.seek(0)
    raise InputFileError(
        "the file is neither UTF-8 nor Shift_JIS (CP932); save it from Excel as "
        "'CSV UTF-8' or name the encoding with --encoding"
    )


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return io.BytesIO(sys.stdin.buffer.read())
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{path}: no such file")
    if p.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file")
    return open(p, "rb")


def is_zip(path: str) -> bool:
    return path != "-" and Path(path).suffix.lower() == ".zip"


def _zip_member(path: str) -> tuple[IO[bytes], str]:
    """The one table file inside a zip, opened, and its name."""
    try:
        zf = zipfile.ZipFile(_open_binary(path))
        names = [
            i.filename
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not Path(i.filename).name.startswith(".")
        ]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputFileError(f"{path}: not a readable .zip file ({exc})") from exc
    if len(names) != 1:
        listed = ", ".join(names[:10]) if names else "nothing"
        raise InputFileError(
            f"{path}: a .zip is read when it holds exactly one table file; this one holds "
            f"{len(names)} ({listed}). Unzip it and name the file to classify"
        )
    try:
        data = zf.read(names[0])  # whole: encoding detection and Excel both need to seek
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise InputFileError(f"{path}: {names[0]} cannot be read from the zip ({exc})") from exc
    finally:
        zf.close()
    return io.BytesIO(data), names[0]


def check_encoding(name: str) -> str:
    """``name`` if Python knows the encoding, else a clear error."""
    try:
        codecs.lookup(name)
    except LookupError as exc:
        raise InputFileError(f"unknown encoding {name!r} (try utf-8, utf-8-sig or cp932)") from exc
    return name


def open_table(
    path: str, fmt: str | None = None, encoding: str | None = None, sheet: str | None = None
) -> InputTable:
    """Open a request table for streaming. Raises :class:`InputFileError` with a clear message.

    A ``.zip`` holding one table file is read as that file (its format from its name).
    """
    if encoding:
        check_encoding(encoding)
    if is_zip(path):
        binary, member = _zip_member(path)
        fmt = detect_format(member, fmt)
        shown = f"{path} ({member})"
    else:
        fmt = detect_format(path, fmt)
        binary, shown = _open_binary(path), path
    if fmt in ("csv", "tsv"):
        return _open_delimited(binary, shown, fmt, encoding)
    if fmt == "xlsx":
        return _open_xlsx(binary, shown, sheet)
    return _open_jsonl(binary, shown, encoding)


def _open_delimited(binary: IO[bytes], path: str, fmt: str, encoding: str | None) -> InputTable:
    used = encoding or _detect_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=used, errors="strict", newline="")
    reader = csv.reader(text, delimiter="\t" if fmt == "tsv" else ",")
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(
            f"{path}: cannot read the header row ({exc}); check --encoding"
        ) from exc
    if header is None or not any(h.strip() for h in header):
        raise InputFileError(f"{path}: the file is empty (no header row)")
    if fmt == "csv" and len(header) == 1 and "\t" in header[0]:
        raise InputFileError(f"{path}: this looks tab-separated; name it .tsv or use --format tsv")
    header = [h.lstrip("\ufeff").strip() for h in header]  # a BOM read as text (--encoding utf-8)
    width = len(header)

    def rows() -> Iterator[Row]:
        number = 0
        try:
            for cells in reader:
                if not cells:
                    continue  # a truly empty line is not a row (Excel never writes one)
                number += 1
                if len(cells) > width and any(c.strip() for c in cells[width:]):
                    yield Row(
                        number,
                        cells[:width],
                        error=f"row has {len(cells)} fields but the header has {width}",
                    )
                else:
                    yield Row(number, (cells + [""] * width)[:width])
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{path}: text is not valid {used} after row {number}; "
                f"name the encoding with --encoding"
            ) from exc
        except csv.Error as exc:
            raise InputFileError(f"{path}: broken CSV after row {number}: {exc}") from exc
        finally:
            binary.close()

    return InputTable(path, fmt, header, used, rows(), source=binary)


def _open_xlsx(binary: IO[bytes], path: str, sheet: str | None) -> InputTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(binary, read_only=True, data_only=True)
    except _XLSX_ERRORS as exc:
        raise InputFileError(
            f"{path}: not a readable Excel .xlsx file (damaged or truncated?): {exc}"
        ) from exc
    names = wb.sheetnames
    if sheet is None:
        ws = wb[names[0]]
    elif sheet in names:
        ws = wb[sheet]
    elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
        ws = wb[names[int(sheet) - 1]]
    else:
        raise InputFileError(f"{path}: no sheet {sheet!r}; the sheets are: {', '.join(names)}")
    if not hasattr(ws, "iter_rows"):
        raise InputFileError(
            f"{path}: sheet {ws.title!r} is a chart, not a table; choose another with --sheet"
        )
    it = ws.iter_rows(values_only=True)
    header: list[str] | None = None
    try:
        for values in it:
            if any(v is not None and str(v).strip() for v in values):
                header = ["" if v is None else str(v).strip() for v in values]
                break
    except _XLSX_ERRORS as exc:
        raise InputFileError(f"{path}: the sheet cannot be read (damaged file?): {exc}") from exc
    if header is None:
        raise InputFileError(f"{path}: sheet {ws.title!r} is empty")
    while header and not header[-1]:
        header.pop()
    header = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    width = len(header)
    notes = []
    if len(names) > 1 and sheet is None:
        notes.append(
            f"read sheet {ws.title!r} (the file has {len(names)}: {', '.join(names)}; "
            f"choose with --sheet)"
        )

    def rows() -> Iterator[Row]:
        number = 0
        try:
            for values in it:
                if not any(v is not None and str(v).strip() for v in values):
                    continue  # blank spreadsheet rows are layout, not requests
                number += 1
                cells = list(values[:width]) + [None] * (width - len(values))
                extra = [v for v in values[width:] if v is not None and str(v).strip()]
                yield Row(
                    number,
                    cells,
                    error=f"row has {len(extra)} values beyond the header" if extra else None,
                )
        except _XLSX_ERRORS as exc:
            raise InputFileError(f"{path}: the sheet is damaged after row {number}: {exc}") from exc
        finally:
            wb.close()
            binary.close()

    return InputTable(path, "xlsx", header, None, rows(), sheet=ws.title, notes=notes)


def _open_jsonl(binary: IO[bytes], path: str, encoding: str | None) -> InputTable:
    used = encoding or _detect_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=used, errors="strict", newline=None)
    lines = iter(text)
    first: dict | None = None
    pending: list[tuple[str, dict | None, str | None]] = []
    for line in lines:
        if not line.strip():
            continue
        obj, err = _json_object(line)
        pending.append((line, obj, err))
        if obj is not None:
            first = obj
            break
    if not pending:
        raise InputFileError(f"{path}: the file is empty")
    if first is None:
        raise InputFileError(f"{path}: no line is a JSON object; is this a .jsonl file?")
    columns = [str(k) for k in first]

    def rows() -> Iterator[Row]:
        number = 0
        try:
            for line, obj, err in _chain(pending, lines):
                number += 1
                if obj is None:
                    yield Row(
                        number, [None] * len(columns), error=err, extra={"_raw": line.rstrip("\n")}
                    )
                else:
                    yield Row(number, [obj.get(c) for c in columns], extra=obj)
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{path}: text is not valid {used} after line {number}") from exc
        finally:
            binary.close()

    return InputTable(path, "jsonl", columns, used, rows(), source=binary)


def _chain(pending, lines) -> Iterator[tuple[str, dict | None, str | None]]:
    yield from pending
    for line in lines:
        if line.strip():
            yield (line, *_json_object(line))


def _json_object(line: str) -> tuple[dict | None, str | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg})"
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, absurd nesting
        return None, f"not readable JSON ({type(exc).__name__})"
    if not isinstance(obj, dict):
        return None, "JSON line is not an object"
    return obj, None
