"""revision: diff and crosswalk between two tiny policy versions, and carrying labels over."""

from __future__ import annotations

import codecs
import re

import pytest

from classifier.errors import InputFileError
from classifier.labels import LabelledRequest
from classifier.policy import Policy
from classifier.revision import (
    CROSSWALK_COLUMNS,
    Crosswalk,
    carry_labels,
    crosswalk_csv,
    diff_policies,
    propose_crosswalk,
    read_crosswalk,
)

from .helpers import SECTION, clause

AREA = "政府機関のセキュリティ"
MON = ("政府機関の監視", "政府機関の情報システムに対する不正な通信を監視する体制を強化すること。")
LOC = ("地方公共団体の対策", "地方公共団体の情報セキュリティ対策を支援し、職員の訓練を行うこと。")
UNI = ("大学の人材育成", "大学における専門人材の教育を充実し、演習環境を整備すること。")
SME = ("中小企業の支援", "中小企業の経営層に向けた研修を実施し、相談窓口を設けること。")
PORT = ("港湾の物流", "港湾における荷役機械の制御系を更新すること。")


def one_area(policy_id: str, items: list[tuple[str, str, str]]) -> Policy:
    clauses = [
        clause("1", None, "section", SECTION, "", (), False, policy_id),
        clause("(1)", "1", "area", AREA, "", (SECTION,), False, policy_id),
    ]
    for label, heading, text in items:
        clauses.append(
            clause(label, "(1)", "item", heading, text, (SECTION, AREA), True, policy_id)
        )
    return Policy(policy_id, "方針", tuple(clauses))


# (1)① reworded, (1)② removed, (1)③ moved up unchanged, (1)④ moved up and reworded,
# a new (1)④ added.
OLD = one_area("r3", [("(1)①", *MON), ("(1)②", *LOC), ("(1)③", *UNI), ("(1)④", *SME)])
NEW = one_area(
    "r4",
    [
        ("(1)①", "政府機関の常時監視", MON[1]),
        ("(1)②", *UNI),
        ("(1)③", SME[0], SME[1].replace("研修", "講習")),
        ("(1)④", *PORT),
    ],
)


def test_diff_lists_each_kind_of_change():
    changes = {(c.kind, c.old_label, c.new_label): c for c in diff_policies(OLD, NEW)}
    assert set(changes) == {
        ("unchanged", "(1)", "(1)"),
        ("reworded", "(1)①", "(1)①"),
        ("removed", "(1)②", None),
        ("renumbered", "(1)③", "(1)②"),
        ("renumbered+reworded", "(1)④", "(1)③"),
        ("added", None, "(1)④"),
    }
    assert changes["unchanged", "(1)", "(1)"].similarity == 1.0
    assert changes["renumbered", "(1)③", "(1)②"].similarity == 1.0  # the same text
    assert 0.35 <= changes["renumbered+reworded", "(1)④", "(1)③"].similarity < 1.0
    assert changes["removed", "(1)②", None].similarity < 0.35  # nothing close enough
    assert changes["removed", "(1)②", None].old_heading == "地方公共団体の対策"
    assert changes["added", None, "(1)④"].new_heading == "港湾の物流"


def test_diff_calls_a_heading_cut_short_a_rewording():
    """Part of the heading moved into the text (a heading broken across lines in the PDF)
    leaves the clause's characters as they were, but the heading is not the same."""
    cut = one_area("r4", [("(1)①", MON[0][:-2], MON[0][-2:] + MON[1]), ("(1)②", *LOC)])
    whole = one_area("r3", [("(1)①", *MON), ("(1)②", *LOC)])
    kinds = {c.old_label: c.kind for c in diff_policies(whole, cut)}
    assert kinds == {"(1)": "unchanged", "(1)①": "reworded", "(1)②": "unchanged"}


def test_diff_of_a_policy_with_itself():
    changes = diff_policies(OLD, OLD)
    assert [c.kind for c in changes] == ["unchanged"] * 5  # the area and its four items
    assert [c.old_label for c in changes] == [c.new_label for c in changes]


def test_crosswalk_proposes_a_new_label_for_every_old_target():
    rows = propose_crosswalk(OLD, NEW)
    assert [list(r) for r in rows] == [list(CROSSWALK_COLUMNS)] * 4
    proposal = {r["old_label"]: (r["new_label"], r["proposal"]) for r in rows}
    assert proposal == {
        "(1)①": ("(1)①", "mapped"),
        "(1)②": ("", "removed"),
        "(1)③": ("(1)②", "mapped"),
        "(1)④": ("(1)③", "mapped"),
    }
    mapped = rows[2]
    assert mapped["old_heading"] == "大学の人材育成" and mapped["new_heading"] == "大学の人材育成"
    assert mapped["score"] == "1.000" and mapped["runner_up"] not in ("", "(1)②")
    assert float(mapped["runner_up_score"]) < 0.35
    assert rows[1]["new_heading"] == ""
    assert all(r["reviewed"] == "" and r["comment"] == "" for r in rows)  # nothing applied yet


def test_a_near_tie_is_ambiguous():
    """The old item was split into two new ones, each a small rewording of it."""
    new = one_area(
        "r4",
        [
            ("(1)①", MON[0], MON[1].replace("強化", "整備")),
            ("(1)②", MON[0], MON[1].replace("体制", "態勢")),
        ],
    )
    (row,) = propose_crosswalk(one_area("r3", [("(1)①", *MON)]), new)
    assert row["proposal"] == "ambiguous"
    assert {row["new_label"], row["runner_up"]} == {"(1)①", "(1)②"}  # both named for review
    assert float(row["score"]) - float(row["runner_up_score"]) < 0.08


def test_crosswalk_csv_opens_in_excel():
    data = crosswalk_csv(propose_crosswalk(OLD, NEW))
    assert data.startswith(codecs.BOM_UTF8)
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ",".join(CROSSWALK_COLUMNS)
    assert len(lines) == 6 and lines[-1] == ""  # header, four rows, final line end


def _write_crosswalk(path, rows):
    lines = ["old_label,new_label,reviewed"] + [",".join(r) for r in rows]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_crosswalk_applies_reviewed_rows_only(tmp_path):
    path = _write_crosswalk(
        tmp_path / "cw.csv",
        [
            ("(1)①", "(1)①", "yes"),
            ("(1)②", "", "済"),  # reviewed: the item was removed
            ("(1)③", "(1)②", ""),  # not reviewed yet
            ("(1)④", "NONE", "OK"),
            ("", "(1)①", "yes"),  # no old label: ignored
        ],
    )
    crosswalk = read_crosswalk(path, NEW)
    assert crosswalk.mapping == {"(1)①": "(1)①", "(1)②": None, "(1)④": None}
    assert crosswalk.unreviewed == ("(1)③",)


@pytest.mark.parametrize("mark", ["ＹＥＳ", "Ｙ", "◯", "レ", "✓", "はい", " yes "])
def test_read_crosswalk_knows_the_marks_japanese_forms_use(tmp_path, mark):
    path = _write_crosswalk(tmp_path / "cw.csv", [("(1)①", "(1)①", mark)])
    assert read_crosswalk(path, NEW).mapping == {"(1)①": "(1)①"}


@pytest.mark.parametrize("mark", ["", "no", "×", "未", "いいえ", "０"])
def test_read_crosswalk_takes_no_marks_as_not_reviewed(tmp_path, mark):
    path = _write_crosswalk(tmp_path / "cw.csv", [("(1)①", "(1)①", mark)])
    crosswalk = read_crosswalk(path, NEW)
    assert crosswalk.mapping == {} and crosswalk.unreviewed == ("(1)①",)


@pytest.mark.parametrize("mark", ["x", "?", "要確認"])
def test_read_crosswalk_refuses_a_mark_it_cannot_read(tmp_path, mark):
    # x is yes on some forms and no on Japanese ones: guessing either applies a wrong row.
    path = _write_crosswalk(tmp_path / "cw.csv", [("(1)①", "(1)①", "yes"), ("(1)②", "", mark)])
    with pytest.raises(InputFileError, match=rf"cw.csv row 3: reviewed '{re.escape(mark)}' is not"):
        read_crosswalk(path, NEW)


def test_read_crosswalk_names_the_row_of_a_label_it_cannot_read(tmp_path):
    path = _write_crosswalk(tmp_path / "cw.csv", [("(1)①", "(1)① (1)②", "yes")])
    with pytest.raises(InputFileError, match=r"cw\.csv row 2: .* holds more than one label"):
        read_crosswalk(path, NEW)


def test_read_crosswalk_refuses_an_old_item_mapped_twice_two_ways(tmp_path):
    # A row copied in Excel and edited: the later one would relabel every request.
    path = _write_crosswalk(
        tmp_path / "cw.csv",
        [("(1)①", "(1)①", "yes"), ("(1)②", "(1)②", "yes"), ("(1)①", "(1)②", "yes")],
    )
    with pytest.raises(
        InputFileError,
        match=r"row 4: old_label \(1\)① is mapped again, to \(1\)②, after row 2 mapped it to",
    ):
        read_crosswalk(path, NEW)
    # The same mapping twice, or a second row not yet reviewed, is no conflict.
    path = _write_crosswalk(
        tmp_path / "cw2.csv",
        [("(1)①", "(1)①", "yes"), ("(1)①", "(1)①", "yes"), ("(1)①", "(1)②", "")],
    )
    assert read_crosswalk(path, NEW).mapping == {"(1)①": "(1)①"}


def test_read_crosswalk_refuses_a_label_the_new_policy_lacks(tmp_path):
    path = _write_crosswalk(tmp_path / "cw.csv", [("(1)①", "(1)①", "y"), ("(1)②", "(1)⑨", "1")])
    with pytest.raises(InputFileError, match=r"row 3: new_label '\(1\)⑨' is not a target"):
        read_crosswalk(path, NEW)
    with pytest.raises(InputFileError, match="no such crosswalk file"):
        read_crosswalk(tmp_path / "missing.csv", NEW)


def test_carry_labels_counts_what_happened():
    crosswalk = Crosswalk({"(1)①": "(1)①", "(1)②": None, "(1)③": "(1)②", "(1)④": "(1)③"}, ("(1)⑤",))
    requests = [
        LabelledRequest("a", "t", ("(1)①",)),  # carried
        LabelledRequest("b", "t", ("(1)③",)),  # remapped
        LabelledRequest("c", "t", ("(1)②",)),  # dropped: its only item was removed
        LabelledRequest("e", "t", ()),  # out of scope: carried as it is
        LabelledRequest("f", "t", ("(1)⑤", "(1)①")),  # a label whose row is not reviewed
        LabelledRequest("g", "t", ("(1)③", "(1)④"), ministry="総務省"),  # both renamed
        LabelledRequest("h", "t", ("(1)①", "(1)②")),  # kept (1)①, lost (1)②: not renamed
        LabelledRequest("i", "t", ("(1)⑥",)),  # no crosswalk row at all (deleted from it)
    ]
    report = carry_labels(requests, crosswalk)
    assert (report.carried, report.remapped, report.reduced, report.dropped) == (2, 2, 1, 1)
    assert (report.labels_dropped, report.unmapped) == (2, 1)
    assert (report.missing, report.missing_labels) == (1, ("(1)⑥",))
    assert [(r.id, r.labels) for r in report.requests] == [
        ("a", ("(1)①",)),
        ("b", ("(1)②",)),
        ("e", ()),
        ("g", ("(1)②", "(1)③")),
        ("h", ("(1)①",)),
    ]
    assert report.requests[-2].ministry == "総務省"  # the rest of the record is kept


def test_read_crosswalk_wants_one_new_label_and_says_what_empty_means(tmp_path):
    path = _write_crosswalk(tmp_path / "cw.csv", [("(1)①", "(1)①;(1)②", "yes")])
    with pytest.raises(InputFileError, match="names several labels; a crosswalk row maps"):
        read_crosswalk(path, NEW)
    path = _write_crosswalk(tmp_path / "cw2.csv", [("(1)①", "-", "yes")])
    with pytest.raises(InputFileError, match="an empty new_label, like NONE, means the old item"):
        read_crosswalk(path, NEW)


def test_two_old_items_merged_into_one_are_never_both_mapped():
    """Two old items whose texts now stand in one new item: the assignment pairs one; the
    other falls back on the same new label, proposed as ambiguous for a reviewer (a merge
    or a removal), so accepting every `mapped` row never merges items unseen."""
    merged = ("政府機関と地方公共団体の対策", MON[1] + LOC[1])
    new = one_area("r4", [("(1)①", *merged), ("(1)②", *UNI)])
    rows = propose_crosswalk(one_area("r3", [("(1)①", *MON), ("(1)②", *LOC), ("(1)③", *UNI)]), new)
    proposal = {r["old_label"]: (r["new_label"], r["proposal"]) for r in rows}
    assert proposal["(1)③"] == ("(1)②", "mapped")
    firsts = [proposal["(1)①"], proposal["(1)②"]]
    assert {label for label, _ in firsts} == {"(1)①"}  # both point at the merged item
    assert sorted(kind for _, kind in firsts) == ["ambiguous", "mapped"]  # one for review
    mapped_to = [r["new_label"] for r in rows if r["proposal"] == "mapped"]
    assert len(mapped_to) == len(set(mapped_to))  # no new label mapped twice


def test_diff_names_a_sub_item_by_the_start_of_its_text():
    """Sub-items have no heading: the diff shows the start of their text instead of a
    blank, as the crosswalk does."""
    old = one_area("r3", [("(1)①", "", MON[1])])
    new = one_area("r4", [("(1)①", "", MON[1].replace("強化", "整備"))])
    (change,) = [c for c in diff_policies(old, new) if c.old_label == "(1)①"]
    assert change.kind == "reworded"
    assert change.old_heading == MON[1][:40]
    assert change.new_heading == MON[1].replace("強化", "整備")[:40]


def test_diff_and_crosswalk_give_a_pair_the_same_similarity():
    """Both score in one n-gram space, so a reviewer comparing them sees one number."""
    diff = {(c.old_label, c.new_label): c.similarity for c in diff_policies(OLD, NEW)}
    for row in propose_crosswalk(OLD, NEW):
        if row["new_label"] and (row["old_label"], row["new_label"]) in diff:
            assert round(float(row["score"]), 3) == diff[row["old_label"], row["new_label"]]


@pytest.mark.parametrize("header", ["Reviewed", "ｒｅｖｉｅｗｅｄ", "reviewed "])
def test_read_crosswalk_finds_a_retyped_reviewed_column(tmp_path, header):
    path = tmp_path / "cw.csv"
    path.write_text(f"old_label,New Label,{header}\n(1)①,(1)①,yes\n", encoding="utf-8")
    assert read_crosswalk(path, NEW).mapping == {"(1)①": "(1)①"}


def test_read_crosswalk_refuses_a_file_without_its_reviewed_column(tmp_path):
    """Read without it, every row would count as not reviewed, and train would learn
    nothing from the labels without a word about why."""
    path = tmp_path / "cw.csv"
    path.write_text("old_label,new_label,reviewd\n(1)①,(1)①,yes\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"it has no reviewed \(did you mean 'reviewd'\?\)"):
        read_crosswalk(path, NEW)
    path.write_text("old_label,new_label,確認\n(1)①,(1)①,yes\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"it has no reviewed \(the columns are: old_label"):
        read_crosswalk(path, NEW)


def test_read_crosswalk_refuses_one_written_for_other_versions(tmp_path):
    """The old side of a crosswalk is the proposal's and never edited: an old_heading that
    is not the labels' policy's heading of old_label means another pair of versions."""
    path = tmp_path / "cw.csv"
    path.write_bytes(crosswalk_csv(propose_crosswalk(OLD, NEW)))
    assert read_crosswalk(path, NEW, OLD).unreviewed  # the right pair reads
    with pytest.raises(
        InputFileError,
        match=r"row 2: old_label \(1\)① is headed '政府機関の監視' here, but "
        r"'政府機関の常時監視' in policy r4: this crosswalk maps another version's items",
    ):
        read_crosswalk(path, OLD, NEW)  # r3 -> r4's file used to carry r4 labels to r3


@pytest.mark.parametrize("typed", ["(1)⑧", "合計"])
def test_read_crosswalk_refuses_an_old_label_the_old_policy_does_not_have(tmp_path, typed):
    """Its row would map nothing, and the item's requests would be left out as having no
    row: the row is named instead."""
    path = tmp_path / "cw.csv"
    path.write_text(f"old_label,new_label,reviewed\n{typed},(1)①,yes\n", encoding="utf-8")
    with pytest.raises(
        InputFileError, match=rf"row 2: old_label is not an item of policy {OLD.policy_id}: "
    ) as info:
        read_crosswalk(path, NEW, OLD)
    assert "put it back, or delete the row" in str(info.value)
    assert read_crosswalk(path, NEW).mapping == {typed: "(1)①"}  # no old policy: unchecked
