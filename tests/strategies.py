"""Hypothesis strategies and hazard texts shared by several test files.

Text of the kinds requests arrive in, heavy on what breaks tools: Japanese office words,
emoji, control and zero-width characters, half-width katakana, characters NFKC expands,
number-like strings, blanks and CSV specials.
"""

from __future__ import annotations

from hypothesis import strategies as st

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
# A spreadsheet or CSV cell's text (no lone surrogates: a file cannot hold them).
cell_text = st.lists(piece, max_size=6).map("".join)

ANY_UNICODE = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
    max_size=200,
)

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

# Text of the kind requests are written in, heavy on what NFKC and the cleaner change.
JAPANESE_OFFICE = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("市町村のサイバーセキュリティ対策を推進する。、")),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF9F),  # full/half width
        st.characters(min_codepoint=0x3000, max_codepoint=0x33FF),  # kana, ㍿, ㈱
        st.characters(min_codepoint=0x2150, max_codepoint=0x24FF),  # Ⅲ, ①
        st.sampled_from(["\u3099", "\u309a", "\uff9e", "\uff9f", "\u0301", "ﷺ", "\u200b"]),
        st.characters(min_codepoint=0, max_codepoint=0x10FFFF),
    ),
    max_size=120,
)


def megabyte_text() -> str:
    """Over 1 MB of request-like text with every hazard, one sentence far over Sudachi's limit."""
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
