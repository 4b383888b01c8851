"""Corpus files of one policy version: write them from a parsed policy, read them back.

Layout of ``corpus/<policy-id>/``::

    source.txt        the raw policy text, byte-for-byte as published (never edited)
    PROVENANCE.md     title, issuing body, date, sha256 of source.txt (written by hand)
    summary_map.csv   reviewed: summary-slide bullet id -> policy labels it summarises
    clauses.jsonl     generated: one Clause per line
    clauses.csv       generated: the same for Excel (UTF-8 with BOM)
    summary.jsonl     generated: summary-slide entries with their labels
    artefacts.jsonl   generated: what was removed from the text as PDF furniture
    corpus.json       generated: policy id, title, sha256 of source and of the files above

Every generated file is a pure function of ``source.txt`` and ``summary_map.csv``, written
with fixed key order and line endings, so rebuilding gives byte-identical files.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import TypeVar

from .errors import InputFileError, LabelError, PolicyParseError
from .labels import parse_labels
from .paths import built_policies, policies_text
from .policy import Artefact, Clause, Policy, SummaryEntry
from .tables import atomic_write_bytes, open_table
from .textutil import cell_text
from .vocab import Level

T = TypeVar("T")

SOURCE_NAME = "source.txt"
SUMMARY_MAP_NAME = "summary_map.csv"
CLAUSE_CSV_COLUMNS = (
    "label",
    "parent",
    "level",
    "heading",
    "text",
    "path",
    "marker",
    "line_start",
    "line_end",
    "is_target",
    "policy_id",
)


def read_policy_text(path: Path) -> str:
    """Read a policy text file as UTF-8 (with or without BOM), with a clear error otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:  # no such file, a folder, no permission
        raise PolicyParseError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise PolicyParseError(f"{path}: the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # What Notepad and Word save as "Unicode": its BOM says so.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise PolicyParseError(f"{path}: not readable as the UTF-16 its BOM says") from None
    if b"\x00" in data[:4096]:
        raise PolicyParseError(f"{path}: this is a binary file, not the policy text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8 = exc
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        pass
    line = data[: utf8.start].count(b"\n") + 1
    raise PolicyParseError(
        f"{path}: not readable as UTF-8 or Shift_JIS text (line {line} holds byte(s) "
        f"{data[utf8.start : utf8.end].hex(' ')} that UTF-8 does not allow); save it again "
        "as UTF-8"
    )


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a small reviewed table (CSV as Excel re-saves it, or XLSX), as dicts."""
    table = open_table(str(path))
    missing = [c for c in required if c not in table.columns]
    if missing:
        table.close()
        raise InputFileError(
            f"{path}: no column {', '.join(missing)}; the columns are: {', '.join(table.columns)}"
        )
    return [
        {c: cell_text(v).strip() for c, v in zip(table.columns, row.cells, strict=True)}
        for row in table.rows
    ]


def read_summary_map(path: Path) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Read ``summary_map.csv``: bullet id -> labels, and bullet id -> expected text start."""
    labels: dict[str, tuple[str, ...]] = {}
    starts: dict[str, str] = {}
    for row in _rows(path, ("bullet_id", "labels")):
        bullet = row["bullet_id"]
        if not bullet:
            continue
        try:
            labels[bullet] = parse_labels(row["labels"]) or ()
        except LabelError as exc:
            raise LabelError(f"{path}: bullet {bullet}: {exc}") from None
        starts[bullet] = row.get("text_start", "")
    return labels, starts


def check_summary_map(policy: Policy, starts: Mapping[str, str], mapped: bool = True) -> list[str]:
    """Problems with the summary map: unknown labels raise, stale text only warns.
    Without a map (``mapped`` false) a bullet's label is the area its slide names."""
    known = set(policy.labels)
    warnings: list[str] = []
    by_id = {s.id: s for s in policy.summary}
    for entry in policy.summary:
        for label in entry.labels:
            if label in known:
                continue
            if not mapped:  # the label is the area the summary slide's heading names
                raise LabelError(
                    f"the summary slide names area {label} (bullet {entry.id}, "
                    f"{entry.text[:20]!r}…) but the text has no {label}: is the text cut "
                    "short, or an area's heading lost in extraction?"
                )
            raise LabelError(
                f"summary_map.csv: bullet {entry.id} names label {label!r}, "
                f"which this policy does not have"
            )
    for bullet, start in starts.items():
        found = by_id.get(bullet)
        if found is None:
            warnings.append(f"summary_map.csv: bullet {bullet} is not on the summary slide")
        elif start and not found.text.startswith(start):
            warnings.append(
                f"summary_map.csv: bullet {bullet} now starts {found.text[:15]!r}, "
                f"not {start!r}; review the mapping"
            )
    return warnings


def load_policy(
    source: Path, policy_id: str, summary_map: Path | None = None
) -> tuple[Policy, list[str]]:
    """Parse ``source`` (and its summary map, if any) into a Policy plus warnings."""
    text = read_policy_text(source)
    mapping, starts = read_summary_map(summary_map) if summary_map else (None, {})
    # the parser: building only, not classify
    from .policy.parse import parse_policy_checked

    policy, noticed = parse_policy_checked(text, policy_id, mapping)
    return policy, [*noticed, *check_summary_map(policy, starts, summary_map is not None)]


def _jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def _clause_dict(c: Clause) -> dict:
    d = asdict(c)
    d["path"] = list(c.path)
    d["lines"] = list(c.lines)
    return d


def clauses_csv_bytes(clauses: tuple[Clause, ...]) -> bytes:
    """The clause table as UTF-8-with-BOM CSV so Excel shows the Japanese correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CLAUSE_CSV_COLUMNS)
    for c in clauses:
        row = _clause_dict(c)
        row["path"] = " > ".join(c.path)
        row["is_target"] = "1" if c.is_target else "0"
        writer.writerow(["" if row[k] is None else row[k] for k in CLAUSE_CSV_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# The files build_corpus generates (besides the copy of the source), by name.
CORPUS_FILE_NAMES = (
    "clauses.jsonl",
    "clauses.csv",
    "summary.jsonl",
    "artefacts.jsonl",
    "corpus.json",
)


def corpus_files(policy: Policy, source_sha: str) -> dict[str, bytes]:
    """Every generated corpus file, by name, as bytes."""
    files = {
        "clauses.jsonl": _jsonl([_clause_dict(c) for c in policy.clauses]),
        "clauses.csv": clauses_csv_bytes(policy.clauses),
        "summary.jsonl": _jsonl([{**asdict(s), "labels": list(s.labels)} for s in policy.summary]),
        "artefacts.jsonl": _jsonl([asdict(a) for a in policy.artefacts]),
    }
    manifest = {
        "policy_id": policy.policy_id,
        "title": policy.title,
        "source_sha256": source_sha,
        "n_clauses": len(policy.clauses),
        "n_targets": len(policy.targets),
        "n_summary_entries": len(policy.summary),
        "n_artefacts": len(policy.artefacts),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files["corpus.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    return files


def write_corpus(policy: Policy, source: Path, out_dir: Path) -> dict[str, bytes]:
    """Copy the raw source into ``out_dir`` (if it is not already there) and write the files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target_source = out_dir / SOURCE_NAME
    raw = Path(source).read_bytes()
    if not target_source.exists() or target_source.read_bytes() != raw:
        atomic_write_bytes(target_source, raw)
    files = corpus_files(policy, hashlib.sha256(raw).hexdigest())
    for name, data in files.items():
        atomic_write_bytes(out_dir / name, data)
    return files


def read_clauses(corpus_dir: Path) -> Policy:
    """Load a built corpus back into a Policy (without re-parsing the source)."""
    corpus_dir = Path(corpus_dir)
    path = corpus_dir / "clauses.jsonl"
    if corpus_dir.is_file():
        raise PolicyParseError(
            f"{corpus_dir} is a file, not a corpus folder; build the policy text into one "
            f"with `python scripts/build_corpus.py {corpus_dir} --policy-id ID --out DIR`"
        )
    if not path.exists():
        # A mistyped policy id is likelier than a new policy: name the ones built beside it.
        beside = (
            f" ({policies_text(corpus_dir.parent)})" if built_policies(corpus_dir.parent) else ""
        )
        raise PolicyParseError(
            f"{corpus_dir} has no clauses.jsonl{beside}; build it with "
            f"`python scripts/build_corpus.py SOURCE.txt --policy-id ID --out {corpus_dir}`"
        )
    clause_fields = {f.name for f in fields(Clause)}

    def clause(d: dict) -> Clause:
        d["path"] = tuple(d["path"])
        d["lines"] = tuple(d["lines"])
        d["level"] = Level(d["level"])  # the same enum parse_policy gives
        return Clause(**{k: v for k, v in d.items() if k in clause_fields})

    def entry(d: dict) -> SummaryEntry:
        d["labels"] = tuple(d["labels"])
        return SummaryEntry(**d)

    clauses = _records(path, clause)
    spath = corpus_dir / "summary.jsonl"
    summary = _records(spath, entry) if spath.exists() else []
    apath = corpus_dir / "artefacts.jsonl"
    artefacts = _records(apath, lambda d: Artefact(**d)) if apath.exists() else []
    mpath = corpus_dir / "corpus.json"
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        policy_id, title = manifest["policy_id"], manifest["title"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise PolicyParseError(f"{mpath}: {_damaged(exc)}; {_rebuild(corpus_dir)}") from None
    return Policy(policy_id, title, tuple(clauses), tuple(summary), tuple(artefacts))


def _records(path: Path, make: Callable[[dict], T]) -> list[T]:
    """One record per line of a generated JSONL file; a line edited or damaged by hand is
    a PolicyParseError naming it (the files are rebuilt, never meant to be edited)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyParseError(f"{path}: {_damaged(exc)}; {_rebuild(path.parent)}") from None
    out = []
    for no, line in enumerate(lines, start=1):
        try:
            out.append(make(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise PolicyParseError(
                f"{path}, line {no}: {_damaged(exc)}; {_rebuild(path.parent)}"
            ) from None
    return out


def _damaged(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot be read ({exc.strerror or exc})"
    if isinstance(exc, KeyError):
        return f"not a record of this corpus (no {exc})"
    return f"not a record of this corpus ({exc})"


def _rebuild(corpus_dir: Path) -> str:
    source = corpus_dir / SOURCE_NAME
    return (
        "the files beside source.txt are generated: rebuild them with `python "
        f"scripts/build_corpus.py {source} --policy-id {corpus_dir.name} --out {corpus_dir}`"
    )


def read_thesaurus(path: Path | None) -> tuple[tuple[str, str], ...]:
    """``(term, concept)`` pairs from a thesaurus table (columns ``term,concept``)."""
    if path is None or not Path(path).is_file():
        return ()
    pairs = {(r["term"], r["concept"]) for r in _rows(Path(path), ("term", "concept"))}
    return tuple(sorted(p for p in pairs if p[0] and p[1]))
