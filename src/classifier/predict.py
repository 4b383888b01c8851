"""Model scores → per-request predictions: top-k labels, roll-up, evidence, status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from . import calibration
from .errors import InputFileError
from .hierarchy import level_of, rollup_matrix
from .matching import ClauseMatcher
from .model import PolicyClassifier
from .options import check_fraction, check_settings
from .policy import Policy
from .scope import mark_terms
from .textutil import excerpt, has_text, text_length
from .vectors import SparseRows
from .vocab import ROLLUP_LEVELS, Level, Status

DEFAULT_MIN_CONFIDENCE = 0.30
DEFAULT_SET_THRESHOLD = 0.5


@dataclass(frozen=True)
class Prediction:
    """What the classifier says about one request."""

    labels: tuple[str, ...]
    headings: tuple[str, ...]
    confidences: tuple[float, ...]
    evidence: tuple[str, ...]
    in_scope: float
    status: str
    # The request's own sentence that most supports labels[0] ("" when none does).
    evidence_sentence: str = ""
    # Every label whose own probability reaches the set threshold, most probable first
    # (at least labels[0] for an in-scope request; empty for an out-of-scope one).
    label_set: tuple[str, ...] = ()
    # The sentence of labels[0]'s policy text the request matched best, shared words in 【】.
    matched_clause_text: str = ""
    # The request's own sentence whose security term decided in_scope (its most cyber-like
    # context), the security terms in 【】; "" when the text names none.
    scope_sentence: str = ""


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


class Predictor:
    """Turns a fitted model into :class:`Prediction` records for batches of texts.

    Work is done per batch with array operations wherever possible; the per-row Python
    that remains is what has to be per row (evidence words, status).
    """

    def __init__(
        self,
        model: PolicyClassifier,
        policy: Policy,
        *,
        top_k: int = 3,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        level: str = Level.SUBITEM,
        n_evidence: int = 5,
        set_threshold: float = DEFAULT_SET_THRESHOLD,
        scope_threshold: float | None = None,
    ) -> None:
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be the model's Policy (model.policy_), not {policy!r}")
        check_settings(top_k, level, n_evidence)
        check_fraction(min_confidence, "min_confidence", required=True)
        check_fraction(set_threshold, "set_threshold", required=True)
        check_fraction(scope_threshold, "scope_threshold")
        self.model = model
        self.policy = policy
        # Plain numbers (numpy's are accepted): the output is the same whichever was given.
        self.top_k = int(top_k)
        self.min_confidence = float(min_confidence)
        self.level = level
        self.n_evidence = int(n_evidence)
        self.set_threshold = float(set_threshold)
        # Below it a row is out of scope; None: the model's own (its card says which).
        self.scope_threshold = None if scope_threshold is None else float(scope_threshold)
        self.columns, self._rollup = rollup_matrix(policy, list(model.classes_), level)
        self.top_k = min(self.top_k, len(self.columns))  # no empty label columns past the last
        self._chain = self._calibration_chain(policy, Level(level))
        self._matcher: ClauseMatcher | None = None  # built on first use (tokenises the policy)
        self._headings = tuple(display_heading(policy, lab) for lab in self.columns)
        self._weights = model.evidence_weights()

    @property
    def in_scope_threshold(self) -> float:
        """The in-scope probability below which a row is ``out_of_scope``."""
        if self.scope_threshold is None:
            return float(self.model.in_scope_threshold)
        return self.scope_threshold

    def _calibration_chain(
        self, policy: Policy, level: Level
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Per level up to ``level``: (its layer, class → level roll-up, previous level →
        this level roll-up, (previous column, column) pairs of the same label), for
        calibrated probabilities that stay coherent upwards."""
        layers = getattr(self.model, "label_layers_", {})
        if not layers:
            return []
        classes = list(self.model.classes_)
        chain = []
        previous = classes
        for step in ROLLUP_LEVELS[: ROLLUP_LEVELS.index(level) + 1]:
            columns, rollup = rollup_matrix(policy, classes, step)
            up = np.array(
                [
                    [1.0 if level_of(policy, p, step) == c else 0.0 for c in columns]
                    for p in previous
                ]
            )
            # A label that is its own only child here (an item without sub-items) is the
            # same event at both levels, so it keeps the probability of the level below.
            same = np.array(
                [
                    (previous.index(c), j)
                    for j, c in enumerate(columns)
                    if c in previous and up[:, j].sum() == 1
                ],
                dtype=np.intp,
            ).reshape(-1, 2)
            chain.append((layers[str(step)], rollup, up, same))
            previous = columns
        return chain

    def label_proba(self, proba: np.ndarray, n_chars: np.ndarray) -> np.ndarray:
        """Each reported label's own probability of being one of the request's items
        (columns follow :attr:`columns`), given the requests' lengths
        (:func:`~classifier.textutil.text_length`); the rolled-up softmax for an
        uncalibrated model."""
        if not self._chain:
            return proba @ self._rollup
        out = None
        for layer, rollup, up, same in self._chain:
            rolled = proba @ rollup
            here = calibration.apply(layer, rolled, n_chars)
            if out is not None:
                here[:, same[:, 1]] = out[:, same[:, 0]]
                here = calibration.coherent(out, here, up)
            out = calibration.monotone(here, rolled)
        assert out is not None
        return out

    def predict(self, texts: Sequence[object]) -> list[Prediction]:
        """One prediction per text, in order.

        A text repeated in the batch is analysed once: a prediction depends on its text
        alone, and exports repeat programmes (5% of the RS 2024 file's text).
        """
        if isinstance(texts, str | bytes | Mapping | AbstractSet) or not isinstance(
            texts, Iterable
        ):
            # (A set or a dict has no order to give the predictions back in.)
            raise InputFileError(
                f"predict takes a list of texts, not {type(texts).__name__}: predict([text])"
            )
        if hasattr(texts, "columns") and hasattr(texts, "iloc"):
            # Iterating a DataFrame gives its column names, not its rows.
            raise InputFileError(
                "predict takes a list of texts, not a DataFrame (whose items are its column "
                "names): pass one column, predict(df['事業概要'])"
            )
        texts = texts if isinstance(texts, Sequence) else list(texts)
        if all(isinstance(t, str) for t in texts):
            first: dict[object, int] = {}
            index = [first.setdefault(t, len(first)) for t in texts]
            if len(first) < len(texts):
                once = self._predict(list(first))
                return [once[i] for i in index]
            return self._predict(texts)
        for i, t in enumerate(texts):  # (only when some item is no str: a number, None…)
            if isinstance(t, Iterable) and not isinstance(t, str):
                # Bytes would be read as their repr, b'...' (every row out of scope).
                raise InputFileError(
                    f"text {i} is {type(t).__name__}, not text"
                    + (": decode it first (read the file as text)" if isinstance(t, bytes) else "")
                )
        return self._predict(texts)

    def _predict(self, texts: Sequence[object]) -> list[Prediction]:
        batch = self.model.tokenizer_.analyze_batch(texts)
        scores = self.model.score(batch)
        found = _Found(
            scores.X,
            scores.where,
            batch.surfaces,
            batch.sentences,
            batch.sentence_offsets,
            scores.scope_sentence,
        )
        return self.from_scores(texts, scores.proba, scores.p_in, found, scores.n_chars)

    def from_scores(
        self,
        texts: Sequence[object],
        proba: np.ndarray,
        p_in: np.ndarray,
        found: _Found | None = None,
        n_chars: np.ndarray | None = None,
    ) -> list[Prediction]:
        """Predictions from already computed class probabilities and in-scope probabilities.

        Without ``found`` (e.g. for out-of-fold scores) no evidence is given; without
        ``n_chars`` the texts' lengths are measured here.
        """
        n = len(texts)
        if n_chars is None:
            n_chars = np.array([text_length(t) for t in texts], dtype=float)
        rolled = proba @ self._rollup
        # Ranked by the blend (what top-k accuracy measures); each label's confidence is
        # its own calibrated probability.
        ranking = np.argsort(-rolled, axis=1, kind="stable")
        order = ranking[:, : self.top_k]
        own = np.round(self.label_proba(proba, n_chars), 3)
        conf = np.take_along_axis(own, order, axis=1)
        status = np.where(
            conf[:, 0] < self.min_confidence, Status.LOW_CONFIDENCE.value, Status.OK.value
        ).astype(object)
        # Decided on the value the row shows: in_scope 0.5 is never out at threshold 0.5.
        p_rounded = [round(p, 3) for p in p_in.tolist()]
        status[np.array(p_rounded) < self.in_scope_threshold] = Status.OUT_OF_SCOPE.value
        columns, headings = self.columns, self._headings
        order_rows = order.tolist()
        labels = [tuple(map(columns.__getitem__, idx)) for idx in order_rows]
        heads = [tuple(map(headings.__getitem__, idx)) for idx in order_rows]
        confs = list(map(tuple, conf.tolist()))
        sets = self._label_sets(own, ranking)
        evidence: list[tuple[str, ...]] = [()] * n
        sentences = [""] * n
        matched = [""] * n
        scope_sentences = [""] * n
        if found is not None:
            if found.scope_sentence is not None:
                # (A text without 。 is one sentence: a row shows at most SHOWN_CHARS of it.)
                scope_sentences = [
                    excerpt(mark_terms(found.sentences[j])) if j >= 0 else ""
                    for j in found.scope_sentence.tolist()
                ]
            evidence, sentences = self._evidence(found, proba, order[:, 0])
            sentences = [excerpt(s) for s in sentences]
            if self._matcher is None:
                self._matcher = ClauseMatcher(self.model, self.policy, self.columns, self.level)
            matched = self._matcher.match(found.X, order[:, 0])
            known = np.diff(found.X.indptr) > 0
            for i in np.flatnonzero(~known).tolist():
                # No word the model knows (digits, symbols, or all words unseen): out of
                # scope at any threshold, and in_scope says so (the model's prior, 0.34, read
                # as a screening candidate).
                status[i] = (Status.OUT_OF_SCOPE if has_text(texts[i]) else Status.EMPTY_TEXT).value
                p_rounded[i] = 0.0
        out = []
        for i, st in enumerate(status.tolist()):
            if st == Status.EMPTY_TEXT:
                out.append(Prediction((), (), (), (), 0.0, st))
            else:
                label_set = () if st == Status.OUT_OF_SCOPE else sets[i]
                out.append(
                    Prediction(
                        labels[i],
                        heads[i],
                        confs[i],
                        evidence[i],
                        p_rounded[i],
                        st,
                        sentences[i],
                        label_set,
                        matched[i],
                        scope_sentences[i],
                    )
                )
        return out

    def _label_sets(self, own: np.ndarray, ranking: np.ndarray) -> list[tuple[str, ...]]:
        """Per row: the labels at or above the set threshold, most probable first (the
        ranking breaks ties), and at least the top-ranked label."""
        columns = self.columns
        out = []
        for probs, ranks in zip(own.tolist(), ranking.tolist(), strict=True):
            chosen = [j for j in ranks if probs[j] >= self.set_threshold]
            chosen.sort(key=lambda j: -probs[j])  # stable: equal probabilities keep rank order
            if not chosen or (chosen[0] != ranks[0] and ranks[0] not in chosen):
                chosen = [ranks[0], *chosen]
            out.append(tuple(columns[j] for j in chosen))
        return out

    def _evidence(
        self, found: _Found, proba: np.ndarray, top: np.ndarray
    ) -> tuple[list[tuple[str, ...]], list[str]]:
        """The words that pushed each request hardest towards its top label, strongest
        first, and the request's sentence holding the most of that push."""
        X = found.X
        n = X.shape[0]
        # The sub-item behind the top rolled-up label gives the evidence.
        inside = self._rollup[:, top].T > 0
        best = np.argmax(np.where(inside, proba, -1.0), axis=1)
        # Every feature's push towards its row's best class; only pushes towards it count,
        # sorted strongest first within each row, for the whole batch in one go.
        row_of = X.row_of()
        pushes = X.data * self._weights[best[row_of], X.indices]
        positive = np.flatnonzero(pushes > 0)
        # By row, then strongest push first (ties in text order): nothing depends on the
        # other rows of the batch, so a row gets the same evidence in any file.
        ranked = positive[np.lexsort((-pushes[positive], row_of[positive]))]
        bounds = np.searchsorted(row_of[ranked], np.arange(n + 1)).tolist()
        words = list(map(found.surfaces.__getitem__, found.where[ranked].tolist()))
        strength = pushes[ranked].tolist()
        limit = self.n_evidence
        out: list[tuple[str, ...]] = []
        best_sentences: list[str] = []
        sentence_bounds = found.sentence_offsets.tolist()
        for i in range(n):
            # This row's strongest words only (never the next row's, when it has fewer).
            strongest = slice(bounds[i], min(bounds[i] + _SENTENCE_WORDS, bounds[i + 1]))
            best_sentences.append(
                _best_sentence(
                    found.sentences[sentence_bounds[i] : sentence_bounds[i + 1]],
                    words[strongest],
                    strength[strongest],
                )
            )
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
        return out, best_sentences


# The strongest words whose presence decides which sentence is the evidence sentence.
_SENTENCE_WORDS = 20


def _best_sentence(sentences: list[str], words: list[str], strength: list[float]) -> str:
    """The sentence holding the greatest total push of ``words`` (the first on a tie)."""
    if len(sentences) <= 1:
        return sentences[0] if sentences and words else ""
    if not words:
        return ""
    pairs = list(zip(words, strength, strict=True))
    best, best_score = "", 0.0
    for sentence in sentences:
        score = 0.0  # summed in word order, as sum() would
        for w, s in pairs:
            if w in sentence:
                score += s
        if score > best_score:
            best, best_score = sentence, score
    return best


@dataclass(frozen=True)
class _Found:
    """What tokenising a batch found, as :meth:`Predictor.from_scores` needs it."""

    X: SparseRows  # TF-IDF vectors
    where: np.ndarray  # per stored entry of X: index in ``surfaces`` of the word behind it
    surfaces: list[str]  # the words as the analyst wrote them
    sentences: list[str]  # the batch's sentences (cleaned)
    sentence_offsets: np.ndarray  # (n + 1,): text i's sentences
    # per text: index in ``sentences`` of the one that decided scope (-1: none; None: no
    # scope model)
    scope_sentence: np.ndarray | None = None
