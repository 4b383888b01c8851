"""show: a classified file as a compact table, then its budget summary.

Classified files are written here by hand (the columns classify writes), so the printed
table can be checked line by line without the model; one file goes through classify
first, as an analyst would use the two.
"""

from __future__ import annotations

import re

from classifier.cli import show_results_main

from .helpers import ROOT, run_classify, write_csv_bytes

COLUMNS = [
    "事業名",
    "label_1",
    "heading_1",
    "confidence_1",
    "status",
    "labels",
    "in_scope",
    "budget_initial_yen",
    "budget_request_yen",
]


def _classified(path, rows):
    path.write_bytes(write_csv_bytes(rows, header=COLUMNS))
    return path


ROWS = [
    [
        "政府機関の監視",
        "(2)③",
        "政府機関のセキュリティ",
        "0.955",
        "ok",
        "(2)③",
        "0.998",
        "100",
        "120",
    ],
    ["道路橋の修繕", "(2)②ⅲ", "地方公共団体", "0.951", "out_of_scope", "", "0.006", "50", "60"],
    ["", "", "", "", "empty_text", "", "", "", ""],
    ["手で直した行", "(4)①", "人材育成", "高い", "ok", "(4)①", "?", "", ""],
]


def _table(capsys, path, *options):
    assert show_results_main([str(path), *options]) == 0
    return capsys.readouterr().out.splitlines()


def test_every_row_with_its_confidence_and_in_scope_probability(tmp_path, capsys):
    lines = _table(capsys, _classified(tmp_path / "c.csv", ROWS))
    assert lines[0].split() == ["事業名", "label_1", "conf", "scope", "heading_1", "status"]
    assert lines[1].split() == [
        "政府機関の監視",
        "(2)③",
        "0.95",
        "1.00",
        "政府機関のセキュリティ",
        "ok",
    ]
    assert lines[2].split()[-4:] == ["0.95", "0.01", "地方公共団体", "out_of_scope"]
    assert lines[3].split() == ["empty_text"]
    # A cell an analyst overwrote with words is shown blank, not a traceback.
    assert lines[4].split() == ["手で直した行", "(4)①", "人材育成", "ok"]
    # Then the summary: the in-scope programmes by label, their budget summed.
    summary = lines[lines.index("") + 1 :]
    assert summary[0].split("  ")[:4] == ["label", "kind", "heading", "programmes"]
    row = next(line.split("  ") for line in summary if line.startswith("(2)③  target"))
    assert row[3:6] == ["1", "100", "120"]
    assert not any(line.startswith("(2)②ⅲ") for line in summary)  # out of scope: in no label


def test_many_rows_list_only_those_not_out_of_scope(tmp_path, capsys):
    rows = [ROWS[1]] * 45 + [ROWS[0]] * 2
    lines = _table(capsys, _classified(tmp_path / "many.csv", rows))
    listed = lines[1 : lines.index("")]
    assert len(listed) == 3
    assert [line.split()[0] for line in listed[:2]] == ["政府機関の監視"] * 2
    assert listed[2] == "(2 of 47 rows shown: those not out of scope)"


def test_summary_only(tmp_path, capsys):
    lines = _table(capsys, _classified(tmp_path / "c.csv", ROWS), "--summary-only")
    assert lines[0] == "" and lines[1].startswith("label  kind  heading  programmes")


def test_a_file_that_is_not_classified_is_refused(tmp_path, capsys):
    plain = tmp_path / "plain.csv"
    plain.write_text("事業名,事業概要\n監視,政府機関の監視\n", encoding="utf-8")
    assert show_results_main([str(plain)]) == 2
    err = capsys.readouterr().err
    assert "not a classified file" in err and "Traceback" not in err


def test_a_workbook_from_classify_shows_its_own_summary_sheet(tmp_path, capsys):
    src = tmp_path / "requests.csv"
    src.write_text(
        "事業名,事業概要\n"
        "政府機関の監視,各府省庁の情報システムをGSOCで24時間監視し不正アクセスを検知する。\n"
        "道路橋の修繕,老朽化した道路橋を補修する。\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.xlsx"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert rc == 0, err
    lines = _table(capsys, out)
    assert lines[1].split()[0] == "政府機関の監視" and lines[1].split()[-1] == "ok"
    assert lines[2].split()[0] == "道路橋の修繕" and lines[2].split()[-1] == "out_of_scope"
    assert float(lines[1].split()[3]) > 0.9 > 0.1 > float(lines[2].split()[3])
    summary = lines[lines.index("") + 1 :]
    counted = [line.split("  ") for line in summary[1:-1]]
    # The labels with no programme are left out, and the count of them said.
    assert re.fullmatch(r"\(\d+ labels with no programme not shown\)", summary[-1])
    # The one in-scope programme, under its target, then the item and area rolled up
    # ((2)③ is a target itself and the item its sub-items fall under).
    assert lines[1].split()[1] == "(2)③"
    assert [r[:2] for r in counted] == [["(2)③", "target"], ["(2)③", "item"], ["(2)", "area"]]
    assert all(r[3] == "1" for r in counted)
    # No --budget: the amounts are unknown, shown as "-", never as 0 yen.
    assert all(r[4:6] == ["-", "-"] and r[7:11] == ["-"] * 4 for r in counted)
    assert [r[11] for r in counted] == ["(2)③ target", "(2)③ item", "(2) area"]


def test_a_csv_without_budget_columns_shows_no_amounts(tmp_path, capsys):
    rows = [r[:-2] for r in ROWS]
    path = tmp_path / "c.csv"
    path.write_bytes(write_csv_bytes(rows, header=COLUMNS[:-2]))
    summary = _table(capsys, path, "--summary-only")[2:]
    row = next(line.split("  ") for line in summary if line.startswith("(2)③  target"))
    assert row[3:] == ["1", "-", "-", "1", "-", "-", "-", "-", "(2)③ target"]


def test_labels_the_policy_does_not_have_are_counted_nowhere_and_named(tmp_path, capsys):
    """A file classified with another policy version (or edited by hand) names labels r3
    does not have: the summary leaves them out and says so, instead of a traceback."""
    rows = [
        ["新しい施策", "(6)①", "次期方針の項目", "0.9", "ok", "(6)①;(2)③", "0.99", "10", "20"],
        ROWS[0],
        ["ありえない値", "(2)③", "政府機関", "nan", "ok", "(2)③", "inf", "", ""],
    ]
    assert show_results_main([str(_classified(tmp_path / "c.csv", rows))]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    # Probabilities that are not probabilities (nan, inf) are shown blank.
    assert lines[3].split() == ["ありえない値", "(2)③", "政府機関", "ok"]
    row = next(line.split("  ") for line in lines if line.startswith("(2)③  target"))
    assert row[3] == "2" and row[6] == "3"  # by label_1: rows 2 and 3; anywhere: all three
    assert "note: labels that policy r3 does not have are counted in no row: (6)① (1 row) " in (
        captured.err
    )
    assert "Traceback" not in captured.err


def test_a_policy_that_does_not_exist_is_refused_naming_those_that_do(tmp_path, capsys):
    """``--policy r9`` (no corpus/r9): one line, exit 2, the policies there are, and
    nothing printed before it."""
    path = _classified(tmp_path / "c.csv", ROWS)
    assert show_results_main([str(path), "--policy", "r9"]) == 2
    captured = capsys.readouterr()
    corpus = ROOT / "corpus"
    known = sorted(p.parent.name for p in corpus.glob("*/clauses.jsonl"))
    assert "r3" in known
    built = (
        f"the only policy built is {known[0]}"
        if len(known) == 1
        else f"the policies built are {', '.join(known)}"
    )
    assert captured.err == f"error: --policy r9: no such policy in {corpus}; {built}\n"
    assert captured.out == ""


def test_with_no_policy_built_the_error_says_how_to_build_one(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))
    path = _classified(tmp_path / "c.csv", ROWS)
    assert show_results_main([str(path), "--policy", "r3"]) == 2
    assert capsys.readouterr().err == (
        f"error: --policy r3: no such policy in {tmp_path / 'corpus'}; "
        f"no policy is built yet (see scripts/build_corpus.py)\n"
    )


def test_unknown_label_counts_read_naturally(tmp_path, capsys):
    rows = [
        ["新しい施策", "(6)①", "次期方針の項目", "0.9", "ok", "(6)①", "0.99", "10", "20"],
        ["次の施策", "(7)①", "次期方針の項目", "0.9", "ok", "(7)①", "0.99", "10", "20"],
        ["次の施策2", "(7)①", "次期方針の項目", "0.9", "ok", "(7)①", "0.99", "10", "20"],
    ]
    assert show_results_main([str(_classified(tmp_path / "c.csv", rows))]) == 0
    assert "counted in no row: (6)① (1 row), (7)① (2 rows) (classified" in capsys.readouterr().err


def test_a_review_sheet_counts_a_repeated_programme_once(tmp_path, capsys):
    # A review sheet has no duplicate_of column and its rows are in doubt order: the id
    # tells the repeat (the review sheet of an RS download holds 予算事業ID there).
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["row", "id", "text", "label_1", "status", "labels", "accepted_label", "comment"])
    ws.append([7, "1234", "政府機関の監視", "(2)③", "ok", "(2)③", None, None])
    ws.append([2, "1234", "政府機関の監視", "(2)③", "ok", "(2)③", None, None])
    ws.append([3, "99", "人材育成", "(4)①", "ok", "(4)①", None, None])
    wb.save(tmp_path / "review.xlsx")
    summary = _table(capsys, tmp_path / "review.xlsx", "--summary-only")[2:]
    row = next(line.split("  ") for line in summary if line.startswith("(2)③  target"))
    assert row[3] == "1" and row[6] == "1"  # programmes, programmes_any
    area = next(line.split("  ") for line in summary if line.startswith("(4)  area"))
    assert area[3] == "1"


def test_the_readme_quick_start_table_is_what_make_run_prints(tmp_path, capsys):
    """Every row the README shows from `make run` is a row show-results prints for the
    bundled example with the committed model (so the README's numbers cannot go stale)."""
    from classifier.cli import classify_main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("`make run` ends with a table like this", 1)[1].split("```")[1]
    shown = [line for line in block.strip("\n").splitlines() if line.strip() != "…"]
    out = tmp_path / "example.csv"
    example = str(ROOT / "corpus" / "examples" / "requests_example.csv")
    assert classify_main([example, "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    assert show_results_main([str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(shown) >= 5
    missing = [line for line in shown if line not in printed]
    assert not missing, missing


def test_a_cell_with_line_breaks_stays_on_its_row(tmp_path, capsys):
    """A review sheet's text cell holds 事業名 and 事業概要 on two lines: shown on one."""
    rows = [["政府機関の監視\n横断的な監視を行う", *ROWS[0][1:]]]
    lines = _table(capsys, _classified(tmp_path / "c.csv", rows))
    assert lines[1].startswith("政府機関の監視 横断的な監視を行う")
    assert lines[1].split()[-1] == "ok"  # the whole row on one line
    assert lines[2] == ""  # then the blank line before the summary


def test_control_characters_and_lone_surrogates_never_reach_the_terminal(tmp_path, capsys):
    """A file someone sent may hold an escape sequence (which would recolour or retitle the
    terminal) or, in JSON, a lone surrogate (which no terminal encodes): shown as �."""
    import json

    src = tmp_path / "odd.jsonl"
    src.write_text(
        json.dumps({"事業名": "政府機関の監視\u001b]0;x\u0007\ud800", "事業概要": "監視を行う"})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "odd.out.jsonl"
    assert run_classify([src, "-o", out, "-q"])[0] == 0
    assert show_results_main([str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x07" not in printed
    assert "政府機関の監視�]0;x��" in printed


def test_an_output_of_another_policy_version_is_said(tmp_path, capsys):
    """Rows whose heading_1 is not the policy's heading for their label were classified
    under another version: show-results says so (r4's (2)③ may be another item)."""
    from classifier.cli import classify_main
    from classifier.corpus import read_clauses
    from classifier.predict import display_heading

    out = tmp_path / "example.csv"
    example = str(ROOT / "corpus" / "examples" / "requests_example.csv")
    assert classify_main([example, "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    assert show_results_main([str(out)]) == 0
    assert "another policy version" not in capsys.readouterr().err  # its own policy: quiet
    # The same file as if classified under a version whose (2)③ reads differently.
    policy = read_clauses(ROOT / "corpus" / "r3")
    heading = display_heading(policy, "(2)③")
    text = out.read_text(encoding="utf-8-sig")
    assert heading in text
    (tmp_path / "other.csv").write_text(text.replace(heading, "国際連携の推進"), "utf-8")
    assert show_results_main([str(tmp_path / "other.csv")]) == 0
    err = capsys.readouterr().err
    assert (
        "note: 1 row names a label whose heading_1 is not policy r3's heading for it: "
        "classified with another policy version? --policy names the one to use"
    ) in err.splitlines()


def test_a_csv_classified_at_item_level_is_summarised_as_its_workbook_is(tmp_path, capsys):
    """show-results computes a CSV's summary at the level the file was classified at, so
    it prints what classify's own summary sheet says."""
    src = ROOT / "corpus" / "examples" / "requests_example.csv"
    printed = {}
    for level in ("item", "area"):
        for fmt in ("csv", "xlsx"):
            out = tmp_path / f"{level}.{fmt}"
            assert run_classify([src, "--level", level, "-o", out, "-q"])[0] == 0
            capsys.readouterr()
            assert show_results_main([str(out), "--summary-only"]) == 0
            printed[level, fmt] = capsys.readouterr().out
        assert printed[level, "csv"] == printed[level, "xlsx"]
    assert "\n(2)①  target" in printed["item", "csv"]  # an item, reported as a label
    assert "\n(2)  target" in printed["area", "csv"]


def test_amounts_are_read_as_excel_re_saves_them_and_others_are_named(tmp_path, capsys):
    """A CSV re-saved from the workbook writes 33,498,000 (the #,##0 format) and △ for
    minus: read as --budget reads the 2-1 file. A cell that is no amount is unknown, and
    the note names its row."""
    rows = [
        ["政府機関の監視", "(2)③", "政府機関のセキュリティ", "0.955", "ok", "(2)③", "0.998",
         "33,498,000", "△1,000"],
        ["政府機関の監視２", "(2)③", "政府機関のセキュリティ", "0.9", "ok", "(2)③", "0.99",
         "abc", "2"],
    ]  # fmt: skip
    path = _classified(tmp_path / "c.csv", rows)
    assert show_results_main([str(path), "--summary-only"]) == 0
    out, err = capsys.readouterr()
    row = next(line.split("  ") for line in out.splitlines() if line.startswith("(2)③  target"))
    assert row[3:6] == [
        "2",
        "33498000",
        "-998",
    ]  # programmes, initial (33,498,000 + unknown), request (△1,000 + 2)
    assert row[-2] == "1"  # programmes_budget_unknown: the row with abc
    assert (
        "note: 1 budget cell is no amount and counted as unknown: row 3 budget_initial_yen: "
        "'abc' is not an amount of yen" in err
    )
