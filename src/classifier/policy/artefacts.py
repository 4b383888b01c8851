"""PDF furniture: page labels and numbers, separator lines, footnote blocks and the footnote
markers glued to words (``東京2020大会1``). Removed before the structure is read, and kept."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..textutil import join_lines, squeeze
from .markers import (
    COUNTERS,
    FOOTNOTE_START,
    FW_DIGITS,
    SUPERSCRIPTS,
    Line,
    is_blank,
    is_page_furniture,
    is_separator,
    match_marker,
)
from .types import Artefact


def strip_artefacts(raw_lines: Sequence[str], start: int) -> tuple[list[Line], list[Artefact]]:
    """Body lines with page labels, footnote blocks and separators removed."""
    content: list[Line] = []
    artefacts: list[Artefact] = []
    footnotes: list[tuple[int, int]] = []  # (footnote number, separator line of its block)
    i = start
    n = len(raw_lines)
    while i < n:
        raw = raw_lines[i]
        if is_separator(raw):
            nxt = _next_nonblank(raw_lines, i + 1)
            fn = FOOTNOTE_START.match(raw_lines[nxt].strip()) if nxt is not None else None
            if fn is not None and nxt is not None and not raw_lines[nxt][:1].isspace():
                artefacts.append(Artefact("separator", raw.strip(), i + 1))
                separator_line = i + 1
                i, blocks = _take_footnotes(raw_lines, nxt)
                for number, first_line, text in blocks:
                    artefacts.append(Artefact("footnote", text, first_line))
                    footnotes.append((number, separator_line))
                continue
            if raw.strip():
                artefacts.append(Artefact("separator", raw.strip(), i + 1))
            i += 1
            continue
        if is_blank(raw):
            i += 1
            continue
        text = raw.strip()
        kind = is_page_furniture(text)
        if kind:
            artefacts.append(Artefact(kind, text, i + 1))
        else:
            content.append(Line(i + 1, raw, text))
        i += 1
    artefacts.extend(_remove_footnote_markers(content, footnotes))
    return content, artefacts


def remove_running_headers(content: list[Line]) -> tuple[list[Line], list[Artefact]]:
    """The policy's title repeated at the top of later pages (a running header the PDF
    extraction kept) removed: left in, it would be glued to the clause it interrupts."""
    title = next((ln for ln in content if "方針" in ln.text), None)
    if title is None:
        return content, []
    kept, removed = [], []
    for ln in content:
        if ln.no > title.no and squeeze(ln.text) == squeeze(title.text):
            removed.append(Artefact("running_header", ln.text, ln.no))
        else:
            kept.append(ln)
    return kept, removed


def _next_nonblank(raw_lines: Sequence[str], i: int) -> int | None:
    while i < len(raw_lines):
        if raw_lines[i].strip():
            return i
        i += 1
    return None


def _take_footnotes(raw_lines: Sequence[str], i: int) -> tuple[int, list[tuple[int, int, str]]]:
    """Read a footnote block starting at ``i``; return the index after it and the notes."""
    blocks: list[tuple[int, int, list[str]]] = []
    n = len(raw_lines)
    while i < n:
        raw = raw_lines[i]
        text = raw.strip()
        if not text:
            i += 1
            continue
        start = FOOTNOTE_START.match(text)
        expected = blocks[-1][0] + 1 if blocks else None
        if start and not raw[:1].isspace():
            number = int(start.group(1).translate(FW_DIGITS))
            if expected is None or number == expected:
                blocks.append((number, i + 1, [text]))
                i += 1
                continue
        # The first line of the next page is indented (continued text) or is structure.
        if (
            raw[:1].isspace()
            or is_page_furniture(text)
            or match_marker(text)
            or blocks[-1][2][-1].endswith("。")
        ):
            break
        blocks[-1][2].append(text)
        i += 1
    return i, [(num, line, join_lines(parts)) for num, line, parts in blocks]


def _remove_footnote_markers(
    content: list[Line], footnotes: list[tuple[int, int]]
) -> list[Artefact]:
    """Delete ``東京2020大会1``-style markers: the nearest match before each footnote block."""
    removed: list[Artefact] = []
    floor = 0  # markers of a block are searched after the previous block only
    previous_block = 0
    for number, block_line in footnotes:
        if block_line != previous_block:
            floor, previous_block = previous_block, block_line
        pattern = re.compile(rf"(?<![0-9０-９]){number}(?![0-9０-９])")
        candidates = [ln for ln in content if floor < ln.no < block_line]
        for ln in reversed(candidates):
            hit = None
            for m in pattern.finditer(ln.text):
                before = ln.text[m.start() - 1] if m.start() > 0 else ""
                after = ln.text[m.end()] if m.end() < len(ln.text) else ""
                if (
                    before
                    and not before.isspace()
                    and before not in "第(（-－"
                    and (before.isalpha() or before in "）)」』")
                    # After a Latin word (IoT1機器) a digit is not a quantity; after kanji
                    # it may be (３月21日), unless no counter follows.
                    and (before.isascii() or after not in COUNTERS)
                ):
                    hit = m
            if hit is not None:
                ln.text = ln.text[: hit.start()] + ln.text[hit.end() :]
                removed.append(Artefact("footnote_marker", hit.group(0), ln.no))
                break
    for ln in content:
        for m in SUPERSCRIPTS.finditer(ln.text):
            removed.append(Artefact("footnote_marker", m.group(0), ln.no))
        ln.text = SUPERSCRIPTS.sub("", ln.text)
    return removed
