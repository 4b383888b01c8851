"""classify end to end against hostile input: every row kept, in order, cells intact.

Property-based (hypothesis) over CSV, XLSX and JSONL inputs full of hazards, plus one
fixed case per known hazard that crosses modules (1 MB texts, duplicate ids with a review
sheet, JSONL keys named like output columns). The contract each case checks is in
:mod:`tests.helpers`. Hazards of a single module have their tests beside it
(``test_tables_read.py``, ``test_tables_write.py``, ``test_store.py``, ``test_workers.py``,
``test_tokens.py``, ``test_textutil.py``). The properties load the committed model once
(``committed_model_loaded_once``) to stay fast.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .helpers import (
    ADDED,
    CLI_SETTINGS,
    HEADER,
    as_written_to_csv,
    assert_clean_outcome,
    check_added,
    committed_model_loaded_once,
    expects_empty,
    read_csv_output,
    read_jsonl_output,
    read_xlsx_values,
    run_classify,
    write_csv_bytes,
)
from .strategies import (
    BLANKS,
    CSV_SPECIALS,
    EMOJI,
    HALF_WIDTH,
    JA_WORDS,
    NFKC_EXPANDERS,
    NUMBERS,
    ZERO_WIDTH,
    cell_text,
    megabyte_text,
)

# --------------------------------------------------------------------------- strategies

ids = st.sampled_from(["1", "1", "2", "001", "A-1", "", " ", "1.0", "１"])


def _cp932_ok(s: str) -> bool:
    try:
        return s.encode("cp932").decode("cp932") == s
    except UnicodeError:
        return False


cp932_piece = st.one_of(
    st.sampled_from(JA_WORDS),
    st.sampled_from(HALF_WIDTH),
    st.sampled_from(NUMBERS),
    st.sampled_from(BLANKS),
    st.sampled_from(CSV_SPECIALS),
    st.sampled_from([s for s in NFKC_EXPANDERS if _cp932_ok(s)]),
    st.text(alphabet="あいうアイウ漢字表示ソ能①㈱～－", max_size=5),
)
cp932_cell = st.lists(cp932_piece, max_size=6).map("".join)


@st.composite
def csv_cases(draw):
    """(rows, encoding, terminators, blank-line positions, final newline?, pass --encoding?)."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
    cell = cp932_cell if encoding == "cp932" else cell_text
    n = draw(st.integers(1, 20))
    rows = [
        [draw(ids), draw(cell), draw(st.one_of(cell, st.sampled_from(NUMBERS)))] for _ in range(n)
    ]
    terminators = draw(st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=1, max_size=3))
    blank_after = draw(st.sets(st.integers(0, n)))
    final_newline = draw(st.booleans())
    declare = draw(st.booleans())
    return rows, encoding, terminators, sorted(blank_after), final_newline, declare


def build_csv(case) -> tuple[bytes, list[str]]:
    rows, encoding, terminators, blank_after, final_newline, declare = case
    out = io.StringIO()
    for i, row in enumerate([HEADER, *rows]):
        line = io.StringIO()
        csv.writer(line).writerow(row)
        out.write(line.getvalue()[:-2])
        if i < len(rows) or final_newline:
            out.write(terminators[i % len(terminators)])
        elif blank_after:  # the last row needs an end of line before a blank line
            out.write("\n")
        if i in blank_after:
            out.write("\n" if i % 2 else "\r\n")
    data = out.getvalue().encode(encoding)
    extra = []
    ambiguous = False
    if encoding == "cp932":
        try:
            data.decode("utf-8")
            ambiguous = True  # bytes valid in both encodings: only --encoding can tell
        except UnicodeDecodeError:
            pass
    if declare or ambiguous:
        extra = ["--encoding", encoding]
    return data, extra


xlsx_piece = st.one_of(
    st.sampled_from(JA_WORDS),
    st.sampled_from(EMOJI),
    st.sampled_from(HALF_WIDTH),
    st.sampled_from(NFKC_EXPANDERS),
    st.sampled_from(NUMBERS),
    st.sampled_from(BLANKS),
    st.sampled_from(ZERO_WIDTH),
    st.text(
        alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"),
        max_size=8,
    ).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
)
# Strings starting with "=" become formulas in openpyxl (see
# test_excel_output_keeps_text_starting_with_equals).
xlsx_text = st.lists(xlsx_piece, max_size=5).map("".join).filter(lambda s: not s.startswith("="))
xlsx_value = st.one_of(
    xlsx_text,
    st.none(),
    st.integers(-(10**15), 10**15),
    # amounts; near 1.8e308 openpyxl itself reads the float back as inf
    st.floats(min_value=-1e15, max_value=1e15),
    st.booleans(),
)

json_text = st.one_of(cell_text, st.text(alphabet=st.characters(exclude_categories=("Cs",))))
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    json_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
BAD_JSON_LINES = ["{not json", "[1, 2]", "42", '"just a string"', '{"id": 1,', "NaN", "}{"]


@st.composite
def jsonl_cases(draw):
    kinds = draw(
        st.lists(st.sampled_from(["obj", "obj", "obj", "bad", "blank"]), min_size=1, max_size=15)
    )
    if "obj" not in kinds:
        kinds.append("obj")
    lines: list[tuple[str, Any]] = []
    for kind in kinds:
        if kind == "obj":
            obj = {
                "id": draw(st.one_of(ids, st.integers(0, 3))),
                "text": draw(json_value),
                "amount": draw(json_value),
            }
            lines.append(("obj", obj))
        elif kind == "bad":
            lines.append(("bad", draw(st.sampled_from(BAD_JSON_LINES))))
        else:
            lines.append(("blank", draw(st.sampled_from(["", "   ", "\t"]))))
    terminators = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3))
    bom = draw(st.booleans())
    ensure_ascii = draw(st.booleans())
    return lines, terminators, bom, ensure_ascii


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


# =========================================================================== classify: CSV


@CLI_SETTINGS
@given(case=csv_cases())
@example(
    case=(
        [
            ["001", "市町村の情報セキュリティ対策。①㈱ｻｲﾊﾞｰ", "0900"],
            ["001", "", "NaN"],
            ["2", "河川\r\n堤防", ""],
        ],
        "cp932",
        ["\r\n", "\n", "\r"],
        [0, 2],
        False,
        False,
    )
)
@example(
    case=(
        [["1", "\ufeff🙂\x00\u200b㍿ﷺ", "1e309"], ["1", " \u3000\t", "None"], ["", '"=1+1",', ""]],
        "utf-8-sig",
        ["\r"],
        [1, 3],
        True,
        False,
    )
)
def test_classify_csv_keeps_every_row_and_cell(case):
    rows = case[0]
    data, extra = build_csv(case)
    # premise: the file as Python's csv module reads it is exactly the rows we meant
    reread = list(csv.reader(io.StringIO(data.decode(case[1]), newline="")))
    assert [r for r in reread if r] == [HEADER, *rows]
    with committed_model_loaded_once(), tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in" / "requests.csv"
        src.parent.mkdir()
        src.write_bytes(data)
        out = Path(tmp) / "out" / "classified.csv"
        rc, err = run_classify([src, "-o", out, "-q", *extra])
        assert src.read_bytes() == data, "the input file was modified"
        assert rc == 0, err
        assert list(out.parent.iterdir()) == [out]
        table = read_csv_output(out)
    assert table[0] == HEADER + ADDED
    body = table[1:]
    # Every row, and every blank line between rows as an empty row (it is a row in Excel);
    # blank lines after the last row are not rows.
    # (As the csv module reads the file: a "\n" right after a "\r" ends the line, not a row.)
    blank = ["", "", ""]
    want = [r if r else blank for r in reread[1:]]
    while want and want[-1] == blank:
        want.pop()
    assert len(body) == len(want), "rows lost or duplicated"
    for written, got in zip(want, body, strict=True):
        # original cells, in order, as strings (formula-like text made safe for Excel)
        assert got[:3] == [as_written_to_csv(c) for c in written]
        status = check_added(got[3:])
        assert (status == "empty_text") == expects_empty(written[1]), (written, status)


def test_duplicate_ids_with_review_sheet(tmp_path):
    rows = [
        ["7", "市町村の情報セキュリティ", ""],
        ["7", "河川の堤防", ""],
        ["7", "", ""],
        ["", "🙂", ""],
    ]
    data = write_csv_bytes(rows, "utf-8-sig")
    src = tmp_path / "dup.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    review = tmp_path / "review.xlsx"
    rc, err = run_classify([src, "-o", out, "--review", review, "--id-column", "id", "-q"])
    assert rc == 0, err
    assert [r[:3] for r in read_csv_output(out)[1:]] == rows
    values = read_xlsx_values(review, "classified")
    assert sorted(v[0] for v in values[1:]) == [2, 3, 4, 5]  # rows as Excel numbers them
    assert src.read_bytes() == data


# --------------------------------------------------------------------------- 1 MB texts


def test_one_megabyte_text_in_csv(tmp_path):
    big = megabyte_text().replace("\x00", "")
    rows = [["1", big, "x"], ["2", "市町村の情報セキュリティ", "y"]]
    data = write_csv_bytes(rows, "utf-8")
    src = tmp_path / "big.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert src.read_bytes() == data
    assert rc == 0, f"a valid CSV with a 1 MB cell was refused: {err}"
    body = read_csv_output(out)[1:]
    assert [r[:3] for r in body] == rows
    for r in body:
        check_added(r[3:])


def test_one_megabyte_text_in_jsonl(tmp_path):
    big = megabyte_text()
    objs = [
        {"id": 1, "text": big},
        {"id": 2, "text": "㍿" * 50_000 + "ﷺ" * 20_000},
        {"id": 3, "text": None},
    ]
    data = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode()
    src = tmp_path / "big.jsonl"
    src.write_bytes(data)
    out = tmp_path / "o.jsonl"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert rc == 0, err
    got = read_jsonl_output(out)
    assert [g["text"] for g in got] == [o["text"] for o in objs]
    statuses = [check_added([g[k] for k in ADDED]) for g in got]
    assert statuses[2] == "empty_text"
    assert src.read_bytes() == data


# =========================================================================== classify: XLSX


@st.composite
def xlsx_cases(draw):
    n = draw(st.integers(1, 15))
    rows = [
        [
            draw(st.one_of(st.sampled_from(["1", "A-1", "001"]), st.integers(1, 3))),
            draw(xlsx_value),
            draw(xlsx_value),
        ]
        for _ in range(n)
    ]
    blank_rows = draw(st.sets(st.integers(0, n)))
    position = draw(st.integers(0, 2))  # where the data sheet sits among 表紙 / 空
    by_number = draw(st.booleans())
    out_ext = draw(st.sampled_from(["csv", "xlsx"]))
    return rows, sorted(blank_rows), position, by_number, out_ext


@settings(CLI_SETTINGS, max_examples=25)
@given(case=xlsx_cases())
def test_classify_xlsx_sheet_keeps_every_row_and_cell(case):
    rows, blank_rows, position, by_number, out_ext = case
    wb = Workbook()
    others = ["表紙", "空"]
    names = [*others[:position], "一覧", *others[position:]]
    wb.active.title = names[0]
    for name in names[1:]:
        wb.create_sheet(name)
    wb["表紙"].append(["令和３年度 概算要求一覧"])
    ws = wb["一覧"]
    ws.append(HEADER)
    for i, row in enumerate(rows):
        ws.append(row)
        if i in blank_rows:
            ws.append([None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    expected = [
        list(r) + [None] * (3 - len(r)) for r in read_xlsx_values(io.BytesIO(data), "一覧")[1:]
    ]
    while expected and all(v is None for v in expected[-1]):
        expected.pop()  # blank rows after the last row are not rows; those between are
    assert sum(any(v is not None for v in r) for r in expected) == len(rows)
    sheet = str(names.index("一覧") + 1) if by_number else "一覧"
    with committed_model_loaded_once(), tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in" / "requests.xlsx"
        src.parent.mkdir()
        src.write_bytes(data)
        out = Path(tmp) / "out" / f"classified.{out_ext}"
        rc, err = run_classify([src, "--sheet", sheet, "-o", out, "-q"])
        assert src.read_bytes() == data
        assert rc == 0, err
        assert list(out.parent.iterdir()) == [out]
        if out_ext == "csv":
            table = read_csv_output(out)
            want = [[as_written_to_csv("" if v is None else str(v)) for v in r] for r in expected]
        else:
            table = [list(r) for r in read_xlsx_values(out)]
            want = expected
    assert list(table[0]) == HEADER + ADDED
    body = table[1:]
    assert len(body) == len(expected)
    for w, got in zip(want, body, strict=True):
        assert list(got[:3]) == w
    for e, got in zip(expected, body, strict=True):
        status = check_added(got[3:])
        assert (status == "empty_text") == expects_empty(e[1]), (e, status)


# =========================================================================== classify: JSONL


@settings(CLI_SETTINGS, max_examples=30)
@given(case=jsonl_cases())
def test_classify_jsonl_keeps_every_line_and_value(case):
    lines, terminators, bom, ensure_ascii = case
    text = io.StringIO()
    expected: list[tuple[str, Any]] = []
    previous = ""
    for i, (kind, value) in enumerate(lines):
        ending = terminators[i % len(terminators)]
        if kind == "obj":
            text.write(json.dumps(value, ensure_ascii=ensure_ascii))
            expected.append((kind, value))
        else:
            text.write(value)
            # An empty line ended by "\n" right after a "\r" is not a line: the two make
            # one "\r\n" (as any reader of text lines sees the file).
            if not (value == "" and previous == "\r" and ending == "\n"):
                expected.append((kind, value))
        text.write(ending)
        previous = ending
    while expected and expected[-1][0] == "blank":
        expected.pop()  # blank lines after the last line are not rows; those between are
    data = (codecs.BOM_UTF8 if bom else b"") + text.getvalue().encode("utf-8")
    with committed_model_loaded_once(), tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in" / "requests.jsonl"
        src.parent.mkdir()
        src.write_bytes(data)
        out = Path(tmp) / "out" / "classified.jsonl"
        rc, err = run_classify([src, "-o", out, "-q"])
        assert src.read_bytes() == data
        assert rc == 0, err
        assert list(out.parent.iterdir()) == [out]
        got = read_jsonl_output(out)
    assert len(got) == len(expected), "lines lost or duplicated"
    for (kind, value), g in zip(expected, got, strict=True):
        status = check_added([g.get(k) for k in ADDED], well_formed=(kind == "obj"))
        if kind == "obj":
            assert list(g)[: len(value)] == list(value)
            assert {k: canonical(g[k]) for k in value} == {
                k: canonical(v) for k, v in value.items()
            }
            assert (status == "empty_text") == expects_empty(value["text"]), (value, status)
        elif kind == "blank":
            assert status == "empty_text" and set(g) == set(ADDED)
        else:
            assert g["_raw"] == value and status.startswith("error: ")


def test_jsonl_later_object_keys_are_not_overwritten(tmp_path):
    """Columns come from the first object; a later one may carry a key named like an output
    column."""
    objs = [
        {"id": 1, "text": "市町村の情報セキュリティ"},
        {"id": 2, "text": "河川の堤防", "status": "approved-by-analyst", "label_1": "my-own-label"},
    ]
    data = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode()
    src = tmp_path / "c.jsonl"
    src.write_bytes(data)
    out = tmp_path / "o.jsonl"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert_clean_outcome(rc, err, out)
    if rc == 0:
        got = read_jsonl_output(out)
        assert len(got) == 2
        kept = json.dumps(got[1], ensure_ascii=False)
        assert "approved-by-analyst" in kept and "my-own-label" in kept, (
            f"the input's own values were silently replaced: {got[1]}"
        )
