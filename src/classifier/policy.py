"""Policy text (as extracted from PDF) → a tree of labelled clauses.

The parser is driven by a marker grammar, not by one year's layout:

* A line starting with a numbering marker (``１``, ``第２``, ``(3)``, ``（４）``, ``1.``, ``⑤``,
  ``ⅱ）``, ``(ⅲ)`` …) opens a clause only if its number continues the sequence of that marker
  style (next sibling) or starts a new, deeper style at 1. Nesting depth is therefore learnt
  from the order in which marker styles first appear, which is how the policy is read by
  people, and a line such as ``24日サイバー…`` or ``②の取組と…`` stays text.
* Depth 0 is a section (``1``–``3``), 1 an area (``(2)``), 2 an item (``(2)③``), 3 a sub-item
  (``(2)③ⅱ``). Sections, areas and items carry a heading; sub-items do not.
* PDF artefacts (page labels, footnote blocks at page ends, footnote markers glued to words,
  separator lines) are removed before the structure is read and kept in ``Policy.artefacts``.
* A one-page summary slide in front of the full text (``資料２－１`` with ■ bullets) is parsed
  into ``Policy.summary`` so its bullets can be used as extra descriptions of the items.

Everything here is a pure function of the input text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import PolicyParseError
from .textutil import display_width, join_lines, non_ws, squeeze

LEVELS = ("section", "area", "item", "subitem")
PREAMBLE = "preamble"

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ROMAN_SMALL = "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ"
_ROMAN_UPPER = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_ROMAN_ASCII = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
_KANA = "アイウエオカキクケコサシスセソタチツテト"
_KANJI_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

_D = r"[0-9０-９]"
_OPEN = r"[(（]"
_CLOSE = r"[)）]"
_S = r"[ \t\u3000]"
_NOT_HEADING_START = set("のとをにがはやへでもより、。，．・）)」』")

# (style, regex). The order matters only where two patterns could match the same line.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "dai",
        re.compile(
            rf"^(第{_S}*(?:{_D}{{1,2}}|[一二三四五六七八九十]{{1,3}}))(?:{_S}+|[.．、]{_S}*|$)(.*)$"
        ),
    ),
    ("paren_num", re.compile(rf"^({_OPEN}{_S}*{_D}{{1,2}}{_S}*{_CLOSE})(?:{_S}*)(.*)$")),
    ("num_dot", re.compile(rf"^({_D}{{1,2}}{_S}*[.．])(?!{_D}){_S}*(.*)$")),
    ("num_space", re.compile(rf"^({_D}{{1,2}}){_S}+(\S.*)$")),
    ("circled", re.compile(rf"^([{_CIRCLED}]){_S}*(.*)$")),
    (
        "roman",
        re.compile(
            rf"^({_OPEN}?{_S}*(?:[{_ROMAN_SMALL}]|(?:viii|vii|iii|xii|xi|vi|iv|ix|ii|i|v|x)"
            rf"|[ｉｖｘ]{{1,4}}){_S}*{_CLOSE}|[{_ROMAN_SMALL}](?:{_S}*[.．]|{_S}+))(?:{_S}*)(.*)$"
        ),
    ),
    (
        "roman_upper",
        re.compile(rf"^({_OPEN}?{_S}*[{_ROMAN_UPPER}]{_S}*(?:{_CLOSE}|[.．]|{_S}))(?:{_S}*)(.*)$"),
    ),
    (
        "kana",
        re.compile(rf"^({_OPEN}{_S}*[{_KANA}]{_S}*{_CLOSE}|[{_KANA}]{_S}*{_CLOSE})(?:{_S}*)(.*)$"),
    ),
)

_SECTION_STYLES = frozenset({"dai", "num_space", "num_dot"})
_PAGE_LABEL = re.compile(
    rf"^(?:【)?(?:別添|別紙|参考)?資料{_S}*{_D}+(?:{_S}*[-－‐−ー―]{_S}*{_D}+)*(?:】)?$"
)
# "- 3 -", "－３－", a bare "3", "3 / 12": never content (a bare number is never a marker,
# which needs a heading on its line).
_PAGE_NUMBER = re.compile(
    rf"^(?:[-－‐−―]{_S}*{_D}+{_S}*[-－‐−―]|{_D}{{1,3}}|{_D}+{_S}*[/／]{_S}*{_D}+)$"
)
_RULE_LINE = re.compile(r"^[\s\u3000]*[-─━―_＿ー‐－]{5,}[\s\u3000]*$")
_FOOTNOTE_START = re.compile(rf"^(?:※|注)?({_D}{{1,2}}){_S}+\S")
_SUPERSCRIPTS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_SENTENCE_END = re.compile(r"(こと|。)$")
_CONNECTIVES = re.compile(
    r"^(また|なお|さらに|加えて|あわせて|併せて|このほか|この他|その際|これらに加え|他方|一方)[、，]"
)
# Counters after a number mean it is a quantity, not a footnote marker (``21日``, ``3件``).
_COUNTERS = set("日月年回件名人つ点万億兆円%％号条項次期割位部歳時分か箇ヵヶカ者社校機台")
_TITLE_NOISE = re.compile(r"[(（]\s*(?:案|概要)\s*[)）]")


@dataclass(frozen=True)
class Clause:
    """One numbered piece of the policy (or the preamble).

    ``text`` is the clause's own text only (children excluded); paragraphs are separated by
    ``\\n``. ``lines`` are the 1-based source lines the record was built from.
    """

    policy_id: str
    label: str
    parent: str | None
    level: str
    marker: str
    heading: str | None
    text: str
    path: tuple[str, ...]
    line_start: int
    line_end: int
    lines: tuple[int, ...]
    is_target: bool

    @property
    def depth(self) -> int:
        """0 for sections, 3 for sub-items, -1 for the preamble."""
        return LEVELS.index(self.level) if self.level in LEVELS else -1


@dataclass(frozen=True)
class Artefact:
    """A piece of PDF furniture removed from the text, kept so nothing disappears unseen."""

    kind: str  # page_label | page_number | separator | footnote | footnote_marker
    text: str
    line: int


@dataclass(frozen=True)
class SummaryEntry:
    """A line group of the summary slide: its title, a header, an area heading or a ■ bullet."""

    policy_id: str
    id: str
    kind: str  # title | header | heading | bullet
    marker: str
    text: str
    area: str | None
    labels: tuple[str, ...]
    line_start: int
    line_end: int


@dataclass(frozen=True)
class Policy:
    """A parsed policy version."""

    policy_id: str
    title: str
    clauses: tuple[Clause, ...]
    summary: tuple[SummaryEntry, ...] = ()
    artefacts: tuple[Artefact, ...] = ()

    def clause(self, label: str) -> Clause:
        """The clause with ``label``; ``KeyError`` if there is none."""
        for c in self.clauses:
            if c.label == label:
                return c
        raise KeyError(label)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.clauses)

    @property
    def targets(self) -> tuple[Clause, ...]:
        """Clauses a request can be classified into, in document order."""
        return tuple(c for c in self.clauses if c.is_target)

    def children(self, label: str) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.parent == label)

    def ancestors(self, label: str) -> tuple[str, ...]:
        """Labels of the ancestors of ``label``, nearest first."""
        by_label = {c.label: c for c in self.clauses}
        out: list[str] = []
        parent = by_label[label].parent
        while parent is not None:
            out.append(parent)
            parent = by_label[parent].parent
        return tuple(out)


# --------------------------------------------------------------------------- line handling


@dataclass
class _Line:
    no: int  # 1-based
    raw: str
    text: str  # stripped, artefact markers removed

    @property
    def indented(self) -> bool:
        return self.raw[:1].isspace()


@dataclass(frozen=True)
class _Marker:
    style: str
    value: int
    marker: str
    rest: str


def _marker_value(style: str, token: str) -> int | None:
    core = re.sub(r"[\s\u3000()（）.．、第]", "", token).translate(str.maketrans("ｉｖｘ", "ivx"))
    if style in ("dai", "paren_num", "num_dot", "num_space"):
        digits = core.translate(_FW_DIGITS)
        if digits.isdigit():
            return int(digits)
        if core and all(ch in _KANJI_NUM or ch == "十" for ch in core):
            return _kanji_to_int(core)
        return None
    if style == "circled":
        return _CIRCLED.index(core) + 1
    if style == "roman":
        if core in _ROMAN_SMALL:
            return _ROMAN_SMALL.index(core) + 1
        return _ROMAN_ASCII.index(core) + 1 if core in _ROMAN_ASCII else None
    if style == "roman_upper":
        return _ROMAN_UPPER.index(core) + 1
    if style == "kana":
        return _KANA.index(core) + 1
    return None


def _kanji_to_int(s: str) -> int:
    if "十" not in s:
        return _KANJI_NUM[s]
    tens, _, ones = s.partition("十")
    return (_KANJI_NUM[tens] if tens else 1) * 10 + (_KANJI_NUM[ones] if ones else 0)


def match_marker(text: str) -> _Marker | None:
    """The numbering marker at the start of ``text`` (already stripped), if it has one."""
    for style, pattern in _MARKERS:
        m = pattern.match(text)
        if not m:
            continue
        rest = m.group(2).strip()
        if rest and rest[0] in _NOT_HEADING_START:
            return None  # ``②の取組と…``: a reference inside a sentence, not a marker
        value = _marker_value(style, m.group(1))
        if value is None:
            continue
        return _Marker(style, value, non_ws(m.group(1)), rest)
    return None


def _is_blank(raw: str) -> bool:
    return not raw.strip()


def _is_separator(raw: str) -> bool:
    # A footnote rule comes out of PDF extraction as a long run of spaces or of rule glyphs.
    return (bool(raw) and raw.isspace() and len(raw) >= 8) or bool(_RULE_LINE.match(raw))


def _is_page_furniture(text: str) -> str | None:
    if _PAGE_LABEL.match(text):
        return "page_label"
    if _PAGE_NUMBER.match(text):
        return "page_number"
    return None


# --------------------------------------------------------------------------- artefacts


def _strip_artefacts(raw_lines: Sequence[str], start: int) -> tuple[list[_Line], list[Artefact]]:
    """Body lines with page labels, footnote blocks and separators removed."""
    content: list[_Line] = []
    artefacts: list[Artefact] = []
    footnotes: list[tuple[int, int]] = []  # (footnote number, separator line of its block)
    i = start
    n = len(raw_lines)
    while i < n:
        raw = raw_lines[i]
        if _is_separator(raw):
            nxt = _next_nonblank(raw_lines, i + 1)
            fn = _FOOTNOTE_START.match(raw_lines[nxt].strip()) if nxt is not None else None
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
        if _is_blank(raw):
            i += 1
            continue
        text = raw.strip()
        kind = _is_page_furniture(text)
        if kind:
            artefacts.append(Artefact(kind, text, i + 1))
        else:
            content.append(_Line(i + 1, raw, text))
        i += 1
    artefacts.extend(_remove_footnote_markers(content, footnotes))
    return content, artefacts


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
        start = _FOOTNOTE_START.match(text)
        expected = blocks[-1][0] + 1 if blocks else None
        if start and not raw[:1].isspace():
            number = int(start.group(1).translate(_FW_DIGITS))
            if expected is None or number == expected:
                blocks.append((number, i + 1, [text]))
                i += 1
                continue
        # The first line of the next page is indented (continued text) or is structure.
        if (
            raw[:1].isspace()
            or _is_page_furniture(text)
            or match_marker(text)
            or blocks[-1][2][-1].endswith("。")
        ):
            break
        blocks[-1][2].append(text)
        i += 1
    return i, [(num, line, join_lines(parts)) for num, line, parts in blocks]


def _remove_footnote_markers(
    content: list[_Line], footnotes: list[tuple[int, int]]
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
                    and (before.isascii() or after not in _COUNTERS)
                ):
                    hit = m
            if hit is not None:
                ln.text = ln.text[: hit.start()] + ln.text[hit.end() :]
                removed.append(Artefact("footnote_marker", hit.group(0), ln.no))
                break
    for ln in content:
        for m in _SUPERSCRIPTS.finditer(ln.text):
            removed.append(Artefact("footnote_marker", m.group(0), ln.no))
        ln.text = _SUPERSCRIPTS.sub("", ln.text)
    return removed


# --------------------------------------------------------------------------- structure


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

    def add_text(self, line: _Line, new_paragraph: bool) -> None:
        if new_paragraph or not self.paragraphs:
            self.paragraphs.append([])
        self.paragraphs[-1].append(line.text)
        self.lines.append(line.no)


class _StructureReader:
    """Reads content lines into a node tree following the marker grammar."""

    def __init__(self, content: list[_Line]) -> None:
        self.content = content
        widths = sorted(display_width(ln.text) for ln in content) or [0]
        # The page's text width: long lines are the ones the PDF wrapped at the margin.
        self.width = widths[int(len(widths) * 0.9)] if len(widths) > 3 else widths[-1]
        self.preamble: list[_Line] = []
        self.preamble_breaks: set[int] = set()  # indexes in ``preamble`` that start a paragraph
        self.roots: list[_Node] = []
        self.stack: list[_Node] = []
        # Sections are numbered 第1 / １ / 1.; where the text has such a style, a circled or
        # bracketed marker never opens a section (a stray slide heading stays text).
        found = (match_marker(ln.text) for ln in content)
        self.top_styles = {
            m.style for m in found if m and m.value == 1 and m.style in _SECTION_STYLES
        }

    def _accept(self, mk: _Marker) -> int | None:
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
        return display_width(text) >= 0.85 * self.width and not _SENTENCE_END.search(text)

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
                self._text_line(ln, prev_text, prev_ends)
                # A sentence end can straddle a wrap (``…であるこ`` / ``と``).
                prev_ends = bool(_SENTENCE_END.search(non_ws((prev_text or "")[-4:] + ln.text)))
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
            if LEVELS[depth] == "subitem":
                if mk.rest:
                    node.add_text(_Line(ln.no, ln.raw, mk.rest), new_paragraph=True)
                    node.lines.pop()
                prev_text = mk.rest or None
                prev_ends = bool(_SENTENCE_END.search(mk.rest))
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
                and not _SENTENCE_END.search(lines[i].text)
            ):
                node.heading_parts.append(lines[i].text)
                node.lines.append(lines[i].no)
                i += 1
            prev_text = None

    def _opens(self, ln: _Line) -> bool:
        mk = match_marker(ln.text)
        return mk is not None and self._accept(mk) is not None

    def _text_line(self, ln: _Line, prev_text: str | None, prev_ends: bool) -> None:
        if not self.stack:
            if self.preamble and self._paragraph_ends(prev_text, prev_ends):
                self.preamble_breaks.add(len(self.preamble))
            self.preamble.append(ln)
            return
        node = self.stack[-1]
        if LEVELS[node.depth] == "subitem" and node.parent is not None:
            if not node.closed and prev_ends and _CONNECTIVES.match(ln.text):
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
        return _CIRCLED[node.value - 1]
    if node.style in ("roman", "roman_upper", "kana"):
        return (
            _ROMAN_SMALL[node.value - 1] if node.value <= len(_ROMAN_SMALL) else f"[{node.value}]"
        )
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


def _split_paragraphs(lines: list[_Line], breaks: set[int]) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    for i, ln in enumerate(lines):
        if i == 0 or i in breaks:
            paragraphs.append([])
        paragraphs[-1].append(ln.text)
    return paragraphs


def _to_clauses(
    policy_id: str, title: str, preamble: list[_Line], breaks: set[int], roots: list[_Node]
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
        heading = join_lines(node.heading_parts) if LEVELS[node.depth] != "subitem" else None
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


# --------------------------------------------------------------------------- summary slide


def _title_stem(line: str) -> str:
    return non_ws(_TITLE_NOISE.sub("", line))


def _find_body_start(raw_lines: Sequence[str]) -> int:
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


def _parse_summary(
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
        kind = _is_page_furniture(text)
        if kind:
            artefacts.append(Artefact(kind, text, no))
            continue
        if not entries:
            current = new("title", "", text, no)
            current = None
            continue
        circled = re.match(rf"^([{_CIRCLED}]){_S}*(.*)$", text)
        if text.startswith("■"):
            current = new("bullet", "■", text[1:], no)
        elif circled:
            area = f"({_CIRCLED.index(circled.group(1)) + 1})"
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


# --------------------------------------------------------------------------- entry point


def _check_text(text: str) -> None:
    if not text.strip():
        raise PolicyParseError("the policy file is empty")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if "\x00" in text or "\ufffd" in text[:2000] or controls > max(5, len(text) // 100):
        raise PolicyParseError(
            "the policy file looks binary (not UTF-8 text); export the policy as plain text first"
        )


def parse_policy(
    text: str,
    policy_id: str,
    summary_map: Mapping[str, tuple[str, ...]] | None = None,
) -> Policy:
    """Parse a policy text into clauses, summary-slide entries and removed artefacts.

    ``summary_map`` maps summary bullet ids (``S01``…) to the labels they summarise; without
    it, a bullet is attached to the area its slide heading names.

    Raises :class:`PolicyParseError` for empty or binary text or text without numbered
    sections.
    """
    _check_text(text)
    raw_lines = text.lstrip("\ufeff").splitlines()
    body_start = _find_body_start(raw_lines)
    summary, summary_artefacts = (
        _parse_summary(policy_id, raw_lines, body_start, summary_map) if body_start else ([], [])
    )
    content, artefacts = _strip_artefacts(raw_lines, body_start)
    reader = _StructureReader(content)
    reader.read()
    if not reader.roots:
        raise PolicyParseError(
            "no numbered sections found (expected lines such as '１ 基本的な考え方' or "
            "'第1 …' followed by '(1)', '①', 'ⅰ）' items); is this the policy text?"
        )
    # The title is the first line naming the 方針; failing that, the first line.
    title = next(
        (ln.text for ln in reader.preamble if "方針" in ln.text),
        reader.preamble[0].text if reader.preamble else "",
    )
    clauses = _to_clauses(
        policy_id, squeeze(title), reader.preamble, reader.preamble_breaks, reader.roots
    )
    if not any(c.is_target for c in clauses):
        raise PolicyParseError("numbered sections were found but no areas or items inside them")
    all_artefacts = sorted(summary_artefacts + artefacts, key=lambda a: (a.line, a.kind))
    return Policy(policy_id, squeeze(title), tuple(clauses), tuple(summary), tuple(all_artefacts))
