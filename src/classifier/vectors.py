"""TF-IDF vectors and the fitted linear scorers, as plain arrays.

scikit-learn fits; only its coefficients are kept, so predicting needs numpy alone: the
saved model stays small, loads fast and does not depend on scikit-learn's pickle format.
Vectors are :class:`SparseRows`, the CSR layout with the few operations prediction uses;
importing scipy.sparse would add a quarter of a second to every start (measured), and
training converts to it (:meth:`SparseRows.to_scipy`) where scikit-learn needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import numpy as np

# Products held at once by SparseRows @ matrix: 128 KB stays in cache (measured fastest of
# 16K-1M terms; scipy's C loop is still about five times faster, but costs its import).
_BLOCK_TERMS = 1 << 14


@dataclass(frozen=True)
class SparseRows:
    """Rows of a sparse matrix in CSR layout (``data``, ``indices``, ``indptr``).

    Products with a dense vector add each row's terms in stored order, as scipy.sparse's
    CSR product does (the same bits); with a dense matrix numpy's reduction may group the
    terms differently, within rounding (1e-15) of scipy's.
    """

    data: np.ndarray  # (nnz,) float64
    indices: np.ndarray  # (nnz,) column of each stored value, ascending within a row
    indptr: np.ndarray  # (n + 1,): row i is data[indptr[i]:indptr[i + 1]]
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return len(self.data)

    def row_of(self) -> np.ndarray:
        """The row of each stored value (computed once: scoring, the scope model, the
        matcher and the evidence all ask)."""
        return self._row_of

    @cached_property
    def _row_of(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def __matmul__(self, dense: np.ndarray) -> np.ndarray:
        """``self @ dense`` for a dense (V,) vector or (V, k) matrix."""
        dense = np.asarray(dense)
        n = self.shape[0]
        if dense.ndim == 1:
            return np.bincount(
                self.row_of(), weights=self.data * dense[self.indices], minlength=n
            ).astype(np.result_type(self.data, dense))
        out = np.zeros((n, dense.shape[1]), dtype=np.result_type(self.data, dense))
        filled = np.flatnonzero(np.diff(self.indptr))
        if not len(filled):
            return out
        # Rows in blocks of about _BLOCK_TERMS products each (a whole file's (terms, k)
        # array would take hundreds of megabytes, and small blocks stay in cache).
        per_block = max(1, _BLOCK_TERMS // max(1, dense.shape[1]))
        bounds = np.searchsorted(self.indptr[filled], np.arange(0, self.nnz, per_block))
        for a, b in zip(bounds.tolist(), [*bounds[1:].tolist(), len(filled)], strict=True):
            rows = filled[a:b]
            if not len(rows):
                continue
            lo, hi = int(self.indptr[rows[0]]), int(self.indptr[rows[-1] + 1])
            terms = self.data[lo:hi, None] * dense[self.indices[lo:hi]]
            out[rows] = np.add.reduceat(terms, self.indptr[rows] - lo, axis=0)
        return out

    def __getitem__(self, i: int) -> SparseRows:
        """Row ``i``, as a one-row matrix."""
        if not isinstance(i, int | np.integer):
            raise TypeError("SparseRows is indexed by one row number")
        i = range(self.shape[0])[i]  # negative rows count from the end; out of range raises
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        return SparseRows(
            self.data[a:b], self.indices[a:b], np.array([0, b - a]), (1, self.shape[1])
        )

    def times_sparse_columns(self, columns: SparseColumns) -> np.ndarray:
        """``self @ other.T`` as a dense (n, m) array, given ``other.columns()`` for an
        (m, V) ``other``: only the pairs of stored values that meet are multiplied, added
        in row order as scipy's sparse product adds them."""
        n, m = self.shape[0], columns.shape[1]
        starts = columns.indptr[self.indices]
        counts = columns.indptr[self.indices + 1] - starts
        total = int(counts.sum())
        if not total:
            return np.zeros((n, m))
        mine = np.repeat(np.arange(self.nnz), counts)
        at = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
        key = self.row_of()[mine] * m + columns.indices[at]
        weights = self.data[mine] * columns.data[at]
        return np.bincount(key, weights=weights, minlength=n * m).reshape(n, m)

    def columns(self) -> SparseColumns:
        """For each column, the rows that hold it and their values (this matrix in CSC
        layout, i.e. its transpose by rows)."""
        rows = self.row_of()
        order = np.lexsort((rows, self.indices))
        counts = np.bincount(self.indices, minlength=self.shape[1])
        return SparseColumns(
            self.data[order],
            rows[order],
            np.concatenate([[0], np.cumsum(counts)]),
            (self.shape[1], self.shape[0]),
        )

    def tocsr(self) -> SparseRows:
        return self

    def toarray(self) -> np.ndarray:
        out = np.zeros(self.shape)
        out[self.row_of(), self.indices] = self.data
        return out

    @property
    def has_canonical_format(self) -> bool:
        """Columns strictly ascending within each row (sorted, no duplicates)."""
        step = np.diff(self.indices.astype(np.int64))
        row_start = np.zeros(len(self.indices), dtype=bool)
        row_start[self.indptr[1:-1][np.diff(self.indptr)[1:] > 0]] = True
        return bool((step > 0)[~row_start[1:]].all()) if len(step) else True

    def to_scipy(self):
        """The same matrix as ``scipy.sparse.csr_matrix`` (for fitting with scikit-learn)."""
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)


@dataclass(frozen=True)
class SparseColumns:
    """An (m, V) matrix by column (:meth:`SparseRows.columns`): column j's rows are
    ``indices[indptr[j]:indptr[j + 1]]``, with those values of ``data``; ``shape`` is its
    transpose's, (V, m)."""

    data: np.ndarray
    indices: np.ndarray  # (nnz,): the row of each value
    indptr: np.ndarray  # (V + 1,)
    shape: tuple[int, int]


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

    def transform(self, docs: Sequence[list[str]]) -> SparseRows:
        """Sublinear-tf × idf vectors, L2-normalised (features not in the vocabulary drop)."""
        return self.transform_flat(*flatten(docs), len(docs))[0]

    def transform_flat(
        self, features: list[str], rows: np.ndarray, n: int, sources: np.ndarray | None = None
    ) -> tuple[SparseRows, np.ndarray]:
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
        X = SparseRows(data, nnz_cols.astype(np.int32), indptr.astype(np.int32), (n, n_features))
        origin = sources[known] if sources is not None else np.flatnonzero(known)
        where = origin[order][last]
        return X, where

    def lr_log_proba(self, X) -> np.ndarray:
        """Log-softmax of the logistic regression (``X``: SparseRows or a scipy matrix)."""
        assert self.lr_coef is not None, "no logistic regression was fitted (clause-only model)"
        return self.lr_log_softmax(np.asarray(X @ self.lr_coef.T))

    def lr_log_softmax(self, products: np.ndarray) -> np.ndarray:
        """:meth:`lr_log_proba` from the products ``X @ lr_coef.T`` already made."""
        z = products + self.lr_intercept
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
