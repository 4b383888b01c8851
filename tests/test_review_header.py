"""sources.review_header: the 1-2 header as analysts retype it, on hand-written headers."""

from __future__ import annotations

import pytest

from classifier.errors import InputFileError
from classifier.sources import REVIEW_SHEET, resolve_columns
from classifier.sources.export_columns import ExportColumns
from classifier.sources.review_header import review_header
from classifier.tables import Row

DOWNLOAD = ["シート種別", "事業年度", "予算事業ID", "事業名", "府省庁", "事業の目的", "現状・課題",
            "事業の概要", "事業概要URL", "主要経費"]  # fmt: skip
TEXT = ["事業名", "事業の目的", "現状・課題", "事業の概要"]


def retyped(**names: str) -> list[str]:
    """The download's header with some names replaced (keys are the download's names,
    written with _ for ・ where Python needs it)."""
    wanted = {k.replace("_", "・"): v for k, v in names.items()}
    return [wanted.get(c, c) for c in DOWNLOAD]


def test_the_download_header_is_complete_with_nothing_to_say():
    header = review_header(DOWNLOAD)
    assert header.complete and not header.resembles
    assert header.text == TEXT and header.id == "予算事業ID" and header.year == "事業年度"
    assert header.notes() == [] and header.missing == ()


@pytest.mark.parametrize(
    ("canonical", "typed"),
    [
        ("予算事業ID", "予算事業ＩＤ"),  # full-width letters
        ("予算事業ID", "予算事業id"),  # any case
        ("予算事業ID", "予算事業 ID"),
        ("現状・課題", "現状･課題"),  # half-width katakana middle dot
        ("事業の概要", "事業の概要\n（500字以内）"),  # Alt-Enter and a note
        ("事業名", " 事業名 "),
    ],
)
def test_a_retyped_name_is_the_same_column_without_a_note(canonical, typed):
    columns = [typed if c == canonical else c for c in DOWNLOAD]
    header = review_header(columns)
    assert header.complete and header.notes() == []
    assert header.found[canonical] == typed
    layout = resolve_columns(columns)
    assert layout.layout == REVIEW_SHEET and layout.notes == ()
    assert layout.text == [typed if c == canonical else c for c in TEXT]
    assert layout.id == ("予算事業ID" if canonical != "予算事業ID" else typed)


def test_a_near_name_is_read_as_the_field_and_said():
    columns = retyped(事業の目的="事業目的", 事業名="事業名称")
    layout = resolve_columns(columns)
    assert layout.is_review_sheet
    assert layout.text == ["事業名称", "事業目的", "現状・課題", "事業の概要"]
    assert layout.notes == (
        "column 事業名称 is read as 事業名",
        "column 事業目的 is read as 事業の目的",
    )


def test_the_download_s_url_column_is_not_taken_for_the_description():
    header = review_header([c for c in DOWNLOAD if c != "事業の概要"])
    assert not header.complete and header.missing == ("事業の概要",)
    assert "事業概要URL" not in header.found.values()


def test_two_equally_near_names_are_not_guessed():
    columns = [c for c in DOWNLOAD if c != "事業の目的"] + ["事業目的A", "事業目的B"]
    assert review_header(columns).missing == ("事業の目的",)


def test_a_header_resembling_the_download_says_how_it_is_read():
    columns = retyped(事業の目的="目的")
    layout = resolve_columns(columns)
    assert not layout.is_review_sheet
    (note,) = layout.notes
    assert "looks like the review-sheet download" in note
    assert "no 事業の目的 column (the nearest to 事業の目的 is 目的)" in note
    assert f"the text from {' + '.join(layout.text)}" in note
    assert "the id from 予算事業ID" in note and "--text-column" in note


def test_named_text_columns_need_no_note():
    layout = resolve_columns(retyped(事業の目的="目的"), ["事業名", "目的", "事業の概要"])
    assert layout.text == ["事業名", "目的", "事業の概要"] and layout.notes == ()


@pytest.mark.parametrize(
    "columns",
    [
        ["id", "text"],
        ["予算事業ID", "事業名", "金額"],  # one text field: some other table
        ["施策名", "事業の概要", "要求額"],
        [],
    ],
)
def test_other_tables_get_no_review_sheet_note(columns):
    header = review_header(columns)
    assert not header.complete and not header.resembles
    if columns:
        assert resolve_columns(columns, [columns[1]]).notes == ()


def test_budget_joins_on_retyped_id_and_year(tmp_path):
    columns = retyped(予算事業ID="予算事業ＩＤ", 事業年度="事業年度\n(西暦)")
    budget = tmp_path / "2-1.csv"
    budget.write_text(
        "予算事業ID,予算年度,当初予算（合計）,翌年度要求額（合計）\n7,2024,100,200\n", "utf-8"
    )
    extras = ExportColumns(columns, True, str(budget), None)
    row = Row(1, ["レビューシート", "2024", "７", "甲", "", "", "", "", "", ""], line=2)
    assert extras.cells(row) == ["", 100, 200, 1]


def test_budget_without_a_year_column_names_the_nearest(tmp_path):
    columns = retyped(事業年度="年度")
    with pytest.raises(InputFileError) as info:
        ExportColumns(columns, True, str(tmp_path / "none.csv"), None)
    message = str(info.value)
    assert "--budget joins on 予算事業ID and 事業年度" in message
    assert "no 事業年度 column" in message and "rename the column" in message
