"""Labelled files → training examples: reading labelled requests and reviewed sheets, and
carrying labels keyed to an older policy over a reviewed crosswalk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputFileError, LabelError
from .labels import LabelledRequest, check_labels, parse_labels
from .policy import Policy
from .sources import resolve_columns, rs
from .tables import InputTable, open_table
from .textutil import cell_text, document_sentences, plural
from .vocab import (
    OUTPUT_MARK_COLUMNS,
    REVIEW_COMMENT_COLUMN,
    REVIEW_LABEL_COLUMN,
    REVIEW_POLICY_COLUMN,
    Scope,
)


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
    try:
        return _read_labelled(table, path, policy, label_column, text_columns, id_column)
    finally:
        table.close()


def _read_labelled(
    table: InputTable,
    path: str | Path,
    policy: Policy | None,
    label_column: str | None,
    text_columns: tuple[str, ...] | None,
    id_column: str | None,
) -> LabelledFileReport:
    is_review = REVIEW_LABEL_COLUMN in table.columns
    if label_column is None:
        if not is_review and all(c in table.columns for c in OUTPUT_MARK_COLUMNS):
            # Its labels column is the model's own prediction: learning from it would
            # replace analysts' labels with the model's guesses.
            raise InputFileError(
                f"{path} is an output of classify: its labels column holds the model's "
                "predictions, not an analyst's. Write a review sheet (classify --review "
                "review.xlsx), fill accepted_label, and train on that"
            )
        label_column = REVIEW_LABEL_COLUMN if is_review else "labels"
    if label_column not in table.columns:
        raise InputFileError(
            f"{path}: no {label_column!r} column; the columns are: {', '.join(table.columns)}"
        )
    layout = resolve_columns(table.columns, text_columns, id_column, str(path))
    texts, id_col = layout.text, layout.id
    col = {name: i for i, name in enumerate(table.columns)}
    source = Path(str(path)).stem
    requests: list[LabelledRequest] = []
    problems: list[str] = []
    unlabelled = left_out = 0
    for row in table.rows:
        where = f"{Path(str(path)).name} row {row.line}"
        try:
            labels = parse_labels(row.cells[col[label_column]])
        except LabelError as exc:
            problems.append(f"{where}: {exc}")
            left_out += 1
            continue
        if labels is None:
            unlabelled += 1
            comment = col.get(REVIEW_COMMENT_COLUMN) if is_review else None
            if comment is not None and cell_text(row.cells[comment]).strip():
                # A reviewer who wrote a comment meant something; say it is not learnt.
                problems.append(
                    f"{where}: a {REVIEW_COMMENT_COLUMN} but no {label_column}, so the row "
                    "is not learnt from"
                )
            continue
        if policy is not None:
            bad = check_labels(labels, policy)
            if bad:
                problems.extend(f"{where}: {b}" for b in bad)
                left_out += 1
                continue
        # Cleaning is the tokeniser's, as for text to classify (a review sheet's ／ line
        # breaks are sentence ends).
        text = "\n".join(cell_text(row.cells[col[c]]) for c in texts).strip()
        amount = _number(row.cells[col["要求額"]]) if "要求額" in col else None
        scope = _scope(row.cells[col["scope"]]) if "scope" in col else ""
        if scope == Scope.OUT and labels:
            problems.append(f"{where}: scope OUT but labels {';'.join(labels)}")
            left_out += 1
            continue
        requests.append(
            LabelledRequest(
                id=(cell_text(row.cells[col[id_col]]).strip() if id_col else "")
                or f"row{row.number}",
                text=text,
                labels=labels,
                ministry=str(row.cells[col["府省庁"]] or "") if "府省庁" in col else "",
                amount=amount,
                split=str(row.cells[col["split"]] or "dev") if "split" in col else "dev",
                scope=scope,
                weight=_number(row.cells[col["weight"]]) or 1.0 if "weight" in col else 1.0,
                source=source,
            )
        )
    if is_review and not requests and not left_out and unlabelled:
        problems.append(
            f"{Path(str(path)).name}: no {label_column} is filled in on any of its "
            f"{plural(unlabelled, 'row')}, so it teaches nothing"
        )
    return LabelledFileReport(tuple(requests), tuple(problems), unlabelled, left_out)


def _scope(value: object) -> str:
    text = cell_text(value).strip().upper()
    return Scope(text).value if text in {s.value for s in Scope} else ""


PRESUMED_SOURCE = "rs2024_presumed_out"


def annotated_ids(path: Path) -> set[str]:
    """The 予算事業ID of every row of an annotated review-sheet file (whatever its labels)."""
    table = open_table(str(path))
    try:
        if rs.ID not in table.columns:
            raise InputFileError(f"{path}: no {rs.ID} column")
        at = table.columns.index(rs.ID)
        return {cell_text(row.cells[at]).strip() for row in table.rows}
    finally:
        table.close()


def presumed_out(
    texts_zip: Path, annotated: Iterable[str], source: str = PRESUMED_SOURCE
) -> list[LabelledRequest]:
    """The review-sheet programmes no annotator read and no cyber term names: out of scope.

    The annotation sample read every programme matching :data:`rs.SAMPLE_PATTERN` and 320
    of the others at random, and none of those 320 was in scope; so an unsampled programme
    without a pattern term is taken as out of scope (its split from the fixed hash).
    """
    table = open_table(str(texts_zip))
    try:
        if not rs.is_review_sheet(table.columns):
            raise InputFileError(f"{texts_zip}: not a review-sheet 1-2 file")
        seen = set(annotated)
        out: list[LabelledRequest] = []
        for row in table.rows:
            cells = dict(zip(table.columns, row.cells, strict=True))
            ident = cell_text(cells[rs.ID]).strip()
            text = rs.programme_text(cells)
            if ident in seen or rs.matches_sample_pattern(text):
                continue
            seen.add(ident)
            out.append(
                LabelledRequest(
                    ident,
                    text,
                    (),
                    ministry=cell_text(cells.get("府省庁")),
                    split=rs.split_of(ident),
                    scope=Scope.OUT.value,
                    source=source,
                )
            )
        return out
    finally:
        table.close()


SENTENCE_SOURCE = "rs2024_out_sentences"


def sentence_negatives(requests: Iterable[LabelledRequest]) -> list[LabelledRequest]:
    """Each sentence naming a security term in a programme annotated out of scope, as a
    short out-of-scope text of its own (id ``<programme>#<k>``).

    Out of scope means no cyber component anywhere in the programme, so every one of its
    sentences is out of scope too: 核セキュリティの人材育成 on its own line teaches the scope
    model what a short request using the word in another sense looks like.
    """
    from .scope import ANCHOR_TERMS

    out = []
    for r in requests:
        if r.scope != Scope.OUT or r.source == PRESUMED_SOURCE:
            continue
        for k, sentence in enumerate(document_sentences(r.text)):
            if ANCHOR_TERMS.search(sentence):
                out.append(
                    replace(r, id=f"{r.id}#{k}", text=sentence, source=SENTENCE_SOURCE, weight=1.0)
                )
    return out


def _number(value: object) -> float | None:
    try:
        return float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class LabelledFiles:
    """What reading several labelled files found (see :func:`read_labelled_files`)."""

    requests: list[LabelledRequest]
    problems: list[str]
    left_out: int  # labelled rows left out because of their problems
    counts: list[str]  # one line per file: rows read by split, unlabelled, left out


def read_labelled_files(paths: Iterable[str | Path], policy: Policy) -> LabelledFiles:
    """Read several labelled files (or reviewed sheets) against one policy.

    Rows of different files never replace each other here: an id seen before is prefixed
    with its file's name (:mod:`classifier.reconcile` then merges copies of one text).
    """
    requests: list[LabelledRequest] = []
    problems: list[str] = []
    counts: list[str] = []
    left_out = 0
    seen: set[str] = set()
    for path in paths:
        report = read_labelled(path, policy)
        problems.extend(report.problems)
        left_out += report.left_out
        n_test = sum(r.split == "test" for r in report.requests)
        counts.append(
            f"{Path(str(path)).name}: {plural(len(report.requests), 'labelled row')} read "
            f"({len(report.requests) - n_test:,} dev, {n_test:,} test), "
            f"{report.unlabelled:,} without a label, {report.left_out:,} left out"
        )
        for r in report.requests:
            if r.id in seen:
                # Prefixed with the file's name, and numbered if that is taken too (an id
                # repeated within a file, or the same file given twice).
                base = f"{Path(str(path)).stem}:{r.id}"
                new_id, k = base, 1
                while new_id in seen:
                    k += 1
                    new_id = f"{base}#{k}"
                r = replace(r, id=new_id)
            seen.add(r.id)
            requests.append(r)
    return LabelledFiles(requests, problems, left_out, counts)


def is_review_sheet(path: str | Path) -> bool:
    """Whether a labelled file is a review sheet written by ``classify --review``."""
    table = open_table(str(path))
    try:
        return REVIEW_LABEL_COLUMN in table.columns
    finally:
        table.close()


def review_policy(path: str | Path) -> str | None:
    """The policy a review sheet's labels belong to, from its ``policy`` column (``None``
    for a sheet written before the column existed, or for another labelled file)."""
    table = open_table(str(path))
    try:
        if REVIEW_POLICY_COLUMN not in table.columns:
            return None
        at = table.columns.index(REVIEW_POLICY_COLUMN)
        found = sorted({cell_text(row.cells[at]).strip() for row in table.rows} - {""})
    finally:
        table.close()
    if len(found) > 1:
        raise InputFileError(
            f"{path}: its {REVIEW_POLICY_COLUMN} column names several policies "
            f"({', '.join(found)}); a review sheet holds the labels of one policy"
        )
    return found[0] if found else None


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
    ``policy`` column names (to ``policy`` when they have none); other files are keyed to
    the policy in ``labels_corpus`` (``None``: to ``policy`` itself). Rows keyed to the
    ``labels_corpus`` policy, when that is another version, are carried over the reviewed
    crosswalk at ``crosswalk_path``; a review sheet of any other policy is left out.
    ``crosswalk_hint`` is the command that proposes a missing crosswalk, for the warning.
    """
    from .corpus import read_clauses
    from .revision import carry_labels, read_crosswalk

    labels_policy = read_clauses(labels_corpus) if labels_corpus is not None else None
    direct: list[Path] = []
    old_keyed: list[Path] = []
    foreign: list[tuple[Path, str]] = []
    for f in files:
        sheet = is_review_sheet(f)
        keyed = review_policy(f) if sheet else None
        if not sheet:
            (old_keyed if labels_policy is not None else direct).append(f)
        elif keyed in (None, policy.policy_id):
            # A review sheet without a policy column predates it: keyed to ``policy``.
            direct.append(f)
        elif labels_policy is not None and keyed == labels_policy.policy_id:
            old_keyed.append(f)
        else:
            foreign.append((f, keyed))
    read = read_labelled_files(direct, policy)
    requests, problems, left_out = read.requests, read.problems, read.left_out
    out = TrainingExamples(requests, notes=list(read.counts))
    out.warnings += [
        f"{f}: its labels belong to policy {keyed}, not {policy.policy_id}: left out. Train "
        f"with --labels-policy {keyed} to carry them over a reviewed crosswalk"
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
    old_read = read_labelled_files(old_keyed, labels_policy)
    old_requests, old_left_out = old_read.requests, old_read.left_out
    out.notes += old_read.counts
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
    )
    out.requests = requests + list(report.requests)
    return out
