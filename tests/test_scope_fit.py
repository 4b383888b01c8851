"""scope_fit: fitting the scope model on a tiny synthetic set, checked by what the fitted
model must then do."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from classifier.scope import anchor_contexts, best_anchored, distinct_terms
from classifier.scope_fit import fit_scope

IN_TEXTS = [
    "政府機関へのサイバー攻撃の監視を強化する",
    "情報セキュリティ対策の研修を行う",
    "ソフトウェアの脆弱性を調査し修正する",
    "標的型攻撃メールへの対処訓練を実施する",
    "不正アクセスを検知する仕組みを整える",
]
OUT_TEXTS = [
    "核セキュリティの物理的防護を強化する",
    "脆弱な地盤の改良工事を行う",
    "道路橋の修繕を計画的に進める",
    "農業用水路の更新を支援する",
    "インフルエンザウイルスのワクチンを備蓄する",
]


def _synthetic(n_each: int = 4):
    texts, y = [], []
    for k in range(n_each):
        texts += [f"{t}（第{k + 1}期）" for t in IN_TEXTS]
        y += [True] * len(IN_TEXTS)
        texts += [f"{t}（第{k + 1}期）" for t in OUT_TEXTS]
        y += [False] * len(OUT_TEXTS)
    # A word space by hand: column 0 "cyber words", column 1 "other words", 2 the period.
    rows = [[1.0, 0.0, 0.5] if label else [0.0, 1.0, 0.5] for label in y]
    X = sparse.csr_matrix(np.array(rows))
    return texts, np.array(y), X


def test_fit_scope_on_a_tiny_synthetic_set():
    texts, y, X = _synthetic()
    sentences = [[t] for t in texts]
    n_chars = np.array([len(t) for t in texts])
    extra = ["サイバーセキュリティ対策を推進すること。"]
    X_extra = sparse.csr_matrix(np.array([[1.0, 0.0, 0.0]]))
    # Policy similarity by hand: cyber texts close to the policy, the others far from it.
    near = np.where(y, 0.6, 0.1)
    final, oof, evidence = fit_scope(
        X, sentences, n_chars, y, extra, X_extra, folds=4, similarity=near
    )
    assert oof.shape == (len(texts),)
    assert ((oof >= 0) & (oof <= 1)).all()
    # Anchored layer: logit, length, product, distinct terms, similarity, bias; plain: 4.
    assert final.anchored.shape == (6,) and final.plain.shape == (4,)
    assert np.isfinite(final.anchored).all() and np.isfinite(final.plain).all()
    assert final.anchored[4] > 0  # closer to the policy: more likely in scope
    assert set(evidence) == {"anchored", "whole", "n_chars", "terms", "similarity", "y"}
    np.testing.assert_array_equal(evidence["similarity"], near)
    assert all(len(v) == len(texts) for v in evidence.values())
    # Texts naming no security term have no anchored score.
    no_term = [i for i, t in enumerate(texts) if not anchor_contexts(t)]
    assert no_term and np.isnan(evidence["anchored"][no_term]).all()
    assert not np.isnan(np.delete(evidence["anchored"], no_term)).any()
    # Out of fold, every IN text scores above every OUT text.
    assert oof[y].min() > oof[~y].max(), (oof[y], oof[~y])
    # The fitted model reads texts the same way: the anchored layer for texts naming a
    # term (核セキュリティ is not cyber), the plain one for the others.
    new = ["政府機関へのサイバー攻撃の監視", "核セキュリティの物理的防護", "道路橋の修繕"]
    best, _ = best_anchored(new, np.array([0, 1, 2]), 3, final)
    assert best[0] > best[1] and np.isnan(best[2])
    words = sparse.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]))
    terms = distinct_terms(new, np.array([0, 1, 2]), 3)
    assert terms.tolist() == [2, 1, 0]  # サイバー and 攻撃; セキュリティ; none
    lengths = np.array([len(t) for t in new])
    p = final.combine(best, final.whole_proba(words), lengths, terms, np.array([0.6, 0.1, 0.1]))
    assert p[0] > 0.5 > max(p[1], p[2]), p
