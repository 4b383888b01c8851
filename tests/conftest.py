"""Shared fixtures: paths into the real repository data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
R3_SOURCE = ROOT / "corpus" / "r3" / "source.txt"
R3_DIR = ROOT / "corpus" / "r3"
# The columns classify appends with the default --top-k 3: the contract from the issue.
ADDED_COLUMNS = [
    "label_1",
    "heading_1",
    "confidence_1",
    "label_2",
    "heading_2",
    "confidence_2",
    "label_3",
    "heading_3",
    "confidence_3",
    "evidence_1",
    "status",
]


@pytest.fixture(scope="session")
def r3_text() -> str:
    return R3_SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def r3_policy():
    from classifier.corpus import load_policy

    policy, warnings = load_policy(R3_SOURCE, "r3", R3_DIR / "summary_map.csv")
    assert warnings == []
    return policy
