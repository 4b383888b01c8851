"""predict: roll-up to items and areas, top-k, status, evidence, on a tiny policy and model."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pytest

from classifier.predict import (
    DEFAULT_MIN_CONFIDENCE,
    Prediction,
    Predictor,
    card_min_confidence,
    display_heading,
    level_of,
    rollup_matrix,
)

from .helpers import TINY_TARGETS


def test_card_min_confidence():
    assert DEFAULT_MIN_CONFIDENCE == 0.30
    assert card_min_confidence({}) == 0.30
    assert card_min_confidence({"parameters": {"min_confidence": 0.5}}) == 0.5
    assert card_min_confidence({"parameters": {"min_confidence": 0.5}}, 0.1) == 0.1
    assert card_min_confidence({"parameters": {"min_confidence": 0.5}}, 0.0) == 0.0


def test_display_heading(small_policy):
    assert display_heading(small_policy, "(1)①") == "政府機関の監視"
    # A sub-item has no heading: the start of its text stands in.
    assert display_heading(small_policy, "(2)①ⅰ") == "大学における専門人材の教育を充実すること。"
    long = replace(small_policy.clause("(2)①ⅱ"), text="あ" * 45 + "\n二行目")
    policy = replace(small_policy, clauses=(*small_policy.clauses[:-1], long))
    assert display_heading(policy, "(2)①ⅱ") == "あ" * 39 + "…"
    short = replace(long, text="一行目\n二行目")
    policy = replace(small_policy, clauses=(*small_policy.clauses[:-1], short))
    assert display_heading(policy, "(2)①ⅱ") == "一行目"


@pytest.mark.parametrize(
    ("label", "level", "expected"),
    [
        ("(2)①ⅱ", "subitem", "(2)①ⅱ"),
        ("(2)①ⅱ", "item", "(2)①"),
        ("(2)①ⅱ", "area", "(2)"),
        ("(1)②", "item", "(1)②"),
        ("(1)②", "subitem", "(1)②"),  # an item has no sub-item above it: it stays
        ("(1)②", "area", "(1)"),
    ],
)
def test_level_of(small_policy, label, level, expected):
    assert level_of(small_policy, label, level) == expected


def test_rollup_matrix_sums_children_into_their_parent(small_policy):
    columns, m = rollup_matrix(small_policy, TINY_TARGETS, "item")
    assert columns == ["(1)①", "(1)②", "(2)①"]
    assert m.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]]
    columns, m = rollup_matrix(small_policy, TINY_TARGETS, "area")
    assert columns == ["(1)", "(2)"]
    proba = np.array([[0.1, 0.2, 0.3, 0.4]])
    np.testing.assert_allclose(proba @ m, [[0.1 + 0.2, 0.3 + 0.4]])
    columns, m = rollup_matrix(small_policy, TINY_TARGETS, "subitem")
    assert columns == TINY_TARGETS and (m == np.eye(4)).all()


class _StubModel:
    """Just what Predictor.from_scores reads from a model."""

    classes_ = np.array(TINY_TARGETS)
    in_scope_threshold = 0.5
    label_layers_: ClassVar[dict] = {}  # uncalibrated: a label's confidence is its softmax share

    def evidence_weights(self):
        return np.zeros((4, 3))


PROBA = np.array(
    [
        [0.7, 0.2, 0.06, 0.04],  # clear
        [0.1, 0.25, 0.3, 0.35],  # (2)①ⅱ first, but its item (2)① holds 0.65
        [0.26, 0.25, 0.25, 0.24],  # best under 0.30
        [0.7, 0.2, 0.06, 0.04],  # clear, but the detector says out of scope
        [0.25, 0.25, 0.25, 0.25],  # ties: the policy's order
    ]
)
P_IN = np.array([0.9, 0.9, 0.9, 0.2, 0.51234])


def test_from_scores_top_k_and_status(small_policy):
    predictor = Predictor(_StubModel(), small_policy, top_k=3)
    preds = predictor.from_scores(["t"] * 5, PROBA, P_IN)
    assert preds[0] == Prediction(
        ("(1)①", "(1)②", "(2)①ⅰ"),
        ("政府機関の監視", "地方公共団体の対策", "大学における専門人材の教育を充実すること。"),
        (0.7, 0.2, 0.06),
        (),
        0.9,
        "ok",
        "",
        ("(1)①",),  # the labels at or above the 0.5 set threshold
    )
    assert preds[1].label_set == ("(2)①ⅱ",)  # none reaches 0.5: label_1 alone
    assert preds[3].label_set == ()  # out of scope: no set
    assert preds[1].labels == ("(2)①ⅱ", "(2)①ⅰ", "(1)②") and preds[1].status == "ok"
    assert preds[2].confidences[0] == 0.26 and preds[2].status == "low_confidence"
    assert preds[3].status == "out_of_scope" and preds[3].labels[0] == "(1)①"  # still a guess
    assert preds[4].labels == ("(1)①", "(1)②", "(2)①ⅰ")
    assert preds[4].in_scope == 0.512  # rounded to 3 places


def test_from_scores_rolled_up_to_items_and_areas(small_policy):
    items = Predictor(_StubModel(), small_policy, top_k=2, level="item")
    pred = items.from_scores(["t"], PROBA[1:2], P_IN[1:2])[0]
    assert pred.labels == ("(2)①", "(1)②") and pred.confidences == (0.65, 0.25)
    assert pred.headings == ("人材の育成", "地方公共団体の対策")
    areas = Predictor(_StubModel(), small_policy, top_k=5, level="area")
    pred = areas.from_scores(["t"], PROBA[2:3], P_IN[2:3])[0]
    assert pred.labels == ("(1)", "(2)")  # only two areas, whatever top_k says
    assert pred.confidences == (0.51, 0.49) and pred.status == "ok"  # 0.51 clears 0.30


def test_from_scores_min_confidence_is_exclusive(small_policy):
    predictor = Predictor(_StubModel(), small_policy, min_confidence=0.7)
    assert predictor.from_scores(["t"], PROBA[:1], P_IN[:1])[0].status == "ok"  # 0.7 = 0.7
    predictor = Predictor(_StubModel(), small_policy, min_confidence=0.71)
    assert predictor.from_scores(["t"], PROBA[:1], P_IN[:1])[0].status == "low_confidence"


def test_predictor_on_a_fitted_model(small_model, small_policy):
    texts = ["政府機関の情報システムの監視", "", "１２３", "大学の専門人材の教育", None]
    preds = Predictor(small_model, small_policy).predict(texts)
    assert len(preds) == 5
    first, empty, digits, university, missing = preds
    assert first.labels[0] == "(1)①" and first.status == "ok"
    assert "監視" in first.evidence  # the request's own words
    assert all(word in texts[0] for word in first.evidence)
    assert list(first.confidences) == sorted(first.confidences, reverse=True)
    assert empty == Prediction((), (), (), (), 0.0, "empty_text")
    assert missing.status == "empty_text"
    # Text with no word the model knows: out of scope, best guesses still given.
    assert digits.status == "out_of_scope" and len(digits.labels) == 3 and digits.evidence == ()
    assert university.labels[0] == "(2)①ⅰ"


def test_predictor_levels_and_evidence_limit(small_model, small_policy):
    text = ["大学の専門人材の教育"]
    area = Predictor(small_model, small_policy, level="area", n_evidence=2).predict(text)[0]
    assert area.labels == ("(2)", "(1)")
    assert area.headings == ("人材育成", "政府機関のセキュリティ")
    assert 1 <= len(area.evidence) <= 2
    item = Predictor(small_model, small_policy, top_k=1, level="item").predict(text)[0]
    assert item.labels == ("(2)①",)
