"""Metrics on labelled requests: accuracy, ranking, calibration, out-of-scope detection.

A prediction is a hit when the predicted label is among the request's gold labels (a
request may support several items). Accuracy figures are over in-scope rows; the
out-of-scope figures treat ``out_of_scope`` status as the positive class.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .predict import Prediction
from .textutil import clean_text
from .vocab import Scope, Status

CONFIDENCE_BANDS = ((0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0001))


@dataclass(frozen=True)
class Scored:
    """One evaluated row: gold labels (``()`` = out of scope) and the prediction."""

    id: str
    gold: tuple[str, ...]
    prediction: Prediction
    scope: str = ""  # an annotator's IN/OUT/BORDER, when there is one
    weight: float = 1.0  # programmes of the population the row stands for
    text: str = ""  # the text (for the keyword baseline)


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


def wilson(hits: int, n: int, level: float = 0.95) -> dict:
    """``hits`` of ``n`` with its Wilson score interval: how far a proportion measured on a
    few dozen rows can be from the true one (23 test ``IN`` programmes: one programme moves
    recall by 0.043). Empty ``n`` gives a NaN interval."""
    if n == 0:
        return {"hits": 0, "n": 0, "low": float("nan"), "high": float("nan")}
    from scipy.stats import binomtest

    ci = binomtest(hits, n).proportion_ci(confidence_level=level, method="wilson")
    return {"hits": int(hits), "n": int(n), "low": float(ci.low), "high": float(ci.high)}


def figure_text(x: float | None) -> str:
    """A figure as printed: three decimals, or n/a where no row measured it (the precision
    of a filter that flagged none, a file with no out-of-scope row), never 'nan'."""
    return "n/a" if x is None or x != x else f"{x:.3f}"


def interval_text(interval: dict | None) -> str:
    """``0.58–0.90 (18/23)``: a :func:`wilson` interval as printed ("n/a" without one)."""
    if not interval or not interval.get("n"):
        return "n/a"
    return f"{interval['low']:.2f}–{interval['high']:.2f} ({interval['hits']}/{interval['n']})"


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
    report.update(slot_calibration(inside))
    report["label_set"] = set_scores(inside)
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
    report["intervals"] = {
        "top1": wilson(int(hit1.sum()), len(inside)),
        "top3": wilson(int(hit3.sum()), len(inside)),
        "out_of_scope_recall": wilson(tp, len(outside)),
    }
    report["status_counts"] = dict(sorted(Counter(r.prediction.status for r in rows).items()))
    report["confusion"] = confusion(inside)
    return report


SLOTS = 3


def slot_calibration(rows: Sequence[Scored], slots: int = SLOTS) -> dict:
    """Calibration of ``confidence_k`` as "label_k is one of the gold labels", for the top
    ``slots`` slots: each slot's mean confidence and hit rate, and the ECE over all slots'
    (confidence, hit) pairs pooled."""
    conf: list[float] = []
    hit: list[float] = []
    per_slot = []
    for k in range(slots):
        c = np.array([r.prediction.confidences[k] for r in rows if len(r.prediction.labels) > k])
        h = np.array(
            [r.prediction.labels[k] in r.gold for r in rows if len(r.prediction.labels) > k],
            dtype=float,
        )
        conf += c.tolist()
        hit += h.tolist()
        per_slot.append(
            {"slot": k + 1, "n": len(c), "mean_confidence": _mean(c), "hit_rate": _mean(h)}
        )
    c_all, h_all = np.array(conf), np.array(hit)
    return {
        "ece_top3": expected_calibration_error(c_all, h_all) if len(c_all) else float("nan"),
        "slots": per_slot,
        "reliability_top3": reliability(c_all, h_all) if len(c_all) else [],
    }


def set_scores(rows: Sequence[Scored]) -> dict:
    """Example-based precision, recall and F1 of the predicted label set against the gold
    set (averaged over rows; an empty predicted set scores 0)."""
    p, r, f = [], [], []
    for row in rows:
        pred, gold = set(row.prediction.label_set), set(row.gold)
        both = len(pred & gold)
        p.append(both / len(pred) if pred else 0.0)
        r.append(both / len(gold) if gold else 0.0)
        f.append(2 * both / (len(pred) + len(gold)) if pred or gold else 0.0)
    return {
        "precision": _mean(np.array(p)),
        "recall": _mean(np.array(r)),
        "f1": _mean(np.array(f)),
        "mean_size": _mean(np.array([len(row.prediction.label_set) for row in rows])),
    }


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


# What an analyst's Excel filter finds: the baseline the scope model must beat.
KEYWORD_FILTER = re.compile("サイバー|情報セキュリティ")


def keyword_hit(text: str) -> bool:
    return KEYWORD_FILTER.search(clean_text(text)) is not None


def _precision_recall(truth: np.ndarray, said: np.ndarray, weight: np.ndarray) -> dict:
    tp = float((weight * (truth & said)).sum())
    fp = float((weight * (~truth & said)).sum())
    fn = float((weight * (truth & ~said)).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


# In-scope probabilities at which scope precision and recall are also reported, so an
# analyst can choose ``classify --scope-threshold`` (screening for recall: lower).
SCOPE_OPERATING_POINTS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


def operating_points(
    truth: np.ndarray, p_in: np.ndarray, weight: np.ndarray, points: Sequence[float]
) -> dict[str, dict]:
    """Scope precision and recall if rows below each in-scope probability were called out
    of scope (as rows show it, rounded to 3 places), as counted and weighted."""
    out = {}
    for t in points:
        said = p_in >= t
        out[f"{t:g}"] = {
            "called_in": int(said.sum()),
            "found": int((truth & said).sum()),
            "wrongly_in": int((~truth & said).sum()),
            **_precision_recall(truth, said, np.ones(len(truth))),
            "weighted": _precision_recall(truth, said, weight),
        }
    return out


def scope_metrics(rows: Sequence[Scored]) -> dict:
    """Scope precision and recall against annotators' IN/OUT (``BORDER`` left out of both),
    for the model and for the keyword filter on the same rows, on the labelled rows as they
    are and weighted to the population they were sampled from; and top-1/top-3 on the
    ``IN`` rows, with the calibration of their top-3 confidences and their label sets
    against the annotators' labels (an ``IN`` row called out of scope has an empty set).
    """
    judged = [r for r in rows if r.scope in (Scope.IN, Scope.OUT)]
    truth = np.array([r.scope == Scope.IN for r in judged], dtype=bool)
    said = np.array([r.prediction.status != Status.OUT_OF_SCOPE for r in judged], dtype=bool)
    keyword = np.array([keyword_hit(r.text) for r in judged], dtype=bool)
    ones = np.ones(len(judged))
    weight = np.array([r.weight for r in judged])
    inside = [r for r in rows if r.scope == Scope.IN]
    hit1 = [bool(r.prediction.labels) and r.prediction.labels[0] in r.gold for r in inside]
    hit3 = [any(lab in r.gold for lab in r.prediction.labels[:3]) for r in inside]
    counts = Counter(r.scope for r in rows)
    found = int((truth & said).sum())
    return {
        "n_in": counts[Scope.IN],
        "n_out": counts[Scope.OUT],
        "n_border": counts[Scope.BORDER],
        "model": _precision_recall(truth, said, ones),
        "keyword": _precision_recall(truth, keyword, ones),
        "model_weighted": _precision_recall(truth, said, weight),
        "keyword_weighted": _precision_recall(truth, keyword, weight),
        "flagged_in": found,
        "flagged_out": int((~truth & said).sum()),
        "missed_in": int((truth & ~said).sum()),
        "top1_in": _mean(np.array(hit1)),
        "top3_in": _mean(np.array(hit3)),
        "slots_in": {k: v for k, v in slot_calibration(inside).items() if k != "reliability_top3"},
        "label_set_in": set_scores(inside),
        "operating_points": operating_points(
            truth,
            np.array([r.prediction.in_scope for r in judged], dtype=float),
            weight,
            SCOPE_OPERATING_POINTS,
        ),
        "intervals": {
            "precision": wilson(found, int(said.sum())),
            "recall": wilson(found, int(truth.sum())),
            "top1_in": wilson(sum(hit1), len(inside)),
            "top3_in": wilson(sum(hit3), len(inside)),
        },
    }
