"""Robustness of classify, the tokeniser and the table readers against hostile input.

Property-based (hypothesis) where a property can be stated, one fixed case per known hazard
otherwise. Every CLI case must end in one of two ways:

* exit 0 with every input row in the output exactly once, in input order, its original
  cells first and intact, then label_1 … confidence_3, evidence_1 and a valid status; or
* exit 2 with a one-line ``error: …`` message on stderr and no output file.

In both cases: no exception escapes ``classify_main`` (a user would see a traceback), the
input file is byte-for-byte unchanged, and no temporary ``*.part`` file is left behind.

Each hazard found to break the contract has a test of its own with a minimal input, so a
failing test's name says what is broken; the generated properties keep guarding the rest.
CLI properties load the committed model once (``committed_model_loaded_once``) to stay fast.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import hashlib
import io
import json
import math
import re
import shutil
import struct
import tempfile
import traceback
import zipfile
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference

from classifier import workers
from classifier.cli import classify_main
from classifier.commands import classify as classify_mod
from classifier.tables import InputTable
from classifier.textutil import MAX_CHUNK_BYTES, chunks, clean_text
from classifier.tokens import JapaneseTokenizer

from .conftest import ADDED_COLUMNS, ROOT

MODEL_DIR = ROOT / "models" / "r3"
ADDED = ADDED_COLUMNS
STATUSES = ("ok", "low_confidence", "out_of_scope", "empty_text")
HEADER = ["id", "text", "memo"]

CLI_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- helpers


def run_classify(argv: Sequence[Any]) -> tuple[int, str]:
    """Call the CLI in-process; any exception that escapes is a failure (a traceback for users)."""
    args = [str(a) for a in argv]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            rc = classify_main(args)
    except BaseException as exc:  # KeyboardInterrupt/SystemExit must not escape either
        tb = "".join(traceback.format_exception(exc))
        raise AssertionError(
            f"classify {args} raised {type(exc).__name__} instead of exiting with a message; "
            f"a user sees this traceback:\n{tb}\nstderr before it:\n{err.getvalue()}"
        ) from None
    stderr = err.getvalue()
    assert "Traceback" not in stderr, stderr
    return rc, stderr


def part_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".part")]


def assert_clean_outcome(rc: int, stderr: str, out: Path) -> None:
    """Exit 0 with an output file, or exit 2 with an ``error:`` line and no output file."""
    assert rc in (0, 2), f"exit code {rc}; stderr: {stderr}"
    if rc == 2:
        assert stderr.startswith("error: ") and stderr.strip(), stderr
        assert not out.exists(), "a failed run left an output file"
    else:
        assert out.is_file()
    assert not part_files(out.parent), part_files(out.parent)


def check_added(cells: Sequence[Any], *, well_formed: bool = True) -> str:
    """Check the appended prediction cells of one row; return its status."""
    assert len(cells) == len(ADDED), cells
    cells = ["" if c is None else c for c in cells]
    status = cells[-1]
    assert isinstance(status, str)
    if well_formed:
        assert status in STATUSES, f"a well-formed row got status {status!r}"
    else:
        assert status in STATUSES or status.startswith("error: "), status
    confidences = []
    for k in range(3):
        label, heading, conf = cells[3 * k : 3 * k + 3]
        if label == "":
            assert heading == "" and conf == "", cells
            continue
        c = float(conf)
        assert 0.0 <= c <= 1.0, cells
        confidences.append(c)
    assert confidences == sorted(confidences, reverse=True), cells
    if status == "empty_text" or status.startswith("error: "):
        assert confidences == [] and cells[-2] == "", cells
    if status in ("ok", "low_confidence"):
        assert confidences, cells
    return status


def read_csv_output(path: Path, delimiter: str = ",") -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8), "CSV output must be UTF-8 with BOM"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def read_jsonl_output(path: Path) -> list[dict]:
    """JSON Lines are separated by \\n only (str.splitlines would also split at U+2028, U+0085)."""
    text = path.read_bytes().decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def read_xlsx_values(path: Path | io.BytesIO, sheet: str | None = None) -> list[tuple]:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        return [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def expects_empty(value: Any) -> bool:
    """Whether a text cell holds no visible text (the only rows that get empty_text)."""
    return not clean_text(value).strip()


def write_csv_bytes(
    rows: Sequence[Sequence[str]],
    encoding: str = "utf-8",
    header: Sequence[str] = HEADER,
    terminators: Sequence[str] | None = None,
) -> bytes:
    buf = io.StringIO()
    for i, row in enumerate([header, *rows]):
        line = io.StringIO()
        csv.writer(line).writerow(row)  # default \r\n terminator: cells with \r or \n get quoted
        text = line.getvalue()
        assert text.endswith("\r\n")
        term = terminators[i % len(terminators)] if terminators else "\n"
        buf.write(text[:-2] + term)
    return buf.getvalue().encode(encoding)


@functools.cache
def model_tokenizer() -> JapaneseTokenizer:
    """The committed model's tokeniser (with its thesaurus), loaded once per session."""
    from classifier.store import load_model

    model, _ = load_model(MODEL_DIR)
    return model.tokenizer_


@functools.cache
def _load_committed_model(corpus_dir: str | None):
    from classifier.store import load_model

    return load_model(MODEL_DIR, None if corpus_dir is None else Path(corpus_dir))


@contextlib.contextmanager
def committed_model_loaded_once():
    """Inside hypothesis properties: load the committed model once, not per CLI call.

    Only ``models/r3`` is cached; any other ``--model`` folder goes through the real loader
    (the damaged-model tests do not use this).
    """
    from classifier import store

    def load_model(model_dir, corpus_dir=None, root=None):
        if Path(model_dir).resolve() != MODEL_DIR.resolve():
            return store.load_model(model_dir, corpus_dir, root)
        if corpus_dir is None and root is not None:
            corpus_dir = store.policy_dir_for(store.read_card(Path(model_dir)), root)
        model, card = _load_committed_model(None if corpus_dir is None else str(corpus_dir))
        return model, dict(card)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(classify_mod, "load_model", load_model)
        yield


PLAIN_TOKENIZER = JapaneseTokenizer()


def tokenizer(which: str) -> JapaneseTokenizer:
    return PLAIN_TOKENIZER if which == "plain" else model_tokenizer()


# --------------------------------------------------------------------------- strategies

JA_WORDS = [
    "市町村",
    "情報セキュリティ",
    "標的型メール訓練",
    "重要インフラ",
    "サイバー攻撃",
    "人材育成",
    "河川の堤防を改修する",
    "政府機関の情報システムの監視",
    "地方公共団体",
    "の",
    "を強化する。",
    "、",
    "。",
    "事業",
    "概算要求",
    "ＧＳＯＣ",
]
EMOJI = ["🙂", "👩\u200d💻", "🇯🇵", "🔒", "\U0001f600", "\u2764\ufe0f"]
CONTROL = [chr(c) for c in (*range(32), 127, *range(0x80, 0xA0))]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2028", "\u2029"]
HALF_WIDTH = ["ｻｲﾊﾞｰｾｷｭﾘﾃｨ", "ｼﾞｮｳﾎｳ", "ｶﾞ", "ﾊﾟ", "ｱ"]
NFKC_EXPANDERS = ["㍿", "ﷺ", "㍻", "㌔", "ﬃ", "①", "⑴", "Ⅻ", "㈱", "％", "ｰ", "\u3000"]
NUMBERS = ["0", "0900", "-1", "3.14", "1e309", "NaN", "nan", "None", "null", "inf", "１２３"]
BLANKS = ["", " ", "\u3000", "\t", "\n", "\r\n", "\r"]
CSV_SPECIALS = ['"', ",", "'", "=", "\\", ";", "\t"]

any_char_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8)
piece = st.one_of(
    st.sampled_from(JA_WORDS),
    st.sampled_from(EMOJI),
    st.sampled_from(CONTROL),
    st.sampled_from(ZERO_WIDTH),
    st.sampled_from(HALF_WIDTH),
    st.sampled_from(NFKC_EXPANDERS),
    st.sampled_from(NUMBERS),
    st.sampled_from(BLANKS),
    st.sampled_from(CSV_SPECIALS),
    any_char_text,
)
cell_text = st.lists(piece, max_size=6).map("".join)
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


# =========================================================================== tokeniser

ANY_UNICODE = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
    max_size=200,
)


def _check_analysis(pairs: Any, features: list[str]) -> None:
    assert isinstance(pairs, list)
    for pair in pairs:
        assert isinstance(pair, tuple) and len(pair) == 2
        feature, surface = pair
        assert isinstance(feature, str) and isinstance(surface, str) and surface
        assert feature[:2] in ("w:", "a:", "s:", "t:"), feature
        feature.encode("utf-8")  # no lone surrogate survives into a feature
        surface.encode("utf-8")
    assert features == [f for f, _ in pairs]


@pytest.mark.parametrize("which", ["plain", "model"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_UNICODE)
@example(text="\ud800")
@example(text="\udfff市町村\ud83d")
@example(text="㍿" * 50 + "ﷺ" * 50)
@example(text="ｻｲﾊﾞｰｾｷｭﾘﾃｨ対策のｼﾞｮｳﾎｳ共有")
@example(text="\u200b\u200d\ufeff\u2060市\u200b町\u200c村\u202e")
@example(text="👩\u200d💻🇯🇵🔒 情報セキュリティ 🙂")
@example(text="".join(CONTROL) + "重要インフラ")
@example(text="\r\n\r\t\x00\x1a\x7f\x85")
def test_tokenizer_never_raises_on_any_text(which, text):
    tok = tokenizer(which)
    pairs = tok.analyze(text)
    _check_analysis(pairs, tok.features(text))


mixed_objects = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.booleans(),
    st.binary(max_size=20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.fractions(),
    st.complex_numbers(),
    st.datetimes(),
    st.lists(st.one_of(st.none(), st.integers(), ANY_UNICODE), max_size=3),
    st.dictionaries(st.text(max_size=3), st.one_of(st.none(), ANY_UNICODE), max_size=3),
    ANY_UNICODE,
)


@pytest.mark.parametrize("which", ["plain", "model"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=mixed_objects)
@example(value=None)
@example(value=float("nan"))
@example(value=math.inf)
@example(value=-0.0)
@example(value=Decimal("NaN"))
@example(value=Fraction(1, 3))
@example(value=datetime(2021, 4, 1))
@example(value=b"\xff\xfe")
@example(value=["市町村", None, float("nan")])
def test_tokenizer_accepts_any_object(which, value):
    tok = tokenizer(which)
    pairs = tok.analyze(value)
    _check_analysis(pairs, tok.features(value))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        assert pairs == []


def test_tokenizer_accepts_huge_integer():
    """A JSONL or spreadsheet number with more than 4300 digits is still "a number"."""
    value = 10**5000
    for which in ("plain", "model"):
        tokenizer(which).analyze(value)
    clean_text(value)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(ANY_UNICODE, mixed_objects))
def test_clean_text_output_is_clean(value):
    out = clean_text(value)
    assert isinstance(out, str)
    out.encode("utf-8")  # no lone surrogates
    assert "\r" not in out and "\t" not in out
    assert not any(ord(c) < 0x20 and c != "\n" for c in out)
    assert not any(0x7F <= ord(c) <= 0x9F for c in out)
    assert not any(c in out for c in ("\u200b", "\u200d", "\ufeff", "\u2060", "\u202e"))


NO_SURROGATES = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
SENTENCES = st.lists(
    st.one_of(cell_text, st.sampled_from(["。", "．", "！", "？", "!", "?", "\n", "。\n"])),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(NO_SURROGATES, SENTENCES), max_bytes=st.integers(4, 64))
@example(text="あ" * 30 + "。" + "🙂" * 10, max_bytes=4)
@example(text="a" * 100, max_bytes=5)
def test_chunks_respect_byte_limit_and_lose_nothing(text, max_bytes):
    pieces = list(chunks(text, max_bytes))
    assert "".join(pieces) == text
    for p in pieces:
        assert p, "empty piece"
        assert len(p.encode("utf-8")) <= max_bytes, (p, max_bytes)


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(ANY_UNICODE, SENTENCES))
def test_chunks_of_cleaned_text_at_default_limit(text):
    # analyze() cleans first, then chunks: repeat to cross the default limit.
    cleaned = clean_text(text * 50)
    pieces = list(chunks(cleaned))
    assert "".join(pieces) == cleaned
    assert all(p and len(p.encode("utf-8")) <= MAX_CHUNK_BYTES for p in pieces)


def _megabyte_text() -> str:
    parts = [
        "市町村の情報セキュリティ対策を強化する。" * 5000,
        "ｻｲﾊﾞｰｾｷｭﾘﾃｨ🙂\u200b㍿ﷺ" * 3000,
        "あ" * 60_000,  # one sentence far over Sudachi's 49,149-byte limit
        "\x00\x1f\u2028" * 1000,
        "政府機関の監視。\r\n" * 20_000,
    ]
    text = "".join(parts)
    assert len(text.encode("utf-8")) >= 1_000_000
    return text


def test_chunks_on_one_megabyte():
    text = _megabyte_text()
    cleaned = clean_text(text)
    pieces = list(chunks(cleaned))
    assert "".join(pieces) == cleaned
    assert max(len(p.encode("utf-8")) for p in pieces) <= MAX_CHUNK_BYTES


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
    assert len(body) == len(rows), "rows lost or duplicated"
    for written, got in zip(rows, body, strict=True):
        assert got[:3] == written  # original cells, in order, as strings
        status = check_added(got[3:])
        assert (status == "empty_text") == expects_empty(written[1]), (written, status)


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
        ["4", "", ""],
    ]
    statuses = [check_added(r[3:], well_formed=False) for r in body]
    assert statuses[1] == "error: row has 5 fields but the header has 3"
    assert statuses[3] == "empty_text"
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
        expected = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
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
    assert sorted(v[0] for v in values[1:]) == [1, 2, 3, 4]
    assert src.read_bytes() == data


# --------------------------------------------------------------------------- 1 MB texts


def test_one_megabyte_text_in_csv(tmp_path):
    big = _megabyte_text().replace("\x00", "")
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
    big = _megabyte_text()
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
        list(r) + [None] * (3 - len(r))
        for r in read_xlsx_values(io.BytesIO(data), "一覧")[1:]
        if any(v is not None for v in r)
    ]
    assert len(expected) == len(rows)
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
            want = [["" if v is None else str(v) for v in r] for r in expected]
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


# =========================================================================== classify: JSONL


@settings(CLI_SETTINGS, max_examples=30)
@given(case=jsonl_cases())
def test_classify_jsonl_keeps_every_line_and_value(case):
    lines, terminators, bom, ensure_ascii = case
    text = io.StringIO()
    expected: list[tuple[str, Any]] = []
    for i, (kind, value) in enumerate(lines):
        if kind == "obj":
            text.write(json.dumps(value, ensure_ascii=ensure_ascii))
            expected.append((kind, value))
        else:
            text.write(value)
            if kind == "bad":
                expected.append((kind, value))
        text.write(terminators[i % len(terminators)])
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
        else:
            assert g["_raw"] == value and status.startswith("error: ")


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


# =========================================================================== damaged models


def _card(m: Path) -> dict:
    return json.loads((m / "model_card.json").read_text(encoding="utf-8"))


def _put_card(m: Path, card: Any) -> None:
    (m / "model_card.json").write_text(json.dumps(card), encoding="utf-8")


def _edit_card(**changes):
    def damage(m: Path) -> None:
        card = _card(m)
        card.update(changes)
        _put_card(m, card)

    return damage


def _truncate_joblib_keep_sha(m: Path) -> None:
    (m / "model.joblib").write_bytes((m / "model.joblib").read_bytes()[:5000])


def _truncate_joblib_drop_sha(m: Path) -> None:
    card = _card(m)
    del card["model_sha256"]
    _put_card(m, card)
    (m / "model.joblib").write_bytes((m / "model.joblib").read_bytes()[:5000])


def _other_pickle(m: Path) -> None:
    import joblib

    buf = io.BytesIO()
    joblib.dump({"not": "a model"}, buf)
    (m / "model.joblib").write_bytes(buf.getvalue())
    _edit_card(model_sha256=hashlib.sha256(buf.getvalue()).hexdigest())(m)


def _other_versions(m: Path) -> None:
    card = _card(m)
    card["environment"]["scikit-learn"] = "0.1.0"
    card["environment"]["sudachipy"] = "99.0"
    _put_card(m, card)


def _other_corpus(m: Path) -> None:
    card = _card(m)
    card["corpus"]["clauses_sha256"] = "0" * 64
    _put_card(m, card)


MODEL_DAMAGE = {
    "model.joblib truncated": _truncate_joblib_keep_sha,
    "model.joblib truncated, card without checksum": _truncate_joblib_drop_sha,
    "model.joblib empty, card without checksum": lambda m: (
        _truncate_joblib_drop_sha(m),
        (m / "model.joblib").write_bytes(b""),
    ),
    "model.joblib holds another object": _other_pickle,
    "model.joblib missing": lambda m: (m / "model.joblib").unlink(),
    "model.joblib is a folder": lambda m: (
        (m / "model.joblib").unlink(),
        (m / "model.joblib").mkdir(),
    ),
    "card missing": lambda m: (m / "model_card.json").unlink(),
    "card truncated": lambda m: (m / "model_card.json").write_bytes(
        (m / "model_card.json").read_bytes()[:100]
    ),
    "card not UTF-8": lambda m: (m / "model_card.json").write_bytes(b"\xff\xfe\x00garbage"),
    "card from a newer format": _edit_card(format_version=2),
    "card from other library versions": _other_versions,
    "model of another corpus version": _other_corpus,
    "card is JSON null": lambda m: _put_card(m, None),
    "card is a JSON list": lambda m: _put_card(m, []),
    "card environment is not an object": _edit_card(environment="sklearn 1.4"),
    "card corpus is not an object": _edit_card(corpus=None),
}


@pytest.mark.parametrize("damage", list(MODEL_DAMAGE))
def test_damaged_or_foreign_model_fails_with_message(tmp_path, damage):
    model = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model)
    MODEL_DAMAGE[damage](model)
    src = tmp_path / "in.csv"
    data = write_csv_bytes([["1", "市町村の情報セキュリティ", ""]])
    src.write_bytes(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.csv"
    rc, err = run_classify([src, "-o", out, "--model", model, "-q"])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)
    assert rc == 2
    assert list(out_dir.iterdir()) == []


def test_model_path_is_a_file(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(write_csv_bytes([["1", "市町村", ""]]))
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--model", src, "-q"])
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


# --------------------------------------------------------------------------- --jobs (worker pool)


def _pool_even_for_small_inputs(monkeypatch, chunk_rows: int = 3) -> None:
    """Take the worker-pool path with a few rows: tiny chunks, no minimum size."""
    monkeypatch.setattr(workers, "POOL_MIN_ROWS", 1)
    real_chunks = InputTable.chunks
    monkeypatch.setattr(InputTable, "chunks", lambda self, size=chunk_rows: real_chunks(self, size))


POOL_ROWS = [
    [str(i % 4), ["市町村の情報セキュリティ", "", "🙂\u200b㍿", "河川の堤防", " \t"][i % 5], str(i)]
    for i in range(23)
]


def test_jobs_keep_every_row_in_order(tmp_path, monkeypatch):
    _pool_even_for_small_inputs(monkeypatch)
    data = write_csv_bytes(POOL_ROWS)
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--jobs", "2", "-q"])
    assert rc == 0, err
    body = read_csv_output(out)[1:]
    assert [r[:3] for r in body] == POOL_ROWS
    for written, got in zip(POOL_ROWS, body, strict=True):
        assert (check_added(got[3:]) == "empty_text") == expects_empty(written[1])
    assert src.read_bytes() == data


def test_jobs_interrupted_leaves_no_output_and_no_workers(tmp_path, monkeypatch):
    import multiprocessing

    from classifier.tables import TableWriter

    _pool_even_for_small_inputs(monkeypatch)
    real_write = TableWriter.write
    written: list[int] = []

    def write(self, cells, obj=None):
        written.append(1)
        if len(written) > 7:  # Ctrl-C while the third chunk is being written
            raise KeyboardInterrupt
        return real_write(self, cells, obj)

    monkeypatch.setattr(TableWriter, "write", write)
    src_dir, out_dir = tmp_path / "in", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    src = src_dir / "requests.csv"
    data = write_csv_bytes(POOL_ROWS)
    src.write_bytes(data)
    rc, err = run_classify([src, "-o", out_dir / "o.xlsx", "--jobs", "2", "-q"])
    assert len(written) == 8, "the interrupt did not happen where intended"
    assert rc not in (0, None) and "interrupted" in err
    assert list(out_dir.iterdir()) == []
    assert src.read_bytes() == data
    assert multiprocessing.active_children() == [], "worker processes outlived the run"


def test_jobs_worker_that_cannot_load_the_model(tmp_path, monkeypatch, capfd):
    """The workers fail to load the model the main process loaded (say the folder vanished):
    a one-line message and exit 2, no traceback from any process, no output, no workers left."""
    import multiprocessing

    _pool_even_for_small_inputs(monkeypatch)
    committed = _load_committed_model(None)
    # Only the main process is patched: the spawned workers load from the missing folder.
    monkeypatch.setattr(classify_mod, "load_model", lambda *a, **k: committed)
    src = tmp_path / "in.csv"
    src.write_bytes(write_csv_bytes(POOL_ROWS))
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--jobs", "2", "--model", tmp_path / "gone", "-q"])
    assert rc == 2
    assert "worker process could not load the model" in err and "--jobs 1" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [src]
    assert multiprocessing.active_children() == []
    assert "Traceback" not in capfd.readouterr().err
