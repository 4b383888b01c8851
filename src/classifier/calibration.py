"""Per-label probabilities: is label *c* one of the request's items? Independently per label.

The blend's softmax ranks the labels well but shares one unit of probability among them,
so a request's second item always looks unlikely. This layer turns each label's place in
the ranking into its own calibrated probability: one logistic regression, shared by every
label, on

* log p (the label's softmax probability) and log p − log p₁ (its gap to the top label),
* its rank (1, 2, 3, 4 or lower, one-hot) and log p on rank 1,
* log(1 + the request's length in characters): a long review sheet supports more items
  than a two-line request, so its second and third labels are right more often (dev split,
  cross-validated: on the 30 real programmes slot 2 was given 0.38 against a hit rate of
  0.43, and slot 3 0.15 against 0.33),

fitted on the out-of-fold softmax of the training requests against "this label is one of
the request's gold labels". One layer per reporting level (sub-item, item, area), each on
the rolled-up softmax and rolled-up gold labels; a parent then gets at least the
probability of its likeliest child, so the roll-up stays coherent.

The probabilities need not sum to one: a request supports every label whose probability
is high, and the predicted set is those above a threshold.
"""

from __future__ import annotations

import numpy as np

N_FEATURES = 8
_FLOOR = 1e-6


def features(proba: np.ndarray, n_chars: np.ndarray | None = None) -> np.ndarray:
    """(n, n_classes, N_FEATURES): the layer's features of every label of every row
    (without ``n_chars``, the N_FEATURES - 1 of a layer saved before the length feature)."""
    logp = np.log(np.clip(proba, _FLOOR, 1.0))
    top = logp.max(axis=1, keepdims=True)
    rank = np.argsort(np.argsort(-proba, axis=1, kind="stable"), axis=1, kind="stable")
    onehot = np.stack([rank == 0, rank == 1, rank == 2, rank >= 3], axis=-1).astype(float)
    parts = [logp[..., None], (logp - top)[..., None], onehot, (logp * (rank == 0))[..., None]]
    if n_chars is not None:
        length = np.log1p(np.asarray(n_chars, dtype=float))
        parts.append(np.broadcast_to(length[:, None, None], (*proba.shape, 1)))
    return np.concatenate(parts, axis=-1)


def apply(layer: np.ndarray, proba: np.ndarray, n_chars: np.ndarray) -> np.ndarray:
    """Calibrated per-label probabilities (n, n_classes) from softmax probabilities and the
    requests' lengths (:func:`classifier.textutil.text_length`).

    ``layer`` is N_FEATURES weights, the bias and the longest length it was fitted on: a
    longer request counts as that long, so the length feature is never extrapolated (a
    file of requests pasted together would otherwise get ever larger label sets). A layer
    saved before the length feature (N_FEATURES - 1 weights and the bias) ignores lengths.
    """
    if len(layer) == N_FEATURES:
        return _sigmoid(features(proba) @ layer[:-1] + layer[-1])
    capped = np.minimum(np.asarray(n_chars, dtype=float), layer[N_FEATURES + 1])
    return _sigmoid(features(proba, capped) @ layer[:N_FEATURES] + layer[N_FEATURES])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def fit_layer(proba: np.ndarray, gold: np.ndarray, n_chars: np.ndarray) -> np.ndarray:
    """The layer (weights, bias, longest length; see :func:`apply`), from out-of-fold
    probabilities, gold label sets and the requests' lengths."""
    from sklearn.linear_model import LogisticRegression

    X = features(proba, n_chars).reshape(-1, N_FEATURES)
    y = gold.reshape(-1).astype(bool)
    if y.all() or not y.any():
        raise ValueError("calibration needs rows with and without gold labels")
    lr = LogisticRegression(C=10.0, max_iter=5000).fit(X, y)
    return np.r_[lr.coef_[0], lr.intercept_[0], float(np.max(n_chars))]


def coherent(child: np.ndarray, parent: np.ndarray, rollup: np.ndarray) -> np.ndarray:
    """``parent`` raised where needed so that no parent is less probable than a child.

    ``rollup`` is the (n_children, n_parents) 0/1 matrix saying which child is under
    which parent; ``child`` (n, n_children) and ``parent`` (n, n_parents) probabilities.
    """
    best = np.zeros_like(parent)
    for j in range(rollup.shape[1]):
        under = rollup[:, j] > 0
        if under.any():
            best[:, j] = child[:, under].max(axis=1)
    return np.maximum(parent, best)


def monotone(own: np.ndarray, ranked_by: np.ndarray) -> np.ndarray:
    """``own`` raised where needed so that, down each row's ranking by ``ranked_by``, no
    label is more probable than one above it.

    Only raising (never lowering) keeps :func:`coherent` true: a parent stays at least as
    probable as its children. The calibration is nearly monotone already (a few rows in a
    hundred need it), and this makes the order and the numbers agree.
    """
    order = np.argsort(-ranked_by, axis=1, kind="stable")
    ranked = np.take_along_axis(own, order, axis=1)
    raised = np.maximum.accumulate(ranked[:, ::-1], axis=1)[:, ::-1]
    out = np.empty_like(own)
    np.put_along_axis(out, order, raised, axis=1)
    return out
