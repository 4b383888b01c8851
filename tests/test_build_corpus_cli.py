"""build_corpus through the real CLI function, in-process."""

from __future__ import annotations

import json
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
    assert build_corpus_main([str(tmp_path), "--policy-id", "x", "--out", str(tmp_path / "o")]) == 2
    assert f"{tmp_path}: is a folder: name the policy text file in it" in capsys.readouterr().err
    assert build_corpus_main(["--help"]) == 0
    assert "example:" in capsys.readouterr().out
    assert main(["build-corpus", "--help"]) == 0


def _copy_source(tmp_path, with_map=True):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    shutil.copy(R3_SOURCE, src_dir / "source.txt")
    if with_map:
        shutil.copy(R3_DIR / "summary_map.csv", src_dir / "summary_map.csv")
    return src_dir


def _summary_labels(out):
    rows = [json.loads(line) for line in (out / "summary.jsonl").read_text("utf-8").splitlines()]
    return [r["labels"] for r in rows]


def test_a_summary_map_beside_the_source_is_not_used_silently(tmp_path, capsys):
    """Building into another folder than the source's: the reviewed summary_map.csv beside
    SOURCE is not read, and a note says so and how to use it."""
    src_dir = _copy_source(tmp_path)
    out = tmp_path / "out"
    argv = [str(src_dir / "source.txt"), "--policy-id", "r3", "--out", str(out), "-q"]
    assert build_corpus_main(argv) == 0
    err = capsys.readouterr().err
    unused = src_dir / "summary_map.csv"
    assert err == (
        f"note: {unused} (beside SOURCE) was not used: only --summary-map or "
        f"OUT/summary_map.csv is read, and {out} has none, so each summary bullet is "
        f"labelled with its area at most; pass --summary-map {unused} to use it\n"
    )
    labels = [label for entry in _summary_labels(out) for label in entry]
    assert labels and all(label.startswith("(") and label.endswith(")") for label in labels)
    # Doing what the note says gives the committed summary.
    assert build_corpus_main([*argv, "--summary-map", str(unused)]) == 0
    assert capsys.readouterr().err == ""
    assert (out / "summary.jsonl").read_bytes() == (R3_DIR / "summary.jsonl").read_bytes()


def test_no_note_without_a_summary_map_beside_the_source(tmp_path, capsys):
    src_dir = _copy_source(tmp_path, with_map=False)
    out = tmp_path / "out"
    argv = [str(src_dir / "source.txt"), "--policy-id", "r3", "--out", str(out), "-q"]
    assert build_corpus_main(argv) == 0
    # Nothing is beside the source; what is said is that no map was read at all.
    assert capsys.readouterr().err == (
        "note: no summary map (--summary-map or OUT/summary_map.csv), so each of the "
        f"29 summary bullets is labelled with its area at most; write "
        f"{out / 'summary_map.csv'} (bullet_id,labels) to label them by item\n"
    )


# One area with one target item, and one page number: the counts of one.
ONE_ITEM = "\n".join(
    [
        "令和６年度予算重点化方針",
        "２ 重点化を図るべき分野",
        "(1) 国民の安全",
        "① 重要インフラの防護",
        "重要インフラを防護すること。",
        "－４－",
    ]
)


def test_counts_of_one_read_naturally(tmp_path, capsys):
    src = tmp_path / "one.txt"
    src.write_text(ONE_ITEM, encoding="utf-8")
    out = tmp_path / "out"
    assert build_corpus_main([str(src), "--policy-id", "x", "--out", str(out), "-q"]) == 0
    assert capsys.readouterr().out == (
        "3 clauses (1 classification target, marked *), 0 summary entries, "
        f"1 artefact removed (page_number 1) -> {out}\n"
    )


def test_rebuilding_a_corpus_from_its_own_source_is_routine(tmp_path, capsys):
    code, out = _build(tmp_path)
    assert code == 0
    argv = [str(out / "source.txt"), "--policy-id", "r3", "--out", str(out), "-q"]
    assert build_corpus_main(argv) == 0  # the retrain command does exactly this
    assert build_corpus_main([str(R3_SOURCE), "--policy-id", "r3", "--out", str(out), "-q"]) == 0


def test_another_policys_corpus_is_not_replaced_without_force(tmp_path, capsys):
    code, out = _build(tmp_path)
    assert code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    argv = [str(R3_SOURCE), "--policy-id", "r4", "--out", str(out), "-q"]
    assert build_corpus_main(argv) == 2
    err = capsys.readouterr().err
    assert (
        f"--out {out} holds the corpus of policy r3; building r4 there would replace it: "
        "choose another --out, or pass --force to replace it"
    ) in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert build_corpus_main([*argv, "--force"]) == 0
    assert json.loads((out / "corpus.json").read_text(encoding="utf-8"))["policy_id"] == "r4"


def test_another_text_of_the_same_policy_does_not_replace_the_source_copy(tmp_path, capsys):
    code, out = _build(tmp_path)
    assert code == 0
    revised = tmp_path / "revised.txt"
    revised.write_text(R3_SOURCE.read_text(encoding="utf-8") + "\n追記\n", encoding="utf-8")
    capsys.readouterr()
    argv = [str(revised), "--policy-id", "r3", "--out", str(out), "-q"]
    assert build_corpus_main(argv) == 2
    assert "was built from another text of policy r3" in capsys.readouterr().err
    assert (out / "source.txt").read_bytes() == R3_SOURCE.read_bytes()  # raw data kept


def test_a_folder_that_is_not_a_corpus_keeps_its_files(tmp_path, capsys):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "clauses.csv").write_text("an analyst's own table", encoding="utf-8")
    argv = [str(R3_SOURCE), "--policy-id", "r3", "--out", str(folder), "-q"]
    assert build_corpus_main(argv) == 2
    assert (
        f"--out {folder} is not a corpus folder (no corpus.json) but has clauses.csv, "
        "which building would replace"
    ) in capsys.readouterr().err
    assert (folder / "clauses.csv").read_text(encoding="utf-8") == "an analyst's own table"
    # An empty folder, or one with other files only, is fine.
    (folder / "clauses.csv").unlink()
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    assert build_corpus_main(argv) == 0


def test_a_folder_holding_only_a_copy_of_the_source_is_built_in(tmp_path, capsys):
    # Copying the policy text into corpus/<id>/source.txt and building there is natural.
    out = tmp_path / "x1"
    out.mkdir()
    shutil.copy(R3_SOURCE, out / "source.txt")
    argv = [str(out / "source.txt"), "--policy-id", "x1", "--out", str(out), "-q"]
    assert build_corpus_main(argv) == 0
    assert json.loads((out / "corpus.json").read_text(encoding="utf-8"))["policy_id"] == "x1"


def test_an_out_that_is_a_file_is_refused_in_words(tmp_path, capsys):
    out = tmp_path / "policy.txt"
    out.write_text("メモ", encoding="utf-8")
    assert build_corpus_main([str(R3_SOURCE), "--policy-id", "r8", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"error: --out {out} is a file; a corpus is a folder: name a folder\n"
    )
    assert out.read_text(encoding="utf-8") == "メモ"
