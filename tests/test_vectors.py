"""vectors: TF-IDF as array operations, and the fitted scorers as plain arrays.

The flat TF-IDF path is checked against a per-document count written here.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from classifier.vectors import ScorerArrays, flatten, vocabulary


def _scorers(vocab: dict[str, int], idf, **kw) -> ScorerArrays:
    names = np.array(sorted(vocab, key=vocab.get))
    return ScorerArrays(vocab, names, np.asarray(idf, dtype=float), np.zeros(0), np.zeros(0), **kw)


def test_flatten():
    features, rows = flatten([["w:a", "w:b"], [], ["w:c"]])
    assert features == ["w:a", "w:b", "w:c"]
    assert rows.tolist() == [0, 0, 2]
    features, rows = flatten([])
    assert features == [] and rows.tolist() == []


def test_vocabulary_is_sorted_with_smoothed_idf():
    vocab, names, idf = vocabulary([["w:b", "w:a", "w:a"], ["w:a"], []])
    assert vocab == {"w:a": 0, "w:b": 1}
    assert names.tolist() == ["w:a", "w:b"]
    # idf = ln((1 + n) / (1 + df)) + 1 with n = 3 documents; df(a) = 2, df(b) = 1.
    np.testing.assert_allclose(idf, [math.log(4 / 3) + 1, math.log(4 / 2) + 1])


def test_transform_one_document_by_hand():
    scorers = _scorers({"w:a": 0, "w:b": 1}, [1.0, 2.0])
    X = scorers.transform([["w:a", "w:unknown", "w:a", "w:b"], [], ["w:unknown"]])
    a = (1 + math.log(2)) * 1.0  # sublinear tf of 2 occurrences × idf
    b = 1.0 * 2.0
    norm = math.hypot(a, b)
    np.testing.assert_allclose(X.toarray(), [[a / norm, b / norm], [0, 0], [0, 0]])
    assert X.shape == (3, 2)


def test_lr_log_proba_is_a_log_softmax():
    X = sparse.csr_matrix(np.array([[1.0, 0.0]]))
    scorers = _scorers(
        {"w:a": 0, "w:b": 1}, [1.0, 1.0], lr_coef=np.eye(2), lr_intercept=np.zeros(2)
    )
    z = math.log(math.e + 1)
    np.testing.assert_allclose(scorers.lr_log_proba(X), [[1 - z, -z]])
    with pytest.raises(AssertionError, match="clause-only"):
        _scorers({"w:a": 0}, [1.0]).lr_log_proba(X[:, :1])


# --------------------------------------------------------------------------- fast path = definition


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
    vocabulary = {"w:a": 0, "w:b": 1, "w:c": 2, "w:d": 3}
    idf = np.array([1.0, 1.5, 2.0, 2.5])
    scorers = ScorerArrays(vocabulary, np.array(sorted(vocabulary)), idf, np.zeros(0), np.zeros(0))
    X = scorers.transform(docs)
    assert X.has_canonical_format
    np.testing.assert_allclose(X.toarray(), reference_tfidf(docs, vocabulary, idf), rtol=1e-12)


def test_flat_tfidf_names_the_last_occurrence():
    """Evidence shows the word the analyst wrote last for a feature (セキュリティー here)."""
    scorers = ScorerArrays({"w:x": 0, "w:y": 1}, np.array(["w:x", "w:y"]), np.ones(2), None, None)
    rows = np.array([0, 0, 0, 1])
    _, where = scorers.transform_flat(["w:y", "w:x", "w:y", "w:y"], rows, 2, np.array([5, 6, 7, 8]))
    # Row 0 stores w:x (from source 6) then w:y (last seen at source 7); row 1 stores w:y (8).
    assert where.tolist() == [6, 7, 8]


def test_transform_flat_without_sources_gives_positions_in_the_feature_list():
    scorers = ScorerArrays({"w:x": 0, "w:y": 1}, np.array(["w:x", "w:y"]), np.ones(2), None, None)
    features = ["w:zz", "w:y", "w:x", "w:y", "w:unknown", "w:y"]
    rows = np.array([0, 0, 0, 0, 1, 1])
    _, where = scorers.transform_flat(features, rows, 2)
    # Row 0: w:x at 2, w:y last at 3; row 1: w:y at 5 (unknown words are not stored).
    assert where.tolist() == [2, 3, 5]
    assert [features[i] for i in where] == ["w:x", "w:y", "w:y"]
