"""hierarchy: a label's ancestor at a level, and the roll-up matrix, on the tiny policy and
the real one."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.hierarchy import level_of, rollup_matrix

from .helpers import TINY_TARGETS


@pytest.mark.parametrize(
    ("label", "level", "expected"),
    [
        ("(2)①ⅱ", "subitem", "(2)①ⅱ"),
        ("(2)①ⅱ", "item", "(2)①"),
        ("(2)①ⅱ", "area", "(2)"),
        ("(1)②", "item", "(1)②"),
        ("(1)②", "subitem", "(1)②"),  # an item has no sub-item above it: it stays
        ("(1)②", "area", "(1)"),
        ("(2)①", "item", "(2)①"),
        ("(2)", "item", "(2)"),  # an area stays an area
        ("(2)", "area", "(2)"),
    ],
)
def test_level_of(small_policy, label, level, expected):
    assert level_of(small_policy, label, level) == expected


def test_level_of_rejects_unknown_labels_and_levels(small_policy):
    with pytest.raises(KeyError):
        level_of(small_policy, "(9)⑨", "item")
    with pytest.raises(ValueError):
        level_of(small_policy, "(1)①", "chapter")


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


def test_rollup_matrix_follows_the_order_of_the_classes(small_policy):
    classes = ["(2)①ⅱ", "(1)①", "(2)①ⅰ"]
    columns, m = rollup_matrix(small_policy, classes, "item")
    assert columns == ["(2)①", "(1)①"]  # first seen first
    assert m.tolist() == [[1, 0], [0, 1], [1, 0]]


def test_rollup_on_the_real_policy(r3_policy):
    targets = [c.label for c in r3_policy.targets]
    assert len(targets) == 25
    items, m_item = rollup_matrix(r3_policy, targets, "item")
    areas, m_area = rollup_matrix(r3_policy, targets, "area")
    assert areas == ["(1)", "(2)", "(3)", "(4)", "(5)"]
    assert len(items) == 17
    # (2)③ is a target and the item over (2)③ⅰ–ⅲ; (5) is a target and an area.
    assert level_of(r3_policy, "(2)③ⅱ", "item") == "(2)③"
    assert level_of(r3_policy, "(2)③", "item") == "(2)③"
    assert level_of(r3_policy, "(5)", "item") == "(5)" and "(5)" in items
    j = items.index("(2)③")
    assert [t for t, row in zip(targets, m_item, strict=True) if row[j]] == [
        "(2)③",
        "(2)③ⅰ",
        "(2)③ⅱ",
        "(2)③ⅲ",
    ]
    # Every class goes to exactly one column, and one area.
    assert (m_item.sum(axis=1) == 1).all() and (m_area.sum(axis=1) == 1).all()
    assert m_area.sum(axis=0).tolist() == [3, 15, 3, 3, 1]
