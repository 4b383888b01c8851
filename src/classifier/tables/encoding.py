"""Which encoding a text file is in: UTF-8 (with or without BOM), UTF-16 with BOM, CP932;
UTF-16 without a BOM is recognised and refused with the option that reads it.

A file that is UTF-8 except for a few stray bytes (a cell pasted from a CP932 file) is read
as UTF-8, the bad bytes shown as U+FFFD and their rows marked as errors; it is never
decoded whole as CP932, which would turn every Japanese character into mojibake.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import IO

from ..errors import InputFileError

REPLACEMENT = "\ufffd"
# At most one bad byte sequence per this many good non-ASCII characters: mostly UTF-8.
_MOSTLY = 20
_SAMPLE = 1 << 16  # bytes looked at to recognise UTF-16 without a byte-order mark
# Characters unlikely in a Japanese or English table: anything outside tab and line
# breaks, ASCII, Latin, Greek/Cyrillic, general punctuation to symbols, CJK punctuation
# and kana, enclosed/squared CJK and the CJK ideographs, compatibility ideographs and
# full/half-width forms. U+FFFD (a broken surrogate pair) is unlikely too.
_UNLIKELY = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u024f\u0370-\u04ff\u2000-\u2bff\u3000-\u30ff"
    "\u3200-\u9fff\uf900-\ufaff\uff00-\uffef]"
)


_CHUNK = 1 << 20  # bytes decoded at a time to check an encoding (the text is not kept)


def _decodes(chunks: Iterable[bytes | memoryview], encoding: str) -> bool:
    """Whether the bytes decode as ``encoding``, a chunk at a time: decoding a whole file
    of 60 MB at once held a str of four times its size (the peak memory of a run)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_counts(data: bytes) -> tuple[int, int]:
    """(good non-ASCII characters, bad byte sequences) when ``data`` is read as UTF-8."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count(REPLACEMENT) - data.decode("utf-8", errors="ignore").count(REPLACEMENT)
    good = sum(1 for ch in text if ord(ch) > 127) - text.count(REPLACEMENT)
    return good, bad


def _utf16_order(sample: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` if ``sample`` reads as UTF-16 text in that byte
    order, else None.

    Not by NUL bytes: only ASCII has them in UTF-16, and a Japanese table has few. Read
    in the right order, a table is line breaks and ordinary characters (kana, kanji, ASCII,
    full-width forms); read in the wrong order, or when the bytes are UTF-8 or CP932, its
    line breaks and delimiters are gone (U+000A needs a NUL byte beside the 0A) and many
    characters fall in Hangul, private-use or unassigned ranges, or are broken surrogates.
    """
    sample = sample[: len(sample) // 2 * 2]
    for order in ("utf-16-le", "utf-16-be"):
        text = sample.decode(order, errors="replace")
        # A table has line breaks and delimiters; both need a NUL byte beside them, which
        # UTF-8 and CP932 text (a NUL in a cell aside) never has.
        has_breaks = "\n" in text or "\r" in text
        if not has_breaks or ("," not in text and "\t" not in text):
            continue
        odd = len(_UNLIKELY.findall(text))
        if odd <= len(text) // 20:  # at most 1 in 20 (a cut surrogate, a rare symbol)
            return order
    return None


def encoding_hint(given: str | None) -> str:
    """What to do about text that does not decode, for the end of a message: name the
    encoding, or, when ``--encoding`` already named ``given``, say that it does not fit."""
    if given is None:
        return "name the encoding with --encoding"
    return (
        f"--encoding {given} does not fit this file; leave --encoding out to have the "
        f"encoding detected, or name the one the file was saved in (such as utf-8, cp932 "
        f"or utf-16)"
    )


def detect_encoding(stream: IO[bytes]) -> tuple[str, str]:
    """``(encoding, errors)`` for reading ``stream`` (which is left at its start).

    Only called when no ``--encoding`` was given, so its messages may suggest it."""
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        # Excel's "CSV UTF-8" (and classify's own output): UTF-8 for certain, so a stray
        # byte marks its row, as in a UTF-8 file without the mark, instead of stopping.
        valid = _decodes(iter(lambda: stream.read(_CHUNK), b""), "utf-8")
        stream.seek(0)
        return "utf-8-sig", "strict" if valid else "replace"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    data = stream.read()
    stream.seek(0)
    utf16 = _utf16_order(data[:_SAMPLE])
    if utf16 is not None:
        raise InputFileError(
            f"the file looks like UTF-16 without a byte-order mark; save it from Excel as "
            f"'CSV UTF-8', or {encoding_hint(None)} {utf16}"
        )
    view = memoryview(data)
    if _decodes((view[i : i + _CHUNK] for i in range(0, len(data), _CHUNK)), "utf-8"):
        return "utf-8", "strict"
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
        f"'CSV UTF-8' or {encoding_hint(None)}"
    )


def bad_bytes_error(errors: str, text: str) -> str | None:
    """The row error for text read with replacement characters standing for bad bytes."""
    if errors == "replace" and REPLACEMENT in text:
        return (
            "this row holds bytes that are not UTF-8 (shown as �), while the rest of the file "
            "is UTF-8; re-save the file as CSV UTF-8 from Excel"
        )
    return None
