"""sources.export_columns.ExportColumns: the cells classify adds per row for known exports
(duplicate_of, --budget, --cited), on hand-made rows and files; every expected value is
written by hand from the small files built here."""

from __future__ import annotations

import csv
import io

import pytest

from classifier.errors import InputFileError
from classifier.sources.export_columns import ExportColumns
from classifier.tables import Row

RS = ["予算事業ID", "事業年度", "事業名", "事業の目的", "現状・課題", "事業の概要"]
PLAIN = ["予算事業ID", "事業年度", "概要"]  # has the join keys, but is not a review sheet
BUDGET = "budget_initial_yen", "budget_request_yen"


def _write(path, rows) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return str(path)


@pytest.fixture
def budget(tmp_path) -> str:
    return _write(
        tmp_path / "2-1.csv",
        [
            ["予算事業ID", "予算年度", "当初予算（合計）", "翌年度要求額（合計）"],
            ["1", "2024", "1000", "2000"],
            ["2", "2024", "", "30"],  # no initial budget
            ["1", "2023", "7", "7"],  # another year
        ],
    )


@pytest.fixture
def cited(tmp_path) -> str:
    return _write(
        tmp_path / "1-3.csv",
        [
            ["事業年度", "予算事業ID", "政策", "施策", "法令名", "計画通知名"],
            ["2024", "1", "", "", "サイバーセキュリティ基本法", "核セキュリティ"],
            ["2024", "1", "", "", "", "「サイバーセキュリティ2023」"],
            ["2024", "2", "食料安全保障", "", "", ""],  # listed, nothing cyber
            ["2023", "3", "", "", "サイバーセキュリティ基本法", ""],  # 3 cites in 2023 only
        ],
    )


def row(line: int, ident: str, year: str = "2024") -> Row:
    return Row(line - 1, [ident, year, "名", "", "", ""], line=line)


def plain_row(line: int, ident: str, year: str = "2024") -> Row:
    return Row(line - 1, [ident, year, "概要"], line=line)


LAW_AND_PLAN = "サイバーセキュリティ基本法; 「サイバーセキュリティ2023」"


def test_a_table_that_is_no_export_gets_nothing():
    extras = ExportColumns(["id", "text"], False, None, None)
    assert extras.columns == []
    cells = extras.cells(Row(1, ["1", "x"], line=2))
    assert cells == []
    assert extras.repeats(cells) is False and extras.cites(cells) is False
    assert extras.amounts(cells) == (None, None)


def test_review_sheet_with_budget_and_cited(budget, cited):
    extras = ExportColumns(RS, True, budget, cited)
    assert extras.columns == ["duplicate_of", *BUDGET, "budget_counted", "cited_cyber"]
    rows = [row(2, "1"), row(3, "2"), row(4, " 1 "), row(5, "3"), row(6, "9")]
    got = [extras.cells(r) for r in rows]
    assert got == [
        ["", 1000, 2000, 1, LAW_AND_PLAN],
        ["", "", 30, 1, ""],
        [2, 1000, 2000, 0, LAW_AND_PLAN],  # repeats Excel row 2 (ids compared without blanks)
        ["", "", "", 1, ""],  # 3 cites in 2023, not 2024; and has no 2024 budget
        ["", "", "", 1, ""],  # 9 is in neither file
    ]
    assert [extras.repeats(c) for c in got] == [False, False, True, False, False]
    assert [extras.cites(c) for c in got] == [True, False, True, False, False]
    # The amounts are the budget cells, not the citation after them.
    assert [extras.amounts(c) for c in got] == [
        (1000, 2000),
        (None, 30),
        (1000, 2000),
        (None, None),
        (None, None),
    ]
    assert (extras.duplicates, extras.missing_budget) == (1, 2)
    # Rows citing: 2 and 4; rows whose programme the 1-3 file does not list: 3 (2024), 9.
    assert (extras.n_cited, extras.missing_cited) == (2, 2)


def test_a_missing_programme_on_several_rows_counts_once(budget, cited):
    """The notes count programmes: the RS file gives a programme one row per 主要経費."""
    extras = ExportColumns(RS, True, budget, cited)
    for r in [row(2, "9"), row(3, "9"), row(4, "9"), row(5, "3"), row(6, "1")]:
        extras.cells(r)
    assert extras.duplicates == 2
    assert extras.missing_budget == 2  # 9 and 3 (which has no 2024 budget)
    assert extras.missing_cited == 2  # 9, and 3 whose citations are for 2023


def test_review_sheet_with_cited_only(cited):
    extras = ExportColumns(RS, True, None, cited)
    assert extras.columns == ["duplicate_of", "cited_cyber"]
    first, again = extras.cells(row(2, "1")), extras.cells(row(3, "1"))
    assert (first, again) == (["", LAW_AND_PLAN], [2, LAW_AND_PLAN])
    assert extras.repeats(first) is False and extras.repeats(again) is True
    assert extras.amounts(first) == (None, None)


@pytest.mark.parametrize("with_cited", [False, True], ids=["budget", "budget and cited"])
def test_a_table_that_is_not_a_review_sheet_counts_a_programme_once(budget, cited, with_cited):
    """No duplicate_of column: the first added cell is an amount (or the citation), and a
    row with an amount is not taken for a repeat (such rows used to drop out of the
    summary); budget_counted marks the second row of the same programme and year."""
    extras = ExportColumns(PLAIN, False, budget, cited if with_cited else None)
    assert extras.columns == (
        [*BUDGET, "budget_counted", "cited_cyber"] if with_cited else [*BUDGET, "budget_counted"]
    )
    got = [extras.cells(plain_row(2, "1")), extras.cells(plain_row(3, "1"))]
    tail = [LAW_AND_PLAN] if with_cited else []
    assert got == [[1000, 2000, 1, *tail], [1000, 2000, 0, *tail]]
    assert [extras.repeats(c) for c in got] == [False, True]
    assert [extras.amounts(c) for c in got] == [(1000, 2000), (1000, 2000)]
    assert extras.duplicates == 0  # no review sheet: no duplicate_of note


def test_a_table_that_is_not_a_review_sheet_with_cited_only(cited):
    extras = ExportColumns(PLAIN, False, None, cited)
    assert extras.columns == ["cited_cyber"]
    cells = extras.cells(plain_row(2, "1"))
    assert cells == [LAW_AND_PLAN]
    assert extras.repeats(cells) is False and extras.cites(cells) is True
    assert extras.amounts(cells) == (None, None)


@pytest.mark.parametrize(
    "columns",
    [["id", "text"], ["予算事業ID", "概要"], ["事業年度", "概要"], RS[:1] + RS[2:]],
    ids=["neither", "no year", "no id", "review sheet without the year"],
)
@pytest.mark.parametrize("option", ["--budget", "--cited"])
def test_a_join_needs_the_id_and_the_year(budget, cited, columns, option):
    given = {"--budget": (budget, None), "--cited": (None, cited)}[option]
    with pytest.raises(InputFileError, match=f"^{option} joins on 予算事業ID and 事業年度"):
        ExportColumns(columns, "事業の目的" in columns, *given)


def test_rows_without_an_id_are_counted_apart_not_as_one_missing_programme(budget, cited):
    """Three rows with a blank 予算事業ID get empty joined cells, each counts in the
    summary (budget_counted 1: nothing says they repeat one another), and none is a
    'programme missing from 2-1 / 1-3': they are counted in ``no_id`` instead."""
    extras = ExportColumns(RS, True, budget, cited)
    got = [extras.cells(r) for r in (row(2, ""), row(3, " "), row(4, ""), row(5, "9"))]
    assert got[:3] == [["", "", "", 1, ""]] * 3
    assert got[3] == ["", "", "", 1, ""]  # 9: in neither file
    assert extras.no_id == 3
    assert extras.missing_budget == 1 and extras.missing_cited == 1  # programme 9 alone
    assert extras.duplicates == 0


def test_no_id_is_not_counted_without_a_join():
    extras = ExportColumns(RS, True, None, None)
    extras.cells(row(2, ""))
    assert extras.no_id == 0  # no --budget / --cited: nothing to join, nothing to say


def test_budget_notes_name_what_is_unknown_and_why(tmp_path):
    """Each note says how many programmes, which one first, and what the cells show."""
    budget = _write(
        tmp_path / "2-1.csv",
        [
            ["事業年度", "予算事業ID", "予算年度", "当初予算（合計）", "翌年度要求額（合計）"],
            ["2024", "47", "2024", "1000", "2000"],
            ["2024", "2", "2024", "-", "30"],  # a dash: unknown
            ["2024", "5", "2024", "1", "2"],
            ["2024", "5", "2024", "9", "2"],  # two rows that disagree
        ],
    )
    extras = ExportColumns(RS, True, budget, None)
    rows = [row(2, "0047"), row(3, "2"), row(4, "5"), row(5, "8"), row(6, "8")]
    got = [extras.cells(r)[1:3] for r in rows]
    # 0047 is the 2-1 file's 47 (a 1-2 file re-saved by hand pads its ids).
    assert got == [[1000, 2000], ["", 30], ["", ""], ["", ""], ["", ""]]
    assert (extras.missing_budget, extras.blank_budget) == (1, 1)  # 5 is noted apart
    notes = extras.budget_notes("2-1.csv")
    assert notes == [
        "1 programme is not in 2-1.csv for its 事業年度 (first: 予算事業ID 8, 事業年度 2024); "
        "its budget cells are empty, and the summary counts it in "
        "programmes_budget_unknown",
        "2-1.csv has two summary rows with different amounts for 1 programme and year "
        "(予算事業ID 5): their amounts are left unknown rather than guessed; keep one row per "
        "programme and 予算年度",
        "1 programme has 当初予算（合計） or 翌年度要求額（合計） blank or a dash in 2-1.csv; "
        "its budget cells are empty, and the summary counts it in "
        "programmes_budget_unknown",
    ]
    assert ExportColumns(RS, True, None, None).budget_notes("x") == []


def test_a_programme_the_budget_file_lists_without_its_total_is_said_apart(tmp_path):
    budget = _write(
        tmp_path / "2-1.csv",
        [
            ["事業年度", "予算事業ID", "予算年度", "当初予算（合計）", "翌年度要求額（合計）"],
            ["2024", "47", "2024", "1000", "2000"],
            ["2024", "8", "", "5", "6"],  # a blank 予算年度: no summary row of 2024
            ["2024", "9", "2023", "5", "6"],  # another year's row only
        ],
    )
    extras = ExportColumns(RS, True, budget, None)
    for r in (row(2, "8"), row(3, "9"), row(4, "10")):  # 10: not in the file at all
        extras.cells(r)
    (note,) = extras.budget_notes("2-1.csv")
    assert note.startswith("3 programmes are not in 2-1.csv for their 事業年度")
    assert note.endswith(
        "(2 of them have rows there, but no summary row of that 予算年度: a blank 予算年度, "
        "another year's rows, or 会計区分 rows only)"
    )
