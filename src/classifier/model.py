"""The classification model: clause representations, TF-IDF, scorers, blend, calibration.

Three scorers look at a request's TF-IDF vector from different sides:

``proto``  cosine to each target clause's description: its own text, its heading and the
           headings above it, and the summary-slide bullets that summarise it. Works with no
           labelled data at all (the clause-only model).
``centroid`` cosine to the class centroid: the clause description plus each of its
           sentences and each labelled request of the class (Rocchio), so many short
           precedents count together. Clause-only, it is built from the clause sentences.
``lr``     multinomial logistic regression over labelled requests plus clause sentences.

Their per-class scores are blended by a conditional-logit layer with one weight per scorer
(shared by all classes, so only a handful of parameters are learnt), fitted on
out-of-fold predictions of the training split. Its softmax output is the calibrated
probability that a label is among the request's gold labels.

Out-of-scope detection is a separate binary logistic regression (in scope vs not) over
the same features, trained on the labelled out-of-scope requests against the in-scope ones
and the clause sentences; its threshold is chosen on out-of-fold predictions.

Learned state ends in ``_``; ``fit`` returns ``self``; ``classes_`` orders the columns of
:meth:`PolicyClassifier.predict_proba`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from .policy import Policy
from .tokens import JapaneseTokenizer, TokenizerSettings

OUT_OF_SCOPE = "NONE"
SCORERS = ("proto", "centroid", "lr")
_SENTENCES = re.compile(r"(?<=[。\n])")


@dataclass(frozen=True)
class LabelledRequest:
    """A budget request with the policy labels an analyst gave it (primary first).

    ``labels == ()`` means out of scope (``NONE`` in files).
    """

    id: str
    text: str
    labels: tuple[str, ...]
    ministry: str = ""
    amount: float | None = None
    split: str = "dev"

    @property
    def in_scope(self) -> bool:
        return bool(self.labels)


def _identity(doc: list[str]) -> list[str]:
    return doc


def clause_descriptions(policy: Policy) -> dict[str, list[str]]:
    """Per target label: the texts that describe it (heading, path, own text, slide bullets)."""
    out: dict[str, list[str]] = {}
    for c in policy.targets:
        parts = [h for h in c.path[1:]]  # the section heading is the same for every target
        if c.heading:
            parts.append(c.heading)
        parts.append(c.text)
        out[c.label] = parts
    for s in policy.summary:
        if s.kind != "bullet":
            continue
        for label in s.labels:
            if label in out:
                out[label].append(s.text)
    return out


def clause_sentences(policy: Policy) -> list[tuple[str, str]]:
    """``(label, sentence)`` for every sentence of every target's description."""
    pairs = []
    for label, parts in clause_descriptions(policy).items():
        for part in parts:
            for sentence in _SENTENCES.split(part):
                if len(sentence.strip()) >= 6:
                    pairs.append((label, sentence.strip()))
    return pairs


@dataclass
class _Fitted:
    """The fitted scorers of one training set (used for CV folds and the final model)."""

    vectorizer: TfidfVectorizer
    proto: np.ndarray  # (n_classes, V) dense, rows L2-normalised
    centroid: np.ndarray  # (n_classes, V) dense, rows L2-normalised
    lr: LogisticRegression | None
    lr_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


class PolicyClassifier:
    """Classify request texts into the target clauses of one policy version."""

    def __init__(
        self,
        tokenizer_settings: TokenizerSettings | None = None,
        use_examples: bool = True,
        C: float = 8.0,
        clause_sentence_weight: float = 0.5,
        secondary_label_weight: float = 0.5,
        cv_folds: int = 5,
        random_state: int = 0,
        clause_only_temperature: float = 28.0,
        max_in_scope_flagged: float = 0.07,
    ) -> None:
        self.tokenizer_settings = tokenizer_settings
        self.use_examples = use_examples
        self.C = C
        self.clause_sentence_weight = clause_sentence_weight
        self.secondary_label_weight = secondary_label_weight
        self.cv_folds = cv_folds
        self.random_state = random_state
        self.clause_only_temperature = clause_only_temperature
        self.max_in_scope_flagged = max_in_scope_flagged

    # ------------------------------------------------------------------ fitting

    def fit(self, policy: Policy, examples: Sequence[LabelledRequest] = ()) -> PolicyClassifier:
        """Learn from the policy's clauses and (optionally) labelled requests."""
        self.tokenizer_ = JapaneseTokenizer(self.tokenizer_settings)
        self.policy_ = policy
        self.policy_id_ = policy.policy_id
        self.classes_ = np.array([c.label for c in policy.targets])
        known = set(self.classes_)
        examples = (
            [e for e in examples if all(lab in known for lab in e.labels)]
            if self.use_examples
            else []
        )
        self.n_examples_ = len(examples)
        descriptions = clause_descriptions(policy)
        self.class_docs_ = [
            [f for part in descriptions[label] for f in self.tokenizer_.features(part)]
            for label in self.classes_
        ]
        sentences = clause_sentences(policy)
        self.sentence_labels_ = [lab for lab, _ in sentences]
        self.sentence_docs_ = [self.tokenizer_.features(s) for _, s in sentences]
        example_docs = [self.tokenizer_.features(e.text) for e in examples]
        in_scope = [i for i, e in enumerate(examples) if e.in_scope]
        self.has_examples_ = len(in_scope) >= 2 * len(self.classes_) // 3

        if self.has_examples_:
            oof = self._out_of_fold(examples, example_docs)
            self.blend_ = _fit_blend(oof["scores"], oof["gold"])
            self.oos_threshold_ = self._choose_oos_threshold(oof["p_in"], oof["is_in"])
        else:
            # Clause-only: the centroid alone ranked best on labelled dev requests; its
            # temperature was set there too, so probabilities are not wildly off.
            self.blend_ = np.array([0.0, self.clause_only_temperature, 0.0])
            self.oos_threshold_ = 0.0
        self.fitted_ = self._fit_scorers(examples, example_docs)
        self.oos_ = self._fit_oos(examples, example_docs, self.fitted_)
        self.min_similarity_ = 0.02
        return self

    def _fit_scorers(self, examples: Sequence[LabelledRequest], docs: list[list[str]]) -> _Fitted:
        n_classes = len(self.classes_)
        index = {lab: i for i, lab in enumerate(self.classes_)}
        vectorizer = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, norm="l2", lowercase=False, dtype=np.float64
        )
        vectorizer.fit(self.class_docs_ + self.sentence_docs_ + docs)
        proto = vectorizer.transform(self.class_docs_).toarray()
        # Centroid: the clause description plus every clause sentence and labelled request
        # of the class, each a unit vector, summed and re-normalised (Rocchio).
        member_docs: list[list[str]] = []
        members: list[np.ndarray] = []
        lr_docs: list[list[str]] = []
        lr_y: list[int] = []
        lr_w: list[float] = []
        for lab, doc in zip(self.sentence_labels_, self.sentence_docs_, strict=True):
            member_docs.append(doc)
            members.append(np.eye(n_classes)[index[lab]] * self.clause_sentence_weight)
            lr_docs.append(doc)
            lr_y.append(index[lab])
            lr_w.append(self.clause_sentence_weight)
        for e, doc in zip(examples, docs, strict=True):
            if not e.in_scope:
                continue
            weights = np.zeros(n_classes)
            for k, lab in enumerate(e.labels):
                w = 1.0 if k == 0 else self.secondary_label_weight
                weights[index[lab]] = w
                lr_docs.append(doc)
                lr_y.append(index[lab])
                lr_w.append(w)
            member_docs.append(doc)
            members.append(weights)
        centroid = proto.copy()
        if member_docs:
            centroid += np.array(members).T @ vectorizer.transform(member_docs).toarray()
        centroid /= np.linalg.norm(centroid, axis=1, keepdims=True) + 1e-12
        lr = None
        lr_columns = np.zeros(0, dtype=int)
        if self.has_examples_:
            lr = LogisticRegression(C=self.C, max_iter=2000)
            lr.fit(vectorizer.transform(lr_docs), np.array(lr_y), sample_weight=np.array(lr_w))
            lr_columns = lr.classes_.astype(int)
        return _Fitted(vectorizer, proto, centroid, lr, lr_columns)

    def _out_of_fold(self, examples: Sequence[LabelledRequest], docs: list[list[str]]) -> dict:
        n = len(examples)
        strata = [e.labels[0] if e.in_scope else OUT_OF_SCOPE for e in examples]
        counts: dict[str, int] = {}
        for s in strata:
            counts[s] = counts.get(s, 0) + 1
        # Strata too small for k folds are pooled so StratifiedKFold can still split.
        strata = [s if counts[s] >= self.cv_folds else "_rare" for s in strata]
        folds = StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state)
        scores = np.zeros((n, len(SCORERS), len(self.classes_)))
        p_in = np.zeros(n)
        for train_idx, test_idx in folds.split(np.zeros(n), strata):
            train_ex = [examples[i] for i in train_idx]
            train_docs = [docs[i] for i in train_idx]
            fitted = self._fit_scorers(train_ex, train_docs)
            X = fitted.vectorizer.transform([docs[i] for i in test_idx])
            scores[test_idx] = self._scores(fitted, X)
            oos = self._fit_oos(train_ex, train_docs, fitted)
            p_in[test_idx] = _oos_p_in(oos, X)
        index = {lab: i for i, lab in enumerate(self.classes_)}
        gold = np.zeros((n, len(self.classes_)), dtype=bool)
        for i, e in enumerate(examples):
            for lab in e.labels:
                gold[i, index[lab]] = True
        is_in = np.array([e.in_scope for e in examples])
        self.oof_ = {
            "scores": scores,
            "gold": gold,
            "p_in": p_in,
            "is_in": is_in,
            "ids": [e.id for e in examples],
        }
        return self.oof_

    def _fit_oos(self, examples: Sequence[LabelledRequest], docs: list[list[str]], fitted: _Fitted):
        if not any(not e.in_scope for e in examples):
            return None
        X_sent = fitted.vectorizer.transform(self.sentence_docs_)
        X_ex = fitted.vectorizer.transform(docs)
        X = sparse.vstack([X_sent, X_ex]).tocsr()
        y = np.concatenate(
            [np.ones(X_sent.shape[0]), [1.0 if e.in_scope else 0.0 for e in examples]]
        )
        w = np.concatenate(
            [np.full(X_sent.shape[0], self.clause_sentence_weight), np.ones(len(examples))]
        )
        clf = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")
        clf.fit(X, y, sample_weight=w)
        return clf

    def _choose_oos_threshold(self, p_in: np.ndarray, is_in: np.ndarray) -> float:
        """The threshold that flags ``max_in_scope_flagged`` of in-scope requests (out of fold)."""
        if is_in.all() or not is_in.any():
            return 0.0
        inside = np.sort(p_in[is_in])
        k = int(np.floor(self.max_in_scope_flagged * len(inside)))
        return float(inside[k]) if k < len(inside) else 0.0

    # ------------------------------------------------------------------ scoring

    def _scores(self, fitted: _Fitted, X: sparse.csr_matrix) -> np.ndarray:
        """(n, n_scorers, n_classes) raw scores."""
        n, n_classes = X.shape[0], len(self.classes_)
        out = np.zeros((n, len(SCORERS), n_classes))
        out[:, 0] = np.asarray(X @ fitted.proto.T)
        out[:, 1] = np.asarray(X @ fitted.centroid.T)
        if fitted.lr is not None:
            logp = np.full((n, n_classes), -20.0)
            logp[:, fitted.lr_columns] = np.log(np.clip(fitted.lr.predict_proba(X), 1e-9, 1.0))
            out[:, 2] = logp
        return out

    def transform(self, docs: Sequence[list[str]]) -> sparse.csr_matrix:
        """TF-IDF vectors of already-tokenised documents."""
        return self.fitted_.vectorizer.transform(docs)

    def score_docs(
        self, docs: Sequence[list[str]]
    ) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
        """Probabilities (n, n_classes), in-scope probability (n,), and TF-IDF vectors."""
        X = self.transform(docs)
        raw = self._scores(self.fitted_, X)
        proba = _softmax(np.einsum("nsc,s->nc", raw, self.blend_))
        if self.oos_ is not None:
            p_in = _oos_p_in(self.oos_, X)
        else:
            # Clause-only: a request sharing (almost) no vocabulary with any clause is out.
            p_in = np.where(raw[:, 0].max(axis=1) > self.min_similarity_, 1.0, 0.0)
        return proba, p_in, X

    def predict_proba(self, texts: Sequence[object]) -> np.ndarray:
        """Calibrated probability per class (columns follow ``classes_``)."""
        return self.score_docs([self.tokenizer_.features(t) for t in texts])[0]

    def predict(self, texts: Sequence[object]) -> np.ndarray:
        """Most likely label per text."""
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def contributions(self, x: sparse.csr_matrix, class_index: int) -> dict[str, float]:
        """How much each feature of one TF-IDF row pushed it towards ``class_index``."""
        fitted = self.fitted_
        names = fitted.vectorizer.get_feature_names_out()
        row = x.tocsr()
        weights = self.blend_[0] * fitted.proto[class_index]
        if fitted.lr is not None:
            pos = np.searchsorted(fitted.lr_columns, class_index)
            if pos < len(fitted.lr_columns) and fitted.lr_columns[pos] == class_index:
                coef = fitted.lr.coef_[pos] - fitted.lr.coef_.mean(axis=0)
                weights = weights + self.blend_[2] * coef
        out = {}
        for j, v in zip(row.indices, row.data, strict=True):
            contribution = v * weights[j]
            if contribution > 0:
                out[names[j]] = float(contribution)
        return out


def _oos_p_in(clf: LogisticRegression | None, X: sparse.csr_matrix) -> np.ndarray:
    if clf is None:
        return np.ones(X.shape[0])
    col = list(clf.classes_).index(1.0)
    return clf.predict_proba(X)[:, col]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_blend(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Scorer weights maximising the likelihood that probability mass lands on gold labels."""
    keep = gold.any(axis=1)
    S, G = scores[keep], gold[keep]

    def nll(w: np.ndarray) -> float:
        p = _softmax(np.einsum("nsc,s->nc", S, w))
        return float(
            -np.log(np.clip((p * G).sum(axis=1), 1e-12, None)).mean() + 1e-5 * (w**2).sum()
        )

    result = minimize(
        nll, x0=np.array([5.0, 5.0, 0.5]), method="L-BFGS-B", bounds=[(0.0, 200.0)] * len(SCORERS)
    )
    return result.x
