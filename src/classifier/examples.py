"""Labelled files → the training examples of one policy version: read directly, or
carried over a reviewed crosswalk from the version they were labelled against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .corpus import read_clauses
from .dataset import is_review_sheet, read_labelled_files, review_policy, source_names
from .labels import LabelledRequest
from .paths import built_policies, policies_text
from .policy import Policy
from .revision import carry_labels, read_crosswalk
from .textutil import plural
from .vocab import REVIEW_POLICY_COLUMN


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

    Review sheets (with an ``accepted_label`` column) are keyed to the policy their
    ``policy`` column names; other files, and review sheets without that column, are keyed
    to the policy in ``labels_corpus`` (``None``: to ``policy`` itself). Rows keyed to the
    ``labels_corpus`` policy, when that is another version, are carried over the reviewed
    crosswalk at ``crosswalk_path``; a review sheet of any other policy is left out.
    ``crosswalk_hint`` is the command that proposes a missing crosswalk, for the warning.
    """

    labels_policy = read_clauses(labels_corpus) if labels_corpus is not None else None
    names = source_names(files)
    direct: list[int] = []  # positions in ``files``
    old_keyed: list[int] = []
    foreign: list[tuple[Path, str]] = []
    for i, f in enumerate(files):
        sheet = is_review_sheet(f)
        keyed = review_policy(f) if sheet else None
        if not sheet:
            (old_keyed if labels_policy is not None else direct).append(i)
        elif keyed is None:
            # Written before review sheets named their policy: like any labelled file, keyed
            # to the labels policy (never read as another version's labels by their spelling).
            (old_keyed if labels_policy is not None else direct).append(i)
        elif keyed == policy.policy_id:
            direct.append(i)
        elif labels_policy is not None and keyed == labels_policy.policy_id:
            old_keyed.append(i)
        else:
            foreign.append((f, keyed))
    # Read in the order given, so ids and the per-file lines follow it.
    seen: set[str] = set()
    requests: list[LabelledRequest] = []
    old_requests: list[LabelledRequest] = []
    problems: list[str] = []
    counts: list[str] = []
    left_out = old_left_out = 0
    for i, f in enumerate(files):
        if i not in direct and i not in old_keyed:
            continue
        keyed_to = policy if i in direct else labels_policy
        assert keyed_to is not None
        read = read_labelled_files([f], keyed_to, [names[i]], seen)
        counts += read.counts
        if i in direct:
            requests += read.requests
            problems += read.problems
            left_out += read.left_out
        else:  # listed with the others; counted in the carry-over line below
            old_requests += read.requests
            old_left_out += read.left_out
            problems += read.problems
    out = TrainingExamples(requests, notes=counts)
    built = built_policies()
    out.warnings += [
        f"{f}: its labels belong to policy {keyed}, not {policy.policy_id}: left out. "
        + (
            f"Train with --labels-policy {keyed} to carry them over a reviewed crosswalk"
            if keyed in built
            else f"No policy {keyed} is built here ({policies_text()}): if its "
            f"{REVIEW_POLICY_COLUMN} column was changed by mistake (an Excel fill-down), "
            f"set it back to {policy.policy_id}"
        )
        for f, keyed in foreign
    ]
    out.warnings += problems[:20]
    if len(problems) > 20:
        out.warnings.append(f"… and {len(problems) - 20} more label problems")
    if left_out:
        out.warnings.append(
            f"left out because of the problems above: {plural(left_out, 'labelled row')}"
        )
    if not old_keyed or labels_policy is None:
        return out
    n_old = len(old_requests) + old_left_out
    if crosswalk_path is None or not Path(crosswalk_path).is_file():
        out.warnings.append(
            f"left out, as they are keyed to policy {labels_policy.policy_id}: "
            f"{plural(n_old, 'labelled row')}; there is no reviewed crosswalk "
            f"{crosswalk_path}. Propose one with "
            f"`{crosswalk_hint}`, review it, and train again"
        )
        return out
    report = carry_labels(old_requests, read_crosswalk(Path(crosswalk_path), policy))
    out.notes.append(
        f"carried over from {labels_policy.policy_id}: {report.carried} unchanged, "
        f"{report.remapped} remapped, {report.reduced} kept with fewer labels, "
        f"{report.dropped} dropped (their items were removed), "
        f"{report.unmapped} left out (crosswalk rows not yet reviewed), "
        f"{old_left_out} with invalid labels"
        + (
            f", {report.missing} left out (no crosswalk row for {', '.join(report.missing_labels)})"
            if report.missing
            else ""
        )
    )
    # In the order the files were given, whichever policy they are keyed to: the file
    # given last has the last word on a text (see classify.reconcile).
    rank = {name: i for i, name in enumerate(names)}
    out.requests = sorted(requests + list(report.requests), key=lambda r: rank[r.source])
    return out
