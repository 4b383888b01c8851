"""Model scores → per-request predictions: top-k labels, roll-up, evidence, status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import PolicyClassifier
from .policy import Policy

STATUSES = ("ok", "low_confidence", "out_of_scope", "empty_text")
HIERARCHY_LEVELS = ("subitem", "item", "area")
DEFAULT_MIN_CONFIDENCE = 0.35


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
        rolled = proba @ self._rollup
        out = []
        for i, text in enumerate(texts):
            out.append(
                self._one(text, analysed[i], docs[i], proba[i], rolled[i], float(p_in[i]), X[i])
            )
        return out

    def _one(self, text, pairs, doc, proba, rolled, p_in, x) -> Prediction:
        order = np.argsort(-rolled, kind="stable")[: self.top_k]
        labels = tuple(self.columns[j] for j in order)
        confidences = tuple(round(float(rolled[j]), 3) for j in order)
        headings = tuple(self._headings[lab] for lab in labels)
        if not pairs:
            has_text = bool(str(text).strip()) if text is not None and text == text else False
            status = "out_of_scope" if has_text else "empty_text"
            if status == "empty_text":
                return Prediction((), (), (), (), 0.0, status)
            return Prediction(labels, headings, confidences, (), 0.0, status)
        best_class = int(np.argmax(proba * (self._rollup[:, order[0]] > 0)))
        evidence = self._evidence(pairs, x, best_class)
        if p_in < self.model.oos_threshold_ or x.nnz == 0:
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
        return tuple(s for s, _ in ranked[: self.n_evidence])
