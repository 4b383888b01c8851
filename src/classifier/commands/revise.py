"""The revise command: what changed between two policy versions, and the label crosswalk."""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from pathlib import Path

from ..corpus import read_clauses
from ..errors import InputFileError, OutputFileError
from ..paths import corpus_ref, crosswalk_in
from ..revision import crosswalk_csv, diff_policies, propose_crosswalk
from ..tables import atomic_write_bytes
from ..tables.existing import check_replaceable

DIFF_COLUMNS = ("kind", "old_label", "new_label", "similarity", "old_heading", "new_heading")


def _csv_name(output: Path, option: str = "-o") -> None:
    """Both outputs are CSV (Excel opens them); another suffix would hide that."""
    if output.suffix.lower() != ".csv":
        raise OutputFileError(
            f"{option} {output}: revise writes CSV (UTF-8 with BOM, opens in Excel); "
            f"name the file {output.with_suffix('.csv').name}"
        )


def revise_diff(old: str, new: str, output: Path | None = None, force: bool = False) -> int:
    """Print clauses added, removed, renumbered and reworded; optionally write them as CSV
    (replacing only an earlier diff unless ``force``)."""
    replacing = False
    if output:
        _csv_name(output)
        replacing = check_replaceable(output, "-o", ours=DIFF_COLUMNS, fmt="csv", force=force)
    changes = diff_policies(read_clauses(corpus_ref(old)), read_clauses(corpus_ref(new)))
    counts: Counter[str] = Counter()
    for ch in changes:
        counts[ch.kind] += 1
        if ch.kind != "unchanged":
            print(
                f"{ch.kind:<20} {ch.old_label or '-':<8} -> {ch.new_label or '-':<8} "
                f"{ch.similarity:.2f}  {ch.new_heading or ch.old_heading or ''}"
            )
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if output:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(DIFF_COLUMNS)
        for ch in changes:
            writer.writerow(
                [
                    ch.kind,
                    ch.old_label or "",
                    ch.new_label or "",
                    ch.similarity,
                    ch.old_heading or "",
                    ch.new_heading or "",
                ]
            )
        atomic_write_bytes(output, ("\ufeff" + buf.getvalue()).encode("utf-8"))
        if replacing:
            print(f"note: replaced the earlier {output}", file=sys.stderr)
    return 0


def revise_crosswalk(old: str, new: str, output: Path | None = None, force: bool = False) -> int:
    """Propose the old → new crosswalk (never over an existing one without ``force``)."""
    old_policy = read_clauses(corpus_ref(old))
    new_policy = read_clauses(corpus_ref(new))
    if old_policy.policy_id == new_policy.policy_id:
        raise InputFileError(
            f"--old and --new are both policy {new_policy.policy_id}: a crosswalk maps one "
            "version's items to another's"
        )
    out = output or crosswalk_in(corpus_ref(new), old_policy.policy_id)
    _csv_name(out)
    rows = propose_crosswalk(old_policy, new_policy)
    data = crosswalk_csv(rows)
    # The same proposal again (a rerun) holds no review: left as it is, and said.
    same = out.is_file() and out.read_bytes() == data
    if out.exists() and not force and not same:
        raise InputFileError(
            f"{out} exists and may hold an analyst's review; use --force to replace it"
        )
    if not same:
        atomic_write_bytes(out, data)
    kinds: Counter[str] = Counter()
    for r in rows:
        kinds[r["proposal"]] += 1
        if r["proposal"] != "mapped" or r["old_label"] != r["new_label"]:
            print(
                f"{r['proposal']:<10} {r['old_label']:<8} -> {r['new_label'] or '(removed)':<10} "
                f"score {r['score']}  runner-up {r['runner_up']} {r['runner_up_score']}"
            )
    print(
        f"{len(rows)} old items: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f" -> {out} (review it, then mark rows reviewed=yes)"
        + (" (unchanged: the same proposal as the file held)" if same else "")
    )
    return 0
