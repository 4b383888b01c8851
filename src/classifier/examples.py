"""Labelled files → the training examples of one policy version: read directly, or
carried over a reviewed crosswalk from the version they were labelled against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .corpus import read_clauses
from .dataset import is_review_sheet, read_labelled_files, review_policy, source_names
from .errors import InputFileError
from .labels import LabelledRequest
from .paths import (
    BUNDLED_LABELS_POLICY,
    built_policies,
    corpus_dir,
    corpus_root,
    crosswalk_in,
    labelled_requests,
    labelled_review_sheets,
    policies_text,
)
from .policy import Policy
from .revision import Crosswalk, carry_labels, read_crosswalk
from .tables import sha256_file
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
    sheet: str | None = None,
) -> TrainingExamples:
    """Labelled requests usable for ``policy``: direct, or carried over a reviewed crosswalk.

    Review sheets (with an ``accepted_label`` column) are keyed to the policy their
    ``policy`` column names; other files, and review sheets without that column, are keyed
    to the policy in ``labels_corpus`` (``None``: to ``policy`` itself). Rows keyed to the
    ``labels_corpus`` policy, when that is another version, are carried over the reviewed
    crosswalk at ``crosswalk_path``; a review sheet of any other policy is left out.
    ``crosswalk_hint`` is the command that proposes a missing crosswalk, for the warning;
    ``sheet`` the sheet read of every workbook among the files.
    """

    labels_policy = read_clauses(labels_corpus) if labels_corpus is not None else None
    names = source_names(files)
    direct: list[int] = []  # positions in ``files``
    old_keyed: list[int] = []
    foreign: list[tuple[Path, str]] = []
    for i, f in enumerate(files):
        review = is_review_sheet(f, sheet)
        keyed = review_policy(f, sheet) if review else None
        if not review:
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
        read = read_labelled_files([f], keyed_to, [names[i]], seen, sheet)
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
    report = carry_labels(old_requests, read_crosswalk(Path(crosswalk_path), policy, labels_policy))
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


@dataclass(frozen=True)
class GoldKeying:
    """The policy a labelled file's gold labels are keyed to, and the reviewed crosswalk
    that carries them to the model's policy (``None``: they are keyed to it already)."""

    policy: Policy
    crosswalk: Crosswalk | None = None
    note: str = ""  # what was presumed, and over which file the labels were carried
    crosswalk_file: str = ""  # the file ``crosswalk`` was read from


def gold_keying(
    path: str,
    sheet_keyed: str | None,
    model_policy: Policy,
    card: dict,
    root: Path,
    labels_policy: str | None = None,
    crosswalk: Path | None = None,
    model_ref: str = "",
) -> GoldKeying:
    """Which policy the gold labels of ``path`` belong to: its ``policy`` column if it has
    one, else ``--labels-policy``, else the bundled files' policy for a bundled file, else
    the policy the model's own labelled files were keyed to (as train reads such a file).
    Another policy's labels are carried over a reviewed crosswalk, or refused: scored as
    they are, another version's (2)⑤ would be read as this one's."""
    model_id = model_policy.policy_id
    recorded = card.get("labelled")
    labelled: dict = recorded if isinstance(recorded, dict) else {}
    card_keyed = labelled.get("labels_policy")
    if sheet_keyed is not None:
        keyed, why = sheet_keyed, f"{REVIEW_POLICY_COLUMN} column"
    elif labels_policy:
        keyed, why = labels_policy, "--labels-policy"
    elif _is_bundled(path, root):
        keyed, why = BUNDLED_LABELS_POLICY, "a bundled labelled file"
    elif isinstance(card_keyed, str) and card_keyed:
        keyed, why = card_keyed, "the policy the model's labelled files were keyed to"
    else:
        keyed, why = model_id, ""
    if keyed == model_id:
        if labels_policy and sheet_keyed is None and _is_bundled(path, root):
            return GoldKeying(model_policy, note=_bundled_warning(path, labels_policy))
        return GoldKeying(model_policy)
    refusal = (
        f"{path}: its labels belong to policy {keyed} ({why}), the model {model_ref} to "
        f"policy {model_id}"
    )
    if keyed not in built_policies(corpus_root(root)):
        raise InputFileError(
            f"{refusal}; evaluate it with a model of {keyed} (--model models/{keyed})"
        )
    found, changed = (
        (crosswalk, False) if crosswalk else _crosswalk_for(keyed, model_id, labelled, root)
    )
    if found is None:
        raise InputFileError(
            f"{refusal}: scored as they are, {keyed}'s items would be read as {model_id}'s. "
            f"Carry them over a reviewed crosswalk (--crosswalk; propose one with "
            f"`python scripts/revise.py crosswalk --old {keyed} --new {model_id}`), "
            + (
                f"set its {REVIEW_POLICY_COLUMN} column to {model_id}"
                if sheet_keyed is not None
                else f"pass --labels-policy {model_id}"
            )
            + f" if they are {model_id}'s labels, or evaluate with a model of {keyed} "
            f"(--model models/{keyed})"
        )
    note = (
        f"note: the labels of {path} are policy {keyed}'s ({why}); carried to {model_id} "
        f"over the reviewed crosswalk {found}"
        + (
            ""
            if sheet_keyed or why == "a bundled labelled file"
            else f" (pass --labels-policy {model_id} if they are {model_id}'s)"
        )
        + (
            "; it has changed since the model was trained over it (its sha256 is not the "
            "card's), so the figures are not the card's"
            if changed
            else ""
        )
    )
    keyed_policy = read_clauses(corpus_dir(keyed, root))
    carried = read_crosswalk(Path(found), model_policy, keyed_policy)
    if not carried.mapping:
        raise InputFileError(
            f"{refusal}, and no row of the crosswalk {found} is marked reviewed yet: scored "
            f"over it, every labelled row would be left out. Review it (write yes in the "
            f"reviewed column of each row checked), or evaluate with a model of {keyed}"
        )
    return GoldKeying(keyed_policy, carried, note, str(found))


def _bundled_warning(path: str, labels_policy: str) -> str:
    return (
        f"warning: {path} is the bundled labelled file, labelled against "
        f"{BUNDLED_LABELS_POLICY}: --labels-policy {labels_policy} reads its labels as "
        f"{labels_policy}'s"
    )


def _is_bundled(path: str, root: Path) -> bool:
    """Whether ``path`` is (a copy of) one of the bundled labelled files, keyed to r3."""
    if not Path(path).is_file():
        return False
    digest = sha256_file(Path(path))
    return any(
        f.is_file() and sha256_file(f) == digest
        for f in (labelled_requests(root), labelled_review_sheets(root))
    )


def _crosswalk_for(
    keyed: str, model_id: str, labelled: dict, root: Path
) -> tuple[Path | None, bool]:
    """The crosswalk the model was trained over (if unchanged), else the one beside the
    model policy's corpus, where `revise crosswalk` writes it; and whether that one is not
    what the model was trained over (its sha256 is not the card's)."""
    got = labelled.get("crosswalk")
    recorded: dict = got if isinstance(got, dict) else {}
    trained_over = labelled.get("labels_policy") == keyed and isinstance(got, dict)
    if trained_over:
        file = root / str(recorded.get("file", ""))
        if file.is_file() and sha256_file(file) == recorded.get("sha256"):
            return file, False
    beside = crosswalk_in(corpus_dir(model_id, root), keyed)
    if not beside.is_file():
        return None, False
    return beside, trained_over and sha256_file(beside) != recorded.get("sha256")
