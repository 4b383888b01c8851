"""The one-page summary slide in front of the full text (資料２－１): its ■ bullets."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..textutil import join_lines, non_ws
from .markers import CIRCLED, TITLE_NOISE, S, is_page_furniture
from .types import Artefact, SummaryEntry


def _title_stem(line: str) -> str:
    return non_ws(TITLE_NOISE.sub("", line))


def find_body_start(raw_lines: Sequence[str]) -> int:
    """Index of the full text's title line; 0 when there is no summary slide in front."""
    # The slide's title is among its first lines (a page label may come first).
    heads = [i for i, line in enumerate(raw_lines[:40]) if line.strip()][:5]
    first = next((i for i in heads if "概要" in raw_lines[i]), None)
    if first is None:
        return 0
    stem = _title_stem(raw_lines[first])
    for i in range(first + 1, len(raw_lines)):
        line = raw_lines[i]
        if stem and stem in non_ws(line) and "概要" not in line:
            return i
    return 0


def parse_summary(
    policy_id: str,
    raw_lines: Sequence[str],
    end: int,
    summary_map: Mapping[str, tuple[str, ...]] | None,
) -> tuple[list[SummaryEntry], list[Artefact]]:
    entries: list[dict] = []
    artefacts: list[Artefact] = []
    area: str | None = None
    current: dict | None = None  # the entry that an unmarked line continues

    def new(kind: str, marker: str, text: str, no: int) -> dict:
        entry = {
            "kind": kind,
            "marker": marker,
            "parts": [text],
            "area": area,
            "start": no,
            "end": no,
        }
        entries.append(entry)
        return entry

    for i in range(end):
        raw = raw_lines[i]
        text = raw.strip()
        no = i + 1
        if not text:
            current = None  # blocks on the slide are separated by blank lines
            continue
        kind = is_page_furniture(text)
        if kind:
            artefacts.append(Artefact(kind, text, no))
            continue
        if not entries:
            new("title", "", text, no)  # the slide's title continues nothing
            continue
        circled = re.match(rf"^([{CIRCLED}]){S}*(.*)$", text)
        if text.startswith("■"):
            current = new("bullet", "■", text[1:], no)
        elif circled:
            area = f"({CIRCLED.index(circled.group(1)) + 1})"
            heading, _, bullet = circled.group(2).partition("■")
            current = new("heading", circled.group(1), heading, no)
            if bullet:
                current = new("bullet", "■", bullet, no)
        elif text.startswith("○"):
            area = None
            current = new("header", "○", text[1:], no)
        elif current is not None:
            current["parts"].append(text)
            current["end"] = no
        else:
            area = None
            current = new("header", "", text, no)

    out: list[SummaryEntry] = []
    counters: dict[str, int] = {}
    for entry in entries:
        prefix = {"title": "T", "header": "H", "heading": "A", "bullet": "S"}[entry["kind"]]
        counters[prefix] = counters.get(prefix, 0) + 1
        entry_id = f"{prefix}{counters[prefix]:02d}"
        labels: tuple[str, ...] = ()
        if entry["kind"] == "bullet":
            if summary_map is not None and entry_id in summary_map:
                labels = summary_map[entry_id]
            elif entry["area"]:
                labels = (entry["area"],)
        out.append(
            SummaryEntry(
                policy_id,
                entry_id,
                entry["kind"],
                entry["marker"],
                join_lines(entry["parts"]),
                entry["area"],
                labels,
                entry["start"],
                entry["end"],
            )
        )
    return out, artefacts
