"""Content lines → a clause tree, following the marker grammar (see :mod:`classifier.policy`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..textutil import display_width, join_lines, non_ws, squeeze
from ..vocab import CLAUSE_LEVELS as LEVELS
from ..vocab import Level
from .markers import (
    CIRCLED,
    CONNECTIVES,
    ROMAN_SMALL,
    SECTION_STYLES,
    SENTENCE_END,
    Line,
    Marker,
    match_marker,
)
from .types import Clause

PREAMBLE = Level.PREAMBLE


@dataclass
class _Node:
    style: str
    value: int
    depth: int
    marker: str
    line: int
    heading_parts: list[str] = field(default_factory=list)
    paragraphs: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    parent: _Node | None = None
    closed: bool = False  # a sub-item whose list has ended; further text is the parent's
    has_trailing: bool = False
    label: str = ""

    def add_text(self, line: Line, new_paragraph: bool) -> None:
        if new_paragraph or not self.paragraphs:
            self.paragraphs.append([])
        self.paragraphs[-1].append(line.text)
        self.lines.append(line.no)


class StructureReader:
    """Reads content lines into a node tree following the marker grammar."""

    def __init__(self, content: list[Line]) -> None:
        self.content = content
        widths = sorted(display_width(ln.text) for ln in content) or [0]
        # The page's text width: long lines are the ones the PDF wrapped at the margin.
        self.width = widths[int(len(widths) * 0.9)] if len(widths) > 3 else widths[-1]
        self.preamble: list[Line] = []
        self.preamble_breaks: set[int] = set()  # indexes in ``preamble`` that start a paragraph
        self.roots: list[_Node] = []
        self.stack: list[_Node] = []
        # Markers at a line's start read as text because they break their list's numbering
        # (a page lost in extraction, a page repeated): (the line, its marker's number, the
        # marker and number of the clause of that list it follows). Said by build-corpus.
        self.out_of_sequence: list[tuple[Line, int, str, int]] = []
        # Sections are numbered 第1 / １ / 1.; where the text has such a style, a circled or
        # bracketed marker never opens a section (a stray slide heading stays text).
        found = (match_marker(ln.text) for ln in content)
        self.top_styles = {
            m.style for m in found if m and m.value == 1 and m.style in SECTION_STYLES
        }

    def _accept(self, mk: Marker) -> int | None:
        """Depth at which ``mk`` opens a clause, or None if it is text."""
        for depth, node in enumerate(self.stack):
            if node.style == mk.style:
                return depth if mk.value == node.value + 1 else None
        if mk.value == 1 and len(self.stack) < len(LEVELS):
            if not self.stack and self.top_styles and mk.style not in self.top_styles:
                return None
            return len(self.stack)
        return None

    def _ends_wrapped(self, text: str) -> bool:
        return display_width(text) >= 0.85 * self.width and not SENTENCE_END.search(text)

    def _is_short(self, text: str) -> bool:
        return display_width(text) < 0.8 * self.width

    def read(self) -> None:
        lines = self.content
        i = 0
        prev_text: str | None = None  # the previous text line of the current clause
        prev_ends = False  # whether it ended a sentence
        while i < len(lines):
            ln = lines[i]
            mk = match_marker(ln.text)
            depth = self._accept(mk) if mk else None
            if mk is None or depth is None:
                if mk is not None and mk.rest:
                    same = next((n for n in self.stack if n.style == mk.style), None)
                    if same is not None and mk.value != same.value + 1:
                        self.out_of_sequence.append((ln, mk.value, same.marker, same.value))
                self._text_line(ln, prev_text, prev_ends)
                # A sentence end can straddle a wrap (``…であるこ`` / ``と``).
                prev_ends = bool(SENTENCE_END.search(non_ws((prev_text or "")[-4:] + ln.text)))
                prev_text = ln.text
                i += 1
                continue
            del self.stack[depth:]
            node = _Node(mk.style, mk.value, depth, mk.marker, ln.no, lines=[ln.no])
            if self.stack:
                node.parent = self.stack[-1]
                self.stack[-1].children.append(node)
            else:
                self.roots.append(node)
            self.stack.append(node)
            i += 1
            if LEVELS[depth] == Level.SUBITEM:
                if mk.rest:
                    node.add_text(Line(ln.no, ln.raw, mk.rest), new_paragraph=True)
                    node.lines.pop()
                prev_text = mk.rest or None
                prev_ends = bool(SENTENCE_END.search(mk.rest))
                continue
            heading_line = mk.rest
            if not heading_line and i < len(lines) and not self._opens(lines[i]):
                heading_line = lines[i].text
                node.lines.append(lines[i].no)
                i += 1
            node.heading_parts.append(heading_line)
            # A heading that reached the right margin was wrapped by the PDF.
            if (
                heading_line
                and self._ends_wrapped(ln.text if mk.rest else heading_line)
                and i < len(lines)
                and not self._opens(lines[i])
                and display_width(lines[i].text) <= 0.6 * self.width
                and not SENTENCE_END.search(lines[i].text)
            ):
                node.heading_parts.append(lines[i].text)
                node.lines.append(lines[i].no)
                i += 1
            prev_text = None

    def _opens(self, ln: Line) -> bool:
        mk = match_marker(ln.text)
        return mk is not None and self._accept(mk) is not None

    def _text_line(self, ln: Line, prev_text: str | None, prev_ends: bool) -> None:
        if not self.stack:
            if self.preamble and self._paragraph_ends(prev_text, prev_ends):
                self.preamble_breaks.add(len(self.preamble))
            self.preamble.append(ln)
            return
        node = self.stack[-1]
        if LEVELS[node.depth] == Level.SUBITEM and node.parent is not None:
            if not node.closed and prev_ends and CONNECTIVES.match(ln.text):
                node.closed = True
                node.parent.has_trailing = True
                node.parent.add_text(ln, new_paragraph=True)
                return
            if node.closed:
                node.parent.add_text(ln, new_paragraph=False)
                return
        node.add_text(ln, new_paragraph=self._paragraph_ends(prev_text, prev_ends))

    def _paragraph_ends(self, prev_text: str | None, prev_ends: bool) -> bool:
        # A line that stops well short of the margin ended its paragraph (or a title block).
        if prev_text is None:
            return True
        width = display_width(prev_text)
        return width < 0.5 * self.width or (self._is_short(prev_text) and prev_ends)


def _canonical(node: _Node) -> str:
    if node.style == "circled":
        return CIRCLED[node.value - 1]
    if node.style in ("roman", "roman_upper", "kana"):
        return ROMAN_SMALL[node.value - 1] if node.value <= len(ROMAN_SMALL) else f"[{node.value}]"
    return f"({node.value})"


def _assign_labels(roots: list[_Node]) -> _Node | None:
    """Label every node; return the section holding the areas (the classification targets)."""
    target = max(roots, key=lambda r: len(r.children), default=None)
    if target is not None and not target.children:
        target = None

    def walk(node: _Node, prefix: str) -> None:
        for child in node.children:
            child.label = prefix + _canonical(child)
            walk(child, child.label)

    for root in roots:
        root.label = str(root.value)
        walk(root, "" if root is target else f"§{root.value}")
    return target


def _paragraph_text(paragraphs: list[list[str]]) -> str:
    return "\n".join(t for t in (join_lines(p) for p in paragraphs) if t)


def _split_paragraphs(lines: list[Line], breaks: set[int]) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    for i, ln in enumerate(lines):
        if i == 0 or i in breaks:
            paragraphs.append([])
        paragraphs[-1].append(ln.text)
    return paragraphs


def to_clauses(
    policy_id: str, title: str, preamble: list[Line], breaks: set[int], roots: list[_Node]
) -> list[Clause]:
    target = _assign_labels(roots)
    clauses: list[Clause] = []
    if preamble:
        # The title line is the heading; the other lines, in order, are the text.
        at = next((k for k, ln in enumerate(preamble) if squeeze(ln.text) == title), 0)
        body = preamble[:at] + preamble[at + 1 :]
        breaks = {b - 1 if b > at else b for b in breaks if b != at}
        nos = tuple(ln.no for ln in preamble)
        clauses.append(
            Clause(
                policy_id,
                PREAMBLE,
                None,
                PREAMBLE,
                "",
                title,
                _paragraph_text(_split_paragraphs(body, breaks)),
                (),
                min(nos),
                max(nos),
                nos,
                False,
            )
        )

    def emit(node: _Node, path: tuple[str, ...], in_target: bool) -> None:
        heading = join_lines(node.heading_parts) if LEVELS[node.depth] != Level.SUBITEM else None
        nos = tuple(sorted(node.lines))
        is_target = in_target and node.depth >= 1 and (not node.children or node.has_trailing)
        clauses.append(
            Clause(
                policy_id,
                node.label,
                node.parent.label if node.parent else None,
                LEVELS[node.depth],
                node.marker,
                heading,
                _paragraph_text(node.paragraphs),
                path,
                min(nos),
                max(nos),
                nos,
                is_target,
            )
        )
        for child in node.children:
            emit(child, (*path, heading) if heading else path, in_target)

    for root in roots:
        emit(root, (), root is target)
    return clauses
