"""evaluate reproduces the model card's test figures, and writes its report and misses."""

from __future__ import annotations

import csv
import json

from classifier.cli import evaluate_main
from classifier.report import MISCLASSIFIED_COLUMNS

from .helpers import ROOT

KEYS = ("top1", "top3", "area_top1", "ece", "macro_f1", "mrr", "n")
LABELLED = str(ROOT / "corpus" / "labelled" / "requests.csv")


def evaluate_test_split(*extra: str) -> int:
    """``evaluate`` on the bundled test split with the committed model."""
    return evaluate_main([LABELLED, "--gold-column", "labels", "--split", "test", *extra])


def test_evaluate_reproduces_the_model_card(tmp_path, capsys):
    report_path, misses = tmp_path / "r.json", tmp_path / "m.csv"
    assert evaluate_test_split("--report", str(report_path), "--misclassified", str(misses)) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    card = json.loads((ROOT / "models" / "r3" / "model_card.json").read_text(encoding="utf-8"))
    expected = card["metrics"]["test"]["requests"]
    for key in KEYS:
        assert round(report[key], 4) == expected[key], key
    assert round(report["out_of_scope"]["recall"], 4) == expected["out_of_scope"]["recall"]
    assert {"confidence_bands", "confusion", "reliability", "status_counts"} <= set(report)
    printed = capsys.readouterr().out
    assert f"top1 {expected['top1']:.3f}" in printed

    with open(misses, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    n_wrong = round((1 - report["top1"]) * report["n_in_scope"])
    in_scope_misses = [
        r for r in rows if r["gold"] != "NONE" and r["label_1"] not in r["gold"].split(";")
    ]
    assert len(in_scope_misses) == n_wrong
    n_oos_missed = round((1 - report["out_of_scope"]["recall"]) * report["n_out_of_scope"])
    assert sum(r["error"] == "out of scope not flagged" for r in rows) == n_oos_missed
    assert {"id", "text", "gold", "label_1", "confidence_1", "evidence_1", "status"} <= set(rows[0])
    assert all(
        r["label_1"] not in r["gold"].split(";") or r["status"] == "out_of_scope"
        for r in rows
        if r["error"] != "out of scope not flagged"
    )


def test_evaluate_at_area_level(tmp_path):
    report_path = tmp_path / "r.json"
    assert evaluate_test_split("--level", "area", "--report", str(report_path)) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    card = json.loads((ROOT / "models" / "r3" / "model_card.json").read_text(encoding="utf-8"))
    assert report["level"] == "area"
    # At area level top-1 is the sub-item model's area top-1 or better (roll-up sums children).
    assert report["top1"] >= card["metrics"]["test"]["requests"]["area_top1"] - 0.01


def test_evaluate_reproduces_the_review_sheet_figures(tmp_path, capsys):
    """On the annotated review sheets' test split: the card's scope figures, BORDER left out
    of scope precision and recall, and the keyword filter measured on the same rows."""
    sheets = str(ROOT / "corpus" / "labelled" / "rs2024_dev.csv")
    report_path = tmp_path / "r.json"
    assert (
        evaluate_main(
            [sheets, "--gold-column", "labels", "--split", "test", "--report", str(report_path)]
        )
        == 0
    )
    scope = json.loads(report_path.read_text(encoding="utf-8"))["scope"]
    card = json.loads((ROOT / "models" / "r3" / "model_card.json").read_text(encoding="utf-8"))
    expected = card["metrics"]["test"]["rs2024_dev"]
    for part in ("model", "keyword", "model_weighted", "keyword_weighted"):
        for key in ("precision", "recall"):
            assert round(scope[part][key], 4) == expected[part][key], (part, key)
    assert (scope["n_in"], scope["n_border"]) == (expected["n_in"], expected["n_border"])
    assert round(scope["top1_in"], 4) == expected["top1_in"]
    printed = capsys.readouterr().out
    assert "keyword filter" in printed and "BORDER" in printed
    # Precision/recall by --scope-threshold, as the card keeps them; at the model's own
    # threshold (0.5) the same as the headline figures.
    points = scope["operating_points"]
    assert list(points) == ["0.05", "0.1", "0.2", "0.3", "0.5", "0.7", "0.9"]
    for t, d in points.items():
        assert round(d["recall"], 4) == expected["operating_points"][t]["recall"], t
    assert points["0.5"]["precision"] == scope["model"]["precision"]
    assert points["0.5"]["recall"] == scope["model"]["recall"]
    line = next(x for x in printed.splitlines() if "by --scope-threshold" in x)
    p, r = points["0.2"]["precision"], points["0.2"]["recall"]
    assert f"0.2 {p:.2f}/{r:.2f} ({points['0.2']['called_in']})" in line


def test_a_split_no_row_has_is_refused_naming_the_splits(capsys):
    """``--split tset`` (a typo): exit 2 with the splits the file has, not 'no labelled
    rows'."""
    assert evaluate_main([LABELLED, "--gold-column", "labels", "--split", "tset"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"error: {LABELLED}: no row has split 'tset'; "
        f"the splits in its 'split' column are: 'dev', 'test'\n"
    )
    assert captured.out == ""


def test_a_split_column_with_no_values_says_so(tmp_path, capsys):
    path = tmp_path / "l.csv"
    path.write_text("text,labels,split\n政府機関の監視,(2)③,\n", encoding="utf-8")
    assert evaluate_main([str(path), "--gold-column", "labels", "--split", "test"]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: no row has split 'test'; "
        f"the splits in its 'split' column are: none (the column is empty)\n"
    )


def test_outputs_evaluate_did_not_write_are_never_replaced(tmp_path, capsys):
    """--report and --misclassified replace only evaluate's own earlier files; anything
    else needs --force, and the file is left as it was."""
    precious, notes = tmp_path / "precious.csv", tmp_path / "notes.json"
    precious.write_text("budget,total\n1,2\n", encoding="utf-8")
    notes.write_text('{"a": 1}\n', encoding="utf-8")
    assert evaluate_test_split("--misclassified", str(precious)) == 2
    assert "--misclassified" in capsys.readouterr().err
    assert evaluate_test_split("--report", str(notes)) == 2
    err = capsys.readouterr().err
    assert "not an earlier report of evaluate's" in err and "--force" in err
    assert precious.read_text(encoding="utf-8") == "budget,total\n1,2\n"
    assert notes.read_text(encoding="utf-8") == '{"a": 1}\n'

    report, misses = tmp_path / "r.json", tmp_path / "m.csv"
    assert evaluate_test_split("--report", str(report), "--misclassified", str(misses)) == 0
    capsys.readouterr()
    assert evaluate_test_split("--report", str(report), "--misclassified", str(misses)) == 0
    err = capsys.readouterr().err
    assert f"replaced the earlier --report {report}" in err
    assert f"replaced the earlier --misclassified {misses}" in err
    assert evaluate_test_split("--report", str(notes), "--force") == 0
    assert "model_sha256" in json.loads(notes.read_text(encoding="utf-8"))["model"]


def test_an_earlier_output_an_analyst_added_to_is_not_replaced(tmp_path, capsys):
    """An earlier --misclassified list with a column added (担当メモ), or report with a key
    added, holds the analyst's work: refused without --force, both files left as they were."""
    report, misses = tmp_path / "r.json", tmp_path / "m.csv"
    assert evaluate_test_split("--report", str(report), "--misclassified", str(misses)) == 0
    with open(misses, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    with open(misses, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([[*rows[0], "担当メモ"], *([*r, "確認済"] for r in rows[1:])])
    noted = misses.read_bytes()
    capsys.readouterr()
    assert evaluate_test_split("--misclassified", str(misses)) == 2
    err = capsys.readouterr().err
    assert "has column(s) this run does not write (担当メモ)" in err and "--force" in err
    assert misses.read_bytes() == noted

    earlier = json.loads(report.read_text(encoding="utf-8"))
    earlier["担当メモ"] = "課長確認待ち"
    report.write_text(json.dumps(earlier, ensure_ascii=False), encoding="utf-8")
    kept = report.read_bytes()
    assert evaluate_test_split("--report", str(report)) == 2
    err = capsys.readouterr().err
    assert f"--report {report} already exists and has key(s) this run does not write" in err
    assert "(担当メモ): an analyst's additions" in err
    assert report.read_bytes() == kept and misses.read_bytes() == noted
    assert evaluate_test_split("--report", str(report), "--force") == 0
    assert "担当メモ" not in json.loads(report.read_text(encoding="utf-8"))
    # A note added inside a figure's object is an addition too; evaluate's own nested keys
    # (figure names, labels, thresholds) are not.
    assert evaluate_test_split("--report", str(report)) == 0
    earlier = json.loads(report.read_text(encoding="utf-8"))
    earlier["out_of_scope"]["担当メモ"] = "要確認"
    report.write_text(json.dumps(earlier, ensure_ascii=False), encoding="utf-8")
    assert evaluate_test_split("--report", str(report)) == 2
    assert "(out_of_scope.担当メモ): an analyst's additions" in capsys.readouterr().err


def test_measuring_rows_the_model_learnt_from_warns(capsys):
    """The bundled file's dev rows taught the committed model: their figures flatter it."""
    assert evaluate_main([LABELLED, "--gold-column", "labels", "--split", "dev"]) == 0
    err = capsys.readouterr().err
    assert "warning: the model learnt from 557 of the 557 rows measured" in err
    assert "--split test" in err
    assert evaluate_test_split() == 0
    assert "warning" not in capsys.readouterr().err


def _sheet(path, policy: str) -> str:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["request_id", "事業名", "事業概要", "accepted_label", "policy"])
        w.writerow(["A", "政府機関の監視", "政府機関の横断的な監視を強化する", "(2)③ⅰ", policy])
        w.writerow(["B", "", "", "(2)③", policy])  # an empty_text row a reviewer labelled
    return str(path)


def test_a_sheet_of_another_policy_is_refused(tmp_path, capsys):
    """A review sheet whose policy column names r4 is not scored against the r3 model:
    r4's (2)③ⅰ may be another item."""
    sheet = _sheet(tmp_path / "r4.csv", "r4")
    assert evaluate_main([sheet, "--gold-column", "accepted_label"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"error: {sheet}: its labels belong to policy r4 (policy column), the model "
        f"{ROOT / 'models' / 'r3'} to policy r3; evaluate it with a model of r4 "
        "(--model models/r4)\n"
    )
    assert captured.out == ""


def test_a_labelled_row_without_text_is_left_out(tmp_path, capsys):
    sheet = _sheet(tmp_path / "r3.csv", "r3")
    assert evaluate_main([sheet, "--gold-column", "accepted_label"]) == 0
    captured = capsys.readouterr()
    assert f"warning: {sheet} row 3 (id B): a label but no text (row left out)\n" in captured.err
    assert captured.out.startswith("n=1 (in scope 1, out of scope 0)")
    # No out-of-scope row to measure: said as n/a, never 'nan'.
    assert "out of scope: recall n/a" in captured.out and "nan" not in captured.out


def test_item_and_area_labels_are_gold_labels_at_their_level(tmp_path, capsys):
    path = tmp_path / "gold.csv"
    path.write_text(
        "text,gold\n政府機関の情報システムの監視を強化する,(2)③\n"
        "地方公共団体の情報セキュリティクラウドを強化する,(2)②\n"
        "サイバー犯罪の捜査能力を強化する,(2)\n",
        encoding="utf-8",
    )
    assert evaluate_main([str(path), "--gold-column", "gold", "--level", "area"]) == 0
    assert capsys.readouterr().out.startswith("n=3 ")
    assert evaluate_main([str(path), "--gold-column", "gold", "--level", "item"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("n=2 ")  # an area is no gold label at item level
    assert "row 4: '(2)' is a heading, not a classification target" in captured.err


def test_a_classify_output_is_not_scored_against_its_own_predictions(tmp_path, capsys):
    from .helpers import run_classify

    out = tmp_path / "c.csv"
    assert run_classify([ROOT / "corpus" / "examples" / "requests_example.csv", "-o", out])[0] == 0
    capsys.readouterr()
    for column in ("labels", "label_1"):
        assert evaluate_main([str(out), "--gold-column", column]) == 2
        assert f"--gold-column {column} holds the model's own predictions" in (
            capsys.readouterr().err
        )
    review = tmp_path / "review.xlsx"
    src = ROOT / "corpus" / "examples" / "requests_example.csv"
    assert run_classify([src, "--review", review, "-o", tmp_path / "c2.csv"])[0] == 0
    capsys.readouterr()
    assert evaluate_main([str(review), "--gold-column", "labels"]) == 2
    assert "is a review sheet of classify" in (err := capsys.readouterr().err)
    assert "--gold-column accepted_label" in err


def test_rows_without_a_gold_label_are_counted(tmp_path, capsys):
    path = tmp_path / "gold.csv"
    path.write_text(
        "text,gold\n政府機関の情報システムの監視を強化する,(2)③ⅰ\n道路の補修,\n橋の点検,\n",
        encoding="utf-8",
    )
    assert evaluate_main([str(path), "--gold-column", "gold"]) == 0
    assert "note: 2 rows with an empty gold cell are not scored\n" in capsys.readouterr().err


def test_rows_with_texts_the_model_learnt_are_said_whatever_the_file(tmp_path, capsys):
    """A copy of bundled requests under new ids and a new name (as a review sheet of them
    is): the rows the model learnt from are counted, so the figures are not taken as
    held-out ones."""
    with open(LABELLED, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))[:20]
    path = tmp_path / "mine.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "事業名", "事業概要", "gold"])
        for r in rows:
            writer.writerow([r["request_id"] + "x", r["事業名"], r["事業概要"], r["labels"]])
    learnt = sum(r["split"] != "test" for r in rows)
    assert 0 < learnt < 20
    assert evaluate_main([str(path), "--gold-column", "gold"]) == 0
    assert (
        f"warning: {learnt} rows of the 20 measured have the text of a row the model learnt "
        "from" in capsys.readouterr().err
    )
    assert evaluate_test_split() == 0
    assert "learnt from" not in capsys.readouterr().err  # its own held-out rows: none


def test_the_misclassified_file_is_written_in_the_format_its_name_says(tmp_path):
    """m.xlsx is a workbook (it was CSV text under an Excel name), m.tsv tab-separated; a
    rerun replaces evaluate's own earlier file in either."""
    from openpyxl import load_workbook

    xlsx, tsv = tmp_path / "m.xlsx", tmp_path / "m.tsv"
    for _ in range(2):  # the second run replaces the first's files
        assert evaluate_test_split("--misclassified", str(xlsx)) == 0
        assert evaluate_test_split("--misclassified", str(tsv)) == 0
    wb = load_workbook(xlsx, read_only=True)
    try:
        rows = list(wb.active.iter_rows(values_only=True))
    finally:
        wb.close()
    assert list(rows[0]) == list(MISCLASSIFIED_COLUMNS) and len(rows) > 1
    with open(tsv, encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh, delimiter="\t"))
    assert lines[0] == list(MISCLASSIFIED_COLUMNS)
    assert [r[0] for r in lines[1:]] == [str(r[0]) for r in rows[1:]]


def test_a_macro_workbook_name_for_the_misclassified_file_is_refused(tmp_path, capsys):
    """m.xlsm would be a workbook without macros (or CSV text) that Excel will not open."""
    target = tmp_path / "m.xlsm"
    assert evaluate_test_split("--misclassified", str(target)) == 2
    assert capsys.readouterr().err == (
        f"error: --misclassified {target}: the output is a workbook without macros; name it .xlsx\n"
    )
    assert not target.exists()


def test_a_gold_cell_merged_over_rows_is_said(tmp_path, capsys):
    """Excel keeps a merged cell's value in its first row: the rows below are unlabelled,
    and evaluate (and train, through read_labelled) say why, as classify does."""
    from openpyxl import Workbook

    from classifier.dataset import read_labelled

    wb = Workbook()
    ws = wb.active
    ws.append(["事業名", "事業概要", "labels"])
    ws.append(["政府機関の監視", "政府機関の情報システムの監視を強化する。", "(2)③ⅰ"])
    ws.append(["政府機関の監視（続き）", "監視体制の運用を行う。", None])
    ws.append(["道路橋の修繕", "老朽化した橋梁を補修する。", "NONE"])
    ws.merge_cells("C2:C3")
    path = tmp_path / "gold.xlsx"
    wb.save(path)
    assert evaluate_main([str(path), "--gold-column", "labels"]) == 0
    err = capsys.readouterr().err
    note = f"note: {path}: 1 merged cell spans data rows (first C2:C3, labels)"
    assert note in err
    assert "1 row with an empty labels cell is not scored" in err
    notes = read_labelled(path).notes
    assert len(notes) == 1 and f"note: {notes[0]}".startswith(note)


def test_row_warnings_come_in_row_order_and_a_text_labelled_two_ways_is_said(tmp_path, capsys):
    """A label that does not parse (row 4) and one the policy lacks (row 2) are said in
    row order; one text with two gold labels is scored twice, and said."""
    path = tmp_path / "gold.csv"
    path.write_text(
        "事業名,事業概要,labels\n"
        "a,政府機関の情報システムの監視を強化する。,(9)①\n"
        "b,地方公共団体の情報セキュリティ対策を支援する。,(2)②ⅲ\n"
        "c,監視を行う。,(2)③ (2)⑦\n"
        "b,地方公共団体の情報セキュリティ対策を支援する。,(2)②ⅱ\n",
        encoding="utf-8",
    )
    assert evaluate_main([str(path), "--gold-column", "labels"]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if "(row left out)" in line]
    assert [w.split(" row ")[1].split(":")[0] for w in warned] == ["2", "4"]
    assert (
        f"warning: {path}: 1 row repeats an earlier row's text with other gold labels (first: "
        "row 5, (2)②ⅱ, against row 3, (2)②ⅲ); each is scored against its own labels" in err
    )
