"""Training end to end: corpus + thesaurus + labelled requests → model + model card.

The labelled file's fixed split decides what the model may learn from: only ``dev`` rows
are used for fitting (and for out-of-fold tuning of the blend and thresholds); ``test``
rows are scored once, after fitting, for the model card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .corpus import read_thesaurus
from .labels import LabelledRequest
from .metrics import Scored, compute_metrics, json_safe
from .model import PolicyClassifier
from .paths import portable_path
from .policy import Policy
from .predict import Predictor
from .tables import sha256_file
from .tokens import TokenizerSettings


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
    return [Scored(r.id, r.labels, p) for r, p in zip(requests, preds, strict=True)]


def out_of_fold_scores(
    model: PolicyClassifier,
    policy: Policy,
    requests: Sequence[LabelledRequest],
    min_confidence: float,
) -> list[Scored]:
    """Dev-split predictions made by models that did not see the row (cross-validation)."""
    oof = model.out_of_fold()
    predictor = Predictor(model, policy, top_k=len(model.classes_), min_confidence=min_confidence)
    by_id = {r.id: r for r in requests}
    rows = [by_id[i] for i in oof.ids]
    preds = predictor.from_scores([r.text for r in rows], oof.proba, oof.p_in)
    return [Scored(r.id, r.labels, p) for r, p in zip(rows, preds, strict=True)]


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
    return json_safe(out)


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
    model.fit(policy, dev)
    metrics: dict = {}
    if model.has_examples_:
        oof = out_of_fold_scores(model, policy, dev, min_confidence)
        metrics["dev_cross_validated"] = _summary(compute_metrics(oof, list(model.classes_)))
    if test:
        metrics["test"] = _summary(
            compute_metrics(
                score_requests(model, policy, test, min_confidence), list(model.classes_)
            )
        )
    if not clause_only and model.has_examples_:
        baseline = PolicyClassifier(tokenizer_settings=settings, use_examples=False).fit(policy, [])
        metrics["clause_only"] = {
            split: _summary(
                compute_metrics(
                    score_requests(baseline, policy, rows, min_confidence), list(baseline.classes_)
                )
            )
            for split, rows in (("dev", dev), ("test", test))
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
            "oos_threshold": round(float(model.oos_threshold_), 4),
            "tokenizer": {k: v for k, v in asdict(settings).items() if k != "thesaurus"},
            **{k: v for k, v in params.items()},
        },
        "metrics": metrics,
    }
    return TrainResult(model, card)
