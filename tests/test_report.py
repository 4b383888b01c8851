"""report: the output-column contract, prediction cells, the review sheet, the misses file."""

from __future__ import annotations

import csv

import pytest

from classifier.metrics import Scored
from classifier.predict import Prediction
from classifier.report import (
    MISCLASSIFIED_COLUMNS,
    error_prediction,
    miss_kind,
    output_columns,
    prediction_cells,
    ranked_columns,
    write_misclassified,
    write_review_sheet,
)

from .helpers import ADDED_COLUMNS, read_xlsx_values

ONE = Prediction(
    ("(1)②",),
    ("地方公共団体の対策",),
    (0.42,),
    ("市町村", "訓練"),
    0.9,
    "ok",
    "市町村の訓練を行う。",
    ("(1)②",),
    "【地方公共団体】の対策",
    "自治体【セキュリティ】研修",
)
TWO = Prediction(
    ("(1)①", "(1)②"), ("監視", "対策"), (0.8, 0.6), ("監視",), 0.95, "ok", "", ("(1)①", "(1)②")
)


def test_output_columns_contract():
    assert output_columns(3) == ADDED_COLUMNS
    assert output_columns(1) == [
        "label_1",
        "heading_1",
        "confidence_1",
        "evidence_1",
        "status",
        "labels",
        "in_scope",
        "evidence_sentence",
        "matched_clause_text",
        "scope_sentence",
    ]
    assert ranked_columns(2) == [
        "label_1",
        "heading_1",
        "confidence_1",
        "label_2",
        "heading_2",
        "confidence_2",
    ]
    assert ranked_columns(0) == []


def test_prediction_cells_pad_to_top_k():
    assert prediction_cells(ONE, 3) == [
        "(1)②",
        "地方公共団体の対策",
        0.42,
        "",
        "",
        "",
        "",
        "",
        "",
        "市町村、訓練",  # evidence joined with the Japanese comma
        "ok",
        "(1)②",
        0.9,
        "市町村の訓練を行う。",
        "【地方公共団体】の対策",
        "自治体【セキュリティ】研修",
    ]
    # The set is ";"-separated, most probable first.
    assert prediction_cells(TWO, 1) == [
        "(1)①",
        "監視",
        0.8,
        "監視",
        "ok",
        "(1)①;(1)②",
        0.95,
        "",
        "",
        "",
    ]
    for k in (1, 3, 5):
        assert len(prediction_cells(ONE, k)) == len(output_columns(k))


def test_error_prediction():
    pred = error_prediction("row has 5 fields but the header has 3")
    assert pred.status == "error: row has 5 fields but the header has 3"
    assert pred.labels == () and pred.evidence == ()
    # No scores at all: the in-scope probability is left empty, not 0.
    assert prediction_cells(pred, 2) == ["", "", "", "", "", "", "", pred.status, *[""] * 5]


def _s(gold, labels, status="ok"):
    labels = tuple(labels)
    return Scored("x", tuple(gold), Prediction(labels, labels, (0.5,) * len(labels), (), 1, status))


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        (_s(["(1)①"], ["(1)①", "(1)②"]), None),
        (_s(["(1)①", "(1)②"], ["(1)②"]), None),  # any gold label is right
        (_s(["(1)①"], ["(1)①"], "low_confidence"), None),  # flagged unsure, but right
        (_s(["(1)①"], ["(1)②", "(1)①"]), "wrong item"),
        (_s(["(1)①"], []), "wrong item"),
        (_s(["(1)①"], ["(1)①"], "out_of_scope"), "flagged out of scope"),
        (_s(["(1)①"], ["(1)②"], "out_of_scope"), "flagged out of scope"),
        (_s([], ["(1)①"], "out_of_scope"), None),
        (_s([], ["(1)①"], "ok"), "out of scope not flagged"),
        (_s([], ["(1)①"], "low_confidence"), "out of scope not flagged"),
    ],
)
def test_miss_kind(row, kind):
    assert miss_kind(row) == kind


def test_write_misclassified_lists_only_misses(tmp_path):
    rows = [
        Scored("a", ("(1)①",), TWO),
        Scored("b", ("(2)①ⅰ",), TWO),
        Scored("c", (), ONE),
        Scored("d", ("(1)②", "(2)①ⅰ"), ONE),
    ]
    path = tmp_path / "misses.csv"
    write_misclassified(path, rows, ["ta", "tb", "tc", "td"])
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == list(MISCLASSIFIED_COLUMNS)
    assert table[1:] == [
        ["b", "tb", "(2)①ⅰ", "wrong item", "(1)①", "0.8", "(1)②", "0.6", "", "", "監視", "ok"],
        [
            "c",
            "tc",
            "NONE",
            "out of scope not flagged",
            "(1)②",
            "0.42",
            "",
            "",
            "",
            "",
            "市町村、訓練",
            "ok",
        ],
    ]


def test_review_sheet_puts_borderline_programmes_before_plainly_out_of_scope_ones(
    tmp_path, small_policy
):
    """At the review sheets' base rate most rows are plainly out of scope; a doubtful scope
    call or label comes before them, whatever their nearest item's confidence."""

    def pred(conf: float, p_in: float, status: str) -> Prediction:
        return Prediction(("(1)①",), ("監視",), (conf,), (), p_in, status)

    rows = [
        (2, "plain-out", "道路", pred(0.3, 0.01, "out_of_scope")),  # wrong with 0.01
        (3, "sure-in", "監視", pred(0.95, 1.0, "ok")),  # 0.05
        (4, "border-out", "核", pred(0.9, 0.45, "out_of_scope")),  # 0.45
        (5, "border-in", "LAN", pred(0.9, 0.6, "ok")),  # 1 - 0.54 = 0.46
        (6, "doubtful-label", "研修", pred(0.4, 1.0, "ok")),  # 0.6
    ]
    path = tmp_path / "review.xlsx"
    write_review_sheet(path, rows, 1, small_policy)
    ids = [v[1] for v in read_xlsx_values(path, "classified")[1:]]
    assert ids == ["doubtful-label", "border-in", "border-out", "sure-in", "plain-out"]


def test_review_sheet_puts_uncertain_rows_first_and_lists_labels(tmp_path, small_policy):
    sure = Prediction(("(1)①",), ("政府機関の監視",), (0.9,), ("監視",), 1.0, "ok")
    unsure = Prediction(("(1)②",), ("地方公共団体の対策",), (0.2,), (), 1.0, "low_confidence")
    rows = [
        (1, "a", "政府機関の監視", sure),
        (2, "b", "", Prediction((), (), (), (), 0.0, "empty_text")),
        (3, "c", "x", error_prediction("not valid JSON")),
        (4, "d", "訓練", unsure),
    ]
    path = tmp_path / "review.xlsx"
    write_review_sheet(path, rows, 1, small_policy)
    values = read_xlsx_values(path, "classified")
    assert list(values[0]) == [
        "row",
        "id",
        "text",
        "label_1",
        "heading_1",
        "confidence_1",
        "evidence_1",
        "status",
        "labels",
        "in_scope",
        "evidence_sentence",
        "matched_clause_text",
        "scope_sentence",
        "policy",
        "accepted_label",
        "comment",
    ]
    # Least confident first; rows that cannot be reviewed (empty, error) last, in row order.
    assert [v[0] for v in values[1:]] == [4, 1, 2, 3]
    assert all(v[-2] is None and v[-1] is None for v in values[1:])
    # Every row names the policy its labels belong to (train carries them over later).
    assert {v[-3] for v in values[1:]} == {small_policy.policy_id}
    assert values[2][:8] == (1, "a", "政府機関の監視", "(1)①", "政府機関の監視", 0.9, "監視", "ok")
    labels = read_xlsx_values(path, "labels")
    assert labels == [
        ("label", "heading"),
        ("(1)①", "政府機関の監視"),
        ("(1)②", "地方公共団体の対策"),
        ("(2)①ⅰ", "大学における専門人材の教育を充実すること。"),
        ("(2)①ⅱ", "中小企業の経営層に向けた研修を実施すること。"),
        ("NONE", "対象外 (supports no item)"),
    ]
