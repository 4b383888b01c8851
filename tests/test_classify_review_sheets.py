"""classify on the review-sheet download, end to end through ``classify_main``.

On the real files of ``corpus/rs2024/`` (one run each, shared by the tests of a module
fixture) and on small hand-made zips and CSVs. Every expected value is computed here from
the input files with the csv and zipfile modules, or written by hand.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from .helpers import (
    ADDED,
    ROOT,
    check_added,
    committed_model_loaded_once,
    read_csv_output,
    read_xlsx_values,
    run_classify,
)

RS_DIR = ROOT / "corpus" / "rs2024"
RS_12 = RS_DIR / "1-2_RS_2024_基本情報_事業概要等.zip"
RS_21 = RS_DIR / "2-1_RS_2024_予算・執行_サマリ.zip"
TEXT_FROM = "text from 事業名 + 事業の目的 + 現状・課題 + 事業の概要"
SUMMARY_COLUMNS = [
    "label",
    "kind",
    "heading",
    "programmes",
    "budget_initial_yen",
    "budget_request_yen",
    "programmes_any",
    "budget_initial_yen_any",
    "budget_request_yen_any",
    "programmes_budget_unknown",
    "programmes_budget_unknown_any",
    "lookup_key",
]
NOT_COUNTED = ("out_of_scope", "empty_text", "error")


@pytest.fixture(autouse=True, scope="module")
def _model_once():
    with committed_model_loaded_once():
        yield


def zipped_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with zipfile.ZipFile(path) as zf:
        (name,) = zf.namelist()
        text = zf.read(name).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    return header, rows


def first_excel_rows(ids: list[str]) -> list[int | str]:
    """duplicate_of worked out here: the Excel row (header = 1) of the first row with the
    id, for a row repeating an earlier id; "" otherwise."""
    seen: dict[str, int] = {}
    out: list[int | str] = []
    for excel_row, ident in enumerate(ids, start=2):
        key = ident.strip()
        if key and key in seen:
            out.append(seen[key])
        else:
            out.append("")
            if key:
                seen[key] = excel_row
    return out


def same_cells(got: list[str], original: list[str]) -> bool:
    """Whether CSV output cells are the input's: equal, or with the leading ``'`` the CSV
    writer puts before text Excel would run as a formula (``--`` in 旧事業番号, say)."""
    return len(got) == len(original) and all(
        g == o or (o[:1] in ("=", "+", "-", "@", "\t", "\r") and g == "'" + o)
        for g, o in zip(got, original, strict=True)
    )


def whole_yen(cell: str) -> int | None:
    if not cell.strip():
        return None
    amount = Decimal(cell.replace(",", ""))
    assert amount == int(amount), cell
    return int(amount)


def budget_summary_rows(header: list[str], rows: list[list[str]]) -> dict:
    """(予算事業ID, 予算年度) → (当初予算（合計）, 翌年度要求額（合計）) of the 2-1 summary rows:
    the rows with a 計（歳出予算現額合計） (the account rows under them have none)."""
    col = {c: header.index(c) for c in header}
    out: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    for r in rows:
        if not r[col["計（歳出予算現額合計）"]].strip():
            continue
        key = (r[col["予算事業ID"]], r[col["予算年度"]])
        assert key not in out, key
        out[key] = (
            whole_yen(r[col["当初予算（合計）"]]),
            whole_yen(r[col["翌年度要求額（合計）"]]),
        )
    return out


def blank(value):
    return "" if value is None else value


def make_zip(path: Path, members: dict[str, bytes | None]) -> Path:
    """A zip with these members (``None``: a folder entry)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if data is None:
                zf.writestr(zipfile.ZipInfo(name), b"")  # name ends with "/": a folder
            else:
                zf.writestr(name, data)
    return path


def csv_bytes(header: list[str], rows: list[list[str]], bom: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)  # CRLF, as the review-sheet site writes
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")


# --------------------------------------------------------------------------- the real 1-2 file


@pytest.fixture(scope="module")
def real_input():
    return zipped_csv(RS_12)


@pytest.fixture(scope="module")
def zip_run(tmp_path_factory, real_input):
    """``classify <1-2 zip>`` with no options (the zip copied so the output lands beside it)."""
    folder = tmp_path_factory.mktemp("rs_zip")
    src = folder / RS_12.name
    shutil.copyfile(RS_12, src)
    rc, err = run_classify([src])
    out = folder / "1-2_RS_2024_基本情報_事業概要等.classified.csv"
    return rc, err, out, read_csv_output(out) if out.exists() else None


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """``classify <the CSV extracted from the 1-2 zip>`` with no options."""
    folder = tmp_path_factory.mktemp("rs_csv")
    with zipfile.ZipFile(RS_12) as zf:
        (name,) = zf.namelist()
        src = folder / name
        src.write_bytes(zf.read(name))
    rc, err = run_classify([src])
    out = src.with_name(src.stem + ".classified.csv")
    return rc, err, out, read_csv_output(out) if out.exists() else None


def _check_real_output(rc, err, table, real_input):
    assert rc == 0, err
    assert TEXT_FROM in err
    assert "141 rows repeat an earlier 予算事業ID" in err
    header, rows = real_input
    n = len(header)
    assert table[0] == [*header, *ADDED, "duplicate_of"]
    body = table[1:]
    assert len(body) == len(rows) == 2906
    for got, original in zip(body, rows, strict=True):
        assert same_cells(got[:n], original)  # every row once, in order, cells untouched
        check_added(got[n : n + len(ADDED)])
    duplicate_of = [r[-1] for r in body]
    expected = first_excel_rows([r[header.index("予算事業ID")] for r in rows])
    assert duplicate_of == [str(e) for e in expected]
    assert sum(e != "" for e in expected) == 141  # PROVENANCE.md


def test_zip_without_options_is_read_as_a_review_sheet(zip_run, real_input):
    rc, err, _, table = zip_run
    _check_real_output(rc, err, table, real_input)


def test_extracted_csv_is_read_as_a_review_sheet_too(csv_run, zip_run, real_input):
    rc, err, _, table = csv_run
    _check_real_output(rc, err, table, real_input)
    assert table == zip_run[3]  # the same predictions from the zip and from its CSV


def test_duplicate_of_names_the_first_row_of_the_id(zip_run, real_input):
    header, rows = real_input
    table = zip_run[3]
    ident = header.index("予算事業ID")
    for excel_row, (row, out) in enumerate(zip(rows, table[1:], strict=True), start=2):
        if out[-1]:
            first = int(out[-1])
            assert first < excel_row
            assert rows[first - 2][ident] == row[ident]
            assert all(r[ident] != row[ident] for r in rows[: first - 2])


# ---------------------------------------------------------------------- --budget, summary sheet


@pytest.fixture(scope="module")
def budget_xlsx(tmp_path_factory):
    """``classify <1-2 zip> --budget <2-1 zip> -o out.xlsx``: the workbook and stderr."""
    out = tmp_path_factory.mktemp("rs_budget") / "out.xlsx"
    rc, err = run_classify([RS_12, "--budget", RS_21, "-o", out])
    assert rc == 0, err
    return out, err


@pytest.fixture(scope="module")
def budget_run(budget_xlsx):
    """The classified and summary sheets' values."""
    out, err = budget_xlsx
    classified = read_xlsx_values(out, "classified")
    summary = read_xlsx_values(out, "summary")
    return err, classified, summary


def test_budget_amounts_are_the_2_1_summary_row_of_the_programme_year(budget_run, real_input):
    err, classified, _ = budget_run
    assert "are not in" not in err  # every programme of the half has its budget
    header, rows = real_input
    budgets = budget_summary_rows(*zipped_csv(RS_21))
    out_header = list(classified[0])
    assert out_header == [
        *header,
        *ADDED,
        "duplicate_of",
        "budget_initial_yen",
        "budget_request_yen",
        "budget_counted",
    ]
    ident, year = header.index("予算事業ID"), header.index("事業年度")
    initial = out_header.index("budget_initial_yen")
    request = out_header.index("budget_request_yen")
    assert len(classified) - 1 == len(rows)
    for row, out in zip(rows, classified[1:], strict=True):
        expected = budgets[row[ident], row[year]]
        assert (out[initial], out[request]) == expected, row[ident]
        assert [blank(v) for v in out[: len(header)]] == row  # Excel keeps the cells as text
    duplicate_of = [blank(r[out_header.index("duplicate_of")]) for r in classified[1:]]
    assert duplicate_of == first_excel_rows([r[ident] for r in rows])
    # budget_counted is 0 exactly on the repeats, so a pivot summing the amounts of the
    # rows with 1 counts every programme once.
    counted = [r[out_header.index("budget_counted")] for r in classified[1:]]
    assert counted == [0 if d else 1 for d in duplicate_of]
    assert sum(c for c in counted) == len({r[ident] for r in rows})
    # The module docstring's example: 予算事業ID 1, 34482000.0 in the file.
    assert (classified[1][initial], classified[1][request]) == (33498000, 34482000)


def _under(label: str, parent: str) -> bool:
    """Whether ``label`` is ``parent`` or below it (labels spell their path: (2)③ⅰ < (2)③)."""
    return label.startswith(parent)


def expected_summary(classified: list[tuple], summary: list[tuple]) -> list[list]:
    """The summary table recomputed from the classified sheet."""
    header = list(classified[0])
    col = {c: header.index(c) for c in header}
    counted = []
    for r in classified[1:]:
        status = r[col["status"]]
        if status.startswith(NOT_COUNTED) or r[col["duplicate_of"]] not in (None, ""):
            continue
        labels = (r[col["labels"]] or "").split(";")
        assert r[col["label_1"]] in labels, r  # an in-scope row's set holds label_1
        initial, request = r[col["budget_initial_yen"]], r[col["budget_request_yen"]]
        counted.append(
            (
                r[col["label_1"]],
                labels,
                initial or 0,
                request or 0,
                initial in (None, "") or request in (None, ""),  # an amount not known
            )
        )
    out = []
    for label, kind, heading, *_ in summary[1:]:
        if kind == "target":
            first = [c for c in counted if c[0] == label]
            anywhere = [c for c in counted if label in c[1]]
        else:  # an item or area row: every row with a label under it, once
            first = [c for c in counted if _under(c[0], label)]
            anywhere = [c for c in counted if any(_under(x, label) for x in c[1])]
        out.append(
            [
                label,
                kind,
                heading,
                len(first),
                sum(c[2] for c in first),
                sum(c[3] for c in first),
                len(anywhere),
                sum(c[2] for c in anywhere),
                sum(c[3] for c in anywhere),
                sum(c[4] for c in first),
                sum(c[4] for c in anywhere),
                f"{label} {kind}",
            ]
        )
    return out


def test_yen_and_probabilities_are_shown_as_a_budget_table_shows_them(budget_xlsx):
    """Yen with thousands separators and probabilities to three places, in both sheets;
    counts stay General."""
    from openpyxl import load_workbook

    wb = load_workbook(budget_xlsx[0], read_only=True)
    try:
        for sheet, wanted in (
            ("classified", {"budget_initial_yen": "#,##0", "in_scope": "0.000"}),
            (
                "summary",
                {
                    "budget_initial_yen": "#,##0",
                    "budget_request_yen_any": "#,##0",
                    "programmes": "General",
                },
            ),
        ):
            rows = wb[sheet].iter_rows(max_row=40)
            header = [c.value for c in next(rows)]
            seen: dict[str, set[str]] = {c: set() for c in wanted}
            for row in rows:
                for name in seen:
                    cell = row[header.index(name)]
                    if isinstance(cell.value, int | float):
                        seen[name].add(cell.number_format)
            assert seen == {c: {f} for c, f in wanted.items()}
        classified = wb["classified"]
        header = [c.value for c in next(classified.iter_rows(max_row=1))]
        first = next(classified.iter_rows(min_row=2, max_row=2))
        assert first[header.index("confidence_1")].number_format == "0.000"
    finally:
        wb.close()


def test_summary_sheet_sums_the_classified_rows(budget_run, r3_policy):
    _, classified, summary = budget_run
    assert list(summary[0]) == SUMMARY_COLUMNS
    got = [list(r) for r in summary[1:]]
    assert got == expected_summary(classified, summary)
    kinds = [r[1] for r in got]
    assert kinds == sorted(kinds, key=["target", "item", "area"].index)  # targets, items, areas
    targets = [r[0] for r in got if r[1] == "target"]
    assert targets == [c.label for c in r3_policy.targets]
    assert [r[0] for r in got if r[1] == "area"] == ["(1)", "(2)", "(3)", "(4)", "(5)"]
    # Every counted programme is in exactly one target row, and in one area row.
    header = list(classified[0])
    status, duplicate_of = header.index("status"), header.index("duplicate_of")
    counted = sum(
        1
        for r in classified[1:]
        if not r[status].startswith(NOT_COUNTED) and r[duplicate_of] is None
    )
    assert counted > 0
    assert sum(r[3] for r in got if r[1] == "target") == counted
    assert sum(r[3] for r in got if r[1] == "area") == counted


# ---------------------------------------------------------------------- hand-made review sheets

RS_HEADER = [
    "予算事業ID",
    "事業年度",
    "事業名",
    "府省庁",
    "事業の目的",
    "現状・課題",
    "事業の概要",
    "主要経費",
]
# Texts whose label_1 is not in doubt (what test_classify_cli checks on short requests).
LOCAL = [
    "自治体情報セキュリティクラウドの高度化",
    "地方公共団体の情報セキュリティ対策を強化する。",
    "市町村のセキュリティ人材が不足している。",
    "都道府県と市町村が共同利用するセキュリティクラウドの監視機能を強化する。",
]  # (2)②ⅲ
CRIME = [
    "サイバー犯罪捜査の高度化",
    "サイバー犯罪に対処する。",
    "不正アクセス事案が増加している。",
    "不正アクセスやフィッシング事案の捜査用解析機材を整備する。",
]  # (2)①ⅳ
GOVERNMENT = [
    "政府機関の情報システムの監視",
    "政府機関の情報システムに対するサイバー攻撃を監視する。",
    "標的型攻撃が増えている。",
    "政府機関の横断的な監視体制（GSOC）を強化する。",
]  # (2)③, a target that is also an item
BRIDGE = [
    "道路橋の修繕",
    "老朽化した橋梁を補修する。",
    "橋梁の老朽化が進んでいる。",
    "老朽化した橋梁の補修を行う地方公共団体に補助する。",
]  # out of scope
EMPTY = ["", "", "", ""]


def rs_row(ident: str, texts: list[str], expense: str = "その他の事項経費", year: str = "2024"):
    name, purpose, issue, outline = texts
    return [ident, year, name, "総務省", purpose, issue, outline, expense]


HAND_ROWS = [
    rs_row("101", LOCAL),  # Excel row 2
    rs_row("102", CRIME),  # 3
    rs_row("103", BRIDGE),  # 4
    rs_row("101", LOCAL, "科学技術振興費"),  # 5: repeats row 2
    rs_row("104", EMPTY),  # 6
    rs_row("105", GOVERNMENT),  # 7: not in the budget file
    rs_row("102", CRIME, "エネルギー対策費"),  # 8: repeats row 3
]
BUDGET_HEADER = [
    "シート種別",
    "予算事業ID",
    "事業名",
    "予算年度",
    "当初予算（合計）",
    "翌年度要求額（合計）",
    "会計区分",
]
HAND_BUDGET = [
    ["レビューシート", "101", "甲", "2023", "1000", "2000", ""],  # another year: not used
    ["レビューシート", "101", "甲", "2024", "1200000.0", "1,500,000", ""],
    ["レビューシート", "101", "甲", "2024", "", "", "一般会計"],
    ["レビューシート", "102", "乙", "2024", "300000", "0", ""],
    ["レビューシート", "103", "丙", "2024", "99999999", "88888888", ""],
    ["レビューシート", "104", "丁", "2024", "5", "6", ""],
    ["レビューシート", "999", "戊", "2024", "7", "7", ""],  # a programme not classified
]
# Per row, by hand: (label_1, status, duplicate_of, initial, request).
HAND_EXPECTED = [
    ("(2)②ⅲ", "ok", "", 1200000, 1500000),
    ("(2)①ⅳ", "ok", "", 300000, 0),
    (None, "out_of_scope", "", 99999999, 88888888),
    ("(2)②ⅲ", "ok", 2, 1200000, 1500000),
    ("", "empty_text", "", 5, 6),
    ("(2)③", "ok", "", "", ""),
    ("(2)①ⅳ", "ok", 3, 300000, 0),
]


@pytest.fixture
def hand_files(tmp_path):
    src = make_zip(
        tmp_path / "1-2_RS_test.zip", {"1-2_RS_test.csv": csv_bytes(RS_HEADER, HAND_ROWS)}
    )
    budget = make_zip(
        tmp_path / "2-1_RS_test.zip", {"2-1_RS_test.csv": csv_bytes(BUDGET_HEADER, HAND_BUDGET)}
    )
    return src, budget


def test_hand_made_budget_join_and_missing_programme(tmp_path, hand_files):
    src, budget = hand_files
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--budget", budget, "-o", out])
    assert rc == 0, err
    assert TEXT_FROM in err
    assert "2 rows repeat an earlier 予算事業ID" in err
    assert "budget_counted is 0 on its repeats" in err
    assert "1 programme is not in" in err
    # A CSV has no summary sheet: the note says where the summary is.
    assert (
        "note: the budget summary per policy label is a sheet of Excel output (-o FILE.xlsx); "
        "for this CSV file, show-results (scripts/show_results.py) prints it" in err
    )
    table = read_csv_output(out)
    assert table[0] == [
        *RS_HEADER,
        *ADDED,
        "duplicate_of",
        "budget_initial_yen",
        "budget_request_yen",
        "budget_counted",
    ]
    assert [r[: len(RS_HEADER)] for r in table[1:]] == HAND_ROWS  # programme 105 still written
    n = len(RS_HEADER)
    for row, (label, status, duplicate, initial, request) in zip(
        table[1:], HAND_EXPECTED, strict=True
    ):
        assert row[n + ADDED.index("status")] == status, row
        if label is not None:
            assert row[n + ADDED.index("label_1")] == label, row
        counted = "0" if duplicate else "1"
        assert row[-4:] == [str(duplicate), str(initial), str(request), counted], row


def test_a_retyped_header_is_still_the_review_sheet(tmp_path, hand_files):
    """A 1-2 header that went through Excel (予算事業ＩＤ, 現状･課題, a note under 事業の概要,
    事業目的) gives the rows the same text, ids, duplicates and amounts as the download's."""
    _, budget = hand_files
    names = {
        "予算事業ID": "予算事業ＩＤ",
        "事業年度": "事業年度\n(西暦)",
        "事業の目的": "事業目的",
        "現状・課題": "現状･課題",
        "事業の概要": "事業の概要\n（500字以内）",
    }
    header = [names.get(c, c) for c in RS_HEADER]
    outputs = []
    for name, columns in (("download", RS_HEADER), ("retyped", header)):
        src = tmp_path / f"{name}.csv"
        src.write_bytes(csv_bytes(columns, HAND_ROWS))
        out = tmp_path / f"{name}.out.csv"
        rc, err = run_classify([src, "--budget", budget, "-o", out])
        assert rc == 0, err
        outputs.append((err, read_csv_output(out)))
    (_, download), (err, table) = outputs
    assert table[0][: len(RS_HEADER)] == header  # the names as the file wrote them
    assert [r[len(RS_HEADER) :] for r in table] == [r[len(RS_HEADER) :] for r in download]
    assert "text from 事業名 + 事業目的 + 現状･課題 + 事業の概要 （500字以内）" in err
    assert "note: column 事業目的 is read as 事業の目的" in err
    assert "2 rows repeat an earlier 予算事業ID" in err


def test_a_header_that_lost_a_text_field_says_so(tmp_path):
    header = ["目的" if c == "事業の目的" else c for c in RS_HEADER]
    src = tmp_path / "lost.csv"
    src.write_bytes(csv_bytes(header, HAND_ROWS))
    rc, err = run_classify([src, "-o", tmp_path / "out.csv"])
    assert rc == 0, err
    assert (
        "note: the header looks like the review-sheet download (1-2_RS_…_事業概要等) but has "
        "no 事業の目的 column (the nearest to 事業の目的 is 目的): it is read as a plain table"
    ) in err
    assert "duplicate_of" not in read_csv_output(tmp_path / "out.csv")[0]


def test_hand_made_summary_sheet(tmp_path, hand_files):
    src, budget = hand_files
    out = tmp_path / "out.xlsx"
    # Set threshold 0: every label is in every in-scope row's set, so each _any column
    # counts every counted programme.
    rc, err = run_classify([src, "--budget", budget, "-o", out, "--set-threshold", "0"])
    assert rc == 0, err
    classified = read_xlsx_values(out, "classified")
    header = list(classified[0])
    for row, (label, status, duplicate, initial, request) in zip(
        classified[1:], HAND_EXPECTED, strict=True
    ):
        assert row[header.index("status")] == status
        if label:
            assert row[header.index("label_1")] == label
        assert [blank(v) for v in row[-4:]] == [duplicate, initial, request, 0 if duplicate else 1]
    sheet = read_xlsx_values(out, "summary")[1:]
    assert [r[-1] for r in sheet] == [f"{r[0]} {r[1]}" for r in sheet]  # lookup_key
    assert len({r[-1] for r in sheet}) == len(sheet)  # one row per key, as a lookup needs
    summary = {(r[0], r[1]): list(r[3:-1]) for r in sheet}
    # Counted: row 2 (2)②ⅲ 1,200,000 / 1,500,000; row 3 (2)①ⅳ 300,000 / 0; row 7 (2)③
    # without a budget. Not counted: the bridge (out of scope), the empty row, rows 5 and 8
    # (repeats). Every counted programme is in every _any row: 3, 1,500,000, 1,500,000;
    # the last two columns count row 7, whose amounts are not known, where it counts.
    every = [3, 1500000, 1500000]
    expected = {key: [0, 0, 0, *every, 0, 1] for key in summary}
    expected["(2)②ⅲ", "target"] = [1, 1200000, 1500000, *every, 0, 1]
    expected["(2)①ⅳ", "target"] = [1, 300000, 0, *every, 0, 1]
    expected["(2)③", "target"] = [1, 0, 0, *every, 1, 1]
    expected["(2)①", "item"] = [1, 300000, 0, *every, 0, 1]
    expected["(2)②", "item"] = [1, 1200000, 1500000, *every, 0, 1]
    expected["(2)③", "item"] = [1, 0, 0, *every, 1, 1]
    expected["(2)", "area"] = [3, 1500000, 1500000, *every, 1, 1]
    assert summary == expected
    assert len(summary) == 25 + 3 + 5  # r3: 25 targets, 3 items with sub-items, 5 areas


def test_hand_made_duplicate_of(tmp_path):
    two_lines = [LOCAL[0], LOCAL[1] + "\n" + LOCAL[2], LOCAL[2], LOCAL[3]]
    rows = [
        rs_row("7", two_lines),  # 2 (a cell over two lines: still one Excel row)
        rs_row("8", CRIME),  # 3
        rs_row("7", LOCAL),  # 4 → 2
        rs_row("", LOCAL),  # 5: no id, never a repeat
        rs_row("", LOCAL),  # 6
        rs_row(" 8 ", CRIME),  # 7 → 3 (the id is compared without blanks)
        rs_row("7", EMPTY),  # 8 → 2
    ]
    src = tmp_path / "rs.csv"
    src.write_bytes(csv_bytes(RS_HEADER, rows))
    rc, err = run_classify([src, "-q"])
    assert rc == 0, err
    table = read_csv_output(tmp_path / "rs.classified.csv")
    assert [r[-1] for r in table[1:]] == ["", "", "2", "", "", "3", "2"]
    assert [r[: len(RS_HEADER)] for r in table[1:]] == rows


def test_duplicate_of_names_the_output_row_below_title_rows(tmp_path):
    """A workbook with a title and a units line above its header: the output has neither,
    so duplicate_of names the row where the first occurrence is in the output."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["令和6年度 行政事業レビューシート 抜粋"])
    ws.append(["（単位：円）"])
    ws.append(RS_HEADER)
    for r in [rs_row("7", LOCAL), rs_row("8", CRIME), rs_row("7", LOCAL)]:
        ws.append(r)
    wb.save(tmp_path / "rs.xlsx")
    out = tmp_path / "out.xlsx"
    rc, err = run_classify([tmp_path / "rs.xlsx", "-o", out])
    assert rc == 0, err
    table = read_xlsx_values(out, "classified")
    assert table[0][: len(RS_HEADER)] == tuple(RS_HEADER)
    assert table[0][-1] == "duplicate_of"
    assert [r[-1] for r in table[1:]] == [None, None, 2]  # row 2 of the output, not row 4
    assert table[1][0] == table[3][0] == "7"


def _classify_with_budget(
    tmp_path: Path, rows: list[list[str]], budget_rows: list[list[str]], out_name: str
) -> tuple[Path, str]:
    """classify a hand-made 1-2 CSV with --budget on a hand-made 2-1 CSV; (output, stderr)."""
    src = tmp_path / "1-2.csv"
    src.write_bytes(csv_bytes(RS_HEADER, rows))
    budget = tmp_path / "2-1.csv"
    budget.write_bytes(csv_bytes(BUDGET_HEADER, budget_rows))
    out = tmp_path / out_name
    rc, err = run_classify([src, "--budget", budget, "-o", out])
    assert rc == 0, err
    return out, err


def test_two_years_pasted_together_are_two_programmes_each(tmp_path):
    """A programme repeats once a year in two years' downloads pasted together: each
    year's row counts in the summary, and repeats are within a year only."""
    rows = [
        rs_row("101", LOCAL, year="2023"),  # 2
        rs_row("102", CRIME, year="2023"),  # 3
        rs_row("101", LOCAL),  # 4: 2024, a programme of its own
        rs_row("0101", LOCAL, "科学技術振興費"),  # 5 → 4 (2024 again; 0101 is 101)
        rs_row("102", CRIME),  # 6: 2024
    ]
    budget_rows = [
        ["レビューシート", "101", "甲", "2023", "1000", "2000", ""],
        ["レビューシート", "102", "乙", "2023", "30", "40", ""],
        ["レビューシート", "101", "甲", "2024", "1200", "1500", ""],
        ["レビューシート", "102", "乙", "2024", "300", "0", ""],
    ]
    out, err = _classify_with_budget(tmp_path, rows, budget_rows, "out.xlsx")
    assert "1 row repeats an earlier 予算事業ID of the same 事業年度" in err
    assert "the file holds 2 事業年度 (2023, 2024)" in err
    classified = read_xlsx_values(out, "classified")
    header = list(classified[0])
    at = [header.index(c) for c in ("duplicate_of", "budget_initial_yen", "budget_counted")]
    assert [[blank(r[i]) for i in at] for r in classified[1:]] == [
        ["", 1000, 1],
        ["", 30, 1],
        ["", 1200, 1],
        [4, 1200, 0],
        ["", 300, 1],
    ]
    summary = {(r[0], r[1]): r[3:6] for r in read_xlsx_values(out, "summary")[1:]}
    assert summary["(2)②ⅲ", "target"] == (2, 2200, 3500)  # 101 in 2023 and in 2024
    assert summary["(2)①ⅳ", "target"] == (2, 330, 40)


def test_era_years_join_the_download_s_years_and_a_blank_year_is_no_year(tmp_path):
    """A 1-2 file typed by hand writes 令和6年度 where 2-1 writes 2024: the same year. A row
    with no 事業年度 is not listed among the file's years."""
    rows = [
        rs_row("101", LOCAL, year="令和6年度"),
        rs_row("102", CRIME, year="R6"),
        rs_row("103", BRIDGE, year=""),
    ]
    budget_rows = [
        ["レビューシート", "101", "甲", "2024", "1200", "1500", ""],
        ["レビューシート", "102", "乙", "令和6年度", "300", "0", ""],
    ]
    out, err = _classify_with_budget(tmp_path, rows, budget_rows, "out.csv")
    assert "the file holds" not in err  # one year only: no note listing years
    assert "1 programme is not in" in err and "(first: 予算事業ID 103, 事業年度 blank)" in err
    table = read_csv_output(out)
    assert [r[-3:-1] for r in table[1:]] == [["1200", "1500"], ["300", "0"], ["", ""]]


def test_budget_on_a_table_that_is_not_a_review_sheet(tmp_path, hand_files):
    _, budget = hand_files
    src = tmp_path / "requests.csv"
    src.write_bytes(csv_bytes(["id", "text"], [["1", "情報セキュリティ対策の強化"]]))
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--budget", budget, "-o", out])
    assert rc == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "--budget" in err and "予算事業ID" in err and "事業年度" in err
    assert not out.exists()


def test_budget_file_that_is_not_a_2_1_file(tmp_path, hand_files):
    src, _ = hand_files
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--budget", src, "-o", out])
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "not a review-sheet budget file" in err
    assert not out.exists()


def test_budget_with_a_fractional_amount(tmp_path, hand_files):
    src, _ = hand_files
    budget = tmp_path / "2-1.csv"
    budget.write_bytes(
        csv_bytes(BUDGET_HEADER, [["レビューシート", "101", "甲", "2024", "12.5", "1", ""]])
    )
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--budget", budget, "-o", out])
    assert rc == 2 and err.count("\n") == 1, err
    assert "row 2" in err and "12.5" in err
    assert not out.exists()


# --------------------------------------------------------------------------- any table in a zip

PLAIN_ROWS = [
    ["1", "地方公共団体の情報セキュリティ対策を支援する。"],
    ["2", "道路橋の修繕を行う。"],
    ["3", ""],
]


def _classified_plain(tmp_path: Path, name: str) -> list[list[str]]:
    src = tmp_path / name
    src.write_bytes(csv_bytes(["id", "text"], PLAIN_ROWS))
    rc, err = run_classify([src, "-q"])
    assert rc == 0, err
    return read_csv_output(src.with_name(src.stem + ".classified.csv"))


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"__MACOSX/": None, "__MACOSX/._requests.csv": b"\x00\x05\x16\x07", ".DS_Store": b"\x00"},
        {"folder/": None, "folder/.hidden.csv": b"id,text\n9,x\n"},
        {"readme.txt": "列の説明".encode(), "定義書.pdf": b"%PDF-1.4"},
    ],
    ids=["one member", "with mac files", "with a folder and a dot-file", "with documents"],
)
def test_zip_with_one_table_is_classified_like_the_table(tmp_path, extra):
    expected = _classified_plain(tmp_path, "plain.csv")
    assert expected[0] == ["id", "text", *ADDED]  # not a review sheet: no duplicate_of
    members = {**extra, "requests.csv": csv_bytes(["id", "text"], PLAIN_ROWS)}
    src = make_zip(tmp_path / "requests.zip", members)
    rc, err = run_classify([src])
    assert rc == 0, err
    assert "text from text" in err
    assert read_csv_output(tmp_path / "requests.classified.csv") == expected


def test_zip_holding_an_xlsx(tmp_path):
    from openpyxl import Workbook

    expected = _classified_plain(tmp_path, "plain.csv")
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "text"])
    for r in PLAIN_ROWS:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    src = make_zip(tmp_path / "book.zip", {"book.xlsx": buf.getvalue()})
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "-o", out, "-q"])
    assert rc == 0, err
    got = read_csv_output(out)
    assert got[0] == expected[0]
    # Same predictions; Excel gives an empty cell for "".
    assert [r[2:] for r in got[1:]] == [r[2:] for r in expected[1:]]


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ({"a.csv": b"id,text\n1,x\n", "b.csv": b"id,text\n2,y\n"}, "holds 2 (a.csv, b.csv)"),
        ({"a.txt": b"id\ttext\n1\tx\n", "b.txt": b"x"}, "holds 2 (a.txt, b.txt)"),
        ({"folder/": None}, "holds 0 (nothing)"),
        ({}, "holds 0 (nothing)"),
        ({"__MACOSX/": None, "__MACOSX/._a.csv": b"x", ".DS_Store": b"x"}, "holds 0 (nothing)"),
    ],
    ids=["two files", "two txt files", "only a folder", "empty", "only mac files"],
)
def test_zip_without_exactly_one_table_exits_2(tmp_path, members, says):
    src = make_zip(tmp_path / "export.zip", members)
    rc, err = run_classify([src])
    assert rc == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert str(src) in err and says in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]  # no output file


def test_damaged_zip_exits_2(tmp_path):
    src = tmp_path / "export.zip"
    src.write_bytes(b"PK\x03\x04 not really a zip")
    rc, err = run_classify([src])
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert str(src) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]


def test_rows_without_an_id_with_budget_are_said_apart(tmp_path, hand_files):
    """Two rows with a blank 予算事業ID: empty amounts, each counted once, and the note says
    so instead of calling them one programme missing from 2-1."""
    _, budget = hand_files
    src = tmp_path / "rs.csv"
    src.write_bytes(
        csv_bytes(RS_HEADER, [rs_row("101", LOCAL), rs_row("", CRIME), rs_row("", BRIDGE)])
    )
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--budget", budget, "-o", out])
    assert rc == 0, err
    assert (
        "note: 2 rows have no 予算事業ID, so --budget could join nothing to them (their cells "
        "are empty)\n" in err
    )
    assert "not in" not in err  # no programme is missing from 2-1
    table = read_csv_output(out)
    assert [r[-3:] for r in table[1:]] == [
        ["1200000", "1500000", "1"],
        ["", "", "1"],
        ["", "", "1"],
    ]


def test_out_of_scope_rows_a_screening_pass_would_read_are_counted(zip_run, real_input):
    """The run says how many out_of_scope rows have in_scope >= 0.2 (the README's screening
    threshold), counted from the output itself."""
    rc, err, _, table = zip_run
    assert rc == 0, err
    header = table[0]
    status, p_in = header.index("status"), header.index("in_scope")
    near = sum(r[status] == "out_of_scope" and float(r[p_in]) >= 0.2 for r in table[1:])
    assert near > 0
    assert (
        f"note: {near} out_of_scope rows have an in_scope of 0.2 or more: worth a look when a "
        "missed programme costs more than a row read (sort by in_scope, or --scope-threshold "
        "0.2)"
    ) in err.splitlines()
