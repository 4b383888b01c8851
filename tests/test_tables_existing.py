"""Which existing outputs a command may replace (tables/existing.py)."""

from __future__ import annotations

import pytest

from classifier.errors import OutputFileError
from classifier.tables.existing import check_replaceable

OURS = ("label_1", "status")
ENTRIES = ("accepted_label", "comment")


def test_nothing_there_or_standard_output_replaces_nothing(tmp_path):
    assert check_replaceable(tmp_path / "new.csv", "-o", ours=OURS) is False
    assert check_replaceable("-", "-o", ours=OURS) is False
    assert check_replaceable(None, "-o", ours=OURS) is False


def test_an_earlier_output_is_replaceable_whatever_its_encoding(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes("事業名,label_1,status\r\n監視,(2)③ⅰ,ok\r\n".encode("cp932"))
    assert check_replaceable(path, "-o", ours=OURS) is True


def test_blank_entries_are_not_an_analysts_work(tmp_path):
    path = tmp_path / "review.csv"
    path.write_text("row,label_1,status,accepted_label,comment\n1,(1)①,ok, ,\n2,(5),ok,,\n")
    assert check_replaceable(path, "--review", ours=OURS, entries=ENTRIES) is True
    path.write_text("row,label_1,status,accepted_label,comment\n1,(1)①,ok,,\n2,(5),ok,,済\n")
    with pytest.raises(OutputFileError, match="comment in 1 row, which would be lost"):
        check_replaceable(path, "--review", ours=OURS, entries=ENTRIES)
    assert check_replaceable(path, "--review", ours=OURS, entries=ENTRIES, force=True) is True


def test_a_file_that_cannot_be_read_is_someone_elses(tmp_path):
    path = tmp_path / "o.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(OutputFileError) as caught:
        check_replaceable(path, "-o", ours=OURS)
    message = str(caught.value)
    assert message.startswith(f"-o {path} already exists and cannot be read as an earlier output")
    assert message.endswith("choose another file name, or pass --force to replace it")
    assert "\n" not in message
    assert check_replaceable(path, "-o", ours=OURS, force=True) is True


def test_the_format_given_is_the_one_read(tmp_path):
    path = tmp_path / "o.txt"  # a name that says nothing: --output-format said tsv
    path.write_text("label_1\tstatus\n(1)①\tok\n")
    assert check_replaceable(path, "-o", ours=OURS, fmt="tsv") is True


def test_a_column_the_run_would_not_write_is_an_analysts_addition(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("事業名,label_1,status,担当メモ\n監視,(2)③ⅰ,ok,\n", encoding="utf-8")
    written = ["事業名", "label_1", "status"]
    with pytest.raises(
        OutputFileError, match=r"has column\(s\) this run does not write \(担当メモ\)"
    ):
        check_replaceable(path, "-o", ours=OURS, columns=written)
    assert check_replaceable(path, "-o", ours=OURS, columns=[*written, "担当メモ"]) is True
    assert check_replaceable(path, "-o", ours=OURS, columns=written, force=True) is True


def _workbook(path, *, by_this_tool: bool) -> None:
    from openpyxl import Workbook

    from classifier.tables.xlsx_save import save_workbook

    wb = Workbook()
    wb.active.append(["事業名", "label_1", "status"])
    wb.active.append(["監視", "(2)③ⅰ", "ok"])
    if by_this_tool:
        save_workbook(wb, path)
    else:
        wb.save(path)  # as Excel would: the time of saving in the document properties


def test_a_workbook_saved_since_by_another_program_is_refused(tmp_path):
    ours, edited = tmp_path / "ours.xlsx", tmp_path / "edited.xlsx"
    _workbook(ours, by_this_tool=True)
    _workbook(edited, by_this_tool=False)
    assert check_replaceable(ours, "-o", ours=OURS) is True
    with pytest.raises(OutputFileError, match=r"saved by another program \(such as Excel\)"):
        check_replaceable(edited, "-o", ours=OURS)
    assert check_replaceable(edited, "-o", ours=OURS, force=True) is True
