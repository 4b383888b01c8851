"""matching: marking shared words, and the policy sentence a request matched, on the tiny
clause-only model."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.matching import CLOSE, OPEN, ClauseMatcher, mark
from classifier.predict import Predictor

from .helpers import TINY_TARGETS

# --------------------------------------------------------------------------- mark


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("政府機関の監視", {"監視"}, "政府機関の【監視】"),
        ("監視と監視", {"監視"}, "【監視】と【監視】"),  # every occurrence
        # Longest first: the shorter word inside it is not marked again.
        ("情報セキュリティ対策", {"情報セキュリティ", "セキュリティ"}, "【情報セキュリティ】対策"),
        (
            "セキュリティと情報セキュリティ",
            {"情報セキュリティ", "セキュリティ"},
            "【セキュリティ】と【情報セキュリティ】",
        ),
        # Overlapping words: the longer (then the first alphabetically) wins, no nesting.
        ("abcd", {"abc", "bcd"}, "【abc】d"),
        ("abcde", {"bc", "cde"}, "ab【cde】"),
        # Adjacent words share one mark.
        ("サイバーセキュリティ対策", {"サイバー", "セキュリティ"}, "【サイバーセキュリティ】対策"),
        (
            "地方公共団体職員の訓練",
            {"地方公共団体", "職員", "訓練"},
            "【地方公共団体職員】の【訓練】",
        ),
        # Without the words, the text is unchanged.
        ("政府機関の監視", set(), "政府機関の監視"),
        ("政府機関の監視", {"大学", "研修"}, "政府機関の監視"),
        ("", {"監視"}, ""),
    ],
)
def test_mark(text, words, expected):
    assert mark(text, words) == expected


def test_mark_never_nests_and_keeps_the_text():
    text = "情報セキュリティ対策のセキュリティ人材と情報の共有"
    words = {"情報", "セキュリティ", "情報セキュリティ", "人材", "共有", "対策"}
    got = mark(text, words)
    assert got.replace(OPEN, "").replace(CLOSE, "") == text
    depth = 0
    for ch in got:
        depth += (ch == OPEN) - (ch == CLOSE)
        assert depth in (0, 1), got
    assert depth == 0
    assert OPEN + CLOSE not in got and CLOSE + OPEN not in got  # adjacent marks are merged


# --------------------------------------------------------------------------- ClauseMatcher


def _unmarked(text: str) -> str:
    return text.replace(OPEN, "").replace(CLOSE, "")


def _marked_words(text: str) -> list[str]:
    return [part.split(CLOSE)[0] for part in text.split(OPEN)[1:]]


@pytest.fixture(scope="module")
def matcher(small_model, small_policy):
    return ClauseMatcher(small_model, small_policy, TINY_TARGETS, "subitem")


def _vectors(model, texts):
    return model.fitted_.transform(model.tokenizer_.analyze_batch(texts).docs())


@pytest.mark.parametrize(
    ("text", "label", "shared"),
    [
        ("政府機関の情報システムの監視", "(1)①", "監視"),
        ("大学の専門人材の教育", "(2)①ⅰ", "大学"),
        ("地方公共団体の職員の訓練", "(1)②", "訓練"),
        ("中小企業の経営層の研修", "(2)①ⅱ", "研修"),
    ],
)
def test_matched_sentence_is_label_1s_and_marks_a_shared_word(
    small_model, small_policy, matcher, text, label, shared
):
    pred = Predictor(small_model, small_policy).predict([text])[0]
    assert pred.labels[0] == label
    matched = pred.matched_clause_text
    assert _unmarked(matched) in small_policy.clause(label).text  # a sentence of label_1
    words = _marked_words(matched)
    assert shared in words and shared in text  # a word of both, marked
    # The matcher, called directly on label_1's column, gives the same sentence.
    top = np.array([TINY_TARGETS.index(label)])
    assert matcher.match(_vectors(small_model, [text]), top) == [matched]


def test_nothing_shared_gives_an_empty_match(small_model, matcher):
    X = _vectors(small_model, ["大学の専門人材の教育", "天気", ""])
    # Asked for (1)① (政府機関の監視), the university request shares no word with it.
    top = np.array([TINY_TARGETS.index("(1)①")] * 3)
    assert matcher.match(X, top) == ["", "", ""]


def test_matcher_only_uses_sentences_of_the_reported_level(small_model, small_policy):
    items = ClauseMatcher(small_model, small_policy, ["(1)①", "(1)②", "(2)①"], "item")
    X = _vectors(small_model, ["中小企業の経営層の研修", "中小企業の経営層の研修"])
    # Under the item (2)①, its sub-item (2)①ⅱ's sentence explains the request …
    got = items.match(X, np.array([2, 0]))
    assert _unmarked(got[0]) == "中小企業の経営層に向けた研修を実施すること。"
    assert got[1] == ""  # … and nothing under (1)① does.
