"""Files as Excel users make them, end to end: nothing lost, no option needed.

Each test writes a file the way Excel (or a tool feeding it) does — a stale dimension, a
stray quote, blank and title rows, headers with notes, formulas never calculated, hidden
sheets, CP932 re-saves — and runs the real commands on it (``classify_main``,
``train_main``, ``build_corpus_main``, ``show_results_main``, ``evaluate_main``). Unit
tests of the readers and writers are in ``test_tables_*.py``; the output guard, signals,
full disks and model cards in ``test_safety.py``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from classifier.cli import build_corpus_main, evaluate_main, show_results_main, train_main
from classifier.corpus import read_summary_map, read_thesaurus
from classifier.dataset import read_labelled
from classifier.labels import parse_labels
from classifier.revision import read_crosswalk
from classifier.tables import write as write_mod

from .helpers import (
    ADDED,
    MODEL_DIR,
    R3_DIR,
    ROOT,
    STATUSES,
    check_added,
    committed_model_loaded_once,
    load_committed_model,
    part_files,
    read_csv_output,
    read_jsonl_output,
    read_xlsx_values,
    run_classify,
    tiny_policy,
)

LOCAL = "市町村の情報セキュリティ対策を支援する。"  # → (2)②ⅲ, certainly
UNIVERSITY = "大学における専門人材の教育を充実する。"
GOVERNMENT = "政府機関の情報システムの監視体制を強化する。"
ROAD = "道路橋の長寿命化修繕を行う。"


@pytest.fixture(autouse=True)
def _model_once(monkeypatch):
    """The committed model loaded once for classify and evaluate (the real loader for
    any other folder)."""
    from classifier import store
    from classifier.commands import evaluate as evaluate_mod

    def load_model(model_dir, corpus_dir=None, root=None):
        if Path(model_dir).resolve() != MODEL_DIR.resolve():
            return store.load_model(model_dir, corpus_dir, root)
        model, card = load_committed_model(None)
        return model, dict(card)

    monkeypatch.setattr(evaluate_mod, "load_model", load_model)
    with committed_model_loaded_once():
        yield


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path: Path, rows: list[list], title: str = "一覧") -> Path:
    wb = Workbook()
    wb.active.title = title
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _ok(argv) -> str:
    rc, err = run_classify(argv)
    assert rc == 0, err
    return err


def _fails(argv) -> str:
    """Exit 2 with one ``error:`` line (no traceback); returns the message."""
    rc, err = run_classify(argv)
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _status(row: list) -> str:
    return row[len(row) - len(ADDED) + ADDED.index("status")]


def _col(table: list[list], name: str) -> list:
    i = table[0].index(name)
    return [r[i] for r in table[1:]]


# ================================================================ 1. a stale <dimension>


def _stale(data: bytes, ref: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content, n = re.subn(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), content
                )
                assert n == 1
            dst.writestr(info, content)
    return buf.getvalue()


@pytest.mark.parametrize("out_ext", ["csv", "xlsx"])
def test_stale_dimension_loses_no_row_or_column(tmp_path, out_ext):
    rows = [
        [1, "自治体", LOCAL, "総務省", 100],
        [2, "大学", UNIVERSITY, "文部科学省", 200],
        [3, "監視", GOVERNMENT, "内閣官房", 300],
        [4, "道路", ROAD, "国土交通省", 400],
        [5, "研修", "中小企業の経営層に向けた研修を実施する。", "経済産業省", 500],
    ]
    buf = io.BytesIO()
    wb = Workbook()
    for row in [["番号", "事業名", "事業概要", "府省庁", "要求額"], *rows]:
        wb.active.append(row)
    wb.save(buf)
    src = tmp_path / "stale.xlsx"
    src.write_bytes(_stale(buf.getvalue(), "A1:B2"))
    out = tmp_path / f"o.{out_ext}"
    _ok([src, "-o", out, "-q"])
    if out_ext == "csv":
        table = read_csv_output(out)
        rows = [[str(c) for c in r] for r in rows]
    else:
        table = [list(r) for r in read_xlsx_values(out)]
    assert table[0] == ["番号", "事業名", "事業概要", "府省庁", "要求額", *ADDED]
    assert [r[:5] for r in table[1:]] == rows  # 5 rows in, 5 out, every column
    assert _col(table, "label_1")[0] == "(2)②ⅲ"


# ================================================================ 2. a stray quote


def test_stray_quote_is_one_error_row_and_the_rest_are_rows(tmp_path):
    src = _write(
        tmp_path / "q.csv",
        f'id,text\r\n1,{LOCAL}\r\n2,"{UNIVERSITY}\r\n3,{GOVERNMENT}\r\n4,{ROAD}\r\n',
    )
    out = tmp_path / "o.csv"
    _ok([src, "-o", out, "-q"])
    body = read_csv_output(out)[1:]
    assert [r[0] for r in body] == ["1", "2", "3", "4"]  # four lines, four rows
    statuses = [check_added(r[2:], well_formed=False) for r in body]
    assert statuses[1].startswith("error: ") and "line 3" in statuses[1]
    assert body[1][1].startswith(UNIVERSITY)
    assert statuses[0] in STATUSES and statuses[2] in STATUSES and statuses[3] in STATUSES
    assert [r[1] for r in body[2:]] == [GOVERNMENT, ROAD]
    assert _col(read_csv_output(out), "label_1")[2].startswith("(2)③")  # classified again


# ================================================================ 3. blank rows


BLANK_ROWS = {
    "csv": lambda p: _write(p, f"id,text\n1,{LOCAL}\n\n,\n2,{ROAD}\n\n\n"),
    "xlsx": lambda p: _xlsx(p, [["id", "text"], [1, LOCAL], [], [None, " "], [2, ROAD], [], []]),
    "jsonl": lambda p: _write(
        p,
        json.dumps({"id": 1, "text": LOCAL})
        + "\n\n\n"
        + json.dumps({"id": 2, "text": ROAD})
        + "\n\n",
    ),
}


@pytest.mark.parametrize("fmt", list(BLANK_ROWS))
def test_blank_rows_between_rows_are_empty_text_rows(tmp_path, fmt):
    src = BLANK_ROWS[fmt](tmp_path / f"b.{fmt}")
    out = tmp_path / "o.csv"
    _ok([src, "-o", out, "-q"])
    body = read_csv_output(out)[1:]
    # The two blank rows between stay in place (results pasted beside the source line
    # up); the ones after the last row are not rows.
    assert [r[0] for r in body] == ["1", "", "", "2"]
    assert [check_added(r[2:]) for r in body][1:3] == ["empty_text", "empty_text"]
    assert _status(body[0]) == "ok" and _status(body[3]) == "out_of_scope"


# ================================================================ 4. JSONL keys and duplicate names


@pytest.mark.parametrize("out_ext", ["csv", "xlsx"])
def test_jsonl_keys_missing_from_the_first_object_are_kept(tmp_path, out_ext):
    lines = [
        {"id": 1, "text": LOCAL},
        {"id": 2, "text": UNIVERSITY, "府省庁": "文部科学省"},
        {"要求額": 300, "text": GOVERNMENT, "id": 3},
    ]
    src = _write(
        tmp_path / "k.jsonl", "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in lines)
    )
    out = tmp_path / f"o.{out_ext}"
    _ok([src, "-o", out, "-q"])
    table = read_csv_output(out) if out_ext == "csv" else [list(r) for r in read_xlsx_values(out)]
    assert table[0][:4] == ["id", "text", "府省庁", "要求額"]  # union, first-appearance order
    empty = "" if out_ext == "csv" else None
    got = [r[:4] for r in table[1:]]
    if out_ext == "csv":
        assert got == [
            ["1", LOCAL, "", ""],
            ["2", UNIVERSITY, "文部科学省", ""],
            ["3", GOVERNMENT, "", "300"],
        ]
    else:
        assert got == [
            [1, LOCAL, empty, empty],
            [2, UNIVERSITY, "文部科学省", empty],
            [3, GOVERNMENT, empty, 300],
        ]


@pytest.mark.parametrize("out_ext", ["csv", "jsonl"])
def test_duplicate_column_names_are_kept_and_the_first_is_classified(tmp_path, out_ext):
    src = _write(tmp_path / "d.csv", f"id,text,text\r\n1,{LOCAL},{ROAD}\r\n2,{ROAD},{LOCAL}\r\n")
    out = tmp_path / f"o.{out_ext}"
    _ok([src, "-o", out, "-q"])
    if out_ext == "csv":
        table = read_csv_output(out)
        assert table[0][:3] == ["id", "text", "text.2"]
        records = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    else:
        records = read_jsonl_output(out)
        assert list(records[0])[:3] == ["id", "text", "text.2"]
    assert [(r["text"], r["text.2"]) for r in records] == [(LOCAL, ROAD), (ROAD, LOCAL)]
    # The first text column is the one classified: the same as a file with it alone.
    alone = _write(tmp_path / "alone.csv", f"id,text\r\n1,{LOCAL}\r\n2,{ROAD}\r\n")
    _ok([alone, "-o", tmp_path / "alone.o.csv", "-q"])
    single = read_csv_output(tmp_path / "alone.o.csv")
    for name in ("label_1", "confidence_1", "status", "evidence_1"):
        assert [str(r[name]) for r in records] == _col(single, name), name
    assert [r["label_1"] for r in records] == ["(2)②ⅲ", records[1]["label_1"]]
    assert records[1]["status"] == "out_of_scope"


# ================================================================ 5. a formula never calculated


def test_formula_without_a_value_is_never_read_as_empty(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "text"])
    ws.append(["a", None])
    ws["B2"] = '=A2&"x"'
    ws.append(["b", LOCAL])
    src = tmp_path / "f.xlsx"
    wb.save(src)
    out = tmp_path / "o.csv"
    _ok([src, "-o", out, "-q"])
    body = read_csv_output(out)[1:]
    assert body[0][1] == "'" + '=A2&"x"'  # the formula kept (as text Excel will not run)
    status = check_added(body[0][2:], well_formed=False)
    assert status.startswith("error: ") and '=A2&"x"' in status
    assert status != "empty_text"
    assert _status(body[1]) == "ok"


def test_an_uncalculated_amount_formula_does_not_stop_classification(tmp_path):
    """Only a text cell holding an uncalculated formula makes its row an error (its text
    cannot be known); an amount keeps the formula text and the row is classified."""
    wb = Workbook()
    wb.active.append(["id", "text", "要求額"])
    wb.active.append([1, LOCAL, None])
    wb.active["C2"] = "=SUM(100,200)"
    src = tmp_path / "f.xlsx"
    wb.save(src)
    out = tmp_path / "o.csv"
    _ok([src, "-o", out, "-q"])
    table = read_csv_output(out)
    assert _col(table, "status") == ["ok"]
    assert _col(table, "要求額") == ["'=SUM(100,200)"]  # kept, as text Excel will not run
    assert _col(table, "label_1") == ["(2)②ⅲ"]


# ================================================================ 6. more rows than Excel shows


def test_xlsx_output_beyond_excel_rows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(write_mod, "EXCEL_MAX_ROWS", 4)  # header + 3 rows
    src = _write(tmp_path / "r.csv", "id,text\n" + "".join(f"{i},{LOCAL}\n" for i in range(3)))
    _ok([src, "-o", tmp_path / "fits.xlsx", "-q"])
    assert len(read_xlsx_values(tmp_path / "fits.xlsx")) == 4
    src.write_text("id,text\n" + "".join(f"{i},{LOCAL}\n" for i in range(4)), encoding="utf-8")
    out = tmp_path / "o.xlsx"
    message = _fails([src, "-o", out, "-q"])
    assert "Excel shows at most 4 rows" in message and "CSV" in message
    assert not out.exists() and not part_files(tmp_path)


# ================================================================ 7. title rows above the header


TITLED = [
    ["令和6年度 概算要求 サイバーセキュリティ関係経費"],
    ["（単位：千円）"],
    [],
    ["番号", "事業名", "事業概要", "要求額"],
    [1, "自治体セキュリティ", LOCAL, 100],
    [2, "大学の人材", UNIVERSITY, 200],
    [3, "道路", ROAD, 300],
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_title_rows_above_the_header_are_skipped_and_said(tmp_path, fmt):
    src = tmp_path / f"t.{fmt}"
    if fmt == "csv":
        _write(src, "\r\n".join(",".join(map(str, r)) for r in TITLED) + "\r\n", "cp932")
    else:
        _xlsx(src, TITLED)
    out = tmp_path / "o.csv"
    err = _ok([src, "-o", out])
    assert f"note: {src}: the header is row 4; the 3 rows above it were skipped" in err
    assert "classified 3 rows" in err
    table = read_csv_output(out)
    assert table[0][:4] == ["番号", "事業名", "事業概要", "要求額"]
    assert [r[0] for r in table[1:]] == ["1", "2", "3"]
    assert _col(table, "label_1")[:2] == ["(2)②ⅲ", "(2)④"]
    # Saying where the header is gives the same result.
    _ok([src, "-o", tmp_path / "given.csv", "-q", "--header-row", "4"])
    assert read_csv_output(tmp_path / "given.csv") == table


def test_header_row_overrides_a_wrong_guess_and_a_leading_blank_line_is_fine(tmp_path):
    # Two title cells over two columns look like a header: --header-row says otherwise.
    src = _write(tmp_path / "t.csv", f"概算要求一覧,令和6年度\r\nid,text\r\n1,{LOCAL}\r\n")
    assert "cannot tell which column holds the request text" in _fails([src, "-q"])
    out = tmp_path / "o.csv"
    _ok([src, "--header-row", "2", "-o", out, "-q"])
    assert [r[:2] for r in read_csv_output(out)] == [["id", "text"], ["1", LOCAL]]
    blank = _write(tmp_path / "b.csv", f"\r\nid,text\r\n1,{LOCAL}\r\n")
    err = _ok([blank, "-o", tmp_path / "b.o.csv"])
    assert "the header is row 2; the row above it was skipped" in err
    assert _col(read_csv_output(tmp_path / "b.o.csv"), "label_1") == ["(2)②ⅲ"]


# ================================================================ 8. header notes; columns by place


@pytest.mark.parametrize(
    "name", ["事業概要\n（200字以内）", "事業概要（200字以内）", "事業の概要", "事業概要 (必須)"]
)
def test_header_with_a_line_break_or_a_note_is_the_text_column(tmp_path, name):
    src = _xlsx(
        tmp_path / "h.xlsx", [["番号", name, "備考"], [1, LOCAL, "x"], [2, UNIVERSITY, "y"]]
    )
    out = tmp_path / "o.csv"
    err = _ok([src, "-o", out])
    # The summary line stays one line: a line break in the name is shown as a space.
    summary = err.splitlines()[0]
    assert summary.startswith("classified 2 rows")
    assert f"text from {name.replace(chr(10), ' ')} -> " in summary
    table = read_csv_output(out)
    assert table[0][:3] == ["番号", name, "備考"]  # the name is kept as written
    assert _col(table, "label_1") == ["(2)②ⅲ", "(2)④"]


@pytest.mark.parametrize("wanted", ["2", "B", "b", "text"])
def test_text_column_by_position_or_excel_letter(tmp_path, wanted):
    src = _write(tmp_path / "p.csv", f"memo,text,備考\r\n{ROAD},{LOCAL},{UNIVERSITY}\r\n")
    out = tmp_path / "o.csv"
    err = _ok([src, "-o", out, "--text-column", wanted])
    assert "text from text -> " in err
    assert _col(read_csv_output(out), "label_1") == ["(2)②ⅲ"]


# ================================================================ 9. tables re-saved by Excel


def _excel_resave(src: Path, dst: Path, edit=None) -> Path:
    """``src`` as Excel's 'CSV (comma delimited)' saves it: CP932, CRLF, no BOM."""
    with open(src, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if edit:
        rows = edit(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    dst.write_bytes(buf.getvalue().encode("cp932"))
    return dst


def test_thesaurus_and_summary_map_resaved_by_excel_read_the_same(tmp_path):
    thesaurus = _excel_resave(ROOT / "corpus" / "thesaurus.csv", tmp_path / "thesaurus.csv")
    assert b"\r\n" in thesaurus.read_bytes() and not thesaurus.read_bytes().startswith(b"\xef")
    assert read_thesaurus(thesaurus) == read_thesaurus(ROOT / "corpus" / "thesaurus.csv")
    assert len(read_thesaurus(thesaurus)) > 100
    summary = _excel_resave(R3_DIR / "summary_map.csv", tmp_path / "summary_map.csv")
    assert read_summary_map(summary) == read_summary_map(R3_DIR / "summary_map.csv")


def test_build_corpus_with_a_summary_map_resaved_by_excel(tmp_path, capsys):
    summary = _excel_resave(R3_DIR / "summary_map.csv", tmp_path / "map.csv")
    out = tmp_path / "r3"
    rc = build_corpus_main(
        [
            str(R3_DIR / "source.txt"),
            "--policy-id",
            "r3",
            "--out",
            str(out),
            "--summary-map",
            str(summary),
            "-q",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert "bug in the tool" not in capsys.readouterr().err
    for name in ("summary.jsonl", "clauses.jsonl"):
        assert (out / name).read_bytes() == (R3_DIR / name).read_bytes(), name


@pytest.mark.parametrize("reviewed", ["はい", "○", "済み", "yes", "YES", "1", " yes "])
def test_crosswalk_reviewed_marks_and_full_width_labels(tmp_path, reviewed):
    policy = tiny_policy("t2")
    path = tmp_path / "crosswalk_from_t1.csv"
    rows = [
        ["old_label", "new_label", "proposal", "reviewed", "comment"],
        ["(1)①", "（１）②", "mapped", reviewed, "全角で修正"],
        ["（２）①ⅱ", "(2)①ⅰ", "mapped", reviewed, ""],
        ["(1)②", "", "removed", reviewed, ""],
        ["(2)①ⅰ", "(2)①ⅱ", "mapped", "", "まだ"],
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp932"))
    crosswalk = read_crosswalk(path, policy)
    assert crosswalk.mapping == {"(1)①": "(1)②", "(2)①ⅱ": "(2)①ⅰ", "(1)②": None}
    assert crosswalk.unreviewed == ("(2)①ⅰ",)


def test_two_labels_separated_by_the_japanese_comma():
    assert parse_labels("(2)③、(4)①") == ("(2)③", "(4)①")
    assert parse_labels("（２）③、（４）①") == ("(2)③", "(4)①")
    assert parse_labels("(2)③；(4)①") == ("(2)③", "(4)①")


@pytest.fixture
def revised_project(tmp_path, monkeypatch):
    """A scratch project with policy r4 (derived as in test_revision_cycle)."""
    from .test_revision_cycle import derive_revision

    shutil.copytree(ROOT / "corpus", tmp_path / "corpus", ignore=shutil.ignore_patterns("rs2024"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))
    source = tmp_path / "r4_policy.txt"
    source.write_text(
        derive_revision((R3_DIR / "source.txt").read_text(encoding="utf-8")), encoding="utf-8"
    )
    assert build_corpus_main([str(source), "--policy-id", "r4", "--out", "corpus/r4", "-q"]) == 0
    return tmp_path


def _train_r4(capsys, *extra: str) -> str:
    capsys.readouterr()
    labelled = "corpus/labelled/requests.csv"
    rc = train_main(["--policy", "r4", "--no-default-labelled", "--labelled", labelled, *extra])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "bug in the tool" not in err and "warning" not in err, err
    return err


def test_train_reads_a_crosswalk_and_thesaurus_resaved_by_excel(revised_project, capsys):
    """The reviewed crosswalk as Excel re-saves it (CP932, CRLF, no BOM), reviewed marks
    はい ○ 済み yes 1, new labels typed full-width; the thesaurus re-saved the same way.
    Training gives the very model that the plain UTF-8 files (all marked yes) give."""
    from classifier.cli import revise_main

    assert revise_main(["crosswalk", "--old", "r3", "--new", "r4"]) == 0
    path = revised_project / "corpus" / "r4" / "crosswalk_from_r3.csv"
    marks = ["はい", "○", "済み", "yes", "1"]
    full_width = str.maketrans("()0123456789", "（）０１２３４５６７８９")

    def mark(rows, excel: bool):
        head = rows[0]
        new, done = head.index("new_label"), head.index("reviewed")
        for i, r in enumerate(rows[1:]):
            r[done] = marks[i % len(marks)] if excel else "yes"
            if excel:
                r[new] = r[new].translate(full_width)
        return rows

    reference = revised_project / "reference.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = mark(list(csv.reader(fh)), excel=False)
    with open(reference, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    _excel_resave(path, path, lambda rows: mark(rows, excel=True))
    assert "（２）⑤".encode("cp932") in path.read_bytes() and b"\r\n" in path.read_bytes()
    thesaurus = _excel_resave(ROOT / "corpus" / "thesaurus.csv", revised_project / "th.csv")

    plain = _train_r4(capsys, "--crosswalk", str(reference), "--out", "models/plain")
    excel = _train_r4(capsys, "--thesaurus", str(thesaurus))
    carried = [line for line in excel.splitlines() if line.startswith("carried over from r3")]
    assert len(carried) == 1 and carried == [
        line for line in plain.splitlines() if line.startswith("carried over from r3")
    ]
    for name in ("model.json", "model.npz"):
        made = (revised_project / "models" / "r4" / name).read_bytes()
        assert made == (revised_project / "models" / "plain" / name).read_bytes(), name
    state = json.loads((revised_project / "models" / "r4" / "model.json").read_text("utf-8"))
    pairs = {tuple(p) for p in state["tokenizer_settings"]["thesaurus"]}
    assert pairs == set(read_thesaurus(ROOT / "corpus" / "thesaurus.csv"))


# ================================================================ 10. a hidden first sheet


def test_hidden_first_sheet_is_skipped_with_a_note(tmp_path):
    wb = Workbook()
    hidden = wb.active
    hidden.title = "設定"
    hidden.append(["key", "value"])
    hidden.append(["年度", "令和6"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("一覧")
    ws.append(["id", "text"])
    ws.append([1, LOCAL])
    src = tmp_path / "h.xlsx"
    wb.save(src)
    out = tmp_path / "o.csv"
    err = _ok([src, "-o", out])
    assert (
        "note: read sheet '一覧' (the file has 2: 設定, 一覧; 1 hidden; choose with --sheet)" in err
    )
    table = read_csv_output(out)
    assert table[0][:2] == ["id", "text"] and table[1][:2] == ["1", LOCAL]
    assert _col(table, "label_1") == ["(2)②ⅲ"]


# ================================================================ 11. mostly UTF-8


def test_mostly_utf8_file_with_two_stray_cp932_bytes(tmp_path):
    good = [LOCAL, UNIVERSITY, GOVERNMENT, "重要インフラ事業者の演習を実施する。"]
    data = (
        ("id,text\r\n" + "".join(f"{i},{t}\r\n" for i, t in enumerate(good[:2], 1))).encode()
        + b"3,"
        + "監視".encode("cp932")[:1]
        + GOVERNMENT.encode()
        + b"\r\n"
    )
    data += b"4," + "表".encode("cp932")[:1] + b"\r\n" + f"5,{good[3]}\r\n".encode()
    src = tmp_path / "m.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    err = _ok([src, "-o", out])
    assert "read as UTF-8 though some bytes are not (their rows are marked)" in err
    body = read_csv_output(out)[1:]
    assert [r[0] for r in body] == ["1", "2", "3", "4", "5"]
    assert [body[i][1] for i in (0, 1, 4)] == [good[0], good[1], good[3]]  # Japanese intact
    for i in (2, 3):
        status = check_added(body[i][2:], well_formed=False)
        assert status.startswith("error: ") and "not UTF-8" in status
    assert [_status(body[i]) for i in (0, 1, 4)] == ["ok", "ok", "ok"]
    assert body[2][1].endswith(GOVERNMENT)


# ================================================================ 12. formula cells in CSV output


RISKY = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx"]
PLAIN = ["-5", "+3.5"]


def _risky_input(tmp_path: Path) -> Path:
    rows = [[str(i), LOCAL, cell] for i, cell in enumerate(RISKY + PLAIN, 1)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([["id", "text", "memo"], *rows])
    return _write(tmp_path / "risky.csv", buf.getvalue())


def test_csv_output_neutralises_formula_cells(tmp_path):
    src = _risky_input(tmp_path)
    out = tmp_path / "o.csv"
    _ok([src, "-o", out, "-q"])
    table = read_csv_output(out)
    assert _col(table, "memo") == ["'" + c for c in RISKY] + PLAIN
    # No cell anywhere in the file is one Excel would run.
    for row in table:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or cell in PLAIN, cell
    _ok([src, "-o", tmp_path / "raw.csv", "-q", "--keep-formulas"])
    assert _col(read_csv_output(tmp_path / "raw.csv"), "memo") == RISKY + PLAIN


def test_xlsx_output_keeps_formula_cells_as_text(tmp_path):
    src = _risky_input(tmp_path)
    out = tmp_path / "o.xlsx"
    _ok([src, "-o", out, "-q"])
    ws = load_workbook(out)["classified"]
    header = [c.value for c in ws[1]]
    memo = [row[header.index("memo")] for row in ws.iter_rows(min_row=2)]
    assert [c.value for c in memo] == RISKY + PLAIN
    assert {c.data_type for c in memo} == {"s"}  # text, never a formula


# ================================================================ 13. characters CP932 cannot hold


def test_cp932_output_names_the_character_or_replaces_it(tmp_path):
    rows = [("1", LOCAL, "㈱㍻"), ("2", UNIVERSITY, "𠮷野家"), ("3", GOVERNMENT, "🙂㍿")]
    # By hand: ㈱ and ㍻ are NEC specials CP932 has; 𠮷 (U+20BB7), 🙂 and ㍿ (U+337F, the
    # JIS X 0213 square 株式会社; CP932 0x878D is ㍾) are not.
    assert "㈱㍻".encode("cp932") == b"\x87\x8a\x87\x7e"
    src = _write(
        tmp_path / "e.csv", "id,text,memo\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    )
    out = tmp_path / "o.csv"
    message = _fails([src, "-o", out, "--output-encoding", "cp932"])
    assert str(out) in message
    assert (
        "'𠮷' (U+20BB7)" in message and "cp932" in message and "--output-errors replace" in message
    )
    assert re.search(r"\brow \d+\b", message)
    assert not out.exists() and not part_files(tmp_path)
    err = _ok([src, "-o", out, "--output-encoding", "cp932", "--output-errors", "replace"])
    assert "note: 3 characters cp932 cannot hold were written as 〓" in err
    with open(out, encoding="cp932", newline="") as fh:
        table = list(csv.reader(fh))
    assert _col(table, "memo") == ["㈱㍻", "〓野家", "〓〓"]
    assert _col(table, "label_1")[0] == "(2)②ⅲ"


@pytest.mark.parametrize("title_rows", [0, 2])
def test_cp932_error_names_the_row_as_excel_numbers_it(tmp_path, title_rows):
    """The row named is the input's row as Excel numbers it (header row 1, so the third
    data row is row 4; title rows above the header push it down), as label warnings do."""
    titles = "令和6年度 概算要求一覧\r\n（単位：千円）\r\n" if title_rows else ""
    src = _write(
        tmp_path / "e.csv",
        titles + f"id,text,memo\r\n1,{LOCAL},ok\r\n2,{LOCAL},ok\r\n3,{LOCAL},𠮷\r\n",
    )
    out = tmp_path / "o.csv"
    message = _fails([src, "-o", out, "--output-encoding", "cp932"])
    assert f"{src} row {4 + title_rows}: the character '𠮷'" in message, message
    assert str(out) in message and not out.exists()


# ================================================================ 14. XLSX output as Excel opens it


def test_xlsx_output_is_byte_identical_and_ready_to_filter(tmp_path):
    src = _write(tmp_path / "r.csv", f"id,text\r\n1,{LOCAL}\r\n2,{UNIVERSITY}\r\n3,{ROAD}\r\n")
    _ok([src, "-o", tmp_path / "a.xlsx", "--review", tmp_path / "ra.xlsx", "-q"])
    _ok([src, "-o", tmp_path / "b.xlsx", "--review", tmp_path / "rb.xlsx", "-q"])
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert (tmp_path / "ra.xlsx").read_bytes() == (tmp_path / "rb.xlsx").read_bytes()
    ws = load_workbook(tmp_path / "a.xlsx")["classified"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{chr(ord('A') + 2 + len(ADDED) - 1)}4"
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert len(widths) == 2 + len(ADDED) and widths["B"] == 40  # the text column is wide
    review = load_workbook(tmp_path / "ra.xlsx")
    sheet = review["classified"]
    header = [c.value for c in sheet[1]]
    letter = chr(ord("A") + header.index("accepted_label"))
    (dv,) = sheet.data_validations.dataValidation
    labels = [r[0] for r in review["labels"].iter_rows(min_row=2, values_only=True)]
    assert dv.type == "list" and str(dv.sqref) == f"{letter}2:{letter}4"
    assert dv.formula1 == f"='labels'!$A$2:$A${len(labels) + 1}"
    assert labels[-1] == "NONE" and "(2)②ⅲ" in labels


# ================================================================ 15. the review sheet


def test_review_must_be_an_excel_file(tmp_path):
    src = _write(tmp_path / "r.csv", f"id,text\n1,{LOCAL}\n")
    message = _fails([src, "--review", tmp_path / "r.review.csv"])
    assert ".xlsx" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_item_level_review_proposes_targets_that_train_accepts(tmp_path, capsys):
    src = _write(tmp_path / "r.csv", f"id,text\n1,{LOCAL}\n2,{UNIVERSITY}\n3,{GOVERNMENT}\n")
    review = tmp_path / "review.xlsx"
    _ok([src, "-o", tmp_path / "o.csv", "--level", "item", "--review", review, "-q"])
    assert _col(read_csv_output(tmp_path / "o.csv"), "label_1")[0] == "(2)②"  # an item
    with open(R3_DIR / "clauses.csv", encoding="utf-8-sig", newline="") as fh:
        targets = {r["label"] for r in csv.DictReader(fh) if r["is_target"] == "1"}
    wb = load_workbook(review)
    ws = wb["classified"]
    header = [c.value for c in ws[1]]
    proposed = [ws.cell(r, header.index("label_1") + 1).value for r in range(2, 5)]
    assert "(2)②ⅲ" in proposed and set(proposed) <= targets  # sub-items, not headings
    accepted = header.index("accepted_label") + 1
    for r in range(2, 5):  # the analyst accepts every proposal; one row gets two labels
        ws.cell(r, accepted, ws.cell(r, header.index("label_1") + 1).value)
    ws.cell(2, accepted, f"{ws.cell(2, accepted).value}、(4)①")
    wb.save(review)
    capsys.readouterr()
    rc = train_main(
        ["--no-default-labelled", "--labelled", str(review), "--out", str(tmp_path / "m")]
    )
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "is a heading" not in err and "warning" not in err
    assert "3 labelled requests learnt from" in out


# ================================================================ 16. user errors, never a bug


def test_user_errors_exit_2_with_one_line(tmp_path):
    src = _write(tmp_path / "u.csv", f"id,text\n1,{LOCAL}\n")
    out = tmp_path / "o.csv"
    cases = [
        (["--encoding", "utf-16"], "UTF-16"),  # a UTF-8 file: no BOM
        (["--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["--encoding", "rot13"], "not a text encoding"),
        (["--output-encoding", "klingon"], "unknown encoding 'klingon'"),
        (["--output-encoding", "base64"], "not a text encoding"),
    ]
    for extra, expected in cases:
        message = _fails([src, "-o", out, *extra])
        assert expected in message and "bug in the tool" not in message, (extra, message)
        assert not out.exists()


@pytest.mark.parametrize("out_ext", ["xlsx", "csv", "tsv"])
def test_nested_json_values_come_out_as_json_text(tmp_path, out_ext):
    obj = {
        "id": 1,
        "text": LOCAL,
        "meta": {"府省庁": "総務省", "n": [1, 2]},
        "tags": ["a", {"b": None}],
    }
    src = _write(tmp_path / "n.jsonl", json.dumps(obj, ensure_ascii=False) + "\n")
    out = tmp_path / f"o.{out_ext}"
    _ok([src, "-o", out, "-q"])
    if out_ext == "xlsx":
        row = read_xlsx_values(out)[1]
    else:
        row = read_csv_output(out, "\t" if out_ext == "tsv" else ",")[1]
    assert json.loads(row[2]) == obj["meta"] and json.loads(row[3]) == obj["tags"]
    assert row[2] == '{"府省庁": "総務省", "n": [1, 2]}'


def test_show_results_help(capsys):
    assert show_results_main(["--help"]) == 0
    assert "usage: show_results.py" in capsys.readouterr().out


def test_password_protected_workbook(tmp_path):
    src = tmp_path / "x.xlsx"
    src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)
    message = _fails([src, "-o", tmp_path / "o.csv"])
    assert "password-protected" in message and str(src) in message
    as_csv = tmp_path / "x.csv"
    as_csv.write_bytes(src.read_bytes())
    assert "password-protected" in _fails([as_csv, "-o", tmp_path / "o.csv"])


def test_label_warnings_use_excel_row_numbers(tmp_path):
    """A typo in Excel row 4, after a blank row 3 (the header is row 1)."""
    policy = load_committed_model(None)[0].policy_
    csv_file = _write(
        tmp_path / "labelled.csv", f"id,text,labels\r\n1,{LOCAL},(2)②ⅲ\r\n,,\r\n3,{ROAD},(2)⑧\r\n"
    )
    xlsx_file = _xlsx(
        tmp_path / "labelled.xlsx",
        [["id", "text", "labels"], [1, LOCAL, "(2)②ⅲ"], [], [3, ROAD, "(2)⑧"]],
    )
    for path in (csv_file, xlsx_file):
        report = read_labelled(path, policy)
        assert len(report.problems) == 1
        assert report.problems[0].startswith(f"{path.name} row 4: unknown label '(2)⑧'")
        assert [r.text for r in report.requests] == [LOCAL]
    rc, err = _evaluate([csv_file, "--gold-column", "labels"])
    assert rc == 0 and "row 4 (id 3): unknown label '(2)⑧'" in err


def _evaluate(argv) -> tuple[int, str]:
    import contextlib

    buf, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(out):
        rc = evaluate_main([str(a) for a in argv])
    assert "Traceback" not in buf.getvalue()
    return rc, buf.getvalue()


def test_summary_line_and_model_given_by_id(tmp_path, monkeypatch):
    src = _write(tmp_path / "one.csv", f"id,text\n1,{LOCAL}\n")
    monkeypatch.chdir(tmp_path)  # no folder named r3 here: the id is looked up in models/
    err = _ok([src, "-o", tmp_path / "by_id.csv", "--model", "r3"])
    assert re.match(
        r"classified 1 row in \d+\.\ds \(ok 1\) with model \S+; text from text -> ", err
    ), err
    _ok([src, "-o", tmp_path / "by_path.csv", "--model", MODEL_DIR, "-q"])
    assert (tmp_path / "by_id.csv").read_bytes() == (tmp_path / "by_path.csv").read_bytes()
    two = _write(tmp_path / "two.csv", f"id,text\n1,{LOCAL}\n2,{ROAD}\n")
    assert "classified 2 rows in" in _ok([two, "-o", tmp_path / "two.o.csv"])


# ================================================================ 17. messages name the file


def test_messages_name_the_file_and_row(tmp_path):
    src = _write(tmp_path / "in.csv", f"id,text\n1,{LOCAL}\n")
    xlsx = _xlsx(tmp_path / "in.xlsx", [["id", "text"], [1, LOCAL]])
    missing = tmp_path / "missing.csv"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    cases = [
        ([missing], str(missing)),
        ([tmp_path / "in.docx"], "in.docx"),
        ([src, "--header-row", "9"], str(src)),
        ([src, "--encoding", "utf-16"], str(src)),
        ([xlsx, "--sheet", "なし"], str(xlsx)),
        ([broken], str(broken)),
        ([src, "-o", tmp_path / "sub" / ".." / "in.csv"], "in.csv"),
    ]
    for argv, named in cases:
        message = _fails(argv)
        assert named in message, (argv, message)


@pytest.mark.parametrize(
    ("content", "extra", "expected"),
    [
        ("a,b\n1,2\n", [], "cannot tell which column holds the request text"),
        ("id,text\n1,a\n", ["--text-column", "zz"], "no column named 'zz'"),
        ("id,text,label_1\n1,a,b\n", [], "already has column(s) label_1"),
    ],
)
def test_column_messages_name_the_file(tmp_path, content, extra, expected):
    src = _write(tmp_path / "named.csv", content)
    message = _fails([src, "-o", tmp_path / "o.csv", *extra])
    assert message.startswith(f"error: {src}: ") and expected in message, message


def test_column_lists_in_messages_keep_to_one_line(tmp_path):
    src = _xlsx(tmp_path / "h.xlsx", [["番号", "概算\n要求額"], [1, 2]])
    message = _fails([src, "-o", tmp_path / "o.csv"])
    assert "The columns are: 番号, 概算 要求額" in message


def test_evaluate_label_warnings_name_the_file(tmp_path):
    src = _write(tmp_path / "labelled.csv", f"id,text,labels\n1,{LOCAL},(2)②ⅲ\n,,\n3,大学,(2)⑧\n")
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(io.StringIO()):
        rc = evaluate_main([str(src), "--gold-column", "labels"])
    assert rc == 0
    assert f"warning: {src} row 4 (id 3): unknown label '(2)⑧'" in buf.getvalue(), buf.getvalue()


def test_evaluate_column_messages_name_the_file(tmp_path):
    src = _write(tmp_path / "labelled.csv", f"id,text,labels\n1,{LOCAL},(2)②ⅲ\n")
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(io.StringIO()):
        rc = evaluate_main([str(src), "--gold-column", "gold"])
    assert rc == 2
    assert buf.getvalue().startswith(f"error: {src}: no column named 'gold'"), buf.getvalue()


def test_a_two_row_header_with_merged_cells_is_read_as_one(tmp_path):
    # 事業名 and 金額 merged over two rows, 内容 above 事業概要: the second row names a
    # column, it is not a request.
    wb = Workbook()
    ws = wb.active
    ws.append(["事業名", "内容", "金額"])
    ws.append([None, "事業概要", None])
    ws.merge_cells("A1:A2")
    ws.merge_cells("C1:C2")
    ws.append(["地方公共団体の情報セキュリティ強化", "自治体の情報システムの監視を強化する。", 100])
    ws.append(["道路橋の修繕", "老朽化した橋梁を補修する。", 200])
    src = tmp_path / "merged.xlsx"
    wb.save(src)
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "-o", out])
    assert rc == 0, err
    assert f"note: {src}: the header is rows 1–2 (a two-row header, read as one)" in err
    assert "text from 事業名 + 事業概要" in err
    rows = read_csv_output(out)
    assert rows[0][:3] == ["事業名", "事業概要", "金額"]
    assert [r[0] for r in rows[1:]] == ["地方公共団体の情報セキュリティ強化", "道路橋の修繕"]


def test_a_two_row_header_in_a_csv_is_read_as_one(tmp_path):
    src = tmp_path / "two.csv"
    src.write_text(
        "事業名,内容,金額\n,事業概要,\n政府機関の監視,通信を監視する。,100\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "-o", out])
    assert rc == 0, err
    rows = read_csv_output(out)
    assert rows[0][:3] == ["事業名", "事業概要", "金額"] and len(rows) == 2
    assert rows[1][0] == "政府機関の監視"


def test_a_data_row_is_not_mistaken_for_a_second_header_row(tmp_path):
    # A row filling every column, or holding numbers, is data, whatever its words.
    src = tmp_path / "plain.csv"
    src.write_text("事業名,事業概要\n内容,概要\n番号,1\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "-o", out])
    assert rc == 0, err
    assert "two-row header" not in err
    assert len(read_csv_output(out)) == 3


def test_a_column_error_on_a_workbook_of_several_sheets_names_the_sheet_read(tmp_path):
    """The wrong sheet is the likeliest cause: the error says which was read and --sheet."""
    import contextlib
    import io

    from openpyxl import Workbook

    from classifier.cli import classify_main

    wb = Workbook()
    wb.active.title = "説明"
    wb.active.append(["この表について"])
    wb.create_sheet("一覧").append(["事業名", "事業概要"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert classify_main([str(path), "-o", str(tmp_path / "o.csv")]) == 2
    assert "; read sheet '説明' (the file has 2: 説明, 一覧; choose with --sheet)" in err.getvalue()


def test_classifys_own_workbook_is_read_from_its_rows_sheet_whichever_is_in_front(tmp_path):
    """A review sheet saved while its labels sheet was in front (or moved first) is still
    read from its classified sheet by train, evaluate and show-results."""
    from openpyxl import Workbook

    from classifier.tables import open_table

    wb = Workbook()
    wb.active.title = "labels"
    wb.active.append(["label", "heading"])
    main = wb.create_sheet("classified")
    main.append(["text", "label_1", "status", "accepted_label"])
    main.append(["監視", "(2)③ⅰ", "ok", ""])
    wb.active = 0
    path = tmp_path / "review.xlsx"
    wb.save(path)
    table = open_table(str(path))
    assert table.columns == ["text", "label_1", "status", "accepted_label"]
    assert open_table(str(path), sheet="labels").columns == ["label", "heading"]


# ================================================================ dates and merged cells


def test_a_date_cell_comes_back_as_a_date_not_a_midnight_time(tmp_path):
    """openpyxl reads 2024/4/1 as a datetime at midnight: written back it was
    ``2024-04-01 00:00:00`` in CSV and a date-and-time cell in Excel output."""
    import datetime as dt

    rows = [
        ["番号", "事業名", "事業概要", "開始日"],
        ["1", "政府機関の監視", "政府機関の情報システムの監視を強化する。", dt.date(2024, 4, 1)],
        ["2", "河川の堤防", "堤防を整備する。", dt.datetime(2024, 4, 1, 9, 30)],
    ]
    src = _xlsx(tmp_path / "d.xlsx", rows)
    _ok([src, "-o", tmp_path / "o.csv", "-q"])
    assert _col(read_csv_output(tmp_path / "o.csv"), "開始日") == [
        "2024-04-01",
        "2024-04-01 09:30:00",  # a time of day is kept
    ]
    _ok([src, "-o", tmp_path / "o.xlsx", "-q"])
    ws = load_workbook(tmp_path / "o.xlsx").active
    assert ws["D2"].value == dt.datetime(2024, 4, 1) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["D3"].value == dt.datetime(2024, 4, 1, 9, 30)


def test_merged_cells_over_data_rows_are_said_and_every_row_kept(tmp_path):
    """A 事業名 merged over two rows holds its value in the first only (as Excel stores
    it): both rows are classified, and a note says the second reads it as empty."""
    rows = [
        ["番号", "事業名", "事業概要"],
        ["1", "政府機関の監視", "政府機関の情報システムの監視を強化する。"],
        ["2", None, "監視体制の運用を行う。"],
        ["3", "河川の堤防", "堤防を整備する。"],
    ]
    src = tmp_path / "m.xlsx"
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.active.merge_cells("B2:B3")
    wb.active.merge_cells("A1:A1")  # one cell: no row below reads it as empty
    wb.save(src)
    err = _ok([src, "-o", tmp_path / "o.csv"])
    assert (
        f"note: {src}: 1 merged cell spans data rows (first B2:B3, 事業名): Excel keeps a "
        "merged cell's value in its first row only" in err
    )
    table = read_csv_output(tmp_path / "o.csv")
    assert _col(table, "番号") == ["1", "2", "3"] and _col(table, "事業名")[1] == ""


def test_hidden_rows_are_classified_and_said(tmp_path):
    """A hidden subtotal and a row a filter hides are rows like any other (every row comes
    back, in order), and a note says so, naming the first; a hidden blank row is no row."""
    rows = [
        ["番号", "事業名", "事業概要"],
        ["1", "政府機関の監視", "政府機関の情報システムの監視を強化する。"],
        ["", "小計", "1件"],
        ["2", "河川の堤防", "堤防を整備する。"],
        [None, None, None],
        ["3", "港湾の整備", "岸壁を整備する。"],
    ]
    src = tmp_path / "h.xlsx"
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    for r in (3, 5, 6):
        wb.active.row_dimensions[r].hidden = True
    wb.save(src)
    err = _ok([src, "-o", tmp_path / "o.csv"])
    assert (
        f"note: {src}: 2 hidden rows (first row 3) are classified like the others, as every "
        "row is; a hidden subtotal (小計) or a row a filter hides comes back in the output too"
    ) in err
    table = read_csv_output(tmp_path / "o.csv")
    assert _col(table, "事業名") == ["政府機関の監視", "小計", "河川の堤防", "", "港湾の整備"]


def test_a_workbook_with_no_hidden_row_gets_no_such_note(tmp_path):
    src = tmp_path / "v.xlsx"
    wb = Workbook()
    wb.active.append(["事業名", "事業概要"])
    wb.active.append(["政府機関の監視", "監視を強化する。"])
    wb.active.row_dimensions[2].height = 30  # a row attribute that is not hiding it
    wb.save(src)
    assert "hidden row" not in _ok([src, "-o", tmp_path / "o.csv"])
