"""scope: anchored contexts, character grams, the calibration layers and fitting, on
hand-made arrays whose expected values are worked out here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from classifier.scope import (
    ANCHORED_MAX_CHARS,
    CONTEXT_CHARS,
    ScopeArrays,
    anchor_contexts,
    best_anchored,
    calibration_features,
    char_grams,
    combine,
    distinct_terms,
    length_feature,
    logit,
    mark_terms,
    policy_similarity,
)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def arrays(
    grams: dict[str, float] | None = None,
    idf: dict[str, float] | None = None,
    intercept: float = 0.0,
    anchored=(0.0, 0.0, 0.0, 0.0),
    plain=(0.0, 0.0, 0.0, 0.0),
) -> ScopeArrays:
    """A scope model by hand: ``grams`` maps each known gram to its weight."""
    grams = grams or {}
    index = {g: i for i, g in enumerate(grams)}
    return ScopeArrays(
        index,
        np.array([(idf or {}).get(g, 1.0) for g in grams]),
        np.array(list(grams.values()), dtype=float),
        intercept,
        np.array([1.0, -1.0]),
        0.5,
        np.array(anchored, dtype=float),
        np.array(plain, dtype=float),
    )


# --------------------------------------------------------------------------- char grams


def test_char_grams_by_hand():
    assert char_grams("abc") == ["a", "b", "c", "ab", "bc"]
    assert char_grams("A b\u3000C\n") == ["a", "b", "c", "ab", "bc"]  # lower-cased, blanks out
    assert char_grams("暗号") == ["暗", "号", "暗号"]
    assert char_grams("x") == ["x"]
    assert char_grams("") == [] and char_grams(" \t") == []


# --------------------------------------------------------------------------- anchor contexts

# Every security term the scope model anchors on (ANCHOR_TERMS), spelled out by hand.
TERMS = (
    "サイバー セキュリティ セキュア 情報漏え 情報漏洩 情報漏れ 漏えい 不正アクセス 不正侵入 "
    "暗号 脆弱 CSIRT NISC GSOC ウイルス ウィルス マルウェア ランサム 不正プログラム 標的型 "
    "DDoS 改ざん 改竄 なりすまし フィッシング ハッキング インシデント 情報保全 情報保証 "
    "ゼロトラスト 不正利用 個人情報保護 攻撃 ボットネット フォレンジック 不正送金 耐タンパ "
    "電子署名 認証局"
).split()


@pytest.mark.parametrize("term", TERMS)
def test_anchor_contexts_finds_every_term(term):
    assert anchor_contexts(f"前後の文{term}を含む文", width=2) == [f"の文{term}を含"]
    assert anchor_contexts(term, width=5) == [term]  # the window stops at the sentence ends


@pytest.mark.parametrize("term", ["csirt", "Nisc", "ddos", "gsoc"])
def test_anchor_contexts_latin_terms_in_any_case(term):
    assert anchor_contexts(f"x{term}y", width=1) == [f"x{term}y"]


def test_anchor_contexts_width():
    assert CONTEXT_CHARS == 20
    sentence = "あ" * 30 + "サイバー" + "い" * 30
    (context,) = anchor_contexts(sentence)
    assert context == "あ" * 20 + "サイバー" + "い" * 20
    assert anchor_contexts(sentence, width=3) == ["あああサイバーいいい"]
    assert anchor_contexts(sentence, width=0) == ["サイバー"]
    # Near the start the window is cut; each term gives its own context.
    assert anchor_contexts("暗号と脆弱性の対策", width=2) == ["暗号と脆", "号と脆弱性の"]
    assert anchor_contexts("道路橋の修繕") == []
    assert anchor_contexts("") == []


# --------------------------------------------------------------------------- logit, length


def test_logit_is_clipped():
    got = logit(np.array([0.0, 1.0, 0.5, 0.8, 1e-9]))
    edge = math.log(1e-4 / (1 - 1e-4))
    np.testing.assert_allclose(got, [edge, -edge, 0.0, math.log(4.0), edge])
    assert np.isfinite(got).all()


def test_length_feature_values():
    got = length_feature(np.array([0, 100, 900, 50]))
    np.testing.assert_allclose(got, [0.0, math.log(2.0), math.log(10.0), math.log(1.5)])
    np.testing.assert_allclose(length_feature([300]), [math.log(4.0)])  # a list will do


# --------------------------------------------------------------------------- gram vectors


def test_gram_vectors_are_l2_normalised_and_drop_unknown_grams():
    scope = arrays({"a": 0.0, "b": 0.0, "ab": 0.0}, idf={"a": 1.0, "b": 2.0, "ab": 3.0})
    X = scope.gram_vectors(["ab", "zz", "ba", "aab", ""]).toarray()
    assert X.shape == (5, 3)
    np.testing.assert_allclose(X[0], np.array([1.0, 2.0, 3.0]) / math.sqrt(14.0))
    np.testing.assert_allclose(X[1], [0.0, 0.0, 0.0])  # no known gram: an empty row
    np.testing.assert_allclose(X[2], np.array([1.0, 2.0, 0.0]) / math.sqrt(5.0))  # "ba" unknown
    np.testing.assert_allclose(X[3], X[0])  # binary: "a" twice counts once
    np.testing.assert_allclose(X[4], [0.0, 0.0, 0.0])
    norms = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(norms, [1.0, 0.0, 1.0, 1.0, 0.0])


def test_context_and_whole_proba_by_hand():
    scope = arrays({"良": 2.0, "悪": -2.0}, intercept=0.5)
    np.testing.assert_allclose(
        scope.context_proba(["良い", "悪い", "普通", "良悪"]),
        [sigmoid(2.5), sigmoid(-1.5), sigmoid(0.5), sigmoid(0.5)],
    )
    assert scope.context_proba([]).shape == (0,)
    X = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]))
    # word_coef (1, -1), word_intercept 0.5
    np.testing.assert_allclose(scope.whole_proba(X), [sigmoid(1.5), sigmoid(-1.5), sigmoid(0.5)])


# --------------------------------------------------------------------------- best anchored


def test_best_anchored_by_hand():
    scope = arrays({"良": 2.0, "悪": -2.0})
    sentences = [
        "良いサイバー対策",  # text 0: σ(2)
        "悪いセキュリティ",  # text 0: σ(-2)
        "普通の文",  # text 1: no security term
        "悪いサイバー",  # text 2: σ(-2)
        "良いサイバー",  # text 2: σ(2), the best
        "良いサイバー",  # text 3: σ(2) ...
        "良い暗号",  # text 3: ... the same: the earliest wins
    ]
    owner = np.array([0, 0, 1, 2, 2, 3, 3])
    best, where = best_anchored(sentences, owner, 5, scope)  # text 4 has no sentence
    np.testing.assert_allclose(best, [sigmoid(2), np.nan, sigmoid(2), sigmoid(2), np.nan])
    assert where.tolist() == [0, -1, 4, 5, -1]


def test_best_anchored_without_any_term():
    best, where = best_anchored(["道路橋の修繕", "普通"], np.array([0, 1]), 3, arrays({"良": 1.0}))
    assert np.isnan(best).all() and where.tolist() == [-1, -1, -1]
    best, where = best_anchored([], np.zeros(0, dtype=int), 2, arrays())
    assert np.isnan(best).all() and where.tolist() == [-1, -1]


def test_best_anchored_takes_the_best_context_of_a_sentence():
    # One sentence, two contexts: 悪い暗号 … 良いサイバー (far enough apart to stay separate).
    scope = arrays({"良": 2.0, "悪": -2.0})
    sentence = "悪い暗号" + "。" * 30 + "良いサイバー"
    best, where = best_anchored([sentence], np.array([0]), 1, scope)
    np.testing.assert_allclose(best, [sigmoid(2)])
    assert where.tolist() == [0]


def _slow(sentences, owner, n, scope):
    """The reference: each sentence's contexts as strings, scored by context_proba."""
    from classifier.scope import _best_anchored_slow

    best = np.full(n, np.nan)
    where = np.full(n, -1, dtype=np.intp)
    return _best_anchored_slow(sentences, owner, best, where, scope)


EDGE_SENTENCES = [
    "市町村の情報セキュリティ対策を強化する。",
    "CSIRT の訓練と nisc への報告、ＧＳＯＣ の監視。",  # Latin terms in any case, blanks
    "サイバー",  # a term alone, at both ends of its sentence
    "暗号資産の取引と量子暗号の研究、脆弱な地盤と脆弱性診断。",  # overlapping contexts
    "道路橋の修繕",  # no term
    "İstanbul のサイバー会議",  # lower-casing lengthens İ: the slow path
    "ΣΑΣ セキュリティ",  # final sigma: the slow path
    "攻撃" * 40,  # many adjacent terms
    "",
]


def test_best_anchored_fast_path_matches_the_reference_on_the_committed_model():
    from .helpers import load_committed_model

    model, _ = load_committed_model(None)
    scope = model.scope_
    batch = [s for s in EDGE_SENTENCES if "İ" not in s and "Σ" not in s]  # all on the fast path
    owner = np.arange(len(batch)) // 2
    n = int(owner.max()) + 1
    fast = best_anchored(batch, owner, n, scope)
    slow = _slow(batch, owner, n, scope)
    assert not np.isnan(fast[0]).all()
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-12, atol=1e-15)
    assert fast[1].tolist() == slow[1].tolist()
    for k, sentence in enumerate(EDGE_SENTENCES):  # and each sentence on its own
        one = best_anchored([sentence], np.array([0]), 1, scope)
        ref = _slow([sentence], np.array([0]), 1, scope)
        np.testing.assert_allclose(one[0], ref[0], rtol=1e-12, atol=1e-15, err_msg=str(k))


def test_best_anchored_fast_path_by_hand_with_spaces_and_case():
    # Blanks are not grams and a bigram never spans a context boundary; "ab" scores.
    scope = arrays({"a": 0.0, "b": 0.0, "ab": 3.0, "x": -1.0})
    best, _ = best_anchored(["A B サイバー", "ab"], np.array([0, 1]), 2, scope)
    # Text 0: grams a, b, ab (idf 1, blanks removed), each once: z = 3 / sqrt(3).
    np.testing.assert_allclose(best[0], sigmoid(3 / math.sqrt(3)))
    assert np.isnan(best[1])  # no security term


# --------------------------------------------------------------------------- calibration layers

ANCHORED_LAYER = np.array([1.0, 0.5, -0.25, 0.1])
PLAIN_LAYER = np.array([2.0, -1.0, 0.3, -0.3])


def test_calibration_features_by_hand():
    has, fa, fp = calibration_features(
        np.array([0.8, np.nan]), np.array([0.3, 0.6]), np.array([100, 0])
    )
    assert has.tolist() == [True, False]
    a, length = math.log(4.0), math.log(2.0)  # logit(0.8), log(1 + 100/100)
    # No terms or similarity given: 0 for both.
    np.testing.assert_allclose(fa[0], [a, length, a * length, 0.0, 0.0])
    np.testing.assert_allclose(fa[1], [0.0, 0.0, 0.0, 0.0, 0.0])  # no anchor: logit(0.5)
    w0, w1 = math.log(0.3 / 0.7), math.log(1.5)
    np.testing.assert_allclose(fp, [[w0, length, w0 * length], [w1, 0.0, 0.0]])
    _, named, _ = calibration_features(
        np.array([0.8, np.nan]), np.array([0.3, 0.6]), np.array([100, 0]), np.array([3, 0])
    )
    np.testing.assert_allclose(named[:, 3], [math.log(4.0), 0.0])  # log(1 + 3 terms)
    _, near, plain = calibration_features(
        np.array([0.8, np.nan]),
        np.array([0.3, 0.6]),
        np.array([100, 0]),
        np.array([3, 0]),
        np.array([0.42, 0.1]),
    )
    np.testing.assert_allclose(near[:, 4], [0.42, 0.1])  # the similarity as it is
    np.testing.assert_allclose(plain, fp)  # the plain layer does not use it


def test_policy_similarity_is_the_best_description_cosine():
    scores = np.array([[0.1, 0.5, 0.2], [0.0, 0.0, 0.03]])
    np.testing.assert_allclose(policy_similarity(scores), [0.5, 0.03])
    assert policy_similarity(np.zeros((2, 0))).tolist() == [0.0, 0.0]  # no target at all


def test_distinct_terms_by_hand():
    sentences = [
        "情報セキュリティ対策とセキュリティ監査",  # セキュリティ twice: one term
        "不正アクセスの防止",
        "道路の整備",
        "CSIRTとcsirtの訓練、暗号",  # Latin terms in any case are one term
    ]
    owner = np.array([0, 0, 1, 2])
    # Text 0: セキュリティ, 不正アクセス; text 1: none; text 2: csirt, 暗号; text 3: no sentence.
    assert distinct_terms(sentences, owner, 4).tolist() == [2, 0, 2, 0]
    assert distinct_terms([], np.zeros(0, dtype=int), 2).tolist() == [0, 0]


def test_combine_by_hand():
    anchored = np.array([0.8, np.nan, 0.1])
    whole = np.array([0.3, 0.6, 0.99])
    n_chars = np.array([100, 0, 900])
    got = combine(ANCHORED_LAYER, PLAIN_LAYER, anchored, whole, n_chars)
    # Row 0 names a term: the anchored layer on (logit 0.8, log 2, product); whole ignored.
    a, length = math.log(4.0), math.log(2.0)
    row0 = sigmoid(1.0 * a + 0.5 * length - 0.25 * a * length + 0.1)
    # Row 1 names none: the plain layer on (logit 0.6, log 1, product).
    w = math.log(1.5)
    row1 = sigmoid(2.0 * w - 1.0 * 0.0 + 0.3 * w * 0.0 - 0.3)
    # Row 2: anchored 0.1 on a long text.
    a2, length2 = math.log(0.1 / 0.9), math.log(10.0)
    row2 = sigmoid(a2 + 0.5 * length2 - 0.25 * a2 * length2 + 0.1)
    np.testing.assert_allclose(got, [row0, row1, row2])
    scope = arrays(anchored=ANCHORED_LAYER, plain=PLAIN_LAYER)
    np.testing.assert_allclose(scope.combine(anchored, whole, n_chars), got)
    # The whole-text score does not move a text that names a term.
    other = combine(ANCHORED_LAYER, PLAIN_LAYER, anchored, np.array([0.01, 0.6, 0.01]), n_chars)
    np.testing.assert_allclose(other[[0, 2]], got[[0, 2]])


def test_combine_with_the_distinct_terms_weight():
    # A five-weight anchored layer: the fourth weight multiplies log(1 + distinct terms).
    layer = np.array([1.0, 0.5, -0.25, 0.8, 0.1])
    anchored, whole, n_chars = np.array([0.8, np.nan]), np.array([0.3, 0.6]), np.array([100, 0])
    got = combine(layer, PLAIN_LAYER, anchored, whole, n_chars, np.array([3, 0]))
    a, length = math.log(4.0), math.log(2.0)
    row0 = sigmoid(1.0 * a + 0.5 * length - 0.25 * a * length + 0.8 * math.log(4.0) + 0.1)
    row1 = sigmoid(2.0 * math.log(1.5) - 0.3)  # no anchor: the plain layer, terms unused
    np.testing.assert_allclose(got, [row0, row1])
    # A layer saved with four weights (before the feature) ignores the count.
    old = combine(ANCHORED_LAYER, PLAIN_LAYER, anchored, whole, n_chars, np.array([3, 0]))
    np.testing.assert_allclose(old, combine(ANCHORED_LAYER, PLAIN_LAYER, anchored, whole, n_chars))


def test_combine_with_the_policy_similarity_weight():
    # A six-weight anchored layer: the fifth weight multiplies the policy similarity.
    layer = np.array([1.0, 0.5, -0.25, 0.8, 6.0, 0.1])
    anchored, whole, n_chars = np.array([0.8, np.nan]), np.array([0.3, 0.6]), np.array([100, 0])
    terms, near = np.array([3, 0]), np.array([0.25, 0.9])
    got = combine(layer, PLAIN_LAYER, anchored, whole, n_chars, terms, near)
    a, length = math.log(4.0), math.log(2.0)
    row0 = sigmoid(a + 0.5 * length - 0.25 * a * length + 0.8 * math.log(4.0) + 6.0 * 0.25 + 0.1)
    row1 = sigmoid(2.0 * math.log(1.5) - 0.3)  # no anchor: the plain layer, similarity unused
    np.testing.assert_allclose(got, [row0, row1])
    # A five-weight layer (saved before the feature) ignores the similarity.
    five = layer[[0, 1, 2, 3, 5]]
    np.testing.assert_allclose(
        combine(five, PLAIN_LAYER, anchored, whole, n_chars, terms, near),
        combine(five, PLAIN_LAYER, anchored, whole, n_chars, terms),
    )


@pytest.mark.parametrize(
    "sentence,expected",
    [
        ("情報漏えい対策を行う。", "【情報漏えい】対策を行う。"),
        ("情報漏えのおそれ", "【情報漏え】のおそれ"),  # the stem alone is still a term
        ("核セキュリティとサイバー攻撃", "核【セキュリティ】と【サイバー】【攻撃】"),
        ("csirtを置く", "【csirt】を置く"),  # case as written, matched without case
        ("道路を整備する。", "道路を整備する。"),
    ],
)
def test_mark_terms_shows_whole_terms(sentence, expected):
    assert mark_terms(sentence) == expected


def test_a_text_longer_than_any_training_text_counts_as_the_longest():
    """The length terms are not extrapolated: past the longest training text (3,081
    characters for the committed model) a longer text gets the same probability, so a
    paragraph repeated many times does not drift out of scope."""
    from .helpers import load_committed_model

    model, _ = load_committed_model(None)
    scope = model.scope_
    longest = scope.max_chars
    assert 1000 < longest < 10_000  # the longest review sheet learnt from
    anchored, whole = np.array([0.9, np.nan]), np.array([0.5, 0.9])
    terms = np.array([2, 0])
    at = scope.combine(anchored, whole, np.array([longest] * 2), terms)
    beyond = scope.combine(anchored, whole, np.array([longest * 10] * 2), terms)
    below = scope.combine(anchored, whole, np.array([longest / 10] * 2), terms)
    np.testing.assert_array_equal(at, beyond)
    assert not np.allclose(at, below)


def test_the_anchored_layer_stops_counting_length_at_its_cap():
    """Among review sheets, length no longer moves a text naming a security term (past
    ``ANCHORED_MAX_CHARS``); it still does below the cap, and for texts naming none."""
    from .helpers import load_committed_model

    scope = load_committed_model(None)[0].scope_
    cap = scope.anchored_max_chars
    assert cap == ANCHORED_MAX_CHARS < scope.max_chars
    anchored, whole = np.array([0.97, np.nan]), np.array([0.5, 0.3])
    terms = np.array([2, 0])

    def p(n):
        return scope.combine(anchored, whole, np.array([n, n], dtype=float), terms)

    at, beyond, below = p(cap), p(cap * 3), p(cap / 5)
    assert at[0] == beyond[0] and at[0] != below[0]
    assert at[1] != beyond[1]  # the plain layer still counts length up to max_chars


def test_a_model_saved_before_the_cap_is_not_capped():
    arrays = ScopeArrays(
        {}, np.zeros(0), np.zeros(0), 0.0, np.zeros(0), 0.0, np.zeros(5), np.zeros(4)
    )
    assert math.isinf(arrays.max_chars) and math.isinf(arrays.anchored_max_chars)
