"""Which encoding a text file is in: UTF-8 (with or without BOM), UTF-16 with BOM, CP932.

A file that is UTF-8 except for a few stray bytes (a cell pasted from a CP932 file) is read
as UTF-8, the bad bytes shown as U+FFFD and their rows marked as errors; it is never
decoded whole as CP932, which would turn every Japanese character into mojibake.
"""

from __future__ import annotations

import codecs
from typing import IO

from ..errors import InputFileError

REPLACEMENT = "\ufffd"
# At most one bad byte sequence per this many good non-ASCII characters: mostly UTF-8.
_MOSTLY = 20


def _utf8_counts(data: bytes) -> tuple[int, int]:
    """(good non-ASCII characters, bad byte sequences) when ``data`` is read as UTF-8."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count(REPLACEMENT) - data.decode("utf-8", errors="ignore").count(REPLACEMENT)
    good = sum(1 for ch in text if ord(ch) > 127) - text.count(REPLACEMENT)
    return good, bad


def detect_encoding(stream: IO[bytes]) -> tuple[str, str]:
    """``(encoding, errors)`` for reading ``stream`` (which is left at its start)."""
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "strict"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    data = stream.read()
    stream.seek(0)
    try:
        data.decode("utf-8")
        return "utf-8", "strict"
    except UnicodeDecodeError:
        pass
    if data[:200].count(b"\x00") > 20:
        raise InputFileError(
            "the file looks like UTF-16 without a byte-order mark; save it from Excel as "
            "'CSV UTF-8', or name the encoding with --encoding utf-16-le (or utf-16-be)"
        )
    good, bad = _utf8_counts(data)
    if good >= _MOSTLY * bad:
        return "utf-8", "replace"
    try:
        data.decode("cp932")
        return "cp932", "strict"
    except UnicodeDecodeError:
        pass
    raise InputFileError(
        "the file is neither UTF-8 nor Shift_JIS (CP932); save it from Excel as "
        "'CSV UTF-8' or name the encoding with --encoding"
    )


def bad_bytes_error(errors: str, text: str) -> str | None:
    """The row error for text read with replacement characters standing for bad bytes."""
    if errors == "replace" and REPLACEMENT in text:
        return (
            "this row holds bytes that are not UTF-8 (shown as �), while the rest of the file "
            "is UTF-8; re-save the file as CSV UTF-8 from Excel"
        )
    return None
