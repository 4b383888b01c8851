"""Training end to end: corpus + thesaurus + labelled requests → model + model card.

The labelled file's fixed split decides what the model may learn from: only ``dev`` rows
are used for fitting (and for out-of-fold tuning of the blend and thresholds); ``test``
rows are scored once, after fitting, for the model card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .corpus import read_thesaurus
from .dataset import PRESUMED_SOURCE, sentence_negatives
from .labels import LabelledRequest
from .metrics import Scored, compute_metrics, json_safe, scope_metrics
from .model import PolicyClassifier
from .paths import portable_path
from .policy import Policy
from .predict import Prediction, Predictor
from .tables import sha256_file
from .tokens import TokenizerSettings
from .vocab import Scope


@dataclass
class TrainResult:
    """A fitted model and its model card."""

    model: PolicyClassifier
    card: dict


def score_requests(
    model: PolicyClassifier,
    policy: Policy,
    requests: Sequence[LabelledRequest],
    min_confidence: float,
) -> list[Scored]:
    """Predict every labelled request with the fitted model."""
    predictor = Predictor(model, policy, top_k=len(model.classes_), min_confidence=min_confidence)
    preds = predictor.predict([r.text for r in requests])
    return [_scored(r, p) for r, p in zip(requests, preds, strict=True)]


def _scored(r: LabelledRequest, p: Prediction) -> Scored:
    return Scored(r.id, r.labels, p, r.scope, r.weight, r.text)


def out_of_fold_scores(
    model: PolicyClassifier,
    policy: Policy,
    requests: Sequence[LabelledRequest],
    min_confidence: float,
) -> list[Scored]:
    """Dev-split predictions made by models that did not see the row (cross-validation).

    Item probabilities are out of fold for in-scope requests; for the others (which never
    teach the item scorers) they come from the final model. In-scope probabilities are
    out of fold for every request of known scope. ``BORDER`` rows have neither.
    """
    oof = model.out_of_fold()
    predictor = Predictor(model, policy, top_k=len(model.classes_), min_confidence=min_confidence)
    by_id = {r.id: r for r in requests}
    p_in = dict(zip(oof.scope_ids, oof.p_in.tolist(), strict=True))
    item = {i: k for k, i in enumerate(oof.ids)}
    rows = [by_id[i] for i in oof.scope_ids if i in by_id]  # not the derived sentences
    others = [r.text for r in rows if r.id not in item]
    other_proba = model.predict_proba(others) if others else np.zeros((0, len(model.classes_)))
    proba = np.zeros((len(rows), len(model.classes_)))
    k = 0
    for j, r in enumerate(rows):
        if r.id in item:
            proba[j] = oof.proba[item[r.id]]
        else:
            proba[j] = other_proba[k]
            k += 1
    preds = predictor.from_scores(
        [r.text for r in rows], proba, np.array([p_in[r.id] for r in rows])
    )
    return [_scored(r, p) for r, p in zip(rows, preds, strict=True)]


def _summary(report: dict) -> dict:
    keys = (
        "n",
        "n_in_scope",
        "n_out_of_scope",
        "top1",
        "top3",
        "area_top1",
        "mrr",
        "ece",
        "macro_f1",
    )
    out = {k: (round(report[k], 4) if isinstance(report[k], float) else report[k]) for k in keys}
    out["out_of_scope"] = {k: round(v, 4) for k, v in report["out_of_scope"].items()}
    out["ece_top3"] = round(report["ece_top3"], 4)
    out["slots"] = _rounded(report["slots"])
    out["label_set"] = _rounded(report["label_set"])
    out["intervals"] = _rounded(report["intervals"])
    return json_safe(out)


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _by_source(rows: list[Scored], sources: dict[str, str], classes: list[str]) -> dict:
    """Metrics per labelled source: the request figures for short requests, and scope
    figures where annotators judged scope (review sheets)."""
    out: dict = {}
    for source in sorted(set(sources.values())):
        part = [r for r in rows if sources.get(r.id) == source]
        if not part:
            continue
        if any(r.scope for r in part):
            out[source] = json_safe(_rounded(scope_metrics(part)))
        else:
            out[source] = _summary(compute_metrics(part, classes))
    return out


def train(
    policy: Policy,
    corpus_dir: Path,
    labelled: Sequence[LabelledRequest],
    labelled_files: Sequence[Path],
    thesaurus_path: Path | None,
    min_confidence: float,
    clause_only: bool = False,
    **params,
) -> TrainResult:
    """Fit a model for one policy version (read from ``corpus_dir``) and build its card."""
    policy_id = policy.policy_id
    thesaurus = read_thesaurus(thesaurus_path)
    settings = TokenizerSettings(thesaurus=thesaurus)
    dev = [r for r in labelled if r.split != "test"]
    test = [r for r in labelled if r.split == "test"]
    model = PolicyClassifier(tokenizer_settings=settings, use_examples=not clause_only, **params)
    model.fit(policy, [*dev, *sentence_negatives(dev)])
    metrics: dict = {}
    classes = list(model.classes_)
    # Unlabelled programmes presumed out of scope teach the model, but are not scored.
    sources = {r.id: r.source for r in labelled if r.source != PRESUMED_SOURCE}
    # (Sentences taken from annotated programmes teach too, and are not scored either.)
    if model.has_examples_:
        oof = out_of_fold_scores(model, policy, dev, min_confidence)
        metrics["dev_cross_validated"] = _by_source(oof, sources, classes)
        # BORDER rows teach nothing, so none has an out-of-fold prediction; the card still
        # says how many the dev split holds (they are left out of its figures).
        for source, figures in metrics["dev_cross_validated"].items():
            if "n_border" in figures:
                figures["n_border"] = sum(
                    1 for r in dev if r.source == source and r.scope == Scope.BORDER
                )
    test = [r for r in test if r.source != PRESUMED_SOURCE]
    if test:
        metrics["test"] = _by_source(
            score_requests(model, policy, test, min_confidence), sources, classes
        )
    if not clause_only and model.has_examples_:
        baseline = PolicyClassifier(tokenizer_settings=settings, use_examples=False).fit(policy, [])
        metrics["clause_only"] = {
            split: _by_source(
                score_requests(baseline, policy, rows, min_confidence), sources, classes
            )
            for split, rows in (("dev", [r for r in dev if r.id in sources]), ("test", test))
            if rows
        }
    card = {
        "policy_id": policy_id,
        "policy_title": policy.title,
        "classes": list(model.classes_),
        "corpus": {
            "dir": portable_path(corpus_dir),
            "clauses_sha256": sha256_file(Path(corpus_dir) / "clauses.jsonl"),
            "source_sha256": sha256_file(Path(corpus_dir) / "source.txt")
            if (Path(corpus_dir) / "source.txt").exists()
            else None,
        },
        "labelled": {
            "files": {portable_path(p): sha256_file(p) for p in labelled_files},
            "n_dev": len(dev),
            "n_test": len(test),
            "n_used_for_training": model.n_examples_,
            "n_presumed_out_of_scope": sum(1 for r in dev if r.source == PRESUMED_SOURCE),
        },
        "thesaurus": {
            "file": portable_path(thesaurus_path) if thesaurus and thesaurus_path else None,
            "sha256": sha256_file(thesaurus_path) if thesaurus and thesaurus_path else None,
            "n_terms": len(thesaurus),
        },
        "parameters": {
            "clause_only": clause_only,
            "min_confidence": min_confidence,
            "blend_weights": {k: round(w, 4) for k, w in model.blend_weights.items()},
            "in_scope_threshold": model.in_scope_threshold,
            "tokenizer": {k: v for k, v in asdict(settings).items() if k != "thesaurus"},
            **{k: v for k, v in params.items()},
        },
        "metrics": metrics,
    }
    return TrainResult(model, card)
