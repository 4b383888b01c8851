"""The analyst review loop: classify → review sheet → corrected labels → retrain → better.

Start from what a new policy year starts with, a clause-only model. Classify the dev
requests with a review sheet, let the "analyst" fill accepted_label on the most uncertain
rows first (the gold labels stand in for the analyst), retrain from the sheet, and
measure both models on the held-back test split.
"""

from __future__ import annotations

import json
import shutil

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
    assert "review.xlsx row 2: unknown label '(2)⑧' (did you mean '(2)⑦'?)" in err
    assert "1 labelled rows were left out" in err

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
