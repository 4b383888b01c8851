"""tables.encoding: which encoding a text file is in, and a mostly-UTF-8 file with a few
stray bytes read as UTF-8 (never decoded whole as CP932, which would garble every row)."""

from __future__ import annotations

import codecs
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.errors import InputFileError
from classifier.tables import open_table
from classifier.tables.encoding import (
    REPLACEMENT,
    bad_bytes_error,
    detect_encoding,
    encoding_hint,
)

GOOD = [
    "市町村の情報セキュリティ対策を支援する",
    "大学における専門人材の教育を充実する",
    "政府機関の情報システムの監視を強化する",
    "中小企業の経営層に向けた研修を実施する",
    "重要インフラ事業者の演習を実施する",
]


def _detect(data: bytes) -> tuple[str, str]:
    return detect_encoding(io.BytesIO(data))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("id,text\n1,市町村\n".encode(), ("utf-8", "strict")),
        (codecs.BOM_UTF8 + "id,text\n1,市町村\n".encode(), ("utf-8-sig", "strict")),
        ("id,text\n1,市町村\n".encode("utf-16"), ("utf-16", "strict")),
        ("id,text\n1,市町村\n".encode("cp932"), ("cp932", "strict")),
        (b"id,text\n1,abc\n", ("utf-8", "strict")),
    ],
)
def test_detect_encoding(data, expected):
    stream = io.BytesIO(data)
    assert detect_encoding(stream) == expected
    assert stream.tell() == 0  # left at the start for the reader


def test_utf16_without_a_byte_order_mark_is_refused_with_a_hint():
    data = "request_id,text,memo\r\nA-001,市町村の情報セキュリティ,note\r\n".encode("utf-16-le")
    assert data[:200].count(b"\x00") > 20  # ASCII in UTF-16: every other byte is NUL
    with pytest.raises(InputFileError, match=r"UTF-16 without a byte-order mark.*utf-16-le"):
        _detect(data)


JAPANESE_TABLE = "事業名,事業概要\r\n" + "".join(f"{t},{t}を行う。\r\n" for t in GOOD)


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_mostly_japanese_gets_the_hint(order, tmp_path):
    """Japanese text in UTF-16 has almost no NUL bytes (only ASCII has them): the file is
    recognised by reading like text in one byte order, with its line breaks and commas."""
    data = JAPANESE_TABLE.encode(order)
    assert data.count(b"\x00") < len(data) // 10
    with pytest.raises(InputFileError, match=rf"UTF-16 without a byte-order mark.*{order}$"):
        _detect(data)
    path = tmp_path / "u.csv"
    path.write_bytes(data)
    with pytest.raises(InputFileError, match=r"u\.csv: the file looks like UTF-16"):
        open_table(str(path))  # the message names the file
    table = open_table(str(path), encoding=order)  # and the option it names reads it
    assert table.columns == ["事業名", "事業概要"] and len(list(table.rows)) == len(GOOD)


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_japanese_utf8_or_cp932_is_never_taken_for_utf16(encoding):
    assert _detect(JAPANESE_TABLE.encode(encoding)) == (encoding, "strict")


@pytest.mark.parametrize("pad", ["", "2", "22"])
def test_nul_bytes_beside_line_breaks_do_not_make_utf16(pad):
    """A NUL byte next to a line break reads as U+000A in one byte order: one such pair
    is not a UTF-16 table."""
    assert _detect(f"id,text\n1,a\x00b\n{pad}2,\x00\n3,\x00\n".encode()) == ("utf-8", "strict")


def test_two_stray_cp932_bytes_do_not_make_the_file_cp932():
    """「あ」 pasted from a CP932 file is the two bytes 82 A0, neither valid UTF-8 here."""
    assert "あ".encode("cp932") == b"\x82\xa0"
    lines = ["id,text", *(f"{i},{t}" for i, t in enumerate(GOOD, 1))]
    data = "\n".join(lines).encode() + b"\n6,\x82\xa0\n"
    assert _detect(data) == ("utf-8", "replace")
    # Decoded whole as CP932, the good rows would be mojibake: that is what must not happen.
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.decode("cp932", errors="replace").split("\n")[1] != lines[1]


def test_a_mostly_cp932_file_is_still_cp932():
    data = ("id,text\n" + "".join(f"{i},{t}\n" for i, t in enumerate(GOOD))).encode("cp932")
    assert _detect(data) == ("cp932", "strict")


def test_bad_bytes_error():
    assert bad_bytes_error("strict", "a" + REPLACEMENT) is None
    assert bad_bytes_error("replace", "市町村") is None
    assert "not UTF-8" in bad_bytes_error("replace", "市" + REPLACEMENT)


# Bytes that are never valid UTF-8 where they are put (at a character boundary, before
# ASCII or before the lead byte of the next character).
STRAY = [b"\x82", b"\xa0", b"\x8e", b"\xff", b"\xc3", b"\xe3", b"\x95"]


@given(
    n_rows=st.integers(5, 12),
    strays=st.lists(
        st.tuples(st.integers(0, 11), st.integers(0, 30), st.sampled_from(STRAY)),
        min_size=1,
        max_size=2,
    ),
    bom=st.booleans(),
)
def test_mostly_utf8_files_keep_their_good_rows(tmp_path_factory, n_rows, strays, bom):
    """Up to two stray bytes anywhere in the text cells: the rows without one come back
    exactly as written, the rows with one are marked as errors; with a byte-order mark
    (Excel's CSV UTF-8) as without."""
    texts = [GOOD[i % len(GOOD)] + f"その{i}" for i in range(n_rows)]
    inserted: dict[int, dict[int, bytes]] = {}
    for row, at, byte in strays:
        row %= n_rows
        inserted.setdefault(row, {})[at % (len(texts[row]) + 1)] = byte
    cells = [
        b"".join(inserted.get(r, {}).get(k, b"") + ch.encode() for k, ch in enumerate(t))
        + inserted.get(r, {}).get(len(t), b"")
        for r, t in enumerate(texts)
    ]
    bad_rows = set(inserted)
    data = b"id,text\r\n" + b"".join(b"%d," % i + c + b"\r\n" for i, c in enumerate(cells))
    path = tmp_path_factory.mktemp("enc") / "mixed.csv"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    table = open_table(str(path))
    assert table.encoding == ("utf-8-sig" if bom else "utf-8")
    assert any("read as UTF-8 though some bytes are not" in n for n in table.notes)
    rows = list(table.rows)
    assert [r.cells[0] for r in rows] == [str(i) for i in range(n_rows)]
    for i, r in enumerate(rows):
        if i in bad_rows:
            assert r.error is not None and "not UTF-8" in r.error
            assert REPLACEMENT in r.cells[1]
        else:
            assert r.error is None and r.cells[1] == texts[i]


def test_the_encoding_hint_suggests_the_option_only_when_it_was_not_given():
    assert encoding_hint(None) == "name the encoding with --encoding"
    assert encoding_hint("utf-8") == (
        "--encoding utf-8 does not fit this file; leave --encoding out to have the encoding "
        "detected, or name the one the file was saved in (such as utf-8, cp932 or utf-16)"
    )
    assert "name the encoding with --encoding" not in encoding_hint("cp932")


def test_detection_failures_suggest_the_option():
    """detect_encoding runs only when --encoding was not given: its hints may name it."""
    with pytest.raises(InputFileError) as caught:
        _detect(b"id,text\n1," + b"\x81 " * 20 + b"\n")  # invalid in UTF-8 and CP932
    assert str(caught.value) == (
        "the file is neither UTF-8 nor Shift_JIS (CP932); save it from Excel as "
        "'CSV UTF-8' or name the encoding with --encoding"
    )


def test_a_wrong_encoding_given_is_not_told_to_name_the_encoding(tmp_path):
    path = tmp_path / "sj.csv"
    path.write_bytes(JAPANESE_TABLE.encode("cp932"))
    with pytest.raises(InputFileError) as caught:
        list(open_table(str(path), encoding="utf-8").rows)
    assert "name the encoding with --encoding" not in str(caught.value)
    assert encoding_hint("utf-8") in str(caught.value)


def test_a_bad_byte_far_into_a_file_is_placed_in_its_row(tmp_path):
    """The decoder reads ahead of the rows: the row named is the one holding the byte,
    not the last one read before the decoder met it."""
    lines = ["id,text"] + [f"{i},plain ascii text number {i}" for i in range(1, 400)]
    lines[300] = "300,情報セキュリティ"  # row 301 of the file, CP932 where UTF-8 was named
    path = tmp_path / "mixed.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    with pytest.raises(InputFileError) as caught:
        list(open_table(str(path), encoding="utf-8").rows)
    message = str(caught.value)
    assert "row 301 is not valid utf-8 text (bytes 0x8F 0xEE 0x95 0xF1)" in message
    assert encoding_hint("utf-8") in message


def test_a_bad_byte_in_the_first_rows_is_placed_too(tmp_path):
    path = tmp_path / "sj.csv"
    path.write_bytes("id,事業名\r\n1,a\r\n".encode("cp932"))
    with pytest.raises(InputFileError, match=r"row 1 is not valid utf-8 text \(bytes 0x8E"):
        list(open_table(str(path), encoding="utf-8").rows)
