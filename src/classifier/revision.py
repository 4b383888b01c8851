"""Between two policy versions: what changed, and how old labels map to new ones.

Clauses are matched by text, not by number: each clause's heading and own text become a
character n-gram TF-IDF vector (no tokeniser needed, robust to small rewording), and an
optimal one-to-one assignment pairs old and new clauses whose similarity clears a floor.

* :func:`diff_policies` lists clauses added, removed, renumbered and reworded.
* :func:`propose_crosswalk` proposes, for every old target label, the new label it most
  likely became, with scores and the runner-up, as rows for an analyst to review. Nothing
  is applied until a row is marked reviewed (:func:`read_crosswalk`).
* :func:`carry_labels` rewrites labelled requests through a reviewed crosswalk and counts
  what was carried unchanged, remapped, and dropped; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.feature_extraction.text import TfidfVectorizer

from .errors import InputFileError, LabelError
from .labels import LabelledRequest, check_labels, normalize_label, parse_labels
from .policy import Clause, Policy
from .textutil import clean_text, non_ws, squeeze

MATCH_FLOOR = 0.35  # below this a pairing is not the same clause
AMBIGUOUS_MARGIN = 0.08  # runner-up this close: the analyst must decide
CROSSWALK_COLUMNS = (
    "old_label",
    "old_heading",
    "new_label",
    "new_heading",
    "score",
    "runner_up",
    "runner_up_score",
    "proposal",
    "reviewed",
    "comment",
)


@dataclass(frozen=True)
class ClauseChange:
    """One line of a diff between two policy versions."""

    kind: str  # unchanged | reworded | renumbered | renumbered+reworded | added | removed
    old_label: str | None
    new_label: str | None
    similarity: float
    old_heading: str | None = None
    new_heading: str | None = None


def _doc(c: Clause) -> str:
    return non_ws((c.heading or "") + c.text)


def _comparable(policy: Policy) -> list[Clause]:
    return [c for c in policy.clauses if c.depth >= 1]


def similarity(old: Sequence[Clause], new: Sequence[Clause]) -> np.ndarray:
    """Cosine similarity of every old clause to every new clause (character 2–3-grams)."""
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True)
    vec.fit([_doc(c) for c in (*old, *new)])
    a = vec.transform([_doc(c) for c in old])
    b = vec.transform([_doc(c) for c in new])
    sim = (a @ b.T).toarray()
    # Same depth (item vs item) is the normal case; crossing levels needs more evidence.
    depth_old = np.array([c.depth for c in old])[:, None]
    depth_new = np.array([c.depth for c in new])[None, :]
    return sim * np.where(depth_old == depth_new, 1.0, 0.85)


def _assignment(sim: np.ndarray) -> dict[int, int]:
    rows, cols = linear_sum_assignment(-sim)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if sim[r, c] >= MATCH_FLOOR}


def diff_policies(old: Policy, new: Policy) -> list[ClauseChange]:
    """Clauses added, removed, renumbered and reworded between ``old`` and ``new``."""
    a, b = _comparable(old), _comparable(new)
    sim = similarity(a, b)
    pairs = _assignment(sim)
    changes: list[ClauseChange] = []
    matched_new = set(pairs.values())
    for i, c in enumerate(a):
        if i not in pairs:
            best = float(sim[i].max()) if sim.shape[1] else 0.0
            changes.append(
                ClauseChange("removed", c.label, None, round(best, 3), _short_heading(c), None)
            )
            continue
        d = b[pairs[i]]
        # The heading apart too: a line moving between heading and text changes no _doc.
        same_text = _doc(c) == _doc(d) and non_ws(c.heading or "") == non_ws(d.heading or "")
        if c.label == d.label:
            kind = "unchanged" if same_text else "reworded"
        else:
            kind = "renumbered" if same_text else "renumbered+reworded"
        changes.append(
            ClauseChange(
                kind,
                c.label,
                d.label,
                round(float(sim[i, pairs[i]]), 3),
                _short_heading(c),
                _short_heading(d),
            )
        )
    for j, d in enumerate(b):
        if j not in matched_new:
            best = float(sim[:, j].max()) if sim.shape[0] else 0.0
            changes.append(
                ClauseChange("added", None, d.label, round(best, 3), None, _short_heading(d))
            )
    return changes


def propose_crosswalk(old: Policy, new: Policy) -> list[dict[str, str]]:
    """A reviewable old → new mapping of every old classification target."""
    a, b = list(old.targets), list(new.targets)
    # Scored in the same n-gram space as diff_policies (fitted on every clause), so the two
    # give a pair the same similarity.
    ca, cb = _comparable(old), _comparable(new)
    rows_a = [k for k, c in enumerate(ca) if c.is_target]
    cols_b = [k for k, c in enumerate(cb) if c.is_target]
    sim = similarity(ca, cb)[np.ix_(rows_a, cols_b)]
    pairs = _assignment(sim)
    taken = set(pairs.values())
    rows = []
    for i, c in enumerate(a):
        order = np.argsort(-sim[i], kind="stable")
        best = int(order[0]) if len(order) else None
        chosen = pairs.get(i, best)
        # Left out of the one-to-one assignment, it falls back on its best match: a merge
        # of two old items into one new one, or an item removed. Another old item already
        # maps there, so only a reviewer can tell which (never proposed as mapped).
        merged = i not in pairs and chosen in taken
        runner = next((int(j) for j in order if int(j) != chosen), None)
        score = float(sim[i, chosen]) if chosen is not None else 0.0
        runner_score = float(sim[i, runner]) if runner is not None else 0.0
        if chosen is None or score < MATCH_FLOOR:
            proposal, new_label = "removed", ""
        elif merged or score - runner_score < AMBIGUOUS_MARGIN:
            proposal, new_label = "ambiguous", b[chosen].label
        else:
            proposal, new_label = "mapped", b[chosen].label
        rows.append(
            {
                "old_label": c.label,
                "old_heading": _short_heading(c),
                "new_label": new_label,
                "new_heading": _short_heading(b[chosen])
                if chosen is not None and new_label
                else "",
                "score": f"{score:.3f}",
                "runner_up": b[runner].label if runner is not None else "",
                "runner_up_score": f"{runner_score:.3f}",
                "proposal": proposal,
                "reviewed": "",
                "comment": "",
            }
        )
    return rows


def _short_heading(c: Clause) -> str:
    """A clause's heading, or for a sub-item (which has none) the start of its text, so a
    reviewer sees what changed."""
    return c.heading or c.text[:40]


def crosswalk_csv(rows: Iterable[dict[str, str]]) -> bytes:
    """The crosswalk as UTF-8-with-BOM CSV (opens in Excel for review)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CROSSWALK_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class Crosswalk:
    """The reviewed part of a crosswalk: old label → new label (``None`` = item removed)."""

    mapping: dict[str, str | None]
    unreviewed: tuple[str, ...]


# Marks compared after NFKC and lower-casing, so ＹＥＳ and Ｙ count as yes.
REVIEWED = frozenset("yes y 1 true ok 済 済み レビュー済 はい ○ 〇 ◯ ✓ ✔ レ".split())
NOT_REVIEWED = frozenset({"", "no", "n", "0", "false", "未", "未済", "いいえ", "×", "✗", "✕"})


def _reviewed(mark: str, where: str) -> bool:
    """Whether a crosswalk row's ``reviewed`` cell says it is reviewed. A mark that is
    neither (``x`` means yes on some forms and no on Japanese ones) is refused, not guessed."""
    key = unicodedata.normalize("NFKC", mark).strip().lower()
    if key in REVIEWED:
        return True
    if key in NOT_REVIEWED:
        return False
    raise InputFileError(
        f"{where}: reviewed {mark!r} is not a mark train knows: write yes (or はい, ○, 済, 1) "
        "for a reviewed row, or leave the cell empty"
    )


_NEEDED = ("old_label", "new_label", "reviewed")


def _crosswalk_columns(path: Path, columns: list[str]) -> dict[str, int]:
    """Where the crosswalk's columns are, as an analyst may have retyped their names
    (``Reviewed``, full-width); a missing one is refused, never read as all empty: without
    its reviewed column every row would count as not reviewed."""
    from .tables.header import find_column, nearest_columns

    found = {name: find_column(columns, name) for name in (*_NEEDED, "old_heading")}
    missing = [name for name in _NEEDED if found[name] is None]
    if missing:
        raise InputFileError(
            f"{path}: a crosswalk needs the columns {', '.join(_NEEDED)}; it has no "
            f"{missing[0]}{nearest_columns(columns, missing[0])} (the columns are: "
            f"{', '.join(columns)})"
        )
    return {name: columns.index(c) for name, c in found.items() if c is not None}


def _check_heading(where: str, label: str, heading: str, old: Policy) -> None:
    """A reviewer edits new_label, never the old side: an old_label that is no item of the
    old policy (a typo, a 合計 row), or an old_heading that is not the old policy's heading
    of old_label, says the crosswalk was edited on the wrong side or is for other versions."""
    clause = next((c for c in old.targets if c.label == label), None)
    if clause is None:
        # Its row would map nothing, and the requests of the item meant would be left out
        # as having no row at all.
        (problem,) = check_labels([label], old) or [f"{label!r} is no item"]
        raise InputFileError(
            f"{where}: old_label is not an item of policy {old.policy_id}: {problem}; the "
            "old side is the crosswalk's own (a reviewer edits new_label): put it back, or "
            "delete the row"
        )
    if not heading:
        return
    if squeeze(clean_text(heading)) != squeeze(clean_text(_short_heading(clause))):
        raise InputFileError(
            f"{where}: old_label {label} is headed {heading[:40]!r} here, but "
            f"{_short_heading(clause)[:40]!r} in policy {old.policy_id}: this crosswalk maps "
            f"another version's items; use the crosswalk from {old.policy_id} (propose it "
            f"with `python scripts/revise.py crosswalk --old {old.policy_id} --new "
            "<the model's policy>`)"
        )


def read_crosswalk(path: Path, new: Policy, old_policy: Policy | None = None) -> Crosswalk:
    """Read a crosswalk (CSV as written, or as Excel re-saves it: CP932, CRLF; or XLSX);
    only rows marked reviewed (yes, はい, ○, 済, 1, …) are applied. With ``old_policy``
    (the policy the labels belong to), its old_heading column is checked against it."""
    from .tables import open_table

    if not Path(path).is_file():
        raise InputFileError(f"{path}: no such crosswalk file")
    table = open_table(str(path))
    try:
        col = _crosswalk_columns(path, table.columns)
        known = {c.label for c in new.targets}
        mapping: dict[str, str | None] = {}
        first_row: dict[str, int] = {}
        unreviewed = []
        for row in table.rows:
            cells = {name: str(row.cells[i] or "").strip() for name, i in col.items()}
            where = f"{path} row {row.line}"
            try:
                old = normalize_label(cells["old_label"]) if cells["old_label"] else ""
                if not old:
                    continue
                if old_policy is not None:
                    _check_heading(where, old, cells.get("old_heading", ""), old_policy)
                if not _reviewed(cells["reviewed"], where):
                    unreviewed.append(old)
                    continue
                raw = cells["new_label"]
                parsed = parse_labels(raw) or ()  # () for empty or NONE: the item was removed
                if len(parsed) > 1:
                    raise InputFileError(
                        f"{where}: new_label {raw!r} names several labels; a crosswalk row "
                        "maps an old item to one new item (or to none: NONE, or empty)"
                    )
                target = parsed[0] if parsed else ""
            except LabelError as exc:
                # An empty new_label is not "skip this row": it says the item was removed.
                raise InputFileError(
                    f"{where}: {exc} (in a crosswalk an empty new_label, like NONE, means "
                    "the old item was removed)"
                ) from None
            if target and target not in known:
                raise InputFileError(
                    f"{where}: new_label {raw!r} is not a target of the new policy"
                )
            if old in mapping and mapping[old] != (target or None):
                # A row copied in Excel and edited: which one is meant cannot be guessed,
                # and the last one would silently relabel every request of the old item.
                raise InputFileError(
                    f"{where}: old_label {old} is mapped again, to {target or 'NONE'}, after "
                    f"row {first_row[old]} mapped it to {mapping[old] or 'NONE'}; keep one "
                    "reviewed row per old item"
                )
            first_row.setdefault(old, row.line)
            mapping[old] = target or None
    finally:
        table.close()
    return Crosswalk(mapping, tuple(unreviewed))


@dataclass(frozen=True)
class CarryReport:
    """What happened to each labelled request when moved to the new policy."""

    requests: tuple[LabelledRequest, ...]
    carried: int  # every label kept its spelling
    remapped: int  # at least one label was renamed
    dropped: int  # no label survived: the request is left out
    labels_dropped: int  # individual labels that mapped to a removed item
    unmapped: int  # requests left out because a label's crosswalk row is not reviewed
    reduced: int = 0  # no label renamed, but one lost (its item was removed); others kept
    missing: int = 0  # requests left out because a label has no crosswalk row at all
    missing_labels: tuple[str, ...] = ()  # those labels, sorted


class Carried(StrEnum):
    """What happened to one request's labels on the way to the new policy."""

    CARRIED = "carried"  # every label kept its spelling
    REMAPPED = "remapped"  # at least one label was renamed
    REDUCED = "reduced"  # none renamed, but one lost (its item was removed); others kept
    DROPPED = "dropped"  # no label survived: the request is left out
    UNMAPPED = "unmapped"  # a label's crosswalk row is not reviewed: left out
    MISSING = "missing"  # a label has no crosswalk row at all: left out


def carry_one(
    labels: tuple[str, ...], crosswalk: Crosswalk
) -> tuple[Carried, tuple[str, ...], tuple[str, ...]]:
    """One request's labels through a reviewed crosswalk: (what happened, the new labels,
    the labels with no crosswalk row). Out-of-scope (no labels) carries as it is."""
    if not labels:
        return Carried.CARRIED, labels, ()
    absent = [lab for lab in labels if lab not in crosswalk.mapping]
    if absent:
        # Not reviewed yet, or no row at all (deleted from the file): said apart.
        unknown = tuple(lab for lab in absent if lab not in crosswalk.unreviewed)
        return (Carried.MISSING if unknown else Carried.UNMAPPED), (), unknown
    new_labels = [crosswalk.mapping[lab] for lab in labels]
    kept = tuple(dict.fromkeys(lab for lab in new_labels if lab))
    if not kept:
        return Carried.DROPPED, (), ()
    if any(new and new != old for old, new in zip(labels, new_labels, strict=True)):
        return Carried.REMAPPED, kept, ()
    return (Carried.REDUCED if kept != labels else Carried.CARRIED), kept, ()


def carry_labels(requests: Sequence[LabelledRequest], crosswalk: Crosswalk) -> CarryReport:
    """Rewrite labels through a reviewed crosswalk. Out-of-scope requests carry as they are."""
    out: list[LabelledRequest] = []
    counts = dict.fromkeys(Carried, 0)
    labels_dropped = 0
    no_row: set[str] = set()
    for r in requests:
        kind, kept, unknown = carry_one(r.labels, crosswalk)
        counts[kind] += 1
        no_row.update(unknown)
        if kind in (Carried.UNMAPPED, Carried.MISSING):
            continue
        labels_dropped += sum(1 for lab in r.labels if crosswalk.mapping[lab] is None)
        if kept:
            out.append(replace(r, labels=kept))
        elif not r.labels:
            out.append(r)
    return CarryReport(
        tuple(out),
        counts[Carried.CARRIED],
        counts[Carried.REMAPPED],
        counts[Carried.DROPPED],
        labels_dropped,
        counts[Carried.UNMAPPED],
        counts[Carried.REDUCED],
        counts[Carried.MISSING],
        tuple(sorted(no_row)),
    )
