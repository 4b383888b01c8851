"""Predictions → the figures analysts report: programmes and budgets per policy label.

One row per label: the classification targets first, then the items and areas they roll
up into. ``programmes`` and the budget sums count in-scope programmes whose ``label_1`` is
the label (or falls under it, for a roll-up row); the ``_any`` columns count programmes
that have the label anywhere in their predicted set. Out-of-scope, empty and unreadable
rows count nowhere, and a row repeating an earlier 予算事業ID counts once. A programme
whose amount is not known (not in the 2-1 file) counts as a programme but adds nothing to
the sums, and ``programmes_budget_unknown`` counts it, so a total is never short silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .hierarchy import level_of
from .policy import Policy
from .predict import display_heading
from .vocab import CLAUSE_LEVELS, Level, Status

SUMMARY_SHEET = "summary"
SUMMARY_COLUMNS = (
    "label",
    "kind",
    "heading",
    "programmes",
    "budget_initial_yen",
    "budget_request_yen",
    "programmes_any",
    "budget_initial_yen_any",
    "budget_request_yen_any",
    "programmes_budget_unknown",
    "programmes_budget_unknown_any",
    # "(2)③ item": unique where a label is both a target and a roll-up ((2)③ has text of
    # its own and sub-items; (5) has no items), so a lookup on it cannot take the wrong row.
    "lookup_key",
)
TARGET = "target"
_COUNTED_OUT = (Status.OUT_OF_SCOPE, Status.EMPTY_TEXT, Status.ERROR)


def is_counted(status: str) -> bool:
    """Whether a row of this status counts in the summary (``ok`` and ``low_confidence``;
    never an out-of-scope, empty or unreadable row)."""
    return not status.startswith(_COUNTED_OUT)


@dataclass
class _Totals:
    programmes: int = 0
    initial: int = 0
    request: int = 0
    unknown: int = 0  # programmes counted whose initial budget or request is not known

    def add(self, initial: int | None, request: int | None) -> None:
        self.programmes += 1
        self.initial += initial or 0
        self.request += request or 0
        self.unknown += initial is None or request is None


@dataclass
class BudgetSummary:
    """Accumulates classified rows; :meth:`rows` gives the summary table."""

    policy: Policy
    labels: Sequence[str]  # the classification targets at the reported level, in order
    # Whether amounts were joined (--budget): without them the budget cells stay empty, as
    # a sum of 0 yen would read as a fact.
    budget: bool = True
    first: dict[tuple[str, str], _Totals] = field(default_factory=dict)
    anywhere: dict[tuple[str, str], _Totals] = field(default_factory=dict)
    # label -> the summary rows it counts toward (worked out once per label)
    _covers: dict[str, list[tuple[str, str]]] = field(default_factory=dict, init=False, repr=False)
    # labels of counted rows that the policy does not have (a file classified with another
    # policy version, or edited by hand) -> how many rows name them; they count in no row
    unknown: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._known = {c.label for c in self.policy.clauses}
        self._rows = self._layout()
        for key in self._rows:
            self.first[key] = _Totals()
            self.anywhere[key] = _Totals()

    def _layout(self) -> list[tuple[str, str]]:
        """``(label, kind)``: the targets, then each item and area above them."""
        rows = [(label, TARGET) for label in self.labels]
        for level in (Level.ITEM, Level.AREA):
            depth = CLAUSE_LEVELS.index(level)
            above = {
                level_of(self.policy, label, level)
                for label in self.labels
                if self.policy.clause(label).depth > depth
                or (level == Level.AREA and self.policy.clause(label).depth == depth)
            }
            rows += [(c.label, str(level)) for c in self.policy.clauses if c.label in above]
        return rows

    def _covering(self, label: str) -> list[tuple[str, str]]:
        """The summary rows a predicted label counts toward: its own target row, and the
        item and area rows of itself and its ancestors (worked out once per label)."""
        rows = self._covers.get(label)
        if rows is None and label not in self._known:
            rows = self._covers[label] = []
        if rows is None:
            above = {label, *self.policy.ancestors(label)}
            rows = self._covers[label] = [
                (lab, kind)
                for lab, kind in self._rows
                if (kind == TARGET and lab == label) or (kind != TARGET and lab in above)
            ]
        return rows

    def add(
        self,
        status: str,
        label_1: str,
        label_set: Sequence[str],
        initial: int | None = None,
        request: int | None = None,
        duplicate: bool = False,
    ) -> None:
        """Count one classified row (``label_set``: its predicted set, label_1 first)."""
        if duplicate or not label_1 or not is_counted(status):
            return
        labels = dict.fromkeys((label_1, *label_set))
        for x in labels:
            if x not in self._known:
                self.unknown[x] = self.unknown.get(x, 0) + 1
        for key in self._covering(label_1):
            self.first[key].add(initial, request)
        for key in dict.fromkeys(k for x in labels for k in self._covering(x)):
            self.anywhere[key].add(initial, request)

    def rows(self) -> list[list[object]]:
        """The summary table, in :data:`SUMMARY_COLUMNS` order; budget cells are ``None``
        (empty) when no amounts were joined. Sums are over the programmes whose amounts are
        known; ``programmes_budget_unknown`` says how many counted programmes they leave
        out."""
        out: list[list[object]] = []
        for label, kind in self._rows:
            a, b = self.first[label, kind], self.anywhere[label, kind]
            known = self.budget
            out.append(
                [
                    label,
                    kind,
                    display_heading(self.policy, label),
                    a.programmes,
                    a.initial if known else None,
                    a.request if known else None,
                    b.programmes,
                    b.initial if known else None,
                    b.request if known else None,
                    a.unknown if known else None,
                    b.unknown if known else None,
                    f"{label} {kind}",
                ]
            )
        return out
