"""sources.rs: the review-sheet download (行政事業レビューシート) as the government ships it.

Unit tests on hand-made values first, then the frozen facts about the real files in
``corpus/rs2024/`` (read here with the csv and zipfile modules, not with the code under
test): the 2,765 programmes, the fixed 40% test split, the annotation sample's strata.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
import unicodedata
import zipfile
from collections import Counter
from decimal import Decimal

import pytest

from classifier.errors import InputFileError
from classifier.sources import REVIEW_SHEET, resolve_columns, rs

from .helpers import ROOT

RS_DIR = ROOT / "corpus" / "rs2024"
RS_12 = RS_DIR / "1-2_RS_2024_基本情報_事業概要等.zip"
RS_21 = RS_DIR / "2-1_RS_2024_予算・執行_サマリ.zip"
RS_DEV = ROOT / "corpus" / "labelled" / "rs2024_dev.csv"
TEXT_FIELDS = ["事業名", "事業の目的", "現状・課題", "事業の概要"]


@functools.cache
def zipped_csv(path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the one CSV inside a review-sheet zip (UTF-8 with BOM)."""
    with zipfile.ZipFile(path) as zf:
        (name,) = zf.namelist()
        text = zf.read(name).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    return header, rows


def dict_rows(path) -> list[dict[str, str]]:
    header, rows = zipped_csv(path)
    return [dict(zip(header, r, strict=True)) for r in rows]


@functools.cache
def annotated() -> list[dict[str, str]]:
    with open(RS_DEV, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- yen


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("34482000.0", 34482000),
        ("1,200", 1200),
        ("1,234,567", 1234567),
        ("0", 0),
        (" 500 ", 500),
        ("", None),
        ("   ", None),
        (None, None),
        (33498000, 33498000),  # an Excel number cell
        (1200.0, 1200),
        ("１，２３４", 1234),  # full-width digits and comma (NFKC)
        ("-", None),  # a dash is "no figure": unknown, not 0 yen
        ("－", None),
        ("―", None),
        ("△1,000", -1000),  # △ and ▲: the minus sign of Japanese budget documents
        ("▲ 500", -500),
        (1.2345e16, 12345000000000000),  # a number cell beyond str()'s plain digits
        ("\u22122,000", -2000),  # the minus sign proper
    ],
)
def test_yen_reads_whole_yen(cell, expected):
    assert rs.yen(cell) == expected


@pytest.mark.parametrize("cell", ["12.5", "0.01", "abc", "1-2", "百万", "NaN", "Infinity", "△"])
def test_yen_refuses_what_is_not_a_whole_amount(cell):
    with pytest.raises(ValueError, match="not"):
        rs.yen(cell)


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        (datetime.datetime(2024, 1, 2), "2024-01-02 00:00:00 is a date or time"),
        (datetime.date(2024, 1, 2), "is a date or time, not an amount"),
        ("=1000*2", "a formula no program has calculated; open the file in Excel and save"),
    ],
)
def test_yen_says_what_a_cell_is_instead(cell, says):
    with pytest.raises(ValueError, match=says):
        rs.yen(cell)


@pytest.mark.parametrize("cell", ["none", "see note", "free"])
def test_yen_says_a_word_with_an_e_is_no_amount_not_an_exponent(cell):
    with pytest.raises(ValueError, match=r"is not an amount of yen$"):
        rs.yen(cell)


@pytest.mark.parametrize("cell", ["2.10238E+08", "1.23457e+11", "１Ｅ５", "1e3"])
def test_yen_refuses_exponent_notation_that_may_have_lost_digits(cell):
    with pytest.raises(ValueError, match="exponent notation, which may have lost digits"):
        rs.yen(cell)


# --------------------------------------------------------------------------- split_of


def test_split_of_is_deterministic_and_two_valued():
    ids = [str(i) for i in range(1, 200)]
    first = [rs.split_of(i) for i in ids]
    assert first == [rs.split_of(i) for i in ids]
    assert set(first) == {"dev", "test"}


def test_split_of_is_about_40_percent_test_over_the_2765_programmes():
    ids = {r["予算事業ID"] for r in dict_rows(RS_12)}
    assert len(ids) == 2765  # PROVENANCE.md
    share = Counter(rs.split_of(i) for i in ids)["test"] / len(ids)
    assert 0.37 <= share <= 0.43, share


def test_split_of_reproduces_the_annotated_split_column():
    rows = annotated()
    assert len(rows) == 655
    assert all(rs.split_of(r["予算事業ID"]) == r["split"] for r in rows)


# --------------------------------------------------------------------------- first_rows


def test_first_rows_by_hand():
    ids = ["a", "b", "a", " a ", "", None, "b", "c", "a"]
    assert rs.first_rows(ids) == [None, None, 1, 1, None, None, 2, None, 1]
    assert rs.first_rows([]) == []
    assert rs.first_rows([7, "7", 7.5]) == [None, 1, None]  # compared as text


# --------------------------------------------------------------------------- layout


def test_is_review_sheet_on_the_real_header_and_near_misses():
    header, _ = zipped_csv(RS_12)
    assert rs.is_review_sheet(header)
    assert rs.is_review_sheet(["予算事業ID", *TEXT_FIELDS])
    for missing in ["予算事業ID", *TEXT_FIELDS]:
        assert not rs.is_review_sheet([c for c in header if c != missing]), missing
    assert not rs.is_review_sheet(["id", "text"])
    assert not rs.is_review_sheet([])
    budget_header, _ = zipped_csv(RS_21)  # the 2-1 file has no text fields
    assert not rs.is_review_sheet(budget_header)


def test_resolve_columns_knows_the_review_sheet():
    header, _ = zipped_csv(RS_12)
    cols = resolve_columns(header)
    assert cols.text == TEXT_FIELDS and cols.id == "予算事業ID"
    assert cols.layout == REVIEW_SHEET and cols.is_review_sheet
    # Named columns win; the layout is still recognised.
    named = resolve_columns(header, ["事業名"])
    assert named.text == ["事業名"] and named.is_review_sheet and named.id == "予算事業ID"
    plain = resolve_columns(["id", "text"])
    assert plain.text == ["text"] and not plain.is_review_sheet


def test_programme_text_joins_the_four_fields_one_per_line():
    cells = {
        "事業名": "名",
        "事業の目的": "目的",
        "現状・課題": "課題",
        "事業の概要": "概要",
        "x": "y",
    }
    assert rs.programme_text(cells) == "名\n目的\n課題\n概要"
    assert rs.programme_text({"事業名": "名", "事業の概要": None}) == "名\n\n\n"


# --------------------------------------------------------------------------- SAMPLE_PATTERN


def _nfkc_text(row: dict[str, str]) -> str:
    return unicodedata.normalize("NFKC", "\n".join(row[f] for f in TEXT_FIELDS))


def test_sample_pattern_reproduces_the_annotation_strata():
    rows = annotated()
    strata = Counter(r["stratum"] for r in rows)
    assert strata == {"pattern": 335, "random": 320}
    for r in rows:
        found = rs.SAMPLE_PATTERN.search(_nfkc_text(r)) is not None
        assert found == (r["stratum"] == "pattern"), (r["予算事業ID"], r["stratum"])
        assert rs.matches_sample_pattern(rs.programme_text(r)) == found


def test_sample_pattern_matches_335_of_the_2765_programmes():
    matching = {
        r["予算事業ID"] for r in dict_rows(RS_12) if rs.SAMPLE_PATTERN.search(_nfkc_text(r))
    }
    assert len(matching) == 335  # corpus/labelled/README.md: every one of them was annotated
    pattern_ids = {r["予算事業ID"] for r in annotated() if r["stratum"] == "pattern"}
    assert matching == pattern_ids


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("CSIRTの設置", True),
        ("csirtの設置", True),  # Latin letters in any case
        ("ＣＳＩＲＴの設置", True),  # full-width: matched after NFKC
        ("DDoS攻撃", True),
        ("ddos", True),
        ("ゼロトラストの導入", True),
        ("道路橋の修繕", False),
        ("情報システムの更改", False),
    ],
)
def test_matches_sample_pattern(text, found):
    assert rs.matches_sample_pattern(text) is found


# --------------------------------------------------------------------------- read_budgets

BUDGET_HEADER = [
    "予算事業ID",
    "事業名",
    "予算年度",
    "当初予算（合計）",
    "翌年度要求額（合計）",
    "会計",
]


def _write_budget(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(BUDGET_HEADER)
        writer.writerows(rows)


def test_read_budgets_takes_summary_rows_by_id_and_year(tmp_path):
    path = tmp_path / "budget.csv"
    _write_budget(
        path,
        [
            ["1", "甲", "2024", "33498000", "34482000.0", ""],
            ["1", "甲", "2024", "", "", "一般会計"],  # an account row
            ["1", "甲", "2023", "1,000", "", ""],
            ["2", "乙", "2024", "", "0", ""],
            ["3", "丙", "2024", "", "", "一般会計"],  # only account rows: no budget
        ],
    )
    budgets = rs.read_budgets(path)
    # Without a 事業年度 column, each 予算年度 stands for its own year.
    assert budgets.amounts == {
        ("1", "2024"): rs.Budget(33498000, 34482000),
        ("1", "2023"): rs.Budget(1000, None),
        ("2", "2024"): rs.Budget(None, 0),
    }
    assert budgets.conflicting == ()


def test_read_budgets_refuses_other_files_and_bad_amounts(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("id,text\n1,a\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="not a review-sheet budget file"):
        rs.read_budgets(other)
    bad = tmp_path / "bad.csv"
    _write_budget(bad, [["1", "甲", "2024", "100", "200", ""], ["2", "乙", "2024", "12.5", "", ""]])
    with pytest.raises(
        InputFileError,
        match=r"row 3 \(予算事業ID 2, 2024\): 当初予算（合計）: '12\.5' is not a whole number of "
        r"yen; correct the cell, or empty it",
    ):
        rs.read_budgets(bad)


def test_read_budgets_takes_retyped_column_names_and_names_the_nearest(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        "予算事業ID,予算年度,当初予算(合計),翌年度要求額（ 合計 ）\n1,2024,100,200\n",
        encoding="utf-8",
    )
    assert rs.read_budgets(path).amounts == {("1", "2024"): rs.Budget(100, 200)}
    path.write_text(
        "予算事業ID,予算年度,当初予算額,翌年度要求額（合計）\n1,2024,1,2\n", encoding="utf-8"
    )
    with pytest.raises(InputFileError, match=r"no column 当初予算（合計） \(the nearest to"):
        rs.read_budgets(path)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("予算事業ID,予算年度,当初予算（合計）（千円）,翌年度要求額（合計）\n1,2024,1,2\n", "千円"),
        (
            "予算・執行サマリ\n（単位：百万円）\n\n"
            + ",".join(BUDGET_HEADER)
            + "\n1,甲,2024,1,2,\n",
            "百万円",
        ),
    ],
)
def test_read_budgets_refuses_amounts_in_another_unit(tmp_path, text, said):
    """(Only a declared unit counts: see the test below for notes that merely name one.)"""
    """The download's amounts are yen: a file in 千円 would be summed 1,000 times too small."""
    path = tmp_path / "b.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=f"its amounts are in {said} .*convert the amounts"):
        rs.read_budgets(path)


@pytest.mark.parametrize(
    "title", ["（単位：円）\n※千円未満の端数を含む", "金額は円単位。千円単位ではありません"]
)
def test_read_budgets_takes_a_note_naming_a_unit_for_no_declaration(tmp_path, title):
    path = tmp_path / "b.csv"
    path.write_text(
        f"{title}\n\n" + ",".join(BUDGET_HEADER) + "\n1,甲,2024,100,200,\n", encoding="utf-8"
    )
    assert rs.read_budgets(path).amounts == {("1", "2024"): rs.Budget(100, 200)}


YEAR_HEADER = ["事業年度", "予算事業ID", "予算年度", "当初予算（合計）", "翌年度要求額（合計）"]


def test_read_budgets_joins_on_the_programme_year_of_the_2_1_file(tmp_path):
    """Only the row whose 予算年度 is the 事業年度 counts; a later download pasted in front
    (事業年度 2025) gives no 2024 programme its figures, and a dash or a note in a year
    never read does not stop the run."""
    path = tmp_path / "2-1.csv"
    _write_rows(
        path,
        YEAR_HEADER,
        [
            ["2025", "1", "2025", "33498007", "1"],  # next year's sheet, first in the file
            ["2025", "1", "2024", "33498000", "34482000"],  # …its look back at 2024
            ["2024", "1", "2024", "33498000", "34482000"],
            ["2024", "1", "2023", "-", "△5"],  # an earlier year: never parsed
            ["2024", "1", "2022", "見込み", ""],
            ["2024", "0047", "2024", "１，０００", "－"],  # padded id, full-width, dash
        ],
    )
    budgets = rs.read_budgets(path)
    assert budgets.amounts == {
        ("1", "2025"): rs.Budget(33498007, 1),
        ("1", "2024"): rs.Budget(33498000, 34482000),
        ("47", "2024"): rs.Budget(1000, None),
    }
    assert budgets.get(("47", "2024")) == budgets.get(("0047", " 2024 ")) == rs.Budget(1000, None)
    assert budgets.get(("1", "2023")) is None  # the 2023 sheet is not in this file


def test_read_budgets_leaves_conflicting_summary_rows_unknown(tmp_path):
    path = tmp_path / "2-1.csv"
    _write_rows(
        path,
        YEAR_HEADER,
        [
            ["2024", "852", "2024", "2402000", "2500000"],
            ["2024", "852", "2024", "1", "2500000"],  # pasted twice, edited once
            ["2024", "9", "2024", "10", "20"],
            ["2024", "9", "2024", "10", "20"],  # the same row twice: no conflict
        ],
    )
    budgets = rs.read_budgets(path)
    assert budgets.amounts == {
        ("852", "2024"): rs.Budget(None, None),
        ("9", "2024"): rs.Budget(10, 20),
    }
    assert budgets.conflicting == (("852", "2024"),)
    assert budgets.in_conflict(("0852", "2024")) and not budgets.in_conflict(("9", "2024"))


def _write_rows(path, header, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def test_read_budgets_on_the_real_2_1_zip():
    expected: dict[tuple[str, str], tuple[int, int]] = {}
    for r in dict_rows(RS_21):
        if not r["計（歳出予算現額合計）"]:
            continue  # an account row (the summary row carries the programme's totals)
        if r["予算年度"] != r["事業年度"]:
            continue  # an earlier budget year of the programme
        key = (r["予算事業ID"], r["事業年度"])
        assert key not in expected, key  # one summary row per programme and year
        amounts = []
        for column in ("当初予算（合計）", "翌年度要求額（合計）"):
            amount = Decimal(r[column])
            assert amount == int(amount)
            amounts.append(int(amount))
        expected[key] = (amounts[0], amounts[1])
    assert len(expected) == 2765  # one per programme of the development half
    budgets = rs.read_budgets(RS_21)
    assert {k: (b.initial, b.request) for k, b in budgets.amounts.items()} == expected
    assert budgets.conflicting == ()
    assert budgets.get(("1", "2024")) == rs.Budget(33498000, 34482000)  # the docstring's row


# --------------------------------------------------------------------------- 1-3: citations

CITED_HEADER = ["事業年度", "予算事業ID", "政策", "施策", "法令名", "計画通知名", "計画通知等URL"]


def _citations_file(tmp_path, rows):
    path = tmp_path / "1-3.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows([CITED_HEADER, *rows])
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def test_read_citations_keeps_cyber_names_once_in_file_order(tmp_path):
    path = _citations_file(
        tmp_path,
        [
            ["2024", "7", "", "", "サイバーセキュリティ基本法", "", "https://example.jp/サイバー"],
            ["2024", "7", "核セキュリティ", "食料安全保障", "電波法", "セキュリティ・キャンプ", ""],
            ["2024", "7", "", "６－１　サイバー事案対策の推進", "サイバーセキュリティ基本法", ""],
            ["2024", "8", "", "", "", "情報セキュリティポリシー\n（改定）", ""],
            ["2023", "8", "", "", "", "サイバーセキュリティ戦略", ""],
            ["2024", "9", "デジタル社会の実現", "", "", "", ""],
        ],
    )
    got = rs.read_citations(path)
    # The URL column is not a name; NFKC and blanks squeezed; 核セキュリティ, 食料安全保障
    # and セキュリティ alone are other senses.
    assert got.cyber == {
        ("7", "2024"): ("サイバーセキュリティ基本法", "6-1 サイバー事案対策の推進"),
        ("8", "2024"): ("情報セキュリティポリシー (改定)",),
        ("8", "2023"): ("サイバーセキュリティ戦略",),
    }
    assert got.listed == {("7", "2024"), ("8", "2024"), ("8", "2023"), ("9", "2024")}


def test_read_citations_refuses_a_file_without_its_columns(tmp_path):
    path = tmp_path / "2-1.csv"
    path.write_text("予算事業ID,事業年度,政策\n1,2024,x\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"not a review-sheet citations file.*施策.*法令名"):
        rs.read_citations(path)


def test_read_citations_finds_retyped_column_names(tmp_path):
    """A 1-3 file retyped by hand or re-saved: full-width ＩＤ, a line break inside a name,
    blanks around one. Found as the budget columns are, not refused as another file."""
    path = tmp_path / "1-3.csv"
    header = ["事業年度", "予算事業ＩＤ", "政策", "施 策", "法令名\n", "計画通知名"]
    path.write_text(
        ",".join(f'"{h}"' for h in header) + "\n2024,7,,,サイバーセキュリティ基本法,\n",
        encoding="utf-8",
    )
    got = rs.read_citations(path)
    assert got.cyber == {("7", "2024"): ("サイバーセキュリティ基本法",)}


def test_read_citations_names_the_nearest_column_it_lacks(tmp_path):
    path = tmp_path / "1-3.csv"
    path.write_text("予算事業ID,事業年度,政策,施策名,法令名,計画通知名\n1,2024,,,,\n", "utf-8")
    with pytest.raises(InputFileError) as info:
        rs.read_citations(path)
    assert str(info.value) == (
        f"{path}: not a review-sheet citations file (1-3_RS_…_政策・施策、法令等): no column "
        "施策 (the nearest to 施策 is 施策名)"
    )


def test_read_citations_on_the_real_1_3_zip():
    # Counted here from the zip with csv (the README of corpus/rs2024 gives 7,317 rows).
    with zipfile.ZipFile(RS_DIR / "1-3_RS_2024_基本情報_政策・施策、法令等.zip") as zf:
        (name,) = zf.namelist()
        rows = list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig"))))
    assert len(rows) == 7317
    fields = ("政策", "施策", "法令名", "計画通知名")
    citing = {
        r["予算事業ID"]
        for r in rows
        if any(
            "サイバー" in unicodedata.normalize("NFKC", r[f])
            or "情報セキュリティ" in unicodedata.normalize("NFKC", r[f])
            for f in fields
        )
    }
    got = rs.read_citations(RS_DIR / "1-3_RS_2024_基本情報_政策・施策、法令等.zip")
    assert {i for i, _ in got.cyber} == citing
    assert len(citing) == 22  # the README's count
    assert {i for i, _ in got.listed} == {r["予算事業ID"] for r in rows}


# Rows of CITED_HEADER: 事業年度, 予算事業ID, 政策, 施策, 法令名, 計画通知名, 計画通知等URL.
MORE_CITED = [
    # One row naming cyber in every field: the names in the field order of the 1-3 file.
    [
        "2024",
        "1",
        "サイバー政策",
        "情報セキュリティの確保",
        "サイバーセキュリティ基本法",
        "サ計画",
        "",
    ],
    # The full-width plan of 「サイバーセキュリティ2023」, the law again (listed once).
    [
        "2024",
        "1",
        "",
        "",
        "サイバーセキュリティ基本法",
        "「サイバーセキュリティ２０２３」（令和５年７月４日サイバーセキュリティ戦略本部決定）",
        "",
    ],
    # Half-width katakana, and id and year with blanks around them.
    [" 2024 ", " 2 ", "", "", "", "ｻｲﾊﾞｰセキュリティ戦略", ""],
    # Zero-width and tab characters inside a name; leading and trailing blanks.
    [
        "2024",
        "3",
        "",
        "",
        "",
        "\u3000政府機関等の情報セキュリティ\u200b対策の\tための統一基準 ",
        "",
    ],
    ["2024", "4", "", "", "", "", ""],  # a programme that cites nothing at all
]


def test_read_citations_names_in_field_order_cleaned_and_once(tmp_path):
    got = rs.read_citations(_citations_file(tmp_path, MORE_CITED))
    # By hand: 政策, 施策, 法令名, 計画通知名 of each row in turn; NFKC (２０２３ → 2023,
    # （ → (, ｻｲﾊﾞｰ → サイバー); zero-width characters dropped, other blanks one space.
    assert dict(got.cyber) == {
        ("1", "2024"): (
            "サイバー政策",
            "情報セキュリティの確保",
            "サイバーセキュリティ基本法",
            "「サイバーセキュリティ2023」(令和5年7月4日サイバーセキュリティ戦略本部決定)",
        ),
        ("2", "2024"): ("サイバーセキュリティ戦略",),
        ("3", "2024"): ("政府機関等の情報セキュリティ対策の ための統一基準",),
    }
    assert got.listed == {("1", "2024"), ("2", "2024"), ("3", "2024"), ("4", "2024")}
    assert ("4", "2024") not in got.cyber  # listed, citing nothing cyber


def test_read_citations_reads_a_zip_as_its_csv(tmp_path):
    csv_path = _citations_file(tmp_path, MORE_CITED)
    zipped = tmp_path / "1-3_RS_test.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("1-3_RS_test.csv", csv_path.read_bytes())
    assert rs.read_citations(zipped) == rs.read_citations(csv_path)


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("サイバーセキュリティ基本法", True),
        ("6-1 サイバー事案対策の推進", True),
        ("政府機関等の情報セキュリティ対策のための統一基準", True),
        ("核セキュリティ", False),
        ("食料安全保障", False),
        ("セキュリティ・クリアランス制度", False),
        ("情報システムの整備", False),
        ("", False),
    ],
)
def test_cited_pattern(name, found):
    assert (rs.CITED_PATTERN.search(name) is not None) is found


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        (["法令名"], "法令名"),
        (["計画通知名"], "計画通知名"),
        (["事業年度"], "事業年度"),
        (["予算事業ID", "政策"], "予算事業ID, 政策"),
    ],
)
def test_read_citations_names_every_missing_column(tmp_path, dropped, named):
    keep = [i for i, c in enumerate(CITED_HEADER) if c not in dropped]
    path = tmp_path / "cut.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows([[r[i] for i in keep] for r in [CITED_HEADER, *MORE_CITED]])
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    with pytest.raises(InputFileError, match="not a review-sheet citations file") as info:
        rs.read_citations(path)
    message = str(info.value)
    assert message.startswith(str(path)) and message.endswith(f"no column {named}"), message


def test_read_citations_refuses_the_1_2_and_2_1_files():
    # Both have 予算事業ID and 事業年度 (zipped_csv shows the headers), none of the cited fields.
    for path in (RS_12, RS_21):
        header, _ = zipped_csv(path)
        assert {"予算事業ID", "事業年度"} <= set(header)
        with pytest.raises(
            InputFileError, match=re.escape("no column 政策, 施策, 法令名, 計画通知名")
        ):
            rs.read_citations(path)


def test_read_citations_of_the_real_1_3_zip_name_for_name():
    """Beyond which programmes cite: every name, cleaned (NFKC, one line), each once in file
    order; and the file lists every programme and year of the 1-2 file."""
    expected: dict[tuple[str, str], dict[str, None]] = {}
    listed = set()
    for r in dict_rows(RS_DIR / "1-3_RS_2024_基本情報_政策・施策、法令等.zip"):
        key = (r["予算事業ID"], r["事業年度"])
        listed.add(key)
        for field in ("政策", "施策", "法令名", "計画通知名"):
            name = " ".join(unicodedata.normalize("NFKC", r[field]).split())
            if "サイバー" in name or "情報セキュリティ" in name:
                expected.setdefault(key, {})[name] = None
    assert listed == {(r["予算事業ID"], r["事業年度"]) for r in dict_rows(RS_12)}
    got = rs.read_citations(RS_DIR / "1-3_RS_2024_基本情報_政策・施策、法令等.zip")
    assert got.listed == listed and len(listed) == 2765
    assert dict(got.cyber) == {k: tuple(v) for k, v in expected.items()}
    names = {n for v in got.cyber.values() for n in v}
    assert {"サイバーセキュリティ基本法", "6-1 サイバー事案対策の推進"} <= names


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("47", "47"),
        ("0047", "47"),
        ("４７", "47"),
        ("47.0", "47"),
        (47.0, "47"),
        ("0", "0"),
        (" A-1 ", "A-1"),
        ("47.5", "47.5"),
    ],
)
def test_programme_key_matches_ids_as_numbers(cell, key):
    assert rs.programme_key(cell) == key


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("2024", "2024"),
        ("２０２４", "2024"),
        ("2024.0", "2024"),
        (2024, "2024"),
        ("2024年度", "2024"),
        ("令和6年度", "2024"),  # 令和 1 is 2019
        ("令和６", "2024"),
        ("R6", "2024"),
        ("Ｒ６年度", "2024"),
        ("令和元年度", "2019"),
        ("平成31年度", "2019"),  # 平成 1 is 1989
        ("H30", "2018"),
        ("", ""),
        ("R2024", "R2024"),  # no era year: left as written, so it joins nothing
        ("元年度", "元年度"),
        ("未定", "未定"),
    ],
)
def test_year_key_matches_years_as_numbers(cell, key):
    assert rs.year_key(cell) == key


def test_read_budgets_finds_the_sheet_holding_the_table(tmp_path):
    """A hand-made workbook: a cover sheet (opened at), an empty sheet, then the data."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "表紙"
    wb.active.append(["予算・執行サマリ（令和6年度）"])
    wb.create_sheet("空")
    data = wb.create_sheet("予算")
    data.append(BUDGET_HEADER)
    data.append(["1", "甲", "2024", "100", "200", ""])
    path = tmp_path / "2-1.xlsx"
    wb.save(path)
    assert rs.read_budgets(path).amounts == {("1", "2024"): rs.Budget(100, 200)}
    wb.remove(data)
    wb.save(path)
    with pytest.raises(InputFileError, match="not a review-sheet budget file"):
        rs.read_budgets(path)
