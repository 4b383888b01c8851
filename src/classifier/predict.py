"""Model scores → per-request predictions: top-k labels, roll-up, evidence, status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from .model import PolicyClassifier
from .policy import Policy
from .textutil import cell_text
from .tokens import clean_text

STATUSES = ("ok", "low_confidence", "out_of_scope", "empty_text")
HIERARCHY_LEVELS = ("subitem", "item", "area")
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


def display_heading(policy: Policy, label: str) -> str:
    """A readable name for a label: its heading, or for a sub-item the start of its text."""
    c = policy.clause(label)
    if c.heading:
        return c.heading
    text = c.text.split("\n")[0]
    return text if len(text) <= 40 else text[:39] + "…"


def level_of(policy: Policy, label: str, level: str) -> str:
    """The ancestor of ``label`` (or itself) at ``level``; deeper labels roll up."""
    depth = {"area": 1, "item": 2, "subitem": 3}[level]
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


def has_text(value: object) -> bool:
    """Whether a cell holds any visible text (NaN, None and blanks do not)."""
    text = cell_text(value)
    return bool(text.strip()) and bool(clean_text(text).strip())


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
        level: str = "subitem",
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
        self._names = model.fitted_.feature_names.tolist()

    def predict(self, texts: Sequence[object]) -> list[Prediction]:
        """One prediction per text, in order."""
        analyse = self.model.tokenizer_.analyze
        analysed = [analyse(t) for t in texts]
        first = itemgetter(0)
        proba, p_in, X = self.model.score_docs([list(map(first, pairs)) for pairs in analysed])
        return self.from_scores(texts, proba, p_in, analysed, X)

    def from_scores(
        self,
        texts: Sequence[object],
        proba: np.ndarray,
        p_in: np.ndarray,
        analysed: Sequence[list[tuple[str, str]]] | None = None,
        X=None,
    ) -> list[Prediction]:
        """Predictions from already computed class probabilities and in-scope probabilities.

        Without ``analysed``/``X`` (e.g. out-of-fold scores) no evidence is given.
        """
        n = len(texts)
        rolled = proba @ self._rollup
        order = np.argsort(-rolled, axis=1, kind="stable")[:, : self.top_k]
        conf = np.round(np.take_along_axis(rolled, order, axis=1), 3)
        # The sub-item behind the top rolled-up label gives the evidence.
        inside = self._rollup[:, order[:, 0]].T > 0
        best = np.argmax(np.where(inside, proba, -1.0), axis=1)
        columns, headings = self.columns, self._headings
        threshold = self.model.oos_threshold_
        if X is not None and analysed is not None:
            # Every feature's push towards its row's best class, sorted strongest first
            # within each row, for the whole batch in one go.
            per_row = np.diff(X.indptr)
            row_of = np.repeat(np.arange(n), per_row)
            pushes = X.data * self._weights[best[row_of], X.indices]
            ranked = np.lexsort((-pushes, row_of))
            ranked_cols = X.indices[ranked].tolist()
            ranked_push = pushes[ranked].tolist()
        out: list[Prediction] = []
        for i in range(n):
            pairs = analysed[i] if analysed is not None else None
            if not pairs and not has_text(texts[i]):
                out.append(Prediction((), (), (), (), 0.0, "empty_text"))
                continue
            idx = order[i]
            labels = tuple(columns[j] for j in idx)
            heads = tuple(headings[j] for j in idx)
            confs = tuple(float(c) for c in conf[i])
            nnz = X.indptr[i + 1] - X.indptr[i] if X is not None else 1
            if pairs is not None and (not pairs or nnz == 0):
                # No word the model knows (digits, symbols, or all words unseen).
                out.append(
                    Prediction(labels, heads, confs, (), round(float(p_in[i]), 3), "out_of_scope")
                )
                continue
            evidence = ()
            if pairs is not None and X is not None:
                start, end = X.indptr[i], X.indptr[i + 1]
                evidence = self._evidence(pairs, ranked_cols[start:end], ranked_push[start:end])
            if p_in[i] < threshold:
                status = "out_of_scope"
            elif confs[0] < self.min_confidence:
                status = "low_confidence"
            else:
                status = "ok"
            out.append(Prediction(labels, heads, confs, evidence, round(float(p_in[i]), 3), status))
        return out

    def _evidence(self, pairs, cols: list[int], pushes: list[float]) -> tuple[str, ...]:
        surfaces = dict(pairs)
        shown: list[str] = []
        for col, push in zip(cols, pushes, strict=True):
            if push <= 0:
                break
            surface = surfaces.get(self._names[col])
            # One-character words (府, 別) mean little to a reader; a word inside a longer
            # shown term (国立大学 in 国立大学法人) repeats it.
            if surface is None or (len(surface) < 2 and not surface.isascii()):
                continue
            if any(surface in other or other in surface for other in shown):
                continue
            shown.append(surface)
            if len(shown) == self.n_evidence:
                break
        return tuple(shown)
