"""corpus: a policy version on disk, written byte-identically; summary map; thesaurus."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from dataclasses import replace

import pytest

from classifier.corpus import (
    CLAUSE_CSV_COLUMNS,
    CORPUS_FILE_NAMES,
    check_summary_map,
    corpus_files,
    read_clauses,
    read_policy_text,
    read_summary_map,
    read_thesaurus,
    write_corpus,
)
from classifier.errors import LabelError, PolicyParseError
from classifier.policy import SummaryEntry
from classifier.vocab import Level

SOURCE = "テスト用の予算重点化方針\n（本文）\n".encode()
GENERATED = ["artefacts.jsonl", "clauses.csv", "clauses.jsonl", "corpus.json", "summary.jsonl"]


def test_read_policy_text_encodings(tmp_path):
    path = tmp_path / "p.txt"
    path.write_bytes(codecs.BOM_UTF8 + "（１）サイバー".encode())
    assert read_policy_text(path) == "（１）サイバー"  # BOM dropped
    path.write_bytes("（１）サイバー".encode("cp932"))
    assert read_policy_text(path) == "（１）サイバー"
    # Notepad's and Word's "Unicode": UTF-16 with its BOM, either byte order.
    for encoding in ("utf-16", "utf-16-be"):
        bom = codecs.BOM_UTF16_BE if encoding.endswith("be") else b""
        path.write_bytes(bom + "（１）サイバー\n".encode(encoding))
        assert read_policy_text(path) == "（１）サイバー\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b" \r\n\n", "the file is empty"),
        (b"%PDF-1.4\x00\x01", "binary file"),
        (b"abc\x81", "not readable as UTF-8 or Shift_JIS"),
        # The first byte UTF-8 does not allow, and its line (Shift_JIS cannot read \xff).
        ("（１）\n方針\n".encode() + b"\xff" + "本文".encode(), r"line 3 holds byte\(s\) ff"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "not readable as the UTF-16 its BOM says"),
    ],
)
def test_read_policy_text_refuses(tmp_path, data, message):
    path = tmp_path / "p.txt"
    path.write_bytes(data)
    with pytest.raises(PolicyParseError, match=message):
        read_policy_text(path)


def test_write_then_read_back(tmp_path, small_policy):
    source = tmp_path / "source_in.txt"
    source.write_bytes(SOURCE)
    out = tmp_path / "corpus" / "t1"
    files = write_corpus(small_policy, source, out)
    assert sorted(files) == GENERATED
    assert sorted(p.name for p in out.iterdir()) == sorted([*GENERATED, "source.txt"])
    assert (out / "source.txt").read_bytes() == SOURCE  # the raw source, byte for byte
    assert read_clauses(out) == small_policy
    manifest = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    assert manifest["policy_id"] == "t1" and manifest["title"] == "テスト用の予算重点化方針"
    assert (manifest["n_clauses"], manifest["n_targets"]) == (8, 4)
    assert (manifest["n_summary_entries"], manifest["n_artefacts"]) == (0, 0)
    assert manifest["source_sha256"] == hashlib.sha256(SOURCE).hexdigest()
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name


def test_rebuild_is_byte_identical(tmp_path, small_policy):
    source = tmp_path / "source.txt"
    source.write_bytes(SOURCE)
    a, b = tmp_path / "a", tmp_path / "b"
    write_corpus(small_policy, source, a)
    write_corpus(small_policy, source, b)
    write_corpus(small_policy, source, b)  # over an existing corpus
    for name in [*GENERATED, "source.txt"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_clauses_csv_for_excel(tmp_path, small_policy):
    source = tmp_path / "source.txt"
    source.write_bytes(SOURCE)
    write_corpus(small_policy, source, tmp_path / "c")
    raw = (tmp_path / "c" / "clauses.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(CLAUSE_CSV_COLUMNS)
    sub = next(r for r in rows if r["label"] == "(2)①ⅰ")
    assert sub["path"] == "重点化を図るべき分野 > 人材育成 > 人材の育成"
    assert sub["is_target"] == "1" and sub["heading"] == "" and sub["parent"] == "(2)①"
    assert next(r for r in rows if r["label"] == "(2)①")["is_target"] == "0"


def test_read_clauses_without_a_corpus(tmp_path):
    with pytest.raises(PolicyParseError, match=r"has no clauses\.jsonl; build it with"):
        read_clauses(tmp_path)


def _built(tmp_path, small_policy):
    source = tmp_path / "source_in.txt"
    source.write_bytes(SOURCE)
    out = tmp_path / "corpus" / "t1"
    write_corpus(small_policy, source, out)
    return out


def test_read_clauses_of_a_policy_text_says_to_build_it(tmp_path):
    text = tmp_path / "r4.txt"
    text.write_text("（１）", encoding="utf-8")
    with pytest.raises(PolicyParseError, match=r"r4\.txt is a file, not a corpus folder; build"):
        read_clauses(text)


def test_read_clauses_gives_levels_as_parse_policy_does(tmp_path, small_policy):
    policy = read_clauses(_built(tmp_path, small_policy))
    assert {type(c.level) for c in policy.clauses} == {Level}
    assert [c.level for c in policy.clauses] == [c.level for c in small_policy.clauses]


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        (
            "clauses.jsonl",
            lambda t: t + '{"label": "(9)"\n',
            r"clauses\.jsonl, line 9: not a record",
        ),
        (
            "clauses.jsonl",
            lambda t: t.replace('"level": "area"', '"level": "chapter"', 1),
            r"line \d+: not a record of this corpus \('chapter' is not a valid Level\)",
        ),
        ("clauses.jsonl", lambda t: t.replace('"lines": ', '"lines_": ', 1), r"no 'lines'"),
        ("summary.jsonl", lambda t: t + "[1, 2]\n", r"summary\.jsonl, line 1: not a record"),
        ("corpus.json", lambda t: "[]", r"corpus\.json: not a record of this corpus"),
    ],
)
def test_read_clauses_of_a_damaged_corpus_says_which_line_and_how_to_rebuild(
    tmp_path, small_policy, name, edit, message
):
    out = _built(tmp_path, small_policy)
    path = out / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PolicyParseError, match=message) as info:
        read_clauses(out)
    assert f"build_corpus.py {out / 'source.txt'} --policy-id t1 --out {out}" in str(info.value)


def test_read_summary_map(tmp_path):
    path = tmp_path / "summary_map.csv"
    path.write_text(
        "\ufeffbullet_id,labels,text_start\nS1,(1)①; (1)② ,政府機関\n,(2)①ⅰ,ignored\nS2,,\n",
        encoding="utf-8",
    )
    labels, starts = read_summary_map(path)
    assert labels == {"S1": ("(1)①", "(1)②"), "S2": ()}
    assert starts == {"S1": "政府機関", "S2": ""}


def _with_summary(policy, labels):
    entry = SummaryEntry("t1", "S1", "bullet", "■", "政府機関の監視を強化", "(1)", labels, 1, 1)
    return replace(policy, summary=(entry,))


def test_check_summary_map(small_policy):
    policy = _with_summary(small_policy, ("(1)①",))
    assert check_summary_map(policy, {"S1": "政府機関"}) == []
    assert check_summary_map(policy, {"S1": ""}) == []  # no expected start: nothing to check
    assert check_summary_map(policy, {"S1": "地方"}) == [
        "summary_map.csv: bullet S1 now starts '政府機関の監視を強化', not '地方'; "
        "review the mapping"
    ]
    assert check_summary_map(policy, {"S9": "x"}) == [
        "summary_map.csv: bullet S9 is not on the summary slide"
    ]
    with pytest.raises(LabelError, match=r"bullet S1 names label '\(9\)①'"):
        check_summary_map(_with_summary(small_policy, ("(9)①",)), {})
    # Without a map, the label is the area the slide names: a text cut short, not a map.
    with pytest.raises(LabelError, match=r"^the summary slide names area \(9\) \(bullet S1, .*cut"):
        check_summary_map(_with_summary(small_policy, ("(9)",)), {}, mapped=False)


def test_read_thesaurus(tmp_path):
    assert read_thesaurus(None) == ()
    assert read_thesaurus(tmp_path / "missing.csv") == ()
    path = tmp_path / "thesaurus.csv"
    path.write_text(
        "\ufeffterm,concept\n"
        "銀行,重要インフラ\n"
        " 市町村 , 地方公共団体 \n"
        "銀行,重要インフラ\n"
        ",大学\n"
        "高専,\n",
        encoding="utf-8",
    )
    # Trimmed, duplicates and half-empty rows dropped, sorted.
    assert read_thesaurus(path) == (("市町村", "地方公共団体"), ("銀行", "重要インフラ"))


def test_read_clauses_of_a_mistyped_policy_names_the_ones_built_beside_it(tmp_path):
    for policy in ("r3", "r4"):
        (tmp_path / policy).mkdir()
        (tmp_path / policy / "clauses.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(PolicyParseError) as caught:
        read_clauses(tmp_path / "r9")
    assert str(caught.value).startswith(
        f"{tmp_path / 'r9'} has no clauses.jsonl (the policies built are r3, r4); build it with"
    )


def test_corpus_file_names_are_the_files_written(small_policy):
    # build_corpus refuses to replace these names in a folder that is not a corpus.
    assert tuple(corpus_files(small_policy, "")) == CORPUS_FILE_NAMES


def test_a_summary_map_label_that_cannot_be_read_names_its_bullet(tmp_path):
    path = tmp_path / "summary_map.csv"
    path.write_text("bullet_id,labels\ns1,(2)③ (2)⑦\n", encoding="utf-8")
    with pytest.raises(LabelError, match=r"summary_map.csv: bullet s1: .* more than one label"):
        read_summary_map(path)


def test_read_policy_text_of_a_missing_file_or_a_folder(tmp_path):
    """A PolicyParseError naming the path, as for every other unreadable policy (was a bare
    FileNotFoundError from load_policy)."""
    with pytest.raises(PolicyParseError, match=r"nothere\.txt: cannot be read"):
        read_policy_text(tmp_path / "nothere.txt")
    with pytest.raises(PolicyParseError, match="cannot be read"):
        read_policy_text(tmp_path)
