"""The FY2021 policy parses into exactly the tree analysts cite, with nothing lost."""

from __future__ import annotations

from collections import Counter

import pytest

from classifier.errors import PolicyParseError
from classifier.policy import match_marker, parse_policy
from classifier.textutil import non_ws

# The target tree from the corpus issue, in document order.
R3_TREE = [
    ("preamble", "preamble"),
    ("1", "section"),
    ("2", "section"),
    ("(1)", "area"),
    ("(1)①", "item"),
    ("(1)②", "item"),
    ("(1)③", "item"),
    ("(2)", "area"),
    ("(2)①", "item"),
    ("(2)①ⅰ", "subitem"),
    ("(2)①ⅱ", "subitem"),
    ("(2)①ⅲ", "subitem"),
    ("(2)①ⅳ", "subitem"),
    ("(2)②", "item"),
    ("(2)②ⅰ", "subitem"),
    ("(2)②ⅱ", "subitem"),
    ("(2)②ⅲ", "subitem"),
    ("(2)③", "item"),
    ("(2)③ⅰ", "subitem"),
    ("(2)③ⅱ", "subitem"),
    ("(2)③ⅲ", "subitem"),
    ("(2)④", "item"),
    ("(2)⑤", "item"),
    ("(2)⑥", "item"),
    ("(2)⑦", "item"),
    ("(3)", "area"),
    ("(3)①", "item"),
    ("(3)②", "item"),
    ("(3)③", "item"),
    ("(4)", "area"),
    ("(4)①", "item"),
    ("(4)②", "item"),
    ("(4)③", "item"),
    ("(5)", "area"),
    ("3", "section"),
]

# Checked by eye against corpus/r3/source.txt.
R3_HEADINGS = {
    "1": "基本的な考え方",
    "2": "重点化を図るべき分野",
    "3": "留意事項",
    "(1)": "経済社会の活力の向上及び持続的発展",
    "(1)①": "新たな価値創出を支えるサイバーセキュリティの推進",
    "(2)③": "政府機関、独立行政法人等におけるセキュリティ強化・充実",
    "(2)⑤": "東京2020大会とその後を見据えた取組",
    "(3)③": "国際協力・連携",
    "(4)": "横断的施策（人材育成等）",
    "(5)": "推進体制",
}


def test_r3_tree_is_exactly_the_published_structure(r3_policy):
    assert [(c.label, c.level) for c in r3_policy.clauses] == R3_TREE


def test_r3_headings(r3_policy):
    for label, heading in R3_HEADINGS.items():
        assert r3_policy.clause(label).heading == heading
    assert all(c.heading is None for c in r3_policy.clauses if c.level == "subitem")


def test_r3_parents_and_paths(r3_policy):
    c = r3_policy.clause("(2)③ⅱ")
    assert c.parent == "(2)③"
    assert r3_policy.clause("(2)③").parent == "(2)"
    assert r3_policy.clause("(2)").parent == "2"
    assert c.path == (
        "重点化を図るべき分野",
        "国民が安全で安心して暮らせる社会の実現",
        "政府機関、独立行政法人等におけるセキュリティ強化・充実",
    )
    assert r3_policy.ancestors("(2)③ⅱ") == ("(2)③", "(2)", "2")


def test_targets_are_leaves_plus_the_item_with_its_own_paragraph(r3_policy):
    targets = [c.label for c in r3_policy.targets]
    assert len(targets) == 25
    assert "(2)③" in targets  # its GSOC paragraph is its own text
    assert "(2)①" not in targets and "(2)" not in targets and "1" not in targets
    assert "(5)" in targets


def test_gsoc_paragraph_belongs_to_the_item_not_the_last_subitem(r3_policy):
    item = r3_policy.clause("(2)③")
    last = r3_policy.clause("(2)③ⅲ")
    assert "GSOCシステムの構築及び運用" in item.text
    assert "また、内閣官房における対策として" in item.text
    assert "GSOC" not in last.text
    assert (
        last.text
        == "IT調達においてサプライチェーン・リスクに対応するために必要な措置を講じるものであること"
    )
    assert 272 in item.lines and 272 not in last.lines


def test_artefacts_removed_and_recorded(r3_policy):
    kinds = Counter(a.kind for a in r3_policy.artefacts)
    assert kinds == {"page_label": 2, "footnote": 1, "footnote_marker": 1, "separator": 1}
    everything = "".join((c.heading or "") + c.text for c in r3_policy.clauses)
    for leaked in (
        "資料２－２",
        "資料２－１",
        "令和２年３月30日に",
        "東京パラリンピックは同年",
        "大会1",
    ):
        assert leaked not in non_ws(everything)
    footnote = next(a for a in r3_policy.artefacts if a.kind == "footnote")
    assert "開催されることが決定された。" in footnote.text and footnote.line == 358


def test_the_title_repeated_on_a_later_page_is_a_running_header(r3_text, r3_policy):
    """A PDF's running header (the title atop a page) is removed, not glued to a clause."""
    title = " サイバーセキュリティ関係施策に関する令和３年度予算重点化方針（案） "
    lines = r3_text.split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("(5)") or ln.startswith("（５）"))
    policy = parse_policy("\n".join([*lines[:at], title, *lines[at:]]), "r3")
    headers = [a for a in policy.artefacts if a.kind == "running_header"]
    assert [(a.text, a.line) for a in headers] == [(title.strip(), at + 1)]
    assert [(c.label, c.text) for c in policy.clauses] == [
        (c.label, c.text) for c in r3_policy.clauses
    ]


def test_text_joined_across_page_breaks_and_wraps(r3_policy):
    assert "その自律的・組織的な取組を促進するものであること" in r3_policy.clause("(2)④").text
    assert "サイバー空間のガバナンスのあり方を含めて" in r3_policy.clause("(3)①").text
    assert "（令和元年５月23日サイバーセキュリティ戦略本部報告）" in r3_policy.clause("(4)②").text
    assert "National CERT機能" in r3_policy.clause("(3)③").text  # Latin space kept
    assert "「ＤＸ」" in r3_policy.clause("(1)①").text
    assert r3_policy.clause("(2)③ⅰ").text.startswith("政府機関、独立行政法人等の情報システム")


def test_paragraphs_are_separated(r3_policy):
    paragraphs = r3_policy.clause("(4)①").text.split("\n")
    assert len(paragraphs) == 2
    assert paragraphs[1].startswith("政府機関におけるセキュリティ・IT人材")


def test_nothing_lost(r3_text, r3_policy):
    """Every non-space character of the file is in exactly one record or artefact."""
    pieces: list[str] = []
    for c in r3_policy.clauses:
        pieces += [c.marker, c.heading or "", c.text]
    for s in r3_policy.summary:
        pieces += [s.marker, s.text]
    pieces += [a.text for a in r3_policy.artefacts]
    assert Counter(non_ws("".join(pieces))) == Counter(non_ws(r3_text))


def test_line_spans_cover_the_body(r3_text, r3_policy):
    content_lines = {
        i for i, line in enumerate(r3_text.splitlines(), 1) if line.strip() and i >= 68
    }
    owned = set()
    for c in r3_policy.clauses:
        assert not owned & set(c.lines), c.label
        owned |= set(c.lines)
    artefact_lines = {a.line for a in r3_policy.artefacts if a.kind != "footnote_marker"}
    assert content_lines - owned - artefact_lines == {360}  # the footnote's second line


def test_summary_bullets_are_mapped(r3_policy):
    bullets = {s.id: s for s in r3_policy.summary if s.kind == "bullet"}
    assert len(bullets) == 21
    assert bullets["S10"].labels == ("(2)③ⅰ", "(2)③", "(2)③ⅲ")
    assert bullets["S18"].area == "(5)" and bullets["S18"].labels == ("(5)",)
    assert bullets["S19"].area == "(4)"  # slide ④ is area (4), not item ④
    headings = [s for s in r3_policy.summary if s.kind == "heading"]
    assert [h.area for h in headings] == ["(1)", "(2)", "(3)", "(5)", "(4)"]
    assert headings[0].text == "経済社会の活力の向上及び持続的発展"  # wrapped on the slide
    targets = {c.label for c in r3_policy.targets}
    covered = {lab for b in bullets.values() for lab in b.labels}
    assert targets - covered == {
        "(2)①ⅱ",
        "(2)①ⅲ",
        "(2)①ⅳ",
        "(2)②ⅱ",
        "(2)②ⅲ",
        "(2)③ⅱ",
    }


def test_summary_without_map_attaches_bullets_to_areas(r3_text):
    policy = parse_policy(r3_text, "r3")
    s05 = next(s for s in policy.summary if s.id == "S05")
    assert s05.labels == ("(1)",)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("１ 基本的な考え方", ("num_space", 1, "基本的な考え方")),
        ("第２　重点化を図るべき分野", ("dai", 2, "重点化を図るべき分野")),
        ("(1) 経済社会", ("paren_num", 1, "経済社会")),
        ("（３）国際", ("paren_num", 3, "国際")),
        ("( ２ ) 国民", ("paren_num", 2, "国民")),
        ("1. 経済社会", ("num_dot", 1, "経済社会")),
        ("① 新たな価値", ("circled", 1, "新たな価値")),
        ("ⅲ ）IT調達において", ("roman", 3, "IT調達において")),
        ("(ⅱ)政府機関", ("roman", 2, "政府機関")),
        ("iv) 深刻な", ("roman", 4, "深刻な")),
        ("①", ("circled", 1, "")),
    ],
)
def test_marker_grammar(line, expected):
    mk = match_marker(line)
    assert mk is not None
    assert (mk.style, mk.value, mk.rest) == expected


@pytest.mark.parametrize(
    "line",
    [
        "24日サイバーセキュリティ戦略本部決定",
        "②の取組と連携し",
        "2020年東京オリンピック",
        "1.5倍に拡大",
        "ⅰから始まる",
    ],
)
def test_text_that_is_not_a_marker(line):
    assert match_marker(line) is None


@pytest.mark.parametrize("text", ["", "   \n\n", "\x00\x01\x02binary" * 50])
def test_empty_or_binary_text_is_refused(text):
    with pytest.raises(PolicyParseError):
        parse_policy(text, "x")


def test_text_without_markers_is_refused():
    with pytest.raises(PolicyParseError, match="no numbered sections"):
        parse_policy("これは予算重点化方針ではない普通の文章です。\n二行目です。\n", "x")


def test_bare_page_numbers_and_dotted_roman_sub_items():
    text = "\n".join(
        [
            "令和６年度予算重点化方針",
            "１ 基本的な考え方",
            "基本的な考え方の本文である。",
            "２ 重点化を図るべき分野",
            "(1) 国民の安全",
            "① 重要インフラの防護",
            "重要インフラの防護のための施策は以下の点を踏まえること",
            "ⅰ．訓練・演習を実施するものであること",
            "3",
            "ⅱ．事案解明の体制を整備するものであること",
            "－４－",
            "３ 留意事項",
            "留意事項の本文である。",
        ]
    )
    policy = parse_policy(text, "x")
    assert [c.label for c in policy.clauses] == [
        "preamble",
        "1",
        "2",
        "(1)",
        "(1)①",
        "(1)①ⅰ",
        "(1)①ⅱ",
        "3",
    ]
    assert policy.clause("(1)①ⅰ").text == "訓練・演習を実施するものであること"
    assert sorted(a.text for a in policy.artefacts if a.kind == "page_number") == ["3", "－４－"]


@pytest.mark.parametrize(
    "policy_id", ["", "../x", "r3/..", "a b", "r3\n", "-r3", None, "NONE", "none"]
)
def test_a_policy_id_that_is_not_a_folder_name_is_refused(policy_id):
    """The id names corpus/<id> and models/<id>: a path or a blank would write elsewhere
    (and NONE is the out-of-scope label)."""
    with pytest.raises(PolicyParseError, match="is not a policy id"):
        parse_policy("１ 基本的な考え方\n（１）政府機関\n", policy_id)  # type: ignore[arg-type]


def test_policy_text_that_is_not_text_is_refused():
    with pytest.raises(PolicyParseError, match="must be text, not NoneType"):
        parse_policy(None, "r3")  # type: ignore[arg-type]


def test_a_marker_that_breaks_the_numbering_is_said(r3_text):
    """A page lost in extraction takes (2)⑥ out, and the ⑦ after it, no longer next in
    the numbering, is read as text of (2)⑤: the parser says so, naming the line."""
    from classifier.policy.parse import parse_policy_checked

    policy, said = parse_policy_checked(r3_text, "r3")
    assert said == [] and "(2)⑦" in policy.labels
    start, end = r3_text.index("⑥ 従来の枠"), r3_text.index("⑦ 大規模サイバー攻撃事態等")
    lost = r3_text[:start] + r3_text[end:]
    policy, said = parse_policy_checked(lost, "r3")
    line = lost[: lost.index("⑦ 大規模サイバー攻撃事態等")].count("\n") + 1
    assert said == [
        f"line {line}: '⑦ 大規模サイバー攻撃事態等への対処態勢の強化' does not continue the "
        "numbering after ⑤ (is an item between them missing?), so it is read as text of the "
        "clause above it, not as an item of its own; check the text there"
    ]
    assert "(2)⑥" not in policy.labels and "(2)⑦" not in policy.labels
    # A page repeated: the item's marker comes again.
    item = r3_text[r3_text.index("② 多様なつながり") :].split("\n", 1)[0]
    at = r3_text.index("③ 安全なIoTシステム")
    repeated = r3_text[:at] + item + "\n" + r3_text[at:]
    said = parse_policy_checked(repeated, "r3")[1]
    assert len(said) == 1 and "after ② (a page repeated, or out of order?)" in said[0]


def test_invisible_characters_of_an_extraction_do_not_reach_the_clauses(r3_text):
    """Zero-width spaces, a soft hyphen and no-break spaces (PDF and web extractions leave
    them) show as nothing or as a space: the clauses are those of the clean text."""
    from classifier.policy import parse_policy

    dirty = (
        r3_text.replace("サイバーセキュリティ", "サイバー\u200bセキュリティ")
        .replace(" \n", "\u00a0\n")
        .replace("政府機関", "政府\u00ad機関")
    )
    assert dirty != r3_text
    assert parse_policy(dirty, "r3").clauses == parse_policy(r3_text, "r3").clauses
