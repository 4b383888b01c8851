"""vectors: TF-IDF as array operations, and the fitted scorers as plain arrays.

The flat TF-IDF path is checked against a per-document count written here.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from classifier.vectors import ScorerArrays, SparseRows, flatten, vocabulary

from .helpers import ROOT


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


# --------------------------------------------------------------------------- SparseRows


def _random_rows(rng: np.random.Generator, n: int, v: int, density: float) -> SparseRows:
    dense = np.where(rng.random((n, v)) < density, rng.normal(size=(n, v)), 0.0)
    dense[rng.random(n) < 0.3] = 0.0  # some rows empty, first and last among them at times
    m = sparse.csr_matrix(dense)
    return SparseRows(m.data, m.indices, m.indptr, m.shape)


@pytest.mark.parametrize("seed", range(6))
def test_sparse_rows_products_equal_scipy_to_the_last_bit(seed, monkeypatch):
    """A vector product adds each row's terms in scipy's order (the same bits); a matrix
    product agrees to rounding."""
    rng = np.random.default_rng(seed)
    X = _random_rows(rng, int(rng.integers(1, 40)), 30, 0.2)
    reference = X.to_scipy()
    vector, matrix = rng.normal(size=30), rng.normal(size=(30, 7))
    assert np.array_equal(X @ vector, reference @ vector)
    whole = X @ matrix
    np.testing.assert_allclose(whole, np.asarray(reference @ matrix), rtol=1e-13, atol=1e-13)
    # Rows processed in small blocks (as a large file's are) give the same bits.
    monkeypatch.setattr("classifier.vectors._BLOCK_TERMS", 7 * 3)
    assert np.array_equal(X @ matrix, whole)
    np.testing.assert_array_equal(X.toarray(), reference.toarray())


def test_sparse_rows_by_hand():
    X = SparseRows(
        np.array([1.0, 2.0, 3.0]),
        np.array([0, 2, 1], dtype=np.int32),
        np.array([0, 2, 2, 3]),
        (3, 3),
    )
    assert X.nnz == 3 and X.row_of().tolist() == [0, 0, 2]
    np.testing.assert_array_equal(X.toarray(), [[1, 0, 2], [0, 0, 0], [0, 3, 0]])
    np.testing.assert_array_equal(X @ np.array([1.0, 10.0, 100.0]), [201.0, 0.0, 30.0])
    np.testing.assert_array_equal(X @ np.eye(3), X.toarray())  # an empty row stays zero
    last = X[-1]
    assert last.shape == (1, 3) and last.indices.tolist() == [1] and last.data.tolist() == [3.0]
    assert X[1].nnz == 0 and X.tocsr() is X
    with pytest.raises(IndexError):
        X[3]
    with pytest.raises(TypeError):
        X[np.array([0, 1])]
    assert X.has_canonical_format
    unsorted = SparseRows(np.ones(2), np.array([2, 0]), np.array([0, 2]), (1, 3))
    assert not unsorted.has_canonical_format
    # Row 0 ends at column 2 and row 1 starts at column 0: that is not out of order.
    two = SparseRows(np.ones(2), np.array([2, 0]), np.array([0, 1, 2]), (2, 3))
    assert two.has_canonical_format
    empty = SparseRows(np.zeros(0), np.zeros(0, dtype=np.int32), np.zeros(3, dtype=int), (2, 4))
    np.testing.assert_array_equal(empty @ np.ones((4, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(empty @ np.ones(4), np.zeros(2))


def test_predicting_never_imports_scipy():
    """scipy.sparse costs a quarter of a second at every start: prediction does without."""
    code = (
        "import sys\n"
        "from classifier.predict import Predictor\n"
        "from classifier import paths\n"
        "from classifier.store import load_model\n"
        "model, _ = load_model(paths.model_dir('r3', paths.project_root()))\n"
        "Predictor(model, model.policy_).predict(['市町村の情報セキュリティ対策', '河川の堤防'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'sklearn')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("seed", range(6))
def test_product_with_sparse_columns_equals_scipy_to_the_last_bit(seed):
    """The clause matcher's product: only meeting pairs are multiplied, added in row
    order as scipy's sparse product adds them."""
    rng = np.random.default_rng(seed)
    X = _random_rows(rng, int(rng.integers(1, 30)), 25, 0.25)
    B = _random_rows(rng, int(rng.integers(1, 12)), 25, 0.15)  # m sentences over V = 25
    got = X.times_sparse_columns(B.columns())
    want = (X.to_scipy() @ B.to_scipy().T).toarray()
    assert got.shape == want.shape and np.array_equal(got, want)


def test_columns_by_hand():
    # [[1, 0, 2], [0, 0, 0], [0, 3, 0]] by column: column 0 holds row 0, column 1 row 2,
    # column 2 row 0.
    X = SparseRows(np.array([1.0, 2.0, 3.0]), np.array([0, 2, 1]), np.array([0, 2, 2, 3]), (3, 3))
    c = X.columns()
    assert c.shape == (3, 3) and c.indptr.tolist() == [0, 1, 2, 3]
    assert c.indices.tolist() == [0, 2, 0] and c.data.tolist() == [1.0, 3.0, 2.0]
    # Nothing meets: zeros of the right shape.
    none = SparseRows(np.ones(1), np.array([1]), np.array([0, 1]), (1, 3))
    only_0 = SparseRows(np.ones(1), np.array([0]), np.array([0, 1]), (1, 3)).columns()
    assert none.times_sparse_columns(only_0).tolist() == [[0.0]]
