"""Analyst labels: parsing, normalising and validating them, and reading labelled files."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import InputFileError, LabelError
from .files import open_table
from .model import OUT_OF_SCOPE, LabelledRequest
from .policy import Policy
from .tokens import clean_text

NONE_SPELLINGS = frozenset({"none", "対象外", "該当なし", "なし", "out_of_scope", "-"})
_ROMAN_ASCII = {
    "i": "ⅰ",
    "ii": "ⅱ",
    "iii": "ⅲ",
    "iv": "ⅳ",
    "v": "ⅴ",
    "vi": "ⅵ",
    "vii": "ⅶ",
    "viii": "ⅷ",
    "ix": "ⅸ",
    "x": "ⅹ",
}
_ROMAN_UPPER = str.maketrans("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ", "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ")
_SPLIT = re.compile(r"[;；\n]+")
_LABEL_HEAD = re.compile(r"^\s*(\S+)")
TEXT_FIELDS = ("事業名", "事業概要")


def normalize_label(raw: str) -> str:
    """Canonical spelling of a label typed by hand: ``（２）③ ii`` → ``(2)③ⅱ``.

    Anything after the label itself (``(2)③ 政府機関…``) is ignored.
    """
    s = str(raw).strip()
    if s.lower() in NONE_SPELLINGS or s.upper() == OUT_OF_SCOPE:
        return OUT_OF_SCOPE
    s = s.translate(str.maketrans("（）０１２３４５６７８９　", "()0123456789 "))
    s = re.sub(r"\(\s*(\d+)\s*\)\s*(?=[①-⑳])", r"(\1)", s)
    s = re.sub(r"\(\s*(\d+)\s*\)", r"(\1)", s)
    s = re.sub(r"(?<=[①-⑳])\s+(?=[ⅰ-ⅹⅠ-Ⅹ]|(?:[ivx]+|[IVX]+)(?:\s|$))", "", s)  # ``(2)③ ⅱ``
    m = _LABEL_HEAD.match(s)
    s = m.group(1) if m else s
    s = s.translate(_ROMAN_UPPER)
    m = re.match(r"^(\(\d+\)[①-⑳]?)\(?([ivx]+)\)?$", s, flags=re.IGNORECASE)
    if m and m.group(2).lower() in _ROMAN_ASCII:
        s = m.group(1) + _ROMAN_ASCII[m.group(2).lower()]
    return s.rstrip(")）") if re.match(r"^\(\d+\)[①-⑳][ⅰ-ⅹ]\)$", s) else s


def parse_labels(cell: object) -> tuple[str, ...] | None:
    """Labels in a cell, primary first; ``()`` for out of scope, ``None`` for an empty cell."""
    text = "" if cell is None else str(cell)
    if not text.strip() or text.strip().lower() == "nan":
        return None
    labels = [normalize_label(part) for part in _SPLIT.split(text) if part.strip()]
    if OUT_OF_SCOPE in labels:
        if len(labels) > 1:
            raise LabelError(f"{text!r}: NONE (out of scope) cannot be combined with other labels")
        return ()
    return tuple(dict.fromkeys(labels))


def check_labels(labels: Iterable[str], policy: Policy) -> list[str]:
    """Problems with labels for this policy, each with a suggestion where one is close."""
    known = [c.label for c in policy.targets]
    problems = []
    for label in labels:
        if label in known:
            continue
        hint = difflib.get_close_matches(label, known, n=1, cutoff=0.5)
        try:
            clause = policy.clause(label)
        except KeyError:
            clause = None
        if clause is not None:
            problems.append(
                f"{label!r} is a heading, not a classification target "
                f"(use one of its items: {', '.join(c.label for c in policy.children(label))})"
            )
        else:
            problems.append(
                f"unknown label {label!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
    return problems


@dataclass(frozen=True)
class LabelledFileReport:
    """What reading a labelled file found: usable rows and per-row problems."""

    requests: tuple[LabelledRequest, ...]
    problems: tuple[str, ...]
    unlabelled: int


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
    if text_columns is None:
        text_columns = ("text",) if is_review and "text" in table.columns else TEXT_FIELDS
    if label_column not in table.columns:
        raise InputFileError(
            f"{path}: no {label_column!r} column; the columns are: {', '.join(table.columns)}"
        )
    texts = [c for c in text_columns if c in table.columns]
    if not texts:
        raise InputFileError(f"{path}: none of the text columns {text_columns} is present")
    col = {name: i for i, name in enumerate(table.columns)}
    id_col = id_column or next((c for c in ("request_id", "id", "ID") if c in col), None)
    requests: list[LabelledRequest] = []
    problems: list[str] = []
    unlabelled = 0
    for row in table.rows:
        where = f"{Path(str(path)).name} row {row.number + 1}"
        try:
            labels = parse_labels(row.cells[col[label_column]])
        except LabelError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if labels is None:
            unlabelled += 1
            continue
        if policy is not None:
            bad = check_labels(labels, policy)
            if bad:
                problems.extend(f"{where}: {b}" for b in bad)
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
    return LabelledFileReport(tuple(requests), tuple(problems), unlabelled)


def _number(value: object) -> float | None:
    try:
        return float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None


REVIEW_LABEL_COLUMN = "accepted_label"


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
    seen: set[str] = set()
    for path in paths:
        report = read_labelled(path, policy)
        problems.extend(report.problems)
        for r in report.requests:
            if r.id in seen:
                r = replace(r, id=f"{Path(str(path)).stem}:{r.id}")
            seen.add(r.id)
            requests.append(r)
    return requests, problems, len(problems)


def is_review_sheet(path: str | Path) -> bool:
    """Whether a labelled file is a review sheet written by ``classify --review``."""
    table = open_table(str(path))
    try:
        return REVIEW_LABEL_COLUMN in table.columns
    finally:
        table.close()
