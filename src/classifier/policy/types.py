"""The records a parsed policy is made of: clauses, summary-slide entries, removed artefacts."""

from __future__ import annotations

from dataclasses import dataclass

from ..vocab import CLAUSE_LEVELS, Level


@dataclass(frozen=True)
class Clause:
    """One numbered piece of the policy (or the preamble).

    ``text`` is the clause's own text only (children excluded); paragraphs are separated by
    ``\\n``. ``lines`` are the 1-based source lines the record was built from.
    """

    policy_id: str
    label: str
    parent: str | None
    level: Level
    marker: str
    heading: str | None
    text: str
    path: tuple[str, ...]
    line_start: int
    line_end: int
    lines: tuple[int, ...]
    is_target: bool

    @property
    def depth(self) -> int:
        """0 for sections, 3 for sub-items, -1 for the preamble."""
        return CLAUSE_LEVELS.index(Level(self.level)) if self.level in CLAUSE_LEVELS else -1


@dataclass(frozen=True)
class Artefact:
    """A piece of PDF furniture removed from the text, kept so nothing disappears unseen."""

    kind: str  # page_label | page_number | separator | footnote | footnote_marker
    text: str
    line: int


@dataclass(frozen=True)
class SummaryEntry:
    """A line group of the summary slide: its title, a header, an area heading or a ■ bullet."""

    policy_id: str
    id: str
    kind: str  # title | header | heading | bullet
    marker: str
    text: str
    area: str | None
    labels: tuple[str, ...]
    line_start: int
    line_end: int


@dataclass(frozen=True)
class Policy:
    """A parsed policy version."""

    policy_id: str
    title: str
    clauses: tuple[Clause, ...]
    summary: tuple[SummaryEntry, ...] = ()
    artefacts: tuple[Artefact, ...] = ()

    def clause(self, label: str) -> Clause:
        """The clause with ``label``; ``KeyError`` if there is none."""
        for c in self.clauses:
            if c.label == label:
                return c
        raise KeyError(label)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.clauses)

    @property
    def targets(self) -> tuple[Clause, ...]:
        """Clauses a request can be classified into, in document order."""
        return tuple(c for c in self.clauses if c.is_target)

    def children(self, label: str) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.parent == label)

    def ancestors(self, label: str) -> tuple[str, ...]:
        """Labels of the ancestors of ``label``, nearest first."""
        by_label = {c.label: c for c in self.clauses}
        out: list[str] = []
        parent = by_label[label].parent
        while parent is not None:
            out.append(parent)
            parent = by_label[parent].parent
        return tuple(out)
