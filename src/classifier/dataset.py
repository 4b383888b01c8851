"""Labelled files → training examples: reading labelled requests and reviewed sheets, and
carrying labels keyed to an older policy over a reviewed crosswalk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputFileError, LabelError
from .labels import LabelledRequest, check_labels, parse_labels
from .policy import Policy
from .tables import open_table, pick_id_column, resolve_text_columns
from .textutil import clean_text

REVIEW_LABEL_COLUMN = "accepted_label"


@dataclass(frozen=True)
class LabelledFileReport:
    """What reading a labelled file found: usable rows and per-row problems."""

    requests: tuple[LabelledRequest, ...]
    problems: tuple[str, ...]  # one line per problem; a row may have several
    unlabelled: int
    left_out: int = 0  # labelled rows left out because of their problems


def read_labelled(
    path: str | Path,
    policy: Policy | None = None,
    label_column: str | None = None,
    text_columns: tuple[str, ...] | None = None,
    id_column: str | None = None,
) -> LabelledFileReport:
    """Read labelled requests from CSV/TSV/XLSX/JSONL.

    The label column defaults to ``accepted_label`` in a review sheet written by
    ``classify --review`` and ``labels`` otherwise. Rows whose label cell is empty are
    skipped (counted in ``unlabelled``). With a policy, each label is checked against it;
    bad rows are left out and reported by row number in ``problems``.
    """
    table = open_table(str(path))
    is_review = REVIEW_LABEL_COLUMN in table.columns
    if label_column is None:
        label_column = REVIEW_LABEL_COLUMN if is_review else "labels"
    if label_column not in table.columns:
        raise InputFileError(
            f"{path}: no {label_column!r} column; the columns are: {', '.join(table.columns)}"
        )
    texts = resolve_text_columns(table.columns, list(text_columns) if text_columns else None)
    col = {name: i for i, name in enumerate(table.columns)}
    id_col = pick_id_column(table.columns, id_column)
    requests: list[LabelledRequest] = []
    problems: list[str] = []
    unlabelled = left_out = 0
    for row in table.rows:
        where = f"{Path(str(path)).name} row {row.number + 1}"
        try:
            labels = parse_labels(row.cells[col[label_column]])
        except LabelError as exc:
            problems.append(f"{where}: {exc}")
            left_out += 1
            continue
        if labels is None:
            unlabelled += 1
            continue
        if policy is not None:
            bad = check_labels(labels, policy)
            if bad:
                problems.extend(f"{where}: {b}" for b in bad)
                left_out += 1
                continue
        text = "\n".join(clean_text(row.cells[col[c]]) for c in texts).strip()
        amount = _number(row.cells[col["要求額"]]) if "要求額" in col else None
        requests.append(
            LabelledRequest(
                id=str(row.cells[col[id_col]]) if id_col else f"row{row.number}",
                text=text,
                labels=labels,
                ministry=str(row.cells[col["府省庁"]] or "") if "府省庁" in col else "",
                amount=amount,
                split=str(row.cells[col["split"]] or "dev") if "split" in col else "dev",
            )
        )
    return LabelledFileReport(tuple(requests), tuple(problems), unlabelled, left_out)


def _number(value: object) -> float | None:
    try:
        return float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None


def read_labelled_files(
    paths: Iterable[str | Path], policy: Policy
) -> tuple[list[LabelledRequest], list[str], int]:
    """Read several labelled files (or reviewed sheets) against one policy.

    Returns the usable requests, the per-row problems, and how many labelled rows were
    left out because of them. Rows of different files never replace each other: an id
    seen before is prefixed with its file's name.
    """
    requests: list[LabelledRequest] = []
    problems: list[str] = []
    left_out = 0
    seen: set[str] = set()
    for path in paths:
        report = read_labelled(path, policy)
        problems.extend(report.problems)
        left_out += report.left_out
        for r in report.requests:
            if r.id in seen:
                r = replace(r, id=f"{Path(str(path)).stem}:{r.id}")
            seen.add(r.id)
            requests.append(r)
    return requests, problems, left_out


def is_review_sheet(path: str | Path) -> bool:
    """Whether a labelled file is a review sheet written by ``classify --review``."""
    table = open_table(str(path))
    try:
        return REVIEW_LABEL_COLUMN in table.columns
    finally:
        table.close()


@dataclass
class TrainingExamples:
    """Labelled requests usable for one policy, and what happened on the way there."""

    requests: list[LabelledRequest]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # informational lines (carry-over counts)


def examples_for_policy(
    files: list[Path],
    policy: Policy,
    labels_corpus: Path | None,
    crosswalk_path: Path | None,
    crosswalk_hint: str = "",
) -> TrainingExamples:
    """Labelled requests usable for ``policy``: direct, or carried over a reviewed crosswalk.

    Review sheets (with an ``accepted_label`` column) are keyed to ``policy``; other files
    are keyed to the policy in ``labels_corpus`` (``None``: to ``policy`` itself) and, when
    that is another version, carried over the reviewed crosswalk at ``crosswalk_path``.
    ``crosswalk_hint`` is the command that proposes a missing crosswalk, for the warning.
    """
    from .corpus import read_clauses
    from .revision import carry_labels, read_crosswalk

    direct = [f for f in files if labels_corpus is None or is_review_sheet(f)]
    old_keyed = [f for f in files if f not in direct]
    requests, problems, left_out = read_labelled_files(direct, policy)
    out = TrainingExamples(requests)
    out.warnings += problems[:20]
    if len(problems) > 20:
        out.warnings.append(f"… and {len(problems) - 20} more label problems")
    if left_out:
        out.warnings.append(f"{left_out} labelled rows were left out because of the problems above")
    if not old_keyed or labels_corpus is None:
        return out
    labels_policy = read_clauses(labels_corpus)
    old_requests, _, old_left_out = read_labelled_files(old_keyed, labels_policy)
    n_old = len(old_requests) + old_left_out
    if crosswalk_path is None or not Path(crosswalk_path).is_file():
        out.warnings.append(
            f"{n_old} labelled rows keyed to policy {labels_policy.policy_id} were left out: "
            f"there is no reviewed crosswalk {crosswalk_path}. Propose one with "
            f"`{crosswalk_hint}`, review it, and train again"
        )
        return out
    report = carry_labels(old_requests, read_crosswalk(Path(crosswalk_path), policy))
    out.notes.append(
        f"carried over from {labels_policy.policy_id}: {report.carried} unchanged, "
        f"{report.remapped} remapped, {report.dropped} dropped (their items were removed), "
        f"{report.unmapped} left out (crosswalk rows not yet reviewed), "
        f"{old_left_out} with invalid labels"
    )
    out.requests = requests + list(report.requests)
    return out
