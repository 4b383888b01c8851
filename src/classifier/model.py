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

Whether a text is a cybersecurity programme at all is the scope model's question
(:mod:`classifier.scope`): a calibrated probability from its sentences naming a security
term, its whole text and its closeness to the policy, learnt from labelled requests,
labelled review sheets and the real review sheets presumed out of scope.
Learned state ends in ``_``; ``fit`` returns ``self``; ``classes_`` orders predict_proba.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import calibration
from .descriptions import clause_descriptions, clause_sentences
from .hierarchy import rollup_matrix
from .labels import LabelledRequest
from .params import ParamsMixin
from .policy import Policy
from .scope import best_anchored, distinct_terms, policy_similarity
from .tokens import FeatureBatch, JapaneseTokenizer, TokenizerSettings
from .vectors import ScorerArrays, SparseRows, flatten, vocabulary
from .vocab import ROLLUP_LEVELS, CVGroups, Scope

SCORERS = ("proto", "centroid", "lr")
CV_FOLDS = 5  # folds of every cross-validation in fitting


@dataclass(frozen=True)
class Scores:
    """What the model says about a batch of texts, before it becomes predictions."""

    proba: np.ndarray  # (n, n_classes): calibrated probability per class, columns = classes_
    p_in: np.ndarray  # (n,): probability that the text is a cybersecurity programme at all
    X: SparseRows  # (n, V): the TF-IDF vectors
    where: np.ndarray  # per stored entry of X: which word (surface index) is behind it
    # per text: the sentence (index in the batch) that made its scope evidence, -1 if none
    scope_sentence: np.ndarray | None = None
    n_chars: np.ndarray | None = None  # per text: textutil.text_length


@dataclass(frozen=True)
class OutOfFold:
    """Cross-validated scores of the training requests (each by a model that did not see it)."""

    ids: list[str]  # the in-scope training requests
    proba: np.ndarray  # (n, n_classes): their item probabilities
    scope_ids: list[str]  # every training request of known scope
    p_in: np.ndarray  # (n_scope,): their in-scope probabilities


class PolicyClassifier(ParamsMixin):  # get_params, set_params, repr; clone works
    """Classify request texts into the target clauses of one policy version."""

    def __init__(
        self,
        tokenizer_settings: TokenizerSettings | None = None,
        use_examples: bool = True,
        C: float = 8.0,
        clause_sentence_weight: float = 0.5,
        secondary_label_weight: float = 0.5,
        cv_folds: int = CV_FOLDS,
        random_state: int = 0,
        clause_only_temperature: float = 28.0,
        scope_C: float = 64.0,  # scope models' C, chosen on dev log-loss (README)
        in_scope_threshold: float = 0.5,
        cv_groups: str = CVGroups.PROGRAMME,
    ) -> None:
        self.tokenizer_settings = tokenizer_settings
        self.use_examples = use_examples
        self.C = C
        self.clause_sentence_weight = clause_sentence_weight
        self.secondary_label_weight = secondary_label_weight
        self.cv_folds = cv_folds
        self.random_state = random_state
        self.clause_only_temperature = clause_only_temperature
        self.scope_C = scope_C
        self.in_scope_threshold = in_scope_threshold
        self.cv_groups = cv_groups

    # ------------------------------------------------------------------ fitting

    def fit(self, policy: Policy, examples: Sequence[LabelledRequest] = ()) -> PolicyClassifier:
        """Learn from the policy's clauses and (optionally) labelled requests.

        In-scope examples (not ``BORDER``) teach the item scorers; examples whose scope is
        known (``IN`` or ``OUT``, or labels / ``NONE``) teach the scope model.
        """
        from threadpoolctl import threadpool_limits

        # One BLAS thread: the solvers' many small products run several times slower
        # with two threads on a 2-core machine, and one thread keeps the sums' order fixed.
        with threadpool_limits(limits=1), warnings.catch_warnings():
            # Too few rows of a label for the folds: train says so plainly (commands.train).
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            return self._fit(policy, examples)

    def _fit(self, policy: Policy, examples: Sequence[LabelledRequest]) -> PolicyClassifier:
        descriptions = clause_descriptions(policy)
        self.tokenizer_ = JapaneseTokenizer(self.tokenizer_settings)
        self.tokenizer_.learn_lexicon(
            [*(p for parts in descriptions.values() for p in parts), *(e.text for e in examples)]
        )
        self.policy_ = policy
        self.policy_id_ = policy.policy_id
        self.classes_ = np.array([c.label for c in policy.targets])
        known = set(self.classes_)
        examples = (
            [e for e in examples if all(lab in known for lab in e.labels)]
            if self.use_examples
            else []
        )
        items = [i for i, e in enumerate(examples) if e.in_scope and e.scope != Scope.BORDER]
        scoped = [i for i, e in enumerate(examples) if e.scope != Scope.BORDER]
        self.n_examples_ = len(items) + sum(1 for i in scoped if not examples[i].in_scope)
        self.class_docs_ = [
            [f for part in descriptions[label] for f in self.tokenizer_.features(part)]
            for label in self.classes_
        ]
        sentences = clause_sentences(policy)
        self.sentence_labels_ = [lab for lab, _ in sentences]
        self.sentence_docs_ = [self.tokenizer_.features(s) for _, s in sentences]
        batch = self.tokenizer_.analyze_batch([e.text for e in examples])
        docs = batch.docs()
        item_examples = [examples[i] for i in items]
        item_docs = [docs[i] for i in items]
        # Texts that only teach scope still shape the vocabulary and idf (real text's
        # document frequencies), never the item scorers.
        self.scope_docs_ = [docs[i] for i in scoped if i not in set(items)]
        self.has_examples_ = len(items) >= 2 * len(self.classes_) // 3

        self.label_layers_: dict[str, np.ndarray] = {}
        if self.has_examples_:
            oof_scores = self._out_of_fold(item_examples, item_docs)
            gold = self._gold(item_examples)
            self.blend_ = _fit_blend(oof_scores, gold)
            oof_proba = softmax(np.einsum("nsc,s->nc", oof_scores, self.blend_))
            n_chars = batch.text_lengths()[items]
            for level in ROLLUP_LEVELS:
                _, rollup = rollup_matrix(policy, list(self.classes_), level)
                self.label_layers_[str(level)] = calibration.fit_layer(
                    oof_proba @ rollup, (gold @ rollup) > 0, n_chars
                )
        else:
            # Clause-only: the centroid alone ranked best on labelled dev requests; its
            # temperature was set there too, so probabilities are not wildly off.
            self.blend_ = np.array([0.0, self.clause_only_temperature, 0.0])
            oof_scores = np.zeros((0, len(SCORERS), len(self.classes_)))
        self.fitted_ = self._fit_scorers(item_examples, item_docs)
        self.min_similarity_ = 0.02
        self.scope_ = None
        y = np.array([examples[i].in_scope for i in scoped], dtype=bool)
        p_in_oof = np.zeros(0)
        if self.has_examples_ and y.any() and not y.all():
            from .scope_fit import fit_scope  # scipy and scikit-learn: fitting only

            clause_texts = [s for _, s in sentences]
            X_scoped = self.fitted_.transform([docs[i] for i in scoped]).to_scipy()
            self.scope_, p_in_oof, self.scope_evidence_ = fit_scope(
                X_scoped,
                [batch.text_sentences(i) for i in scoped],
                batch.text_lengths()[scoped],
                y,
                clause_texts,
                self.fitted_.transform(self.sentence_docs_).to_scipy(),
                folds=self.cv_folds,
                random_state=self.random_state,
                C=self.scope_C,
                groups=[examples[i].cv_group(self.cv_groups) for i in scoped],
                similarity=policy_similarity(np.asarray(X_scoped @ self.fitted_.proto.T)),
            )
        self.oof_ = {
            "item_ids": [e.id for e in item_examples],
            "scores": oof_scores,
            "scope_ids": [examples[i].id for i in scoped],
            "p_in": p_in_oof,
        }
        # Tokenised training text is not needed to predict; keep the saved model lean.
        del self.class_docs_, self.sentence_docs_, self.sentence_labels_, self.scope_docs_
        return self

    def _gold(self, examples: Sequence[LabelledRequest]) -> np.ndarray:
        index = {lab: i for i, lab in enumerate(self.classes_)}
        gold = np.zeros((len(examples), len(self.classes_)), dtype=bool)
        for i, e in enumerate(examples):
            for lab in e.labels:
                gold[i, index[lab]] = True
        return gold

    def _fit_scorers(
        self, examples: Sequence[LabelledRequest], docs: list[list[str]]
    ) -> ScorerArrays:
        from sklearn.linear_model import LogisticRegression

        n_classes = len(self.classes_)
        index = {lab: i for i, lab in enumerate(self.classes_)}
        vocab, names, idf = vocabulary(
            self.class_docs_ + self.sentence_docs_ + docs + self.scope_docs_
        )
        scorers = ScorerArrays(vocab, names, idf, np.zeros(0), np.zeros(0))
        proto = scorers.transform(self.class_docs_).toarray()
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
            centroid += np.array(members).T @ scorers.transform(member_docs).toarray()
        centroid /= np.linalg.norm(centroid, axis=1, keepdims=True) + 1e-12
        scorers.proto, scorers.centroid = proto, centroid
        if self.has_examples_:
            lr = LogisticRegression(C=self.C, max_iter=2000)
            X = scorers.transform(lr_docs).to_scipy()
            lr.fit(X, np.array(lr_y), sample_weight=np.array(lr_w))
            coef = np.zeros((n_classes, len(idf)))
            intercept = np.full(n_classes, -30.0)  # a class absent from a CV fold
            coef[lr.classes_.astype(int)] = lr.coef_
            intercept[lr.classes_.astype(int)] = lr.intercept_
            scorers.lr_coef, scorers.lr_intercept = coef, intercept
        return scorers

    def _out_of_fold(
        self, examples: Sequence[LabelledRequest], docs: list[list[str]]
    ) -> np.ndarray:
        """(n, n_scorers, n_classes) scores of each in-scope example by scorers fitted
        without it (cross-validation stratified by primary label)."""
        n = len(examples)
        strata = [e.labels[0] for e in examples]
        counts: dict[str, int] = {}
        for s in strata:
            counts[s] = counts.get(s, 0) + 1
        # Strata too small for k folds are pooled so StratifiedKFold can still split.
        strata = [s if counts[s] >= self.cv_folds else "_rare" for s in strata]
        from sklearn.model_selection import StratifiedKFold

        folds = StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state)
        scores = np.zeros((n, len(SCORERS), len(self.classes_)))
        for train_idx, test_idx in folds.split(np.zeros(n), strata):
            fitted = self._fit_scorers(
                [examples[i] for i in train_idx], [docs[i] for i in train_idx]
            )
            # scipy's product, as models were fitted with: the blend moves with last bits.
            X = fitted.transform([docs[i] for i in test_idx]).to_scipy()
            scores[test_idx] = self._scorer_outputs(fitted, X)
        return scores

    # ------------------------------------------------------------------ scoring

    def _scorer_outputs(self, fitted: ScorerArrays, X: SparseRows) -> np.ndarray:
        """(n, n_scorers, n_classes): each scorer's raw score for each class."""
        n, n_classes = X.shape[0], len(self.classes_)
        out = np.zeros((n, len(SCORERS), n_classes))
        # One product for the three linear scorers (columns are summed independently).
        linear = [fitted.proto, fitted.centroid]
        if fitted.lr_coef is not None:
            linear.append(fitted.lr_coef)
        z = X @ np.ascontiguousarray(np.concatenate(linear).T)
        out[:, 0], out[:, 1] = z[:, :n_classes], z[:, n_classes : 2 * n_classes]
        if fitted.lr_coef is not None:
            out[:, 2] = np.maximum(fitted.lr_log_softmax(z[:, 2 * n_classes :]), -20.0)
        return out

    def transform(self, docs: Sequence[list[str]]) -> SparseRows:
        """TF-IDF vectors of already-tokenised documents."""
        return self.fitted_.transform(docs)

    def score(self, batch: FeatureBatch) -> Scores:
        """Class probabilities, in-scope probability and vectors of a tokenised batch."""
        rows = batch.rows()
        X, where = self.fitted_.transform_flat(batch.features, rows, len(batch), batch.sources)
        raw = self._scorer_outputs(self.fitted_, X)
        proba = softmax(np.einsum("nsc,s->nc", raw, self.blend_))
        lengths = batch.text_lengths()
        if self.scope_ is None:
            # Clause-only: a request sharing (almost) no vocabulary with any clause is out.
            p_in = np.where(raw[:, 0].max(axis=1) > self.min_similarity_, 1.0, 0.0)
            return Scores(proba, p_in, X, where, np.full(len(batch), -1, dtype=np.intp), lengths)
        texts = batch.sentence_text()
        anchored, sentence = best_anchored(batch.sentences, texts, len(batch), self.scope_)
        terms = distinct_terms(batch.sentences, texts, len(batch))
        similarity = policy_similarity(raw[:, 0])
        p_in = self.scope_.combine(anchored, self.scope_.whole_proba(X), lengths, terms, similarity)
        return Scores(proba, p_in, X, where, sentence, lengths)

    def score_docs(self, docs: Sequence[list[str]]) -> Scores:
        """Class probabilities of documents given as feature lists (no sentences, no words
        behind them, so no in-scope probability: ``p_in`` is NaN)."""
        features, rows = flatten(docs)
        X, where = self.fitted_.transform_flat(features, rows, len(docs))
        raw = self._scorer_outputs(self.fitted_, X)
        proba = softmax(np.einsum("nsc,s->nc", raw, self.blend_))
        return Scores(proba, np.full(len(docs), np.nan), X, where)

    def out_of_fold(self) -> OutOfFold:
        """Cross-validated item probabilities (in-scope training requests) and in-scope
        probabilities (every training request of known scope), each by a model that did
        not see the request; empty for a clause-only model."""
        oof = getattr(self, "oof_", None)
        if oof is None or not len(oof["scores"]):
            return OutOfFold([], np.zeros((0, len(self.classes_))), [], np.zeros(0))
        proba = softmax(np.einsum("nsc,s->nc", oof["scores"], self.blend_))
        return OutOfFold(list(oof["item_ids"]), proba, list(oof["scope_ids"]), oof["p_in"])

    @property
    def blend_weights(self) -> dict[str, float]:
        """The weight of each scorer in the blend."""
        return dict(zip(SCORERS, (float(w) for w in self.blend_), strict=True))

    def predict_proba(self, texts: Sequence[object]) -> np.ndarray:
        """Calibrated probability per class (columns follow ``classes_``)."""
        return self.score(self.tokenizer_.analyze_batch(texts)).proba

    def predict(self, texts: Sequence[object]) -> np.ndarray:
        """Most likely label per text."""
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def evidence_weights(self) -> np.ndarray:
        """(n_classes, V): how much one unit of each feature pushes a request to each class.

        Each scorer is linear in the request vector, so a feature's push is its value times
        its blended weight for the class (for the logistic regression, measured against the
        mean over classes, since only differences move a softmax).
        """
        fitted = self.fitted_
        weights = self.blend_[0] * fitted.proto + self.blend_[1] * fitted.centroid
        if fitted.lr_coef is not None:
            weights = weights + self.blend_[2] * (fitted.lr_coef - fitted.lr_coef.mean(axis=0))
        return weights

    def contributions(self, x: SparseRows, class_index: int) -> dict[str, float]:
        """How much each feature of one TF-IDF row pushed it towards ``class_index``."""
        row = x.tocsr()
        pushes = row.data * self.evidence_weights()[class_index, row.indices]
        names = self.fitted_.feature_names
        return {str(names[j]): float(v) for j, v in zip(row.indices, pushes, strict=True) if v > 0}


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_blend(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Scorer weights maximising the likelihood that probability mass lands on gold labels."""
    keep = gold.any(axis=1)
    S, G = scores[keep], gold[keep]

    def nll(w: np.ndarray) -> float:
        p = softmax(np.einsum("nsc,s->nc", S, w))
        return float(
            -np.log(np.clip((p * G).sum(axis=1), 1e-12, None)).mean() + 1e-5 * (w**2).sum()
        )

    from scipy.optimize import minimize

    result = minimize(
        nll, x0=np.array([5.0, 5.0, 0.5]), method="L-BFGS-B", bounds=[(0.0, 200.0)] * len(SCORERS)
    )
    return result.x
