"""Metrics on labelled requests: accuracy, ranking, calibration, out-of-scope detection.

A prediction is a hit when the predicted label is among the request's gold labels (a
request may support several items). Accuracy figures are over in-scope rows; the
out-of-scope figures treat ``out_of_scope`` status as the positive class.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .predict import Prediction
from .vocab import Status

CONFIDENCE_BANDS = ((0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0001))


@dataclass(frozen=True)
class Scored:
    """One evaluated row: gold labels (``()`` = out of scope) and the prediction."""

    id: str
    gold: tuple[str, ...]
    prediction: Prediction


def area_of(label: str) -> str:
    """``(2)③ⅱ`` → ``(2)``."""
    end = label.find(")")
    return label[: end + 1] if label.startswith("(") and end > 0 else label


def expected_calibration_error(confidence: np.ndarray, hit: np.ndarray, bins: int = 10) -> float:
    """Equal-width-bin ECE: the mean |confidence - accuracy| weighted by bin size."""
    if len(confidence) == 0:
        return float("nan")
    idx = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += abs(confidence[mask].mean() - hit[mask].mean()) * mask.sum()
    return float(total / len(confidence))


def reliability(confidence: np.ndarray, hit: np.ndarray, bins: int = 10) -> list[dict]:
    """Per-bin mean confidence, accuracy and count (for a reliability diagram)."""
    idx = np.minimum((confidence * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = idx == b
        out.append(
            {
                "bin": [b / bins, (b + 1) / bins],
                "n": int(mask.sum()),
                "confidence": float(confidence[mask].mean()) if mask.any() else None,
                "accuracy": float(hit[mask].mean()) if mask.any() else None,
            }
        )
    return out


def compute_metrics(rows: Sequence[Scored], classes: Sequence[str] = ()) -> dict:
    """All metrics as a JSON-ready dict (keys ``top1``, ``top3``, ``area_top1``, ``ece``, …)."""
    inside = [r for r in rows if r.gold]
    outside = [r for r in rows if not r.gold]
    report: dict = {"n": len(rows), "n_in_scope": len(inside), "n_out_of_scope": len(outside)}
    first = [r.prediction.labels[0] if r.prediction.labels else None for r in inside]
    hit1 = np.array([f is not None and f in r.gold for f, r in zip(first, inside, strict=True)])
    hit3 = np.array([any(lab in r.gold for lab in r.prediction.labels[:3]) for r in inside])
    area1 = np.array(
        [
            f is not None and area_of(f) in {area_of(g) for g in r.gold}
            for f, r in zip(first, inside, strict=True)
        ]
    )
    ranks = []
    for r in inside:
        rank = next((k + 1 for k, lab in enumerate(r.prediction.labels) if lab in r.gold), None)
        ranks.append(1.0 / rank if rank else 0.0)
    conf = np.array(
        [r.prediction.confidences[0] if r.prediction.confidences else 0.0 for r in inside]
    )
    report.update(
        {
            "top1": _mean(hit1),
            "top3": _mean(hit3),
            "area_top1": _mean(area1),
            "mrr": _mean(np.array(ranks)),
            "ece": expected_calibration_error(conf, hit1.astype(float)) if inside else float("nan"),
            "macro_f1": macro_f1(inside, classes),
            "reliability": reliability(conf, hit1.astype(float)) if inside else [],
            "confidence_bands": [
                {
                    "band": [lo, min(hi, 1.0)],
                    "n": int(((conf >= lo) & (conf < hi)).sum()),
                    "accuracy": _mean(hit1[(conf >= lo) & (conf < hi)]),
                }
                for lo, hi in CONFIDENCE_BANDS
            ],
        }
    )
    flagged_in = np.array([r.prediction.status == Status.OUT_OF_SCOPE for r in inside])
    flagged_out = np.array([r.prediction.status == Status.OUT_OF_SCOPE for r in outside])
    tp = int(flagged_out.sum())
    fp = int(flagged_in.sum())
    report["out_of_scope"] = {
        "recall": _mean(flagged_out),
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "in_scope_flagged_out": _mean(flagged_in),
        "in_scope_flagged_any": _mean(np.array([r.prediction.status != Status.OK for r in inside])),
    }
    report["status_counts"] = dict(sorted(Counter(r.prediction.status for r in rows).items()))
    report["confusion"] = confusion(inside)
    return report


def macro_f1(rows: Sequence[Scored], classes: Sequence[str] = ()) -> float:
    """Macro-averaged F1 of top-1 predictions over items (a hit counts for the predicted label).

    For each label: true positive when it is predicted and among the gold labels, false
    positive when predicted and not gold, false negative when it is the primary gold label
    and the prediction is not a gold label.
    """
    labels = set(classes) or {r.gold[0] for r in rows}
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for r in rows:
        pred = r.prediction.labels[0] if r.prediction.labels else None
        if pred is not None and pred in r.gold:
            tp[pred] += 1
        else:
            if pred is not None:
                fp[pred] += 1
            fn[r.gold[0]] += 1
    scores = []
    for lab in sorted(labels):
        if tp[lab] + fp[lab] + fn[lab] == 0:
            continue
        p = tp[lab] / (tp[lab] + fp[lab]) if tp[lab] + fp[lab] else 0.0
        rec = tp[lab] / (tp[lab] + fn[lab]) if tp[lab] + fn[lab] else 0.0
        scores.append(2 * p * rec / (p + rec) if p + rec else 0.0)
    return float(np.mean(scores)) if scores else float("nan")


def confusion(rows: Sequence[Scored]) -> list[dict]:
    """Misses as (primary gold, predicted) pairs with counts, most frequent first."""
    pairs: Counter = Counter()
    for r in rows:
        pred = r.prediction.labels[0] if r.prediction.labels else "(none)"
        if pred not in r.gold:
            pairs[(r.gold[0], pred)] += 1
    return [
        {"gold": g, "predicted": p, "n": n}
        for (g, p), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _mean(a: np.ndarray) -> float:
    return float(a.mean()) if len(a) else float("nan")


def json_safe(value):
    """``value`` with NaN replaced by None, so the report is valid JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
