"""summary.BudgetSummary: programmes and budgets per label, on the tiny policy, by hand.

The tiny policy (tests/helpers.py): areas (1) and (2); (1)① and (1)② are target items;
(2)① is an item heading over the target sub-items (2)①ⅰ and (2)①ⅱ.
"""

from __future__ import annotations

from classifier.summary import SUMMARY_COLUMNS, SUMMARY_SHEET, BudgetSummary

from .helpers import TINY_TARGETS

HEADINGS = {
    "(1)①": "政府機関の監視",
    "(1)②": "地方公共団体の対策",
    "(2)①ⅰ": "大学における専門人材の教育を充実すること。",
    "(2)①ⅱ": "中小企業の経営層に向けた研修を実施すること。",
    "(2)①": "人材の育成",
    "(1)": "政府機関のセキュリティ",
    "(2)": "人材育成",
}


def table(summary: BudgetSummary) -> dict[tuple[str, str], list]:
    """(label, kind) → the eight counts, after checking each row's heading."""
    out = {}
    for label, kind, heading, *counts, key in summary.rows():
        assert heading == HEADINGS[label]
        assert key == f"{label} {kind}"
        out[label, kind] = counts
    return out


def test_columns_and_sheet_name():
    assert SUMMARY_SHEET == "summary"
    assert SUMMARY_COLUMNS == (
        "label",
        "kind",
        "heading",
        "programmes",
        "budget_initial_yen",
        "budget_request_yen",
        "programmes_any",
        "budget_initial_yen_any",
        "budget_request_yen_any",
        "programmes_budget_unknown",
        "programmes_budget_unknown_any",
        "lookup_key",
    )


def test_layout_targets_then_items_then_areas(small_policy):
    rows = BudgetSummary(small_policy, TINY_TARGETS).rows()
    assert [(r[0], r[1]) for r in rows] == [
        ("(1)①", "target"),
        ("(1)②", "target"),
        ("(2)①ⅰ", "target"),
        ("(2)①ⅱ", "target"),
        ("(2)①", "item"),  # the only item with sub-items
        ("(1)", "area"),
        ("(2)", "area"),
    ]
    assert all(
        r[3:11] == [0] * 8 and r[11] == f"{r[0]} {r[1]}" for r in rows
    )  # nothing counted yet


def test_layout_at_item_level(small_policy):
    rows = BudgetSummary(small_policy, ["(1)①", "(1)②", "(2)①"]).rows()
    # The targets are items already: no item rows, then the areas above them.
    assert [(r[0], r[1]) for r in rows] == [
        ("(1)①", "target"),
        ("(1)②", "target"),
        ("(2)①", "target"),
        ("(1)", "area"),
        ("(2)", "area"),
    ]


def test_counting_rules_by_hand(small_policy):
    s = BudgetSummary(small_policy, TINY_TARGETS)
    s.add("ok", "(1)①", ("(1)①", "(2)①ⅰ"), 100, 10)  # A: its set reaches into area (2)
    s.add("low_confidence", "(2)①ⅱ", ("(2)①ⅱ",), None, 5)  # B: no initial budget
    s.add("ok", "(2)①ⅰ", ("(2)①ⅰ", "(2)①ⅱ"), 1000, 2000)  # C: two labels under (2)①
    # Counted nowhere:
    s.add("out_of_scope", "(1)②", (), 7, 7)
    s.add("empty_text", "", ())
    s.add("error: row has 3 fields but the header has 2", "", ())
    s.add("error: ValueError: x", "(1)②", ("(1)②",), 7, 7)
    s.add("ok", "(1)②", ("(1)②",), 7, 7, duplicate=True)
    s.add("ok", "", (), 7, 7)  # no label at all
    # programmes, initial, request | programmes_any, initial_any, request_any
    # | programmes whose amounts are not all known (B), first and anywhere
    assert table(s) == {
        ("(1)①", "target"): [1, 100, 10, 1, 100, 10, 0, 0],
        ("(1)②", "target"): [0, 0, 0, 0, 0, 0, 0, 0],
        ("(2)①ⅰ", "target"): [1, 1000, 2000, 2, 1100, 2010, 0, 0],  # C; A and C anywhere
        ("(2)①ⅱ", "target"): [1, 0, 5, 2, 1000, 2005, 1, 1],  # B first; B and C anywhere
        ("(2)①", "item"): [2, 1000, 2005, 3, 1100, 2015, 1, 1],  # B + C; A, B, C once each
        ("(1)", "area"): [1, 100, 10, 1, 100, 10, 0, 0],
        ("(2)", "area"): [2, 1000, 2005, 3, 1100, 2015, 1, 1],
    }


def test_a_roll_up_row_sums_its_children(small_policy):
    s = BudgetSummary(small_policy, TINY_TARGETS)
    amounts = {"(1)①": (1, 2), "(1)②": (30, 40), "(2)①ⅰ": (500, 600), "(2)①ⅱ": (7000, 8000)}
    for label, (initial, request) in amounts.items():
        s.add("ok", label, (label,), initial, request)
    t = table(s)
    for parent, children in {
        ("(2)①", "item"): ["(2)①ⅰ", "(2)①ⅱ"],
        ("(1)", "area"): ["(1)①", "(1)②"],
        ("(2)", "area"): ["(2)①ⅰ", "(2)①ⅱ"],
    }.items():
        expected = [sum(t[c, "target"][i] for c in children) for i in range(8)]
        assert t[parent] == expected, parent
    assert t["(2)", "area"] == [2, 7500, 8600, 2, 7500, 8600, 0, 0]


def test_label_1_counts_anywhere_even_if_the_set_omits_it(small_policy):
    s = BudgetSummary(small_policy, TINY_TARGETS)
    s.add("ok", "(1)①", (), 3, 4)
    t = table(s)
    assert t["(1)①", "target"] == [1, 3, 4, 1, 3, 4, 0, 0]
    assert t["(1)", "area"] == [1, 3, 4, 1, 3, 4, 0, 0]


def test_without_amounts_the_budget_cells_stay_empty(small_policy):
    # No --budget: a sum of 0 yen would read as a fact, so the cells are empty.
    s = BudgetSummary(small_policy, TINY_TARGETS, budget=False)
    s.add("ok", "(1)①", ("(1)①",))
    t = table(s)
    assert t["(1)①", "target"] == [1, None, None, 1, None, None, None, None]
    assert t["(1)②", "target"] == [0, None, None, 0, None, None, None, None]


def test_a_programme_with_no_known_amount_counts_but_adds_nothing(small_policy):
    s = BudgetSummary(small_policy, TINY_TARGETS)
    s.add("ok", "(1)①", ("(1)①",), 100, 10)
    s.add("ok", "(1)①", ("(1)①",), None, None)  # not in the 2-1 file
    assert table(s)["(1)①", "target"] == [2, 100, 10, 2, 100, 10, 1, 1]
