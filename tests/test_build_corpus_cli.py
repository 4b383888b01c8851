"""build_corpus through the real CLI function, in-process."""

from __future__ import annotations

import shutil

import pytest

from classifier.cli import build_corpus_main, main

from .helpers import R3_DIR, R3_SOURCE


def _build(tmp_path, name="out"):
    out = tmp_path / name
    out.mkdir()
    shutil.copy(R3_DIR / "summary_map.csv", out / "summary_map.csv")
    code = build_corpus_main([str(R3_SOURCE), "--policy-id", "r3", "--out", str(out)])
    return code, out


def test_build_twice_is_byte_identical_and_matches_committed_corpus(tmp_path, capsys):
    code1, out1 = _build(tmp_path, "a")
    code2, out2 = _build(tmp_path, "b")
    assert code1 == code2 == 0
    names = ["clauses.jsonl", "clauses.csv", "summary.jsonl", "artefacts.jsonl", "corpus.json"]
    for name in names:
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes()
        assert (out1 / name).read_bytes() == (R3_DIR / name).read_bytes(), f"{name} is stale"
    assert (out1 / "source.txt").read_bytes() == R3_SOURCE.read_bytes()
    printed = capsys.readouterr().out
    assert "      (2)③  政府機関、独立行政法人等におけるセキュリティ強化・充実  *" in printed
    assert "        (2)③ⅱ" in printed
    assert (
        "5 artefacts removed (footnote 1, footnote_marker 1, page_label 2, separator 1)" in printed
    )


def test_clauses_csv_opens_in_excel(tmp_path):
    _, out = _build(tmp_path)
    data = (out / "clauses.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header = data[3:].split(b"\r\n", 1)[0].decode()
    assert header.startswith("label,parent,level,heading,text")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
        ("ただの文章です。\n番号のない行です。\n".encode(), "no numbered sections"),
    ],
)
def test_bad_sources_exit_2_and_write_nothing(tmp_path, capsys, content, message):
    src = tmp_path / "bad.txt"
    src.write_bytes(content)
    out = tmp_path / "out"
    code = build_corpus_main([str(src), "--policy-id", "x", "--out", str(out)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_source_and_help(tmp_path, capsys):
    assert (
        build_corpus_main([str(tmp_path / "nope.txt"), "--policy-id", "x", "--out", str(tmp_path)])
        == 2
    )
    assert "no such file" in capsys.readouterr().err
    assert build_corpus_main(["--help"]) == 0
    assert "example:" in capsys.readouterr().out
    assert main(["build-corpus", "--help"]) == 0
