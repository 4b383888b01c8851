"""model: PolicyClassifier on a tiny clause-only fit, and invariants of the committed model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier.labels import LabelledRequest
from classifier.model import PolicyClassifier, softmax

from .helpers import TINY_TARGETS

TEXTS = [
    "政府機関の情報システムの監視",
    "市町村の情報セキュリティ対策の訓練",
    "大学の専門人材の教育",
]


def test_softmax_by_hand():
    np.testing.assert_allclose(softmax(np.array([[0.0, math.log(3)]])), [[0.25, 0.75]])
    np.testing.assert_allclose(softmax(np.array([[1000.0, 1000.0]])), [[0.5, 0.5]])  # no overflow


def test_clause_only_fit(small_model):
    assert list(small_model.classes_) == TINY_TARGETS  # the policy's targets, in order
    assert small_model.policy_id_ == "t1"
    assert not small_model.has_examples_ and small_model.n_examples_ == 0
    # Clause-only: the centroid scorer alone, at the temperature set on dev.
    assert small_model.blend_weights == {"proto": 0.0, "centroid": 28.0, "lr": 0.0}
    # No labelled texts: no scope model and no per-label calibration to learn.
    assert small_model.scope_ is None and small_model.label_layers_ == {}
    assert small_model.fitted_.lr_coef is None
    oof = small_model.out_of_fold()
    assert oof.ids == [] and oof.proba.shape == (0, 4)
    assert oof.scope_ids == [] and oof.p_in.shape == (0,)


def test_predict_proba_and_predict(small_model):
    proba = small_model.predict_proba(TEXTS)
    assert proba.shape == (3, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    assert list(small_model.predict(TEXTS)) == ["(1)①", "(1)②", "(2)①ⅰ"]


def test_clause_only_out_of_scope_is_no_shared_vocabulary(small_model):
    """Without labelled out-of-scope requests, only text sharing no word with the policy is out."""
    batch = small_model.tokenizer_.analyze_batch(["政府機関の監視", "河川の堤防", ""])
    assert small_model.score(batch).p_in.tolist() == [1.0, 0.0, 0.0]
    # Feature lists carry no sentences to judge scope by: no in-scope probability.
    assert np.isnan(small_model.score_docs([["w:監視"]]).p_in).all()


def test_contributions_name_the_words_that_pushed(small_model):
    X = small_model.transform([["w:監視", "w:政府", "w:堤防"]])
    pushes = small_model.contributions(X[0], 0)  # towards (1)① 政府機関の監視
    assert set(pushes) == {"w:監視", "w:政府"}  # 堤防 is not in the vocabulary
    assert all(v > 0 for v in pushes.values())
    assert small_model.evidence_weights().shape == (4, len(small_model.fitted_.idf))


def test_examples_outside_the_targets_are_left_out(small_policy):
    examples = [
        LabelledRequest("a", "政府機関の監視を強化する", ("(1)①",)),
        LabelledRequest("b", "見出しに付けた", ("(2)①",)),  # a heading, not a target
        LabelledRequest("c", "旧版の項目", ("(9)①",)),
    ]
    model = PolicyClassifier(random_state=1)
    assert model.fit(small_policy, examples) is model  # fit returns self
    assert model.n_examples_ == 1
    # One in-scope request is too few to fit the blend: it stays clause-only.
    assert not model.has_examples_
    assert list(model.predict(["政府機関の監視"])) == ["(1)①"]


def test_the_committed_model_tells_security_from_security(committed):
    """A security term counts by its context: cyber measures are in scope, nuclear security,
    crypto-asset promotion and a road repair are not."""
    model, _ = committed
    texts = [
        "市町村の情報システムのサイバー攻撃への対処能力を強化する。",
        "府省庁のネットワークの脆弱性診断と情報セキュリティ監査を行う。",
        "核物質の防護と核セキュリティに関する国際的な人材育成を行う。",
        "道路橋の長寿命化修繕を行う。",
    ]
    p_in = model.score(model.tokenizer_.analyze_batch(texts)).p_in
    threshold = model.in_scope_threshold
    assert p_in[0] >= threshold and p_in[1] >= threshold
    assert p_in[2] < threshold and p_in[3] < threshold


def test_the_committed_model_matches_its_card(committed):
    model, card = committed
    assert list(model.classes_) == card["classes"]
    weights = card["parameters"]["blend_weights"]
    assert model.blend_weights == pytest.approx(weights, abs=5e-5)  # the card rounds to 4
    assert model.in_scope_threshold == card["parameters"]["in_scope_threshold"]
    assert model.has_examples_ and model.fitted_.lr_coef is not None


def test_parameters_follow_the_estimator_rules():
    """get_params / set_params / clone, as scikit-learn's estimators have them: the
    parameters are exactly __init__'s, and clone gives an unfitted copy."""
    import inspect

    from sklearn.base import clone

    from classifier.tokens import TokenizerSettings

    model = PolicyClassifier(C=4.0, scope_C=16.0)
    names = set(inspect.signature(PolicyClassifier.__init__).parameters) - {"self"}
    assert set(model.get_params()) == names
    assert model.get_params()["C"] == 4.0 and model.get_params()["scope_C"] == 16.0
    assert model.set_params(C=2.0) is model and model.C == 2.0
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert not hasattr(copy, "classes_")
    assert repr(model) == "PolicyClassifier(C=2.0, scope_C=16.0)"  # what differs from defaults
    with pytest.raises(ValueError, match="has no parameter c; its parameters are C, "):
        model.set_params(c=1.0)
    settings = TokenizerSettings(thesaurus=(("市町村", "地方公共団体"),))
    assert "市町村" not in repr(PolicyClassifier(settings))  # 200 pairs would fill a cell
