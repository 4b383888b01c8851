"""tables.columns: which column holds the request text and which the id."""

from __future__ import annotations

import pytest

from classifier.errors import InputFileError
from classifier.tables import pick_id_column, resolve_text_columns


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
