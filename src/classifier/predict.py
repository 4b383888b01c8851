"""Model scores → per-request predictions: top-k labels, roll-up, evidence, status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import PolicyClassifier
from .policy import Policy
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
    if value is None or (isinstance(value, float) and value != value):
        return False
    return bool(clean_text(value).strip())


class Predictor:
    """Turns a fitted model into :class:`Prediction` records for batches of texts."""

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
        self._headings = {lab: display_heading(policy, lab) for lab in self.columns}
        self._class_index = {lab: i for i, lab in enumerate(model.classes_)}

    def predict(self, texts: Sequence[object]) -> list[Prediction]:
        """One prediction per text, in order."""
        analysed = [self.model.tokenizer_.analyze(t) for t in texts]
        docs = [[f for f, _ in pairs] for pairs in analysed]
        proba, p_in, X = self.model.score_docs(docs)
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
        rolled = proba @ self._rollup
        out = []
        for i, text in enumerate(texts):
            pairs = analysed[i] if analysed is not None else None
            x = X[i] if X is not None else None
            out.append(self._one(text, pairs, proba[i], rolled[i], float(p_in[i]), x))
        return out

    def _one(self, text, pairs, proba, rolled, p_in, x) -> Prediction:
        order = np.argsort(-rolled, kind="stable")[: self.top_k]
        labels = tuple(self.columns[j] for j in order)
        confidences = tuple(round(float(rolled[j]), 3) for j in order)
        headings = tuple(self._headings[lab] for lab in labels)
        if not has_text(text):
            return Prediction((), (), (), (), 0.0, "empty_text")
        if pairs is not None and not pairs:
            # Text without a single content word the tokeniser knows (digits, symbols).
            return Prediction(labels, headings, confidences, (), 0.0, "out_of_scope")
        evidence: tuple[str, ...] = ()
        if pairs is not None and x is not None:
            best_class = int(np.argmax(proba * (self._rollup[:, order[0]] > 0)))
            evidence = self._evidence(pairs, x, best_class)
        if p_in < self.model.oos_threshold_ or (x is not None and x.nnz == 0):
            status = "out_of_scope"
        elif confidences[0] < self.min_confidence:
            status = "low_confidence"
        else:
            status = "ok"
        return Prediction(labels, headings, confidences, evidence, round(p_in, 3), status)

    def _evidence(self, pairs, x, class_index: int) -> tuple[str, ...]:
        contrib = self.model.contributions(x, class_index)
        by_surface: dict[str, float] = {}
        for feature, surface in pairs:
            if feature in contrib:
                by_surface[surface] = max(by_surface.get(surface, 0.0), contrib[feature])
        ranked = sorted(by_surface.items(), key=lambda kv: (-kv[1], kv[0]))
        shown: list[str] = []
        for surface, _ in ranked:
            # One-character words (府, 別) mean little to a reader; a word inside a longer
            # shown term (国立大学 in 国立大学法人) repeats it.
            if len(surface) < 2 and not surface.isascii():
                continue
            if any(surface in other or other in surface for other in shown):
                continue
            shown.append(surface)
            if len(shown) == self.n_evidence:
                break
        return tuple(shown)
