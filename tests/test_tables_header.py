"""tables.header: where the header is (past title rows), how column names are compared,
and columns named by the user as a name, a 1-based position or an Excel letter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from classifier.errors import InputFileError
from classifier.tables.columns import resolve_text_columns
from classifier.tables.header import (
    column_key,
    column_names,
    find_header,
    one_line,
    resolve_column,
    shown_columns,
    unnamed_note,
)

HEADER = ["番号", "事業名", "事業概要", "要求額"]
DATA = [
    ["1", "自治体セキュリティ", "市町村の情報セキュリティ対策", "100"],
    ["2", "人材育成", "大学の専門人材の教育", "200"],
    ["3", "監視", "政府機関の監視体制", "300"],
]

# --------------------------------------------------------------------------- the header row


@pytest.mark.parametrize(
    ("above", "at"),
    [
        ([], 0),
        ([[]], 1),  # a leading blank line
        ([["令和6年度 概算要求 サイバーセキュリティ関係"]], 1),
        ([["令和6年度 概算要求一覧"], ["（単位：千円）"], []], 3),  # title, units, blank
        ([["", "", "", "（単位：千円）"], ["", ""]], 2),  # units line in the last column
        ([["2024", "100", "200", "300"]], 1),  # a row of numbers is data, not a header
    ],
)
def test_the_header_is_found_past_title_rows(above, at):
    assert find_header([*above, HEADER, *DATA]) == at


def test_header_row_given_overrides_detection():
    rows = [["概算要求一覧", "令和6年度"], ["id", "text"], ["1", "市町村"]]
    assert find_header(rows) == 0  # two title cells over two columns: looks like a header
    assert find_header(rows, explicit=2) == 1  # --header-row 2, as Excel numbers rows
    with pytest.raises(
        InputFileError, match=r"--header-row 4 is not a row of the file \(it has 3\)"
    ):
        find_header(rows, explicit=4)
    with pytest.raises(InputFileError, match="empty"):
        find_header([[], ["", " "]])


titles = st.lists(
    st.sampled_from([[], [""], ["令和6年度 概算要求一覧"], ["（単位：千円）"], ["", "注：税込"]]),
    max_size=3,
)


@given(above=titles, n_data=st.integers(4, 9))
def test_title_rows_never_move_the_header(above, n_data):
    """Any stack of up to three one-cell title, units and blank rows above a four-column
    header with a few rows under it."""
    rows = [*above, HEADER, *(DATA * 3)[:n_data]]
    assert find_header(rows) == len(above)


# --------------------------------------------------------------------------- column names


@pytest.mark.parametrize(
    "name",
    [
        "事業概要",
        "事業概要\n（200字以内）",  # Alt-Enter in the header cell, then a note
        "事業概要\r\n(200字以内)",
        "事業概要（200字以内）",
        " 事業概要 ",
        "事業　概要",  # an ideographic space
        "事業概要【必須】",
    ],
)
def test_column_names_compare_without_line_breaks_or_notes(name):
    assert column_key(name) == column_key("事業概要") == "事業概要"
    # … and so the column is picked as the request text (事業名 joins it when present).
    assert resolve_text_columns(["番号", name, "要求額"], None) == [name]
    assert resolve_text_columns(["番号", "事業名", name], None) == ["事業名", name]


def test_the_other_description_spelling_is_a_text_column():
    assert column_key("事業の概要") != column_key("事業概要")
    assert resolve_text_columns(["id", "事業の概要", "memo"], None) == ["事業の概要"]


def test_duplicate_and_empty_header_cells_get_distinct_names():
    assert column_names(["text", "text", "", "text", "id", "", ""]) == [
        "text",
        "text.2",
        "column_3",
        "text.3",
        "id",
    ]
    # A real column already named like a renamed duplicate or blank keeps its name, before
    # or after the repeat.
    assert column_names(["a", "a", "a.2"]) == ["a", "a.3", "a.2"]
    assert column_names(["a.2", "a", "a"]) == ["a.2", "a", "a.3"]
    assert column_names(["事業概要", "事業概要", "事業概要.2", "備考", "備考"]) == [
        "事業概要",
        "事業概要.3",
        "事業概要.2",
        "備考",
        "備考.2",
    ]
    assert column_names(["a", "", "column_2"]) == ["a", "column_2_", "column_2"]
    assert column_names(["\ufeffid", " text "]) == ["id", "text"]


def test_an_empty_trailing_header_cell_with_values_below_is_a_column():
    header = ["事業名", "事業の概要", ""]  # a trailing comma in a CSV header
    below = [["a", "b", "x"], ["c", "d", ""]]
    assert column_names(header, below) == ["事業名", "事業の概要", "column_3"]
    assert unnamed_note("t.csv", header, column_names(header, below), below) == (
        "t.csv: 1 column has values but no name in the header; called column_3"
    )
    # Nothing under it: the trailing cell goes, and there is nothing to report.
    assert column_names(header, [["a", "b", ""]]) == ["事業名", "事業の概要"]
    assert unnamed_note("t.csv", header, ["事業名", "事業の概要"], [["a", "b", ""]]) is None
    # A stray value beyond the header's last cell in one row is that row's error ...
    assert column_names(["id", "text"], [["1", "a", "b"], ["2", "c"], ["3", "d"]]) == [
        "id",
        "text",
    ]
    # ... but values there in most rows are a column (a merged Excel header).
    assert column_names(["id", "予算"], [["", "当初", "要求"], ["1", "10", "12"]]) == [
        "id",
        "予算",
        "column_3",
    ]
    # An empty cell inside the header with nothing below is named, but not reported.
    assert unnamed_note("t.csv", ["a", "", "c"], ["a", "column_2", "c"], [["1", "", "3"]]) is None


@given(st.lists(st.sampled_from(["text", "text.2", "", " ", "id", "a", "a.2", "a.2.2"])))
def test_column_names_are_always_distinct(cells):
    names = column_names(cells)
    stripped = [c.strip() for c in cells]
    while stripped and not stripped[-1]:
        stripped.pop()
    assert len(names) == len(stripped)  # only trailing empty cells are dropped
    assert len(set(names)) == len(names)
    # The first cell with a name keeps it.
    first = {}
    for i, c in enumerate(stripped):
        if c and c not in first:
            first[c] = i
    for c, i in first.items():
        if c not in names[:i]:
            assert names[i] == c


# --------------------------------------------------------------------------- columns by position


@given(n=st.integers(1, 80), data=st.data())
def test_a_column_by_position_or_excel_letter(n, data):
    columns = [f"列{i}" for i in range(1, n + 1)]
    i = data.draw(st.integers(1, n))
    letter = get_column_letter(i)  # openpyxl's numbering, not the tool's
    assert resolve_column(columns, str(i)) == columns[i - 1]
    assert resolve_column(columns, letter) == columns[i - 1]
    assert resolve_column(columns, letter.lower()) == columns[i - 1]
    assert resolve_column(columns, str(n + 1)) is None
    assert resolve_column(columns, "0") is None


def test_a_column_name_wins_over_a_position_or_letter():
    columns = ["B", "id", "2"]
    assert resolve_column(columns, "B") == "B"  # the column named B, not the second one
    assert resolve_column(columns, "2") == "2"
    assert resolve_column(columns, "C") == "2"  # the third column
    assert resolve_column(columns, "事業概要") is None


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("事業概要\n（200字以内）", "事業概要 （200字以内）"),
        ("事業概要\r\n\r\n（200字以内）", "事業概要 （200字以内）"),
        ("概算\u2028要求額 ", "概算 要求額"),
        ("text", "text"),
    ],
)
def test_column_names_in_messages_are_one_line_and_still_match(name, shown):
    assert one_line(name) == shown
    assert resolve_column(["id", name], shown) == name  # typed back, it names the column
    assert shown_columns(["id", name]) == f"id, {shown}"


def test_continued_header_completes_a_two_row_header_and_nothing_else():
    from classifier.tables.columns import KNOWN_COLUMN_KEYS as known
    from classifier.tables.header import continued_header

    assert continued_header(["事業名", "内容", "金額"], [None, "事業概要", None], known) == [
        "事業名",
        "事業概要",
        "金額",
    ]
    assert continued_header(["番号", "名前"], ["", "事業概要（200字）"], known) == [
        "番号",
        "事業概要（200字）",
    ]
    # Data: as wide as the header, a number, or no column name among its cells.
    assert continued_header(["事業名", "事業概要"], ["内容", "概要"], known) is None
    assert continued_header(["a", "b", "c"], ["1", "概要", None], known) is None
    assert continued_header(["a", "b", "c"], [None, "監視", None], known) is None
    assert continued_header(["a", "b"], [], known) is None
