"""The analyst review loop: classify → review sheet → corrected labels → retrain → better.

Start from what a new policy year starts with, a clause-only model. Classify the dev
requests with a review sheet, let the "analyst" fill accepted_label on the most uncertain
rows first (the gold labels stand in for the analyst), retrain from the sheet, and
measure both models on the held-back test split.
"""

from __future__ import annotations

import csv
import json
import shutil
import warnings

from openpyxl import load_workbook

from classifier.cli import classify_main, evaluate_main, train_main
from classifier.dataset import read_labelled

from .helpers import ROOT


def test_feedback_raises_accuracy_on_held_back_rows(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))
    labelled = tmp_path / "corpus" / "labelled" / "requests.csv"
    assert train_main(["--clause-only", "--out", "models/start"]) == 0

    # The dev rows play this year's requests; their text goes out without labels.
    dev = [r for r in read_labelled(labelled).requests if r.split == "dev"]
    gold = {r.id: r.labels for r in dev}
    export = tmp_path / "requests.csv"
    export.write_text(
        "request_id,text\n" + "".join(f'{r.id},"{r.text.replace(chr(34), "")}"\n' for r in dev),
        encoding="utf-8",
    )
    review = tmp_path / "review.xlsx"
    assert (
        classify_main([str(export), "--model", "models/start", "--review", str(review), "-q"]) == 0
    )

    wb = load_workbook(review)
    ws = wb["classified"]
    header = [c.value for c in ws[1]]
    col_id, col_acc = header.index("id") + 1, header.index("accepted_label") + 1
    reviewed = 0
    for row in range(2, min(ws.max_row, 301) + 1):  # the 300 most uncertain rows first
        labels = gold[str(ws.cell(row, col_id).value)]
        ws.cell(row, col_acc).value = ";".join(labels) if labels else "NONE"
        reviewed += 1
    ws.cell(2, col_acc).value = "(2)⑧"  # a typo the trainer must report, not swallow
    wb.save(review)

    assert (
        train_main(["--no-default-labelled", "--labelled", str(review), "--out", "models/after"])
        == 0
    )
    err = capsys.readouterr().err
    assert "review.xlsx row 2 (id A175): unknown label '(2)⑧' (did you mean '(2)⑦'?)" in err
    assert "left out because of the problems above: 1 labelled row\n" in err

    reports = {}
    for name in ("start", "after"):
        report = tmp_path / f"{name}.json"
        assert (
            evaluate_main(
                [
                    str(labelled),
                    "--gold-column",
                    "labels",
                    "--split",
                    "test",
                    "--model",
                    f"models/{name}",
                    "--report",
                    str(report),
                ]
            )
            == 0
        )
        reports[name] = json.loads(report.read_text(encoding="utf-8"))
    before, after = reports["start"], reports["after"]
    assert reviewed == 300
    assert after["top1"] >= before["top1"] + 0.05, (before["top1"], after["top1"])
    assert after["top3"] >= before["top3"]
    assert after["out_of_scope"]["recall"] > before["out_of_scope"]["recall"]


def test_reviewing_held_out_requests_keeps_the_card_honest(tmp_path, monkeypatch, capsys):
    """An analyst reviews requests that happen to be in the bundled test split: their
    corrections are learnt, and the card's test figures then leave those rows out."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))
    labelled = tmp_path / "corpus" / "labelled" / "requests.csv"
    test = [r for r in read_labelled(labelled).requests if r.split == "test"]
    n_test = len(test)
    export = tmp_path / "requests.csv"
    # Title and description as the bundled file has them, so the texts are the same.
    with open(labelled, encoding="utf-8-sig", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["split"] == "test"][:5]
    with open(export, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["request_id", "事業名", "事業概要"])
        writer.writerows([[r["request_id"], r["事業名"], r["事業概要"]] for r in rows])
    review = tmp_path / "review.xlsx"
    assert train_main(["--clause-only", "--out", "models/start"]) == 0
    assert classify_main([str(export), "--model", "models/start", "--review", str(review)]) == 0
    wb = load_workbook(review)
    ws = wb["classified"]
    header = [c.value for c in ws[1]]
    assert {ws.cell(r, header.index("policy") + 1).value for r in range(2, 7)} == {"r3"}
    gold = {r.id: r.labels for r in test}
    for r in range(2, 7):
        ident = str(ws.cell(r, header.index("id") + 1).value)
        ws.cell(r, header.index("accepted_label") + 1).value = ";".join(gold[ident]) or "NONE"
    wb.save(review)
    capsys.readouterr()

    assert train_main(["--labelled", str(review), "--out", "models/after"]) == 0
    err = capsys.readouterr().err
    ids = ", ".join(f"{r['request_id']} (requests)" for r in rows)
    assert (
        "warning: left out of the model card's test figures, because a labelled file (the "
        f"same or another) teaches the same text in its dev split: 5 test-split rows ({ids})"
    ) in err
    card = json.loads((tmp_path / "models/after/model_card.json").read_text(encoding="utf-8"))
    assert card["labelled"]["n_test_learnt_elsewhere"] == 5
    assert card["metrics"]["test"]["requests"]["n"] == n_test - 5


def _scratch_project(tmp_path, monkeypatch) -> None:
    """A project root holding the r3 corpus and thesaurus only (no bundled labels)."""
    shutil.copytree(ROOT / "corpus" / "r3", tmp_path / "corpus" / "r3")
    shutil.copy(ROOT / "corpus" / "thesaurus.csv", tmp_path / "corpus" / "thesaurus.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))


def test_a_file_without_in_scope_dev_rows_trains_clause_only_and_says_why(
    tmp_path, monkeypatch, capsys
):
    _scratch_project(tmp_path, monkeypatch)
    labelled = tmp_path / "only_out.csv"
    labelled.write_text(
        "id,text,labels,split\n1,道路の整備,NONE,dev\n2,河川の改修,NONE,test\n"
        "3,政府機関の通信監視,(2)③ⅰ,test\n",
        encoding="utf-8",
    )
    argv = ["--no-default-labelled", "--labelled", str(labelled), "--out", "models/x"]
    assert train_main(argv) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "only_out.csv: 3 labelled rows read (1 dev, 2 test), 0 without a label, 0 left out",
        "warning: no in-scope labelled request in the dev split to learn items from "
        "(1 dev row out of scope, 2 test rows only scored); training a clause-only model",
    ]


def test_train_replaces_its_own_model_with_a_note_and_nothing_else(tmp_path, monkeypatch, capsys):
    _scratch_project(tmp_path, monkeypatch)
    out = tmp_path / "models" / "m"
    assert train_main(["--clause-only", "--out", str(out)]) == 0
    assert "replaced" not in capsys.readouterr().err
    assert train_main(["--clause-only", "--out", str(out)]) == 0
    assert capsys.readouterr().err == f"note: replaced the earlier model in {out}\n"
    # Another policy's model is not replaced by accident.
    card = out / "model_card.json"
    card.write_text(card.read_text(encoding="utf-8").replace('"r3"', '"r2"', 1), "utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert train_main(["--clause-only", "--out", str(out)]) == 2
    assert (
        f"--out {out} holds the model of policy r2; training r3 there would replace it: "
        "choose another --out, or pass --force to replace it"
    ) in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # Nor files of a folder that is not a model folder.
    other = tmp_path / "notes"
    other.mkdir()
    (other / "model.json").write_text("{}", encoding="utf-8")
    assert train_main(["--clause-only", "--out", str(other)]) == 2
    assert "is not a model folder (no model_card.json naming a policy) but has model.json" in (
        capsys.readouterr().err
    )
    assert train_main(["--clause-only", "--out", str(other), "--force"]) == 0


def test_train_does_not_replace_a_model_of_another_text_of_the_policy(
    tmp_path, monkeypatch, capsys
):
    """A corpus of r3 built from another text (a page lost in extraction) is not trained
    over the model of r3's own text without --force; a rebuild of the same text is."""
    from classifier.cli import build_corpus_main

    _scratch_project(tmp_path, monkeypatch)
    out = tmp_path / "models" / "r3"
    assert train_main(["--clause-only"]) == 0
    source = (tmp_path / "corpus" / "r3" / "source.txt").read_text(encoding="utf-8")
    start, end = source.index("⑥ 従来の枠"), source.index("⑦ 大規模サイバー攻撃事態等")
    (tmp_path / "lost.txt").write_text(source[:start] + source[end:], encoding="utf-8")
    alt = tmp_path / "alt"
    assert (
        build_corpus_main(
            [str(tmp_path / "lost.txt"), "--policy-id", "r3", "--out", str(alt), "-q"]
        )
        == 0
    )
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert train_main(["--clause-only", "--corpus", str(alt)]) == 2
    assert (
        f"--out {out} holds the model of policy r3 trained on another text of it than {alt} "
        "was built from; training would replace it: choose another --out, or pass --force"
    ) in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert train_main(["--clause-only", "--corpus", str(alt), "--force"]) == 0
    # The same text again (as after a parser fix rebuilds its clauses): retrained as usual.
    assert train_main(["--clause-only", "--corpus", str(alt)]) == 0
    # And back to r3's own text only with --force.
    assert train_main(["--clause-only"]) == 2


def test_labels_with_few_rows_get_a_plain_note_not_scikit_learns_warning(
    tmp_path, monkeypatch, capsys
):
    """A label with a single labelled dev request (as after carrying labels over to a
    revised policy): the model trains, and train says in plain words which labels have too
    few rows for their cross-validated figures, instead of scikit-learn's 'least populated
    class' warning with its file path."""
    _scratch_project(tmp_path, monkeypatch)
    with open(ROOT / "corpus" / "labelled" / "requests.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    rare = "(1)①"
    kept, seen = [], 0
    for r in rows:  # one dev row of the rare label, none elsewhere
        if rare in r["labels"].split(";"):
            if r["split"] != "dev" or seen or r["labels"] != rare:
                continue
            seen += 1
        kept.append(r)
    labelled = tmp_path / "few.csv"
    with open(labelled, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(kept)
    argv = ["--no-default-labelled", "--labelled", str(labelled), "--out", "models/x"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert train_main(argv) == 0
    assert not [w for w in caught if "least populated" in str(w.message)]
    err = capsys.readouterr().err
    assert (
        f"note: 1 label ({rare}) has fewer than 5 labelled dev requests as primary "
        "label: the card's cross-validated figures for them rest on very few rows"
    ) in err.splitlines()


def test_a_clause_only_model_says_the_presumed_negatives_teach_nothing(
    tmp_path, monkeypatch, capsys
):
    """A revised policy trained before its crosswalk is reviewed: every bundled label is
    left out, the model is clause-only, and the review-sheet programmes presumed out of
    scope are said to be unused (the line once said they were learnt from)."""
    from classifier.cli import build_corpus_main

    for part in ("r3", "labelled", "rs2024"):
        shutil.copytree(ROOT / "corpus" / part, tmp_path / "corpus" / part)
    shutil.copy(ROOT / "corpus" / "thesaurus.csv", tmp_path / "corpus" / "thesaurus.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))
    source = ROOT / "tests" / "fixtures" / "revised" / "r4_draft_fullwidth_areas_with_summary.txt"
    argv = [str(source), "--policy-id", "r4", "--out", "corpus/r4", "--quiet"]
    assert build_corpus_main(argv) == 0
    capsys.readouterr()
    assert train_main(["--policy", "r4", "--out", "models/r4"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert any(line.endswith("training a clause-only model") for line in lines)
    assert (
        "2110 review-sheet programmes with no cyber term and not annotated are not used: a "
        "clause-only model has no scope model to teach"
    ) in lines
    assert not any("learnt from as out of scope" in line for line in lines)


def test_a_named_file_with_nothing_to_learn_is_refused_and_the_model_kept(
    tmp_path, monkeypatch, capsys
):
    """A review sheet whose policy column an Excel fill-down changed, or one with no
    accepted_label filled in, gives no row: training on would replace a model that learnt
    from requests with a clause-only one. It is refused before anything is written."""
    _scratch_project(tmp_path, monkeypatch)
    good = tmp_path / "good.csv"
    good.write_text(
        "id,text,labels,split\n1,道路の整備,NONE,dev\n2,政府機関の通信監視,(2)③ⅰ,dev\n",
        encoding="utf-8",
    )
    out = tmp_path / "models" / "m"
    base = ["--no-default-labelled", "--out", str(out)]
    assert train_main([*base, "--labelled", str(good)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    foreign = tmp_path / "review.csv"
    foreign.write_text(
        "id,text,accepted_label,policy\nx1,政府機関の情報システムを監視する,(2)③ⅰ,r2\n",
        encoding="utf-8",
    )
    unfilled = tmp_path / "unfilled.csv"
    unfilled.write_text("id,text,accepted_label,policy\nx2,河川の改修,,r3\n", encoding="utf-8")
    reasons = {
        foreign: "its labels belong to policy r2, not r3: left out",
        unfilled: "0 labelled rows read (0 dev, 0 test), 1 without a label",
    }
    for bad, reason in reasons.items():
        assert train_main([*base, "--labelled", str(bad)]) == 2
        err = capsys.readouterr().err
        assert reason in err
        assert err.splitlines()[-1] == (
            f"error: nothing to learn from {bad} (see the warnings above): nothing was "
            "trained. Correct the file or leave it out; to train on the policy text alone, "
            "pass --clause-only"
        )
        # Beside a good file too: the named file would be silently unused.
        assert train_main([*base, "--labelled", str(good), str(bad)]) == 2
        assert f"error: nothing to learn from {bad} " in capsys.readouterr().err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_train_reads_the_sheet_named_and_its_hints_name_what_train_has(
    tmp_path, monkeypatch, capsys
):
    """An analyst corrects labels on a tab of their own: --sheet names it (the review
    sheet's classified tab is read otherwise). Undecodable text is not answered with
    --encoding or --format, options train does not have."""
    _scratch_project(tmp_path, monkeypatch)
    src = tmp_path / "requests.csv"
    src.write_bytes((ROOT / "corpus/examples/requests_example.csv").read_bytes())
    review = tmp_path / "review.xlsx"
    model = str(ROOT / "models" / "r3")
    assert classify_main([str(src), "--review", str(review), "-q", "--model", model]) == 0
    wb = load_workbook(review)
    copy = wb.create_sheet("修正", 0)  # the analyst's own tab, in front
    for row in wb["classified"].iter_rows(values_only=True):
        copy.append(row)
    header = [c.value for c in copy[1]]
    copy.cell(2, header.index("accepted_label") + 1).value = "(2)③ⅰ"
    wb.save(review)
    capsys.readouterr()
    argv = ["--no-default-labelled", "--labelled", str(review), "--out", "m"]
    assert train_main(argv) == 2  # the classified tab: nothing filled in
    assert "choose with --sheet" in capsys.readouterr().err
    assert train_main([*argv, "--sheet", "修正"]) == 0
    assert "review.xlsx: 1 labelled row read (1 dev, 0 test)" in capsys.readouterr().err
    bad = tmp_path / "labels.csv"
    bad.write_bytes(b"id,text,labels\n1,\x82\xa0\xff\xfe\x80\x81,(1)\xe2\n")
    assert train_main(["--labelled", str(bad), "--out", "m"]) == 2
    err = capsys.readouterr().err
    assert "--encoding" not in err.replace("train has no --encoding", ""), err
    assert train_main(["--labelled", str(tmp_path / "labels.dat")]) == 2
    assert "--format" not in capsys.readouterr().err


def test_clause_only_says_the_labelled_files_are_not_read(tmp_path, monkeypatch, capsys):
    _scratch_project(tmp_path, monkeypatch)
    labelled = tmp_path / "l.csv"
    labelled.write_text("id,text,labels\n1,政府機関の監視,(2)③ⅰ\n", encoding="utf-8")
    assert train_main(["--clause-only", "--labelled", str(labelled), "--out", "m"]) == 0
    assert (
        f"note: --labelled {labelled} is not read: a clause-only model learns from the policy "
        "text alone" in capsys.readouterr().err
    )
    # --labelled with no file is a mistake, not "no files".
    assert train_main(["--labelled"]) == 2
    assert "--labelled: expected at least one argument" in capsys.readouterr().err
