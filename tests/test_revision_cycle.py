"""The yearly revision cycle on a revised policy: corpus, crosswalk, carried labels, model.

The revised policy is derived from the FY2021 text the way a real revision reads: item
(2)⑤ (東京2020大会) is removed, (2)⑥/(2)⑦ move up to (2)⑤/(2)⑥, a new (2)⑦ is added and
the heading of (1)① is reworded. The derived text is written to a temporary folder; the
raw source in corpus/ is never touched.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from classifier.cli import (
    build_corpus_main,
    classify_main,
    evaluate_main,
    revise_main,
    train_main,
)
from classifier.labels import parse_labels

from .helpers import ROOT

REMOVED = {"(2)⑤"}
# The short requests alone: the cycle is about labels keyed to r3, and stays quick.
ONLY_REQUESTS = ["--no-default-labelled", "--labelled", "corpus/labelled/requests.csv"]
RENAMED = {"(2)⑥": "(2)⑤", "(2)⑦": "(2)⑥"}


def derive_revision(text: str) -> str:
    out = []
    lines = text.split("\n")
    for no, line in enumerate(lines, 1):
        if 297 <= no <= 328:  # item ⑤ of area (2), heading to last line
            continue
        if line.startswith("⑥ 従来の枠"):
            line = line.replace("⑥", "⑤", 1)
        elif line.startswith("⑦ 大規模サイバー"):
            line = line.replace("⑦", "⑥", 1)
        elif line.startswith("① 新たな価値創出を支える"):
            line = "① 新たな価値創出を支えるサイバーセキュリティの一層の推進 "
        out.append(line)
        if no == 345:
            out += [
                "",
                "⑦ 能動的なサイバー防御の検討 ",
                "",
                "重要な電子計算機に対する攻撃を未然に排除し、被害の拡大を防止するため",
                "",
                "の能動的なサイバー防御の導入に向けた体制整備に資するものであること ",
                "",
            ]
    return "\n".join(out)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project root with a copy of the corpus (so nothing in the repo changes)."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))  # the scratch project, explicitly
    source = tmp_path / "r4_policy.txt"
    source.write_text(
        derive_revision((ROOT / "corpus" / "r3" / "source.txt").read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    assert build_corpus_main([str(source), "--policy-id", "r4", "--out", "corpus/r4", "-q"]) == 0
    return tmp_path


def _mark_reviewed(path):
    """The analyst accepts every proposed row of the crosswalk."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["reviewed"] = "yes"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _expected_counts():
    """Unchanged, remapped (a label renamed), reduced (only lost a removed item's label),
    dropped (every label removed), counted from the file by the rule the crosswalk encodes."""
    carried = remapped = reduced = dropped = 0
    with open(
        ROOT / "corpus" / "labelled" / "requests.csv", encoding="utf-8-sig", newline=""
    ) as fh:
        for row in csv.DictReader(fh):
            labels = parse_labels(row["labels"])
            if not labels:
                carried += 1
            elif set(labels) <= REMOVED:
                dropped += 1
            elif set(labels) & set(RENAMED):
                remapped += 1
            elif set(labels) & REMOVED:
                reduced += 1
            else:
                carried += 1
    return carried, remapped, reduced, dropped


EVALUATE_R4 = ["corpus/labelled/requests.csv", "--gold-column", "labels", "--model", "models/r4"]


def _test_labels() -> list[tuple[str, ...]]:
    """The gold labels of the bundled test rows (() for out of scope)."""
    with open(
        ROOT / "corpus" / "labelled" / "requests.csv", encoding="utf-8-sig", newline=""
    ) as fh:
        return [parse_labels(r["labels"]) or () for r in csv.DictReader(fh) if r["split"] == "test"]


def test_diff_lists_the_changes(project, capsys):
    assert revise_main(["diff", "--old", "r3", "--new", "r4", "-o", "diff.csv"]) == 0
    out = capsys.readouterr().out
    assert "added 1, removed 1, renumbered 2, reworded 1, unchanged 27" in out
    with open("diff.csv", encoding="utf-8-sig") as fh:
        rows = {(r["kind"], r["old_label"], r["new_label"]) for r in csv.DictReader(fh)}
    assert {
        ("removed", "(2)⑤", ""),
        ("renumbered", "(2)⑥", "(2)⑤"),
        ("renumbered", "(2)⑦", "(2)⑥"),
        ("added", "", "(2)⑦"),
        ("reworded", "(1)①", "(1)①"),
    } <= rows


def test_revise_outputs_replace_only_their_own_files(project, capsys):
    diff = ["diff", "--old", "r3", "--new", "r4"]
    assert revise_main([*diff, "-o", "diff.csv"]) == 0
    capsys.readouterr()
    assert revise_main([*diff, "-o", "diff.csv"]) == 0  # an earlier diff: replaced
    assert capsys.readouterr().err == "note: replaced the earlier diff.csv\n"
    with open("notes.csv", "w", encoding="utf-8") as fh:
        fh.write("a,b\n1,2\n")
    capsys.readouterr()
    assert revise_main([*diff, "-o", "notes.csv"]) == 2
    assert "-o notes.csv already exists and was not written by this tool" in (
        capsys.readouterr().err
    )
    assert Path("notes.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert revise_main([*diff, "-o", "notes.csv", "--force"]) == 0
    # CSV text under an .xlsx name would not open in Excel.
    for action in ("diff", "crosswalk"):
        args = [action, "--old", "r3", "--new", "r4", "-o", "out.xlsx"]
        assert revise_main(args) == 2
        assert "revise writes CSV (UTF-8 with BOM, opens in Excel); name the file out.csv" in (
            capsys.readouterr().err
        )


def test_full_revision_cycle(project, capsys):
    # Before any review the named file has nothing to give: refused, with how many rows were
    # left out and why, and no model written; without it, a clause-only model.
    assert train_main(["--policy", "r4", *ONLY_REQUESTS]) == 2
    err = capsys.readouterr().err
    assert "left out, as they are keyed to policy r3: 806 labelled rows;" in err
    assert "error: nothing to learn from corpus/labelled/requests.csv" in err
    assert not (project / "models" / "r4").exists()
    assert train_main(["--policy", "r4", "--no-default-labelled"]) == 0
    assert "training a clause-only model" in capsys.readouterr().err
    # The bundled labels are r3's: scored as r4's, r3's (2)⑥ would be counted as r4's
    # (2)⑥ (r3's (2)⑦). With no reviewed crosswalk yet, evaluate refuses and says why.
    assert evaluate_main([*EVALUATE_R4, "--split", "test"]) == 2
    err = capsys.readouterr().err
    assert (
        "error: corpus/labelled/requests.csv: its labels belong to policy r3 (a bundled "
        "labelled file), the model models/r4 to policy r4: scored as they are, r3's items "
        "would be read as r4's. Carry them over a reviewed crosswalk (--crosswalk; propose "
        "one with `python scripts/revise.py crosswalk --old r3 --new r4`)" in err
    )

    # The proposed crosswalk, checked before the "analyst" marks it reviewed.
    assert revise_main(["crosswalk", "--old", "r3", "--new", "r4"]) == 0
    path = project / "corpus" / "r4" / "crosswalk_from_r3.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    proposal = {r["old_label"]: (r["new_label"], r["proposal"]) for r in rows}
    assert proposal["(2)⑤"] == ("", "removed")
    assert proposal["(2)⑥"] == ("(2)⑤", "mapped") and proposal["(2)⑦"] == ("(2)⑥", "mapped")
    assert all(v == (k, "mapped") for k, v in proposal.items() if k not in REMOVED | set(RENAMED))
    capsys.readouterr()
    before = path.read_bytes()
    # A rerun over its own unedited proposal: the same bytes, left as they are.
    assert revise_main(["crosswalk", "--old", "r3", "--new", "r4"]) == 0
    assert "(unchanged: the same proposal as the file held)" in capsys.readouterr().out
    assert path.read_bytes() == before
    # Edited (an analyst's review), it is never replaced without --force.
    edited = before + "担当メモ\r\n".encode()
    path.write_bytes(edited)
    assert revise_main(["crosswalk", "--old", "r3", "--new", "r4"]) == 2  # never clobbers a review
    assert path.read_bytes() == edited
    path.write_bytes(before)
    capsys.readouterr()
    # Proposed but not reviewed: over it every row would be left out, so evaluate refuses.
    assert evaluate_main([*EVALUATE_R4, "--split", "test"]) == 2
    err = capsys.readouterr().err
    assert "the model models/r4 to policy r4, and no row of the crosswalk " in err
    assert "crosswalk_from_r3.csv is marked reviewed yet" in err
    _mark_reviewed(path)

    assert train_main(["--policy", "r4", *ONLY_REQUESTS]) == 0
    err = capsys.readouterr().err
    carried, remapped, reduced, dropped = _expected_counts()
    assert (carried, remapped, reduced, dropped) == (716, 68, 9, 13)  # from requests.csv above
    assert (
        f"carried over from r3: {carried} unchanged, {remapped} remapped, "
        f"{reduced} kept with fewer labels, {dropped} dropped" in err
    )

    # evaluate carries the gold labels over the crosswalk the model was trained over, as
    # train carried the training labels; rows of the removed item only are not scored.
    assert evaluate_main([*EVALUATE_R4, "--split", "test"]) == 0
    captured = capsys.readouterr()
    test_rows = _test_labels()
    scored = [g for g in test_rows if not g or not set(g) <= REMOVED]
    assert (
        "note: the labels of corpus/labelled/requests.csv are policy r3's (a bundled labelled "
        "file); carried to r4 over the reviewed crosswalk" in captured.err
    )
    assert f"{len(test_rows) - len(scored)} not scored (their items were removed)" in captured.err
    assert captured.out.startswith(f"n={len(scored)} ")
    # The same rows, carried the same way, as the card's held-out figures.
    card = json.loads((project / "models" / "r4" / "model_card.json").read_text(encoding="utf-8"))
    assert f"top1 {card['metrics']['test']['requests']['top1']:.3f}" in captured.out
    # The report says which labels were scored and how they came, so n is explained.
    report = project / "r.json"
    assert evaluate_main([*EVALUATE_R4, "--split", "test", "--report", str(report)]) == 0
    gold = json.loads(report.read_text(encoding="utf-8"))["gold"]
    assert gold["labels_policy"] == "r3" and gold["crosswalk"].endswith("crosswalk_from_r3.csv")
    assert sum(gold["carried"].values()) == len(test_rows)
    assert gold["carried"]["dropped"] == len(test_rows) - len(scored)
    # A crosswalk edited since training is still used, but the figures are not the card's.
    path.write_bytes(path.read_bytes() + b"\r\n")
    capsys.readouterr()
    assert evaluate_main([*EVALUATE_R4, "--split", "test"]) == 0
    assert "it has changed since the model was trained over it" in capsys.readouterr().err
    _mark_reviewed(path)
    # Told they are r4's labels, evaluate takes them as they are; as the bundled file is
    # known to be r3's, it warns.
    assert evaluate_main([*EVALUATE_R4, "--split", "test", "--labels-policy", "r4"]) == 0
    captured = capsys.readouterr()
    assert "carried" not in captured.err
    assert (
        "warning: corpus/labelled/requests.csv is the bundled labelled file, labelled against "
        "r3: --labels-policy r4 reads its labels as r4's" in captured.err
    )
    assert captured.out.startswith(f"n={len(test_rows)} ")

    requests = project / "new.csv"
    requests.write_text(
        "事業名,事業概要\n"
        "サイバーセキュリティ協議会の運営,協議会の構成員間で脅威情報を迅速に共有する体制を強化する。\n"
        "能動的サイバー防御の体制整備,重要な電子計算機への攻撃を未然に排除するための体制を整備する。\n",
        encoding="utf-8",
    )
    assert classify_main([str(requests), "--model", "models/r4", "-q"]) == 0
    with open(project / "new.classified.csv", encoding="utf-8-sig", newline="") as fh:
        out = list(csv.DictReader(fh))
    assert out[0]["label_1"] == "(2)⑤"  # the council item, renumbered
    assert out[1]["label_1"] == "(2)⑦"  # the new item
    assert (project / "models" / "r3").exists() is False  # versions live side by side; r3 untouched
    assert (ROOT / "models" / "r3" / "model.npz").exists()


def test_training_another_version_refuses_what_would_mislabel_it(project, capsys):
    # A corpus of another policy under --policy r4: its labels would be learnt as r3's.
    assert train_main(["--policy", "r4", "--corpus", "corpus/r3", *ONLY_REQUESTS]) == 2
    assert (
        "--corpus corpus/r3 holds policy r3, not r4: pass --policy r3, or the corpus of r4"
    ) in capsys.readouterr().err
    # A crosswalk named but not there is a mistake, not "propose one".
    assert train_main(["--policy", "r4", "--crosswalk", "nope.csv", *ONLY_REQUESTS]) == 2
    assert "--crosswalk nope.csv: no such file" in capsys.readouterr().err
    # A file as --out.
    Path("model.txt").write_text("x", encoding="utf-8")
    assert train_main(["--policy", "r4", "--out", "model.txt", *ONLY_REQUESTS]) == 2
    assert "--out model.txt is a file; a model is a folder" in capsys.readouterr().err
    # A crosswalk of a policy onto itself.
    assert revise_main(["crosswalk", "--old", "r3", "--new", "r3"]) == 2
    assert "--old and --new are both policy r3" in capsys.readouterr().err
    assert not (project / "corpus" / "r3" / "crosswalk_from_r3.csv").exists()


def test_a_review_sheet_without_its_policy_is_carried_from_the_labels_policy(project, capsys):
    # Written before sheets named their policy, so against r3: r3's (2)⑥ is r4's (2)⑤.
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["row", "id", "text", "label_1", "status", "accepted_label", "comment"])
    ws.append([1, "x1", "情報共有体制の強化", "(2)⑥", "ok", "(2)⑥", None])
    wb.save("old_review.xlsx")
    assert revise_main(["crosswalk", "--old", "r3", "--new", "r4"]) == 0
    path = project / "corpus" / "r4" / "crosswalk_from_r3.csv"
    _mark_reviewed(path)
    capsys.readouterr()
    argv = ["--policy", "r4", *ONLY_REQUESTS, "old_review.xlsx", "--out", "models/r4"]
    assert train_main(argv) == 0
    err = capsys.readouterr().err
    assert "old_review.xlsx: 1 labelled row read" in err
    card = json.loads((project / "models/r4/model_card.json").read_text(encoding="utf-8"))
    assert card["labelled"]["labels_policy"] == "r3"
    assert card["labelled"]["crosswalk"]["file"] == "corpus/r4/crosswalk_from_r3.csv"
    # The row was carried over the crosswalk: learnt as r4's (2)⑤, not read as r4's (2)⑥.
    from classifier.corpus import read_clauses
    from classifier.examples import examples_for_policy
    from classifier.paths import corpus_dir

    out = examples_for_policy(
        [Path("old_review.xlsx")], read_clauses(corpus_dir("r4")), corpus_dir("r3"), path
    )
    assert [r.labels for r in out.requests] == [("(2)⑤",)]


def test_bundled_labels_are_never_read_as_another_versions(project, capsys):
    # --labels-policy r4 claims the labelled files are r4's; the bundled ones are r3's.
    assert train_main(["--policy", "r4", "--labels-policy", "r4", "--out", "models/x"]) == 0
    err = capsys.readouterr().err
    assert (
        "warning: the bundled labelled files are labelled against policy r3, not r4: left "
        "out (leave --labels-policy at r3 to carry them over a crosswalk, or pass "
        "--no-default-labelled)"
    ) in err
    assert "requests.csv:" not in err  # not read at all


def test_train_with_corpus_reads_the_crosswalk_revise_wrote_beside_it(project, capsys, monkeypatch):
    """A corpus built outside corpus/ (--corpus DIR): revise crosswalk --new DIR writes the
    crosswalk in DIR, and train --corpus DIR reads it there (not from corpus/<policy>)."""
    import classifier.commands.train as train_command

    elsewhere = project / "work" / "r4"
    shutil.copytree(project / "corpus" / "r4", elsewhere)
    shutil.rmtree(project / "corpus" / "r4")
    assert revise_main(["crosswalk", "--old", "r3", "--new", str(elsewhere)]) == 0
    written = elsewhere / "crosswalk_from_r3.csv"
    assert written.is_file()
    seen = {}

    def stop(files, policy, old, crosswalk, crosswalk_hint, sheet=None):
        seen.update(crosswalk=crosswalk, hint=crosswalk_hint)
        raise SystemExit(0)

    monkeypatch.setattr(train_command, "examples_for_policy", stop)
    with pytest.raises(SystemExit):
        train_main(["--policy", "r4", "--corpus", str(elsewhere), "--out", "models/r4x"])
    assert Path(seen["crosswalk"]) == written
    assert seen["hint"].endswith(f"--old r3 --new {elsewhere}")
