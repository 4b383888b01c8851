"""The speed-ups give exactly what the plain definitions give.

Each fast path in the prediction pipeline is checked against a slow, obviously correct
reference written here: NFKC of only the common runs against NFKC of everything, batch
analysis against text-by-text analysis, Aho-Corasick thesaurus matching against a
longest-first regex, flat TF-IDF against a per-document count, and chunked Excel-digit
writing against the csv module.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from classifier.tables import TableWriter
from classifier.textutil import clean_text
from classifier.tokens import JapaneseTokenizer, TokenizerSettings

ROOT = Path(__file__).resolve().parent.parent

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


@functools.cache
def model_tokenizer() -> JapaneseTokenizer:
    from classifier.store import load_model

    model, _ = load_model(ROOT / "models" / "r3")
    return model.tokenizer_


def _labelled_texts() -> list[str]:
    with open(ROOT / "corpus" / "labelled" / "requests.csv", encoding="utf-8-sig") as fh:
        return [f"{r['事業名']}\n{r['事業概要']}" for r in csv.DictReader(fh)]


def test_batch_analysis_equals_text_by_text():
    tok = model_tokenizer()
    texts = [*_labelled_texts()[:120], "", "１２３", None, float("nan"), "ｾｷｭﾘﾃｨ　人材"]
    batch = tok.analyze_batch(texts)
    assert len(batch) == len(texts)
    one_by_one = [tok.analyze(t) for t in texts]
    assert [batch.pairs(i) for i in range(len(texts))] == one_by_one
    assert batch.docs() == [[f for f, _ in pairs] for pairs in one_by_one]
    assert sum(len(p) for p in one_by_one) > 1000  # the texts did have features


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(JAPANESE_OFFICE, max_size=6))
def test_batch_analysis_equals_text_by_text_on_any_text(texts):
    tok = model_tokenizer()
    batch = tok.analyze_batch(texts)
    assert [batch.pairs(i) for i in range(len(texts))] == [tok.analyze(t) for t in texts]


def test_thesaurus_matches_leftmost_longest_like_a_regex():
    """Matching is leftmost-longest: what a regex alternation, longest term first, finds."""
    tok = model_tokenizer()
    terms: dict[str, set[str]] = {}
    for term, concept in tok.settings.thesaurus:
        for surface in (clean_text(term), clean_text(concept)):
            terms.setdefault(surface, set()).add(f"t:{clean_text(concept)}")
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=lambda t: -len(t))))
    texts = _labelled_texts()
    # Overlapping terms in one text: the longer one must win.
    texts += [
        "地方公共団体の重要インフラ事業者と中小企業のサプライチェーン",
        "情報システム統一研修",
    ]
    n_hits = 0
    for text in texts:
        cleaned = clean_text(text)
        expected = [f for m in pattern.finditer(cleaned) for f in sorted(terms[m.group()])]
        got = [f for f in tok.features(text) if f.startswith("t:")]
        assert got == expected, text
        n_hits += len(got)
    assert n_hits > 500


def test_thesaurus_terms_that_overlap():
    settings_ = TokenizerSettings(
        thesaurus=(("重要インフラ", "重要インフラ"), ("インフラ事業者", "X"))
    )
    tok = JapaneseTokenizer(settings_)
    # Leftmost first: 重要インフラ starts earlier, so インフラ事業者 is not matched inside it.
    assert [f for f in tok.features("重要インフラ事業者") if f.startswith("t:")] == [
        "t:重要インフラ"
    ]
    assert [f for f in tok.features("インフラ事業者") if f.startswith("t:")] == ["t:X"]


def reference_tfidf(docs: list[list[str]], vocabulary: dict[str, int], idf: np.ndarray):
    """Sublinear tf × idf, L2-normalised, document by document."""
    out = np.zeros((len(docs), len(idf)))
    for i, doc in enumerate(docs):
        for f, c in Counter(f for f in doc if f in vocabulary).items():
            out[i, vocabulary[f]] = (1.0 + math.log(c)) * idf[vocabulary[f]]
        norm = np.linalg.norm(out[i])
        if norm:
            out[i] /= norm
    return out


@settings(max_examples=100, deadline=None)
@given(
    docs=st.lists(
        st.lists(st.sampled_from(["w:a", "w:b", "w:c", "w:d", "w:zz-unknown"]), max_size=12),
        max_size=8,
    )
)
def test_flat_tfidf_equals_per_document_counting(docs):
    from classifier.vectors import ScorerArrays

    vocabulary = {"w:a": 0, "w:b": 1, "w:c": 2, "w:d": 3}
    idf = np.array([1.0, 1.5, 2.0, 2.5])
    scorers = ScorerArrays(vocabulary, np.array(sorted(vocabulary)), idf, np.zeros(0), np.zeros(0))
    X = scorers.transform(docs)
    assert X.has_canonical_format
    np.testing.assert_allclose(X.toarray(), reference_tfidf(docs, vocabulary, idf), rtol=1e-12)


def test_flat_tfidf_names_the_last_occurrence():
    """Evidence shows the word the analyst wrote last for a feature (セキュリティー here)."""
    from classifier.vectors import ScorerArrays

    scorers = ScorerArrays({"w:x": 0, "w:y": 1}, np.array(["w:x", "w:y"]), np.ones(2), None, None)
    rows = np.array([0, 0, 0, 1])
    _, where = scorers.transform_flat(["w:y", "w:x", "w:y", "w:y"], rows, 2, np.array([5, 6, 7, 8]))
    # Row 0 stores w:x (from source 6) then w:y (last seen at source 7); row 1 stores w:y (8).
    assert where.tolist() == [6, 7, 8]


def test_write_rows_writes_huge_integers_in_full(tmp_path):
    """A 5,000-digit number (from an Excel or JSONL cell) is written out, not refused."""
    huge = 7 * (10**5000 - 1) // 9  # 5,000 sevens, built without str() → int
    out = tmp_path / "o.csv"
    with TableWriter(out, "csv", ["a", "b"], encoding="utf-8") as writer:
        writer.write_rows([[huge, "x"], ["y", 1.5]])
    assert out.read_bytes().decode("utf-8") == "a,b\r\n" + "7" * 5000 + ",x\r\ny,1.5\r\n"
