"""tokens: Sudachi → content-word features, thesaurus concepts, the batch fast path.

The batch path (flat lists, a frozen surface → features table, Aho-Corasick thesaurus
matching) is checked against text-by-text analysis and a longest-first regex; the
tokeniser must accept any object a table cell can hold without raising.
"""

from __future__ import annotations

import csv
import math
import pickle
import re
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from classifier.textutil import clean_text
from classifier.tokens import (
    SUDACHI_PLUGINS,
    JapaneseTokenizer,
    TokenizerSettings,
    sudachi_config,
)

from .helpers import ROOT, model_tokenizer
from .strategies import ANY_UNICODE, CONTROL, JAPANESE_OFFICE, mixed_objects

PLAIN_TOKENIZER = JapaneseTokenizer()


def tokenizer(which: str) -> JapaneseTokenizer:
    return PLAIN_TOKENIZER if which == "plain" else model_tokenizer()


def _labelled_texts() -> list[str]:
    with open(ROOT / "corpus" / "labelled" / "requests.csv", encoding="utf-8-sig") as fh:
        return [f"{r['事業名']}\n{r['事業概要']}" for r in csv.DictReader(fh)]


# --------------------------------------------------------------------------- features


def test_feature_batch_views():
    tok = PLAIN_TOKENIZER
    texts = ["政府機関の監視", "", "職員の訓練"]
    batch = tok.analyze_batch(texts)
    assert len(batch) == 3
    assert batch.docs() == [["w:政府", "w:機関", "w:監視"], [], ["w:職員", "w:訓練"]]
    assert batch.rows().tolist() == [0, 0, 0, 2, 2]  # the text each feature belongs to
    assert batch.pairs(1) == []
    assert batch.pairs(2) == [("w:職員", "職員"), ("w:訓練", "訓練")]
    assert batch.features == ["w:政府", "w:機関", "w:監視", "w:職員", "w:訓練"]


def test_boilerplate_particles_and_numbers_give_no_features():
    tok = PLAIN_TOKENIZER
    assert tok.features("施策を推進する") == []  # 施策, 推進 and する are stop words
    assert tok.features("１２３") == []  # numerals
    assert tok.features("") == [] and tok.features(None) == []


NUMERAL_TEXTS = [
    "令和６年度予算額は１，２３４百万円（前年度2,700万円、3.5％増）",
    "十万人規模の演習を2024年に３回、第３期計画の1980年代以来",
    "CSIRT要員１２名、Ｇ７、5G、Society5.0、COVID-19、第２条第３項",
]


def test_numerals_are_not_joined_and_that_changes_no_feature():
    """Sudachi's numeral joiner is off by default (numerals give no feature, and joining
    them cost a fifth of tokenising): the digits come back as several morphemes, and every
    feature and surface is what the joiner would have given."""
    joined = JapaneseTokenizer(TokenizerSettings(join_numerals=True))
    split = JapaneseTokenizer(TokenizerSettings())
    assert len(split._sudachi().tokenizer.tokenize("2024")) > 1
    assert len(joined._sudachi().tokenizer.tokenize("2024")) == 1
    texts = [*NUMERAL_TEXTS, *_labelled_texts()]
    assert [split.analyze(t) for t in texts] == [joined.analyze(t) for t in texts]
    # Digits inside a dictionary word stay part of it; numerals alone give nothing.
    assert split.analyze(NUMERAL_TEXTS[2]) == [
        ("w:csirt", "CSIRT"),
        ("w:要員", "要員"),
        ("w:名", "名"),
        ("w:g", "G"),
        ("w:g", "G"),
        ("w:ソサエティー", "Society"),
        ("w:covid-19", "COVID-19"),
        ("w:条", "条"),
        ("w:項", "項"),
    ]


def test_a_bracketed_name_after_a_kanji_word_is_a_word_of_its_own():
    """Sudachi's IgnoreYomiganaPlugin takes up to four kana in brackets after a kanji for
    a reading and folds them into the kanji word; in government text they are short names
    and glosses. It is off: they are words, and the kanji word keeps its own surface. A
    model saved before the setting existed keeps the plugin."""
    text = "日本貿易振興機構（ジェトロ）と遠隔（リモート）で連携する。"
    assert JapaneseTokenizer(TokenizerSettings()).analyze(text) == [
        ("w:日本貿易振興機構", "日本貿易振興機構"),
        ("w:jetro", "ジェトロ"),
        ("w:遠隔", "遠隔"),
        ("w:リモート", "リモート"),
        ("w:連携", "連携"),
    ]
    assert JapaneseTokenizer(TokenizerSettings(ignore_yomigana=True)).analyze(text) == [
        ("w:日本貿易振興機構", "日本貿易振興機構(ジェトロ)"),
        ("w:遠隔", "遠隔(リモート)"),
        ("w:連携", "連携"),
    ]


def test_only_the_plugins_the_settings_turn_off_are_left_out():
    assert sudachi_config(TokenizerSettings(join_numerals=True, ignore_yomigana=True)) is None
    config = sudachi_config(TokenizerSettings())
    assert config is not None
    kept = [p["class"] for p in config.inputTextPlugin + config.pathRewritePlugin]
    assert not set(kept) & set(SUDACHI_PLUGINS.values())
    assert "com.worksap.nlp.sudachi.ProlongedSoundMarkPlugin" in kept
    assert "com.worksap.nlp.sudachi.JoinKatakanaOovPlugin" in kept


def test_spelling_variants_share_a_feature_and_keep_their_surface():
    tok = PLAIN_TOKENIZER
    assert tok.features("セキュリティ") == tok.features("セキュリティー")
    pairs = tok.analyze("セキュリティの訓練")
    assert [s for _, s in pairs] == ["セキュリティ", "訓練"]  # the analyst's own words
    assert pairs[1] == ("w:訓練", "訓練")


def test_latin_words_are_lower_cased():
    assert ("w:cert", "CERT") in PLAIN_TOKENIZER.analyze("National CERT の運用")


def test_thesaurus_adds_concepts_after_the_words():
    tok = JapaneseTokenizer(
        TokenizerSettings(thesaurus=(("市町村", "地方公共団体"), ("銀行", "重要インフラ")))
    )
    assert tok.analyze("銀行と市町村") == [
        ("w:銀行", "銀行"),
        ("w:市町村", "市町村"),
        ("t:重要インフラ", "銀行"),
        ("t:地方公共団体", "市町村"),
    ]
    # The concept's own name is matched too, so a request and the policy meet.
    assert "t:地方公共団体" in tok.features("地方公共団体の職員")
    assert not [f for f in PLAIN_TOKENIZER.features("市町村") if f.startswith("t:")]


def test_subwords_setting_adds_mode_a_parts():
    tok = JapaneseTokenizer(TokenizerSettings(subwords=True))
    feats = tok.features("国立大学法人")
    assert {"a:国立", "a:大学"} <= set(feats)
    assert not [f for f in PLAIN_TOKENIZER.features("国立大学法人") if f.startswith("a:")]


def test_settings_and_lexicon_are_all_there_is_to_save():
    """A tokenizer rebuilt from its settings and lexicon (as a loaded model rebuilds it)
    analyses exactly as the original; Sudachi itself is rebuilt, never saved."""
    settings_ = TokenizerSettings(thesaurus=(("市町村", "地方公共団体"),))
    tok = JapaneseTokenizer(settings_)
    tok.learn_lexicon(["市町村の訓練"])
    text = "市町村の職員の訓練"
    before = tok.analyze(text)  # builds the Sudachi objects
    copy = JapaneseTokenizer(settings_)
    copy.lexicon = dict(tok.lexicon)
    assert copy.analyze(text) == before
    # Pickled, it keeps only what it is rebuilt from: its Sudachi objects (which cannot
    # cross a process boundary) are built again on first use.
    state = pickle.loads(pickle.dumps(tok)).__dict__
    assert set(state) == {"settings", "lexicon", "_local"}
    assert not vars(state["_local"])  # nothing built yet
    assert pickle.loads(pickle.dumps(tok)).analyze(text) == before


def test_learnt_lexicon_gives_the_features_of_the_texts_it_was_learnt_from():
    """The frozen surface table is a shortcut: on the texts it was learnt from it gives
    exactly what analysis in context gives."""
    texts = [*_labelled_texts()[:40], "計画を見直し、改善する", "計画の見直しを行う"]
    learnt = JapaneseTokenizer()
    learnt.learn_lexicon(texts)
    assert learnt.lexicon, "nothing was learnt"
    fresh = JapaneseTokenizer()
    assert [learnt.analyze(t) for t in texts] == [fresh.analyze(t) for t in texts]


def test_a_surface_seen_with_two_analyses_stays_out_of_the_lexicon():
    tok = JapaneseTokenizer()
    # 見直し is a verb (見直す) in the first text and a noun in the second.
    tok.learn_lexicon(["計画を見直し、改善する", "計画の見直しを行う"])
    assert "見直し" not in tok.lexicon
    assert tok.lexicon["計画"] == (("w:計画", "計画"),)
    assert tok.lexicon["を"] == ()  # a particle: no features, and always so


# --------------------------------------------------------------------------- any input


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


# --------------------------------------------------------------------------- fast path = definition


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


def test_text_lengths_count_the_characters_of_each_texts_sentences():
    from classifier.textutil import text_length

    texts = ["政府機関の監視。\n職員の訓練", "", "  ", "事業名／目的の文。"]
    batch = PLAIN_TOKENIZER.analyze_batch(texts)
    assert batch.text_lengths().tolist() == [text_length(t) for t in texts] == [13, 0, 0, 8]
