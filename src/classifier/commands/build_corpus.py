"""The build_corpus command: a policy text → the corpus files of that version."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from ..corpus import SUMMARY_MAP_NAME, load_policy, write_corpus
from ..errors import InputFileError
from ..textutil import plural


def build_corpus(
    source: Path,
    policy_id: str,
    out: Path,
    summary_map: Path | None = None,
    quiet: bool = False,
) -> int:
    """Parse ``source`` and write its corpus into ``out``; print the clause tree unless quiet.

    ``summary_map`` defaults to ``out/summary_map.csv`` when that exists. One beside
    ``source`` (OUT elsewhere) is not read, and a note on stderr says so.
    """
    if not source.is_file():
        raise InputFileError(f"{source}: no such file")
    unused = None  # a summary map beside SOURCE that is not read (OUT is elsewhere)
    if summary_map is None:
        if (out / SUMMARY_MAP_NAME).is_file():
            summary_map = out / SUMMARY_MAP_NAME
        elif (source.parent / SUMMARY_MAP_NAME).is_file():
            unused = source.parent / SUMMARY_MAP_NAME
    policy, warnings = load_policy(source, policy_id, summary_map)
    write_corpus(policy, source, out)
    if not quiet:
        print(f"{policy.policy_id}: {policy.title}")
        for c in policy.clauses:
            indent = "  " * (c.depth + 1)
            mark = "  *" if c.is_target else ""
            print(f"{indent}{c.label}  {c.heading or ''}{mark}".rstrip())
    kinds = Counter(a.kind for a in policy.artefacts)
    detail = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    print(
        f"{plural(len(policy.clauses), 'clause')} "
        f"({plural(len(policy.targets), 'classification target')}, marked *), "
        f"{plural(len(policy.summary), 'summary entry', 'summary entries')}, "
        f"{plural(len(policy.artefacts), 'artefact')} removed ({detail or 'none'}) -> {out}"
    )
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if unused is not None:
        print(
            f"note: {unused} (beside SOURCE) was not used: only --summary-map or "
            f"OUT/{SUMMARY_MAP_NAME} is read, and {out} has none, so each summary bullet is "
            f"labelled with its area at most; pass --summary-map {unused} to use it",
            file=sys.stderr,
        )
    return 0
