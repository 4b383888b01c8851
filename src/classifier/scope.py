"""Is a text a cybersecurity programme at all? A calibrated probability, for short requests
and for long review-sheet texts alike.

Two kinds of evidence, both learnt from real negatives as well as positives:

* **Anchored contexts.** Where a sentence names a security term (``ANCHOR_TERMS``: サイバー,
  セキュリティ, 暗号, 脆弱, 改ざん, …), the term with the 20 characters either side of it is
  scored by a logistic regression over its character 1–2-grams, which tells
  情報セキュリティ対策の強化 from 核セキュリティ, 量子暗号 from 暗号資産 and 脆弱性 from 脆弱な地盤.
  A programme's anchored score is its best context: a cyber component may be one phrase in
  one sentence among twenty (whole sentences, measured on the dev split, drown it).
* **The whole text.** A logistic regression over the request's TF-IDF word vector (the
  space the item scorers use), for short requests that describe a cyber measure without
  naming a term (ボットネットの検知, フォレンジック).

A calibration layer turns them into one probability: for texts naming a security term, a
logistic regression on (anchored score, length, their product, how many different terms
the text names, how close the text comes to any target's policy description); for texts
without, one on (whole-text score, length, their product).
Where a term is named, the whole-text score is left out: on long texts it follows the
topic (核セキュリティの人材育成 reads like cyber training) and, measured over ten reshuffles
of the dev split's cross-validation, leaving it out raised scope recall from 0.91 to 0.95
at a small cost in precision (0.89 to 0.85).
Both layers are fitted on out-of-fold scores of the training texts, so a long
text without any security term gets the probability such texts really had in the
labelled data (review sheets: none of 320 sampled was in scope), while a short one still
gets its whole-text score. Fitting (:mod:`classifier.scope_fit`) uses scikit-learn;
predicting, numpy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Security terms a sentence must name for its character n-grams to count as evidence.
ANCHOR_TERMS = re.compile(
    "サイバー|セキュリティ|セキュア|情報漏え|情報漏洩|情報漏れ|漏えい|不正アクセス|不正侵入|暗号|脆弱"
    "|CSIRT|NISC|GSOC|ウイルス|ウィルス|マルウェア|ランサム|不正プログラム|標的型|DDoS"
    "|改ざん|改竄|なりすまし|フィッシング|ハッキング|インシデント|情報保全|情報保証|ゼロトラスト"
    "|不正利用|個人情報保護|攻撃|ボットネット|フォレンジック|不正送金|耐タンパ|電子署名|認証局",
    re.IGNORECASE,
)
# The terms as shown in 【】: a stem the model matches is shown as the word it starts
# (【情報漏えい】, not 【情報漏え】い).
_SHOWN_TERMS = re.compile(
    ANCHOR_TERMS.pattern.replace("情報漏え|", "情報漏えい|情報漏え|"), re.IGNORECASE
)
# The same terms, for lower-cased text (several times faster than IGNORECASE).
_ANCHOR_LOWER = re.compile(ANCHOR_TERMS.pattern.lower())
_BLANKS = re.compile(r"\s+")
_EPS = 1e-4
LAYER_C = 10.0  # calibration layers: three or four features, many texts; little regularisation
CONTEXT_CHARS = 20  # characters either side of an anchor term (dev split: 10–40 all work)
# Where the anchored layer's length stops growing. Length tells a two-line request from a
# review sheet (their base rates differ a hundredfold); among review sheets it said little
# more and, cross-validated by ministry on the dev split, pushed long programmes with a
# real security part below shorter ones that merely name a term (README, Measured quality).
ANCHORED_MAX_CHARS = 700.0


# Whether each code point is one ``\\s`` matches (str.isspace: what char_grams removes),
# by table: every such character is below U+3001, and the last entry (U+3001, not a
# space) stands for every code point beyond. (np.isin sorts, and its first call imports
# numpy.ma: 6 ms of every start.)
_IS_SPACE = np.array([chr(c).isspace() for c in range(0x3002)], dtype=bool)
_SEP = "\x00"  # joins a batch's sentences; cleaned text never holds it


def mark_terms(sentence: str) -> str:
    """``sentence`` with each security term it names in 【】 (what the scope model read)."""
    return _SHOWN_TERMS.sub(r"【\g<0>】", sentence)


def anchor_contexts(sentence: str, width: int = CONTEXT_CHARS) -> list[str]:
    """Each security term in ``sentence`` with ``width`` characters either side."""
    return [
        sentence[max(0, m.start() - width) : m.end() + width]
        for m in ANCHOR_TERMS.finditer(sentence)
    ]


def char_grams(sentence: str) -> list[str]:
    """Character 1- and 2-grams of a cleaned sentence (lower-cased, blanks removed)."""
    s = _BLANKS.sub("", sentence.lower())
    return [*s, *(s[i : i + 2] for i in range(len(s) - 1))]


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def length_feature(n_chars: np.ndarray) -> np.ndarray:
    """log(1 + characters / 100): short requests ≈ 0.6–1, review sheets ≈ 2–3.5."""
    return np.log1p(np.asarray(n_chars, dtype=float) / 100.0)


@dataclass
class ScopeArrays:
    """The fitted scope model as plain arrays (see the module docstring)."""

    gram_index: dict[str, int]
    gram_idf: np.ndarray  # (G,)
    gram_coef: np.ndarray  # (G,)
    gram_intercept: float
    word_coef: np.ndarray  # (V,) over the shared word TF-IDF space
    word_intercept: float
    # (6,): weights of logit(anchored), length, their product, log(1 + distinct terms),
    # policy similarity; bias. A model saved before a feature existed has fewer weights.
    anchored: np.ndarray
    plain: np.ndarray  # (4,): weights of logit(whole), length, logit(whole)·length; bias
    # The longest training text: a longer one counts as that long, so the length terms are
    # never extrapolated (one paragraph repeated to 38,000 characters drifted out of scope).
    # Infinite for a model saved before the cap.
    max_chars: float = float("inf")
    # Where the anchored layer's length saturates (``ANCHORED_MAX_CHARS`` when fitted);
    # infinite for a model saved before it, whose layer was fitted without.
    anchored_max_chars: float = float("inf")

    def gram_vectors(self, sentences: Sequence[str]):
        """Binary × idf character-gram vectors, L2-normalised (unknown grams drop), as a
        scipy.sparse matrix: used to fit, and by the rare texts :func:`best_anchored`
        cannot take its array path for, so scipy is imported only then."""
        from scipy import sparse

        index = self.gram_index
        rows: list[int] = []
        cols: list[int] = []
        for i, sentence in enumerate(sentences):
            found = {index[g] for g in char_grams(sentence) if g in index}
            rows += [i] * len(found)
            cols += sorted(found)
        data = self.gram_idf[np.asarray(cols, dtype=np.intp)]
        X = sparse.csr_matrix(
            (data, (np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp))),
            shape=(len(sentences), len(self.gram_idf)),
        )
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        return sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ X

    def context_proba(self, contexts: Sequence[str]) -> np.ndarray:
        """Probability that each anchor context is about cybersecurity."""
        if not contexts:
            return np.zeros(0)
        z = np.asarray(self.gram_vectors(contexts) @ self.gram_coef).ravel()
        return _sigmoid(z + self.gram_intercept)

    def span_proba(self, cp: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """:meth:`context_proba` of the contexts ``cp[lo[k]:hi[k]]`` (code points of the
        lower-cased text), for a whole batch in a few array operations instead of a
        dictionary lookup per character gram."""
        n = len(lo)
        lengths = hi - lo
        ctx = np.repeat(np.arange(n), lengths)
        pos = np.arange(int(lengths.sum())) + np.repeat(
            lo - (np.cumsum(lengths) - lengths), lengths
        )
        chars = cp[pos]
        keep = ~_IS_SPACE[np.minimum(chars, len(_IS_SPACE) - 1)]
        chars, ctx = chars[keep], ctx[keep]
        table, bigrams = self._gram_lookup
        uid = table[np.minimum(chars, len(table) - 1)]
        known = uid >= 0
        # A bigram never spans two contexts, and both its characters are known unigrams
        # (every gram comes from a training context's own characters).
        same = (ctx[1:] == ctx[:-1]) & known[1:] & known[:-1]
        pairs = ((chars[:-1] << 21) | chars[1:])[same]
        bid = _lookup(*bigrams, pairs)
        G = len(self.gram_idf)
        key = np.r_[ctx[known] * G + uid[known], ctx[:-1][same][bid >= 0] * G + bid[bid >= 0]]
        key.sort()
        key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key  # each gram once
        c, g = np.divmod(key, G)
        idf = self.gram_idf[g]
        inv = 1.0 / np.maximum(np.sqrt(np.bincount(c, weights=idf * idf, minlength=n)), 1e-12)
        z = np.bincount(c, weights=(inv[c] * idf) * self.gram_coef[g], minlength=n)
        return _sigmoid(z + self.gram_intercept)

    @cached_property
    def _gram_lookup(self) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Unigram id by code point (-1: unknown; the last entry stands for every code
        point beyond), and the sorted code-point pairs of the bigrams with their ids."""
        uni = {ord(g): i for g, i in self.gram_index.items() if len(g) == 1}
        table = np.full(max(uni, default=0) + 2, -1, dtype=np.int64)
        table[list(uni)] = list(uni.values())
        bi = sorted(
            ((ord(g[0]) << 21) | ord(g[1]), i) for g, i in self.gram_index.items() if len(g) == 2
        )
        pairs = np.array(bi, dtype=np.int64).reshape(-1, 2)
        return table, (pairs[:, 0].copy(), pairs[:, 1].copy())

    def whole_proba(self, X) -> np.ndarray:
        """Whole-text probability from the word TF-IDF vectors."""
        return _sigmoid(np.asarray(X @ self.word_coef).ravel() + self.word_intercept)

    def combine(
        self,
        anchored: np.ndarray,
        whole: np.ndarray,
        n_chars: np.ndarray,
        terms: np.ndarray | None = None,
        similarity: np.ndarray | None = None,
    ) -> np.ndarray:
        """The calibrated in-scope probability; ``anchored`` is NaN where no sentence is."""
        capped = np.minimum(np.asarray(n_chars, dtype=float), self.max_chars)
        return combine(
            self.anchored,
            self.plain,
            anchored,
            whole,
            capped,
            terms,
            similarity,
            anchored_max_chars=self.anchored_max_chars,
        )


def calibration_features(
    anchored: np.ndarray,
    whole: np.ndarray,
    n_chars: np.ndarray,
    terms: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    anchored_max_chars: float = float("inf"),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(has anchor, anchored-layer features, plain-layer features)``, one row per text.

    The anchored layer's last two features are log(1 + distinct security terms named),
    from :func:`distinct_terms`, and the policy similarity: the text's highest cosine to a
    target's clause description in the word TF-IDF space (the ``proto`` scorer; 0 for
    either when not given). The similarity is fitted on nothing labelled, so it needs no
    cross-validation: a security term in a text about government systems or incident
    response (close to the policy) counts for more than one in a text about tanks or
    nuclear material (far from it). Chosen on the dev split's review sheets (README).
    The anchored layer counts a text longer than ``anchored_max_chars`` as that long."""
    has = ~np.isnan(anchored)
    length = length_feature(n_chars)
    length_a = length_feature(np.minimum(np.asarray(n_chars, dtype=float), anchored_max_chars))
    w = logit(whole)
    a = logit(np.where(has, anchored, 0.5))
    zero = np.zeros(len(a))
    named = np.log1p(zero if terms is None else np.asarray(terms, dtype=float))
    near = zero if similarity is None else np.asarray(similarity, dtype=float)
    return has, np.c_[a, length_a, a * length_a, named, near], np.c_[w, length, w * length]


def combine(
    anchored_layer: np.ndarray,
    plain_layer: np.ndarray,
    anchored: np.ndarray,
    whole: np.ndarray,
    n_chars: np.ndarray,
    terms: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    anchored_max_chars: float = float("inf"),
) -> np.ndarray:
    has, fa, fp = calibration_features(
        anchored, whole, n_chars, terms, similarity, anchored_max_chars
    )
    # A layer saved before the distinct-terms or similarity feature has fewer weights: it
    # uses the features it was fitted on.
    za = fa[:, : len(anchored_layer) - 1] @ anchored_layer[:-1] + anchored_layer[-1]
    zp = fp @ plain_layer[:3] + plain_layer[3]
    return _sigmoid(np.where(has, za, zp))


def policy_similarity(description_scores: np.ndarray) -> np.ndarray:
    """Per text, its highest cosine to a target's clause description, from the ``proto``
    scorer's (n, n_classes) scores."""
    scores = np.asarray(description_scores, dtype=float)
    return scores.max(axis=1) if scores.shape[1] else np.zeros(len(scores))


def distinct_terms(
    batch_sentences: Sequence[str], sentence_text: np.ndarray, n_texts: int
) -> np.ndarray:
    """Per text, how many different security terms (``ANCHOR_TERMS``, lower-cased) its
    sentences name. A programme that names セキュリティ, 不正アクセス and 脆弱性 funds a
    security component more often than one naming セキュリティ alone (measured on the dev
    split, cross-validated by ministry: scope log-loss 0.098 → 0.063)."""
    found: list[set[str]] = [set() for _ in range(n_texts)]
    for sentence, text in zip(batch_sentences, sentence_text.tolist(), strict=True):
        found[text].update(_ANCHOR_LOWER.findall(sentence.lower()))
    return np.fromiter(map(len, found), dtype=np.intp, count=n_texts)


def best_anchored(
    batch_sentences: Sequence[str], sentence_text: np.ndarray, n_texts: int, scope: ScopeArrays
) -> tuple[np.ndarray, np.ndarray]:
    """Per text: its best anchor context's probability (NaN if it names no security term)
    and the index in ``batch_sentences`` of the sentence holding it (-1 if none).

    The batch's sentences are searched as one string (a term never spans two), and each
    context is a span of it, cut at its sentence's ends as :func:`anchor_contexts` cuts.
    """
    best = np.full(n_texts, np.nan)
    where = np.full(n_texts, -1, dtype=np.intp)
    if not batch_sentences:
        return best, where
    joined = _SEP.join(batch_sentences)
    lowered = joined.lower()
    try:
        if (
            joined.count(_SEP) != len(batch_sentences) - 1  # a sentence holding it
            or len(lowered) != len(joined)  # İ: lower-casing moved the positions
            or "\u03a3" in joined  # Σ: lower-cased by context
        ):
            raise ValueError
        cp = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    except (ValueError, UnicodeEncodeError):  # (a lone surrogate)
        return _best_anchored_slow(batch_sentences, sentence_text, best, where, scope)
    spans = [m.span() for m in _ANCHOR_LOWER.finditer(lowered)]
    if not spans:
        return best, where
    lengths = np.fromiter(map(len, batch_sentences), dtype=np.intp, count=len(batch_sentences))
    starts = np.cumsum(lengths + 1) - (lengths + 1)
    a, b = np.asarray(spans, dtype=np.intp).T
    owners = np.searchsorted(starts, a, side="right") - 1
    lo = np.maximum(starts[owners], a - CONTEXT_CHARS)
    hi = np.minimum(starts[owners] + lengths[owners], b + CONTEXT_CHARS)
    proba = scope.span_proba(cp, lo, hi)
    return _keep_best(proba, owners, sentence_text, best, where)


def _best_anchored_slow(
    batch_sentences: Sequence[str],
    sentence_text: np.ndarray,
    best: np.ndarray,
    where: np.ndarray,
    scope: ScopeArrays,
) -> tuple[np.ndarray, np.ndarray]:
    contexts: list[str] = []
    owner: list[int] = []  # sentence of each context
    for j, sentence in enumerate(batch_sentences):
        found = anchor_contexts(sentence)
        contexts += found
        owner += [j] * len(found)
    if not contexts:
        return best, where
    proba = scope.context_proba(contexts)
    return _keep_best(proba, np.asarray(owner, dtype=np.intp), sentence_text, best, where)


def _keep_best(
    proba: np.ndarray,
    owners: np.ndarray,
    sentence_text: np.ndarray,
    best: np.ndarray,
    where: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    texts = sentence_text[owners]
    # Highest probability first (earliest on a tie), so the first seen per text is its best.
    order = np.lexsort((np.arange(len(proba)), -proba, texts))
    first = np.r_[True, texts[order][1:] != texts[order][:-1]]
    chosen = order[first]
    best[texts[chosen]] = proba[chosen]
    where[texts[chosen]] = owners[chosen]
    return best, where


def _lookup(keys: np.ndarray, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The id of each value in sorted ``keys`` (-1 where it is not there)."""
    if not len(keys):
        return np.full(len(values), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.where(keys[at] == values, ids[at], -1)
