"""classify ``--cited``: the review sheets' 1-3 file (cited policies, laws and plans) joined
onto the 1-2 rows as ``cited_cyber``, end to end through ``classify_main``; and the budget
summary of a table that has 予算事業ID and 事業年度 but is not a review sheet.

Expected values are written by hand from the small files built here, or computed from
the output's own per-row cells (the summary sums).
"""

from __future__ import annotations

import unicodedata

import pytest

from .helpers import (
    ADDED,
    ROOT,
    committed_model_loaded_once,
    read_csv_output,
    read_jsonl_output,
    read_xlsx_values,
    run_classify,
)
from .test_classify_review_sheets import (
    BRIDGE,
    BUDGET_HEADER,
    CRIME,
    GOVERNMENT,
    HAND_BUDGET,
    HAND_EXPECTED,
    HAND_ROWS,
    LOCAL,
    NOT_COUNTED,
    RS_12,
    RS_HEADER,
    csv_bytes,
    make_zip,
    rs_row,
    zipped_csv,
)
from .test_sources_rs import dict_rows

RS_13 = ROOT / "corpus" / "rs2024" / "1-3_RS_2024_基本情報_政策・施策、法令等.zip"
CITED_HEADER = [
    "シート種別",
    "事業年度",
    "予算事業ID",
    "事業名",
    "政策",
    "施策",
    "法令名",
    "計画通知名",
]
HAND_CITED = [
    # 101: two rows, three cyber names (one twice), one name that is not cyber.
    ["レビューシート", "2024", "101", "甲", "", "", "サイバーセキュリティ基本法", "IT戦略"],
    [
        "レビューシート",
        "2024",
        "101",
        "甲",
        "",
        "",
        "サイバーセキュリティ基本法",
        "「サイバーセキュリティ2023」",
    ],
    [
        "レビューシート",
        "2024",
        "101",
        "甲",
        "",
        "政府機関等の情報セキュリティ対策のための統一基準",
        "",
        "",
    ],
    # 102: only other senses of security, and a cyber plan in another year.
    ["レビューシート", "2024", "102", "乙", "核セキュリティの強化", "食料安全保障", "", ""],
    ["レビューシート", "2023", "102", "乙", "", "", "サイバーセキュリティ基本法", ""],
    # 103 (the bridge, out of scope): a 施策 in full-width digits, and a two-line name.
    [
        "レビューシート",
        "2024",
        "103",
        "丙",
        "",
        "６－１　サイバー事案対策の推進",
        "",
        "サイバー\n戦略",
    ],
    # 105 is listed and cites nothing cyber; 104 is not in the file at all.
    ["レビューシート", "2024", "105", "戊", "セキュリティ・キャンプ", "", "", ""],
]
# Per classified row (HAND_ROWS order): its cited_cyber, by hand (names as written, in
# file order, each once).
LOCAL_CITES = (
    "サイバーセキュリティ基本法; 「サイバーセキュリティ2023」; "
    "政府機関等の情報セキュリティ対策のための統一基準"
)
HAND_CITED_EXPECTED = [
    LOCAL_CITES,
    "",
    "6-1 サイバー事案対策の推進; サイバー 戦略",
    LOCAL_CITES,
    "",
    "",
    "",
]


@pytest.fixture(autouse=True, scope="module")
def _model_once():
    with committed_model_loaded_once():
        yield


@pytest.fixture
def files(tmp_path):
    src = make_zip(
        tmp_path / "1-2_RS_test.zip", {"1-2_RS_test.csv": csv_bytes(RS_HEADER, HAND_ROWS)}
    )
    budget = make_zip(
        tmp_path / "2-1_RS_test.zip", {"2-1_RS_test.csv": csv_bytes(BUDGET_HEADER, HAND_BUDGET)}
    )
    cited = make_zip(
        tmp_path / "1-3_RS_test.zip", {"1-3_RS_test.csv": csv_bytes(CITED_HEADER, HAND_CITED)}
    )
    return src, budget, cited


def test_cited_adds_the_cyber_citations_and_changes_nothing_else(tmp_path, files):
    src, _, cited = files
    plain, with_cited = tmp_path / "plain.csv", tmp_path / "cited.csv"
    rc, err = run_classify([src, "-o", plain, "-q"])
    assert rc == 0, err
    rc, err = run_classify([src, "--cited", cited, "-o", with_cited])
    assert rc == 0, err
    before, after = read_csv_output(plain), read_csv_output(with_cited)
    assert after[0] == [*RS_HEADER, *ADDED, "duplicate_of", "cited_cyber"]
    assert [r[:-1] for r in after] == before  # every row, in order, its prediction unchanged
    assert [r[-1] for r in after[1:]] == HAND_CITED_EXPECTED
    # Rows 2, 4 and 5 cite (the repeat of 101 too); the bridge is the one out of scope;
    # programme 104 is missing from the 1-3 file.
    status = [r[len(RS_HEADER) + ADDED.index("status")] for r in after[1:]]
    assert status[2] == "out_of_scope"
    assert "note: 3 rows cite a cybersecurity policy, law or plan" in err
    assert "1 of them out_of_scope" in err
    assert "1 programme is not in that file at all" in err


def test_cited_with_budget_keeps_amounts_and_summary(tmp_path, files):
    src, budget, cited = files
    plain, with_cited = tmp_path / "plain.xlsx", tmp_path / "cited.xlsx"
    rc, err = run_classify([src, "--budget", budget, "-o", plain, "-q"])
    assert rc == 0, err
    rc, err = run_classify([src, "--budget", budget, "--cited", cited, "-o", with_cited, "-q"])
    assert rc == 0, err
    rows = read_xlsx_values(with_cited, "classified")
    assert list(rows[0][-5:]) == [
        "duplicate_of",
        "budget_initial_yen",
        "budget_request_yen",
        "budget_counted",
        "cited_cyber",
    ]
    for row, (_, _, duplicate, initial, request), names in zip(
        rows[1:], HAND_EXPECTED, HAND_CITED_EXPECTED, strict=True
    ):
        got = ["" if v is None else v for v in row[-5:]]
        assert got == [duplicate, initial, request, 0 if duplicate else 1, names]
    assert read_xlsx_values(with_cited, "summary") == read_xlsx_values(plain, "summary")


def test_cited_on_the_real_1_3_file(tmp_path):
    # In the real file (read by hand): programme 47, サイバーセキュリティ戦略本部等経費, cites
    # サイバーセキュリティ基本法 and 「サイバーセキュリティ戦略」 (each followed by a row
    # continuing it: （平成26年法律第104号）, （令和3年9月28日閣議決定）); programme 1,
    # 内閣人事局経費, cites 国家公務員法 and a training policy, nothing cyber.
    src = tmp_path / "rs.csv"
    src.write_bytes(csv_bytes(RS_HEADER, [rs_row("47", GOVERNMENT), rs_row("1", BRIDGE)]))
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--cited", RS_13, "-o", out, "-q"])
    assert rc == 0, err
    assert [r[-1] for r in read_csv_output(out)[1:]] == [
        "サイバーセキュリティ基本法; 「サイバーセキュリティ戦略」",
        "",
    ]


def test_cited_needs_the_programme_id_and_year(tmp_path, files):
    _, _, cited = files
    src = tmp_path / "requests.csv"
    src.write_bytes(csv_bytes(["id", "text"], [["1", "情報セキュリティ対策の強化"]]))
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--cited", cited, "-o", out])
    assert rc == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "--cited" in err and "予算事業ID" in err and "事業年度" in err
    assert not out.exists()


def test_cited_file_that_is_not_a_1_3_file(tmp_path, files):
    src, budget, _ = files
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--cited", budget, "-o", out])
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "not a review-sheet citations file" in err and "政策" in err
    assert not out.exists()


def test_budget_summary_of_a_table_that_is_not_a_review_sheet(tmp_path, files):
    """A table with 予算事業ID and 事業年度 but its own text column has no duplicate_of
    column: its first added budget cell must not be taken for a repeat (every row with an
    amount used to drop out of the summary)."""
    _, budget, _ = files
    rows = [
        ["101", "2024", "\n".join(LOCAL)],
        ["102", "2024", "\n".join(CRIME)],
        ["103", "2024", "\n".join(BRIDGE)],
        ["105", "2024", "\n".join(GOVERNMENT)],  # not in the budget file
    ]
    src = tmp_path / "export.csv"
    src.write_bytes(csv_bytes(["予算事業ID", "事業年度", "概要"], rows))
    out = tmp_path / "out.xlsx"
    rc, err = run_classify([src, "--text-column", "概要", "--budget", budget, "-o", out, "-q"])
    assert rc == 0, err
    classified = read_xlsx_values(out, "classified")
    header = list(classified[0])
    assert header[-3:] == ["budget_initial_yen", "budget_request_yen", "budget_counted"]
    # The amounts of HAND_BUDGET's 2024 summary rows, by hand; four programmes, each once.
    amounts = [(1200000, 1500000), (300000, 0), (99999999, 88888888), (None, None)]
    assert [tuple(r[-3:-1]) for r in classified[1:]] == amounts
    assert [r[-1] for r in classified[1:]] == [1, 1, 1, 1]
    expected: dict[str, list[int]] = {}
    for row, (initial, request) in zip(classified[1:], amounts, strict=True):
        if row[header.index("status")].startswith(NOT_COUNTED):
            continue
        sums = expected.setdefault(row[header.index("label_1")], [0, 0, 0])
        sums[0] += 1
        sums[1] += initial or 0
        sums[2] += request or 0
    assert sum(n for n, _, _ in expected.values()) == 3  # the bridge is out of scope
    summary = {r[0]: list(r[3:6]) for r in read_xlsx_values(out, "summary")[1:] if r[1] == "target"}
    for label, sums in summary.items():
        assert sums == expected.get(label, [0, 0, 0]), label


# ---------------------------------------------------------------------- more of --cited


@pytest.mark.parametrize(
    "header",
    [
        ["予算事業ID", "概要"],  # an export's id but no year
        [c for c in RS_HEADER if c != "事業年度"],  # a review sheet without 事業年度
    ],
    ids=["table without the year", "review sheet without the year"],
)
def test_cited_without_the_year_column_exits_2(tmp_path, files, header):
    _, _, cited = files
    src = tmp_path / "in.csv"
    src.write_bytes(
        csv_bytes(header, [["101", *["地方公共団体の情報セキュリティ"] * (len(header) - 1)]])
    )
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--text-column", header[1], "--cited", cited, "-o", out])
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "--cited joins on 予算事業ID and 事業年度" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("which", "says"),
    [
        ("plain table", "no column 予算事業ID, 事業年度, 政策, 施策, 法令名, 計画通知名"),
        ("the 1-2 input", "no column 政策, 施策, 法令名, 計画通知名"),
        ("missing file", None),
    ],
)
def test_cited_file_that_cannot_be_used_exits_2(tmp_path, files, which, says):
    src, _, _ = files
    if which == "plain table":
        cited = tmp_path / "requests.csv"
        cited.write_bytes(csv_bytes(["id", "text"], [["1", "サイバーセキュリティ基本法"]]))
    elif which == "the 1-2 input":
        cited = src
    else:
        cited = tmp_path / "1-3_missing.zip"
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--cited", cited, "-o", out])
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert str(cited) in err
    if says is not None:
        assert "not a review-sheet citations file" in err
        assert err.rstrip("\n").endswith(says), err
    assert not out.exists()


def test_output_onto_the_cited_file_is_refused(tmp_path, files):
    src, _, _ = files
    cited = tmp_path / "1-3.csv"
    data = csv_bytes(CITED_HEADER, HAND_CITED)
    cited.write_bytes(data)
    rc, err = run_classify([src, "--cited", cited, "-o", cited])
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "-o" in err and "is the input" in err
    assert cited.read_bytes() == data  # the 1-3 file is untouched


def test_cited_in_jsonl_output(tmp_path, files):
    src, _, cited = files
    out = tmp_path / "out.jsonl"
    rc, err = run_classify([src, "--cited", cited, "-o", out, "-q"])
    assert rc == 0, err
    records = read_jsonl_output(out)
    assert [r["予算事業ID"] for r in records] == [r[0] for r in HAND_ROWS]
    assert [r["cited_cyber"] for r in records] == HAND_CITED_EXPECTED
    assert list(records[0])[-2:] == ["duplicate_of", "cited_cyber"]


def test_cited_when_no_row_cites_and_every_programme_is_listed(tmp_path, files):
    src, _, _ = files
    cited = tmp_path / "1-3.csv"
    cited.write_bytes(
        csv_bytes(
            CITED_HEADER,
            [
                ["レビューシート", "2024", i, "x", "", "", "電波法", ""]
                for i in "101 102 103 104 105".split()
            ],
        )
    )
    out = tmp_path / "out.csv"
    rc, err = run_classify([src, "--cited", cited, "-o", out])
    assert rc == 0, err
    assert [r[-1] for r in read_csv_output(out)[1:]] == [""] * len(HAND_ROWS)
    assert "note: 0 rows cite a cybersecurity policy, law or plan" in err
    assert "0 of them out_of_scope" in err
    assert "not in that file" not in err


NOT_RS_ROWS = [
    ["101", "2024", "\n".join(LOCAL)],
    ["102", "2024", "\n".join(CRIME)],
    ["103", "2024", "\n".join(BRIDGE)],
    ["105", "2024", "\n".join(GOVERNMENT)],
]
# By hand from HAND_BUDGET and HAND_CITED: (initial, request, cited_cyber) per row.
NOT_RS_EXTRAS = [
    (1200000, 1500000, LOCAL_CITES),
    (300000, 0, ""),
    (99999999, 88888888, "6-1 サイバー事案対策の推進; サイバー 戦略"),
    (None, None, ""),
]


@pytest.mark.parametrize("budget_too", [True, False], ids=["budget and cited", "cited"])
def test_summary_of_a_table_that_is_not_a_review_sheet_with_cited(tmp_path, files, budget_too):
    """No duplicate_of column, and the citation is the last added cell: neither an amount
    nor a citation may be taken for a repeat, and the amounts are read before the
    citation."""
    _, budget, cited = files
    src = tmp_path / "export.csv"
    src.write_bytes(csv_bytes(["予算事業ID", "事業年度", "概要"], NOT_RS_ROWS))
    out = tmp_path / "out.xlsx"
    options = ["--budget", budget] if budget_too else []
    rc, err = run_classify(
        [src, "--text-column", "概要", *options, "--cited", cited, "-o", out, "-q"]
    )
    assert rc == 0, err
    classified = read_xlsx_values(out, "classified")
    header = list(classified[0])
    added = ["budget_initial_yen", "budget_request_yen", "budget_counted"] if budget_too else []
    assert header == ["予算事業ID", "事業年度", "概要", *ADDED, *added, "cited_cyber"]
    body = classified[1:]
    assert [r[:2] for r in body] == [tuple(r[:2]) for r in NOT_RS_ROWS]
    assert [r[-1] or "" for r in body] == [names for *_, names in NOT_RS_EXTRAS]
    if budget_too:
        assert [tuple(r[-4:-2]) for r in body] == [(i, q) for i, q, _ in NOT_RS_EXTRAS]
    # The in-scope rows (by their status), each summed under its label_1's area.
    status, label_1 = header.index("status"), header.index("label_1")
    counted = [
        (r[label_1], *(amounts[:2] if budget_too else (None, None)))
        for r, amounts in zip(body, NOT_RS_EXTRAS, strict=True)
        if not r[status].startswith(NOT_COUNTED)
    ]
    assert len(counted) == 3  # the bridge is out of scope
    areas = {r[0]: list(r[3:6]) for r in read_xlsx_values(out, "summary")[1:] if r[1] == "area"}
    for area, got in areas.items():
        under = [c for c in counted if c[0].startswith(area)]
        expected = [len(under), sum(c[1] or 0 for c in under), sum(c[2] or 0 for c in under)]
        if not budget_too:  # no amounts joined: the budget cells are empty, not 0 yen
            expected[1:] = [None, None]
        assert got == expected, area
    assert sum(n for n, _, _ in areas.values()) == 3


def test_cited_on_the_whole_real_1_2_and_1_3_files(tmp_path):
    """Every row of the real 1-2 file: its cited_cyber worked out here from the 1-3 zip
    (csv, zipfile, NFKC), and the note's counts from those and the output's status."""
    header, rows = zipped_csv(RS_12)
    expected: dict[tuple[str, str], dict[str, None]] = {}
    for r in dict_rows(RS_13):
        for field in ("政策", "施策", "法令名", "計画通知名"):
            name = " ".join(unicodedata.normalize("NFKC", r[field]).split())
            if "サイバー" in name or "情報セキュリティ" in name:
                expected.setdefault((r["予算事業ID"], r["事業年度"]), {})[name] = None
    ident, year = header.index("予算事業ID"), header.index("事業年度")
    names = ["; ".join(expected.get((r[ident], r[year]), {})) for r in rows]
    out = tmp_path / "out.csv"
    rc, err = run_classify([RS_12, "--cited", RS_13, "-o", out])
    assert rc == 0, err
    table = read_csv_output(out)
    assert table[0] == [*header, *ADDED, "duplicate_of", "cited_cyber"]
    assert len(table) - 1 == len(rows) == 2906
    assert [r[ident] for r in table[1:]] == [r[ident] for r in rows]  # every row, in order
    assert [r[-1] for r in table[1:]] == names
    status = len(header) + ADDED.index("status")
    n_cited = sum(bool(n) for n in names)
    n_out = sum(
        bool(n) and r[status] == "out_of_scope" for n, r in zip(names, table[1:], strict=True)
    )
    assert n_cited >= 22  # 22 programmes cite; repeated rows cite too
    assert (
        f"note: {n_cited} rows cite a cybersecurity policy, law or plan in {RS_13} "
        f"(cited_cyber), {n_out} of them out_of_scope"
    ) in err
    assert "not in that file" not in err  # the 1-3 file lists every programme
