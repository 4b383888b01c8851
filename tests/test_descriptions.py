"""descriptions: the texts that describe each target, and their sentences."""

from __future__ import annotations

from dataclasses import replace

from classifier.descriptions import clause_descriptions, clause_sentences
from classifier.policy import SummaryEntry

from .helpers import TINY_TARGETS


def test_each_target_is_described_by_its_headings_and_text(small_policy):
    descriptions = clause_descriptions(small_policy)
    assert list(descriptions) == TINY_TARGETS
    # The section heading (the same for every target) is left out.
    assert descriptions["(1)①"] == [
        "政府機関のセキュリティ",
        "政府機関の監視",
        "政府機関の情報システムに対する不正な通信を監視する体制を強化すること。",
    ]
    # A sub-item has no heading of its own: the area's and the item's describe it.
    assert descriptions["(2)①ⅰ"] == [
        "人材育成",
        "人材の育成",
        "大学における専門人材の教育を充実すること。",
    ]


def _bullet(kind: str, labels: tuple[str, ...], text: str) -> SummaryEntry:
    return SummaryEntry("t1", "S", kind, "■", text, "(1)", labels, 1, 1)


def test_summary_bullets_are_added_to_the_targets_they_summarise(small_policy):
    policy = replace(
        small_policy,
        summary=(
            _bullet("bullet", ("(1)②", "(2)①ⅱ"), "自治体と中小企業の対策"),
            _bullet("heading", ("(1)②",), "見出しは説明ではない"),
            _bullet("bullet", ("(2)①",), "見出しの項目には付かない"),  # (2)① is not a target
        ),
    )
    descriptions = clause_descriptions(policy)
    assert descriptions["(1)②"][-1] == "自治体と中小企業の対策"
    assert descriptions["(2)①ⅱ"][-1] == "自治体と中小企業の対策"
    assert len(descriptions["(1)②"]) == 4 and len(descriptions["(1)①"]) == 3
    assert "(2)①" not in descriptions


def test_sentences_of_at_least_six_characters(small_policy):
    first = replace(
        small_policy.clause("(1)①"), text="第一文である。第二文です。\n短い\n三つ目の文章です"
    )
    policy = replace(small_policy, clauses=(*small_policy.clauses[:2], first))
    assert clause_sentences(policy) == [
        ("(1)①", "政府機関のセキュリティ"),
        ("(1)①", "政府機関の監視"),
        ("(1)①", "第一文である。"),
        ("(1)①", "第二文です。"),  # 短い (two characters) is left out
        ("(1)①", "三つ目の文章です"),
    ]
    # 人材育成 and 人材の育成 are too short to be sentences.
    assert [s for label, s in clause_sentences(small_policy) if label == "(2)①ⅰ"] == [
        "大学における専門人材の教育を充実すること。"
    ]
