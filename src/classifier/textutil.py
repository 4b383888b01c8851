"""Text helpers shared by the policy parser, the tokeniser and the I/O layer.

Includes the one clean-up every text goes through before it is tokenised
(:func:`clean_text`) and the sentence-boundary cut of long text (:func:`chunks`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_WS = re.compile(r"[\s\u3000]+")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


def display_width(s: str) -> int:
    """Width of ``s`` in half-width columns (full-width and wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def squeeze(s: str) -> str:
    """Remove whitespace that PDF extraction put between characters.

    A run of whitespace is dropped entirely unless it separates two ASCII letters or
    digits (``National CERT``), where one space is kept. Japanese never takes spaces
    between words, so any space next to a Japanese character is an artefact
    (``令 和 ２ 年``, ``３月 30 日``).
    """

    def repl(m: re.Match[str]) -> str:
        before = s[m.start() - 1] if m.start() > 0 else ""
        after = s[m.end()] if m.end() < len(s) else ""
        if before and after and _ASCII_WORD.match(before) and _ASCII_WORD.match(after):
            return " "
        return ""

    return _WS.sub(repl, s).strip()


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines of one paragraph without inventing spaces between Japanese."""
    out = ""
    for line in lines:
        piece = squeeze(line)
        if not piece:
            continue
        if out and _ASCII_WORD.match(out[-1]) and _ASCII_WORD.match(piece[0]):
            out += " "
        out += piece
    return out


def non_ws(s: str) -> str:
    """``s`` with all whitespace removed (used to compare texts across line wrapping)."""
    return _WS.sub("", s)


def cell_text(value: object) -> str:
    """The text of a spreadsheet cell: ``""`` for None/NaN, ``str()`` of anything else.

    A number too long for ``str()`` (Python refuses over 4,300 digits) is not a request
    text; it becomes ``""`` rather than an error.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return ""
    try:
        return str(value)
    except ValueError:
        return ""


_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Anything clean_text would remove or replace (newline is kept, so it is not here).
_ODD = re.compile(
    "[\ud800-\udfff\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\x00-\x09\x0b-\x1f\x7f-\x9f]"
)
# Characters Japanese office text often holds that NFKC changes: full-width ASCII and
# space, half-width katakana, circled and parenthesised numbers, roman numerals, squared
# words (㍿). Normalising just these runs is much cheaper than the whole text.
_COMMON_COMPAT = re.compile(
    "[\u3000\uff01-\uff5e\uff61-\uff9f\u2460-\u24ff\u2150-\u218f\u3200-\u33ff]+"
)
_SENTENCE_SPLIT = re.compile(r"(?<=[。．！？!?\n])")
# Where one sentence ends and the next begins in cleaned (NFKC) text: after 。！？, and at a
# line break (a field boundary, or a line of a bulleted list).
# As pieces: each run up to and including one of 。！？, or up to a line break or the end
# (the same pieces as splitting after each end mark and at line breaks, found in half the
# time: a split on a look-behind tries it at every character).
_SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?]|[^。！？!?\n]+")
# Sudachi refuses input over 49,149 bytes and a tokenizer that has seen a long input stays
# slower afterwards, so text is cut into pieces well below that.
MAX_CHUNK_BYTES = 4096


def terminal_text(value: object) -> str:
    """A cell as one line for a terminal: control characters (an escape sequence a file
    someone sent could hold) and lone surrogates (which no terminal can encode) become
    �, and runs of blanks one space."""
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub("\ufffd", cell_text(value)))
    return " ".join(text.split())


SHOWN_CHARS = 1_000  # the longest sentence a row shows (a text without 。 is one sentence)


def excerpt(sentence: str, limit: int = SHOWN_CHARS, mark: str = "【") -> str:
    """``sentence`` cut to ``limit`` characters around its first ``mark`` (or from its
    start), with … where it was cut."""
    if len(sentence) <= limit:
        return sentence
    at = max(sentence.find(mark), 0)
    start = min(max(at - limit // 2, 0), len(sentence) - limit)
    body = sentence[start : start + limit]
    return ("…" if start else "") + body + ("…" if start + limit < len(sentence) else "")


def clean_text(text: object) -> str:
    """NFKC-normalise and drop control, zero-width and lone-surrogate characters.

    Non-strings (NaN, None, numbers from a spreadsheet cell) become ``""`` or their text.
    """
    text = cell_text(text)
    # Most request text has nothing to remove and is NFKC already (or once normalised):
    # checking that is much cheaper than running every step on it.
    if _ODD.search(text) is None:
        if not unicodedata.is_normalized("NFKC", text):
            text = _nfkc(text)
        if _ODD.search(text) is None:
            return text
    text = _SURROGATE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub(" ", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, usually by normalising only the common runs.

    Replacing runs by their NFKC form keeps the text compatibility-equivalent, and NFKC is
    the same for equivalent texts; so if the result is already NFKC it is NFKC(text).
    When it is not (say a lone half-width voiced mark after a kana), the whole text is done.
    """
    partial = _COMMON_COMPAT.sub(_normalize_match, text)
    if unicodedata.is_normalized("NFKC", partial):
        return partial
    return unicodedata.normalize("NFKC", text)


def _normalize_match(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group())


def split_sentences(text: str) -> list[str]:
    """The sentences of cleaned text, in order, without surrounding blanks; none empty."""
    return [s for s in map(str.strip, _SENTENCE.findall(text)) if s]


def document_text(value: object) -> str:
    """A cell or joined cells as the text to analyse: cleaned, line breaks kept.

    Review sheets mark line breaks inside a field with ``／``; those become line breaks
    (sentence ends) first, since after NFKC the character is an ordinary slash (2024/4).
    """
    text = cell_text(value)
    return clean_text(text.replace("／", "\n") if "／" in text else text)


def document_sentences(value: object) -> list[str]:
    """A cell or joined cells as cleaned sentences (see :func:`document_text`)."""
    return split_sentences(document_text(value))


def text_length(value: object) -> int:
    """A request's length as the models measure it: the characters of its sentences."""
    return sum(map(len, document_sentences(value)))


def chunks(text: str, max_bytes: int = MAX_CHUNK_BYTES) -> Iterator[str]:
    """Split text at sentence ends into pieces of at most ``max_bytes`` UTF-8 bytes."""
    if len(text) * 4 <= max_bytes or len(text.encode("utf-8")) <= max_bytes:
        if text:
            yield text
        return
    piece = ""
    size = 0
    for sentence in _SENTENCE_SPLIT.split(text):
        n = len(sentence.encode("utf-8"))
        if n > max_bytes:  # one enormous "sentence": cut it by characters
            if piece:
                yield piece
                piece, size = "", 0
            yield from _hard_cut(sentence, max_bytes)
            continue
        if size + n > max_bytes and piece:
            yield piece
            piece, size = "", 0
        piece += sentence
        size += n
    if piece:
        yield piece


def _hard_cut(text: str, max_bytes: int) -> Iterator[str]:
    piece: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if size + n > max_bytes:
            yield "".join(piece)
            piece, size = [], 0
        piece.append(ch)
        size += n
    if piece:
        yield "".join(piece)


def has_text(value: object) -> bool:
    """Whether a cell holds any visible text (NaN, None and blanks do not)."""
    text = cell_text(value)
    return bool(text.strip()) and bool(clean_text(text).strip())


def plural(n: int, one: str, many: str | None = None) -> str:
    """A count in a message: ``1 row``, ``2 rows``, ``3 summary entries`` (``many``)."""
    return f"{n:,} {one}" if n == 1 else f"{n:,} {many or one + 's'}"
