"""Synthetic revised policies (tests/fixtures/revised) parse to the trees written by hand.

Each fixture's ``.expected.json`` was written independently of the parser; see the
README in that folder for the revision scenarios each one covers.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from classifier.policy import parse_policy
from classifier.textutil import non_ws

FIXTURES = Path(__file__).parent / "fixtures" / "revised"
CASES = sorted(p.stem for p in FIXTURES.glob("*.txt"))


def _load(name: str):
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return text, expected, parse_policy(text, name)


def test_there_are_at_least_three_fixtures():
    assert len(CASES) >= 3


@pytest.mark.parametrize("name", CASES)
def test_tree(name):
    _, expected, policy = _load(name)
    assert [[c.label, c.heading] for c in policy.clauses] == expected["tree"]


@pytest.mark.parametrize("name", CASES)
def test_title(name):
    _, expected, policy = _load(name)
    assert policy.title == expected["policy_title"]


@pytest.mark.parametrize("name", CASES)
def test_clause_texts(name):
    _, expected, policy = _load(name)
    for label, needles in expected.get("text_contains", {}).items():
        own = non_ws(policy.clause(label).text)
        for needle in needles:
            assert non_ws(needle) in own, f"{label} should contain {needle!r}"
    for label, needles in expected.get("text_not_contains", {}).items():
        own = non_ws(policy.clause(label).text)
        for needle in needles:
            assert non_ws(needle) not in own, f"{label} should not contain {needle!r}"


@pytest.mark.parametrize("name", CASES)
def test_artefacts_removed(name):
    _, expected, policy = _load(name)
    everything = non_ws("".join((c.heading or "") + c.text for c in policy.clauses))
    for artefact in expected.get("absent_everywhere", []):
        assert non_ws(artefact) not in everything
    body_artefacts = [
        a for a in policy.artefacts if a.line > max((s.line_end for s in policy.summary), default=0)
    ]
    assert len(body_artefacts) >= expected["artefact_count_min"]


@pytest.mark.parametrize("name", CASES)
def test_nothing_lost(name):
    text, _, policy = _load(name)
    pieces = [x for c in policy.clauses for x in (c.marker, c.heading or "", c.text)]
    pieces += [x for s in policy.summary for x in (s.marker, s.text)]
    pieces += [a.text for a in policy.artefacts]
    assert Counter(non_ws("".join(pieces))) == Counter(non_ws(text))
