"""TF-IDF vectors and the fitted linear scorers, as plain arrays.

scikit-learn fits; only its coefficients are kept, so predicting needs numpy and
scipy.sparse alone: the saved model stays small, loads fast and does not depend on
scikit-learn's pickle format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from scipy import sparse


@dataclass
class ScorerArrays:
    """Fitted scorers as plain arrays (see the module docstring)."""

    vocabulary: dict[str, int]
    feature_names: np.ndarray  # (V,) str, in vocabulary order
    idf: np.ndarray  # (V,)
    proto: np.ndarray  # (n_classes, V), rows L2-normalised
    centroid: np.ndarray  # (n_classes, V), rows L2-normalised
    lr_coef: np.ndarray | None = None  # (n_classes, V); absent classes have coef 0
    lr_intercept: np.ndarray | None = None  # (n_classes,); absent classes -inf-like

    def transform(self, docs: Sequence[list[str]]) -> sparse.csr_matrix:
        """Sublinear-tf × idf vectors, L2-normalised (features not in the vocabulary drop)."""
        return self.transform_flat(*flatten(docs), len(docs))[0]

    def transform_flat(
        self, features: list[str], rows: np.ndarray, n: int, sources: np.ndarray | None = None
    ) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Vectors of ``n`` documents given as one flat feature list and each feature's row.

        Also returns, for each stored entry of the matrix, the ``sources`` value of the last
        occurrence of that feature in its document (the word shown as evidence), or without
        ``sources`` that occurrence's index in ``features``.
        """
        n_features = len(self.idf)
        cols = np.fromiter(
            map(self.vocabulary.get, features, repeat(-1)), dtype=np.int64, count=len(features)
        )
        known = cols >= 0
        keys = rows[known].astype(np.int64) * n_features + cols[known]
        order = np.argsort(keys, kind="stable")  # text order kept within each (row, feature)
        keys = keys[order]
        last = np.flatnonzero(np.append(keys[1:] != keys[:-1], True)) if len(keys) else order
        counts = np.diff(np.append(-1, last))
        unique = keys[last]
        nnz_rows, nnz_cols = np.divmod(unique, n_features)
        data = (1.0 + np.log(counts)) * self.idf[nnz_cols]
        per_row = np.bincount(nnz_rows, minlength=n)
        norms = np.sqrt(np.bincount(nnz_rows, weights=data**2, minlength=n))
        data /= np.repeat(norms, per_row)
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        X = sparse.csr_matrix(
            (data, nnz_cols.astype(np.int32), indptr.astype(np.int32)), shape=(n, n_features)
        )
        origin = sources[known] if sources is not None else np.flatnonzero(known)
        where = origin[order][last]
        return X, where

    def lr_log_proba(self, X: sparse.csr_matrix) -> np.ndarray:
        assert self.lr_coef is not None, "no logistic regression was fitted (clause-only model)"
        z = np.asarray(X @ self.lr_coef.T) + self.lr_intercept
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def vocabulary(docs: Sequence[list[str]]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Sorted vocabulary, feature names and smoothed idf (as scikit-learn defines it)."""
    df: dict[str, int] = {}
    for doc in docs:
        for f in set(doc):
            df[f] = df.get(f, 0) + 1
    names = np.array(sorted(df))
    n = len(docs)
    idf = np.log((1.0 + n) / (1.0 + np.array([df[f] for f in names], dtype=np.float64))) + 1.0
    return {f: i for i, f in enumerate(names)}, names, idf


def flatten(docs: Sequence[list[str]]) -> tuple[list[str], np.ndarray]:
    """Documents as one flat feature list and the row of each feature."""
    rows = np.repeat(np.arange(len(docs)), [len(doc) for doc in docs])
    return [f for doc in docs for f in doc], rows
