"""The government's review-sheet download (行政事業レビューシート, RSシステム), as shipped.

What is known about the real files (``corpus/rs2024/``, README there):

* ``1-2_RS_<year>_基本情報_事業概要等`` holds one row per programme and year: 予算事業ID,
  事業年度, 事業名, 府省庁, …, 事業の目的, 現状・課題, 事業の概要, …. The same 予算事業ID can
  appear on several rows that differ only in 主要経費 (the export repeats programmes).
* ``1-3_RS_<year>_基本情報_政策・施策、法令等`` holds the policies, laws and plans each
  programme cites (政策, 施策, 法令名, 計画通知名), several rows per programme.
* ``2-1_RS_<year>_予算・執行_サマリ`` holds budgets per programme and budget year
  (予算年度), a summary row (``…（合計）`` columns filled) followed by one row per account.
  Amounts are yen, some written as ``34482000.0``.

The text of a programme is its name and three description fields, each a sentence
boundary: 事業名 + 事業の目的 + 現状・課題 + 事業の概要.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path

from ..errors import InputFileError
from ..tables import open_table, sheet_names
from ..tables.header import one_line
from ..textutil import cell_text, clean_text

ID = "予算事業ID"
YEAR = "事業年度"
TEXT_FIELDS = ("事業名", "事業の目的", "現状・課題", "事業の概要")
BUDGET_YEAR = "予算年度"
INITIAL = "当初予算（合計）"
REQUEST = "翌年度要求額（合計）"
CITATION_FIELDS = ("政策", "施策", "法令名", "計画通知名")
# The columns classify adds to a review sheet, with --budget, and with --cited.
DUPLICATE_COLUMN = "duplicate_of"
BUDGET_COLUMNS = ("budget_initial_yen", "budget_request_yen")
# 1 on the first row of a programme, 0 on a row repeating it: sum the amounts of rows with
# 1 (an Excel pivot over every row would count a programme's budget once per row).
BUDGET_COUNTED_COLUMN = "budget_counted"
CITED_COLUMN = "cited_cyber"
# A cited policy, law or plan that is about cybersecurity (サイバーセキュリティ基本法,
# サイバーセキュリティ戦略, 政府機関等の情報セキュリティ対策のための統一基準, 警察庁の施策
# ６－１ サイバー事案対策の推進, …). On the annotated development split 13 of the 30 IN
# programmes cite one and none of the 356 OUT or BORDER programmes does; but a floor on
# in_scope for citing programmes found no missed IN programme on the test split and added
# a false positive (README), so classify shows citations as evidence only.
CITED_PATTERN = re.compile("サイバー|情報セキュリティ")

# The broad cyber-term pattern the annotation sample was drawn with (every programme of the
# development half matching it, plus 320 others at random; corpus/labelled/README.md).
# Frozen: the labelled data's strata, and the presumption that an unsampled programme
# without any of these terms is out of scope (0 of the 320 sampled ones was in scope),
# depend on exactly this pattern. Matched on NFKC text, Latin letters in any case.
SAMPLE_PATTERN = re.compile(
    "サイバー|セキュリティ|セキュア|情報漏え|情報漏洩|情報漏れ|漏えい|不正アクセス|不正侵入|暗号|脆弱"
    "|CSIRT|NISC|GSOC|ウイルス|ウィルス|マルウェア|ランサム|不正プログラム|標的型|DDoS|改ざん"
    "|なりすまし|フィッシング|ハッキング|インシデント|情報保全|情報保証|ゼロトラスト|不正利用"
    "|個人情報保護|攻撃",
    re.IGNORECASE,
)
_TEST_TENTHS = 4  # 40% of programmes are in the fixed test split


def is_review_sheet(columns: Sequence[str]) -> bool:
    """Whether a table's header is the review-sheet layout exactly as the download names
    it (its id and all text fields); classify also reads it retyped (:mod:`.review_header`)."""
    return ID in columns and all(f in columns for f in TEXT_FIELDS)


def split_of(programme_id: str) -> str:
    """``test`` for a fixed 40% of programmes (a hash of the 予算事業ID), else ``dev``.

    Over all programmes, annotated or not, so nothing of the test split is learnt from.
    """
    digest = hashlib.sha256(f"rs2024-split:{programme_id}".encode()).hexdigest()
    return "test" if int(digest, 16) % 10 < _TEST_TENTHS else "dev"


def matches_sample_pattern(text: str) -> bool:
    return SAMPLE_PATTERN.search(clean_text(text)) is not None


def programme_text(cells: Mapping[str, object]) -> str:
    """事業名 + 事業の目的 + 現状・課題 + 事業の概要, one field per line."""
    return "\n".join(cell_text(cells.get(f)) for f in TEXT_FIELDS)


def first_rows(ids: Iterable[object]) -> list[int | None]:
    """For each row, the 1-based data row of the first row with the same id (``None`` for
    a first occurrence or an empty id)."""
    seen: dict[str, int] = {}
    out: list[int | None] = []
    for number, ident in enumerate(ids, start=1):
        key = cell_text(ident).strip()
        if not key:
            out.append(None)
            continue
        first = seen.setdefault(key, number)
        out.append(first if first != number else None)
    return out


# A cell holding only a dash is how Japanese tables write "no figure": unknown, not 0 yen.
_DASHES = frozenset("-－‐―—–ー−")
# △ and ▲ are the minus sign of Japanese budget documents (△1,000 is -1,000); U+2212 is
# the minus sign proper, which NFKC leaves as it is.
_MINUS = ("△", "▲", "\u2212")


def programme_key(value: object) -> str:
    """A 予算事業ID as the files are joined on: NFKC and trimmed, and a number without its
    leading zeros or a zero fraction (a 1-2 file re-saved by hand writes 0047 for the
    download's 47; one re-saved by pandas, 47.0)."""
    text = _WHOLE.sub(r"\1", unicodedata.normalize("NFKC", cell_text(value)).strip())
    return text.lstrip("0") or "0" if text.isdigit() else text


def year_key(value: object) -> str:
    """A 事業年度 or 予算年度 as the files are joined on: NFKC and trimmed, the Western year
    (2024.0, 2024年度, 令和6年度, R6 and 令和６ are 2024; the download writes 2024, a file
    typed by hand often the era year)."""
    text = _WHOLE.sub(r"\1", unicodedata.normalize("NFKC", cell_text(value)).strip())
    era = _ERA_YEAR.match(text)
    if era is None:
        return text
    name, number, _ = era.groups()
    if name is None:
        return number if number != "元" else text
    if len(number) > 2:  # (R2024 is no era year)
        return text
    year = 1 if number == "元" else int(number)
    return str(_ERA_START[name.upper()] + year - 1)


_ERA_START = {"令和": 2019, "R": 2019, "平成": 1989, "H": 1989}
_ERA_YEAR = re.compile(r"^(令和|平成|[RrHh])?\s*(\d{1,4}|元)\s*(年度|年)?$")


_WHOLE = re.compile(r"^(\d+)\.0+$")
_EXPONENT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def yen(value: object) -> int | None:
    """An amount cell as whole yen (``34482000.0`` → 34482000, ``１，２３４`` → 1234,
    ``△1,000`` → -1000); ``None`` when empty or a dash."""
    if isinstance(value, dt.date | dt.time):  # (a datetime is a date)
        raise ValueError(f"{value} is a date or time, not an amount of yen")
    text = unicodedata.normalize("NFKC", cell_text(value)).strip().replace(",", "")
    if not text or set(text) <= _DASHES:
        return None
    if text.startswith("="):
        raise ValueError(
            f"{value!r} is a formula no program has calculated; open the file in Excel and "
            "save it, so that the cell holds its value"
        )
    if text.startswith(_MINUS):
        text = "-" + text[1:].strip()
    if isinstance(value, str) and _EXPONENT.match(text):
        # How Excel shows a long number in a narrow General column, and saves it so in
        # CSV: 2.10238E+08 keeps six digits of 211,200,000. (A number cell is exact.)
        raise ValueError(
            f"{value!r} is in exponent notation, which may have lost digits (Excel writes a "
            "long number so when its column is narrow); save the file again with the "
            "amount columns formatted as numbers"
        )
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount of yen") from exc
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number of yen")
    return int(amount)


@dataclass(frozen=True)
class Budget:
    """A programme's 当初予算（合計） and 翌年度要求額（合計） for one budget year, in yen."""

    initial: int | None
    request: int | None


@dataclass(frozen=True)
class Budgets:
    """What a 2-1 file says: per ``(予算事業ID, 事業年度)`` (ids as :func:`programme_key`),
    the amounts of the budget year equal to the 事業年度; and the programmes it leaves
    uncertain, so classify can say so."""

    amounts: Mapping[tuple[str, str], Budget]
    # Programmes and years with two summary rows that disagree: their amounts are left
    # unknown rather than guessed (a 2-1 file pasted together from two downloads).
    conflicting: tuple[tuple[str, str], ...] = ()
    # Every programme with any row in the file (another year, a blank 予算年度, account
    # rows only): one missing from ``amounts`` but here is in the file, without its total.
    listed: frozenset[str] = frozenset()

    def get(self, key: tuple[str, str]) -> Budget | None:
        return self.amounts.get(_key(key))

    def in_conflict(self, key: tuple[str, str]) -> bool:
        return _key(key) in self.conflicting


def _key(key: tuple[str, str]) -> tuple[str, str]:
    return programme_key(key[0]), year_key(key[1])


def read_budgets(path: str | Path) -> Budgets:
    """The summary rows of a 2-1 file, for the budget year equal to each 事業年度.

    A 2-1 file lists every budget year of a programme (予算年度 2021–2024 for 事業年度
    2024); only the year's own row is read, and only its two amounts are parsed, so a
    dash or a note in another year's cell does not stop the run. Without a 事業年度
    column (a trimmed export) the 予算年度 is taken as the year.
    """
    table = _open_sheet_with(path, (ID, BUDGET_YEAR, INITIAL, REQUEST))
    try:
        return _read_budgets(path, table)
    finally:
        table.close()


def _open_sheet_with(path: str | Path, needed: Sequence[str]):
    """The table of ``path``; of a workbook, the first sheet holding the ``needed``
    columns when the one Excel opens at does not (a cover sheet before the data, as
    hand-made workbooks have). The first sheet read when none does, for its message."""
    table = open_table(str(path))
    if table.format != "xlsx" or all(_column(table.columns, c) for c in needed):
        return table
    for name in sheet_names(str(path)):
        try:
            other = open_table(str(path), sheet=name)
        except InputFileError:  # an empty sheet, a sheet that is no table
            continue
        if all(_column(other.columns, c) for c in needed):
            table.close()
            return other
        other.close()
    return table


def _read_budgets(path: str | Path, table) -> Budgets:
    names = (ID, BUDGET_YEAR, INITIAL, REQUEST)
    found = {c: _column(table.columns, c) for c in (*names, YEAR)}
    missing = [c for c in names if found[c] is None]
    near = [difflib.get_close_matches(c, table.columns, n=1, cutoff=0.6) for c in missing]
    _refuse_units(path, table, [found[INITIAL], found[REQUEST], *(n[0] for n in near if n)])
    if missing:
        raise InputFileError(
            f"{path}: not a review-sheet budget file (2-1_RS_…_予算・執行_サマリ): "
            f"no column {', '.join(missing)}" + _nearest(table.columns, missing)
        )
    col = {c: table.columns.index(str(found[c])) for c in names}
    year_at = table.columns.index(str(found[YEAR])) if found[YEAR] else col[BUDGET_YEAR]
    amounts: dict[tuple[str, str], Budget] = {}
    conflicting: dict[tuple[str, str], None] = {}
    listed: set[str] = set()
    for row in table.rows:
        cells = row.cells
        ident = programme_key(cells[col[ID]])
        listed.add(ident)
        year = year_key(cells[year_at])
        budget_year = year_key(cells[col[BUDGET_YEAR]])
        if budget_year != year:
            continue  # an earlier budget year of the programme
        initial, request = cells[col[INITIAL]], cells[col[REQUEST]]
        if not cell_text(initial).strip() and not cell_text(request).strip():
            continue  # an account row; the programme's totals are on its summary row
        try:
            budget = Budget(_amount(initial, INITIAL), _amount(request, REQUEST))
        except ValueError as exc:
            raise InputFileError(
                f"{path} row {row.line} ({ID} {ident or '(none)'}, {year}): {exc}; correct "
                "the cell, or empty it to leave the amount unknown"
            ) from None
        key = (ident, year)
        first = amounts.setdefault(key, budget)
        if first != budget:
            conflicting[key] = None
    for key in conflicting:
        amounts[key] = Budget(None, None)
    return Budgets(amounts, tuple(conflicting), frozenset(listed))


# A unit declared, as tables declare one: （単位：千円）, 当初予算（千円）. Not any 千円 in a
# note (※千円未満の端数を含む), nor a declared 円.
_UNIT = re.compile(r"単位\s*[:：]?\s*(千円|百万円|億円)|[（(]\s*(千円|百万円|億円)\s*[）)]")


def _column(columns: Sequence[str], name: str) -> str | None:
    """The column named ``name`` as the download names it, or retyped: half-width
    brackets (当初予算(合計)), a space or a line break. (Not without its bracketed note:
    the download has 当初予算 beside 当初予算（合計）.)"""
    if name in columns:
        return name
    key = unicodedata.normalize("NFKC", "".join(name.split()))
    same = [c for c in columns if unicodedata.normalize("NFKC", "".join(c.split())) == key]
    return same[0] if len(same) == 1 else None


def _nearest(columns: Sequence[str], missing: Sequence[str], cutoff: float = 0.6) -> str:
    """`` (the nearest to 施策 is 施策名)`` for the missing columns with a near name."""
    near = {c: difflib.get_close_matches(c, columns, n=1, cutoff=cutoff) for c in missing}
    hint = ", ".join(f"the nearest to {c} is {one_line(n[0])}" for c, n in near.items() if n)
    return f" ({hint})" if hint else ""


def _refuse_units(path: str | Path, table, amount_columns: list) -> None:
    """The download's amounts are yen; a hand-made file in 千円 (said in an amount column's
    name or in a title row above the header) would be summed 1,000 times too small."""
    said = [c for c in amount_columns if c and _UNIT.search(str(c))]
    if not said and table.header_line > 1:
        above = open_table(str(path), header_row=1)
        try:
            first = [
                cell_text(c) for r in islice(above.rows, table.header_line - 2) for c in r.cells
            ]
        finally:
            above.close()
        said = [t for t in [*above.columns, *first] if _UNIT.search(t)]
    if said:
        unit = _UNIT.search(str(said[0]))
        named = (unit.group(1) or unit.group(2)) if unit else "another unit"
        raise InputFileError(
            f"{path}: its amounts are in {named} "
            f"({one_line(str(said[0]))}); classify reads yen, as the RS download writes them: "
            "give the download as shipped, or convert the amounts to yen"
        )


def _amount(value: object, column: str) -> int | None:
    try:
        return yen(value)
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from None


@dataclass(frozen=True)
class Citations:
    """What a 1-3 file says: per ``(予算事業ID, 事業年度)`` (ids as :func:`programme_key`),
    the cybersecurity policies, laws and plans (matching :data:`CITED_PATTERN`) the
    programme cites, each once, in file order (programmes citing none are absent); and
    every programme the file lists."""

    cyber: Mapping[tuple[str, str], tuple[str, ...]]
    listed: frozenset[tuple[str, str]]


def read_citations(path: str | Path) -> Citations:
    """The cybersecurity citations of every programme of a 1-3 file."""
    wanted = (ID, YEAR, *CITATION_FIELDS)
    table = _open_sheet_with(path, wanted)
    try:
        # Found as the budget columns are: retyped (half-width, a space or line break) too.
        named = {c: _column(table.columns, c) for c in wanted}
        missing = [c for c in wanted if named[c] is None]
        if missing:
            raise InputFileError(
                f"{path}: not a review-sheet citations file (1-3_RS_…_政策・施策、法令等): "
                f"no column {', '.join(missing)}" + _nearest(table.columns, missing, cutoff=0.7)
                # Stricter than for amounts: 計画通知等URL is 0.67 like 計画通知名, and no name.
            )
        col = [table.columns.index(str(named[c])) for c in wanted]
        found: dict[tuple[str, str], dict[str, None]] = {}
        listed: set[tuple[str, str]] = set()
        for row in table.rows:
            ident, year, *names = (cell_text(row.cells[i]) for i in col)
            key = (programme_key(ident), year_key(year))
            listed.add(key)
            for name in names:
                # NFKC and one line: the name as it is matched and shown.
                cleaned = " ".join(clean_text(name).split())
                if CITED_PATTERN.search(cleaned):
                    found.setdefault(key, {})[cleaned] = None
        return Citations({k: tuple(v) for k, v in found.items()}, frozenset(listed))
    finally:
        table.close()
