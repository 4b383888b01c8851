"""tables.read: CSV/TSV/XLSX/JSONL in, every row once, in order, cells untouched.

Unit tests on small files first; then damaged and odd files read through classify, which
must either take every row or stop with a one-line message (the contract in
:mod:`tests.helpers`).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import struct
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from classifier.errors import InputFileError
from classifier.tables import FORMATS, Row, check_encoding, detect_format, open_table

from .helpers import (
    ADDED,
    CLI_SETTINGS,
    HEADER,
    assert_clean_outcome,
    check_added,
    committed_model_loaded_once,
    read_csv_output,
    read_jsonl_output,
    read_xlsx_values,
    run_classify,
)

# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("requests.csv", "csv"),
        ("REQUESTS.CSV", "csv"),
        ("a.tsv", "tsv"),
        ("a.txt", "tsv"),
        ("a.xlsx", "xlsx"),
        ("a.xlsm", "xlsx"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("-", "csv"),
    ],
)
def test_detect_format_from_the_name(path, fmt):
    assert detect_format(path) == fmt


def test_detect_format_errors():
    assert FORMATS == ("csv", "tsv", "xlsx", "jsonl")
    assert detect_format("a.xlsx", "jsonl") == "jsonl"  # --format wins
    with pytest.raises(InputFileError, match="unknown format 'xml'"):
        detect_format("a.csv", "xml")
    with pytest.raises(InputFileError, match=r"old Excel \.xls files cannot be read"):
        detect_format("export.xls")
    with pytest.raises(InputFileError, match="cannot tell the format"):
        detect_format("notes.docx")


def test_check_encoding():
    assert check_encoding("cp932") == "cp932"
    with pytest.raises(InputFileError, match="unknown encoding 'klingon'"):
        check_encoding("klingon")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        open_table(str(tmp_path / "none.csv"))
    with pytest.raises(InputFileError, match=r"none\.csv\.nope: no such file"):
        open_table(str(tmp_path / "none.csv.nope"))  # the name's format is not the problem
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputFileError, match="is a folder"):
        open_table(str(tmp_path / "dir.csv"))


# --------------------------------------------------------------------------- CSV / TSV


def _rows(table) -> list[Row]:
    return list(table.rows)


def test_csv_rows_numbered_padded_and_flagged(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("id, text \r\n1,市町村\r\n\r\n2,a,b\r\n3\r\n4,x,,\r\n".encode("cp932"))
    table = open_table(str(path))
    assert table.format == "csv" and table.encoding == "cp932"
    assert table.columns == ["id", "text"]  # header cells stripped
    assert _rows(table) == [
        Row(1, ["1", "市町村"], line=2),  # ``line``: the row as Excel numbers it
        Row(2, ["", ""], line=3),  # a blank line between rows is a row (it is one in Excel)
        Row(3, ["2", "a"], error="row has 3 fields but the header has 2", line=4),
        Row(4, ["3", ""], line=5),  # short rows padded
        Row(5, ["4", "x"], line=6),  # empty extra cells are not an error
    ]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("id,text\n1,市町村\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "id,text\n1,市町村\n".encode(), "utf-8-sig"),
        ("id,text\n1,市町村\n".encode("cp932"), "cp932"),
        ("id,text\n1,市町村\n".encode("utf-16"), "utf-16"),
    ],
)
def test_csv_encoding_detected(tmp_path, data, encoding):
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    table = open_table(str(path))
    assert table.encoding == encoding and table.columns == ["id", "text"]
    assert _rows(table) == [Row(1, ["1", "市町村"], line=2)]


def test_tsv_and_explicit_encoding(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_bytes("番号\t事業概要\n1\t監視, 分析\n".encode("cp932"))
    table = open_table(str(path), encoding="cp932")
    assert table.format == "tsv" and table.columns == ["番号", "事業概要"]
    assert _rows(table) == [Row(1, ["1", "監視, 分析"], line=2)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b",,\n,,\n", "empty"),  # no row with any text
        (b"id\ttext\n1\ta\n", "looks tab-separated"),
        (b"\x81\x00\xff\xfe\x00garbage\xff", "neither UTF-8 nor Shift_JIS"),
    ],
)
def test_csv_refused_with_a_message(tmp_path, data, message):
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    with pytest.raises(InputFileError, match=message):
        _rows(open_table(str(path)))


def test_chunks_group_rows(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("text\n" + "".join(f"r{i}\n" for i in range(5)), encoding="utf-8")
    chunks = list(open_table(str(path)).chunks(2))
    assert [[r.number for r in c] for c in chunks] == [[1, 2], [3, 4], [5]]


# --------------------------------------------------------------------------- JSONL


def test_jsonl_columns_are_every_key_and_bad_lines_kept(tmp_path):
    lines = ["{bad", '{"id": 1, "text": "a"}', "", "[1, 2]", '{"id": 2, "x": 3}', ""]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = open_table(str(path))
    assert table.columns == ["id", "text", "x"]  # a key of a later object is a column too
    rows = _rows(table)
    # The blank line between lines is a row; the blank lines at the end are not.
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].error.startswith("not valid JSON") and rows[0].extra == {"_raw": "{bad"}
    assert rows[0].cells == [None, None, None]
    assert rows[1] == Row(2, [1, "a", None], extra={"id": 1, "text": "a"}, line=2)
    assert rows[2] == Row(3, [None, None, None], extra={}, line=3)
    # CSV and Excel output have no _raw column: the error says where the line is.
    assert rows[3].error == "JSON line is not an object; line 4 begins '[1, 2]'"
    assert rows[0].error.endswith("; line 1 begins '{bad'")
    assert rows[4] == Row(5, [2, None, 3], extra={"id": 2, "x": 3}, line=5)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("\n \n", "empty"), ("[1]\n42\n", "no line is a JSON object")],
)
def test_jsonl_refused_with_a_message(tmp_path, text, message):
    path = tmp_path / "a.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        open_table(str(path))


# --------------------------------------------------------------------------- XLSX


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_xlsx_header_blank_rows_and_cell_types(tmp_path):
    path = _xlsx(
        tmp_path / "a.xlsx",
        {
            "一覧": [
                [None, None],
                ["id", None, " text ", None],
                [1, "x", "市町村", None],
                [None, None, None],
                [2, None, 3.5, None, "beyond"],
            ]
        },
    )
    table = open_table(str(path))
    # The first non-blank row is the header (the blank row above it is reported as
    # skipped); an unnamed column gets a name, trailing blanks go.
    assert table.columns == ["id", "column_2", "text"]
    assert table.sheet == "一覧" and table.header_line == 2
    assert table.notes == [
        f"{path}: 1 column has values but no name in the header; called column_2",
        f"{path}: the header is row 2; the row above it was skipped",
    ]
    assert _rows(table) == [
        Row(1, [1, "x", "市町村"], line=3),  # numbers stay numbers
        Row(2, [None, None, None], line=4),  # a blank row between rows is a row
        Row(3, [2, None, 3.5], error="row has 1 value beyond the header", line=5),
    ]


def test_csv_header_with_a_trailing_comma_keeps_the_column_under_it(tmp_path):
    # Excel's "save as CSV" of a sheet whose last column has no heading.
    path = tmp_path / "a.csv"
    path.write_text("事業名,事業の概要,\n監視,サイバー攻撃を監視する,x\n道路,道路を作る,\n")
    table = open_table(str(path))
    assert table.columns == ["事業名", "事業の概要", "column_3"]
    assert table.notes == [
        f"{path}: 1 column has values but no name in the header; called column_3"
    ]
    assert _rows(table) == [
        Row(1, ["監視", "サイバー攻撃を監視する", "x"], line=2),
        Row(2, ["道路", "道路を作る", ""], line=3),
    ]


def test_xlsx_two_row_header_with_a_merged_cell_loses_no_column(tmp_path):
    # 予算 merged over B1:C1, its parts named in row 2: every row has a value in C.
    path = _xlsx(
        tmp_path / "a.xlsx",
        {"一覧": [["事業名", "予算", None], [None, "当初", "要求"], ["監視", 10, 12]]},
    )
    table = open_table(str(path))
    assert table.columns == ["事業名", "予算", "column_3"]
    rows = _rows(table)
    assert [r.error for r in rows] == [None, None]
    assert rows[1].cells == ["監視", 10, 12]


def test_xlsx_sheet_by_name_or_number_and_note(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", {"表紙": [["title"]], "一覧": [["text"], ["市町村"]]})
    first = open_table(str(path))  # the active sheet (the first, here)
    assert first.sheet == "表紙" and first.columns == ["title"]
    assert first.notes == ["read sheet '表紙' (the file has 2: 表紙, 一覧; choose with --sheet)"]
    for sheet in ("一覧", "2"):
        table = open_table(str(path), sheet=sheet)
        assert table.sheet == "一覧" and table.notes == []
        assert _rows(table) == [Row(1, ["市町村"], line=2)]
    with pytest.raises(InputFileError, match="no sheet '3'; the sheets are: 表紙, 一覧"):
        open_table(str(path), sheet="3")


def test_xlsx_empty_sheet(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", {"空": [[None, " "]]})
    with pytest.raises(InputFileError, match="sheet '空' is empty"):
        open_table(str(path))


# --------------------------------------------------------------------------- CSV through classify


def test_csv_ragged_rows_all_kept(tmp_path):
    data = (
        b"id,text,memo\r\n1,short\n2,\xe5\xb8\x82\xe7\x94\xba\xe6\x9d\x91,x,EXTRA,MORE\n"
        b"3,a,b,,,\n\n\r\n4\n"
    )
    src = tmp_path / "r.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert rc == 0, err
    body = read_csv_output(out)[1:]
    assert [r[:3] for r in body] == [
        ["1", "short", ""],
        ["2", "市町村", "x"],
        ["3", "a", "b"],
        ["", "", ""],  # the two blank lines are rows (they are in Excel)
        ["", "", ""],
        ["4", "", ""],
    ]
    statuses = [check_added(r[3:], well_formed=False) for r in body]
    assert statuses[1] == "error: row has 5 fields but the header has 3"
    assert statuses[3:] == ["empty_text", "empty_text", "empty_text"]
    assert src.read_bytes() == data


# (name, file bytes, extra arguments, how to read the file back if it is accepted:
#  an encoding, "auto" for either outcome, None where only exit 2 is right)
CSV_EDGE_FILES = [
    ("utf-16 with BOM", "id,text\r\n1,市町村\r\n".encode("utf-16"), [], "utf-16"),
    ("NUL bytes", b"id,text\n1,a\x00b\n2,\x00\n", [], "utf-8"),
    ("header only", b"id,text\r\n", [], "utf-8"),
    ("CP932 Japanese", "id,text\r\n1,市町村①㈱ｻｲﾊﾞｰ～\r\n2,表示\r\n".encode("cp932"), [], "cp932"),
    (
        "CP932 with --encoding",
        "id,text\n1,ソ能表\n".encode("cp932"),
        ["--encoding", "cp932"],
        "cp932",
    ),
    ("mixed line endings, blank lines", b"id,text\r\n1,a\n\n2,b\r3,c\r\n\r\n4,d", [], "utf-8"),
    ("quoted cell with every line ending", b'id,text\n1,"a\r\nb\rc\nd"\r2,e', [], "utf-8"),
    ("CP932 declared UTF-8", "id,text\n1,市町村\n".encode("cp932"), ["--encoding", "utf-8"], None),
    (
        "CP932 declared UTF-8, bad bytes late",
        ("id,text\n" + "1,a\n" * 5000 + "2,市町村\n").encode("cp932"),
        ["--encoding", "utf-8"],
        None,
    ),
    ("latin-1", "id,text\n1,café\n".encode("latin-1"), [], None),
    ("binary", bytes(range(256)) * 4, [], "auto"),
    ("encoded lone surrogate", b"id,text\n1,\xed\xa0\x80\n", [], "auto"),
    ("unknown --encoding", b"id,text\n1,a\n", ["--encoding", "klingon"], None),
    ("tab separated named .csv", b"id\ttext\n1\ta\n", [], None),
    ("BOM only", codecs.BOM_UTF8, [], None),
    ("blank lines only", b"\r\n\n\r\n", [], None),
]


@pytest.mark.parametrize(("name", "data", "extra", "read_as"), CSV_EDGE_FILES)
def test_csv_edge_files_end_cleanly(tmp_path, name, data, extra, read_as):
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "-o", out, "-q", *extra])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)
    if read_as is None:
        assert rc == 2
    if rc == 0:
        if read_as == "auto":
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp932")
        else:
            text = data.decode(read_as)
        expected = list(csv.reader(io.StringIO(text, newline="")))
        while expected and not any(expected[-1]):
            expected.pop()  # blank lines after the last row are not rows; between rows they are
        width = len(expected[0])
        table = read_csv_output(out)
        assert table[0] == [h.strip() for h in expected[0]] + ADDED
        assert [r[:width] for r in table[1:]] == [(r + [""] * width)[:width] for r in expected[1:]]
        for r in table[1:]:
            check_added(r[width:], well_formed=False)


def test_bom_file_with_explicit_utf8_encoding(tmp_path):
    """Excel's 'CSV UTF-8' starts with a BOM; saying --encoding utf-8 must not hide the header."""
    data = codecs.BOM_UTF8 + "text,id\r\n市町村の情報セキュリティ,1\r\n".encode()
    src = tmp_path / "bom.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--encoding", "utf-8", "-q"])
    assert rc == 0, err
    table = read_csv_output(out)
    assert table[0] == ["text", "id", *ADDED]
    assert table[1][:2] == ["市町村の情報セキュリティ", "1"]


# --------------------------------------------------------------------------- XLSX through classify


def _workbook_bytes(with_chart_first: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "一覧"
    ws.append(HEADER)
    ws.append([1, "市町村の情報セキュリティ", 420])
    ws.append([2, None, None])
    ws.append([3, 3.5, "x"])
    cs = wb.create_chartsheet("グラフ", 0 if with_chart_first else None)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=4))
    cs.add_chart(chart)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("chart_first", "sheet"),
    [(False, "グラフ"), (False, "2"), (True, None)],
)
def test_xlsx_chart_sheet(tmp_path, chart_first, sheet):
    """Workbooks with a chart sheet are common; choosing it (or it being first) is not a crash."""
    data = _workbook_bytes(chart_first)
    src = tmp_path / "charts.xlsx"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, *(["--sheet", sheet] if sheet else []), "-o", out, "-q"])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)


@pytest.mark.parametrize("sheet", ["0", "9", "nope", "-1", "", "空"])
def test_xlsx_missing_or_empty_sheet(tmp_path, sheet):
    wb = Workbook()
    wb.active.title = "一覧"
    wb.active.append(HEADER)
    wb.active.append([1, "市町村", None])
    wb.create_sheet("空")
    src = tmp_path / "s.xlsx"
    wb.save(src)
    data = src.read_bytes()
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "--sheet", sheet, "-o", out, "-q"])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)
    assert rc == 2


# --------------------------------------------------------------------------- damaged XLSX


def _to_shared_strings(data: bytes) -> bytes:
    """Rewrite openpyxl's inline strings as a sharedStrings.xml table, as Excel stores them."""
    src = zipfile.ZipFile(io.BytesIO(data))
    members = {n: src.read(n) for n in src.namelist()}
    strings: list[str] = []

    def share(m: re.Match) -> str:
        strings.append(m.group(2))
        return f'<c r="{m.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    inline = re.compile(
        r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t(?: [^>]*)?>(.*?)</t></is></c>', re.S
    )
    for name in [n for n in members if n.startswith("xl/worksheets/")]:
        members[name] = inline.sub(share, members[name].decode()).encode()
    members["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
        + "</sst>"
    ).encode()
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, content in members.items():
            dst.writestr(name, content)
    return buf.getvalue()


@functools.cache
def _good_xlsx() -> bytes:
    """A two-sheet workbook stored the way Excel stores it (shared strings)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "一覧"
    ws.append(HEADER)
    for i in range(30):
        ws.append([i, f"市町村の情報セキュリティ対策その{i}。" * 3, i * 1.5])
    wb.create_sheet("別表").append(["a", "b"])
    buf = io.BytesIO()
    wb.save(buf)
    data = _to_shared_strings(buf.getvalue())
    assert read_xlsx_values(io.BytesIO(data), "一覧") == read_xlsx_values(buf, "一覧")
    return data


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == member else src.read(info.filename))
    return buf.getvalue()


def _garble_deflate(data: bytes, member: str) -> bytes:
    """Overwrite a member's compressed bytes (zip directory and CRC stay as they were)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    buf = bytearray(data)
    name_len, extra_len = struct.unpack(
        "<HH", buf[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    buf[start : start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(buf)


def _patch_zip_entry(
    data: bytes, member: str, *, method: int | None = None, flags: int = 0
) -> bytes:
    """Set flag bits / the compression method of one member in its local and central headers."""
    buf = bytearray(data)
    heads = [zipfile.ZipFile(io.BytesIO(data)).getinfo(member).header_offset + 6]
    pos = buf.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + name_len]) == member.encode():
            heads.append(pos + 8)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    assert len(heads) == 2
    for at in heads:  # flags, then the compression method right after them
        struct.pack_into("<H", buf, at, struct.unpack_from("<H", buf, at)[0] | flags)
        if method is not None:
            struct.pack_into("<H", buf, at + 2, method)
    return bytes(buf)


def _truncate_member_xml(member: str):
    def damage(data: bytes) -> bytes:
        content = zipfile.ZipFile(io.BytesIO(data)).read(member)
        return _replace_member(data, member, content[: len(content) // 2])

    return damage


def _drop_member(member: str):
    def damage(data: bytes) -> bytes:
        src = zipfile.ZipFile(io.BytesIO(data))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as dst:
            for info in src.infolist():
                if info.filename != member:
                    dst.writestr(info, src.read(info.filename))
        return buf.getvalue()

    return damage


XLSX_DAMAGE = {
    "empty file": lambda d: b"",
    "truncated to 10%": lambda d: d[: len(d) // 10],
    "truncated to 50%": lambda d: d[: len(d) // 2],
    "truncated by one byte": lambda d: d[:-1],
    "a CSV renamed .xlsx": lambda d: b"id,text\n1,a\n",
    "zip without a workbook": _drop_member("xl/workbook.xml"),
    "zip without the sheet": _drop_member("xl/worksheets/sheet1.xml"),
    "sheet XML cut in half": _truncate_member_xml("xl/worksheets/sheet1.xml"),
    "workbook XML cut in half": _truncate_member_xml("xl/workbook.xml"),
    "shared strings XML cut in half": _truncate_member_xml("xl/sharedStrings.xml"),
    "sheet deflate stream garbled": lambda d: _garble_deflate(d, "xl/worksheets/sheet1.xml"),
    "workbook deflate stream garbled": lambda d: _garble_deflate(d, "xl/workbook.xml"),
    "shared strings deflate stream garbled": lambda d: _garble_deflate(d, "xl/sharedStrings.xml"),
    "shared strings missing": _drop_member("xl/sharedStrings.xml"),
    "shared string index out of range": lambda d: _replace_member(
        d,
        "xl/worksheets/sheet1.xml",
        zipfile.ZipFile(io.BytesIO(d))
        .read("xl/worksheets/sheet1.xml")
        .replace(b"<v>5</v>", b"<v>99999</v>", 1),
    ),
    "content types missing": _drop_member("[Content_Types].xml"),
    "workbook relationships missing": _drop_member("xl/_rels/workbook.xml.rels"),
    "sheet XML is binary": lambda d: _replace_member(
        d, "xl/worksheets/sheet1.xml", bytes(range(256))
    ),
    # zipfile raises NotImplementedError / RuntimeError for these, not BadZipFile
    "a member packed with Deflate64": lambda d: _patch_zip_entry(
        d, "xl/worksheets/sheet1.xml", method=9
    ),
    "a member flagged encrypted": lambda d: _patch_zip_entry(d, "xl/sharedStrings.xml", flags=0x1),
    "a member flagged as patch data": lambda d: _patch_zip_entry(d, "xl/workbook.xml", flags=0x20),
    "sheet XML with an undefined entity": lambda d: _replace_member(
        d,
        "xl/worksheets/sheet1.xml",
        zipfile.ZipFile(io.BytesIO(d))
        .read("xl/worksheets/sheet1.xml")
        .replace(b"<v>5</v>", b"<v>&nope;</v>", 1),
    ),
}


@pytest.mark.parametrize("damage", list(XLSX_DAMAGE))
def test_damaged_xlsx_fails_with_message(tmp_path, damage):
    data = XLSX_DAMAGE[damage](_good_xlsx())
    src = tmp_path / "bad.xlsx"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)


@CLI_SETTINGS
@given(
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=4),
)
def test_randomly_damaged_xlsx_never_crashes(cut, flips):
    data = bytearray(_good_xlsx())
    for offset, mask in flips:
        data[offset % len(data)] ^= mask
    if cut is not None:
        data = data[: cut % len(data)]
    data = bytes(data)
    with committed_model_loaded_once(), tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in" / "bad.xlsx"
        src.parent.mkdir()
        src.write_bytes(data)
        out = Path(tmp) / "out" / "o.csv"
        out.parent.mkdir()
        rc, err = run_classify([src, "-o", out, "-q"])
        assert src.read_bytes() == data
        assert_clean_outcome(rc, err, out)
        if rc == 0:
            table = read_csv_output(out)
            for r in table[1:]:
                check_added(r[-len(ADDED) :], well_formed=False)


# --------------------------------------------------------------------------- JSONL through classify


def test_jsonl_number_too_long_to_convert(tmp_path):
    """Python refuses int literals over 4300 digits with ValueError, not JSONDecodeError."""
    data = (
        '{"id": 1, "text": "市町村"}\n{"id": '
        + "1" * 5000
        + ', "text": "x"}\n{"id": 3, "text": "y"}\n'
    ).encode()
    src = tmp_path / "n.jsonl"
    src.write_bytes(data)
    out = tmp_path / "o.jsonl"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)
    if rc == 0:
        assert len(read_jsonl_output(out)) == 3


# ===================================================================== files as Excel writes them


def _set_dimension(data: bytes, ref: str | None) -> bytes:
    """The workbook with its sheet's ``<dimension ref=…>`` rewritten (``None``: removed)."""
    sheet = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet)
    assert re.search(rb"<dimension ref=", xml), xml[:300]
    new = b"" if ref is None else f'<dimension ref="{ref}"/>'.encode()
    xml = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", new, xml)
    return _replace_member(data, sheet, xml)


@pytest.mark.parametrize("ref", ["A1:B2", "A1", "A1:A1048576", None])
def test_xlsx_with_a_stale_dimension_keeps_every_row_and_column(tmp_path, ref):
    """Many tools write a ``<dimension>`` that is too small (or none): it is not trusted."""
    wb = Workbook()
    rows = [[i, f"市町村の対策その{i}", f"memo{i}", i * 1.5, "end"] for i in range(1, 6)]
    for row in [["id", "text", "memo", "amount", "last"], *rows]:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "stale.xlsx"
    path.write_bytes(_set_dimension(buf.getvalue(), ref))
    assert openpyxl_dimension(path) != "A1:E6"  # a reader trusting it would lose cells
    table = open_table(str(path))
    assert table.columns == ["id", "text", "memo", "amount", "last"]
    assert _rows(table) == [Row(i, row, line=i + 1) for i, row in enumerate(rows, 1)]


def openpyxl_dimension(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return wb.active.calculate_dimension()
    except ValueError:  # openpyxl refuses to guess when the element is missing
        return "A1:A1"
    finally:
        wb.close()


def test_csv_stray_quote_is_one_error_row_and_later_lines_are_rows_again(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes('id,text\n1,市町村\n2,"大学の教育\n3,政府機関\n\n4,中小企業\n'.encode())
    rows = _rows(open_table(str(path)))
    assert [(r.number, r.line, r.cells[0]) for r in rows] == [
        (1, 2, "1"),
        (2, 3, "2"),
        (3, 4, "3"),
        (4, 5, ""),
        (5, 6, "4"),
    ]
    assert rows[1].error is not None and "opened on line 3 is never closed" in rows[1].error
    assert rows[1].cells[1].startswith("大学の教育")
    assert [r.error for r in rows if r.number != 2] == [None] * 4
    assert [r.cells for r in rows[2:]] == [["3", "政府機関"], ["", ""], ["4", "中小企業"]]


csv_cell = st.text(alphabet="市町村情報大学ab1 ・。", min_size=1, max_size=6).filter(str.strip)


@given(
    lines=st.lists(st.lists(csv_cell, min_size=3, max_size=3), min_size=2, max_size=10),
    where=st.tuples(st.integers(0, 100), st.integers(0, 100)),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_a_stray_quote_never_loses_or_merges_rows(tmp_path_factory, lines, where, ending):
    """One ``"`` put anywhere on a data line other than the last (cells hold no other
    quote): every line is still exactly one row, in order; the line with the quote is
    either read with the quote as text or is an ``error:`` row naming that line."""
    texts = [",".join(cells) for cells in lines]
    k = where[0] % (len(texts) - 1)
    at = where[1] % (len(texts[k]) + 1)
    texts[k] = texts[k][:at] + '"' + texts[k][at:]
    path = tmp_path_factory.mktemp("quote") / "q.csv"
    path.write_bytes(ending.join(["id,text,memo", *texts, ""]).encode())
    rows = _rows(open_table(str(path)))
    assert [r.line for r in rows] == list(range(2, len(lines) + 2))
    for i, (row, cells) in enumerate(zip(rows, lines, strict=True)):
        if i != k:
            assert row.error is None and row.cells == cells, (i, row)
    quoted = rows[k]
    opens_a_cell = at == 0 or texts[k][at - 1] == ","
    if opens_a_cell:
        assert quoted.error is not None
        assert f"opened on line {k + 2} is never closed" in quoted.error
    else:  # a quote inside a cell is text, as Excel reads it
        assert quoted.error is None and quoted.cells == texts[k].split(",")


def test_stray_quote_before_a_quoted_cell_is_one_error_row_not_a_silent_merge(tmp_path):
    """Line 3 opens a quote; the next quote, on line 5, opens an ordinary quoted cell.
    Read as Excel reads quotes, lines 3–5 would be one cell, silently. A quote closing a
    cell that spans lines and followed by more text (``"d``) is never what Excel writes: it
    is a cell's opening quote, so the quote on line 3 was a stray one."""
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,a\n2,"b\n3,c\n4,"d"\n5,e\n', encoding="utf-8")
    rows = _rows(open_table(str(path)))
    assert [(r.line, r.cells) for r in rows] == [
        (2, ["1", "a"]),
        (3, ["2", "b"]),
        (4, ["3", "c"]),
        (5, ["4", "d"]),
        (6, ["5", "e"]),
    ]
    assert rows[1].error is not None and "opened on line 3 is never closed" in rows[1].error
    assert "line 5" in rows[1].error
    assert [r.error for r in rows if r.line != 3] == [None] * 4


def test_quoted_cells_spanning_lines_stay_one_cell_beside_a_stray_quote(tmp_path):
    """Multi-line quoted cells are normal in Excel CSV, before and after a stray quote
    (even one whose 'closing' is the opening quote of a multi-line cell)."""
    path = tmp_path / "q.csv"
    path.write_bytes(
        b'id,text\r\n1,"two\r\nlines"\r\n2,"stray\r\n3,x\r\n'
        b'4,"multi\r\nline, too"\r\n5,"a ""b"""\r\n'
    )
    rows = _rows(open_table(str(path)))
    assert [r.cells for r in rows] == [
        ["1", "two\r\nlines"],
        ["2", "stray"],
        ["3", "x"],
        ["4", "multi\r\nline, too"],
        ["5", 'a "b"'],
    ]
    assert [r.line for r in rows] == [2, 3, 4, 5, 6]  # as Excel numbers rows
    assert [r.error is None for r in rows] == [True, False, True, True, True]
    assert "opened on line 4 is never closed" in rows[1].error  # a line, for an editor


def test_stray_quote_on_the_last_line_is_an_error_row(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,a\n2,"b\n', encoding="utf-8")
    rows = _rows(open_table(str(path)))
    assert [r.cells for r in rows] == [["1", "a"], ["2", "b"]]
    assert rows[0].error is None
    assert rows[1].error is not None and "opened on line 3 is never closed" in rows[1].error


@given(
    lines=st.lists(st.tuples(csv_cell, csv_cell, st.booleans()), min_size=3, max_size=10),
    where=st.integers(0, 100),
)
def test_a_stray_quote_never_loses_or_merges_rows_even_beside_quoted_cells(
    tmp_path_factory, lines, where
):
    """Cells with a comma are quoted (as Excel writes them); one stray quote opens a cell
    on a line other than the last: every line is still one row, the stray one an error."""
    texts = [f'{a},"{b}, 注"' if quoted else f"{a},{b}" for a, b, quoted in lines]
    k = where % (len(texts) - 1)
    texts[k] = texts[k].split(",", 1)[0] + ',"' + texts[k].split(",", 1)[1]
    path = tmp_path_factory.mktemp("q") / "q.csv"
    path.write_text("\n".join(["id,text", *texts, ""]), encoding="utf-8")
    rows = _rows(open_table(str(path)))
    assert [r.line for r in rows] == list(range(2, len(texts) + 2))
    for i, (row, (a, b, quoted)) in enumerate(zip(rows, lines, strict=True)):
        if i != k:
            assert row.error is None and row.cells == [a, f"{b}, 注" if quoted else b], row
    assert rows[k].error is not None and rows[k].cells[0] == lines[k][0]


def _corner_workbook(path: Path, corner: str | None) -> Path:
    """Three rows, and the sheet's last cell XFD1048576 holding ``corner`` (None: the
    cell is only formatted, as Ctrl+End then a format leaves it)."""
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "text"])
    for i in range(1, 4):
        ws.append([i, f"市町村の情報セキュリティその{i}"])
    if corner is None:
        ws["XFD1048576"].font = Font(bold=True)
    else:
        ws["XFD1048576"] = corner
    wb.save(path)
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:XFD1048576"' in sheet
    return path


def test_xlsx_blank_rows_to_the_sheet_corner_cost_nothing(tmp_path):
    """A formatted cell in the last row declares the whole sheet; the rows after the
    last one holding anything are not rows, and skipping them costs nothing."""
    path = _corner_workbook(tmp_path / "corner.xlsx", None)
    start = time.perf_counter()
    table = open_table(str(path))
    rows = _rows(table)
    elapsed = time.perf_counter() - start
    assert [r.cells[0] for r in rows] == [1, 2, 3] and table.notes == []
    assert elapsed < 1.0, f"reading took {elapsed:.2f} s"


def test_xlsx_declaring_the_whole_sheet_is_read_in_time(tmp_path, capsys):
    """``x`` in XFD1048576: that row is a row (an error: a value beyond the header), and
    so are the blank rows between it and the data (results pasted beside the sheet must
    line up); they are made without reading anything, and a note names the far cell.
    Rows are streamed, as classify reads them (kept all in one list, a million rows cost
    as much again in garbage collection)."""
    path = _corner_workbook(tmp_path / "corner.xlsx", "x")
    start = time.perf_counter()
    table = open_table(str(path))
    first: list[Row] = []
    count, before_last, last = 0, None, None
    for row in table.rows:
        count += 1
        if count <= 4:
            first.append(row)
        before_last, last = last, row
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nA1:XFD1048576: open_table + rows in {elapsed:.3f} s ({count:,} rows)")
    assert [r.cells for r in first[:3]] == [
        [i, f"市町村の情報セキュリティその{i}"] for i in (1, 2, 3)
    ]
    assert first[3] == Row(4, [None, None], line=5)
    assert count == 1_048_575 and before_last == Row(1_048_574, [None, None], line=1_048_575)
    assert last is not None and last.line == 1_048_576
    assert last.error == "row has 1 value beyond the header"
    assert len(table.notes) == 1 and "XFD1048576" in table.notes[0]
    assert "rows 5–1,048,575 are empty" in table.notes[0]
    # About half a second here; the bound leaves room for a loaded, shared machine.
    assert elapsed < 3.0, f"reading took {elapsed:.1f} s"


# (kind of blank row, as it is written) for each format; the first two are empty, the
# others hold only blanks (rows all the same: a cell holding a space is a cell)
BLANK_CSV = ["", ",,", " , ,"]
BLANK_XLSX = [[], [None, None, None], [" "], [None, "\u3000", " "]]
TITLES = [["令和6年度 概算要求一覧"], ["（単位：千円）"], []]


def _blank_cells(kind, width: int, fmt: str) -> list:
    if fmt == "csv":
        return (kind.split(",") + [""] * width)[:width] if kind else [""] * width
    return ([*kind] + [None] * width)[:width]


@given(
    fmt=st.sampled_from(["csv", "xlsx"]),
    titles=st.lists(st.sampled_from(TITLES), max_size=3),
    layout=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), min_size=4, max_size=10),
    trailing=st.lists(st.integers(0, 3), max_size=3),
)
@CLI_SETTINGS
def test_blank_and_title_rows_never_change_the_data_rows(
    tmp_path_factory, fmt, titles, layout, trailing
):
    """Blank rows between data rows are rows (empty, in place); title rows above the header
    are skipped and reported; blank rows after the last data row are not rows."""
    blanks = BLANK_CSV if fmt == "csv" else BLANK_XLSX
    sheet: list = [list(t) for t in titles] + [["id", "text", "memo"]]
    expected: list[tuple[int, list]] = []  # (Excel row, cells)
    for n, (before, kind) in enumerate(layout):
        if n:  # blank rows before the first data row would be title rows
            for _ in range(before):
                sheet.append(blanks[kind % len(blanks)])
                expected.append((len(sheet), _blank_cells(sheet[-1], 3, fmt)))
        sheet.append([f"{n}", f"市町村の情報セキュリティその{n}", "メモ"])
        expected.append((len(sheet), sheet[-1]))
    # After the last data row, empty rows are not rows, but one holding only blanks is
    # (with the empty rows before it).
    tail = []
    for kind in trailing:
        sheet.append(blanks[kind % len(blanks)])
        tail.append((len(sheet), _blank_cells(sheet[-1], 3, fmt), kind % len(blanks) >= 2))
    last = max((i for i, t in enumerate(tail) if t[2]), default=-1)
    expected += [(line, cells) for line, cells, _ in tail[: last + 1]]
    path = tmp_path_factory.mktemp("blank") / f"b.{fmt}"
    if fmt == "csv":
        path.write_bytes(
            "\r\n".join(r if isinstance(r, str) else ",".join(r) for r in sheet).encode() + b"\r\n"
        )
    else:
        _xlsx(path, {"一覧": sheet})
    table = open_table(str(path))
    assert table.columns == ["id", "text", "memo"]
    assert table.header_line == len(titles) + 1
    if titles:
        above = "the row above it was" if len(titles) == 1 else f"the {len(titles)} rows above"
        assert f"the header is row {len(titles) + 1}; {above}" in " ".join(table.notes)
    rows = _rows(table)
    assert [(r.line, r.cells) for r in rows] == expected
    assert [r.number for r in rows] == list(range(1, len(expected) + 1))
    assert all(r.error is None for r in rows)


def test_jsonl_blank_lines_between_objects_are_rows(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text(
        '{"id": 1, "text": "市町村"}\n\n   \n{"id": 2, "text": "大学"}\n\n\n', encoding="utf-8"
    )
    rows = _rows(open_table(str(path)))
    assert [(r.line, r.cells) for r in rows] == [
        (1, [1, "市町村"]),
        (2, [None, None]),
        (3, [None, None]),
        (4, [2, "大学"]),
    ]


def test_xlsx_formula_never_calculated_is_kept_and_marks_its_row(tmp_path):
    """A workbook written by a program (never opened in Excel) has formulas but no values.
    The reader keeps the formula and says which cell holds it; the row is an error for a
    command reading its text from that cell (only the command knows which cells are text)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "text"])
    ws.append(["a", None])
    ws["B2"] = '=A2&"x"'
    ws.append(["b", "市町村"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    assert read_xlsx_values(path)[1] == ("a", None)  # what a values-only reader sees
    rows = _rows(open_table(str(path)))
    assert rows[0].cells == ["a", '=A2&"x"']
    assert rows[0].error is None and rows[0].uncalculated == (1,)
    error = rows[0].error_for([1])
    assert error is not None and '(=A2&"x")' in error and "not calculated" in error
    assert rows[0].error_for([0]) is None  # the text is elsewhere: the row reads fine
    assert rows[1] == Row(2, ["b", "市町村"], line=3)


@pytest.mark.parametrize("active", [0, 1])
def test_xlsx_hidden_sheet_is_never_read_by_default(tmp_path, active):
    wb = Workbook()
    hidden = wb.active
    hidden.title = "作業用"
    hidden.append(["x", "y"])
    hidden.append(["秘", "密"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("一覧")
    ws.append(["id", "text"])
    ws.append([1, "市町村の情報セキュリティ"])
    wb.active = active  # a hidden active sheet is what some tools leave behind
    path = tmp_path / "h.xlsx"
    wb.save(path)
    table = open_table(str(path))
    assert table.sheet == "一覧" and table.columns == ["id", "text"]
    assert table.notes == [
        "read sheet '一覧' (the file has 2: 作業用, 一覧; 1 hidden; choose with --sheet)"
    ]
    assert _rows(table) == [Row(1, [1, "市町村の情報セキュリティ"], line=2)]
    assert open_table(str(path), sheet="作業用").columns == ["x", "y"]  # when asked for


def test_a_zip_member_bigger_than_is_read_in_memory_is_refused_unread(tmp_path, monkeypatch):
    """A small zip can unpack to gigabytes: its size is checked before it is read."""
    from classifier.tables import read as read_mod

    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.csv", "id,text\n" + "1,サイバー\n" * 1000)
    monkeypatch.setattr(read_mod, "MAX_ZIP_MEMBER_BYTES", 1000)
    with pytest.raises(InputFileError, match=r"data\.csv unpacks to 15,008 bytes.*unzip it"):
        open_table(str(path))
    monkeypatch.setattr(read_mod, "MAX_ZIP_MEMBER_BYTES", 1 << 30)
    table = open_table(str(path))
    assert len(list(table.rows)) == 1000
    table.close()


def test_jsonl_numbers_no_float_holds_are_kept_as_their_text(tmp_path):
    """1e400 read as a float is infinity, which JSON output cannot hold: kept as text,
    like NaN and Infinity (which JSON has not, and Python reads)."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": 1, "a": 1e400, "b": NaN, "c": -Infinity, "d": 2.5}\n', encoding="utf-8")
    (row,) = _rows(open_table(str(path)))
    assert row.cells == [1, "1e400", "NaN", "-Infinity", 2.5]


def test_a_file_named_for_another_format_says_which_it_is(tmp_path):
    from openpyxl import Workbook

    book = tmp_path / "book.csv"  # a workbook saved under a .csv name
    wb = Workbook()
    wb.active.append(["事業名"])
    wb.save(book)
    with pytest.raises(InputFileError, match=r"this is an Excel workbook .* name it \.xlsx"):
        open_table(str(book))
    text = tmp_path / "text.xlsx"  # a CSV named .xlsx
    text.write_text("事業名,事業概要\nA,監視\n", encoding="cp932")
    with pytest.raises(InputFileError, match=r"this is a text file, not an Excel workbook"):
        open_table(str(text))
    assert open_table(str(text), "csv").columns == ["事業名", "事業概要"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_header_row_given_below_the_rows_looked_at_is_read(tmp_path, fmt):
    """34 rows of notes above the table: --header-row 35 finds it (30 rows are looked at
    to detect a header, not to read one that is named)."""
    notes = [[f"注{i}"] for i in range(34)]
    rows = [*notes, ["事業名", "事業概要"], ["A", "監視"], ["B", "訓練"]]
    path = tmp_path / f"t.{fmt}"
    if fmt == "csv":
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    else:
        from openpyxl import Workbook

        wb = Workbook()
        for r in rows:
            wb.active.append(r)
        wb.save(path)
    table = open_table(str(path), header_row=35)
    assert table.columns == ["事業名", "事業概要"]
    assert [r.cells for r in table.rows] == [["A", "監視"], ["B", "訓練"]]


def test_sheet_names_of_a_workbook_a_zipped_one_and_a_text_table(tmp_path):
    import zipfile

    from openpyxl import Workbook

    from classifier.tables import sheet_names

    wb = Workbook()
    wb.active.title = "表紙"
    wb.create_sheet("予算")
    book = tmp_path / "b.xlsx"
    wb.save(book)
    assert sheet_names(str(book)) == ["表紙", "予算"]
    zipped = tmp_path / "b.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(book, "2-1.xlsx")
    assert sheet_names(str(zipped)) == ["表紙", "予算"]
    text = tmp_path / "t.csv"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    assert sheet_names(str(text)) == []
