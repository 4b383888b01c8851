"""Analyst labels: the labelled-request record, and parsing, normalising and checking labels."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import LabelError
from .policy import Clause, Policy
from .vocab import OUT_OF_SCOPE_LABEL as OUT_OF_SCOPE
from .vocab import CVGroups, Scope

NONE_SPELLINGS = frozenset({"none", "対象外", "該当なし", "なし", "out_of_scope"})
# A dash means "none" to some and "not filled in" to others: neither is guessed.
_DASHES = frozenset({"-", "－", "ー", "―", "—", "‐", "−"})
_ROMAN_ASCII = {
    "i": "ⅰ",
    "ii": "ⅱ",
    "iii": "ⅲ",
    "iv": "ⅳ",
    "v": "ⅴ",
    "vi": "ⅵ",
    "vii": "ⅶ",
    "viii": "ⅷ",
    "ix": "ⅸ",
    "x": "ⅹ",
}
_ROMAN_UPPER = str.maketrans("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ", "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ")
_SPLIT = re.compile(r"[;；,，\n]+")
# 、 separates labels only before another label or NONE: inside a heading pasted after a
# label (政府機関、独立行政法人等における…) it is the heading's own punctuation.
_SPLIT_COMMA = re.compile(
    r"、+(?=\s*(?:[(（]\s*[0-9０-９]+\s*[)）]|[0-9０-９]+\s*[-‐・.－．]?\s*[①-⑳]"
    r"|none\b|対象外|該当なし|なし\s*$|out_of_scope))",
    re.IGNORECASE,
)
_LABEL_HEAD = re.compile(r"^\s*(\S+)")


@dataclass(frozen=True)
class LabelledRequest:
    """A budget request with the policy labels an analyst gave it (primary first).

    ``labels == ()`` means out of scope (``NONE`` in files).
    """

    id: str
    text: str
    labels: tuple[str, ...]
    ministry: str = ""
    amount: float | None = None
    split: str = "dev"
    # ``IN``/``OUT``/``BORDER`` where an annotator said so (review sheets); "" when the
    # labels alone tell (any label: in scope; NONE: out).
    scope: str = ""
    # How many programmes of the population this row stands for (a sampled stratum).
    weight: float = 1.0
    source: str = ""  # the labelled file (its name without suffix) the row came from

    @property
    def in_scope(self) -> bool:
        if self.scope:
            return self.scope != Scope.OUT
        return bool(self.labels)

    def cv_group(self, by: str = CVGroups.PROGRAMME) -> str:
        """The cross-validation group of this text: its programme (a sentence taken from
        one, id ``<programme>#<k>``, goes with it) or, by ministry, its ministry."""
        if by == CVGroups.MINISTRY and self.ministry:
            return f"ministry:{self.ministry}"
        return self.id.split("#")[0]


_WIDTH = str.maketrans("（）０１２３４５６７８９　ｉｖｘＩＶＸ－．", "()0123456789 ivxIVX-.")
_SMALL_ROMAN = "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ"
# Between the parts of a label a space, a hyphen, a dot or a 中黒 may stand: (2)-③-i.
_JOIN = r"\s*[-‐・.]?\s*"
_LABEL = re.compile(
    r"^(?:\(\s*(\d+)\s*\)|(\d+)(?=" + _JOIN + r"[①-⑳]))"  # (2), or a bare 2 before ③
    r"(?:" + _JOIN + r"([①-⑳])"  # ③
    r"(?:" + _JOIN + r"\(?\s*([ⅰ-ⅻⅠ-Ⅻ]|(?:xii|xi|x|ix|viii|vii|vi|v|iv|iii|ii|i)(?![a-z]))"
    r"\s*\)?)?)?",
    re.IGNORECASE,
)


def _is_none(word: str) -> bool:
    """Whether a word spells NONE, in any case and width (Excel's full-width ＮＯＮＥ too)."""
    folded = unicodedata.normalize("NFKC", word).strip()
    return folded.lower() in NONE_SPELLINGS or folded.upper() == OUT_OF_SCOPE


def normalize_label(raw: str) -> str:
    """Canonical spelling of a label typed by hand: ``（２）③ ii``, ``(2)③ (ii)``,
    ``(2)③(ⅱ)`` and ``(2)③ⅱ)`` are all ``(2)③ⅱ``.

    A heading after the label (``(2)③ 政府機関…``) is ignored. A second label, a question
    mark or NONE after it, or a lone dash, raises :class:`LabelError`: which label was
    meant cannot be told, and silently keeping the first would teach the wrong one.
    """
    if raw is None:  # an empty cell is "not filled in" (parse_labels), never NONE
        raise LabelError("no label given (None): write NONE for out of scope")
    s = str(raw).strip()
    if _is_none(s):
        return OUT_OF_SCOPE
    if s in _DASHES:
        raise LabelError(
            f"{s!r} is not a label: write NONE for out of scope, or leave the cell empty"
        )
    s = s.translate(_WIDTH)
    m = _LABEL.match(s)
    if m is None:
        negative = re.fullmatch(r"-(\d+)(?:\.0)?", s)
        if negative:
            # Excel reads a typed (5) as the number -5.
            area = negative.group(1)
            raise LabelError(
                f"{s!r} is how Excel shows ({area}) typed into a number cell: format the "
                f"column as text, or type '({area})"
            )
        _check_unsure(s, s)
        head = _LABEL_HEAD.match(s)
        word = head.group(1) if head else s
        # NONE's row of the labels sheet, copied whole: 対象外 (supports no item).
        return OUT_OF_SCOPE if _is_none(word) else word
    area_in_parentheses, bare_area, item, sub = m.groups()
    area = area_in_parentheses or bare_area
    if item is None:
        _check_item_number(str(raw).strip(), s[m.end() :])
    _check_rest(str(raw).strip(), s[m.end() :])
    label = f"({int(area)})" + (item or "")
    if sub:
        sub = sub.translate(_ROMAN_UPPER).lower()
        label += sub if sub in _SMALL_ROMAN else _SMALL_ROMAN[_ROMAN_ASCII_ORDER.index(sub)]
    return label


_ANOTHER_LABEL = re.compile(r"\(\s*\d+\s*\)|[①-⑳]")
_UNSURE = re.compile(r"[?？]")


def _check_unsure(raw: str, text: str) -> None:
    """A question mark in ``text`` (a cell or what follows its label): the label is a guess."""
    if _UNSURE.search(text):
        raise LabelError(f"{raw!r} is marked unsure: settle the label, or leave the cell empty")


def _check_item_number(raw: str, rest: str) -> None:
    """(2)3 or (2)-3: the item typed as a plain number, which alone would read as area (2)."""
    digits = re.match(r"\s*[-.]?\s*(\d+)", rest)
    if digits and 1 <= int(digits.group(1)) <= 20:
        circled = chr(0x2460 + int(digits.group(1)) - 1)
        head = raw[: len(raw) - len(rest)].strip()
        raise LabelError(f"{raw!r}: write the item as a circled number, e.g. {head}{circled}")


def _check_rest(raw: str, rest: str) -> None:
    """Refuse what follows a label when it is not a heading (see :func:`normalize_label`)."""
    if _ANOTHER_LABEL.search(rest):
        raise LabelError(
            f"{raw!r} holds more than one label: separate labels with ';' (e.g. (2)③;(2)⑦)"
        )
    _check_unsure(raw, rest)
    # Right after the label (no blank): more numerals than a sub-item has, (2)①ⅰⅰ or
    # (2)③xiii. Keeping the label before them would read another target.
    extra = _EXTRA_NUMERAL.match(rest)
    if extra:
        raise LabelError(
            f"{raw!r}: {extra.group()!r} after the label is no sub-item number; write one "
            "of ⅰ–ⅻ (or i–xii), once"
        )
    if _SPLIT.search(rest):
        raise LabelError(
            f"{raw!r} holds more than one label or a separator: one label here (a cell "
            "separates them with ';')"
        )
    words = rest.split()
    if words and _is_none(words[0]):
        raise LabelError(f"{raw!r}: a label and NONE (out of scope) cannot be combined")


_EXTRA_NUMERAL = re.compile(r"[ⅰ-ⅻⅠ-Ⅻ]+|[ivx]+(?![a-z])", re.IGNORECASE)
_ROMAN_ASCII_ORDER = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")


def parse_labels(cell: object) -> tuple[str, ...] | None:
    """Labels in a cell, primary first; ``()`` for out of scope, ``None`` for an empty cell.

    Several labels are separated by ``;`` (or ``；``, ``,``, a line break, or ``、`` before
    another label or NONE: a 、 inside a heading pasted after a label separates nothing).
    A cell holding only separators is empty, not out of scope.
    """
    text = "" if cell is None else str(cell)
    if not text.strip() or text.strip().lower() == "nan":
        return None
    labels = [normalize_label(part) for part in _parts(text)]
    if not labels:
        return None
    if OUT_OF_SCOPE in labels:
        if len(labels) > 1:
            raise LabelError(f"{text!r}: NONE (out of scope) cannot be combined with other labels")
        return ()
    return tuple(dict.fromkeys(labels))


def check_labels(labels: Iterable[str], policy: Policy) -> list[str]:
    """Problems with labels for this policy, each with a suggestion where one is close."""
    known = [c.label for c in policy.targets]
    problems = []
    for label in labels:
        if label in known:
            continue
        hint = difflib.get_close_matches(label, known, n=1, cutoff=0.5)
        try:
            clause = policy.clause(label)
        except KeyError:
            clause = None
        area = f"({label})"
        if label.isdigit() and area in known:
            problems.append(f"{label!r} is no label: did you mean {area!r}?")
        elif label.isdigit() and any(c.label == area for c in policy.clauses):
            # A bare 3 is the document's section 3 too, but an analyst typing it means (3).
            below = [
                c.label for c in policy.targets if area in (c.label, *policy.ancestors(c.label))
            ]
            problems.append(
                f"{label!r} is no label: an area is written {area}, and is a heading; use "
                f"one of the targets under it: {', '.join(below)}"
            )
        elif clause is not None:
            below = [c.label for c in policy.targets if label in policy.ancestors(c.label)]
            problems.append(
                f"{label!r} is a heading, not a classification target "
                f"(use one of the targets under it: {', '.join(below) or 'none'})"
            )
        else:
            problems.append(
                f"unknown label {label!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
    return problems


def format_labels(labels: tuple[str, ...] | None) -> str:
    """Labels as a cell: ``;``-separated, ``NONE`` for out of scope, empty for none given."""
    if labels is None:
        return ""
    return ";".join(labels) if labels else OUT_OF_SCOPE


def _parts(text: str) -> list[str]:
    """The label parts of a cell, as :func:`parse_labels` splits it."""
    parts = [p for piece in _SPLIT.split(text) for p in _SPLIT_COMMA.split(piece)]
    return [part for part in parts if part.strip().strip("、")]


_MIN_HEADING = 4  # characters after a label that can be told for a heading
# Blanks and the punctuation a heading cut short ends in: NFKC makes the labels sheet's …
# three full stops, so they go too.
_HEADING_KEY = re.compile(r"[\s…。、.]+")


def _heading_key(text: str) -> str:
    return _HEADING_KEY.sub("", unicodedata.normalize("NFKC", text))


def _same_start(heading: str, pasted: str) -> bool:
    """A pasted text that is the heading, cut short (…) or followed by more."""
    return bool(heading) and (heading.startswith(pasted) or pasted.startswith(heading))


def _heading_of(clause: Clause) -> str:
    """A clause's heading as compared: a sub-item has none, and is shown by its text."""
    return _heading_key(clause.heading or clause.text)


def pasted_heading_problems(cell: object, policy: Policy) -> list[str]:
    """A heading pasted after a label that is another target's (``(2)③ <(2)⑦'s heading>``,
    a row of the labels sheet half copied): which of the two is meant cannot be told.
    Text that is no target's heading (an analyst's note) is no problem."""
    text = "" if cell is None else str(cell)
    headings = {c.label: _heading_of(c) for c in policy.targets}
    problems = []
    for part in _parts(text):
        m = _LABEL.match(part.strip().translate(_WIDTH))
        if m is None:
            continue
        label = normalize_label(part)
        rest = _heading_key(part.strip().translate(_WIDTH)[m.end() :])
        try:
            # Its own heading, or an item's above a sub-item (the heading a reviewer sees).
            own = [_heading_of(policy.clause(a)) for a in (label, *policy.ancestors(label))]
        except KeyError:
            continue  # no such label: check_labels says so
        if len(rest) < _MIN_HEADING or any(_same_start(h, rest) for h in own):
            continue
        other = [k for k, h in headings.items() if _same_start(h, rest)]
        if other:
            problems.append(
                f"{part.strip()!r}: the heading after {label} is {other[0]}'s: which of the "
                f"two is meant cannot be told; keep the one meant ({label} or {other[0]})"
            )
    return problems
