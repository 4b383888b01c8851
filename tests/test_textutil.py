"""textutil: the clean-up every text goes through, the sentence cut, PDF-spacing repair."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from classifier.textutil import (
    MAX_CHUNK_BYTES,
    cell_text,
    chunks,
    clean_text,
    display_width,
    has_text,
    join_lines,
    non_ws,
    split_sentences,
    squeeze,
)

from .strategies import ANY_UNICODE, JAPANESE_OFFICE, megabyte_text, mixed_objects
from .strategies import cell_text as any_cell_text

# --------------------------------------------------------------------------- small cases


def test_display_width_counts_wide_characters_twice():
    assert display_width("") == 0
    assert display_width("aあＡ") == 5  # a 1, あ 2, full-width Ａ 2
    assert display_width("ｱ1") == 2  # half-width katakana is narrow


def test_squeeze_drops_pdf_spaces_but_keeps_one_between_latin_words():
    assert squeeze("令 和 ２ 年") == "令和２年"
    assert squeeze("３月 30 日") == "３月30日"
    assert squeeze("  National   CERT ") == "National CERT"
    assert squeeze("GSOC の\u3000運用") == "GSOCの運用"


def test_join_lines_invents_no_space_between_japanese():
    assert join_lines(["情報セキュ", " リティ対策"]) == "情報セキュリティ対策"
    assert join_lines(["National", "CERT"]) == "National CERT"
    assert join_lines(["", "   ", "市町村"]) == "市町村"
    assert join_lines([]) == ""


def test_non_ws_removes_every_kind_of_blank():
    assert non_ws(" a b\u3000c\n\td ") == "abcd"


def test_cell_text_of_spreadsheet_values():
    assert cell_text(None) == ""
    assert cell_text(float("nan")) == ""
    assert cell_text("0900") == "0900"
    assert cell_text(3) == "3"
    assert cell_text(1.5) == "1.5"
    assert cell_text(10**5000) == ""  # over str()'s digit limit: not a request text


def test_clean_text_small_cases():
    assert clean_text(None) == ""
    assert clean_text(float("nan")) == ""
    assert clean_text("ｻｲﾊﾞｰ") == "サイバー"  # NFKC: half-width katakana
    assert clean_text("㍿①Ｃ") == "株式会社1C"
    assert clean_text("a\r\nb\rc\td") == "a\nb\nc d"  # line ends unified, tab to space
    assert clean_text("市\u200b町\ufeff村\u202e") == "市町村"  # zero-width and bidi dropped
    assert clean_text("a\x00b\x85c") == "a b c"  # control characters become spaces
    assert clean_text("\ud800市町村\udfff") == "市町村"  # lone surrogates dropped
    assert clean_text(12) == "12"


def test_has_text():
    assert not has_text(None)
    assert not has_text(float("nan"))
    assert not has_text(" \u3000\t\n")
    assert not has_text("\u200b\ufeff")  # only invisible characters
    assert not has_text("\x00\x01")
    assert has_text("市町村")
    assert has_text(0)  # a number is text to the reader


def test_chunks_cut_at_sentence_ends():
    assert list(chunks("")) == []
    assert list(chunks("短い文。")) == ["短い文。"]
    # あ。 is 6 bytes: each sentence fills a 6-byte piece on its own.
    assert list(chunks("あ。い。", 6)) == ["あ。", "い。"]
    # Sentences are packed together while they fit.
    assert list(chunks("あ。い。う。", 12)) == ["あ。い。", "う。"]
    # One sentence over the limit is cut by characters.
    assert list(chunks("あいう", 6)) == ["あい", "う"]
    assert list(chunks("ab\ncd\n", 3)) == ["ab\n", "cd\n"]


# --------------------------------------------------------------------------- properties


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
    st.one_of(any_cell_text, st.sampled_from(["。", "．", "！", "？", "!", "?", "\n", "。\n"])),
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


def test_chunks_on_one_megabyte():
    text = megabyte_text()
    cleaned = clean_text(text)
    pieces = list(chunks(cleaned))
    assert "".join(pieces) == cleaned
    assert max(len(p.encode("utf-8")) for p in pieces) <= MAX_CHUNK_BYTES


# --------------------------------------------------------------------------- fast path = definition
# clean_text normalises only the runs of characters NFKC changes and skips texts with
# nothing to remove; the reference does every step on the whole text.

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def reference_clean(text: str) -> str:
    """clean_text's definition, every step on the whole text."""
    text = re.sub("[\ud800-\udfff]", "", text)
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub(" ", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


@settings(max_examples=400, deadline=None)
@given(text=JAPANESE_OFFICE)
@example(text="か\uff9eき")  # half-width voiced mark after a full-width kana composes
@example(text="ｶﾞｷﾞ（２０２１）㍿ ①Ⅻ")
@example(text="e\u0301\uff21")
def test_clean_text_matches_its_definition(text):
    assert clean_text(text) == reference_clean(text)


def test_excerpt_cuts_a_long_sentence_around_its_first_mark():
    from classifier.textutil import excerpt

    assert excerpt("短い文【サイバー】") == "短い文【サイバー】"
    long = "あ" * 3000 + "【サイバー】" + "い" * 3000
    shown = excerpt(long, 100)
    assert shown.startswith("…") and shown.endswith("…") and "【サイバー】" in shown
    assert len(shown) == 102
    assert excerpt("x" * 150, 100) == "x" * 100 + "…"  # no mark: from the start
    assert excerpt("【" + "x" * 150, 100) == "【" + "x" * 99 + "…"


@given(st.text(alphabet="ab 。！？!?\n\u3000.．", max_size=30))
def test_sentences_end_after_an_end_mark_and_at_a_line_break(text):
    """The definition, as a split: after each of 。！？!? and at each line break, pieces
    stripped, empty ones dropped."""
    reference = re.split(r"(?<=[。！？!?])|\n", text)
    assert split_sentences(text) == [s for s in map(str.strip, reference) if s]


def test_sentences_examples():
    assert split_sentences("A。。B\n\nC！ D") == ["A。", "。", "B", "C！", "D"]
    assert split_sentences("2024.4 予定．続く") == ["2024.4 予定．続く"]
