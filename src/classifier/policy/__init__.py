"""Policy text (as extracted from PDF) → a tree of labelled clauses.

The parser is driven by a marker grammar, not by one year's layout:

* A line starting with a numbering marker (``１``, ``第２``, ``(3)``, ``（４）``, ``1.``, ``⑤``,
  ``ⅱ）``, ``(ⅲ)`` …) opens a clause only if its number continues the sequence of that marker
  style (next sibling) or starts a new, deeper style at 1. Nesting depth is therefore learnt
  from the order in which marker styles first appear, which is how the policy is read by
  people, and a line such as ``24日サイバー…`` or ``②の取組と…`` stays text.
* Depth 0 is a section (``1``–``3``), 1 an area (``(2)``), 2 an item (``(2)③``), 3 a sub-item
  (``(2)③ⅱ``). Sections, areas and items carry a heading; sub-items do not.
* PDF artefacts (page labels, footnote blocks at page ends, footnote markers glued to words,
  separator lines) are removed before the structure is read and kept in ``Policy.artefacts``.
* A one-page summary slide in front of the full text (``資料２－１`` with ■ bullets) is parsed
  into ``Policy.summary`` so its bullets can be used as extra descriptions of the items.

Everything here is a pure function of the input text.
"""

from typing import TYPE_CHECKING, Any

from .types import Artefact, Clause, Policy, SummaryEntry

if TYPE_CHECKING:
    from .markers import match_marker
    from .parse import parse_policy

__all__ = ["Artefact", "Clause", "Policy", "SummaryEntry", "match_marker", "parse_policy"]


def __getattr__(name: str) -> Any:
    # The parser and its marker grammar (regular expressions compiled at import, about
    # 5 ms) load when a policy is parsed; classify, which only reads clauses, never does.
    if name == "parse_policy":
        from .parse import parse_policy

        return parse_policy
    if name == "match_marker":
        from .markers import match_marker

        return match_marker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
