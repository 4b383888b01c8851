"""Reading tables: CSV/TSV (UTF-8, UTF-8 BOM, CP932), XLSX, JSONL, and any of them inside a
``.zip`` that holds just that one file (as the review-sheet site ships them).

One reader per format, used by every command (requests, labelled files, review sheets,
crosswalks, thesaurus, summary map). Inputs are streamed in chunks of rows so a file of
any length is processed in bounded memory. Every input row comes out exactly once, in
order, with its original cells untouched (CSV cells stay strings, Excel cells keep their
types), blank rows included; a row that cannot be read properly (too many fields, not
JSON, bytes that are not text) is still emitted, with a row error that the classifier
turns into ``status = error: …``.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
import zipfile
from pathlib import Path
from typing import IO

from ..errors import InputFileError
from .records import CHUNK_ROWS, InputTable, Row

__all__ = [
    "CHUNK_ROWS",
    "FORMATS",
    "InputTable",
    "Row",
    "check_encoding",
    "detect_format",
    "open_table",
    "sheet_names",
]

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
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE container: old .xls, or an encrypted .xlsx


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
    if fmt is None and Path(path).is_dir():
        raise InputFileError(f"{path}: is a folder, not a file")
    if fmt is None:
        raise InputFileError(
            f"{path}: cannot tell the format from the name; use .csv, .tsv, .xlsx or .jsonl "
            f"(or --format)"
        )
    return fmt


def suffix_format(path: str) -> str | None:
    """The format a file name's suffix names (``None``: it names none)."""
    return _SUFFIX_FORMAT.get(Path(path).suffix.lower())


def check_encoding(name: str) -> str:
    """``name`` if Python knows the encoding (as text), else a clear error."""
    try:
        info = codecs.lookup(name)
    except LookupError as exc:
        raise InputFileError(f"unknown encoding {name!r} (try utf-8, utf-8-sig or cp932)") from exc
    if not getattr(info, "_is_text_encoding", True):
        raise InputFileError(f"{name!r} is not a text encoding (try utf-8, utf-8-sig or cp932)")
    return name


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return io.BytesIO(sys.stdin.buffer.read())
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{path}: no such file")
    if p.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file")
    try:
        return open(p, "rb")
    except PermissionError as exc:
        raise InputFileError(f"{path}: cannot be read (permission denied)") from exc


def is_zip(path: str) -> bool:
    return path != "-" and Path(path).suffix.lower() == ".zip"


# The RS download's largest file unpacks to about 12 MB.
MAX_ZIP_MEMBER_BYTES = 1 << 30


def _zip_member(path: str) -> tuple[IO[bytes], str]:
    """The one table file inside a zip (beside any documents), opened, and its name."""
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
    # A table beside documents (a readme.txt or a PDF explaining the columns) is the one
    # meant; .txt is left out of the tables here, as a zipped one is a readme more often.
    tables = [n for n in names if Path(n).suffix.lower() in _SUFFIX_FORMAT.keys() - {".txt"}]
    if len(names) != 1 and len(tables) == 1:
        names = tables
    if len(names) != 1:
        listed = ", ".join(names[:10]) if names else "nothing"
        raise InputFileError(
            f"{path}: a .zip is read when it holds exactly one table file; this one holds "
            f"{len(names)} ({listed}). Unzip it and give the table file itself"
        )
    size = zf.getinfo(names[0]).file_size
    if size > MAX_ZIP_MEMBER_BYTES:
        # Read whole into memory (below); a file this size is read from disk instead.
        raise InputFileError(
            f"{path}: {names[0]} unpacks to {size:,} bytes, more than is read from inside a "
            f"zip ({MAX_ZIP_MEMBER_BYTES:,}); unzip it and give the table file itself"
        )
    try:
        data = zf.read(names[0])  # whole: encoding detection and Excel both need to seek
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise InputFileError(f"{path}: {names[0]} cannot be read from the zip ({exc})") from exc
    finally:
        zf.close()
    return io.BytesIO(data), names[0]


def sheet_names(path: str) -> list[str]:
    """The sheets of a workbook (one inside a .zip too), in order; none for a text table
    or a file that is no workbook (opening it says why)."""
    binary, name = _zip_member(path) if is_zip(path) else (_open_binary(path), path)
    try:
        if detect_format(name) != "xlsx":
            return []
        from openpyxl import load_workbook

        wb = load_workbook(binary, read_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return []
    finally:
        binary.close()


def _looks_like_text(binary: IO[bytes]) -> bool:
    """Whether a file's first 4 KB read as text (UTF-8, CP932 or UTF-16 with its mark)."""
    binary.seek(0)
    sample = binary.read(4096)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8", "cp932"):
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 3:  # a character cut at the end of the sample
                return True
    return False


def open_table(
    path: str,
    fmt: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
) -> InputTable:
    """Open a table for streaming. Raises :class:`InputFileError` with a clear message.

    A ``.zip`` holding one table file is read as that file (its format from its name).
    ``header_row`` (1-based, as Excel numbers rows) overrides header detection.
    """
    from .delimited import open_delimited
    from .excel import open_xlsx
    from .jsonl import open_jsonl

    if encoding:
        check_encoding(encoding)
    if is_zip(path):
        binary, member = _zip_member(path)
        fmt = detect_format(member, fmt)
        shown = f"{path} ({member})"
    else:
        if path != "-" and not os.path.exists(path):  # said before a name is judged
            raise InputFileError(f"{path}: no such file")
        fmt = detect_format(path, fmt)
        binary, shown = _open_binary(path), path
    head = binary.read(8)
    if fmt != "xlsx" and head == _CFB:
        binary.close()
        raise InputFileError(
            f"{path}: this is an Excel file (or a password-protected one), not {fmt.upper()} "
            f"text; save it from Excel as .xlsx or CSV"
        )
    # A file named for another format than it holds: say which it is.
    if fmt != "xlsx" and head.startswith(b"PK\x03\x04"):
        binary.close()
        raise InputFileError(
            f"{path}: this is an Excel workbook (or another zip file), not {fmt.upper()} "
            f"text; name it .xlsx, or pass --format xlsx"
        )
    if fmt == "xlsx" and head and not head.startswith((b"PK", _CFB)) and _looks_like_text(binary):
        binary.close()
        raise InputFileError(
            f"{path}: this is a text file, not an Excel workbook; name it .csv (or .tsv, "
            f".jsonl), or pass --format csv"
        )
    binary.seek(0)
    if fmt in ("csv", "tsv"):
        return open_delimited(binary, shown, fmt, encoding, header_row)
    if fmt == "xlsx":
        return open_xlsx(binary, shown, sheet, header_row)
    return open_jsonl(binary, shown, encoding)
