"""labels: spelling labels typed by hand, parsing label cells, checking them against a policy."""

from __future__ import annotations

import pytest

from classifier.errors import LabelError
from classifier.labels import (
    LabelledRequest,
    check_labels,
    format_labels,
    normalize_label,
    parse_labels,
    pasted_heading_problems,
)
from classifier.vocab import CVGroups


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("(2)③ⅱ", "(2)③ⅱ"),  # already canonical
        ("（２）③ ii", "(2)③ⅱ"),  # full-width parentheses and digits, ascii roman numeral
        ("（２）③", "(2)③"),
        ("（１０）①", "(10)①"),
        ("( 2 )③", "(2)③"),
        ("(2) ③", "(2)③"),
        ("(2)③ ⅱ", "(2)③ⅱ"),
        ("(2)③ii", "(2)③ⅱ"),
        ("(2)③ III", "(2)③ⅲ"),  # upper-case ascii
        ("(2)③iv", "(2)③ⅳ"),
        ("(2)③ i", "(2)③ⅰ"),
        ("(2)③Ⅱ", "(2)③ⅱ"),  # upper-case roman numeral character
        ("(2)③(ii)", "(2)③ⅱ"),
        ("(2)③ⅱ)", "(2)③ⅱ"),  # a closing parenthesis copied from the policy's ⅱ）
        ("（２）③ⅱ）", "(2)③ⅱ"),
        ("(2)③ 政府機関、独立行政法人等における…", "(2)③"),  # the heading after it is ignored
        ("(2)③ii 政府", "(2)③ⅱ"),
        ("  (4)①  ", "(4)①"),
        ("(5)", "(5)"),
        ("(2)-③-i", "(2)③ⅰ"),  # parts joined by hyphens
        ("（２）－③－ⅱ", "(2)③ⅱ"),  # full-width hyphens
        ("(2)・③・ⅲ", "(2)③ⅲ"),  # 中黒
        ("2③i", "(2)③ⅰ"),  # the area without its parentheses, before an item
        ("2-③", "(2)③"),
    ],
)
def test_normalize_label(typed, canonical):
    assert normalize_label(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "NONE",
        "none",
        "None",
        " NONE ",
        "対象外",
        "該当なし",
        "なし",
        "out_of_scope",
        "ＮＯＮＥ",  # full width, as Excel's IME types it
        "ｎｏｎｅ",
        "OUT_OF_SCOPE",
    ],
)
def test_none_spellings(typed):
    assert normalize_label(typed) == "NONE"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("(2)③ (2)⑦", "more than one label: separate labels with ';'"),
        ("(2)③/(2)⑦", "more than one label"),
        ("(2)③ ⑦", "more than one label"),  # a circled item of the same area
        ("(2)③ⅰ?", "marked unsure"),
        ("(2)③ⅰ？", "marked unsure"),  # full-width question mark
        ("(2)③ⅰ NONE", "a label and NONE"),
        ("(2)③ 対象外", "a label and NONE"),
        ("(2)③ ＮＯＮＥ", "a label and NONE"),
        ("-", "write NONE for out of scope, or leave the cell empty"),
        ("－", "is not a label"),  # full-width hyphen-minus, as a Japanese keyboard types it
    ],
)
def test_normalize_label_refuses_what_it_cannot_tell(typed, message):
    # Keeping the first label silently would teach the wrong one.
    with pytest.raises(LabelError, match=message):
        normalize_label(typed)


def test_a_heading_that_merely_contains_a_none_word_is_still_a_heading():
    assert normalize_label("(2)③ 該当なしではない施策の強化") == "(2)③"


def test_parse_labels_names_the_cell_it_refuses():
    with pytest.raises(LabelError, match=r"'\(2\)③ \(2\)⑦'"):
        parse_labels("(1)①;(2)③ (2)⑦")


def test_parse_labels_primary_first():
    assert parse_labels("(2)③;(1)①") == ("(2)③", "(1)①")
    assert parse_labels("(2)③；（１）①") == ("(2)③", "(1)①")  # full-width semicolon
    assert parse_labels("(2)③\n(1)①") == ("(2)③", "(1)①")  # one per line in a cell
    assert parse_labels("(2)③ ; (2)③ii ;") == ("(2)③", "(2)③ⅱ")
    assert parse_labels("(2)③;（２）③") == ("(2)③",)  # the same label twice counts once


@pytest.mark.parametrize("cell", [None, "", "   ", "nan", float("nan")])
def test_parse_labels_empty_cell_is_none(cell):
    assert parse_labels(cell) is None


@pytest.mark.parametrize("cell", ["NONE", "対象外", " none "])
def test_parse_labels_out_of_scope_is_empty_tuple(cell):
    assert parse_labels(cell) == ()


def test_parse_labels_none_cannot_be_combined():
    with pytest.raises(LabelError, match="cannot be combined"):
        parse_labels("NONE;(2)③")


def test_format_labels():
    assert format_labels(None) == ""
    assert format_labels(()) == "NONE"
    assert format_labels(("(2)③", "(1)①")) == "(2)③;(1)①"
    for labels in (None, (), ("(2)③ⅱ",), ("(2)③", "(1)①")):
        assert parse_labels(format_labels(labels)) == labels


def test_labelled_request_in_scope():
    assert LabelledRequest("1", "市町村", ("(1)②",)).in_scope
    assert not LabelledRequest("2", "河川", ()).in_scope
    assert LabelledRequest("3", "x", ()).split == "dev"


def test_check_labels_accepts_targets(small_policy):
    assert check_labels(["(1)①", "(2)①ⅱ"], small_policy) == []
    assert check_labels([], small_policy) == []


def test_check_labels_unknown_label_with_a_suggestion(r3_policy):
    assert check_labels(["(2)⑧"], r3_policy) == ["unknown label '(2)⑧' (did you mean '(2)⑦'?)"]
    assert check_labels(["zzz"], r3_policy) == ["unknown label 'zzz'"]  # nothing close


def test_check_labels_heading_is_not_a_target(small_policy):
    assert check_labels(["(1)"], small_policy) == [
        "'(1)' is a heading, not a classification target "
        "(use one of the targets under it: (1)①, (1)②)"
    ]
    assert check_labels(["(2)①"], small_policy) == [
        "'(2)①' is a heading, not a classification target "
        "(use one of the targets under it: (2)①ⅰ, (2)①ⅱ)"
    ]


def test_check_labels_reports_each_bad_label(small_policy):
    problems = check_labels(["(1)①", "(9)①", "(1)"], small_policy)
    assert len(problems) == 2
    assert problems[0].startswith("unknown label '(9)①'")
    assert problems[1].startswith("'(1)' is a heading")


def test_cross_validation_group_is_the_programme_or_the_ministry():
    sheet = LabelledRequest("123", "text", (), ministry="総務省", scope="OUT")
    sentence = LabelledRequest("123#4", "text", (), ministry="総務省", scope="OUT")
    short = LabelledRequest("r9", "text", ("(1)①",))  # no ministry: its own group
    rows = (sheet, sentence, short)
    assert [r.cv_group() for r in rows] == ["123", "123", "r9"]  # a sentence goes with its own
    assert [r.cv_group(CVGroups.MINISTRY) for r in rows] == [
        "ministry:総務省",
        "ministry:総務省",
        "r9",
    ]


@pytest.mark.parametrize(
    ("typed", "suggestion"), [("(2)3", "(2)③"), ("（２）３", "（２）③"), ("(2)-7", "(2)⑦")]
)
def test_an_item_typed_as_a_plain_number_gets_its_circled_spelling(typed, suggestion):
    # Read alone, (2)3 would be area (2): the message quotes what was typed, not that.
    with pytest.raises(LabelError) as exc:
        normalize_label(typed)
    assert str(exc.value) == f"{typed!r}: write the item as a circled number, e.g. {suggestion}"


def test_a_heading_pasted_after_a_label_keeps_its_own_commas():
    # As copied from the review sheet's labels sheet: 、 inside the heading separates nothing.
    heading = "(2)③ 政府機関、独立行政法人等におけるセキュリティ強化・充実"
    assert parse_labels(heading) == ("(2)③",)
    assert parse_labels(f"{heading}、(5) 横断的施策") == ("(2)③", "(5)")
    assert parse_labels("(2)③、（５）") == ("(2)③", "(5)")  # 、 before a label still separates
    assert parse_labels("2③、2④") == ("(2)③", "(2)④")  # also before a bare area
    with pytest.raises(LabelError, match="cannot be combined"):
        parse_labels("(2)③、NONE")


def test_every_heading_of_the_labels_sheet_can_be_pasted_after_its_label():
    from classifier.corpus import read_clauses
    from classifier.predict import display_heading

    from .helpers import R3_DIR

    policy = read_clauses(R3_DIR)
    for c in policy.targets:
        assert parse_labels(f"{c.label} {display_heading(policy, c.label)}") == (c.label,)


def test_every_heading_of_the_labels_sheet_after_its_own_label_is_no_problem(r3_policy):
    from classifier.predict import display_heading

    for c in r3_policy.targets:
        cell = f"{c.label} {display_heading(r3_policy, c.label)}"
        assert pasted_heading_problems(cell, r3_policy) == [], cell


def test_another_targets_heading_after_a_label_is_a_problem(r3_policy):
    """(2)③ with (2)⑦'s heading: a row of the labels sheet half copied. Which was meant
    cannot be told; an item's heading after its own sub-item, or a note, is fine."""
    council = r3_policy.clause("(2)⑦").heading
    assert pasted_heading_problems(f"(2)⑦ {council};(2)③ {council}", r3_policy) == [
        f"'(2)③ {council}': the heading after (2)③ is (2)⑦'s: which of the two is meant "
        "cannot be told; keep the one meant ((2)③ or (2)⑦)"
    ]
    item = r3_policy.clause("(2)③").heading
    assert pasted_heading_problems(f"(2)③ⅰ {item}", r3_policy) == []
    assert pasted_heading_problems("(2)③ 課長確認済", r3_policy) == []
    assert pasted_heading_problems(f"(2)③ {council[:3]}", r3_policy) == []  # too short to tell


def test_a_bare_area_number_is_told_how_an_area_is_written(r3_policy):
    # 3 is the document's own section 3 (留意事項) too; an analyst typing it means (3).
    assert check_labels(["3"], r3_policy) == [
        "'3' is no label: an area is written (3), and is a heading; use one of the targets "
        "under it: (3)①, (3)②, (3)③"
    ]
    assert check_labels(["5"], r3_policy) == ["'5' is no label: did you mean '(5)'?"]
    assert check_labels(["9"], r3_policy) == ["unknown label '9'"]


@pytest.mark.parametrize(("cell", "area"), [(-5, "5"), (-5.0, "5"), ("-3", "3")])
def test_a_label_excel_turned_into_a_negative_number_is_explained(cell, area):
    with pytest.raises(LabelError, match=rf"how Excel shows \({area}\) typed into a number cell"):
        parse_labels(cell)


@pytest.mark.parametrize("cell", ["?", "？", "(2)③?"])
def test_a_question_mark_alone_or_after_a_label_is_unsure(cell):
    with pytest.raises(LabelError, match="is marked unsure"):
        parse_labels(cell)


def test_normalize_label_of_none_is_not_out_of_scope():
    """None (an empty cell) is not filled in, as parse_labels says; never the NONE label."""
    assert parse_labels(None) is None
    with pytest.raises(LabelError, match="no label given"):
        normalize_label(None)  # type: ignore[arg-type]


def test_another_targets_row_of_the_labels_sheet_after_a_label_is_a_problem(r3_policy):
    """Sub-items show the start of their text, cut with …, on the labels sheet: pasted
    after another label, that is caught as an item's heading is."""
    from classifier.predict import display_heading

    for label, other in (("(2)③ⅱ", "(2)③ⅰ"), ("(2)③", "(2)①ⅲ")):
        shown = display_heading(r3_policy, other)
        assert shown.endswith("…")
        problems = pasted_heading_problems(f"{label} {shown}", r3_policy)
        assert problems == [
            f"'{label} {shown}': the heading after {label} is {other}'s: which of the two is "
            f"meant cannot be told; keep the one meant ({label} or {other})"
        ]


def test_the_none_row_of_the_labels_sheet_copied_whole_is_none():
    assert parse_labels("対象外 (supports no item)") == ()
    assert parse_labels("NONE 対象外 (supports no item)") == ()


@pytest.mark.parametrize("typed", ["(2)①ⅰⅰ", "(2)③xiii", "(2)③ⅹⅹ", "(2)③ⅱii"])
def test_more_numerals_than_a_sub_item_has_are_refused_not_cut(typed):
    """Keeping the label before them would read another target: (2)③xiii is not (2)③."""
    with pytest.raises(LabelError, match="after the label is no sub-item number"):
        normalize_label(typed)


def test_one_label_with_a_separator_in_it_is_refused():
    with pytest.raises(LabelError, match="holds more than one label or a separator"):
        normalize_label("(2)③;NONE")
    assert parse_labels("(2)③;(2)⑦") == ("(2)③", "(2)⑦")  # a cell separates them
