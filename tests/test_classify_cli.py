"""classify end to end through the CLI function, on the committed model and real policy."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import Workbook, load_workbook

from classifier.cli import classify_main

from .helpers import ADDED_COLUMNS, ROOT

HEADER = ["番号", "府省庁", "事業名", "事業概要", "要求額"]
ROWS = [
    [
        "001",
        "総務省",
        "自治体情報セキュリティクラウドの高度化",
        "都道府県と市町村が共同利用するセキュリティクラウドの監視機能を強化する。",
        "420",
    ],
    [
        "002",
        "国土交通省",
        "道路橋の修繕",
        "老朽化した橋梁の補修を行う地方公共団体に補助する。",
        "35000",
    ],
    ["003", "内閣官房", "", "", ""],
    [
        "004",
        "警察庁",
        "サイバー犯罪捜査の高度化",
        "不正アクセスやフィッシング事案の捜査用解析機材を整備する。",
        "0900",
    ],
]
ADDED = ADDED_COLUMNS
STATUS = len(HEADER) + ADDED.index("status")
EVIDENCE = len(HEADER) + ADDED.index("evidence_1")


def _write_csv(path, rows, encoding="utf-8", delimiter=","):
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerows(rows)


def _read_csv(path, delimiter=","):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def _check_table(table):
    header, body = table[0], table[1:]
    assert header == HEADER + ADDED
    assert [r[:5] for r in body] == ROWS  # every row, in order, cells untouched ("0900" too)
    status = [r[STATUS] for r in body]
    assert status == ["ok", "out_of_scope", "empty_text", "ok"]
    assert body[0][5] == "(2)②ⅲ" and body[3][5] == "(2)①ⅳ"
    # evidence in the analyst's words
    assert "市町村" in body[0][EVIDENCE] or "自治体" in body[0][EVIDENCE]
    assert body[1][5]  # a flagged row still carries its best guess
    return body


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_round_trip(tmp_path, encoding):
    src = tmp_path / "requests.csv"
    _write_csv(src, ROWS, encoding)
    before = src.read_bytes()
    assert classify_main([str(src), "-q"]) == 0
    out = tmp_path / "requests.classified.csv"
    body = _check_table(_read_csv(out))
    assert 0.0 <= float(body[0][7]) <= 1.0
    assert src.read_bytes() == before  # the input is never modified


def test_tsv_round_trip(tmp_path):
    src = tmp_path / "requests.tsv"
    _write_csv(src, ROWS, "cp932", delimiter="\t")
    assert classify_main([str(src), "-q"]) == 0
    _check_table(_read_csv(tmp_path / "requests.classified.tsv", delimiter="\t"))


def test_xlsx_round_trip_keeps_cell_types_and_picks_sheet(tmp_path):
    src = tmp_path / "requests.xlsx"
    wb = Workbook()
    wb.active.title = "表紙"
    wb.active.append(["令和３年度 概算要求一覧"])
    ws = wb.create_sheet("一覧")
    ws.append(HEADER)
    for r in ROWS:
        ws.append([*r[:4], int(r[4]) if r[4] else None])
    wb.save(src)
    assert classify_main([str(src), "--sheet", "一覧", "-q"]) == 0
    out = load_workbook(tmp_path / "requests.classified.xlsx", read_only=True)
    values = list(out.active.iter_rows(values_only=True))
    assert list(values[0]) == HEADER + ADDED
    assert [v[4] for v in values[1:]] == [420, 35000, None, 900]  # numbers stay numbers
    assert [v[STATUS] for v in values[1:]] == ["ok", "out_of_scope", "empty_text", "ok"]


def test_jsonl_round_trip_and_bad_line(tmp_path):
    src = tmp_path / "requests.jsonl"
    lines = [json.dumps(dict(zip(HEADER, r, strict=True)), ensure_ascii=False) for r in ROWS]
    lines.insert(2, "{not json")
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert classify_main([str(src), "-q"]) == 0
    out = [
        json.loads(x)
        for x in (tmp_path / "requests.classified.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(out) == 5
    assert out[2]["_raw"] == "{not json" and out[2]["status"].startswith("error: not valid JSON")
    assert [o["番号"] for o in out if "番号" in o] == ["001", "002", "003", "004"]
    assert [o["status"] for o in out] == [
        "ok",
        "out_of_scope",
        out[2]["status"],
        "empty_text",
        "ok",
    ]


def test_each_status(tmp_path):
    src = tmp_path / "mixed.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        fh.write("text\n")
        fh.write("市町村の情報セキュリティ対策として職員の標的型メール訓練を行う。\n")
        fh.write("河川の堤防を改修する。\n")
        fh.write('""\n')
        fh.write('"政府機関の情報システムの監視",extra,cells\n')
        fh.write("大学と自治体と中小企業向けのセキュリティ研修\n")
    out = tmp_path / "out.csv"
    assert classify_main([str(src), "-o", str(out), "--min-confidence", "0.999", "-q"]) == 0
    header, *rows = _read_csv(out)
    at = header.index("status")
    status = [r[at] for r in rows]
    assert status[1] == "out_of_scope"
    assert status[2] == "empty_text"
    assert status[3] == "error: row has 3 fields but the header has 1"
    assert status[4] == "low_confidence"  # a mixed request, far from 0.999 sure
    for r in (rows[0], rows[4]):  # the flag follows the threshold exactly
        assert (r[at] == "low_confidence") == (float(r[3]) < 0.999)


def test_top_k_and_level(tmp_path):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    out = tmp_path / "o.csv"
    assert classify_main([str(src), "-o", str(out), "--top-k", "5", "--level", "area", "-q"]) == 0
    table = _read_csv(out)
    at = table[0].index("confidence_5")
    assert table[0][at : at + 3] == ["confidence_5", "evidence_1", "status"]
    assert table[1][5] == "(2)" and table[4][5] == "(2)"
    assert all(r[5] in ("", "(1)", "(2)", "(3)", "(4)", "(5)") for r in table[1:])


def test_stdin_to_stdout(monkeypatch, capsysbinary):
    data = io.StringIO()
    csv.writer(data).writerows([HEADER, *ROWS])
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data.getvalue().encode("utf-8"))))
    assert classify_main(["-", "-q"]) == 0
    text = capsysbinary.readouterr().out.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER + ADDED and len(rows) == 5


def test_review_sheet_orders_uncertain_first(tmp_path):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    review = tmp_path / "review.xlsx"
    assert classify_main([str(src), "--review", str(review), "-q"]) == 0
    wb = load_workbook(review, read_only=True)
    rows = list(wb["classified"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["row", "id", "text"] and header[-2:] == ["accepted_label", "comment"]
    at = {c: header.index(c) for c in ("confidence_1", "status", "in_scope")}
    # Likely wrong first: an out-of-scope row by its in_scope, any other by
    # 1 - in_scope * confidence_1.
    doubts = [
        r[at["in_scope"]]
        if r[at["status"]] == "out_of_scope"
        else 1 - r[at["in_scope"]] * r[at["confidence_1"]]
        for r in rows[1:]
        if r[at["status"]] != "empty_text"
    ]
    assert doubts == sorted(doubts, reverse=True) and len(doubts) >= 3
    assert all(r[-2] is None and r[-1] is None for r in rows[1:])
    assert ("(2)③", "政府機関、独立行政法人等におけるセキュリティ強化・充実") in list(
        wb["labels"].iter_rows(values_only=True)
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"a,b\n1,2\n"), "cannot tell which column"),
        (
            lambda p: p.write_bytes(b"\x81\x00\xff\xfe\x00garbage\xff"),
            "neither UTF-8 nor Shift_JIS",
        ),
    ],
)
def test_unreadable_input_exits_2_with_message(tmp_path, capsys, setup, message):
    src = tmp_path / "bad.csv"
    setup(src)
    assert classify_main([str(src)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "bad.classified.csv").exists()


def test_corrupt_xlsx_and_missing_sheet(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert classify_main([str(bad)]) == 2
    assert "not a readable Excel" in capsys.readouterr().err
    good = tmp_path / "good.xlsx"
    wb = Workbook()
    wb.active.append(["text"])
    wb.save(good)
    assert classify_main([str(good), "--sheet", "nope"]) == 2
    assert "no sheet 'nope'" in capsys.readouterr().err


def test_never_overwrites_input_and_classified_input_refused(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    assert classify_main([str(src), "-o", str(src)]) == 2
    assert "is the input" in capsys.readouterr().err  # and would be overwritten
    assert classify_main([str(src), "-q"]) == 0
    assert classify_main([str(tmp_path / "r.classified.csv"), "-o", str(tmp_path / "x.csv")]) == 2
    assert "already has column" in capsys.readouterr().err


def test_an_earlier_output_is_replaced_with_a_note(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    assert classify_main([str(src)]) == 0
    out = tmp_path / "r.classified.csv"
    first = out.read_bytes()
    capsys.readouterr()
    assert classify_main([str(src)]) == 0  # re-running over its own output is routine
    assert f"note: replaced the earlier {out}" in capsys.readouterr().err
    assert out.read_bytes() == first


def test_a_file_the_tool_did_not_write_is_not_replaced_without_force(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    theirs = tmp_path / "予算集計.xlsx"  # -o mistyped as the analyst's own workbook
    wb = Workbook()
    wb.active.append(["府省庁", "合計"])
    wb.save(theirs)
    before = theirs.read_bytes()
    assert classify_main([str(src), "-o", str(theirs)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: -o {theirs} already exists and was not written by this tool (it has no "
        f"label_1 or status column); choose another file name, or pass --force to replace "
        f"it\n"
    )
    assert theirs.read_bytes() == before
    assert classify_main([str(src), "-o", str(theirs), "--force", "-q"]) == 0
    assert load_workbook(theirs).active.cell(1, 1).value == "番号"


def test_an_earlier_output_someone_added_to_is_not_replaced_without_force(tmp_path, capsys):
    """Re-running over classify's own output replaces it, whatever options the earlier run
    had; a column added to it, or a workbook saved since in Excel, is an analyst's work."""
    import csv

    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    out, book = tmp_path / "o.csv", tmp_path / "o.xlsx"
    assert classify_main([str(src), "-o", str(out), "--top-k", "5", "-q"]) == 0
    assert classify_main([str(src), "-o", str(out)]) == 0  # fewer label columns: still ours
    assert "note: replaced the earlier" in capsys.readouterr().err
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("担当メモ")
    rows[1].append("要確認")
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = out.read_bytes()
    assert classify_main([str(src), "-o", str(out)]) == 2
    assert "has column(s) this run does not write (担当メモ)" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert classify_main([str(src), "-o", str(book), "-q"]) == 0
    wb = load_workbook(book)
    wb.active.cell(2, 1).value = "直した"
    wb.save(book)  # as Excel saves: the time of saving
    assert classify_main([str(src), "-o", str(book)]) == 2
    assert "was saved by another program (such as Excel)" in capsys.readouterr().err
    assert classify_main([str(src), "-o", str(book), "--force", "-q"]) == 0


def test_a_filled_in_review_sheet_is_never_replaced_without_force(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    review = tmp_path / "review.xlsx"
    args = [str(src), "--review", str(review), "-q"]
    assert classify_main(args) == 0
    assert classify_main(args) == 0  # nobody has written in it yet: replaced
    wb = load_workbook(review)
    ws = wb.active
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("comment") + 1, "所管課に確認済み")
    ws.cell(3, header.index("accepted_label") + 1, "(2)③ⅰ")
    wb.save(review)
    reviewed = review.read_bytes()
    capsys.readouterr()
    assert classify_main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: --review {review} already exists and holds an analyst's accepted_label "
        f"or comment in 2 rows, which would be lost; choose another file name, or pass "
        f"--force to replace it\n"
    )
    assert review.read_bytes() == reviewed
    assert classify_main([*args, "--force"]) == 0
    ws = load_workbook(review).active
    header = [c.value for c in ws[1]]
    column = header.index("accepted_label") + 1
    assert [ws.cell(r, column).value for r in range(2, ws.max_row + 1)] == [None] * 4


@pytest.mark.parametrize(("name", "fmt"), [("x.xlsx", "csv"), ("x.csv", "tsv"), ("x.tsv", "xlsx")])
def test_an_output_named_for_another_format_is_refused(tmp_path, capsys, name, fmt):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    out = tmp_path / name
    assert classify_main([str(src), "-o", str(out), "--output-format", fmt]) == 2
    named = name.rsplit(".", 1)[1].upper()
    assert capsys.readouterr().err == (
        f"error: -o {out} names a {named} file but --output-format is {fmt}; leave "
        f"--output-format out, or name the file .{fmt}\n"
    )
    assert not out.exists()
    # A name that says no format is the user's choice.
    assert classify_main([str(src), "-o", str(tmp_path / "x.out"), "--output-format", fmt]) == 0


def test_bad_model_folder(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    assert classify_main([str(src), "--model", str(tmp_path / "nomodel")]) == 2
    assert "train one with" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    card = json.loads((ROOT / "models" / "r3" / "model_card.json").read_text(encoding="utf-8"))
    (broken / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    for name in ("model.json", "model.npz"):
        (broken / name).write_bytes((ROOT / "models" / "r3" / name).read_bytes()[:1000])
    assert classify_main([str(src), "--model", str(broken)]) == 2
    assert "damaged" in capsys.readouterr().err
    card["environment"]["sudachipy"] = "0.1.0"
    (broken / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    assert classify_main([str(src), "--model", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "other versions" in err and "retrain" in err


def test_deterministic_output(tmp_path):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    assert classify_main([str(src), "-o", str(tmp_path / "a.csv"), "-q"]) == 0
    assert classify_main([str(src), "-o", str(tmp_path / "b.csv"), "-q"]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_help_has_example(capsys):
    assert classify_main(["--help"]) == 0
    assert "examples:" in capsys.readouterr().out


def test_scope_threshold_option(tmp_path, capsys):
    """--scope-threshold: out of range is refused before anything is written; a given one is
    said in a note beside the model's own, and decides the out_of_scope rows."""
    src = tmp_path / "in.csv"
    _write_csv(src, ROWS)
    out = tmp_path / "out.csv"
    for bad in ("-0.1", "1.5"):
        assert classify_main([str(src), "-o", str(out), "--scope-threshold", bad]) == 2
        err = capsys.readouterr().err
        assert err == "error: --scope-threshold must be between 0 and 1\n"
        assert not out.exists()
    assert classify_main([str(src), "-o", str(out), "--scope-threshold", "1"]) == 0
    err = capsys.readouterr().err
    note = (
        "note: rows are out_of_scope below in_scope 1 (--scope-threshold; the model's own "
        "threshold is 0.5)\n"
    )
    assert note in err
    body = _read_csv(out)[1:]
    in_scope = len(HEADER) + ADDED.index("in_scope")
    for row in body:
        if row[in_scope]:  # (row 003 has no text: empty_text)
            assert (row[STATUS] == "out_of_scope") == (float(row[in_scope]) < 1.0)
    assert [r[STATUS] for r in body].count("empty_text") == 1
    assert classify_main([str(src), "-o", str(out), "--force"]) == 0
    assert "--scope-threshold" not in capsys.readouterr().err  # no note by default


def test_a_folder_is_named_a_folder_as_input_and_as_output(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    assert classify_main([str(folder)]) == 2
    assert capsys.readouterr().err == f"error: {folder}: is a folder, not a file\n"
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    assert classify_main([str(src), "-o", str(folder)]) == 2
    assert capsys.readouterr().err == f"error: -o {folder} is a folder; give a file name\n"


def test_the_summary_line_names_the_model_the_review_sheet_and_the_clamped_top_k(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    out, review = tmp_path / "o.csv", tmp_path / "review.xlsx"
    argv = [str(src), "-o", str(out), "--review", str(review), "--top-k", "40", "--level", "area"]
    assert classify_main(argv) == 0
    lines = capsys.readouterr().err.splitlines()
    assert " with model " in lines[0] and "models/r3" in lines[0]
    assert lines[0].endswith(f"-> {out}, review sheet -> {review}")
    assert lines[1] == "note: --top-k 40 is more than the 5 labels at area level: all 5 are listed"
    header = _read_csv(out)[0]
    assert "label_5" in header and "label_6" not in header  # no empty columns past the last


def test_a_header_without_rows_says_so(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, [])
    assert classify_main([str(src), "-o", str(tmp_path / "o.csv")]) == 0
    assert "classified 0 rows in " in (err := capsys.readouterr().err) and "(no rows)" in err
    assert _read_csv(tmp_path / "o.csv") == [HEADER + ADDED]


def test_a_text_column_of_numbers_only_is_questioned(tmp_path, capsys):
    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    assert classify_main([str(src), "-o", str(tmp_path / "o.csv"), "--text-column", "要求額"]) == 0
    assert (
        "note: no row of 要求額 holds a word, only numbers or symbols: is that the request "
        "text? (--text-column names it)"
    ) in capsys.readouterr().err
    assert classify_main([str(src), "-o", str(tmp_path / "o2.csv")]) == 0
    assert "holds a word" not in capsys.readouterr().err


def test_rows_with_fewer_fields_than_the_header_are_read_and_counted(tmp_path, capsys):
    src = tmp_path / "r.csv"
    src.write_text("事業名,事業概要\n監視,政府機関の監視\nC\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert classify_main([str(src), "-o", str(out)]) == 0
    assert (
        f"note: {src}: 1 row with fewer fields than the header (their missing cells were "
        "read as empty)"
    ) in capsys.readouterr().err
    assert [r[:2] for r in _read_csv(out)[1:]] == [["監視", "政府機関の監視"], ["C", ""]]


def test_an_xlsm_output_name_is_refused(tmp_path, capsys):
    """A workbook without macros named .xlsm is one Excel will not open: refused before
    anything is written (an .xlsm input is read as usual)."""
    src = tmp_path / "in.csv"
    _write_csv(src, ROWS)
    out = tmp_path / "out.xlsm"
    assert classify_main([str(src), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err == f"error: -o {out}: the output is a workbook without macros; name it .xlsx\n"
    )
    assert not out.exists()
    review = tmp_path / "review.xlsm"
    assert classify_main([str(src), "-o", str(tmp_path / "o.csv"), "--review", str(review)]) == 2
    assert capsys.readouterr().err == (
        "error: --review writes an Excel workbook (with a drop-down of valid labels); name it "
        ".xlsx, not review.xlsm\n"
    )
    assert not review.exists() and not (tmp_path / "o.csv").exists()


def _keep_document_time(book, core: bytes) -> None:
    """Put the tool's own document properties back into a workbook openpyxl re-saved: a
    program that keeps them (or an edit of the XML) leaves only the columns to tell."""
    import zipfile

    parts = {}
    with zipfile.ZipFile(book) as zf:
        for name in zf.namelist():
            parts[name] = core if name == "docProps/core.xml" else zf.read(name)
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("renamed", [("comment", "コメント"), ("accepted_label", "Accepted Label")])
def test_a_review_sheet_with_a_renamed_entry_column_filled_in_is_not_replaced(
    tmp_path, capsys, renamed
):
    import zipfile

    src = tmp_path / "r.csv"
    _write_csv(src, ROWS)
    review = tmp_path / "review.xlsx"
    args = [str(src), "--review", str(review), "-q"]
    assert classify_main(args) == 0
    with zipfile.ZipFile(review) as zf:
        core = zf.read("docProps/core.xml")
    wb = load_workbook(review)
    ws = wb.active
    header = [c.value for c in ws[1]]
    column = header.index(renamed[0]) + 1
    ws.cell(1, column, renamed[1])
    ws.cell(2, column, "(2)③ⅰ" if renamed[0] == "accepted_label" else "所管課に確認済み")
    wb.save(review)
    _keep_document_time(review, core)
    reviewed = review.read_bytes()
    capsys.readouterr()
    assert classify_main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --review {review} already exists and ")
    assert review.read_bytes() == reviewed
