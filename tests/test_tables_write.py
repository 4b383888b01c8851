"""tables.write: CSV/TSV/XLSX/JSONL out, through a temporary file renamed into place.

Unit tests on :class:`TableWriter` first; then output options and interrupted runs
through classify: an interrupted run never leaves a partial file, and an existing output
is replaced only by a complete one.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import math
import sys
import time
import types
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from classifier.commands import classify as classify_mod
from classifier.errors import InputFileError, OutputFileError
from classifier.tables import InputTable, TableWriter, default_output_path
from classifier.tables import write as write_mod
from classifier.tables.cells import guard_formula
from classifier.tables.write import EXCEL_MAX_COLUMNS

from .helpers import (
    ADDED,
    ROOT,
    assert_clean_outcome,
    check_added,
    part_files,
    read_csv_output,
    read_jsonl_output,
    read_xlsx_values,
    run_classify,
    write_csv_bytes,
)

# --------------------------------------------------------------------------- TableWriter


def test_default_output_path():
    assert default_output_path("in/requests.csv", "csv") == Path("in/requests.classified.csv")
    assert default_output_path("export.xlsx", "jsonl") == Path("export.classified.jsonl")
    assert default_output_path("a.b.tsv", "tsv") == Path("a.b.classified.tsv")


def test_csv_is_utf8_with_bom_and_crlf(tmp_path):
    out = tmp_path / "o.csv"
    with TableWriter(out, "csv", ["a", "b"]) as writer:
        writer.write(["市町村", None])
        writer.write_rows([[1, 2.5], ['say "hi"', "x,y"]])
    assert (
        out.read_bytes()
        == codecs.BOM_UTF8 + ('a,b\r\n市町村,\r\n1,2.5\r\n"say ""hi""","x,y"\r\n').encode()
    )


def test_tsv_and_output_encoding(tmp_path):
    """CP932 has no emoji: the run stops naming the row (as Excel numbers the file's rows,
    header included) and the character, and leaves no file; asked to replace, it writes 〓
    and counts it."""
    out = tmp_path / "o.tsv"
    with (
        pytest.raises(OutputFileError, match=r"o.tsv row 3: the character '🙂' \(U\+1F642\)"),
        TableWriter(out, "tsv", ["a", "b"], encoding="cp932") as writer,
    ):
        writer.write(["表示", "ok"])
        writer.write(["表示", "🙂"])
    assert list(tmp_path.iterdir()) == []
    with TableWriter(out, "tsv", ["a", "b"], encoding="cp932", errors="replace") as writer:
        writer.write(["表示", "🙂😀"])
    assert out.read_bytes() == "a\tb\r\n表示\t〓〓\r\n".encode("cp932")
    assert writer.replaced.count == 2


def test_jsonl_writes_the_given_object(tmp_path):
    out = tmp_path / "o.jsonl"
    with TableWriter(out, "jsonl", ["id", "status"]) as writer:
        writer.write([1, "ok"])
        writer.write([2, "ok"], {"id": 2, "extra": date(2021, 4, 1), "status": "ok"})
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines == [
        '{"id": 1, "status": "ok"}',
        '{"id": 2, "extra": "2021-04-01", "status": "ok"}',
        "",
    ]
    assert not out.read_bytes().startswith(codecs.BOM_UTF8)  # JSON Lines never get a BOM


def test_xlsx_cells_and_extra_sheet(tmp_path):
    out = tmp_path / "o.xlsx"
    with TableWriter(out, "xlsx", ["text", "n"]) as writer:
        writer.write(["a\x00b\x1f\ufffe", 3])  # XML cannot hold these characters
        writer.write(["=SUM(A1)", 4])  # formula-looking text stays text
        writer.add_sheet("labels", ["label"], [["(1)①"], ["\x07NONE"]])
    assert read_xlsx_values(out) == [("text", "n"), ("ab", 3), ("=SUM(A1)", 4)]
    assert read_xlsx_values(out, "labels") == [("label",), ("(1)①",), ("NONE",)]


def test_xlsx_cuts_a_cell_excel_cannot_hold_and_counts_it(tmp_path):
    out = tmp_path / "o.xlsx"
    long = "あ" * 32_767
    with TableWriter(out, "xlsx", ["text", "n"]) as writer:
        writer.write([long, 1])  # exactly what a cell holds: kept
        writer.write([long + "い" * 10, 2])
        writer.write(["=" + long, 3])  # formula-looking and too long: cut, still text
    assert writer.cut_cells == 2
    values = read_xlsx_values(out)
    assert [len(v[0]) for v in values[1:]] == [32_767] * 3
    assert values[2][0] == long and values[3][0] == "=" + long[:-1]


def test_classify_says_how_many_cells_it_cut_for_excel(tmp_path):
    src = tmp_path / "long.csv"
    body = "政府機関の情報セキュリティ対策として" + "あ" * 40_000 + "。"
    src.write_text(f"事業名,事業概要\n長い,{body}\n短い,河川の堤防\n", encoding="utf-8")
    rc, err = run_classify([src, "-o", tmp_path / "o.xlsx"])
    assert rc == 0, err
    # The text only: the sentences taken from it (evidence_sentence, scope_sentence) show
    # at most 1,000 characters of it.
    assert "note: 1 cell was longer than the 32,767 characters an Excel cell holds" in err
    assert "write CSV (-o FILE.csv)" in err
    rc, err = run_classify([src, "-o", tmp_path / "o.csv"])
    assert rc == 0 and "cut to fit" not in err
    assert body in (tmp_path / "o.csv").read_text(encoding="utf-8-sig")


def test_nothing_is_visible_until_the_writer_finishes(tmp_path):
    out = tmp_path / "o.csv"
    with TableWriter(out, "csv", ["a"]) as writer:
        writer.write(["x"])
        assert not out.exists()
        assert len(part_files(tmp_path)) == 1
    assert out.is_file() and part_files(tmp_path) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_failure_inside_the_writer_keeps_the_previous_file(tmp_path, fmt):
    out = tmp_path / f"o.{fmt}"
    out.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="boom"), TableWriter(out, fmt, ["a"]) as writer:
        writer.write(["x"])
        raise RuntimeError("boom")
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_excel_cannot_go_to_standard_output():
    writer = TableWriter(None, "xlsx", ["a"])
    with pytest.raises(InputFileError, match=r"give -o FILE\.xlsx"), writer:
        pass


def test_csv_to_standard_output(capsysbinary):
    with TableWriter("-", "csv", ["a"]) as writer:
        writer.write(["市町村"])
    assert capsysbinary.readouterr().out == "a\r\n市町村\r\n".encode()


class _ClosedPipe(io.RawIOBase):
    """Standard output whose reader has gone (``classify - | head -1``)."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("rows", [1, 3000])
def test_a_closed_pipe_is_not_a_write_error(monkeypatch, rows):
    """A broken pipe stays a BrokenPipeError (the CLI ends quietly on it, as Unix tools
    do), rather than becoming 'standard output: cannot be written'; whether it shows in a
    write or in the last flush, and the writer leaves standard output for whoever is next."""
    stdout = io.TextIOWrapper(io.BufferedWriter(_ClosedPipe()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    with pytest.raises(BrokenPipeError), TableWriter("-", "csv", ["a"]) as writer:
        writer.write_rows([["市町村の情報セキュリティ"]] * rows)
    assert not stdout.buffer.closed


def test_an_unwritable_character_names_the_input_row(tmp_path):
    """Given where each row came from, the message names that row of the input, as label
    warnings do; the output's row otherwise."""
    out = tmp_path / "o.csv"
    pattern = r"^in\.xlsx row 7: the character '𠮷' \(U\+20BB7\) cannot be written in cp932 to "
    with (
        pytest.raises(OutputFileError, match=pattern),
        TableWriter(out, "csv", ["a"], encoding="cp932", source="in.xlsx") as writer,
    ):
        writer.write_rows([["表示"], ["𠮷野家"]], lines=[6, 7])
    with (
        pytest.raises(OutputFileError, match=r"o\.csv row 4: the character '𠮷'"),
        TableWriter(out, "csv", ["a"], encoding="cp932") as writer,
    ):
        writer.write_rows([["表示"]])
        writer.write_rows([["表示"], ["𠮷野家"]])  # the output's row 4, header included
    assert list(tmp_path.iterdir()) == []


def test_write_rows_writes_huge_integers_in_full(tmp_path):
    """A 5,000-digit number (from an Excel or JSONL cell) is written out, not refused."""
    huge = 7 * (10**5000 - 1) // 9  # 5,000 sevens, built without str() → int
    out = tmp_path / "o.csv"
    with TableWriter(out, "csv", ["a", "b"], encoding="utf-8") as writer:
        writer.write_rows([[huge, "x"], ["y", 1.5]])
    assert out.read_bytes().decode("utf-8") == "a,b\r\n" + "7" * 5000 + ",x\r\ny,1.5\r\n"


def test_write_writes_huge_integers_in_full(tmp_path):
    huge = 7 * (10**5000 - 1) // 9
    out = tmp_path / "o.csv"
    with TableWriter(out, "csv", ["a"], encoding="utf-8") as writer:
        writer.write([huge])
    assert out.read_bytes().decode("utf-8") == "a\r\n" + "7" * 5000 + "\r\n"


# --------------------------------------------------------------------------- through classify


def test_excel_output_keeps_text_starting_with_equals(tmp_path):
    """A request text like '=1+1' or '=HYPERLINK(…)' must stay text, not become a formula."""
    rows = [["1", "=1+1", '=HYPERLINK("http://example.invalid")'], ["2", "市町村", "-1"]]
    src = tmp_path / "f.csv"
    src.write_bytes(write_csv_bytes(rows))
    out = tmp_path / "o.xlsx"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert rc == 0, err
    values = read_xlsx_values(out)
    assert [list(v[:3]) for v in values[1:]] == rows


@pytest.mark.parametrize("out_ext", ["jsonl", "csv", "tsv", "xlsx"])
def test_jsonl_lone_surrogate_in_a_cell(tmp_path, out_ext):
    """JSON may escape a lone surrogate (\\ud800); json.loads accepts it, so a row can hold one."""
    data = (
        b'{"id": "a", "text": "\\ud800\xe5\xb8\x82\xe7\x94\xba\xe6\x9d\x91"}\n'
        b'{"id": "b", "text": "ok"}\n'
    )
    src = tmp_path / "s.jsonl"
    src.write_bytes(data)
    out = tmp_path / f"o.{out_ext}"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)
    if rc == 0:
        if out_ext == "jsonl":
            got = read_jsonl_output(out)
            rows = [[g["id"], *(g[k] for k in ADDED)] for g in got]
        elif out_ext == "xlsx":
            try:
                values = read_xlsx_values(out)
            except Exception as exc:
                raise AssertionError(
                    f"exit 0, but the Excel file written cannot be read back: {exc!r}"
                ) from exc
            rows = [[r[0], *r[2:]] for r in values[1:]]
        else:
            rows = [
                [r[0], *r[2:]] for r in read_csv_output(out, "\t" if out_ext == "tsv" else ",")[1:]
            ]
        assert [r[0] for r in rows] == ["a", "b"]
        for r in rows:
            check_added(r[1:], well_formed=False)


# =========================================================================== output options


def test_output_encoding_cp932_with_unencodable_text(tmp_path):
    """--output-encoding cp932 ('for old tools') and a request containing an emoji or a
    ㍿-like character."""
    rows = [["1", "市町村の情報セキュリティ🙂", ""], ["2", "한국어 ﷺ", ""], ["3", "表示", ""]]
    data = write_csv_bytes(rows, "utf-8")
    src = tmp_path / "e.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--output-encoding", "cp932", "-q"])
    assert src.read_bytes() == data
    assert rc in (0, 2), err
    assert not part_files(tmp_path)
    if rc == 2:
        assert err.startswith("error: ") and not out.exists()
    else:
        with open(out, encoding="cp932", newline="") as fh:
            body = list(csv.reader(fh))[1:]
        assert [r[0] for r in body] == ["1", "2", "3"] and body[2][1] == "表示"


def test_unknown_output_encoding(tmp_path):
    src = tmp_path / "e.csv"
    src.write_bytes(write_csv_bytes([["1", "市町村", ""]]))
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--output-encoding", "klingon", "-q"])
    assert_clean_outcome(rc, err, out)
    assert rc == 2


# =========================================================================== interrupted runs


def _interrupt_after(monkeypatch, n_calls_ok: int, chunk_rows: int = 2) -> list[int]:
    """Small chunks, and Predictor.predict raising KeyboardInterrupt after ``n_calls_ok`` calls."""
    real_chunks = InputTable.chunks
    monkeypatch.setattr(InputTable, "chunks", lambda self, size=chunk_rows: real_chunks(self, size))
    real_predict = classify_mod.Predictor.predict
    calls: list[int] = []

    def predict(self, texts):
        calls.append(len(texts))
        if len(calls) > n_calls_ok:
            raise KeyboardInterrupt
        return real_predict(self, texts)

    monkeypatch.setattr(classify_mod.Predictor, "predict", predict)
    return calls


INTERRUPT_ROWS = [[str(i), f"市町村の情報セキュリティ対策その{i}", ""] for i in range(7)]


@pytest.mark.parametrize("out_ext", ["csv", "tsv", "xlsx", "jsonl"])
@pytest.mark.parametrize("n_calls_ok", [0, 1, 2])
def test_interrupted_run_leaves_no_output(tmp_path, monkeypatch, out_ext, n_calls_ok):
    src_dir, out_dir = tmp_path / "in", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    src = src_dir / "requests.csv"
    data = write_csv_bytes(INTERRUPT_ROWS, "utf-8-sig")
    src.write_bytes(data)
    calls = _interrupt_after(monkeypatch, n_calls_ok)
    out = out_dir / f"classified.{out_ext}"
    rc, err = run_classify([src, "-o", out, "--review", out_dir / "review.xlsx", "-q"])
    assert len(calls) == n_calls_ok + 1, "the interrupt did not happen where intended"
    assert rc not in (0, None), "an interrupted run must not report success"
    assert "interrupted" in err
    assert list(out_dir.iterdir()) == [], "partial output or *.part files were left behind"
    assert list(src_dir.iterdir()) == [src]
    assert src.read_bytes() == data


def test_interrupted_run_keeps_previous_output_and_default_path(tmp_path, monkeypatch):
    src = tmp_path / "requests.csv"
    data = write_csv_bytes(INTERRUPT_ROWS)
    src.write_bytes(data)
    previous = tmp_path / "requests.classified.csv"
    previous.write_bytes(b"previous result\r\n")
    _interrupt_after(monkeypatch, 1)
    rc, err = run_classify([src, "-q"])  # default output path beside the input
    assert rc != 0 and "interrupted" in err
    assert previous.read_bytes() == b"previous result\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requests.classified.csv", "requests.csv"]
    assert src.read_bytes() == data


INTERRUPT_DRIVER = """
import sys
from classifier.commands import classify
from classifier.tables import InputTable

real_chunks = InputTable.chunks
InputTable.chunks = lambda self, size=2: real_chunks(self, size)
real_predict = classify.Predictor.predict
calls = []


def predict(self, texts):
    calls.append(len(texts))
    if len(calls) > 1:  # Ctrl-C after the first chunk was written
        raise KeyboardInterrupt
    return real_predict(self, texts)


classify.Predictor.predict = predict
from classifier.cli import classify_main

sys.exit(classify_main(sys.argv[1:]))
"""


@pytest.mark.parametrize("out_ext", ["xlsx", "csv"])
def test_interrupted_run_in_a_real_process_prints_no_traceback(tmp_path, out_ext):
    """What the user sees on the terminal, including what Python prints at exit."""
    import subprocess
    import sys

    driver = tmp_path / "driver.py"
    driver.write_text(INTERRUPT_DRIVER, encoding="utf-8")
    src_dir, out_dir = tmp_path / "in", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    src = src_dir / "requests.csv"
    data = write_csv_bytes(INTERRUPT_ROWS)
    src.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, str(driver), str(src), "-o", str(out_dir / f"o.{out_ext}"), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode not in (0, 1), proc.stderr
    assert "interrupted" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert list(out_dir.iterdir()) == []
    assert src.read_bytes() == data


# =========================================================================== as Excel opens them


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+3.5", "+3.5"),
        ("1e5", "1e5"),
        ("-.5", "-.5"),
        ("-1\n", "'-1\n"),  # a number and a line break is text, not a plain number
        ("-1,000", "-1,000"),  # a budget table's 増減: Excel reads a number
        ("-5%", "-5%"),
        ("+1,234.5%", "+1,234.5%"),
        ("-1,00", "'-1,00"),  # no grouping Excel knows: text
        ("-1,000,00", "'-1,000,00"),
        ("市町村=1", "市町村=1"),
        ("", ""),
    ],
)
def test_csv_cells_excel_would_run_get_a_quote(tmp_path, cell, written):
    for guard, expected in ((True, written), (False, cell)):
        out = tmp_path / f"{guard}.csv"
        with TableWriter(out, "csv", ["a", "n"], formula_guard=guard) as writer:
            writer.write([cell, -5])
        with open(out, encoding="utf-8-sig", newline="") as fh:
            assert list(csv.reader(fh)) == [["a", "n"], [expected, "-5"]]


@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r0123456789.eE ax'\",%")), max_size=8))
def test_formula_guard_agrees_with_the_rule(value):
    """Independently of the writer's own pattern: text that starts like a formula and is
    not a number (as ``float`` reads one, bar inf/nan spellings) gets a quote."""
    risky = value[:1] in ("=", "+", "-", "@", "\t", "\r")
    assert guard_formula(value) == ("'" + value if risky and not _excel_number(value) else value)


def _excel_number(value: str) -> bool:
    """A number as Excel reads one: what ``float`` reads (bar inf/nan spellings), with
    an optional trailing % and commas grouping the integer part in threes."""
    body = value[:-1] if value.endswith("%") else value
    sign = body[:1] if body[:1] in ("+", "-") else ""
    mantissa, e, exponent = body[len(sign) :].replace("E", "e").partition("e")
    whole, dot, fraction = mantissa.partition(".")
    if "," in whole:
        groups = whole.split(",")
        if not (0 < len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return False
        whole = "".join(groups)
    plain = sign + whole + dot + fraction + e + exponent
    try:
        return plain == plain.strip() and math.isfinite(float(plain)) and "_" not in plain
    except ValueError:
        return False


def test_xlsx_formula_looking_text_stays_text(tmp_path):
    cells = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "-5"]
    out = tmp_path / "o.xlsx"
    with TableWriter(out, "xlsx", [f"c{i}" for i in range(len(cells))]) as writer:
        writer.write(cells)
    ws = load_workbook(out).worksheets[0]  # formulas visible (not data_only)
    row = next(iter(ws.iter_rows(min_row=2, max_row=2)))
    assert [c.value for c in row] == cells
    assert [c.data_type for c in row] == ["s"] * len(cells)  # no formula ("f") cell


def test_xlsx_header_and_added_sheets_that_look_like_formulas_stay_text(tmp_path):
    """The header is the input's own and may hold =HYPERLINK(…); so may an added sheet."""
    header = ['=HYPERLINK("http://x","y")', "@cmd", "事業名"]
    out = tmp_path / "o.xlsx"
    with TableWriter(out, "xlsx", header) as writer:
        writer.write(["a", "b", "c"])
        writer.add_sheet("extra", ["=1+1", "b"], [["=SUM(A1)", 1]])
    book = load_workbook(out)  # formulas visible (not data_only)
    first = next(iter(book.worksheets[0].iter_rows(max_row=1)))
    assert [c.value for c in first] == header and {c.data_type for c in first} == {"s"}
    extra = list(book["extra"].iter_rows())
    assert [[c.value for c in r] for r in extra] == [["=1+1", "b"], ["=SUM(A1)", 1]]
    assert "f" not in {c.data_type for r in extra for c in r}


def test_xlsx_refuses_more_rows_than_excel_shows(tmp_path, monkeypatch):
    monkeypatch.setattr(write_mod, "EXCEL_MAX_ROWS", 5)
    ok = tmp_path / "ok.xlsx"
    with TableWriter(ok, "xlsx", ["a"]) as writer:
        writer.write_rows([[i] for i in range(4)])  # header + 4 rows = 5: fits
    assert len(read_xlsx_values(ok)) == 5
    out = tmp_path / "o.xlsx"
    with (
        pytest.raises(OutputFileError, match=r"Excel shows at most 5 rows.*write CSV"),
        TableWriter(out, "xlsx", ["a"]) as writer,
    ):
        writer.write_rows([[1], [2]])
        writer.write_rows([[3], [4], [5]])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.xlsx"]


class _Later(datetime.datetime):
    """A clock 400 days and some hours ahead, as openpyxl asks for it."""

    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.now(tz) + datetime.timedelta(days=400, hours=5, seconds=7)


def _write_workbook(path: Path) -> None:
    with TableWriter(path, "xlsx", ["text", "label_1", "confidence_1", "status"]) as writer:
        writer.write_rows([["市町村の情報セキュリティ", "(2)②ⅲ", 0.964, "ok"], ["x", "", "", ""]])
        writer.add_sheet("labels", ["label", "heading"], [["(1)①", "見出し"]])


def test_xlsx_output_is_byte_identical_whatever_the_clock(tmp_path, monkeypatch):
    import openpyxl.packaging.core as core
    import openpyxl.writer.excel as excel_writer

    _write_workbook(tmp_path / "a.xlsx")
    later = types.SimpleNamespace(datetime=_Later, timezone=datetime.timezone)
    monkeypatch.setattr(core, "datetime", later)
    monkeypatch.setattr(excel_writer, "datetime", later)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 400 * 86400 + 18007)
    _write_workbook(tmp_path / "b.xlsx")
    monkeypatch.undo()
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    infos = zipfile.ZipFile(tmp_path / "a.xlsx").infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_xlsx_output_has_a_frozen_header_a_filter_and_widths(tmp_path):
    out = tmp_path / "a.xlsx"
    _write_workbook(out)
    wb = load_workbook(out)
    ws = wb["classified"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D3"  # header and both rows, every column
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert set(widths) == {"A", "B", "C", "D"}
    assert widths["A"] == 40  # a text column is wide
    assert all(8 <= w <= 40 for w in widths.values())
    assert wb["labels"].freeze_panes == "A2"


def test_the_review_sheet_counts_its_cut_cells_too(tmp_path):
    src = tmp_path / "long.csv"
    body = "河川の堤防を補強する" + "あ" * 40_000 + "。"
    src.write_text(f"事業名,事業概要\n長い,{body}\n", encoding="utf-8")
    rc, err = run_classify([src, "-o", tmp_path / "o.csv", "--review", tmp_path / "r.xlsx"])
    assert rc == 0, err
    # CSV keeps the text whole; the review sheet cuts its text column (this out-of-scope
    # text has no evidence or scope sentence to cut).
    assert "note: 1 cell was longer than the 32,767 characters an Excel cell holds" in err


def test_excel_output_wider_than_excel_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "wide.xlsx"
    columns = [f"c{i}" for i in range(EXCEL_MAX_COLUMNS + 1)]
    wide = TableWriter(out, "xlsx", columns)
    with pytest.raises(OutputFileError, match=r"at most 16,384 columns.*has 16,385.*CSV"):
        wide.__enter__()
    assert list(tmp_path.iterdir()) == []  # no output and no temporary file
    with TableWriter(out, "xlsx", columns[:EXCEL_MAX_COLUMNS]) as writer:
        writer.write(["x"] * EXCEL_MAX_COLUMNS)
    assert [p.name for p in tmp_path.iterdir()] == ["wide.xlsx"]


def test_a_failure_while_opening_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken(self):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(TableWriter, "_open_workbook", broken)
    writer = TableWriter(tmp_path / "x.xlsx", "xlsx", ["a"])
    with pytest.raises(RuntimeError, match="disk gone"):
        writer.__enter__()
    assert list(tmp_path.iterdir()) == []


def test_xlsx_number_formats_apply_to_numbers_of_the_named_columns_only(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "o.xlsx"
    formats = {"yen": "#,##0", "p": "0.000"}
    with TableWriter(out, "xlsx", ["yen", "p", "n"], number_formats=formats) as writer:
        writer.write([1_737_622_000, 0.5, 7])
        writer.write(["", True, 8])  # an unknown amount stays empty; a flag is no number
        writer.add_sheet("s", ["p", "yen"], [[0.25, 3]], number_formats={"p": "0.000"})
    wb = load_workbook(out)
    main = [[(c.value, c.number_format) for c in row] for row in wb["classified"].iter_rows()]
    assert main[1:] == [
        [(1_737_622_000, "#,##0"), (0.5, "0.000"), (7, "General")],
        [(None, "General"), (True, "General"), (8, "General")],
    ]
    assert [(c.value, c.number_format) for c in wb["s"][2]] == [(0.25, "0.000"), (3, "General")]
