"""reconcile: one row per labelled text across files; later labels win; no text is both
learnt from and scored as held out."""

from __future__ import annotations

from classifier.dataset import PRESUMED_SOURCE
from classifier.labels import LabelledRequest
from classifier.reconcile import reconcile, reconcile_messages


def req(ident, text, labels, source, split="dev", scope=""):
    return LabelledRequest(ident, text, tuple(labels), split=split, scope=scope, source=source)


def test_a_test_row_another_file_teaches_is_not_scored():
    rows = [
        req("A1", "政府機関の監視", ["(1)①"], "requests", split="test"),
        req("A2", "市町村の訓練", ["(1)②"], "requests", split="test"),
        req("7", "政府機関の監視", ["(1)②"], "reviewed"),  # the analyst's correction
    ]
    out = reconcile(rows)
    assert [(r.id, r.split, r.labels) for r in out.requests] == [
        ("A2", "test", ("(1)②",)),
        ("7", "dev", ("(1)②",)),
    ]
    assert out.test_learnt == ("A1 (requests)",)
    warnings, notes = reconcile_messages(out)
    assert warnings == [
        "left out of the model card's test figures, because a labelled file (the same or "
        "another) teaches the same text in its dev split: 1 test-split row (A1 (requests))"
    ]
    # The analyst's correction of the held-out row is learnt, and said like any other.
    assert out.relabelled == ("A1: (1)① (requests) -> (1)② (reviewed)",)
    assert notes == [
        "labelled again in a later file, so the later labels are learnt: 1 request "
        "(A1: (1)① (requests) -> (1)② (reviewed))"
    ]


def test_the_order_of_files_does_not_decide_which_copy_is_learnt_when_one_is_test():
    # A dev copy before the test copy: still learnt, and the test copy is not scored.
    rows = [
        req("r1", "政府機関の監視", ["(1)②"], "reviewed"),
        req("A1", "政府機関の監視", ["(1)①"], "requests", split="test"),
    ]
    out = reconcile(rows)
    assert [r.id for r in out.requests] == ["r1"]
    assert out.test_learnt == ("A1 (requests)",)


def test_a_later_file_relabels_and_identical_labels_count_once():
    rows = [
        req("A1", "政府機関の監視", ["(1)①"], "requests"),
        req("A2", "市町村の訓練", ["(1)②"], "requests"),
        req("A3", "河川の堤防", [], "requests"),
        req("x", "政府機関の\n監視", ["(1)②", "(1)①"], "reviewed"),  # line wrapping differs
        req("y", "市町村の訓練", ["(1)②"], "reviewed"),
    ]
    out = reconcile(rows)
    assert [r.id for r in out.requests] == ["A3", "x", "y"]
    assert out.relabelled == ("A1: (1)① (requests) -> (1)②;(1)① (reviewed)",)
    assert out.repeats == 1 and out.test_learnt == ()
    _, notes = reconcile_messages(out)
    assert notes == [
        "labelled again in a later file, so the later labels are learnt: 1 request "
        "(A1: (1)① (requests) -> (1)②;(1)① (reviewed))",
        "counted once, as they repeat a request of another file with the same labels: 1 row",
    ]


def test_full_width_and_half_width_spellings_are_the_same_request():
    rows = [
        req("A1", "ＣＳＩＲＴの訓練　２回", ["(1)①"], "requests"),
        req("b", "CSIRTの訓練 2回", ["(1)②"], "reviewed"),
    ]
    assert [r.id for r in reconcile(rows).requests] == ["b"]


def test_rows_of_one_file_are_never_merged():
    # A download may repeat a programme; both rows stay, whatever their labels (two
    # labellings of one text are said: see the test below).
    rows = [req("1", "政府機関の監視", ["(1)①"], "a"), req("2", "政府機関の監視", ["(1)①"], "a")]
    out = reconcile(rows)
    assert out.requests == rows
    assert reconcile_messages(out) == ([], [])
    rows[1] = req("2", "政府機関の監視", ["(1)②"], "a")
    assert reconcile(rows).requests == rows


def test_one_files_copies_of_a_text_labelled_two_ways_are_learnt_and_said():
    rows = [
        req("1", "政府機関の監視", ["(1)①"], "review"),
        req("2", "市町村の訓練", ["(1)②"], "review"),
        req("3", "政府機関の監視", ["(1)②"], "review"),  # the same row, entered again
        req("4", "市町村の訓練", ["(1)②"], "review"),  # a repeat with the same labels: fine
    ]
    out = reconcile(rows)
    assert [r.id for r in out.requests] == ["1", "2", "3", "4"]  # kept apart, as before
    assert out.conflicting == ("1 (1)①, 3 (1)② (review)",)
    warnings, _ = reconcile_messages(out)
    assert warnings == [
        "labelled differently in rows of one file, and learnt both ways (settle the label, "
        "or delete the extra row): 1 text (1 (1)①, 3 (1)② (review))"
    ]


def test_a_test_row_whose_text_its_own_file_teaches_in_dev_is_not_scored():
    rows = [
        req("T1", "政府機関の監視", ["(1)①"], "mine", split="test"),
        req("T2", "市町村の訓練", ["(1)②"], "mine", split="test"),
        req("D1", "政府機関の　監視", ["(1)①"], "mine"),  # the same text, a copy in dev
        req("D2", "政府機関の監視", ["(1)①"], "mine"),  # two dev copies both stay
    ]
    out = reconcile(rows)
    assert [r.id for r in out.requests] == ["T2", "D1", "D2"]
    assert out.test_learnt == ("T1 (mine)",)
    # and where another file holds a copy too, the kept file's own test copy goes as well
    rows = [
        req("X", "政府機関の監視", ["(1)①"], "other", split="test"),
        req("T1", "政府機関の監視", ["(1)①"], "mine", split="test"),
        req("D1", "政府機関の監視", ["(1)①"], "mine"),
    ]
    out = reconcile(rows)
    assert [r.id for r in out.requests] == ["D1"]
    assert sorted(out.test_learnt) == ["T1 (mine)", "X (other)"]


def test_a_presumed_out_programme_yields_to_an_annotation_and_is_counted():
    rows = [
        req("9", "研究ネットワークの運用", [], PRESUMED_SOURCE, scope="OUT"),
        req("9", "研究ネットワークの運用", ["(1)①"], "reviewed"),
    ]
    out = reconcile(rows)
    assert [r.source for r in out.requests] == ["reviewed"]
    assert out.relabelled == () and out.repeats == 0 and out.presumed_annotated == 1
    assert reconcile_messages(out)[1] == [
        "learnt with their annotation instead of as presumed out of scope: 1 review-sheet programme"
    ]


def test_a_text_only_test_splits_hold_is_scored_with_the_later_labels():
    rows = [
        req("A1", "政府機関の監視", ["(1)①"], "requests", split="test"),
        req("r1", "政府機関の監視", ["(1)②"], "reviewed", split="test"),
    ]
    out = reconcile(rows)
    assert [r.id for r in out.requests] == ["r1"]
    assert out.relabelled == () and out.test_learnt == ()
    assert reconcile_messages(out)[1] == [
        "labelled again in a later file, so the later labels are scored (test split): "
        "1 request (A1: (1)① (requests) -> (1)② (reviewed))"
    ]


def test_without_shared_texts_nothing_changes():
    rows = [req("1", "a", ["(1)①"], "x"), req("2", "b", [], "y", split="test")]
    out = reconcile(rows)
    assert out.requests == rows and reconcile_messages(out) == ([], [])


def test_many_cases_are_listed_ten_at_a_time():
    rows = [req(f"t{i}", f"文{i}", ["(1)①"], "requests", split="test") for i in range(12)]
    rows += [req(f"d{i}", f"文{i}", ["(1)①"], "reviewed") for i in range(12)]
    warnings, _ = reconcile_messages(reconcile(rows))
    assert warnings[0].endswith(
        "12 test-split rows (t0 (requests), "
        + ", ".join(f"t{i} (requests)" for i in range(1, 10))
        + " and 2 more)"
    )
