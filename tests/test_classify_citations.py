"""classify ``--cited``: the review sheets' 1-3 file (cited policies, laws and plans) joined
onto the 1-2 rows as ``cited_cyber``, end to end through ``classify_main``; and the budget
summary of a table that has 予算事業ID and 事業年度 but is not a review sheet.

Expected values are written by hand from the small files built here, or computed from
the output's own per-row cells (the summary sums).
"""

from __future__ import annotations

import pytest

from .helpers import (
    ADDED,
    ROOT,
    committed_model_loaded_once,
    read_csv_output,
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
    RS_HEADER,
    csv_bytes,
    make_zip,
    rs_row,
)

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
    assert "1 programmes are not in that file at all" in err


def test_cited_with_budget_keeps_amounts_and_summary(tmp_path, files):
    src, budget, cited = files
    plain, with_cited = tmp_path / "plain.xlsx", tmp_path / "cited.xlsx"
    rc, err = run_classify([src, "--budget", budget, "-o", plain, "-q"])
    assert rc == 0, err
    rc, err = run_classify([src, "--budget", budget, "--cited", cited, "-o", with_cited, "-q"])
    assert rc == 0, err
    rows = read_xlsx_values(with_cited, "classified")
    assert list(rows[0][-4:]) == [
        "duplicate_of",
        "budget_initial_yen",
        "budget_request_yen",
        "cited_cyber",
    ]
    for row, (_, _, duplicate, initial, request), names in zip(
        rows[1:], HAND_EXPECTED, HAND_CITED_EXPECTED, strict=True
    ):
        got = ["" if v is None else v for v in row[-4:]]
        assert got == [duplicate, initial, request, names]
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
    assert header[-2:] == ["budget_initial_yen", "budget_request_yen"]
    # The amounts of HAND_BUDGET's 2024 summary rows, by hand.
    amounts = [(1200000, 1500000), (300000, 0), (99999999, 88888888), (None, None)]
    assert [tuple(r[-2:]) for r in classified[1:]] == amounts
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
