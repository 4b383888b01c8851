"""The build_corpus command: a policy text → the corpus files of that version."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from ..corpus import CORPUS_FILE_NAMES, SOURCE_NAME, SUMMARY_MAP_NAME, load_policy, write_corpus
from ..errors import InputFileError, OutputFileError
from ..tables.existing import manifest_policy
from ..textutil import plural


def _check_out(source: Path, policy_id: str, out: Path, force: bool) -> None:
    """Rebuilding a corpus from its own source is routine; replacing another policy's
    corpus, another policy text, or files of a folder that is not a corpus is refused
    unless ``force`` (the source copy is raw data, never silently replaced)."""
    if out.exists() and not out.is_dir():
        raise OutputFileError(f"--out {out} is a file; a corpus is a folder: name a folder")
    if force or not out.is_dir():
        return
    retry = "choose another --out, or pass --force to replace it"
    copy = out / SOURCE_NAME
    # A copy of this very text is never replaced (write_corpus leaves equal bytes alone).
    other_text = copy.is_file() and copy.read_bytes() != source.read_bytes()
    manifest = out / "corpus.json"
    if manifest.is_file():
        built = manifest_policy(manifest)
        if built != policy_id:
            held = f"the corpus of policy {built}" if built else "a corpus.json that cannot be read"
            raise OutputFileError(
                f"--out {out} holds {held}; building {policy_id} there would replace it: {retry}"
            )
        if other_text:
            raise OutputFileError(
                f"--out {out} was built from another text of policy {policy_id} "
                f"({copy} differs from {source}); a revised policy is a new version "
                f"(e.g. --policy-id {policy_id}b --out corpus/{policy_id}b/): {retry}"
            )
        return
    names = (*CORPUS_FILE_NAMES, SOURCE_NAME) if other_text else CORPUS_FILE_NAMES
    clash = sorted(n for n in names if (out / n).exists())
    if clash:
        raise OutputFileError(
            f"--out {out} is not a corpus folder (no corpus.json) but has "
            f"{', '.join(clash)}, which building would replace: {retry}"
        )


def build_corpus(
    source: Path,
    policy_id: str,
    out: Path,
    summary_map: Path | None = None,
    quiet: bool = False,
    force: bool = False,
) -> int:
    """Parse ``source`` and write its corpus into ``out``; print the clause tree unless quiet.

    ``summary_map`` defaults to ``out/summary_map.csv`` when that exists. One beside
    ``source`` (OUT elsewhere) is not read, and a note on stderr says so.
    """
    if not source.is_file():
        what = "is a folder: name the policy text file in it" if source.is_dir() else "no such file"
        raise InputFileError(f"{source}: {what}")
    _check_out(source, policy_id, out, force)
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
    elif summary_map is None and policy.summary:
        print(
            f"note: no summary map (--summary-map or OUT/{SUMMARY_MAP_NAME}), so each of the "
            f"{plural(len(policy.summary), 'summary bullet')} is labelled with its area at "
            f"most; write {out / SUMMARY_MAP_NAME} (bullet_id,labels) to label them by item",
            file=sys.stderr,
        )
    return 0
