"""metrics: every measure on hand-made predictions, expected values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier.metrics import (
    Scored,
    area_of,
    compute_metrics,
    confusion,
    expected_calibration_error,
    interval_text,
    json_safe,
    macro_f1,
    operating_points,
    reliability,
    scope_metrics,
    set_scores,
    slot_calibration,
    wilson,
)
from classifier.predict import Prediction


def scored(gold, labels, confidences=None, status="ok", ident="x") -> Scored:
    labels = tuple(labels)
    confidences = tuple(confidences or [0.5] * len(labels))
    return Scored(ident, tuple(gold), Prediction(labels, labels, confidences, (), 1.0, status))


def test_area_of():
    assert area_of("(2)③ⅱ") == "(2)"
    assert area_of("(12)①") == "(12)"
    assert area_of("(5)") == "(5)"
    assert area_of("NONE") == "NONE"


def test_expected_calibration_error_by_hand():
    conf = np.array([0.95, 0.85, 0.15, 0.12])
    hit = np.array([1.0, 0.0, 0.0, 1.0])
    # bins: 0.9–1.0 {0.95: hit} |0.95 - 1| = 0.05; 0.8–0.9 {0.85: miss} 0.85;
    # 0.1–0.2 {0.15, 0.12: one hit} |0.135 - 0.5| × 2 = 0.73.  (0.05 + 0.85 + 0.73) / 4
    assert expected_calibration_error(conf, hit) == pytest.approx(1.63 / 4)
    # Confidence 1.0 falls in the top bin; perfectly calibrated rows give 0.
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.0
    assert math.isnan(expected_calibration_error(np.array([]), np.array([])))


def test_reliability_bins():
    bins = reliability(np.array([0.95, 0.91, 0.05]), np.array([1.0, 0.0, 1.0]), bins=2)
    assert bins == [
        {"bin": [0.0, 0.5], "n": 1, "confidence": 0.05, "accuracy": 1.0},
        {"bin": [0.5, 1.0], "n": 2, "confidence": pytest.approx(0.93), "accuracy": 0.5},
    ]
    empty = reliability(np.array([0.95]), np.array([1.0]), bins=2)[0]
    assert empty == {"bin": [0.0, 0.5], "n": 0, "confidence": None, "accuracy": None}


# A: tp 2 (rows 1, 3), fp 1 (row 5), fn 1 (row 2) → precision 2/3, recall 2/3, F1 2/3
# B: tp 1 (row 4), fp 1 (row 2), fn 0 → precision 1/2, recall 1, F1 2/3
# C: tp 0, fp 0, fn 1 (row 5) → F1 0;  D: never seen → not averaged
F1_ROWS = [
    scored(["A"], ["A"]),
    scored(["A"], ["B"]),
    scored(["B", "A"], ["A"]),  # A is a gold label: a hit for A
    scored(["B"], ["B"]),
    scored(["C"], ["A"]),
]


def test_macro_f1_by_hand():
    assert macro_f1(F1_ROWS, ["A", "B", "C", "D"]) == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    # Without classes, the labels are the primary gold labels: A, B, C here too.
    assert macro_f1(F1_ROWS) == pytest.approx(4 / 9)
    assert macro_f1([scored(["A"], ["A"])]) == 1.0
    assert math.isnan(macro_f1([]))


def test_confusion_by_hand():
    rows = [*F1_ROWS, scored(["A"], ["B"]), scored(["C"], [])]
    assert confusion(rows) == [
        {"gold": "A", "predicted": "B", "n": 2},
        {"gold": "C", "predicted": "(none)", "n": 1},  # ties: alphabetical by (gold, predicted)
        {"gold": "C", "predicted": "A", "n": 1},
    ]


def test_compute_metrics_by_hand():
    rows = [
        scored(["(1)①"], ["(1)①", "(1)②", "(2)①"], [0.9, 0.05, 0.05]),  # hit at rank 1
        scored(["(1)②"], ["(1)①", "(1)②", "(2)①"], [0.6, 0.3, 0.1]),  # rank 2, same area
        scored(["(2)①"], ["(1)①", "(1)②", "(2)②"], [0.4, 0.3, 0.3], "out_of_scope"),  # missed
        scored([], ["(1)①"], [0.5], "out_of_scope"),  # out of scope, flagged
        scored([], ["(1)①"], [0.95], "ok"),  # out of scope, not flagged
    ]
    report = compute_metrics(rows, ["(1)①", "(1)②", "(2)①", "(2)②"])
    assert (report["n"], report["n_in_scope"], report["n_out_of_scope"]) == (5, 3, 2)
    assert report["top1"] == pytest.approx(1 / 3)
    assert report["top3"] == pytest.approx(2 / 3)
    assert report["area_top1"] == pytest.approx(2 / 3)  # (1)① is in area (1) like (1)②
    assert report["mrr"] == pytest.approx((1 + 1 / 2 + 0) / 3)
    # In-scope confidences 0.9 (hit), 0.6 (miss), 0.4 (miss), one per bin.
    assert report["ece"] == pytest.approx((0.1 + 0.6 + 0.4) / 3)
    # (1)①: tp 1, fp 2 → precision 1/3, recall 1, F1 1/2; (1)② and (2)①: fn 1 → 0;
    # (2)②: never predicted nor gold → not averaged.
    assert report["macro_f1"] == pytest.approx((1 / 2 + 0 + 0) / 3)
    assert report["out_of_scope"] == {
        "recall": 0.5,
        "precision": 0.5,  # one true flag, one in-scope request flagged
        "in_scope_flagged_out": pytest.approx(1 / 3),
        "in_scope_flagged_any": pytest.approx(1 / 3),
    }
    assert report["status_counts"] == {"ok": 3, "out_of_scope": 2}
    assert report["confusion"] == [
        {"gold": "(1)②", "predicted": "(1)①", "n": 1},
        {"gold": "(2)①", "predicted": "(1)①", "n": 1},
    ]
    bands = {tuple(b["band"]): (b["n"], b["accuracy"]) for b in report["confidence_bands"]}
    assert bands[(0.3, 0.5)] == (1, 0.0)
    assert bands[(0.5, 0.7)] == (1, 0.0)
    assert bands[(0.9, 1.0)] == (1, 1.0)
    assert bands[(0.0, 0.3)][0] == 0 and math.isnan(bands[(0.0, 0.3)][1])
    assert sum(b["n"] for b in report["reliability"]) == 3


def test_compute_metrics_without_in_scope_rows():
    report = compute_metrics([scored([], ["(1)①"], [0.5], "out_of_scope")])
    assert report["n_in_scope"] == 0
    assert math.isnan(report["top1"]) and math.isnan(report["ece"])
    assert report["out_of_scope"]["recall"] == 1.0 and report["reliability"] == []


def test_json_safe_replaces_nan_everywhere():
    value = {"a": float("nan"), "b": [1.0, float("nan"), (2, float("nan"))], "c": "nan"}
    assert json_safe(value) == {"a": None, "b": [1.0, None, [2, None]], "c": "nan"}


# --------------------------------------------------------------------------- per-slot calibration


def test_slot_calibration_by_hand():
    rows = [
        scored(["A"], ["A", "B", "C"], [0.9, 0.3, 0.1]),  # hits: slot 1
        scored(["B", "C"], ["A", "B", "C"], [0.6, 0.5, 0.4]),  # hits: slots 2 and 3
        scored(["A"], ["A"], [0.8]),  # one slot only
    ]
    report = slot_calibration(rows)
    assert [s["slot"] for s in report["slots"]] == [1, 2, 3]
    assert [s["n"] for s in report["slots"]] == [3, 2, 2]
    means = [s["mean_confidence"] for s in report["slots"]]
    assert means == pytest.approx([(0.9 + 0.6 + 0.8) / 3, (0.3 + 0.5) / 2, (0.1 + 0.4) / 2])
    assert [s["hit_rate"] for s in report["slots"]] == pytest.approx([2 / 3, 1 / 2, 1 / 2])
    # Pooled (confidence, hit): (.9, 1) (.6, 0) (.8, 1) (.3, 0) (.5, 1) (.1, 0) (.4, 1), each
    # alone in its bin: |gaps| .1 + .6 + .2 + .3 + .5 + .1 + .6 = 2.4 over 7 pairs.
    assert report["ece_top3"] == pytest.approx(2.4 / 7)
    assert sum(b["n"] for b in report["reliability_top3"]) == 7
    # One slot only: the first.
    first = slot_calibration(rows, slots=1)
    assert first["ece_top3"] == pytest.approx((0.1 + 0.6 + 0.2) / 3)
    assert len(first["slots"]) == 1


def test_slot_calibration_without_rows():
    report = slot_calibration([])
    assert math.isnan(report["ece_top3"]) and report["reliability_top3"] == []
    assert [s["n"] for s in report["slots"]] == [0, 0, 0]
    assert all(math.isnan(s["mean_confidence"]) for s in report["slots"])


# --------------------------------------------------------------------------- label sets


def with_set(gold, label_set) -> Scored:
    labels = tuple(label_set) or ("A",)
    pred = Prediction(labels, labels, (0.5,) * len(labels), (), 1.0, "ok", "", tuple(label_set))
    return Scored("x", tuple(gold), pred)


def test_set_scores_by_hand():
    rows = [
        with_set(["A"], ["A"]),  # p 1, r 1, F1 1
        with_set(["B", "C"], ["A", "B"]),  # 1 shared: p 1/2, r 1/2, F1 2·1/(2+2) = 1/2
        with_set(["A"], []),  # an empty set scores 0
        with_set(["A"], ["A", "B", "C"]),  # p 1/3, r 1, F1 2·1/(3+1) = 1/2
    ]
    got = set_scores(rows)
    assert got["precision"] == pytest.approx((1 + 1 / 2 + 0 + 1 / 3) / 4)
    assert got["recall"] == pytest.approx((1 + 1 / 2 + 0 + 1) / 4)
    assert got["f1"] == pytest.approx((1 + 1 / 2 + 0 + 1 / 2) / 4)
    assert got["mean_size"] == pytest.approx((1 + 2 + 0 + 3) / 4)
    assert set_scores(rows[:1]) == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "mean_size": 1.0}
    assert all(math.isnan(v) for v in set_scores([]).values())


def test_compute_metrics_reports_slots_and_sets():
    rows = [with_set(["A"], ["A", "B"]), with_set([], ["A"])]  # the out-of-scope row is left out
    report = compute_metrics(rows)
    assert report["label_set"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "mean_size": 2.0}
    )
    assert json_safe(report["slots"]) == [
        {"slot": 1, "n": 1, "mean_confidence": 0.5, "hit_rate": 1.0},
        {"slot": 2, "n": 1, "mean_confidence": 0.5, "hit_rate": 0.0},
        {"slot": 3, "n": 0, "mean_confidence": None, "hit_rate": None},
    ]
    # Both pairs, (0.5, hit) and (0.5, miss), share a bin: |0.5 − 1/2| = 0.
    assert report["ece_top3"] == pytest.approx(0.0)


# --------------------------------------------------------------------------- scope metrics


def judged(scope, status, text="", weight=1.0, gold=(), labels=("A", "B", "C"), p=0.5) -> Scored:
    pred = Prediction(tuple(labels), tuple(labels), (0.5,) * len(labels), (), p, status)
    return Scored("x", tuple(gold), pred, scope, weight, text)


SCOPE_ROWS = [
    judged("IN", "ok", "サイバー攻撃対策", gold=["A"]),  # said in, keyword; top-1 hit
    judged("IN", "out_of_scope", "ネットワーク監視", gold=["B"]),  # missed; top-3 hit only
    judged("OUT", "ok", "情報セキュリティ研修", weight=7.5),  # a false alarm for both
    judged("OUT", "out_of_scope", "道路の修繕", weight=7.5),
    judged("IN", "low_confidence", "ゼロトラストの導入", gold=["C"], labels=["A", "B"]),  # no hit
    judged("BORDER", "ok", "サイバー", weight=100.0),  # left out of precision and recall
    judged("BORDER", "out_of_scope", "", weight=100.0),
]


def test_scope_metrics_by_hand():
    got = scope_metrics(SCOPE_ROWS)
    assert (got["n_in"], got["n_out"], got["n_border"]) == (3, 2, 2)
    # Model: IN said in {1, 5}, IN missed {2}, OUT said in {3}: tp 2, fp 1, fn 1.
    assert got["model"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    assert (got["flagged_in"], got["flagged_out"], got["missed_in"]) == (2, 1, 1)
    # Keyword filter (サイバー|情報セキュリティ) on the same rows: hits 1 and 3: tp 1, fp 1, fn 2.
    assert got["keyword"] == pytest.approx({"precision": 1 / 2, "recall": 1 / 3, "f1": 0.4})
    # Weighted: the OUT rows stand for 7.5 programmes each.
    p, r = 2 / (2 + 7.5), 2 / 3
    assert got["model_weighted"] == pytest.approx(
        {"precision": p, "recall": r, "f1": 2 * p * r / (p + r)}
    )
    p, r = 1 / (1 + 7.5), 1 / 3
    assert got["keyword_weighted"] == pytest.approx(
        {"precision": p, "recall": r, "f1": 2 * p * r / (p + r)}
    )
    # Top-1 / top-3 on the IN rows: hits (1), (1, 2) of 3.
    assert got["top1_in"] == pytest.approx(1 / 3)
    assert got["top3_in"] == pytest.approx(2 / 3)


def test_operating_points_by_hand():
    truth = np.array([True, True, True, False, False])
    p_in = np.array([0.9, 0.3, 0.05, 0.4, 0.1])
    weight = np.array([1.0, 1.0, 1.0, 7.5, 7.5])
    got = operating_points(truth, p_in, weight, (0.05, 0.3, 0.5))
    assert list(got) == ["0.05", "0.3", "0.5"]
    # 0.05: everything called in: tp 3, fp 2.
    assert (got["0.05"]["called_in"], got["0.05"]["found"], got["0.05"]["wrongly_in"]) == (5, 3, 2)
    assert got["0.05"]["precision"] == pytest.approx(3 / 5) and got["0.05"]["recall"] == 1.0
    assert got["0.05"]["weighted"]["precision"] == pytest.approx(3 / 18)
    # 0.3: rows 0, 1 and 3 (0.3 itself is in): tp 2, fp 1.
    assert (got["0.3"]["found"], got["0.3"]["wrongly_in"]) == (2, 1)
    assert got["0.3"]["precision"] == pytest.approx(2 / 3)
    assert got["0.3"]["recall"] == pytest.approx(2 / 3)
    assert got["0.3"]["weighted"]["precision"] == pytest.approx(2 / 9.5)
    # 0.5: row 0 alone.
    assert got["0.5"]["precision"] == 1.0 and got["0.5"]["recall"] == pytest.approx(1 / 3)


def test_scope_metrics_operating_point_at_the_models_threshold_is_the_headline():
    """At 0.5 (the threshold classify used for these rows' statuses) the operating point
    gives the same precision and recall as the status-based figures."""
    rows = [
        judged("IN", "ok", "サイバー", gold=["A"], p=0.8),
        judged("IN", "out_of_scope", "x", gold=["A"], p=0.2),
        judged("OUT", "ok", "y", p=0.6),
        judged("OUT", "out_of_scope", "z", p=0.1),
    ]
    got = scope_metrics(rows)
    assert got["operating_points"]["0.5"]["precision"] == got["model"]["precision"] == 0.5
    assert got["operating_points"]["0.5"]["recall"] == got["model"]["recall"] == 0.5
    assert got["operating_points"]["0.05"]["recall"] == 1.0


def test_scope_metrics_leave_border_rows_out():
    without = scope_metrics([r for r in SCOPE_ROWS if r.scope != "BORDER"])
    with_border = scope_metrics(SCOPE_ROWS)
    for key in ("model", "keyword", "model_weighted", "keyword_weighted", "top1_in", "top3_in"):
        assert with_border[key] == without[key], key
    assert without["n_border"] == 0


def test_scope_metrics_edge_cases():
    got = scope_metrics([judged("OUT", "out_of_scope", "道路")])
    assert math.isnan(got["model"]["precision"]) and math.isnan(got["model"]["recall"])
    assert got["model"]["f1"] == 0.0 and math.isnan(got["top1_in"])
    # Unjudged rows (no scope) count nowhere.
    got = scope_metrics([judged("", "ok", "サイバー", gold=["A"])])
    assert (got["n_in"], got["n_out"], got["n_border"]) == (0, 0, 0)
    assert math.isnan(got["model"]["recall"])


def _wilson_by_formula(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(18, 23), (0, 10), (10, 10), (193, 211)])
def test_wilson_matches_the_textbook_formula(k, n):
    got = wilson(k, n)
    low, high = _wilson_by_formula(k, n)
    assert (got["hits"], got["n"]) == (k, n)
    assert got["low"] == pytest.approx(low, abs=1e-6)
    assert got["high"] == pytest.approx(high, abs=1e-6)


def test_wilson_known_value_and_empty():
    # 0 of 10: the Wilson upper bound is 0.2775 (the usual table value), not 0 as p̂ ± z·se.
    assert wilson(0, 10)["high"] == pytest.approx(0.2775, abs=1e-4)
    empty = wilson(0, 0)
    assert empty["n"] == 0 and math.isnan(empty["low"]) and math.isnan(empty["high"])
    assert interval_text(empty) == "n/a" and interval_text(None) == "n/a"
    assert interval_text(wilson(18, 23)) == "0.58–0.90 (18/23)"


def test_scope_metrics_intervals_rest_on_the_counts():
    got = scope_metrics(SCOPE_ROWS)["intervals"]
    # tp 2 of 3 said in (precision), of 3 IN (recall); top-1 1 of 3, top-3 2 of 3.
    assert (got["precision"]["hits"], got["precision"]["n"]) == (2, 3)
    assert (got["recall"]["hits"], got["recall"]["n"]) == (2, 3)
    assert (got["top1_in"]["hits"], got["top3_in"]["hits"], got["top1_in"]["n"]) == (1, 2, 3)


def test_compute_metrics_intervals_rest_on_the_counts():
    rows = [
        scored(["A"], ["A", "B"]),
        scored(["B"], ["A", "B"]),
        scored([], ["A"], status="out_of_scope"),
        scored([], ["A"]),
    ]
    got = compute_metrics(rows)["intervals"]
    assert (got["top1"]["hits"], got["top1"]["n"]) == (1, 2)
    assert (got["top3"]["hits"], got["top3"]["n"]) == (2, 2)
    assert (got["out_of_scope_recall"]["hits"], got["out_of_scope_recall"]["n"]) == (1, 2)
