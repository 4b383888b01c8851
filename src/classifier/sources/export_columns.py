"""The columns classify adds for known exports, joined on the programme: ``duplicate_of``
on a review sheet, the budget with ``--budget`` (2-1 file) and the cybersecurity policies,
laws and plans a programme cites with ``--cited`` (1-3 file)."""

from __future__ import annotations

from typing import Any

from ..errors import InputFileError
from ..tables import Row, find_column
from ..tables.header import nearest_columns
from ..textutil import cell_text, plural
from . import rs


class ExportColumns:
    """Columns added for known exports: ``duplicate_of`` on a review sheet, with
    ``--budget`` the programme's initial budget and next year's request, and with
    ``--cited`` the cybersecurity policies, laws and plans it cites."""

    # Every column this class can add, whichever options a run had.
    ALL = (rs.DUPLICATE_COLUMN, *rs.BUDGET_COLUMNS, rs.BUDGET_COUNTED_COLUMN, rs.CITED_COLUMN)

    def __init__(
        self, columns: list[str], review_sheet: bool, budget: str | None, cited: str | None
    ) -> None:
        self.review_sheet = review_sheet
        self.columns: list[str] = [rs.DUPLICATE_COLUMN] if review_sheet else []
        self.budgets: rs.Budgets | None = None
        self.citations: rs.Citations | None = None
        # Found as the header may have been retyped (予算事業ＩＤ, 事業年度 + a note).
        id_name, year_name = find_column(columns, rs.ID), find_column(columns, rs.YEAR)
        self._id = columns.index(id_name) if review_sheet and id_name else None
        self._year: int | None = None
        for option, given in (("--budget", budget), ("--cited", cited)):
            lacking = [n for n, c in ((rs.ID, id_name), (rs.YEAR, year_name)) if c is None]
            if given and lacking:
                near = "".join(nearest_columns(columns, n) for n in lacking)
                raise InputFileError(
                    f"{option} joins on {rs.ID} and {rs.YEAR}, and the input has no "
                    f"{' or '.join(lacking)} column{near}; use it with the review-sheet "
                    f"download (1-2_RS_…_事業概要等), or rename the column"
                )
        if id_name and year_name and (budget or cited or review_sheet):
            self._id = columns.index(id_name)
            self._year = columns.index(year_name)
        self._budget_at = len(self.columns)  # where the amounts sit among the added cells
        if budget:
            self.budgets = rs.read_budgets(budget)
            self.columns += [*rs.BUDGET_COLUMNS, rs.BUDGET_COUNTED_COLUMN]
        if cited:
            self.citations = rs.read_citations(cited)
            self.columns.append(rs.CITED_COLUMN)
        self._seen: dict[tuple[str, str] | str, int] = {}
        self.years: set[str] = set()  # the 事業年度 of the rows with an id
        self._budget_seen: set[tuple[str, str]] = set()
        self.duplicates = 0
        self.n_cited = 0
        # Rows with no 予算事業ID: nothing can be joined to them, and they are no programme
        # to count as missing (several blank ids are not one programme).
        self.no_id = 0
        # Programmes, not rows: a programme on several rows (one per 主要経費) counts once.
        # (the id as the row wrote it, for the note's example)
        self._missing_budget: dict[tuple[str, str], str] = {}
        # Programmes the budget file has, with 当初予算 or 翌年度要求額 blank (or a dash).
        self._blank_budget: set[tuple[str, str]] = set()
        self._missing_cited: set[tuple[str, str]] = set()

    @property
    def missing_budget(self) -> int:
        """How many programmes (予算事業ID, 事業年度) the budget file does not have."""
        return len(self._missing_budget)

    @property
    def missing_budget_example(self) -> str:
        """The first programme the budget file does not have, as ``予算事業ID N, 事業年度 Y``."""
        for (_, year), ident in self._missing_budget.items():
            return f"{rs.ID} {ident}, {rs.YEAR} {year or 'blank'}"
        return ""

    @property
    def blank_budget(self) -> int:
        """How many programmes the budget file has with an amount blank or a dash (those
        it gives conflicting amounts are noted apart)."""
        return len(self._blank_budget)

    @property
    def missing_cited(self) -> int:
        """How many programmes the citations file does not list at all."""
        return len(self._missing_cited)

    def cells(self, row: Row) -> list[Any]:
        if self._id is None:
            return []
        ident = cell_text(row.cells[self._id]).strip()
        # (予算事業ID, 事業年度): what --budget and --cited join on (the id as the files
        # are matched: 0047 is 47).
        key = (
            (
                rs.programme_key(ident),
                rs.year_key(row.cells[self._year]),
            )
            if self._year is not None
            else None
        )
        out: list[Any] = []
        if not ident and (self.budgets is not None or self.citations is not None):
            self.no_id += 1
        if self.review_sheet:
            # The output's row (header = row 1) of the first row of this programme: the
            # same 予算事業ID in the same 事業年度 (two years' downloads pasted together
            # repeat every id, once a year, and each year's row is a programme of its own).
            # The output's, not the input's: the output has no title rows above its header,
            # and it is the file an analyst filters on duplicate_of.
            if ident and key is not None and key[1]:  # (a blank 事業年度 is no year)
                self.years.add(key[1])
            here = row.number + 1
            first = self._seen.setdefault(key or ident, here) if ident else here
            repeat = first != here
            self.duplicates += repeat
            out.append(first if repeat else "")
        if self.budgets is not None:
            assert key is not None
            budget = self.budgets.get(key)
            if budget is None:
                if ident:
                    self._missing_budget.setdefault(key, ident)
                out += ["", ""]
            else:
                blank = budget.initial is None or budget.request is None
                if ident and blank and not self.budgets.in_conflict(key):
                    self._blank_budget.add(key)
                out += [_blank(budget.initial), _blank(budget.request)]
            # A row without an id cannot be matched to any other: it counts.
            counted = not ident or key not in self._budget_seen
            self._budget_seen.add(key)
            out.append(int(counted))
        if self.citations is not None:
            assert key is not None
            names = self.citations.cyber.get(key, ())
            self.n_cited += bool(names)
            if key not in self.citations.listed and ident:
                self._missing_cited.add(key)
            out.append("; ".join(names))
        return out

    def notes(self, budget: str | None, cited: str | None) -> list[str]:
        """What the analyst should know about repeated programmes and the joins."""
        out = []
        if self.duplicates:
            zero = f", and {rs.BUDGET_COUNTED_COLUMN} is 0 on its repeats" if budget else ""
            out.append(
                f"{plural(self.duplicates, 'row')} "
                f"{'repeats' if self.duplicates == 1 else 'repeat'} an earlier {rs.ID} of "
                f"the same {rs.YEAR} ({rs.DUPLICATE_COLUMN} names the output row repeated; a "
                f"programme counts once in the summary{zero})"
            )
        if len(self.years) > 1:
            out.append(
                f"the file holds {len(self.years)} {rs.YEAR} ({', '.join(sorted(self.years))})"
                ": a programme is counted once a year, so the summary adds the years "
                "together; classify each year's rows apart for a year's totals"
            )
        if budget:
            out += self.budget_notes(budget)
        if self.no_id:
            joined = " or ".join(o for o, f in (("--budget", budget), ("--cited", cited)) if f)
            out.append(
                f"{plural(self.no_id, 'row')} {'has' if self.no_id == 1 else 'have'} no "
                f"{rs.ID}, so {joined} could join nothing to "
                f"{'it' if self.no_id == 1 else 'them'} (their cells are empty)"
            )
        return out

    def cited_notes(self, cited: str | None, cited_out: int) -> list[str]:
        """How many rows cite a cybersecurity policy, and how many of those are out."""
        if self.citations is None:
            return []
        missing = self.missing_cited
        return [
            f"{plural(self.n_cited, 'row')} cite a cybersecurity policy, law or plan in "
            f"{cited} ({rs.CITED_COLUMN}), {cited_out} of them out_of_scope (worth a "
            f"look: the citation does not change in_scope)"
            + (
                f"; {plural(missing, 'programme')} {'is' if missing == 1 else 'are'} not in "
                f"that file at all"
                if missing
                else ""
            )
        ]

    def budget_notes(self, budget: str) -> list[str]:
        """What the join with the 2-1 file (named ``budget``) left unknown, and why."""
        if self.budgets is None:
            return []
        out = []

        def unknown(n: int) -> str:
            its, them = ("its", "it") if n == 1 else ("their", "them")
            return (
                f"{its} budget cells are empty, and the summary counts {them} in "
                "programmes_budget_unknown"
            )

        missing = self.missing_budget
        if missing:
            there = sum(k[0] in self.budgets.listed for k in self._missing_budget)
            out.append(
                f"{plural(missing, 'programme')} {'is' if missing == 1 else 'are'} not in "
                f"{budget} for {'its' if missing == 1 else 'their'} {rs.YEAR} (first: "
                f"{self.missing_budget_example}); {unknown(missing)}"
                + (
                    f" ({there} of them {'has' if there == 1 else 'have'} rows there, but no "
                    f"summary row of that {rs.BUDGET_YEAR}: a blank {rs.BUDGET_YEAR}, another "
                    "year's rows, or 会計区分 rows only)"
                    if there
                    else ""
                )
            )
        conflicting = list(dict.fromkeys(ident for ident, _ in self.budgets.conflicting))
        if conflicting:
            shown = ", ".join(conflicting[:5]) + (", …" if len(conflicting) > 5 else "")
            out.append(
                f"{budget} has two summary rows with different amounts for "
                f"{plural(len(conflicting), 'programme')} and year ({rs.ID} {shown}): "
                "their amounts are left unknown rather than guessed; keep one row per "
                f"programme and {rs.BUDGET_YEAR}"
            )
        blank = self.blank_budget
        if blank:
            out.append(
                f"{plural(blank, 'programme')} {'has' if blank == 1 else 'have'} "
                f"{rs.INITIAL} or {rs.REQUEST} blank or a dash in {budget}; "
                f"{unknown(blank)}"
            )
        return out

    def cites(self, cells: list[Any]) -> bool:
        """Whether the row (its added ``cells``) cites a cybersecurity policy, law or plan."""
        return self.citations is not None and cells[-1] != ""

    def repeats(self, cells: list[Any]) -> bool:
        """Whether the row (its added ``cells``) repeats an earlier row's programme (its
        予算事業ID on a review sheet; 予算事業ID and 事業年度 with ``--budget``)."""
        if self.review_sheet and cells[0]:
            return True
        return self.budgets is not None and cells[self._budget_at + 2] == 0

    def amounts(self, cells: list[Any]) -> tuple[int | None, int | None]:
        if self.budgets is None:
            return None, None
        initial, request = cells[self._budget_at : self._budget_at + 2]
        return (initial if initial != "" else None), (request if request != "" else None)


def _blank(value: int | None) -> int | str:
    return "" if value is None else value
