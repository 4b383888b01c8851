"""The policy side of the evidence: which sentence of label_1's policy text (or summary-slide
bullet) a request matched best, with the words they share marked 【】.

Sentences are compared in the model's TF-IDF space, so "best" is the sentence whose words
(thesaurus concepts included) overlap the request's most, weighted as the model weighs
them.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

import numpy as np

from .descriptions import evidence_sentences
from .hierarchy import level_of
from .model import PolicyClassifier
from .policy import Policy
from .vectors import SparseRows

OPEN, CLOSE = "【", "】"
_MARKED_MAX = 4096  # marked sentences kept for reuse (requests often share their words)


class ClauseMatcher:
    """Built once per predictor: the evidence sentences, their vectors and their words."""

    def __init__(
        self, model: PolicyClassifier, policy: Policy, columns: Sequence[str], level: str
    ) -> None:
        pairs = evidence_sentences(policy)
        self.texts = [text for _, text in pairs]
        batch = model.tokenizer_.analyze_batch(self.texts)
        self.vectors = model.fitted_.transform(batch.docs())
        # The sentences' vectors by feature: a batch meets them in one array operation.
        self._by_feature = self.vectors.columns()
        vocabulary = model.fitted_.vocabulary
        # Per sentence: vocabulary column → the sentence's own spellings of that feature.
        self.words: list[dict[int, list[str]]] = []
        for i in range(len(self.texts)):
            found: dict[int, list[str]] = {}
            for feature, surface in batch.pairs(i):
                col = vocabulary.get(feature)
                if col is not None and surface in self.texts[i]:
                    found.setdefault(col, []).append(surface)
            self.words.append(found)
        self._marked: dict[tuple[int, frozenset[str]], str] = {}
        where = {c: j for j, c in enumerate(columns)}
        # (n_columns, n_sentences): which sentences may explain each reported label.
        self.allowed = np.zeros((len(columns), len(pairs)), dtype=bool)
        for k, (label, _) in enumerate(pairs):
            column = level_of(policy, label, level)
            if column in where:
                self.allowed[where[column], k] = True

    def match(self, X: SparseRows, top: np.ndarray) -> list[str]:
        """Per request (row of ``X``): the best sentence for its label_1 column ``top``,
        shared words marked; "" when it shares no word with any of them."""
        if not self.texts:
            return [""] * X.shape[0]
        scores = X.times_sparse_columns(self._by_feature)
        scores = np.where(self.allowed[top], scores, -1.0)
        best = scores.argmax(axis=1)
        found = scores[np.arange(len(best)), best] > 0
        indices, indptr = X.indices.tolist(), X.indptr.tolist()
        out = []
        for i, k in enumerate(best.tolist()):
            if not found[i]:
                out.append("")
                continue
            words = self.words[k]
            shared = frozenset(
                w for col in indices[indptr[i] : indptr[i + 1]] if col in words for w in words[col]
            )
            marked = self._marked.get((k, shared))
            if marked is None:
                if len(self._marked) > _MARKED_MAX:  # many distinct requests: start afresh
                    self._marked.clear()
                marked = self._marked[k, shared] = mark(self.texts[k], shared)
            out.append(marked)
        return out


def mark(text: str, words: Set[str]) -> str:
    """``text`` with each occurrence of ``words`` in 【】, longest words first, never one
    inside another's marks, and adjacent words under one mark."""
    spans: list[tuple[int, int]] = []
    for word in sorted(words, key=lambda w: (-len(w), w)):
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if all(end <= a or start >= b for a, b in spans):
                spans.append((start, end))
            start = text.find(word, end)
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and merged[-1][1] == a:  # サイバー + セキュリティ: one mark
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out, last = [], 0
    for a, b in merged:
        out += [text[last:a], OPEN, text[a:b], CLOSE]
        last = b
    out.append(text[last:])
    return "".join(out)
