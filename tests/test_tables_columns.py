"""tables.columns: which column holds the request text and which the id."""

from __future__ import annotations

import pytest

from classifier.errors import InputFileError
from classifier.tables import find_column, pick_column, pick_id_column, resolve_text_columns


@pytest.mark.parametrize(
    ("columns", "chosen"),
    [
        (["id", "text", "事業概要"], ["text"]),  # the most specific name first
        (["番号", "府省庁", "事業名", "事業概要", "要求額"], ["事業名", "事業概要"]),
        (["件名", "概要"], ["件名", "概要"]),  # a title column beside a description
        (["事業名", "内容"], ["内容"]),  # 内容 is not a description the title adds to
        (["ID", "Text"], ["Text"]),  # case does not matter
        (["No", "Description"], ["Description"]),
    ],
)
def test_the_obvious_text_column(columns, chosen):
    assert resolve_text_columns(columns, None) == chosen


def test_named_text_columns_are_taken_as_given():
    assert resolve_text_columns(["事業名", "事業概要"], ["事業概要"]) == ["事業概要"]
    assert resolve_text_columns(["a", "b"], ["b", "a"]) == ["b", "a"]
    with pytest.raises(
        InputFileError,
        match=r"no column named 'x', 'y' \(a name, a position .*\); the columns are: a, b",
    ):
        resolve_text_columns(["a", "b"], ["x", "a", "y"])


def test_a_misspelt_column_is_named_with_the_nearest_one():
    with pytest.raises(
        InputFileError, match=r"no column named 'label' \(did you mean 'labels'\?\)"
    ):
        pick_column(["id", "text", "labels"], ["label"], (), "gold labels")
    with pytest.raises(InputFileError, match=r"no column named 'zzz' \(a name"):
        pick_column(["id", "text", "labels"], ["zzz"], (), "gold labels")


def test_a_retyped_name_finds_its_column_but_never_one_of_two():
    assert find_column(["id", "Accepted Label"], "accepted_label") == "Accepted Label"
    assert find_column(["id", "ａｃｃｅｐｔｅｄ＿ｌａｂｅｌ"], "accepted_label") is not None
    assert find_column(["accepted label", "Accepted Label"], "accepted_label") is None
    assert find_column(["id", "labels"], "accepted_label") is None


def test_no_obvious_text_column():
    with pytest.raises(InputFileError, match="cannot tell which column holds the request text"):
        resolve_text_columns(["a", "b"], None)


def test_id_column():
    assert pick_id_column(["番号", "id", "text"], None) == "id"  # candidate order, not file order
    assert pick_id_column(["事業番号", "text"], None) == "事業番号"
    assert pick_id_column(["text"], None) is None
    assert pick_id_column(["a", "text"], "a") == "a"
    with pytest.raises(InputFileError, match="no column named 'b'"):
        pick_id_column(["a"], "b")


NOT_A_TABLE = (
    "this does not look like a table: its header row is a single cell of text ({!r}), not "
    "column names; expected a CSV, TSV or Excel table with a header row naming its columns "
    "(such as 事業名,事業概要), or name the column that holds the request text with "
    "--text-column"
)


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        ("これは予算要求ではなく、ただのメモです。", "これは予算要求ではなく、ただのメモです。"),
        ("This is a memo. It is not a table", "This is a memo. It is not a table"),
        ("Just a note about the budget.", "Just a note about the budget."),
        ("あ" * 50, "あ" * 39 + "…"),  # a paragraph, cut to 40 characters
    ],
)
def test_one_cell_of_prose_is_not_a_table(header, shown):
    with pytest.raises(InputFileError) as caught:
        resolve_text_columns([header], None)
    assert str(caught.value) == NOT_A_TABLE.format(shown)


@pytest.mark.parametrize(
    "columns",
    [
        ["notes"],  # one column with a name: a table whose column does not match
        ["No."],
        ["備考（記載してください。）"],  # a sentence in a bracketed note is part of a name
        ["これは文章です。", "二つ目の列"],  # two columns: a table
    ],
)
def test_a_table_whose_columns_do_not_match_keeps_the_column_message(columns):
    with pytest.raises(InputFileError, match=r"^cannot tell which column holds the request text"):
        resolve_text_columns(columns, None)


def test_a_text_file_through_open_table_and_the_column_rules(tmp_path):
    """A plain text file as the analyst would pass it: read as a one-column table."""
    from classifier.sources import resolve_columns
    from classifier.tables import open_table

    path = tmp_path / "memo.txt"
    path.write_text("これは予算要求ではなく、ただのメモです。\n二行目の文章です。\n", "utf-8")
    table = open_table(str(path))
    with pytest.raises(InputFileError) as caught:
        resolve_columns(table.columns, None, None, table.path)
    table.close()
    shown = "これは予算要求ではなく、ただのメモです。"
    assert str(caught.value) == f"{path}: " + NOT_A_TABLE.format(shown)
