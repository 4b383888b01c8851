"""Labelled files → training examples: reading labelled requests and reviewed sheets, and
carrying labels keyed to an older policy over a reviewed crosswalk."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import InputFileError, LabelError
from .labels import LabelledRequest, check_labels, parse_labels, pasted_heading_problems
from .policy import Policy
from .sources import resolve_columns, rs
from .tables import InputTable, find_column, open_table
from .tables.header import nearest_columns
from .textutil import cell_text, document_sentences, has_text, plural
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
    notes: tuple[str, ...] = ()  # what reading the file noticed (cells merged over rows …)


def read_labelled(
    path: str | Path,
    policy: Policy | None = None,
    label_column: str | None = None,
    text_columns: tuple[str, ...] | None = None,
    id_column: str | None = None,
    sheet: str | None = None,
) -> LabelledFileReport:
    """Read labelled requests from CSV/TSV/XLSX/JSONL.

    The label column defaults to ``accepted_label`` in a review sheet written by
    ``classify --review`` and ``labels`` otherwise. Rows whose label cell is empty are
    skipped (counted in ``unlabelled``). With a policy, each label is checked against it;
    bad rows are left out and reported by row number in ``problems``.
    """
    table = open_table(str(path), sheet=sheet)  # (a sheet: of a workbook only)
    try:
        report = _read_labelled(table, path, policy, label_column, text_columns, id_column)
    finally:
        table.close()
    # Known once every row is read: a label cell merged over rows is empty below its first.
    return replace(report, notes=(*report.notes, *table.notes))


def _read_labelled(
    table: InputTable,
    path: str | Path,
    policy: Policy | None,
    label_column: str | None,
    text_columns: tuple[str, ...] | None,
    id_column: str | None,
) -> LabelledFileReport:
    # As retyped (Accepted Label, full-width): still the analyst's column.
    review_column = find_column(table.columns, REVIEW_LABEL_COLUMN)
    is_review = review_column is not None
    if label_column is None:
        if not is_review and all(c in table.columns for c in OUTPUT_MARK_COLUMNS):
            # Its labels column is the model's own guess, never learnt from. A review
            # sheet with its accepted_label misspelt looks the same: name the column.
            near = nearest_columns(table.columns, REVIEW_LABEL_COLUMN)
            if near:
                raise InputFileError(
                    f"{path}: no {REVIEW_LABEL_COLUMN} column{near}; name it "
                    f"{REVIEW_LABEL_COLUMN} (its labels column is the model's own, never "
                    "learnt from)"
                )
            if find_column(table.columns, REVIEW_POLICY_COLUMN) is not None:
                # Only a review sheet has one: its entry column was renamed (採用ラベル).
                raise InputFileError(
                    f"{path} is a review sheet without its {REVIEW_LABEL_COLUMN} column: "
                    f"name the column the reviewers filled in {REVIEW_LABEL_COLUMN} again"
                )
            raise InputFileError(
                f"{path} is an output of classify: its labels column holds the model's "
                "predictions, not an analyst's. Write a review sheet (classify --review "
                "review.xlsx), fill accepted_label, and train on that"
            )
        label_column = review_column or "labels"
    found = find_column(table.columns, label_column)
    if found is None:
        raise InputFileError(
            f"{path}: no {label_column!r} column{nearest_columns(table.columns, label_column)}; "
            f"the columns are: {', '.join(table.columns)}"
        )
    label_column = found
    layout = resolve_columns(table.columns, text_columns, id_column, str(path))
    texts, id_col = layout.text, layout.id
    col = {name: i for i, name in enumerate(table.columns)}
    source = Path(str(path)).stem
    requests: list[LabelledRequest] = []
    problems: list[str] = []
    unlabelled = left_out = 0
    for row in table.rows:
        where = f"{Path(str(path)).name} row {row.line}"
        if is_review and id_col:
            # Its `row` column is the input's row: the id says which request is meant.
            ident = cell_text(row.cells[col[id_col]]).strip()
            where += f" (id {ident})" if ident else ""
        try:
            labels = parse_labels(row.cells[col[label_column]])
        except LabelError as exc:
            problems.append(f"{where}: {exc}")
            left_out += 1
            continue
        if labels is None:
            unlabelled += 1
            named = find_column(table.columns, REVIEW_COMMENT_COLUMN) if is_review else None
            comment = col[named] if named is not None else None
            if comment is not None and cell_text(row.cells[comment]).strip():
                # A reviewer who wrote a comment meant something; say it is not learnt.
                problems.append(
                    f"{where}: a {REVIEW_COMMENT_COLUMN} but no {label_column}, so the row "
                    "is not learnt from"
                )
            continue
        if policy is not None:
            bad = check_labels(labels, policy) or pasted_heading_problems(
                row.cells[col[label_column]], policy
            )
            if bad:
                problems.extend(f"{where}: {b}" for b in bad)
                left_out += 1
                continue
        # A row classify could not read is no text to learn from either (an uncalculated
        # formula's text, a row cut short).
        unreadable = row.error_for([col[c] for c in texts])
        if unreadable is not None:
            problems.append(f"{where}: {unreadable}; the row is not learnt from")
            left_out += 1
            continue
        # Cleaning is the tokeniser's, as for text to classify (／ line breaks end sentences).
        text = "\n".join(cell_text(row.cells[col[c]]) for c in texts).strip()
        if not has_text(text):
            # classify gives such a row empty_text and no label: nothing to learn from.
            problems.append(f"{where}: a label but no text, so the row is not learnt from")
            left_out += 1
            continue
        amount = _number(row.cells[col["要求額"]]) if "要求額" in col else None
        scope = _scope(row.cells[col["scope"]]) if "scope" in col else ""
        if scope == Scope.OUT and labels:
            problems.append(f"{where}: scope OUT but labels {';'.join(labels)}")
            left_out += 1
            continue
        requests.append(
            LabelledRequest(
                id=(cell_text(row.cells[col[id_col]]).strip() if id_col else "")
                or f"row{row.line or row.number}",  # as Excel (and evaluate) number it
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
    return LabelledFileReport(tuple(requests), tuple(problems), unlabelled, left_out, layout.notes)


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


def source_names(paths: Sequence[str | Path]) -> list[str]:
    """A distinct source name for each labelled file, in order: its name without suffix,
    numbered (``review(2)``) when an earlier file has that name (2024/review.xlsx beside
    2025/review.xlsx), so rows of two files are never taken for rows of one."""
    names: list[str] = []
    for path in paths:
        stem, k = Path(str(path)).stem, 1
        name = stem
        while name in names:
            k += 1
            name = f"{stem}({k})"
        names.append(name)
    return names


def read_labelled_files(
    paths: Sequence[str | Path],
    policy: Policy,
    names: Sequence[str] | None = None,
    seen: set[str] | None = None,
    sheet: str | None = None,
) -> LabelledFiles:
    """Read several labelled files (or reviewed sheets) against one policy.

    ``names`` are the files' source names (default :func:`source_names`); ``seen`` the
    ids taken by files read before. Rows of different files never replace each other
    here: an id seen before is prefixed with its file's source name
    (:mod:`classifier.reconcile` then merges copies of one text).
    """
    names = list(names) if names is not None else source_names(paths)
    seen = set() if seen is None else seen
    requests: list[LabelledRequest] = []
    problems: list[str] = []
    counts: list[str] = []
    left_out = 0
    for path, name in zip(paths, names, strict=True):
        report = read_labelled(path, policy, sheet=sheet)
        problems.extend(report.problems)
        left_out += report.left_out
        n_test = sum(r.split == "test" for r in report.requests)
        counts.append(
            f"{Path(str(path)).name}: {plural(len(report.requests), 'labelled row')} read "
            f"({len(report.requests) - n_test:,} dev, {n_test:,} test), "
            f"{report.unlabelled:,} without a label, {report.left_out:,} left out"
        )
        counts += [f"note: {n}" for n in report.notes]
        for r in report.requests:
            if r.id in seen:
                # Prefixed with the file's name, and numbered if that is taken too (an id
                # repeated within a file, or the same file given twice).
                base = f"{name}:{r.id}"
                new_id, k = base, 1
                while new_id in seen:
                    k += 1
                    new_id = f"{base}#{k}"
                r = replace(r, id=new_id)
            seen.add(r.id)
            requests.append(r if r.source == name else replace(r, source=name))
    return LabelledFiles(requests, problems, left_out, counts)


def is_review_sheet(path: str | Path, sheet: str | None = None) -> bool:
    """Whether a labelled file is a review sheet written by ``classify --review``."""
    table = open_table(str(path), sheet=sheet)
    try:
        return find_column(table.columns, REVIEW_LABEL_COLUMN) is not None
    finally:
        table.close()


def review_policy(path: str | Path, sheet: str | None = None) -> str | None:
    """The policy a review sheet's labels belong to, from its ``policy`` column (``None``
    for a sheet written before the column existed, or for another labelled file)."""
    table = open_table(str(path), sheet=sheet)
    try:
        named = policy_column(path, table.columns)
        if named is None:
            return None
        at = table.columns.index(named)
        return sheet_policy(path, [cell_text(row.cells[at]) for row in table.rows])
    finally:
        table.close()


def policy_column(path: str | Path, columns: Sequence[str]) -> str | None:
    """A review sheet's ``policy`` column as it may have been retyped; one misspelt
    (``polcy``) is refused, since read as no column at all its labels would be taken for
    another policy's without a word."""
    named = find_column(columns, REVIEW_POLICY_COLUMN)
    if named is None and find_column(columns, REVIEW_LABEL_COLUMN) is not None:
        near = difflib.get_close_matches(
            REVIEW_POLICY_COLUMN, [c.strip().lower() for c in columns], n=1, cutoff=0.8
        )
        if near:
            raise InputFileError(
                f"{path}: no {REVIEW_POLICY_COLUMN} column, but {near[0]!r} looks like one: "
                f"rename it {REVIEW_POLICY_COLUMN} (it names the policy the sheet's labels "
                "belong to)"
            )
    return named


def sheet_policy(path: str | Path, values: Iterable[str]) -> str | None:
    """The one policy a review sheet's ``policy`` cells name (blanks aside), ``None`` if
    they name none; several is an error. ``Ｒ３`` and ``R3`` are read as the policy r3 when
    that is the one built."""
    from .paths import built_policies

    built = {b.lower(): b for b in built_policies()}
    cells = {unicodedata.normalize("NFKC", v).strip() for v in values} - {""}
    found = sorted({built.get(v.lower(), v) for v in cells})
    if len(found) > 1:
        raise InputFileError(
            f"{path}: its {REVIEW_POLICY_COLUMN} column names several policies "
            f"({', '.join(found)}); a review sheet holds the labels of one policy"
        )
    return found[0] if found else None
