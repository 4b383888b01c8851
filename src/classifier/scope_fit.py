"""Fitting the scope model (see :mod:`classifier.scope`): the context and whole-text
logistic regressions and the calibration layers, on out-of-fold scores. scikit-learn is
imported here only, so predicting never loads it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from .scope import (
    ANCHORED_MAX_CHARS,
    LAYER_C,
    ScopeArrays,
    anchor_contexts,
    best_anchored,
    calibration_features,
    char_grams,
    combine,
    distinct_terms,
    logit,
)


def _gram_space(sentences: Sequence[str]) -> tuple[dict[str, int], np.ndarray]:
    """Character-gram vocabulary (sorted) and smoothed idf over ``sentences``."""
    df: dict[str, int] = {}
    for sentence in sentences:
        for g in set(char_grams(sentence)):
            df[g] = df.get(g, 0) + 1
    grams = sorted(df)
    n = len(sentences)
    idf = np.log((1.0 + n) / (1.0 + np.array([df[g] for g in grams], dtype=float))) + 1.0
    return {g: i for i, g in enumerate(grams)}, idf


def _logistic(X, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(X, y)


def _layer(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights and bias of one calibration layer; a constant (the smoothed rate) when the
    texts it covers are all of one class."""
    if len(y) == 0 or y.all() or not y.any():
        rate = (y.sum() + 0.5) / (len(y) + 1.0)
        return np.r_[np.zeros(X.shape[1]), logit(np.array([rate]))]
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=LAYER_C, max_iter=2000).fit(X, y)
    return np.r_[lr.coef_[0], lr.intercept_[0]]


def _fit_models(
    X: sparse.csr_matrix,
    sentences: Sequence[Sequence[str]],
    y: np.ndarray,
    extra_sentences: Sequence[str],
    X_extra: sparse.csr_matrix,
    C: float,
) -> ScopeArrays:
    """The context and whole-text models (no calibration yet) on one training set."""
    anchored = [
        (c, bool(label))
        for doc, label in zip(sentences, y, strict=True)
        for s in doc
        for c in anchor_contexts(s)
    ]
    anchored += [(c, True) for s in extra_sentences for c in anchor_contexts(s)]
    texts = [s for s, _ in anchored]
    labels = np.array([lab for _, lab in anchored], dtype=bool)
    index, idf = _gram_space(texts)
    arrays = ScopeArrays(
        index, idf, np.zeros(len(idf)), 0.0, np.zeros(X.shape[1]), 0.0, np.zeros(6), np.zeros(4)
    )
    if labels.any() and not labels.all():
        gram = _logistic(arrays.gram_vectors(texts), labels, C)
        arrays.gram_coef, arrays.gram_intercept = gram.coef_[0], float(gram.intercept_[0])
    else:
        arrays.gram_intercept = float(logit(np.array([labels.mean() if len(labels) else 0.5]))[0])
    word = _logistic(sparse.vstack([X, X_extra]).tocsr(), np.r_[y, np.ones(X_extra.shape[0])], C)
    arrays.word_coef, arrays.word_intercept = word.coef_[0], float(word.intercept_[0])
    return arrays


def _flat(sentences: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray, int]:
    """Texts' sentences as one batch: every sentence, the text of each, how many texts
    (the arguments of :func:`best_anchored` and :func:`distinct_terms`)."""
    flat = [s for doc in sentences for s in doc]
    owner = np.repeat(np.arange(len(sentences)), [len(doc) for doc in sentences])
    return flat, owner, len(sentences)


def _evidence(arrays: ScopeArrays, X, sentences: Sequence[Sequence[str]]):
    anchored, _ = best_anchored(*_flat(sentences), arrays)
    return anchored, arrays.whole_proba(X)


def fit_scope(
    X: sparse.csr_matrix,
    sentences: Sequence[Sequence[str]],
    n_chars: np.ndarray,
    y: np.ndarray,
    extra_sentences: Sequence[str],
    X_extra: sparse.csr_matrix,
    folds: int = 5,
    random_state: int = 0,
    C: float = 4.0,
    groups: Sequence[str] | None = None,
    similarity: np.ndarray | None = None,
) -> tuple[ScopeArrays, np.ndarray, dict[str, np.ndarray]]:
    """Fit the scope model on labelled texts; also return their out-of-fold probabilities
    and the out-of-fold evidence the calibration layers were fitted on.

    ``X`` are the texts' word TF-IDF vectors, ``sentences`` their cleaned sentences,
    ``y`` whether each is in scope. ``extra_sentences`` / ``X_extra`` are known-positive
    texts (the policy's own clause sentences), always in training. The calibration layers
    are fitted on out-of-fold scores; the returned probabilities come from a second,
    nested cross-validation of those layers, so none was fitted on its own text.
    ``groups`` keeps texts of one group (a programme and the sentences taken from it) in
    one fold. ``similarity`` is each text's policy similarity
    (:func:`classifier.scope.calibration_features`).
    """
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.asarray(y, dtype=bool)
    group = np.asarray(groups if groups is not None else np.arange(len(y)).astype(str))
    anchored = np.full(len(y), np.nan)
    whole = np.zeros(len(y))
    split = StratifiedGroupKFold(folds, shuffle=True, random_state=random_state)
    for train, test in split.split(np.zeros(len(y)), y, group):
        arrays = _fit_models(
            X[train], [sentences[i] for i in train], y[train], extra_sentences, X_extra, C
        )
        anchored[test], whole[test] = _evidence(arrays, X[test], [sentences[i] for i in test])
    terms = distinct_terms(*_flat(sentences))
    near = np.zeros(len(y)) if similarity is None else np.asarray(similarity, dtype=float)
    cap = ANCHORED_MAX_CHARS
    has, fa, fp = calibration_features(
        anchored, whole, n_chars, terms, near, anchored_max_chars=cap
    )
    final = _fit_models(X, sentences, y, extra_sentences, X_extra, C)
    final.anchored = _layer(fa[has], y[has])
    final.plain = _layer(fp[~has], y[~has])
    final.max_chars = float(np.max(n_chars)) if len(n_chars) else float("inf")
    final.anchored_max_chars = cap
    oof = np.zeros(len(y))
    nested = StratifiedGroupKFold(folds, shuffle=True, random_state=random_state + 1)
    for train, test in nested.split(np.zeros(len(y)), y, group):
        la = _layer(fa[train][has[train]], y[train][has[train]])
        lp = _layer(fp[train][~has[train]], y[train][~has[train]])
        oof[test] = combine(
            la,
            lp,
            anchored[test],
            whole[test],
            n_chars[test],
            terms[test],
            near[test],
            anchored_max_chars=cap,
        )
    evidence = {
        "anchored": anchored,
        "whole": whole,
        "n_chars": n_chars,
        "terms": terms,
        "similarity": near,
        "y": y,
    }
    return final, oof, evidence
