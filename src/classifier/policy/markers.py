"""The lexical layer of the policy text: numbering markers, page furniture, sentence ends.

A numbering marker is recognised by style (``dai`` 第1, ``paren_num`` (1), ``num_dot`` 1.,
``num_space`` １ 見出し, ``circled`` ①, ``roman`` ⅰ）, ``roman_upper``, ``kana``) and value;
whether it opens a clause is decided by :mod:`.structure`, which knows the context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..textutil import non_ws

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
ROMAN_SMALL = "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ"
_ROMAN_UPPER = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_ROMAN_ASCII = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
_KANA = "アイウエオカキクケコサシスセソタチツテト"
_KANJI_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

_D = r"[0-9０-９]"
_OPEN = r"[(（]"
_CLOSE = r"[)）]"
S = r"[ \t\u3000]"
_NOT_HEADING_START = set("のとをにがはやへでもより、。，．・）)」』")

# (style, regex). The order matters only where two patterns could match the same line.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "dai",
        re.compile(
            rf"^(第{S}*(?:{_D}{{1,2}}|[一二三四五六七八九十]{{1,3}}))(?:{S}+|[.．、]{S}*|$)(.*)$"
        ),
    ),
    ("paren_num", re.compile(rf"^({_OPEN}{S}*{_D}{{1,2}}{S}*{_CLOSE})(?:{S}*)(.*)$")),
    ("num_dot", re.compile(rf"^({_D}{{1,2}}{S}*[.．])(?!{_D}){S}*(.*)$")),
    ("num_space", re.compile(rf"^({_D}{{1,2}}){S}+(\S.*)$")),
    ("circled", re.compile(rf"^([{CIRCLED}]){S}*(.*)$")),
    (
        "roman",
        re.compile(
            rf"^({_OPEN}?{S}*(?:[{ROMAN_SMALL}]|(?:viii|vii|iii|xii|xi|vi|iv|ix|ii|i|v|x)"
            rf"|[ｉｖｘ]{{1,4}}){S}*{_CLOSE}|[{ROMAN_SMALL}](?:{S}*[.．]|{S}+))(?:{S}*)(.*)$"
        ),
    ),
    (
        "roman_upper",
        re.compile(rf"^({_OPEN}?{S}*[{_ROMAN_UPPER}]{S}*(?:{_CLOSE}|[.．]|{S}))(?:{S}*)(.*)$"),
    ),
    (
        "kana",
        re.compile(rf"^({_OPEN}{S}*[{_KANA}]{S}*{_CLOSE}|[{_KANA}]{S}*{_CLOSE})(?:{S}*)(.*)$"),
    ),
)

SECTION_STYLES = frozenset({"dai", "num_space", "num_dot"})
_PAGE_LABEL = re.compile(
    rf"^(?:【)?(?:別添|別紙|参考)?資料{S}*{_D}+(?:{S}*[-－‐−ー―]{S}*{_D}+)*(?:】)?$"
)
# "- 3 -", "－３－", a bare "3", "3 / 12": never content (a bare number is never a marker,
# which needs a heading on its line).
_PAGE_NUMBER = re.compile(
    rf"^(?:[-－‐−―]{S}*{_D}+{S}*[-－‐−―]|{_D}{{1,3}}|{_D}+{S}*[/／]{S}*{_D}+)$"
)
_RULE_LINE = re.compile(r"^[\s\u3000]*[-─━―_＿ー‐－]{5,}[\s\u3000]*$")
FOOTNOTE_START = re.compile(rf"^(?:※|注)?({_D}{{1,2}}){S}+\S")
SUPERSCRIPTS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
SENTENCE_END = re.compile(r"(こと|。)$")
CONNECTIVES = re.compile(
    r"^(また|なお|さらに|加えて|あわせて|併せて|このほか|この他|その際|これらに加え|他方|一方)[、，]"
)
# Counters after a number mean it is a quantity, not a footnote marker (``21日``, ``3件``).
COUNTERS = set("日月年回件名人つ点万億兆円%％号条項次期割位部歳時分か箇ヵヶカ者社校機台")
TITLE_NOISE = re.compile(r"[(（]\s*(?:案|概要)\s*[)）]")


@dataclass
class Line:
    no: int  # 1-based
    raw: str
    text: str  # stripped, artefact markers removed

    @property
    def indented(self) -> bool:
        return self.raw[:1].isspace()


@dataclass(frozen=True)
class Marker:
    style: str
    value: int
    marker: str
    rest: str


def _marker_value(style: str, token: str) -> int | None:
    core = re.sub(r"[\s\u3000()（）.．、第]", "", token).translate(str.maketrans("ｉｖｘ", "ivx"))
    if style in ("dai", "paren_num", "num_dot", "num_space"):
        digits = core.translate(FW_DIGITS)
        if digits.isdigit():
            return int(digits)
        if core and all(ch in _KANJI_NUM or ch == "十" for ch in core):
            return _kanji_to_int(core)
        return None
    if style == "circled":
        return CIRCLED.index(core) + 1
    if style == "roman":
        if core in ROMAN_SMALL:
            return ROMAN_SMALL.index(core) + 1
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


def match_marker(text: str) -> Marker | None:
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
        return Marker(style, value, non_ws(m.group(1)), rest)
    return None


def is_blank(raw: str) -> bool:
    return not raw.strip()


def is_separator(raw: str) -> bool:
    # A footnote rule comes out of PDF extraction as a long run of spaces or of rule glyphs.
    return (bool(raw) and raw.isspace() and len(raw) >= 8) or bool(_RULE_LINE.match(raw))


def is_page_furniture(text: str) -> str | None:
    if _PAGE_LABEL.match(text):
        return "page_label"
    if _PAGE_NUMBER.match(text):
        return "page_number"
    return None
