"""Predictions → what analysts receive: the appended output columns, the review sheet and
the misclassified-rows file.

The output columns are a contract (analysts' workflows read them by name), so they are
spelled here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .metrics import Scored, interval_text
from .metrics import figure_text as figure
from .policy import Policy
from .predict import Prediction, display_heading
from .tables import TableWriter
from .textutil import plural
from .vocab import (
    OUT_OF_SCOPE_LABEL,
    REVIEW_COMMENT_COLUMN,
    REVIEW_LABEL_COLUMN,
    REVIEW_POLICY_COLUMN,
    Status,
    error_status,
)

EVIDENCE_SEPARATOR = "、"
REVIEW_SHEET = "labels"  # the review workbook's sheet listing the valid labels
MISCLASSIFIED_COLUMNS = (
    "id",
    "text",
    "gold",
    "error",
    "label_1",
    "confidence_1",
    "label_2",
    "confidence_2",
    "label_3",
    "confidence_3",
    "evidence_1",
    "status",
)


def ranked_columns(top_k: int) -> list[str]:
    """``label_k, heading_k, confidence_k`` for k = 1…K."""
    cols = []
    for k in range(1, top_k + 1):
        cols += [f"label_{k}", f"heading_{k}", f"confidence_{k}"]
    return cols


# Appended after the ranked labels: the contract's first columns, then what came later.
TAIL_COLUMNS = (
    "evidence_1",
    "status",
    "labels",
    "in_scope",
    "evidence_sentence",
    "matched_clause_text",
    "scope_sentence",
)
LABEL_SEPARATOR = ";"
# The review sheet's columns an analyst fills in (their work, never silently replaced).
REVIEW_ENTRY_COLUMNS = (REVIEW_LABEL_COLUMN, REVIEW_COMMENT_COLUMN)
_NO_SCORES = (Status.EMPTY_TEXT, Status.ERROR)


# Excel number formats: probabilities to the three places CSV writes them, yen (and
# counts of them) with thousands separators, as a budget table shows them.
PROBABILITY_FORMAT = "0.000"
YEN_FORMAT = "#,##0"


def number_formats(columns: Sequence[str]) -> dict[str, str]:
    """The Excel number format of each of ``columns`` (classify's own) that is a number."""
    formats = {}
    for c in columns:
        if c == "in_scope" or c.startswith("confidence_"):
            formats[c] = PROBABILITY_FORMAT
        elif c.endswith(("_yen", "_yen_any")):
            formats[c] = YEN_FORMAT
    return formats


def output_columns(top_k: int) -> list[str]:
    """The columns classify appends, in order."""
    return [*ranked_columns(top_k), *TAIL_COLUMNS]


def prediction_cells(pred: Prediction, top_k: int) -> list[Any]:
    """The appended cells of one row (empty where there are fewer than K labels)."""
    cells: list[Any] = []
    for k in range(top_k):
        if k < len(pred.labels):
            cells += [pred.labels[k], pred.headings[k], pred.confidences[k]]
        else:
            cells += ["", "", ""]
    scored = not pred.status.startswith(_NO_SCORES)
    return [
        *cells,
        EVIDENCE_SEPARATOR.join(pred.evidence),
        pred.status,
        LABEL_SEPARATOR.join(pred.label_set),
        pred.in_scope if scored else "",
        pred.evidence_sentence,
        pred.matched_clause_text,
        pred.scope_sentence,
    ]


def row_summary_fields(cells: Sequence[Any], top_k: int) -> tuple[str, str, tuple[str, ...]]:
    """``(status, label_1, predicted set)`` of a row's appended cells (what the budget
    summary counts)."""
    label_1 = str(cells[0] or "")
    status = str(cells[3 * top_k + 1])
    label_set = tuple(x for x in str(cells[3 * top_k + 2] or "").split(LABEL_SEPARATOR) if x)
    return status, label_1, label_set


# A screening pass takes in rows from this in-scope probability (README, "Choosing
# --scope-threshold": on the RS test split it found 21 of 23 programmes, 19 at 0.5).
SCREENING_THRESHOLD = 0.2


def near_miss(cells: Sequence[Any], top_k: int) -> bool:
    """Whether a row came back out_of_scope with an in_scope of at least
    :data:`SCREENING_THRESHOLD`: the rows a screening pass would read as well."""
    status, p_in = cells[3 * top_k + 1], cells[3 * top_k + 3]
    return status == Status.OUT_OF_SCOPE and p_in != "" and p_in >= SCREENING_THRESHOLD


def near_miss_note(count: int) -> str:
    return (
        f"{plural(count, 'out_of_scope row')} {'has' if count == 1 else 'have'} an in_scope "
        f"of {SCREENING_THRESHOLD:g} or more: worth a look when a missed programme costs more "
        f"than a row read (sort by in_scope, or --scope-threshold {SCREENING_THRESHOLD:g})"
    )


def error_prediction(reason: str) -> Prediction:
    """The prediction of a row that could not be processed."""
    return Prediction((), (), (), (), 0.0, error_status(reason))


def review_columns(top_k: int) -> list[str]:
    """The review sheet's columns, in order."""
    return [
        "row",
        "id",
        "text",
        *output_columns(top_k),
        REVIEW_POLICY_COLUMN,
        *REVIEW_ENTRY_COLUMNS,
    ]


def write_review_sheet(
    path: Path, rows: Sequence[tuple[int, Any, str, Prediction]], top_k: int, policy: Policy
) -> int:
    """An Excel sheet for analysts: most uncertain rows first, empty accepted_label/comment;
    returns how many cells were cut to what an Excel cell holds.

    ``rows`` are ``(row number, id, text, prediction)``. Uncertain means likely wrong: a row
    called out of scope is wrong with probability ``in_scope``, any other row unless it is
    in scope *and* label_1 is one of its items, ``1 - in_scope * confidence_1``. So on a
    review-sheet file, where 97% of programmes are plainly out of scope, the borderline
    programmes and the doubtful labels come first, not the out-of-scope rows whose nearest
    item happens to be unclear.
    """

    def key(item: tuple[int, Any, str, Prediction]) -> tuple[bool, float, int]:
        number, _, _, pred = item
        reviewable = not pred.status.startswith((Status.ERROR, Status.EMPTY_TEXT))
        return (not reviewable, -doubt(pred), number)

    columns = review_columns(top_k)
    with TableWriter(path, "xlsx", columns, number_formats=number_formats(columns)) as writer:
        for number, ident, text, pred in sorted(rows, key=key):
            cells = prediction_cells(pred, top_k)
            writer.write([number, ident, text, *cells, policy.policy_id, "", ""])
        labels = [[c.label, display_heading(policy, c.label)] for c in policy.targets]
        writer.add_sheet(
            REVIEW_SHEET,
            ["label", "heading"],
            [*labels, [OUT_OF_SCOPE_LABEL, "対象外 (supports no item)"]],
            validation=(REVIEW_ENTRY_COLUMNS[0], "A"),
        )
    return writer.cut_cells


def doubt(pred: Prediction) -> float:
    """The probability that a row's answer is wrong (see :func:`write_review_sheet`)."""
    if pred.status == Status.OUT_OF_SCOPE:
        return pred.in_scope
    return 1.0 - pred.in_scope * (pred.confidences[0] if pred.confidences else 0.0)


def miss_kind(s: Scored) -> str | None:
    """How a scored row is wrong (``None`` if it is right)."""
    p = s.prediction
    first = p.labels[0] if p.labels else ""
    if s.gold:
        if first in s.gold and p.status != Status.OUT_OF_SCOPE:
            return None
        return "flagged out of scope" if p.status == Status.OUT_OF_SCOPE else "wrong item"
    return None if p.status == Status.OUT_OF_SCOPE else "out of scope not flagged"


def misclassified_format(path: str | Path) -> str:
    """The format the misclassified-rows file is written in: as its name says (.xlsx, .tsv,
    .jsonl), else CSV (an .xlsm name is refused before: :func:`~.tables.check_outputs`)."""
    from .tables.read import suffix_format

    return suffix_format(str(path)) or "csv"


def write_misclassified(path: Path, scored: Sequence[Scored], texts: Sequence[str]) -> None:
    """The rows the classifier got wrong, with gold, predictions, confidences and evidence,
    in the format the file name says (:func:`misclassified_format`)."""
    columns = list(MISCLASSIFIED_COLUMNS)
    fmt = misclassified_format(path)
    with TableWriter(path, fmt, columns, number_formats=number_formats(columns)) as writer:
        for s, text in zip(scored, texts, strict=True):
            error = miss_kind(s)
            if error is None:
                continue
            p = s.prediction
            cells: list[Any] = []
            for k in range(3):
                cells += [p.labels[k], p.confidences[k]] if k < len(p.labels) else ["", ""]
            writer.write(
                [
                    s.id,
                    text,
                    ";".join(s.gold) or OUT_OF_SCOPE_LABEL,
                    error,
                    *cells,
                    EVIDENCE_SEPARATOR.join(p.evidence),
                    p.status,
                ]
            )


def figures_text(figures: dict) -> str:
    """evaluate's figures as it prints them: the request figures, then the scope ones."""
    oos = figures["out_of_scope"]
    text = (
        f"n={figures['n']} (in scope {figures['n_in_scope']}, "
        f"out of scope {figures['n_out_of_scope']})  "
        f"top1 {figure(figures['top1'])}  top3 {figure(figures['top3'])}  "
        f"area_top1 {figure(figures['area_top1'])}  "
        f"macro_f1 {figure(figures['macro_f1'])}  mrr {figure(figures['mrr'])}  "
        f"ece {figure(figures['ece'])}\n"
        f"out of scope: recall {figure(oos['recall'])}  precision {figure(oos['precision'])}  "
        f"in-scope flagged out {figure(oos['in_scope_flagged_out'])} "
        f"(given any flag {figure(oos['in_scope_flagged_any'])})\n"
        f"  {_intervals(figures['intervals'], _REQUEST_INTERVALS)}"
    )
    return text + ("\n" + scope_lines(figures["scope"]) if "scope" in figures else "")


def scope_lines(m: dict) -> str:
    """Scope figures beside the keyword filter's, as printed by evaluate."""

    def pr(d: dict) -> str:
        return f"precision {figure(d['precision'])}  recall {figure(d['recall'])}"

    return (
        f"scope (IN {m['n_in']}, OUT {m['n_out']}; BORDER {m['n_border']} left out): "
        f"model {pr(m['model'])}; keyword filter サイバー|情報セキュリティ {pr(m['keyword'])}\n"
        f"  weighted to the population sampled: model {pr(m['model_weighted'])}; "
        f"keyword filter {pr(m['keyword_weighted'])}\n"
        f"  top1 on IN {figure(m['top1_in'])}  top3 on IN {figure(m['top3_in'])}  "
        f"ECE top-3 on IN {figure(m['slots_in']['ece_top3'])}  "
        f"label set on IN: precision {figure(m['label_set_in']['precision'])}  "
        f"recall {figure(m['label_set_in']['recall'])}  F1 {figure(m['label_set_in']['f1'])}\n"
        f"  {_intervals(m['intervals'], _SCOPE_INTERVALS)}\n"
        f"  {_operating_points(m.get('operating_points', {}))}"
    )


def _operating_points(points: dict) -> str:
    """One line: precision/recall (rows called in scope) at each --scope-threshold."""
    parts = [
        f"{t} {d['precision']:.2f}/{d['recall']:.2f} ({d['called_in']})" for t, d in points.items()
    ]
    return "by --scope-threshold, precision/recall (rows called in): " + "  ".join(parts)


_REQUEST_INTERVALS = {
    "top1": "top1",
    "top3": "top3",
    "out_of_scope_recall": "out-of-scope recall",
}
_SCOPE_INTERVALS = {
    "precision": "model precision",
    "recall": "recall",
    "top1_in": "top1 on IN",
    "top3_in": "top3 on IN",
}


def _intervals(intervals: dict, names: dict[str, str]) -> str:
    """One line of 95% Wilson intervals, with the counts they rest on."""
    parts = [f"{name} {interval_text(intervals.get(key))}" for key, name in names.items()]
    return "95% intervals (Wilson, hits/n): " + "  ".join(parts)
