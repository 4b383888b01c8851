"""dataset: labelled files and review sheets → labelled requests, with problems by row."""

from __future__ import annotations

import csv

import pytest
from openpyxl import Workbook

from classifier.corpus import corpus_files
from classifier.dataset import (
    is_review_sheet,
    read_labelled,
    read_labelled_files,
    review_policy,
    source_names,
)
from classifier.errors import InputFileError
from classifier.examples import examples_for_policy
from classifier.reconcile import reconcile

from .helpers import tiny_policy

COLUMNS = ["id", "text", "labels", "府省庁", "要求額", "split"]
ROWS = [
    ["1", "政府機関の監視", "(1)①", "総務省", "1,200", "dev"],
    ["2", "ラベルなし", "", "", "", "dev"],
    ["3", "二つとも誤り", "(9)①;(1)⑤", "", "", "dev"],
    ["4", "NONE と混在", "NONE;(1)①", "", "", "dev"],
    ["5", "見出し", "(1)", "", "", "dev"],
    ["6", "河川の堤防", "対象外", "国土交通省", "未定", "test"],
    ["7", "全角で書いた", "（１）②；（２）①ii", "", "", "dev"],
]


def write_csv(path, rows, columns=COLUMNS):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def test_read_labelled_keeps_good_rows_and_reports_bad_ones(tmp_path, small_policy):
    report = read_labelled(write_csv(tmp_path / "labelled.csv", ROWS), small_policy)
    assert [r.id for r in report.requests] == ["1", "6", "7"]
    assert report.unlabelled == 1
    # Rows 3, 4 and 5 are left out: three rows, although row 3 has two bad labels.
    assert report.left_out == 3
    assert len(report.problems) == 4
    assert report.problems[0] == ("labelled.csv row 4: unknown label '(9)①' (did you mean '(1)①'?)")
    assert report.problems[1].startswith("labelled.csv row 4: unknown label '(1)⑤'")
    assert report.problems[2].startswith("labelled.csv row 5: 'NONE;(1)①': NONE")
    assert report.problems[3].startswith("labelled.csv row 6: '(1)' is a heading")


def test_read_labelled_fields(tmp_path, small_policy):
    by_id = {
        r.id: r for r in read_labelled(write_csv(tmp_path / "l.csv", ROWS), small_policy).requests
    }
    first, oos, wide = by_id["1"], by_id["6"], by_id["7"]
    assert first.labels == ("(1)①",) and first.text == "政府機関の監視"
    assert first.ministry == "総務省" and first.amount == 1200.0 and first.split == "dev"
    assert oos.labels == () and not oos.in_scope
    assert oos.amount is None and oos.split == "test"  # 未定 is not a number
    assert wide.labels == ("(1)②", "(2)①ⅱ")


def test_without_a_policy_labels_are_not_checked(tmp_path):
    report = read_labelled(write_csv(tmp_path / "l.csv", ROWS))
    assert [r.id for r in report.requests] == ["1", "3", "5", "6", "7"]
    assert report.left_out == 1  # only NONE combined with a label
    assert report.requests[1].labels == ("(9)①", "(1)⑤")


def test_text_is_title_and_description_and_ids_default_to_row_numbers(tmp_path):
    path = write_csv(
        tmp_path / "l.csv",
        [["自治体クラウド", "市町村の\u200b監視を強化する。", "(1)②"]],
        ["事業名", "事業概要", "labels"],
    )
    (request,) = read_labelled(path).requests
    # Both columns, as written: cleaning (NFKC, zero-width characters) is the tokeniser's,
    # exactly as for text to classify.
    assert request.text == "自治体クラウド\n市町村の\u200b監視を強化する。"
    assert request.id == "row2"  # the row as Excel numbers it (the header is row 1)
    (only_title,) = read_labelled(path, text_columns=("事業名",)).requests
    assert only_title.text == "自治体クラウド"


def test_missing_label_column(tmp_path):
    path = write_csv(tmp_path / "l.csv", [["1", "x"]], ["id", "text"])
    with pytest.raises(InputFileError, match="no 'labels' column; the columns are: id, text"):
        read_labelled(path)
    (request,) = read_labelled(
        write_csv(tmp_path / "g.csv", [["1", "x", "(1)①"]], ["id", "text", "gold"]),
        label_column="gold",
    ).requests
    assert request.labels == ("(1)①",)


def _review_sheet(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "classified"
    ws.append(["row", "id", "text", "label_1", "status", "accepted_label", "comment"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_review_sheet_uses_accepted_label(tmp_path, small_policy):
    path = _review_sheet(
        tmp_path / "review.xlsx",
        [
            [1, "a", "市町村の訓練", "(1)①", "ok", "(1)②", "corrected"],
            [2, "b", "政府機関の監視", "(1)①", "ok", None, None],  # not reviewed yet
            [3, "c", "河川の堤防", "(1)①", "out_of_scope", "NONE", None],
        ],
    )
    assert is_review_sheet(path)
    report = read_labelled(path, small_policy)
    assert [(r.id, r.labels) for r in report.requests] == [("a", ("(1)②",)), ("c", ())]
    assert report.unlabelled == 1 and report.problems == ()
    assert not is_review_sheet(write_csv(tmp_path / "l.csv", ROWS))


def test_read_labelled_files_keeps_rows_of_different_files_apart(tmp_path, small_policy):
    a = write_csv(tmp_path / "a.csv", [["1", "政府機関の監視", "(1)①"]], ["id", "text", "labels"])
    b = write_csv(
        tmp_path / "b.csv",
        [["1", "市町村の訓練", "(1)②"], ["2", "x", "(7)"]],
        ["id", "text", "labels"],
    )
    read = read_labelled_files([a, b], small_policy)
    assert [(r.id, r.labels) for r in read.requests] == [("1", ("(1)①",)), ("b:1", ("(1)②",))]
    assert read.left_out == 1 and len(read.problems) == 1
    assert read.problems[0].startswith("b.csv row 3:")
    assert read.counts == [
        "a.csv: 1 labelled row read (1 dev, 0 test), 0 without a label, 0 left out",
        "b.csv: 1 labelled row read (1 dev, 0 test), 0 without a label, 1 left out",
    ]


def test_read_labelled_files_gives_every_request_its_own_id(tmp_path, small_policy):
    cols = ["id", "text", "labels"]
    a = write_csv(tmp_path / "a.csv", [["1", "政府機関の監視", "(1)①"]], cols)
    # The same id three times in one file, and ids left empty (as in a review sheet).
    b = write_csv(
        tmp_path / "b.csv",
        [["1", "x", "(1)②"], ["1", "y", "(1)②"], ["1", "z", "(1)②"], ["", "w", "(1)①"]],
        cols,
    )
    ids = [r.id for r in read_labelled_files([a, b, b], small_policy).requests]
    assert len(set(ids)) == len(ids) == 9
    assert ids[:5] == ["1", "b:1", "b:1#2", "b:1#3", "row5"]
    assert "None" not in ids


def test_examples_for_policy_summarises_problems(tmp_path, small_policy):
    rows = [[str(i), "x", "(9)①"] for i in range(22)] + [["ok", "政府機関の監視", "(1)①"]]
    path = write_csv(tmp_path / "l.csv", rows, ["id", "text", "labels"])
    out = examples_for_policy([path], small_policy, None, None)
    assert [r.id for r in out.requests] == ["ok"]
    assert len(out.warnings) == 22  # 20 problems, a count of the rest, the rows left out
    assert out.warnings[20] == "… and 2 more label problems"
    assert out.warnings[21] == "left out because of the problems above: 22 labelled rows"
    assert out.notes == [
        "l.csv: 1 labelled row read (1 dev, 0 test), 0 without a label, 22 left out"
    ]


def _review_sheet_of(path, policy_id, rows):
    """A review sheet as classify writes it now: with the policy its labels belong to."""
    wb = Workbook()
    ws = wb.active
    ws.title = "classified"
    ws.append(["row", "id", "text", "label_1", "status", "policy", "accepted_label", "comment"])
    for number, (ident, text, label) in enumerate(rows, start=1):
        ws.append([number, ident, text, "(1)①", "ok", policy_id, label, None])
    wb.save(path)
    return path


def test_review_policy_is_read_from_the_sheet(tmp_path):
    assert review_policy(_review_sheet_of(tmp_path / "a.xlsx", "r3", [("a", "x", "(1)①")])) == "r3"
    # Written before the column existed, or not a review sheet: nothing recorded.
    old = _review_sheet(tmp_path / "b.xlsx", [[1, "a", "x", "", "ok", "", ""]])
    assert review_policy(old) is None
    assert review_policy(write_csv(tmp_path / "l.csv", ROWS)) is None
    wb = Workbook()
    wb.active.append(["id", "text", "policy", "accepted_label"])
    wb.active.append(["a", "x", "r3", "(1)①"])
    wb.active.append(["b", "y", "r4", "(1)①"])
    wb.save(tmp_path / "mixed.xlsx")
    with pytest.raises(InputFileError, match=r"names several policies \(r3, r4\)"):
        review_policy(tmp_path / "mixed.xlsx")


def test_a_review_sheet_of_the_policy_trained_is_read_directly(tmp_path, small_policy):
    sheet = _review_sheet_of(tmp_path / "r.xlsx", "t1", [("a", "政府機関の監視", "(1)②")])
    out = examples_for_policy([sheet], small_policy, None, None)
    assert [(r.id, r.labels) for r in out.requests] == [("a", ("(1)②",))]
    assert out.warnings == []


def test_a_review_sheet_of_another_policy_is_not_read_as_this_ones(tmp_path, monkeypatch):
    # Its labels are spelt like this policy's, but they mean the other version's items.
    import classifier.examples

    sheet = _review_sheet_of(tmp_path / "r.xlsx", "t0", [("a", "政府機関の監視", "(1)②")])
    monkeypatch.setattr(classifier.examples, "built_policies", lambda: ["t0", "t1"])
    out = examples_for_policy([sheet], tiny_policy("t1"), None, None)
    assert out.requests == []
    assert out.warnings == [
        f"{sheet}: its labels belong to policy t0, not t1: left out. Train with "
        "--labels-policy t0 to carry them over a reviewed crosswalk"
    ]
    # A policy that is not built here: more likely a policy column filled down by mistake.
    monkeypatch.setattr(classifier.examples, "built_policies", lambda: ["t1"])
    (warning,) = examples_for_policy([sheet], tiny_policy("t1"), None, None).warnings
    assert warning.startswith(f"{sheet}: its labels belong to policy t0, not t1: left out. ")
    assert "No policy t0 is built here" in warning and "set it back to t1" in warning


def test_a_review_sheet_of_the_labels_policy_goes_over_the_crosswalk(tmp_path):
    old_dir = tmp_path / "corpus" / "t0"
    old_dir.mkdir(parents=True)
    for name, data in corpus_files(tiny_policy("t0"), "").items():
        (old_dir / name).write_bytes(data)
    sheet = _review_sheet_of(tmp_path / "r.xlsx", "t0", [("a", "政府機関の監視", "(1)②")])
    missing = tmp_path / "crosswalk.csv"
    out = examples_for_policy([sheet], tiny_policy("t1"), old_dir, missing, "revise crosswalk")
    assert out.requests == []
    assert out.warnings == [
        "left out, as they are keyed to policy t0: 1 labelled row; there is no reviewed "
        f"crosswalk {missing}. Propose one with `revise crosswalk`, review it, and train again"
    ]
    missing.write_text("old_label,new_label,reviewed\n(1)②,(1)①,yes\n", encoding="utf-8")
    out = examples_for_policy([sheet], tiny_policy("t1"), old_dir, missing)
    assert [(r.id, r.labels) for r in out.requests] == [("a", ("(1)①",))]


def test_a_comment_without_a_label_is_reported_not_learnt(tmp_path, small_policy):
    path = _review_sheet(
        tmp_path / "review.xlsx",
        [
            [1, "a", "政府機関の監視", "(1)①", "ok", None, "(1)② ではないか"],
            [2, "b", "市町村の訓練", "(1)①", "ok", "(1)②", None],
        ],
    )
    report = read_labelled(path, small_policy)
    assert [r.id for r in report.requests] == ["b"]
    assert report.problems == (
        "review.xlsx row 2 (id a): a comment but no accepted_label, so the row is not learnt from",
    )
    assert report.unlabelled == 1 and report.left_out == 0


def test_a_classify_output_is_not_taken_for_labelled_data(tmp_path):
    # Its labels column is the model's own prediction (the easy mistake: out.xlsx and
    # review.xlsx come out of the same run).
    path = write_csv(
        tmp_path / "out.csv",
        [["1", "政府機関の監視", "(1)①", "ok", "(1)①;(1)②"]],
        ["id", "text", "label_1", "status", "labels"],
    )
    with pytest.raises(InputFileError, match="is an output of classify: its labels column holds"):
        read_labelled(path)
    # Named explicitly (evaluate --gold-column), a column of such a file is read.
    assert read_labelled(path, label_column="label_1").requests[0].labels == ("(1)①",)


def test_a_review_sheet_with_its_entry_column_renamed_is_named_as_one(tmp_path):
    """採用ラベル for accepted_label: its policy column says it is a review sheet, so the
    message is about the renamed column, not about a classify output."""
    path = write_csv(
        tmp_path / "review.csv",
        [["a", "市町村の訓練", "(1)①", "ok", "(1)①", "(1)②", "r3"]],
        ["id", "text", "label_1", "status", "labels", "採用ラベル", "policy"],
    )
    with pytest.raises(InputFileError, match="is a review sheet without its accepted_label column"):
        read_labelled(path)


@pytest.mark.parametrize(
    "header",
    ["accepted label", "Accepted_Label ", "ａｃｃｅｐｔｅｄ＿ｌａｂｅｌ", "accepted\nlabel"],
)
def test_a_retyped_accepted_label_header_is_still_the_analysts_column(
    tmp_path, small_policy, header
):
    """A review sheet whose header cell was retyped is read as a review sheet, never
    refused as a classify output (it has the output's labels column too)."""
    path = write_csv(
        tmp_path / "review.csv",
        [["a", "市町村の訓練", "(1)①", "ok", "(1)①", "(1)②", "r3"]],
        ["id", "text", "label_1", "status", "labels", header, "Policy"],
    )
    assert is_review_sheet(path) and review_policy(path) == "r3"
    assert [r.labels for r in read_labelled(path, small_policy).requests] == [("(1)②",)]


def test_a_label_with_another_targets_heading_pasted_is_left_out(tmp_path, small_policy):
    path = write_csv(
        tmp_path / "l.csv",
        [["1", "政府機関の監視", "(1)② 政府機関の監視"], ["2", "訓練", "(1)② 地方公共団体の対策"]],
        ["id", "text", "labels"],
    )
    report = read_labelled(path, small_policy)
    assert [r.id for r in report.requests] == ["2"]
    assert report.problems == (
        "l.csv row 2: '(1)② 政府機関の監視': the heading after (1)② is (1)①'s: which of the "
        "two is meant cannot be told; keep the one meant ((1)② or (1)①)",
    )


def test_a_misspelt_label_column_is_named_with_the_nearest(tmp_path):
    path = write_csv(
        tmp_path / "l.csv", [["1", "政府機関の監視", "(1)①"]], ["id", "text", "labels"]
    )
    with pytest.raises(InputFileError, match=r"no 'label' column \(did you mean 'labels'\?\)"):
        read_labelled(path, label_column="label")


def test_a_review_sheet_nobody_filled_in_says_it_teaches_nothing(tmp_path, small_policy):
    path = _review_sheet(
        tmp_path / "review.xlsx",
        [[1, "a", "政府機関の監視", "(1)①", "ok", None, None], [2, "b", "x", "(1)①", "ok", "", ""]],
    )
    report = read_labelled(path, small_policy)
    assert report.requests == ()
    assert report.problems == (
        "review.xlsx: no accepted_label is filled in on any of its 2 rows, so it teaches nothing",
    )


def test_source_names_tell_files_of_the_same_name_apart():
    assert source_names(
        ["2024/review.xlsx", "2025/review.xlsx", "labels.csv", "l/labels.xlsx"]
    ) == [
        "review",
        "review(2)",
        "labels",
        "labels(2)",
    ]


def test_two_files_of_the_same_name_are_two_sources(tmp_path, small_policy):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cols = ["id", "text", "labels", "split"]
    a = write_csv(tmp_path / "a" / "labels.csv", [["1", "政府機関の監視", "(1)①", "test"]], cols)
    b = write_csv(tmp_path / "b" / "labels.csv", [["1", "政府機関の監視", "(1)②", "dev"]], cols)
    out = examples_for_policy([a, b], small_policy, None, None)
    assert [(r.id, r.source) for r in out.requests] == [
        ("1", "labels"),
        ("labels(2):1", "labels(2)"),
    ]
    # So the held-out copy is not scored while the other teaches the same text.
    assert reconcile(out.requests).test_learnt == ("1 (labels)",)


def test_a_review_of_the_new_policy_corrects_labels_carried_from_the_old_one(tmp_path):
    # train --policy t1 --labels-policy t0 --labelled review.xlsx: the bundled file (keyed
    # to t0, given first) is carried over the crosswalk, and the review (keyed to t1, given
    # last) still has the last word on the text they share.
    old_dir = tmp_path / "corpus" / "t0"
    old_dir.mkdir(parents=True)
    for name, data in corpus_files(tiny_policy("t0"), "").items():
        (old_dir / name).write_bytes(data)
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(
        "old_label,new_label,reviewed\n(1)①,(1)①,yes\n(1)②,(1)②,yes\n", encoding="utf-8"
    )
    bundled = write_csv(
        tmp_path / "requests.csv",
        [["A1", "政府機関の監視", "(1)①"], ["A2", "市町村の訓練", "(1)②"]],
        ["id", "text", "labels"],
    )
    sheet = _review_sheet_of(tmp_path / "review.xlsx", "t1", [("A1", "政府機関の監視", "(1)②")])
    out = examples_for_policy([bundled, sheet], tiny_policy("t1"), old_dir, crosswalk)
    assert [r.source for r in out.requests] == ["requests", "requests", "review"]
    kept = reconcile(out.requests)
    assert [(r.text, r.labels) for r in kept.requests] == [
        ("市町村の訓練", ("(1)②",)),
        ("政府機関の監視", ("(1)②",)),
    ]
    assert kept.relabelled == ("A1: (1)① (requests) -> (1)② (review)",)


def test_a_text_that_is_an_uncalculated_formula_is_not_learnt(tmp_path):
    """classify refuses such a row (its text is unknown); train leaves it out, saying why."""
    wb = Workbook()
    ws = wb.active
    ws.append(["request_id", "事業名", "事業概要", "labels"])
    ws.append(["A", "監視", '=HYPERLINK("http://example.invalid/","x")', "(1)①"])
    ws.append(["B", "監視", "政府機関の監視", "(1)①"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    report = read_labelled(path)
    assert [r.id for r in report.requests] == ["B"]
    assert report.problems == (  # the formula shown cut to its first 40 characters
        "f.xlsx row 2: a text cell holds a formula Excel has not calculated "
        '(=HYPERLINK("http://example.invalid/","x"); open and save the file in Excel, or '
        "paste values; the row is not learnt from",
    )


def test_a_labelled_row_without_text_is_not_learnt(tmp_path):
    """A label given to a row with no text (classify's empty_text row, filled in by a
    reviewer) is left out with the reason, not learnt as an empty example."""
    path = tmp_path / "f.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["request_id", "事業名", "事業概要", "labels"])
        w.writerow(["A", "", " \u3000", "(2)③"])
        w.writerow(["B", "監視", "政府機関の監視", "(1)①"])
    report = read_labelled(path)
    assert [r.id for r in report.requests] == ["B"]
    assert report.problems == ("f.csv row 2: a label but no text, so the row is not learnt from",)
    assert report.left_out == 1


@pytest.mark.parametrize("typed", ["R3", "Ｒ３", " r3 ", "ｒ３"])
def test_a_policy_typed_otherwise_is_the_policy_built(tmp_path, typed):
    """The policies built here are r3 (and the tests' own): R3 or full-width ｒ３ is r3."""
    assert review_policy(_review_sheet_of(tmp_path / "a.xlsx", typed, [("a", "x", "(1)①")])) == "r3"


def test_a_misspelt_policy_column_is_refused_not_ignored(tmp_path):
    """Read as no column, the sheet's labels would count as --labels-policy's silently."""
    wb = Workbook()
    wb.active.append(["id", "text", "polcy", "accepted_label"])
    wb.active.append(["a", "x", "r4", "(1)①"])
    wb.save(tmp_path / "p.xlsx")
    with pytest.raises(InputFileError, match=r"no policy column, but 'polcy' looks like one"):
        review_policy(tmp_path / "p.xlsx")
    # A column only somewhat like it (a note about policy) is another column.
    wb = Workbook()
    wb.active.append(["id", "text", "policy_note", "accepted_label"])
    wb.active.append(["a", "x", "see r4", "(1)①"])
    wb.save(tmp_path / "n.xlsx")
    assert review_policy(tmp_path / "n.xlsx") is None


def test_a_review_sheet_with_its_accepted_label_header_misspelt_is_told_so(tmp_path):
    """Not "fill accepted_label" (it was filled): the misspelt column is named."""
    path = write_csv(
        tmp_path / "review.csv",
        [["1", "政府機関の監視", "(1)①", "ok", "(1)①", "(1)②"]],
        ["id", "text", "label_1", "status", "labels", "accepted_lable"],
    )
    with pytest.raises(
        InputFileError,
        match=r"no accepted_label column \(did you mean 'accepted_lable'\?\); name it "
        r"accepted_label",
    ):
        read_labelled(path)


def test_the_sheet_named_is_the_one_whose_policy_and_labels_are_read(tmp_path):
    """train --sheet: the review sheet's kind, policy and labels all come from that sheet,
    not from the one the workbook opens at."""
    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    first.title = "古い"
    first.append(["id", "text", "labels", "accepted_label", "policy"])
    first.append(["a", "市町村の訓練", "(1)①", "", "r2"])
    mine = wb.create_sheet("修正")
    mine.append(["id", "text", "labels", "accepted_label", "policy"])
    mine.append(["a", "市町村の訓練", "(1)①", "(1)②", "r3"])
    path = tmp_path / "review.xlsx"
    wb.save(path)
    assert review_policy(path) == "r2"
    assert is_review_sheet(path, "修正") and review_policy(path, "修正") == "r3"
    assert [r.labels for r in read_labelled(path, sheet="修正").requests] == [("(1)②",)]
