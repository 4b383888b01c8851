"""The show_results command: a classified file as a compact table, and its budget summary."""

from __future__ import annotations

import sys

from ..corpus import read_clauses
from ..errors import InputFileError
from ..hierarchy import rollup_matrix
from ..paths import built_policies, corpus_dir, corpus_root, policies_text
from ..policy import Policy
from ..predict import display_heading
from ..sources import rs
from ..summary import SUMMARY_COLUMNS, SUMMARY_SHEET, BudgetSummary
from ..tables import open_table
from ..textutil import cell_text, display_width, plural, terminal_text
from ..vocab import REVIEW_LABEL_COLUMN, ROLLUP_LEVELS, Status

NAME_COLUMNS = ("事業名", "text", "事業概要")
MAX_ROWS = 40  # beyond this many rows, only the in-scope ones are listed


def _fit(text: str, width: int) -> str:
    """``text`` on one line (a review sheet's text cell holds 事業名 and 事業概要 on two),
    padded or cut to ``width`` display columns."""
    text = terminal_text(text)
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            return out + "…" + " " * (width - used - 1)
        out += ch
        used += w
    return out + " " * (width - used)


def _two_places(text: str) -> str:
    """A probability cell as ``0.96 `` (five characters; blank when empty or not a number)."""
    try:
        value = float(text)
    except ValueError:
        return "     "
    return f"{value:.2f} " if 0.0 <= value <= 1.0 else "     "


def _yen(value: object, where: str, bad: list[str]) -> int | None:
    """An amount cell read as classify's --budget reads the 2-1 file (``33,498,000`` as
    Excel re-saves a ``#,##0`` cell, ``△1,000``); one that is no amount is unknown, and
    said in ``bad``."""
    try:
        return rs.yen(value)
    except ValueError as exc:
        bad.append(f"{where}: {exc}")
        return None


def show_results(path: str, policy: str = "r3", summary_only: bool = False) -> int:
    """Print the rows of a classified file (in-scope ones if there are many) and the budget
    summary: the workbook's own ``summary`` sheet, or one computed from the rows."""
    _check_policy(policy)
    table = open_table(path)
    col = {c: i for i, c in enumerate(table.columns)}
    if "label_1" not in col or "status" not in col:
        table.close()
        raise InputFileError(f"{path}: not a classified file (no label_1 and status columns)")
    read = list(table.rows)
    rows = [r.cells for r in read]
    lines = [r.line or r.number for r in read]  # as Excel numbers the rows
    name = next((c for c in NAME_COLUMNS if c in col), None)

    def cell(row: list, column: str) -> str:
        return cell_text(row[col[column]]) if column in col else ""

    listed = (
        rows
        if len(rows) <= MAX_ROWS
        else [
            r
            for r in rows
            if not cell(r, "status").startswith((Status.OUT_OF_SCOPE, Status.EMPTY_TEXT))
        ]
    )
    if not summary_only:
        print(
            _fit("事業名", 34),
            _fit("label_1", 9),
            "conf ",
            "scope",
            _fit("heading_1", 40),
            "status",
        )
        for r in listed:
            print(
                _fit(cell(r, name) if name else "", 34),
                _fit(cell(r, "label_1"), 9),
                _two_places(cell(r, "confidence_1")),
                _two_places(cell(r, "in_scope")),
                _fit(cell(r, "heading_1"), 40),
                terminal_text(cell(r, "status")),
            )
        if len(listed) < len(rows):
            print(f"({len(listed)} of {len(rows)} rows shown: those not out of scope)")
    summary_rows, unknown, mismatched, bad = _summary(path, rows, lines, col, policy)
    print()
    print("  ".join(SUMMARY_COLUMNS))
    hidden = 0
    for s in summary_rows:
        if s[3] or s[6]:
            # An empty budget cell: no amounts were joined (a 0 would read as 0 yen).
            print("  ".join("-" if v is None or v == "" else terminal_text(v) for v in s))
        else:
            hidden += 1
    if hidden:
        print(f"({plural(hidden, 'label')} with no programme not shown)")
    if bad:
        more = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
        print(
            f"note: {plural(len(bad), 'budget cell')} {'is' if len(bad) == 1 else 'are'} no "
            f"amount and counted as unknown: {bad[0]}{more}",
            file=sys.stderr,
        )
    if mismatched:
        print(
            f"note: {plural(mismatched, 'row')} name{'s' if mismatched == 1 else ''} a label whose "
            f"heading_1 is not policy {policy}'s heading for it: classified with another "
            f"policy version? --policy names the one to use",
            file=sys.stderr,
        )
    if unknown:
        named = ", ".join(f"{label} ({plural(n, 'row')})" for label, n in sorted(unknown.items()))
        print(
            f"note: labels that policy {policy} does not have are counted in no row: {named} "
            f"(classified with another policy version? --policy names the one to use)",
            file=sys.stderr,
        )
    return 0


def _check_policy(policy: str) -> None:
    """Refuse a ``--policy`` that has no corpus, naming the policies there are."""
    if policy in built_policies():
        return
    raise InputFileError(f"--policy {policy}: no such policy in {corpus_root()}; {policies_text()}")


def _reported_labels(policy: Policy, rows: list[list], get) -> list[str]:
    """The labels the file was classified at (``--level``): the lowest level whose labels
    hold every label the rows name, as classify's own summary sheet has them."""
    targets = [c.label for c in policy.targets]
    used = {cell_text(get(r, "label_1")) for r in rows} | {
        x for r in rows for x in cell_text(get(r, "labels")).split(";")
    }
    used.discard("")
    for level in ROLLUP_LEVELS:
        columns, _ = rollup_matrix(policy, targets, level)
        if used <= set(columns):
            return columns
    return targets  # labels of another policy: counted in no row, and named


def _summary(
    path: str, rows: list[list], lines: list[int], col: dict[str, int], policy: str
) -> tuple[list[list], dict[str, int], int, list[str]]:
    """The summary rows, the labels of counted rows the policy does not have, how many
    rows give a label a heading_1 other than the policy's (classified under another
    version: r4's (2)③ may be another item than r3's), and the budget cells that are no
    amount (named by row)."""
    if path.lower().endswith(".xlsx"):
        try:
            sheet = open_table(path, sheet=SUMMARY_SHEET)
            return [r.cells for r in sheet.rows], {}, 0, []
        except Exception:  # an older workbook without the sheet: compute it
            pass
    labels = read_clauses(corpus_dir(policy))
    budget = rs.BUDGET_COLUMNS[0] in col

    def get(row: list, column: str) -> object:
        return row[col[column]] if column in col else None

    summary = BudgetSummary(labels, _reported_labels(labels, rows, get), budget=budget)

    # A review sheet has no duplicate_of column (its rows are in doubt order, not the
    # export's): there a programme id seen before marks the repeat.
    by_id = REVIEW_LABEL_COLUMN in col and "id" in col and rs.DUPLICATE_COLUMN not in col
    seen: set[str] = set()
    known = {c.label for c in labels.targets}
    mismatched = 0
    bad: list[str] = []
    for line, r in zip(lines, rows, strict=True):
        ident = cell_text(get(r, "id")).strip() if by_id else ""
        repeat = bool(ident) and ident in seen
        seen.add(ident)
        label_1 = cell_text(get(r, "label_1"))
        heading = cell_text(get(r, "heading_1")).strip()
        if label_1 in known and heading and heading != display_heading(labels, label_1):
            mismatched += 1
        listed = cell_text(get(r, "labels"))
        summary.add(
            cell_text(get(r, "status")),
            label_1,
            tuple(x for x in listed.split(";") if x) or ((label_1,) if label_1 else ()),
            _yen(get(r, rs.BUDGET_COLUMNS[0]), f"row {line} {rs.BUDGET_COLUMNS[0]}", bad),
            _yen(get(r, rs.BUDGET_COLUMNS[1]), f"row {line} {rs.BUDGET_COLUMNS[1]}", bad),
            repeat
            or bool(cell_text(get(r, rs.DUPLICATE_COLUMN)).strip())
            or cell_text(get(r, rs.BUDGET_COUNTED_COLUMN)).strip() == "0",
        )
    return summary.rows(), summary.unknown, mismatched, bad
