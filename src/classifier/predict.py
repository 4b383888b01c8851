"""Model scores → per-request predictions: top-k labels, roll-up, evidence, status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .model import PolicyClassifier
from .policy import Policy
from .textutil import has_text
from .vocab import CLAUSE_LEVELS, Level, Status

DEFAULT_MIN_CONFIDENCE = 0.30


@dataclass(frozen=True)
class Prediction:
    """What the classifier says about one request."""

    labels: tuple[str, ...]
    headings: tuple[str, ...]
    confidences: tuple[float, ...]
    evidence: tuple[str, ...]
    in_scope: float
    status: str


def card_min_confidence(card: dict, given: float | None = None) -> float:
    """The confidence below which a request is flagged: ``given`` if set, else the one the
    model card was trained with, else the default."""
    if given is not None:
        return given
    return card.get("parameters", {}).get("min_confidence", DEFAULT_MIN_CONFIDENCE)


def display_heading(policy: Policy, label: str) -> str:
    """A readable name for a label: its heading, or for a sub-item the start of its text."""
    c = policy.clause(label)
    if c.heading:
        return c.heading
    text = c.text.split("\n")[0]
    return text if len(text) <= 40 else text[:39] + "…"


def level_of(policy: Policy, label: str, level: str) -> str:
    """The ancestor of ``label`` (or itself) at ``level``; deeper labels roll up."""
    depth = CLAUSE_LEVELS.index(Level(level))
    c = policy.clause(label)
    while c.depth > depth and c.parent is not None:
        c = policy.clause(c.parent)
    return c.label


def rollup_matrix(
    policy: Policy, classes: Sequence[str], level: str
) -> tuple[list[str], np.ndarray]:
    """Columns at ``level`` and the 0/1 matrix that sums class probabilities into them."""
    targets = [level_of(policy, lab, level) for lab in classes]
    columns = list(dict.fromkeys(targets))
    m = np.zeros((len(classes), len(columns)))
    for i, t in enumerate(targets):
        m[i, columns.index(t)] = 1.0
    return columns, m


class Predictor:
    """Turns a fitted model into :class:`Prediction` records for batches of texts.

    Work is done per batch with array operations wherever possible; the per-row Python
    that remains is what has to be per row (evidence words, status).
    """

    def __init__(
        self,
        model: PolicyClassifier,
        policy: Policy,
        top_k: int = 3,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        level: str = Level.SUBITEM,
        n_evidence: int = 5,
    ) -> None:
        self.model = model
        self.policy = policy
        self.top_k = top_k
        self.min_confidence = min_confidence
        self.level = level
        self.n_evidence = n_evidence
        self.columns, self._rollup = rollup_matrix(policy, list(model.classes_), level)
        self._headings = tuple(display_heading(policy, lab) for lab in self.columns)
        self._weights = model.evidence_weights()

    def predict(self, texts: Sequence[object]) -> list[Prediction]:
        """One prediction per text, in order."""
        batch = self.model.tokenizer_.analyze_batch(texts)
        scores = self.model.score(batch)
        found = _Found(scores.X, scores.where, batch.surfaces)
        return self.from_scores(texts, scores.proba, scores.p_in, found)

    def from_scores(
        self,
        texts: Sequence[object],
        proba: np.ndarray,
        p_in: np.ndarray,
        found: _Found | None = None,
    ) -> list[Prediction]:
        """Predictions from already computed class probabilities and in-scope probabilities.

        Without ``found`` (e.g. for out-of-fold scores) no evidence is given.
        """
        n = len(texts)
        rolled = proba @ self._rollup
        order = np.argsort(-rolled, axis=1, kind="stable")[:, : self.top_k]
        conf = np.round(np.take_along_axis(rolled, order, axis=1), 3)
        status = np.where(
            conf[:, 0] < self.min_confidence, Status.LOW_CONFIDENCE.value, Status.OK.value
        ).astype(object)
        status[p_in < self.model.oos_threshold_] = Status.OUT_OF_SCOPE.value
        columns, headings = self.columns, self._headings
        order_rows = order.tolist()
        labels = [tuple(map(columns.__getitem__, idx)) for idx in order_rows]
        heads = [tuple(map(headings.__getitem__, idx)) for idx in order_rows]
        confs = list(map(tuple, conf.tolist()))
        p_rounded = [round(p, 3) for p in p_in.tolist()]
        evidence: list[tuple[str, ...]] = [()] * n
        if found is not None:
            evidence = self._evidence(found, proba, order[:, 0])
            known = np.diff(found.X.indptr) > 0
            for i in np.flatnonzero(~known).tolist():
                # No word the model knows (digits, symbols, or all words unseen).
                status[i] = (Status.OUT_OF_SCOPE if has_text(texts[i]) else Status.EMPTY_TEXT).value
        out = []
        for i, st in enumerate(status.tolist()):
            if st == Status.EMPTY_TEXT:
                out.append(Prediction((), (), (), (), 0.0, st))
            else:
                out.append(Prediction(labels[i], heads[i], confs[i], evidence[i], p_rounded[i], st))
        return out

    def _evidence(self, found: _Found, proba: np.ndarray, top: np.ndarray) -> list[tuple[str, ...]]:
        """The words that pushed each request hardest towards its top label, strongest first."""
        X = found.X
        n = X.shape[0]
        # The sub-item behind the top rolled-up label gives the evidence.
        inside = self._rollup[:, top].T > 0
        best = np.argmax(np.where(inside, proba, -1.0), axis=1)
        # Every feature's push towards its row's best class; only pushes towards it count,
        # sorted strongest first within each row, for the whole batch in one go.
        row_of = np.repeat(np.arange(n), np.diff(X.indptr))
        pushes = X.data * self._weights[best[row_of], X.indices]
        positive = np.flatnonzero(pushes > 0)
        # One sort key: the row, plus a fraction that falls as the push grows.
        key = row_of[positive] + (1.0 - pushes[positive] / (2.0 * pushes.max(initial=1.0)))
        ranked = positive[np.argsort(key, kind="stable")]
        bounds = np.searchsorted(row_of[ranked], np.arange(n + 1)).tolist()
        words = list(map(found.surfaces.__getitem__, found.where[ranked].tolist()))
        limit = self.n_evidence
        out: list[tuple[str, ...]] = []
        for i in range(n):
            shown: list[str] = []
            for word in words[bounds[i] : bounds[i + 1]]:
                # One-character words (府, 別) mean little to a reader; a word inside a
                # longer shown term (国立大学 in 国立大学法人) repeats it.
                if len(word) < 2 and not word.isascii():
                    continue
                for other in shown:
                    if word in other or other in word:
                        break
                else:
                    shown.append(word)
                    if len(shown) == limit:
                        break
            out.append(tuple(shown))
        return out


@dataclass(frozen=True)
class _Found:
    """What tokenising a batch found, as :meth:`Predictor.from_scores` needs it."""

    X: sparse.csr_matrix  # TF-IDF vectors
    where: np.ndarray  # per stored entry of X: index in ``surfaces`` of the word behind it
    surfaces: list[str]  # the words as the analyst wrote them
