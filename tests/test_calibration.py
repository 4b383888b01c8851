"""calibration: per-label probabilities from the softmax, on hand-made arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier.calibration import N_FEATURES, apply, coherent, features, fit_layer

PROBA = np.array(
    [
        [0.5, 0.2, 0.2, 0.1, 0.0],  # a tie at ranks 2–3; a zero
        [0.05, 0.1, 0.15, 0.3, 0.4],
    ]
)


LENGTHS = np.array([40.0, 1500.0])  # a short request and a review sheet, in characters


def test_features_shapes_and_columns():
    f = features(PROBA, LENGTHS)
    assert N_FEATURES == 8
    assert f.shape == (2, 5, 8)
    # The request's length, log(1 + characters), the same for each of its labels.
    np.testing.assert_allclose(f[0, :, 7], [math.log(41.0)] * 5)
    np.testing.assert_allclose(f[1, :, 7], [math.log(1501.0)] * 5)
    # Without lengths: the seven features of a layer saved before the length feature.
    np.testing.assert_array_equal(features(PROBA), f[..., :7])
    logp = np.log(np.clip(PROBA, 1e-6, 1.0))  # a zero is floored at 1e-6
    np.testing.assert_allclose(f[..., 0], logp)
    # The gap to the top label: log p − log p₁.
    np.testing.assert_allclose(f[0, :, 1], logp[0] - math.log(0.5))
    np.testing.assert_allclose(f[1, :, 1], logp[1] - math.log(0.4))
    assert f[0, 0, 1] == 0.0 and f[1, 4, 1] == 0.0
    # log p on rank 1 only.
    np.testing.assert_allclose(f[0, :, 6], [math.log(0.5), 0, 0, 0, 0])
    np.testing.assert_allclose(f[1, :, 6], [0, 0, 0, 0, math.log(0.4)])


def test_features_rank_one_hot():
    f = features(PROBA, LENGTHS)
    onehot = f[..., 2:6]
    assert (onehot.sum(axis=-1) == 1).all()
    # Row 0: ranks 1, 2, 3 (the tie goes to the earlier label), 4, 5 → the last two "4 or lower".
    assert onehot[0].tolist() == [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
        [0, 0, 0, 1],
    ]
    # Row 1: ascending probabilities, so the last label ranks first.
    assert onehot[1].tolist() == [
        [0, 0, 0, 1],
        [0, 0, 0, 1],
        [0, 0, 1, 0],
        [0, 1, 0, 0],
        [1, 0, 0, 0],
    ]


def hand_layer(cap: float = 1e6) -> np.ndarray:
    """N_FEATURES weights and the bias (all zero), then the longest length fitted on."""
    return np.r_[np.zeros(N_FEATURES + 1), cap]


def test_apply_with_a_hand_made_layer():
    # Weight 1 on log p, nothing else: σ(log p) = p / (1 + p).
    layer = hand_layer()
    layer[0] = 1.0
    np.testing.assert_allclose(apply(layer, PROBA[1:], LENGTHS[1:]), [PROBA[1] / (1 + PROBA[1])])
    # Rank-one weight 3, bias −1: the top label σ(2), every other σ(−1).
    layer = hand_layer()
    layer[2], layer[N_FEATURES] = 3.0, -1.0
    s2, s_1 = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(1))
    expected = [[s2, s_1, s_1, s_1, s_1], [s_1] * 4 + [s2]]
    np.testing.assert_allclose(apply(layer, PROBA, LENGTHS), expected)
    # A zero layer: one half everywhere; the shape follows the input.
    assert apply(hand_layer(), PROBA, LENGTHS).tolist() == [[0.5] * 5] * 2
    # Weight 1 on the length, bias −log 41: the short request gets σ(0), the long σ(log(1501/41)).
    layer = hand_layer()
    layer[7], layer[N_FEATURES] = 1.0, -math.log(41.0)
    long = 1 / (1 + 41.0 / 1501.0)
    np.testing.assert_allclose(apply(layer, PROBA, LENGTHS), [[0.5] * 5, [long] * 5])


def test_a_request_longer_than_any_fitted_on_counts_as_the_longest():
    """The length feature is not extrapolated: past the cap, more text changes nothing."""
    layer = hand_layer(cap=1500.0)
    layer[7], layer[N_FEATURES] = 1.0, -math.log(41.0)
    at_cap = apply(layer, PROBA, LENGTHS)
    for longer in (1501.0, 43_000.0, 1e9):
        np.testing.assert_array_equal(apply(layer, PROBA, np.array([40.0, longer])), at_cap)
    shorter = apply(layer, PROBA, np.array([40.0, 1000.0]))
    assert (shorter[1] < at_cap[1]).all()


def test_a_layer_saved_before_the_length_feature_ignores_lengths():
    old = np.zeros(N_FEATURES)  # seven weights and a bias
    old[2], old[-1] = 3.0, -1.0
    s2, s_1 = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(1))
    for lengths in (LENGTHS, LENGTHS * 100):
        got = apply(old, PROBA, lengths)
        np.testing.assert_allclose(got, [[s2, s_1, s_1, s_1, s_1], [s_1] * 4 + [s2]])


def test_fit_layer_needs_both_classes():
    with pytest.raises(ValueError, match="with and without"):
        fit_layer(PROBA, np.ones_like(PROBA, dtype=bool), LENGTHS)
    with pytest.raises(ValueError, match="with and without"):
        fit_layer(PROBA, np.zeros_like(PROBA, dtype=bool), LENGTHS)


def test_fit_layer_learns_that_the_top_label_is_the_gold_one():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(200, 4)) * 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    gold = np.zeros_like(proba, dtype=bool)
    gold[np.arange(200), proba.argmax(axis=1)] = True
    lengths = rng.integers(20, 3000, size=200).astype(float)
    layer = fit_layer(proba, gold, lengths)
    assert layer.shape == (N_FEATURES + 2,) and np.isfinite(layer).all()
    assert layer[-1] == lengths.max()  # the longest request it was fitted on
    calibrated = apply(layer, proba, lengths)
    top = proba.argmax(axis=1)
    assert (calibrated[np.arange(200), top] > 0.5).all()
    others = np.ones_like(gold)
    others[np.arange(200), top] = False
    assert (calibrated[others] < 0.5).all()


ROLLUP = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]])  # parent 2 has no children


def test_coherent_raises_a_parent_to_its_best_child():
    child = np.array([[0.7, 0.2, 0.1, 0.05], [0.1, 0.3, 0.6, 0.4]])
    parent = np.array([[0.5, 0.3, 0.2], [0.9, 0.1, 0.05]])
    got = coherent(child, parent, ROLLUP)
    # Row 0: parent 0 0.5 → 0.7 (child 0); parent 1 0.3 stays (children 0.1, 0.05).
    # Row 1: parent 0 0.9 stays; parent 1 0.1 → 0.6. A parent without children stays.
    np.testing.assert_allclose(got, [[0.7, 0.3, 0.2], [0.9, 0.6, 0.05]])
    assert (got >= parent).all()
    for j in range(2):
        under = ROLLUP[:, j] > 0
        assert (got[:, j] >= child[:, under].max(axis=1)).all()


def test_coherent_leaves_a_coherent_parent_alone():
    child = np.array([[0.1, 0.2, 0.3, 0.1]])
    parent = np.array([[0.4, 0.35, 0.0]])
    got = coherent(child, parent, ROLLUP)
    np.testing.assert_array_equal(got, parent)
    assert got is not parent  # a new array: the input is not changed
    np.testing.assert_array_equal(parent, [[0.4, 0.35, 0.0]])


def test_fit_layer_learns_that_long_requests_have_more_items():
    """Where long requests' second labels are right and short ones' are not, the layer
    gives the second label more on a long request."""
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(400, 5)) * 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    lengths = np.where(np.arange(400) % 2 == 0, 60.0, 2000.0)
    order = np.argsort(-proba, axis=1)
    gold = np.zeros_like(proba, dtype=bool)
    gold[np.arange(400), order[:, 0]] = True
    gold[np.arange(400)[lengths > 100], order[lengths > 100, 1]] = True
    calibrated = apply(fit_layer(proba, gold, lengths), proba, lengths)
    second = calibrated[np.arange(400), order[:, 1]]
    assert second[lengths > 100].min() > 0.5 > second[lengths < 100].max()
